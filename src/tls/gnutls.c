// SPDX-License-Identifier: MIT
/*
 * GnuTLS 3.x, as a shared library (libgnutls.so.30).
 *
 * Every function here is `ssize_t f(session, data, size, ...)` and returns the byte count or
 * a negative error code. gnutls_record_send is a tail jump to gnutls_record_send2 (through
 * the PLT), so probing send2 alone gives one record for either. gnutls_record_recv and
 * gnutls_record_recv_seq each jump to an internal receive function without calling one
 * another; gnutls_record_send_range does not call send2. gnutls_record_send_file reads the
 * file and calls gnutls_record_send for each chunk (one record per chunk; with kernel TLS the
 * file goes out through sendfile and its plaintext never passes user space). The 0-RTT
 * functions queue and copy early data without calling the others; their records have no
 * socket I/O and wait for the session's binding (hold.h). gnutls_record_recv_packet hands
 * its plaintext over inside a packet object, not in its arguments: not probed.
 */
#include "tls/adapter.h"

static const struct tls_func funcs[] = {
	{"gnutls_record_send2", NULL, DIR_EGRESS, 0, 0, NULL},
	{"gnutls_record_recv", NULL, DIR_INGRESS, 0, 0, NULL},
	{"gnutls_record_recv_seq", NULL, DIR_INGRESS, 0, 1, NULL},
	{"gnutls_record_send_range", NULL, DIR_EGRESS, 0, 1, NULL},
	{"gnutls_record_send_early_data", NULL, DIR_EGRESS, 0, 1, NULL},
	{"gnutls_record_recv_early_data", NULL, DIR_INGRESS, 0, 1, NULL},
};

/* GnuTLS before 3.6.3 has no send2: its gnutls_record_send is the real thing. */
static const struct tls_func fallback[] = {
	{"gnutls_record_send", NULL, DIR_EGRESS, 0, 0, NULL},
	{"gnutls_record_recv", NULL, DIR_INGRESS, 0, 0, NULL},
	{"gnutls_record_recv_seq", NULL, DIR_INGRESS, 0, 1, NULL},
	{"gnutls_record_send_range", NULL, DIR_EGRESS, 0, 1, NULL},
};

static const char *const sonames[] = {"libgnutls.so.", NULL};

static const char *const system_files[] = {"libgnutls.so.30", NULL};

const struct tls_adapter gnutls_adapter = {
	.name = "gnutls",
	.lib = LIB_GNUTLS,
	.sonames = sonames,
	.funcs = funcs,
	.nfuncs = sizeof(funcs) / sizeof(funcs[0]),
	.fallback = fallback,
	.nfallback = sizeof(fallback) / sizeof(fallback[0]),
	.system_files = system_files,
	.stripped_marker = "GNUTLS_SYSTEM_PRIORITY_FILE", /* an environment variable it reads */
};

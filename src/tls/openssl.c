// SPDX-License-Identifier: MIT
/* OpenSSL 1.1 and 3.x, as a shared library (libssl.so.*). */
#include "tls/adapter.h"

static const struct tls_func funcs[] = {
	{"SSL_write", DIR_EGRESS, 0, 0},
	{"SSL_read", DIR_INGRESS, 0, 0},
	{"SSL_write_ex", DIR_EGRESS, 1, 1},
	{"SSL_read_ex", DIR_INGRESS, 1, 1},
};

static const char *const sonames[] = {"libssl.so.", NULL};

static const char *const system_paths[] = {
	"/usr/lib/x86_64-linux-gnu/libssl.so.3",
	"/usr/lib/aarch64-linux-gnu/libssl.so.3",
	"/lib64/libssl.so.3",
	"/usr/lib64/libssl.so.3",
	NULL,
};

const struct tls_adapter openssl_adapter = {
	.name = "openssl",
	.lib = LIB_OPENSSL,
	.sonames = sonames,
	.funcs = funcs,
	.nfuncs = sizeof(funcs) / sizeof(funcs[0]),
	.system_paths = system_paths,
};

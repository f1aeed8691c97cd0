// SPDX-License-Identifier: MIT
/*
 * OpenSSL 1.1 and 3.x, as a shared library (libssl.so.*).
 *
 * The exported SSL_write/SSL_read of OpenSSL 3 begin with `sub $0x18,%rsp`, which a uprobe
 * must single-step (~20 us a hit here). Every write and read path (SSL_write, SSL_write_ex,
 * BIO_f_ssl) funnels into ssl_write_internal/ssl_read_internal, which begin with `push` (an
 * emulated instruction) and take (ssl, buf, num, size_t *moved) like the _ex variants.
 * They are not exported, but they are the first call in SSL_write_ex/SSL_read_ex. A build
 * that inlines them into SSL_write/SSL_read (node's static OpenSSL 3.0) is probed at the
 * exported API instead.
 */
#include "tls/adapter.h"

static const struct tls_func funcs[] = {
	{"ssl_write_internal", "SSL_write_ex", DIR_EGRESS, 1, 0, "SSL_write"},
	{"ssl_read_internal", "SSL_read_ex", DIR_INGRESS, 1, 0, "SSL_read"},
};

static const struct tls_func fallback[] = {
	{"SSL_write", NULL, DIR_EGRESS, 0, 0, NULL},
	{"SSL_read", NULL, DIR_INGRESS, 0, 0, NULL},
	{"SSL_write_ex", NULL, DIR_EGRESS, 1, 1, NULL},
	{"SSL_read_ex", NULL, DIR_INGRESS, 1, 1, NULL},
};

static const char *const sonames[] = {"libssl.so.", NULL};

static const char *const system_files[] = {"libssl.so.3", NULL};

const struct tls_adapter openssl_adapter = {
	.name = "openssl",
	.lib = LIB_OPENSSL,
	.sonames = sonames,
	.funcs = funcs,
	.nfuncs = sizeof(funcs) / sizeof(funcs[0]),
	.fallback = fallback,
	.nfallback = sizeof(fallback) / sizeof(fallback[0]),
	.system_files = system_files,
	.stripped_marker = "ssl/ssl_lib.c", /* OPENSSL_FILE in its error calls */
	.version_prefix = "OpenSSL ",
	.version_from = "libssl",
	.version_to = "libcrypto",
};

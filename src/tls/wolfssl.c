// SPDX-License-Identifier: MIT
/*
 * wolfSSL 5.x, as a shared library (libwolfssl.so.*).
 *
 * wolfSSL_write and wolfSSL_read are `int f(ssl, data, sz)` and return the byte count. Both
 * begin with a `test`, so both are single-stepped. The library has no .symtab, and the cheap
 * internal sites do not fit: the write path's SendData (begins with `push`) is the second
 * call in wolfSSL_write, after __errno_location, and wolfSSL_read tail-jumps into an internal
 * read that wolfSSL_peek shares, which would report peeked bytes as read. wolfSSL_send,
 * wolfSSL_recv, wolfSSL_writev and the SSL BIO call the exported write/read through the
 * PLT, so they give one record each; wolfSSL_peek is not seen.
 */
#include "tls/adapter.h"

static const struct tls_func funcs[] = {
	{"wolfSSL_write", NULL, DIR_EGRESS, 0, 0, NULL},
	{"wolfSSL_read", NULL, DIR_INGRESS, 0, 0, NULL},
};

static const char *const sonames[] = {"libwolfssl.so.", NULL};

static const char *const system_files[] = {"libwolfssl.so.35", NULL};

const struct tls_adapter wolfssl_adapter = {
	.name = "wolfssl",
	.lib = LIB_WOLFSSL,
	.sonames = sonames,
	.funcs = funcs,
	.nfuncs = sizeof(funcs) / sizeof(funcs[0]),
	.system_files = system_files,
};

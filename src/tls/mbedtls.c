// SPDX-License-Identifier: MIT
/*
 * mbedTLS 2.x, as a shared library (libmbedtls.so.*).
 *
 * mbedtls_ssl_write and mbedtls_ssl_read are `int f(ssl, buf, len)` and return the byte count
 * or a negative error (WANT_READ/WANT_WRITE among them). Neither calls the other or itself
 * through the PLT, so each call is one record. 2.28's mbedtls_ssl_write begins with `push`
 * (emulated); mbedtls_ssl_read begins with `test` (single-stepped) and does its own copying,
 * with no internal function that reads alone. libmbedtls has no .symtab.
 */
#include "tls/adapter.h"

static const struct tls_func funcs[] = {
	{"mbedtls_ssl_write", NULL, DIR_EGRESS, 0, 0, NULL},
	{"mbedtls_ssl_read", NULL, DIR_INGRESS, 0, 0, NULL},
};

static const char *const sonames[] = {"libmbedtls.so.", NULL};

static const char *const system_files[] = {"libmbedtls.so.14", NULL};

const struct tls_adapter mbedtls_adapter = {
	.name = "mbedtls",
	.lib = LIB_MBEDTLS,
	.sonames = sonames,
	.funcs = funcs,
	.nfuncs = sizeof(funcs) / sizeof(funcs[0]),
	.system_files = system_files,
};

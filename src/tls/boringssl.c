// SPDX-License-Identifier: MIT
/*
 * BoringSSL, as a shared library. Debian's android-libboringssl installs it as
 * android/libssl.so.0, an OpenSSL file name: the name finds openssl_adapter, and
 * sites_adapter() (sites.c) hands the file to this adapter when it defines a function only
 * BoringSSL has.
 *
 * SSL_write and SSL_read are `int f(ssl, buf, num)` returning the count, and both begin with
 * `push` (emulated). SSL_read and SSL_peek share an internal function that SSL_read calls
 * directly, not SSL_peek, so probing SSL_read alone reports each read once and peeked bytes
 * only when they are read. This version has no SSL_write_ex/SSL_read_ex, and no
 * ssl_write_internal for openssl_adapter to find.
 */
#include "tls/adapter.h"

static const struct tls_func funcs[] = {
	{"SSL_write", NULL, DIR_EGRESS, 0, 0, NULL},
	{"SSL_read", NULL, DIR_INGRESS, 0, 0, NULL},
};

static const char *const sonames[] = {"libssl.so.", NULL};

static const char *const system_files[] = {"android/libssl.so.0", NULL};

const struct tls_adapter boringssl_adapter = {
	.name = "boringssl",
	.lib = LIB_BORINGSSL,
	.sonames = sonames,
	.funcs = funcs,
	.nfuncs = sizeof(funcs) / sizeof(funcs[0]),
	.system_files = system_files,
};

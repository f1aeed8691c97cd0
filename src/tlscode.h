/* SPDX-License-Identifier: MIT */
/*
 * What TLS code an ELF file holds, and how it is linked: a shared library known by its name,
 * a library linked into another file (its exported API is in the symbols), a library whose
 * symbols are stripped (only its strings are left), or Go's crypto/tls.
 */
#ifndef TLSSCOPE_TLSCODE_H
#define TLSSCOPE_TLSCODE_H

#include "tls/adapter.h"

enum tls_linkage {
	LINK_SHARED,   /* the library's own shared object */
	LINK_STATIC,   /* linked into this file, with its symbols */
	LINK_STRIPPED, /* linked into this file, its symbols stripped: no probe site is known */
	LINK_GO,       /* Go's crypto/tls */
};

struct tls_code {
	const struct tls_adapter *adapter; /* what probes it; NULL for stripped code and Go */
	const char *lib;		   /* "openssl", "gnutls", ..., "go" */
	enum tls_linkage linkage;
	char version[48]; /* "" when not known */
};

/*
 * Identifies the TLS code in the ELF file at open_path. by_name is the adapter the file's
 * name matched (a shared library), or NULL to judge by the contents alone. Returns 1 when
 * the file holds TLS code, 0 when not, or a negative errno when it cannot be read.
 */
int tlscode_identify(const char *open_path, const struct tls_adapter *by_name,
		     struct tls_code *out);

const char *tls_linkage_name(enum tls_linkage l);

#endif

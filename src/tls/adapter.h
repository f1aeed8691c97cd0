/* SPDX-License-Identifier: MIT */
/*
 * A TLS library adapter: which files hold the library and which of its functions move
 * plaintext. Adding a library is one adapter file plus a row in tls_adapters[]; the BPF
 * programs are shared and learn the library and calling convention from the cookie.
 */
#ifndef TLSSCOPE_TLS_ADAPTER_H
#define TLSSCOPE_TLS_ADAPTER_H

#include <stddef.h>
#include <stdint.h>

#include "bpf/abi.h"

struct elf_file;

struct tls_func {
	/* The exported function, or a name for the internal one that call_in leads to. */
	const char *sym;
	/* If set, the probe site is the target of the first call in this exported function. */
	const char *call_in;
	enum data_dir dir;
	/* 1: `int f(ssl, buf, num, size_t *moved)` returns 1/0, count via the out-pointer;
	 * 0: `int f(ssl, buf, num)` returns the count. */
	int ex;
	/* The library works without it (older versions lack the _ex variants). */
	int optional;
	/*
	 * An exported function that must call or jump to this site, or else the site misses
	 * its calls: a build that inlined the internal function into it (node's static
	 * OpenSSL) gets the exported API instead.
	 */
	const char *reached_from;
};

struct tls_adapter {
	const char *name;
	enum tls_lib lib;
	/* File name prefixes that identify a shared library of this adapter, NULL-ended. */
	const char *const *sonames;
	/* Preferred probe sites; every non-optional one must resolve, or ... */
	const struct tls_func *funcs;
	unsigned int nfuncs;
	/* ... these are probed instead (the exported API), and the fallback is reported. */
	const struct tls_func *fallback;
	unsigned int nfallback;
	/*
	 * File names the system keeps it under, looked for in the system library directories
	 * (discover.c) and probed at start even if no process maps it yet.
	 */
	const char *const *system_files;
	/*
	 * How its code is recognised inside another file (a static link): the fallback's first
	 * function, the exported API, is defined there. When symbols are stripped, this string
	 * in the file's read-only data tells the library is there but cannot be probed.
	 */
	const char *stripped_marker;
	/*
	 * Finds preferred sites the file has no symbol for, by its own means, before they are
	 * resolved: addrs[i] for funcs[i], left 0 where not found. NULL: symbols only.
	 */
	void (*locate)(struct elf_file *ef, const struct tls_func *funcs, unsigned int n,
		       uint64_t *addrs);
	/* Its version string begins with this ("OpenSSL 3.0.19 ..."); NULL: not known. */
	const char *version_prefix;
	/* The version string is in a sibling file: this part of the file name becomes ... */
	const char *version_from;
	const char *version_to; /* ... this (libssl.so.3 -> libcrypto.so.3). */
};

extern const struct tls_adapter openssl_adapter;
extern const struct tls_adapter gnutls_adapter;
extern const struct tls_adapter wolfssl_adapter;
extern const struct tls_adapter mbedtls_adapter;
extern const struct tls_adapter boringssl_adapter;
extern const struct tls_adapter nss_adapter;

/* Every adapter, NULL-ended. */
extern const struct tls_adapter *const tls_adapters[];

/* The adapter whose sonames match the file name part of path, or NULL. */
const struct tls_adapter *tls_adapter_for_path(const char *path);

#endif

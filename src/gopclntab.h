/* SPDX-License-Identifier: MIT */
/*
 * Go's function table (.gopclntab), which stripped binaries (-ldflags "-s -w") keep: function
 * names and entry addresses for the layouts of Go 1.16 and 1.17 (magic 0xfffffffa), 1.18 and
 * 1.19 (0xfffffff0) and 1.20 onwards (0xfffffff1). And the Go version from .go.buildinfo.
 * Pure functions over bytes: every offset is checked, the input is untrusted (fuzz_gopclntab).
 */
#ifndef TLSSCOPE_GOPCLNTAB_H
#define TLSSCOPE_GOPCLNTAB_H

#include <stddef.h>
#include <stdint.h>

struct gopcln {
	const uint8_t *tab;
	size_t len;
	unsigned int go; /* 116 (1.16-1.17), 118 (1.18-1.19) or 120 (1.20 on) */
	unsigned int ptr;
	uint64_t nfunc;
	uint64_t text;	  /* where entry offsets count from (1.18 on); 0 before */
	uint64_t names;	  /* funcnametab, from tab */
	uint64_t functab; /* from tab */
};

/* Reads the header of the table at tab. 0, -ENOTSUP (a layout before 1.16) or -EINVAL. */
int gopcln_init(struct gopcln *p, const uint8_t *tab, size_t len);

/* The entry address and end (the next function's entry) of the function called name. */
int gopcln_find(const struct gopcln *p, const char *name, uint64_t *entry, uint64_t *end);

/*
 * The Go version ("go1.19.8") from a .go.buildinfo section (the 1.18 and later form, where
 * the string follows the header). 0 or -ENOENT.
 */
int gopcln_go_version(const uint8_t *info, size_t len, char *out, size_t outlen);

#endif

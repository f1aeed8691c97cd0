/* SPDX-License-Identifier: MIT */
/* Where, in one library file, each probe of an adapter goes, and what it will cost. */
#ifndef TLSSCOPE_SITES_H
#define TLSSCOPE_SITES_H

#include <stdint.h>

#include "insn.h"
#include "tls/adapter.h"

struct probe_site {
	const struct tls_func *fn;
	uint64_t addr;	 /* virtual address in the file */
	uint64_t offset; /* file offset, what a uprobe is placed by */
	enum site_cost cost;
	int searched;  /* not by its own symbol: 1 first call in fn->call_in, 2 adapter's locate */
	char insn[48]; /* the first instruction, as text */
};

#define MAX_SITES 16

struct site_plan {
	struct probe_site sites[MAX_SITES];
	unsigned int n;
	int fallback; /* the preferred sites could not be found */
	char why[96]; /* why not, when fallback */
};

/*
 * Resolves the adapter's preferred sites in the ELF file at path, or else its fallback
 * sites. Optional functions that are missing are left out. Returns 0, or a negative errno
 * when the file is unreadable or not even the fallback resolves. exported_only goes straight
 * to the fallback (the exported API), for comparisons.
 */
int sites_plan(const char *path, const struct tls_adapter *ad, int exported_only,
	       struct site_plan *plan);

struct elf_file;

/*
 * The adapter for the ELF file ef, whose file name or exported API gave ad. A fork that
 * keeps its parent's names is told apart by a function only the fork defines. Returns ad
 * when no fork shares its names.
 */
const struct tls_adapter *sites_adapter(struct elf_file *ef, const struct tls_adapter *ad);

#endif

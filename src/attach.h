/* SPDX-License-Identifier: MIT */
/* Uprobes on TLS library files: once per file (device, inode), never once per process. */
#ifndef TLSSCOPE_ATTACH_H
#define TLSSCOPE_ATTACH_H

#include <bpf/libbpf.h>

#include "discover.h"
#include "record.h"

struct attacher;

struct attacher_opts {
	/* NULL for a dry run (--list): plan the sites, attach nothing, report as if attached */
	struct bpf_program *enter;  /* the entry program every adapter shares */
	struct bpf_program *exit;   /* and the return program */
	struct bpf_program *loader; /* on the dynamic loader's library-change hook */
	int exported_only;	    /* see sites_plan() */
};

struct attacher *attacher__new(const struct attacher_opts *opts);
/* Destroys every link it made; NULL is a no-op. */
void attacher__free(struct attacher *a);
/*
 * Looks at lib's file once (by device and inode) and, when it holds TLS code an adapter can
 * probe, probes every function the adapter lists. *file is set to the file's index in
 * attacher__libs() when it holds TLS code (traced or not), else to -1. Returns the number of
 * probes attached (0 when the file was known or holds no TLS code), or a negative errno when
 * the file could not be read or no probe attached.
 */
int attacher__add(struct attacher *a, const struct found_lib *lib, int *file);
/* Per-file coverage for the stats record; valid until the next attacher__add. */
const struct lib_status *attacher__libs(const struct attacher *a, unsigned int *n);
void attacher__totals(const struct attacher *a, uint64_t *attached, uint64_t *failed);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Which processes run TLS code, and in which files: process id -> the attacher's file
 * indices. It answers "is every TLS-using process traced?" for the stats and metrics.
 */
#ifndef TLSSCOPE_COVERAGE_H
#define TLSSCOPE_COVERAGE_H

#include <stdint.h>

/* A process maps at most this many distinct TLS files; any more are left out. */
#define COVERAGE_FILES 16

struct coverage;

struct coverage *coverage__new(void);
void coverage__free(struct coverage *c);
/* pid runs the TLS code of file (an index the caller defines). 0 or -ENOMEM. */
int coverage__add(struct coverage *c, uint32_t pid, int file);
/* pid exited or replaced its image. */
void coverage__forget(struct coverage *c, uint32_t pid);

/* traced(ctx, file) says whether a file is traced. */
struct coverage_counts {
	unsigned int processes; /* processes that run TLS code */
	unsigned int untraced;	/* of them, those with at least one file not traced */
};
void coverage__count(const struct coverage *c, int (*traced)(void *ctx, int file), void *ctx,
		     struct coverage_counts *out);

#endif

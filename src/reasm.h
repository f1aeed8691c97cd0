/* SPDX-License-Identifier: MIT */
/*
 * Joins the chunks of one TLS call back into one record. The BPF side emits a call's chunks
 * in order, one after the other, and a thread runs one call at a time, so the pending state
 * is keyed by thread: a new call on a thread closes whatever the previous one left open.
 */
#ifndef TLSSCOPE_REASM_H
#define TLSSCOPE_REASM_H

#include <stdint.h>

#include "bpf/abi.h"

/*
 * Called once per call. meta is the call's first chunk (its data[] must not be used);
 * data holds got bytes. got < meta->captured means chunks were lost on the way.
 */
typedef void (*reasm_emit_fn)(void *ctx, const struct data_event *meta, const uint8_t *data,
			      uint32_t got);

struct reasm_opts {
	unsigned int max_pending; /* calls being joined at once; the oldest is closed past it */
	reasm_emit_fn emit;
	void *ctx;
};

struct reasm;

struct reasm *reasm__new(const struct reasm_opts *opts);
void reasm__free(struct reasm *r);
/* e must have passed event_decode(). */
void reasm__push(struct reasm *r, const struct data_event *e);
/* Closes the calls of process pid (0: all), and those last fed before ts (0: any). */
void reasm__flush(struct reasm *r, uint32_t pid, uint64_t before_ts);
/* Chunks that matched no open call (their call's start was lost or already closed). */
uint64_t reasm__orphans(const struct reasm *r);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Records held back until their connection is known. A library over memory BIOs (node,
 * Envoy) does no socket I/O inside its calls, so its records arrive unattributed; the probes
 * bind the ssl to its socket once the ciphertext of its writes goes out (bind_event). Held
 * records of that ssl are then released with the connection, in their order; records that
 * no binding claims within the hold time are released as they came, unattributed.
 */
#ifndef TLSSCOPE_HOLD_H
#define TLSSCOPE_HOLD_H

#include <stdint.h>

#include "bpf/abi.h"

/* Called for every released record; e's fd, attribution and conn say what was learned. */
typedef void (*hold_release_fn)(void *ctx, const struct data_event *e, const uint8_t *data,
				uint32_t got);

struct hold_opts {
	uint64_t hold_ns;   /* how long a record waits for its binding */
	uint64_t max_bytes; /* payload held at most; beyond, the oldest go out unattributed */
	hold_release_fn release;
	void *ctx;
};

struct hold;

struct hold *hold__new(const struct hold_opts *opts);
/* Releases nothing: call hold__flush first. NULL is a no-op. */
void hold__free(struct hold *h);

/*
 * Takes a completed call. An unattributed one is held (copied); an attributed one goes out
 * at once, after the held records of its ssl, which it attributes. now is CLOCK_MONOTONIC ns.
 */
void hold__push(struct hold *h, const struct data_event *e, const uint8_t *data, uint32_t got,
		uint64_t now);
/* The probes bound pid's ssl to a connection: its held records go out attributed. */
void hold__bind(struct hold *h, const struct bind_event *b);
/* Releases the records held longer than hold_ns. */
void hold__expire(struct hold *h, uint64_t now);
/* Releases every record of pid (0: of every process), unattributed. */
void hold__flush(struct hold *h, uint32_t pid);

struct hold_stats {
	uint64_t correlated; /* records attributed after they were held */
	uint64_t expired;    /* records released unattributed */
	uint64_t held;	     /* records held now */
};
void hold__stats(const struct hold *h, struct hold_stats *out);

#endif

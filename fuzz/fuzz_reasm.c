// SPDX-License-Identifier: MIT
/*
 * Chunk-boundary fuzzing of the joiner: the same bytes, cut at fuzzer-chosen points into
 * chunks, must come out as one record with exactly those bytes. Two calls on two threads are
 * cut independently and their chunks interleaved in a fuzzer-chosen order, as chunks from
 * different CPUs arrive. Every chunk goes through event_decode() first, as in the agent.
 *
 * Input: [ncuts_a, ncuts_b, order bits (8 bytes), cuts (2 bytes each)..., payload]. The
 * payload's first half is call A, the rest call B.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "reasm.h"

#define MAX_CUTS 16

struct call {
	uint32_t tid;
	const uint8_t *bytes;
	uint32_t len;
	uint32_t cuts[MAX_CUTS + 2]; /* chunk boundaries, 0 and len included */
	unsigned int ncuts, next;    /* next: the chunk to push next */
	unsigned int emitted;
};

static struct call calls[2];

static void emit(void *ctx, const struct data_event *meta, const uint8_t *data, uint32_t got)
{
	struct call *c = &calls[meta->hdr.tid == calls[1].tid];

	if (meta->hdr.tid != c->tid || got != c->len || meta->captured != c->len ||
	    (got && memcmp(data, c->bytes, got)))
		__builtin_trap();
	c->emitted++;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void cut(struct call *c, unsigned int n, const uint8_t **in)
{
	unsigned int k = 0;

	c->cuts[k++] = 0;
	for (unsigned int i = 0; i < n; i++, *in += 2)
		/* A call that moved no bytes is one empty chunk: the BPF side sends it once. */
		if (c->len)
			c->cuts[k++] = ((*in)[0] | (*in)[1] << 8) % c->len;
	c->cuts[k++] = c->len;
	qsort(c->cuts, k, sizeof(c->cuts[0]), cmp_u32);
	c->ncuts = k;
}

/* Pushes chunk c->next of call c (empty chunks between equal cuts included). */
static void push_next(struct reasm *r, struct call *c, uint64_t seq, uint64_t ts)
{
	uint32_t off = c->cuts[c->next], n = c->cuts[c->next + 1] - off;
	size_t size = sizeof(struct data_event) + n;
	struct data_event *e = calloc(1, size);
	struct event_view v;

	if (!e)
		__builtin_trap();
	e->hdr.type = EV_DATA;
	e->hdr.size = size;
	e->hdr.ts = ts;
	e->hdr.pid = 1;
	e->hdr.tid = c->tid;
	e->hdr.seq = seq;
	e->fd = -1;
	e->len = c->len;
	e->captured = c->len;
	e->offset = off;
	e->chunk_len = n;
	memcpy(e->data, c->bytes + off, n);
	if (event_decode(e, size, &v))
		__builtin_trap();
	reasm__push(r, v.data);
	free(e);
	c->next++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reasm_opts o = {.max_pending = 4, .emit = emit};
	unsigned int na, nb;
	uint64_t order, ts = 1;
	const uint8_t *p = data;
	struct reasm *r;
	size_t plen;

	if (size < 10)
		return 0;
	na = data[0] % (MAX_CUTS + 1);
	nb = data[1] % (MAX_CUTS + 1);
	memcpy(&order, data + 2, sizeof(order));
	p += 10;
	if (size - 10 < 2 * (na + nb))
		return 0;
	plen = size - 10 - 2 * (na + nb);
	if (plen > CHUNK_MAX)
		return 0;
	memset(calls, 0, sizeof(calls));
	calls[0] = (struct call){.tid = 10, .bytes = p + 2 * (na + nb), .len = plen / 2};
	calls[1] = (struct call){
		.tid = 11, .bytes = calls[0].bytes + plen / 2, .len = plen - plen / 2};
	cut(&calls[0], na, &p);
	cut(&calls[1], nb, &p);
	r = reasm__new(&o);
	if (!r)
		return 0;
	/* Interleave: each order bit picks the thread whose next chunk comes next. */
	while (calls[0].next + 1 < calls[0].ncuts || calls[1].next + 1 < calls[1].ncuts) {
		struct call *c = &calls[order & 1];

		order = order >> 1 | order << 63;
		if (c->next + 1 >= c->ncuts)
			c = c == &calls[0] ? &calls[1] : &calls[0];
		push_next(r, c, c->tid * 1000, ts++);
	}
	if (calls[0].emitted != 1 || calls[1].emitted != 1 || reasm__orphans(r))
		__builtin_trap();
	reasm__flush(r, 0, 0);
	if (calls[0].emitted != 1 || calls[1].emitted != 1)
		__builtin_trap();
	reasm__free(r);
	return 0;
}

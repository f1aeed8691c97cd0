// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reasm.h"

struct pending {
	uint8_t *data;
	uint32_t got;
	uint64_t last_ts;
	struct data_event meta; /* last: it ends in a flexible array */
};

struct reasm {
	struct reasm_opts opts;
	struct pending *slots;
	unsigned int n;
	uint64_t orphans;
};

struct reasm *reasm__new(const struct reasm_opts *opts)
{
	struct reasm *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->opts = *opts;
	if (!r->opts.max_pending)
		r->opts.max_pending = 256;
	r->slots = calloc(r->opts.max_pending, sizeof(*r->slots));
	if (!r->slots) {
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	return r;
}

static void close_slot(struct reasm *r, unsigned int i)
{
	struct pending *p = &r->slots[i];

	r->opts.emit(r->opts.ctx, &p->meta, p->data, p->got);
	free(p->data);
	r->slots[i] = r->slots[--r->n];
}

void reasm__free(struct reasm *r)
{
	if (!r)
		return;
	for (unsigned int i = 0; i < r->n; i++)
		free(r->slots[i].data);
	free(r->slots);
	free(r);
}

static int find(const struct reasm *r, uint32_t tid)
{
	for (unsigned int i = 0; i < r->n; i++)
		if (r->slots[i].meta.hdr.tid == tid)
			return i;
	return -1;
}

static void open_slot(struct reasm *r, const struct data_event *e)
{
	struct pending *p;
	unsigned int oldest = 0;

	if (r->n == r->opts.max_pending) {
		for (unsigned int i = 1; i < r->n; i++)
			if (r->slots[i].last_ts < r->slots[oldest].last_ts)
				oldest = i;
		close_slot(r, oldest);
	}
	p = &r->slots[r->n];
	p->data = malloc(e->captured);
	if (!p->data) {
		/* Deliver what this chunk holds rather than nothing. */
		r->opts.emit(r->opts.ctx, e, e->data, e->chunk_len);
		return;
	}
	p->meta = *e;
	memcpy(p->data, e->data, e->chunk_len);
	p->got = e->chunk_len;
	p->last_ts = e->hdr.ts;
	r->n++;
}

void reasm__push(struct reasm *r, const struct data_event *e)
{
	int i = r->n ? find(r, e->hdr.tid) : -1;
	struct pending *p;

	if (i >= 0 &&
	    (r->slots[i].meta.hdr.seq != e->hdr.seq || (e->offset == 0 && r->slots[i].got > 0))) {
		/* The thread moved on (a continuation never restarts at 0): the open call lost
		 * its tail. */
		close_slot(r, i);
		i = -1;
	}
	if (i < 0) {
		if (e->offset != 0) {
			r->orphans++;
			return;
		}
		if (e->chunk_len == e->captured)
			r->opts.emit(r->opts.ctx, e, e->data, e->chunk_len);
		else
			open_slot(r, e);
		return;
	}
	p = &r->slots[i];
	if (e->offset != p->got || e->captured != p->meta.captured ||
	    e->chunk_len > p->meta.captured - p->got) {
		/* Not the continuation this call announced: close it, count the stray chunk. */
		r->orphans++;
		close_slot(r, i);
		return;
	}
	memcpy(p->data + p->got, e->data, e->chunk_len);
	p->got += e->chunk_len;
	p->last_ts = e->hdr.ts;
	if (p->got == p->meta.captured)
		close_slot(r, i);
}

void reasm__flush(struct reasm *r, uint32_t pid, uint64_t before_ts)
{
	unsigned int i = 0;

	while (i < r->n) {
		const struct pending *p = &r->slots[i];

		if ((!pid || p->meta.hdr.pid == pid) && (!before_ts || p->last_ts < before_ts))
			close_slot(r, i); /* the last slot moved into i: look at i again */
		else
			i++;
	}
}

uint64_t reasm__orphans(const struct reasm *r)
{
	return r->orphans;
}

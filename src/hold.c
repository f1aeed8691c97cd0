// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "hold.h"

struct held {
	struct held *next;
	uint64_t arrived;
	uint32_t got;
	struct data_event e; /* the call's header; its data[] holds the payload */
};

/* A FIFO: few records wait at a time (one write's worth per unbound ssl), walked in order. */
struct hold {
	struct hold_opts opts;
	struct held *head, **tail;
	uint64_t bytes;
	struct hold_stats st;
};

struct hold *hold__new(const struct hold_opts *opts)
{
	struct hold *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->opts = *opts;
	h->tail = &h->head;
	return h;
}

void hold__free(struct hold *h)
{
	if (!h)
		return;
	while (h->head) {
		struct held *x = h->head;

		h->head = x->next;
		free(x);
	}
	free(h);
}

/* Unlinks *at (whose node is x) and hands x out; returns what *at now holds. */
static void release(struct hold *h, struct held **at, const struct data_event *bound)
{
	struct held *x = *at;

	*at = x->next;
	if (!x->next)
		h->tail = at;
	h->bytes -= x->got;
	h->st.held--;
	if (bound) {
		x->e.fd = bound->fd;
		x->e.conn = bound->conn;
		x->e.attribution = ATTR_CORRELATED;
		h->st.correlated++;
	} else {
		h->st.expired++;
	}
	h->opts.release(h->opts.ctx, &x->e, x->e.data, x->got);
	free(x);
}

/* Releases pid's held records of ssl, in order; bound (or NULL) says what they get. */
static void release_key(struct hold *h, uint32_t pid, uint64_t ssl, const struct data_event *bound)
{
	struct held **at = &h->head;

	while (*at) {
		if ((*at)->e.hdr.pid == pid && (*at)->e.ssl == ssl)
			release(h, at, bound);
		else
			at = &(*at)->next;
	}
}

void hold__push(struct hold *h, const struct data_event *e, const uint8_t *data, uint32_t got,
		uint64_t now)
{
	struct held *x;

	if (e->attribution != ATTR_UNATTRIBUTED) {
		if (h->head)
			release_key(h, e->hdr.pid, e->ssl, e);
		h->opts.release(h->opts.ctx, e, data, got);
		return;
	}
	x = malloc(sizeof(*x) + got);
	if (!x) { /* never lose a record for want of memory: it goes out as it is */
		h->opts.release(h->opts.ctx, e, data, got);
		return;
	}
	x->next = NULL;
	x->arrived = now;
	x->got = got;
	x->e = *e;
	memcpy(x->e.data, data, got);
	*h->tail = x;
	h->tail = &x->next;
	h->bytes += got;
	h->st.held++;
	while (h->bytes > h->opts.max_bytes && h->head)
		release(h, &h->head, NULL);
}

void hold__bind(struct hold *h, const struct bind_event *b)
{
	struct data_event bound = {.fd = b->fd, .conn = b->conn};

	if (h->head)
		release_key(h, b->hdr.pid, b->ssl, &bound);
}

void hold__expire(struct hold *h, uint64_t now)
{
	while (h->head && now - h->head->arrived >= h->opts.hold_ns)
		release(h, &h->head, NULL);
}

void hold__flush(struct hold *h, uint32_t pid)
{
	struct held **at = &h->head;

	while (*at) {
		if (!pid || (*at)->e.hdr.pid == pid)
			release(h, at, NULL);
		else
			at = &(*at)->next;
	}
}

void hold__stats(const struct hold *h, struct hold_stats *out)
{
	*out = h->st;
}

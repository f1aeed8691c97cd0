// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "events.h"

static const size_t min_size[EV__MAX] = {
	[EV_DATA] = sizeof(struct data_event), [EV_EXEC] = sizeof(struct exec_event),
	[EV_EXIT] = sizeof(struct exit_event), [EV_LIBS] = sizeof(struct libs_event),
	[EV_WIRE] = sizeof(struct wire_event), [EV_BIND] = sizeof(struct bind_event),
};

static int wire_valid(const struct wire_event *e)
{
	/* the record is a fixed-size reservation; len says how much of data[] is used */
	return e->len <= WIRE_SLICE && e->hdr.size >= sizeof(*e) + (size_t)e->len &&
	       (e->family == 2 || e->family == 10);
}

static int data_valid(const struct data_event *e)
{
	if (e->hdr.size != sizeof(*e) + (size_t)e->chunk_len || e->chunk_len > CHUNK_MAX)
		return 0;
	if (e->captured > e->len || e->captured > (__u64)CHUNK_MAX * MAX_CHUNKS ||
	    e->offset > e->captured || e->chunk_len > e->captured - e->offset)
		return 0;
	if (e->dir > DIR_INGRESS || e->attribution > ATTR_CACHED || e->conn.role > ROLE_SERVER)
		return 0;
	return 1;
}

int event_decode(const void *raw, size_t size, struct event_view *v)
{
	const struct event_hdr *h = raw;

	memset(v, 0, sizeof(*v));
	if (size < sizeof(*h) || h->size > size || h->size < sizeof(*h))
		return -EBADMSG;
	if (h->type == 0 || h->type >= EV__MAX)
		return -ENOTSUP;
	if (h->size < min_size[h->type])
		return -EBADMSG;
	v->type = h->type;
	v->hdr = h;
	v->data = raw; /* every member of the union is the same pointer */
	if (h->type == EV_DATA && !data_valid(v->data))
		return -EBADMSG;
	if (h->type == EV_WIRE && !wire_valid(v->wire))
		return -EBADMSG;
	if (h->type == EV_BIND && (v->bind->conn.role > ROLE_SERVER || !v->bind->conn.family))
		return -EBADMSG;
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * The ring-buffer decoder, and the chunk joiner behind it. The input is a run of records laid
 * out as the ring buffer hands them over: each starts 8-aligned and is hdr.size bytes long (or
 * whatever is left, when hdr.size does not fit). Each record is copied to a heap block of
 * exactly its size, so ASan catches a read past it. Records that decode are fed to a reasm
 * the way the agent feeds them (EV_DATA pushed, EV_EXIT flushes the process), with few
 * pending slots so eviction happens.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "reasm.h"

/*
 * reasm allocates a call's captured bytes up front. The BPF side bounds captured by
 * --max-capture (at most 1 GiB); a fuzzed 4 GiB would only measure the allocator.
 */
#define FUZZ_MAX_CAPTURED (1u << 20)

static void emit(void *ctx, const struct data_event *meta, const uint8_t *data, uint32_t got)
{
	uint64_t *sum = ctx;

	if (got > meta->captured || meta->offset != 0 || meta->hdr.type != EV_DATA)
		__builtin_trap();
	/* Touch every byte handed out, so ASan checks them all. */
	for (uint32_t i = 0; i < got; i++)
		*sum += data[i];
}

static void check_view(const struct event_view *v, const void *rec, size_t n)
{
	const struct data_event *d = v->data;

	if ((const void *)v->hdr != rec || v->hdr->size > n || v->type != v->hdr->type)
		__builtin_trap();
	if (v->type != EV_DATA)
		return;
	if (d->hdr.size != sizeof(*d) + (size_t)d->chunk_len || d->chunk_len > CHUNK_MAX ||
	    d->captured > d->len || (uint64_t)d->offset + d->chunk_len > d->captured)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t sum = 0;
	struct reasm_opts o = {.max_pending = 4, .emit = emit, .ctx = &sum};
	struct reasm *r = reasm__new(&o);

	if (!r)
		return 0;
	while (size) {
		struct event_view v;
		size_t n = size, step;
		uint32_t hsize;
		void *rec;

		if (size >= sizeof(struct event_hdr)) {
			memcpy(&hsize, data + 4, sizeof(hsize)); /* hdr.size */
			if (hsize >= sizeof(struct event_hdr) && hsize <= size)
				n = hsize;
		}
		rec = malloc(n);
		if (!rec)
			break;
		memcpy(rec, data, n);
		if (!event_decode(rec, n, &v)) {
			check_view(&v, rec, n);
			if (v.type == EV_DATA && v.data->captured <= FUZZ_MAX_CAPTURED)
				reasm__push(r, v.data);
			else if (v.type == EV_EXIT)
				reasm__flush(r, v.hdr->pid, 0);
			else if (v.type == EV_LIBS)
				reasm__flush(r, 0, v.hdr->ts); /* the agent's stale-call timer */
		}
		free(rec);
		step = (n + 7) & ~(size_t)7;
		if (step >= size)
			break;
		data += step;
		size -= step;
	}
	reasm__flush(r, 0, 0);
	reasm__free(r);
	return 0;
}

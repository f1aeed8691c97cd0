// SPDX-License-Identifier: MIT
/*
 * The HTTP/2 parser, both directions, on the same bytes fed twice: in one piece, and cut where
 * the input says. The two callback traces (hashed; DATA pieces of one frame joined) must be
 * equal. A gap may be placed too, at the same offset in both runs. Each chunk is copied to an
 * allocation of its own size, so reading past one is an ASan finding.
 *
 * Input: byte 0 flags (0x1 small limits, 0x2 a gap, 0x4 the peer's SETTINGS_MAX_FRAME_SIZE
 * known), byte 1 the number of cuts (low 4 bits), bytes 2-3 the gap's offset (little endian),
 * then 2 bytes per cut (offsets, little endian), then the stream. Offsets are taken modulo the
 * stream's length + 1.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/h2.h"

#define MAX_CUTS 15

struct th {
	uint64_t h;
	int data_open;
	uint32_t data_sid;
	uint32_t max_fields;
};

static void mix(struct th *t, const void *p, size_t n)
{
	const uint8_t *s = p;

	for (size_t i = 0; i < n; i++)
		t->h = (t->h ^ s[i]) * 0x100000001b3ull;
}

static void mix32(struct th *t, uint32_t v)
{
	mix(t, &v, sizeof(v));
}

static void close_data(struct th *t)
{
	if (t->data_open)
		mix(t, "\n", 1);
	t->data_open = 0;
}

static void on_frame(void *ctx, uint8_t type, uint8_t flags, uint32_t sid, uint32_t len)
{
	struct th *t = ctx;

	close_data(t);
	mix(t, "F", 1);
	mix(t, &type, 1);
	mix(t, &flags, 1);
	mix32(t, sid);
	mix32(t, len);
}

static void on_headers(void *ctx, uint32_t sid, const struct h2_header *h, size_t n,
		       unsigned int flags)
{
	struct th *t = ctx;

	close_data(t);
	if (n > t->max_fields || (n && !h))
		__builtin_trap();
	mix(t, "H", 1);
	mix32(t, sid);
	mix32(t, flags);
	mix32(t, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		if (h[i].name[h[i].name_len] || h[i].value[h[i].value_len])
			__builtin_trap();
		mix32(t, h[i].name_len);
		mix(t, h[i].name, h[i].name_len);
		mix32(t, h[i].value_len);
		mix(t, h[i].value, h[i].value_len);
	}
}

static void on_data(void *ctx, uint32_t sid, const uint8_t *d, size_t len, int end)
{
	struct th *t = ctx;

	if (len && !d)
		__builtin_trap();
	if (!t->data_open || t->data_sid != sid) {
		close_data(t);
		mix(t, "D", 1);
		mix32(t, sid);
		t->data_open = 1;
		t->data_sid = sid;
	}
	mix(t, d, len);
	if (end) {
		mix(t, "E", 1);
		t->data_open = 0;
	}
}

static void on_rst(void *ctx, uint32_t sid, uint32_t code)
{
	struct th *t = ctx;

	close_data(t);
	mix(t, "R", 1);
	mix32(t, sid);
	mix32(t, code);
}

static void on_goaway(void *ctx, uint32_t last, uint32_t code)
{
	struct th *t = ctx;

	close_data(t);
	mix(t, "G", 1);
	mix32(t, last);
	mix32(t, code);
}

static void on_settings(void *ctx, const struct h2_setting *s, size_t n, int ack)
{
	struct th *t = ctx;

	close_data(t);
	mix(t, "S", 1);
	mix32(t, (uint32_t)ack);
	for (size_t i = 0; i < n; i++) {
		mix32(t, s[i].id);
		mix32(t, s[i].value);
	}
}

static void on_error(void *ctx, enum h2_error e)
{
	struct th *t = ctx;

	if ((unsigned int)e >= H2_ERR__MAX || !h2_error_name(e))
		__builtin_trap();
	close_data(t);
	mix(t, "X", 1);
	mix32(t, e);
}

static const struct h2_callbacks cbs = {
	.on_frame = on_frame,
	.on_headers = on_headers,
	.on_data = on_data,
	.on_rst_stream = on_rst,
	.on_goaway = on_goaway,
	.on_settings = on_settings,
	.on_error = on_error,
};

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static void feed(struct h2_parser *p, const uint8_t *s, size_t n, struct th *t)
{
	uint8_t *c = malloc(n ? n : 1);

	if (!c)
		abort();
	memcpy(c, s, n);
	h2_feed(p, c, n, &cbs, t);
	free(c);
}

/* Feeds s cut at the sorted offsets at[], calling h2_gap() at gap (or never if > n). */
static uint64_t run(enum h2_dir dir, int flags, const uint8_t *s, size_t n, const size_t *at,
		    int nat, size_t gap)
{
	static const struct h2_limits small = {
		.max_header_block = 64,
		.max_header_list = 48,
		.max_fields = 3,
		.max_table_size = 4096,
		.max_streams = 2,
		.resync_window = 1024,
	};
	struct h2_setting mfs = {5, 16384};
	struct h2_parser p;
	struct th t = {.h = 0xcbf29ce484222325ull};
	size_t pos = 0;
	const uint64_t *c;

	if (h2_init(&p, dir, flags & 1 ? &small : NULL))
		return 0;
	t.max_fields = p.lim.max_fields;
	if (flags & 4)
		h2_peer_settings(&p, &mfs, 1);
	for (int i = 0; i <= nat; i++) {
		size_t end = i < nat ? at[i] : n;

		if (gap >= pos && gap < end) {
			feed(&p, s + pos, gap - pos, &t);
			h2_gap(&p);
			pos = gap;
		}
		feed(&p, s + pos, end - pos, &t);
		pos = end;
	}
	if (gap == n)
		h2_gap(&p);
	close_data(&t);
	c = h2_counters(&p);
	if (c[H2_C_BYTES] != n || c[H2_C_PARTIAL_BLOCKS] > c[H2_C_HEADER_BLOCKS])
		__builtin_trap();
	if (p.sb && p.sb_len > p.lim.resync_window + 64)
		__builtin_trap();
	mix(&t, c, sizeof(*c) * H2_C__MAX);
	h2_free(&p);
	return t.h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t at[MAX_CUTS], gap = SIZE_MAX, n;
	const uint8_t *s;
	int flags, nat;

	if (size < 4)
		return 0;
	flags = data[0];
	nat = data[1] & MAX_CUTS;
	if (size < 4 + 2 * (size_t)nat)
		return 0;
	s = data + 4 + 2 * nat;
	n = size - 4 - 2 * nat;
	if (flags & 2)
		gap = (size_t)(data[2] | data[3] << 8) % (n + 1);
	for (int i = 0; i < nat; i++)
		at[i] = (size_t)(data[4 + 2 * i] | data[5 + 2 * i] << 8) % (n + 1);
	qsort(at, (size_t)nat, sizeof(at[0]), cmp_size);
	for (int d = H2_CLIENT; d <= H2_SERVER; d++)
		if (run(d, flags, s, n, NULL, 0, gap) != run(d, flags, s, n, at, nat, gap))
			__builtin_trap();
	return 0;
}

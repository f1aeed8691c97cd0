// SPDX-License-Identifier: MIT
/*
 * Chunk-boundary fuzzing of the HTTP/1 parser: the same bytes fed whole and cut at
 * fuzzer-chosen points must give the same callback trace (hashed; consecutive on_body calls
 * count as one), the same bytes consumed and the same counters, in request and in response
 * mode. Gaps are declared at fuzzer-chosen points too, at the same place in both runs. Every
 * piece is copied to a buffer of its own length, so reading past it is an ASan finding; the
 * hash reads every slice a callback gets, so a slice past its buffer is one too.
 *
 * Input: [flags, max_line, max_headers, kinds (2 bytes), ncuts, cuts (2 bytes each)...,
 * payload]. flags bit 0: h1_eof() at the end. A cut's high bit makes it a gap. kinds: eight
 * 2-bit h1_response_to() entries queued before a response run (3: none).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http1.h"

#define HDR	 6
#define MAX_CUTS 24

struct cut {
	size_t pos;
	int gap;
};

struct run {
	struct h1_parser p;
	uint64_t hash;
	int in_body, in_msg, headers_done;
	uint64_t body_seen; /* on_body bytes of the message in progress */
	size_t consumed;
	int stopped;
};

static void mix(struct run *r, const void *p, size_t n)
{
	const uint8_t *s = p;

	for (size_t i = 0; i < n; i++)
		r->hash = (r->hash ^ s[i]) * 0x100000001b3ULL;
}

static void tag(struct run *r, uint8_t t)
{
	r->in_body = 0;
	mix(r, &t, 1);
}

static void mix_str(struct run *r, struct h1_str s)
{
	mix(r, &s.len, sizeof(s.len));
	mix(r, s.p, s.len);
}

static void start(struct run *r)
{
	r->in_msg = 1;
	r->headers_done = 0;
	r->body_seen = 0;
}

static void on_request(void *ctx, struct h1_str method, struct h1_str target, int minor)
{
	struct run *r = ctx;

	if (!method.len || !target.len || minor < 0 || minor > 9)
		__builtin_trap();
	start(r);
	tag(r, 'Q');
	mix_str(r, method);
	mix_str(r, target);
	mix(r, &minor, sizeof(minor));
	/* a callback may stop the parser: where it stops must not depend on the cuts either */
	if (method.len == 4 && !memcmp(method.p, "QUIT", 4))
		h1_stop(&r->p);
}

static void on_response(void *ctx, int status, struct h1_str reason, int minor)
{
	struct run *r = ctx;

	if (status < 100 || status > 999 || minor < 0 || minor > 9)
		__builtin_trap();
	start(r);
	tag(r, 'S');
	mix(r, &status, sizeof(status));
	mix_str(r, reason);
	mix(r, &minor, sizeof(minor));
}

static void field(struct run *r, uint8_t t, struct h1_str name, struct h1_str value)
{
	if (!r->in_msg || !name.len || name.len + value.len > r->p.max_line)
		__builtin_trap();
	tag(r, t);
	mix_str(r, name);
	mix_str(r, value);
}

static void on_header(void *ctx, struct h1_str name, struct h1_str value)
{
	struct run *r = ctx;

	if (r->headers_done)
		__builtin_trap();
	field(r, 'H', name, value);
}

static void on_trailer(void *ctx, struct h1_str name, struct h1_str value)
{
	struct run *r = ctx;

	if (!r->headers_done)
		__builtin_trap();
	field(r, 'T', name, value);
}

static void on_headers_done(void *ctx, const struct h1_head *h)
{
	struct run *r = ctx;
	uint8_t v[6] = {h->body,    h->has_content_length, h->keep_alive, h->upgrade, h->stops,
			h->req_kind};

	if (!r->in_msg || r->headers_done || h->body > H1_BODY_UNTIL_EOF ||
	    (h->has_content_length && h->content_length > H1_MAX_BODY_LEN))
		__builtin_trap();
	r->headers_done = 1;
	tag(r, 'D');
	mix(r, v, sizeof(v));
	mix(r, &h->content_length, sizeof(h->content_length));
}

static void on_body(void *ctx, const uint8_t *data, size_t len)
{
	struct run *r = ctx;

	if (!len || !r->headers_done)
		__builtin_trap();
	if (!r->in_body)
		tag(r, 'B');
	r->in_body = 1;
	r->body_seen += len;
	mix(r, data, len);
}

static void on_message_done(void *ctx, uint64_t body_len)
{
	struct run *r = ctx;

	if (!r->headers_done || body_len != r->body_seen)
		__builtin_trap();
	r->in_msg = 0;
	tag(r, 'E');
	mix(r, &body_len, sizeof(body_len));
}

static void on_error(void *ctx, enum h1_error cause)
{
	struct run *r = ctx;

	if (!h1_error_name(cause))
		__builtin_trap();
	r->in_msg = 0;
	tag(r, 'X');
	mix(r, &cause, sizeof(cause));
}

static const struct h1_callbacks cbs = {
	.on_request = on_request,
	.on_response = on_response,
	.on_header = on_header,
	.on_headers_done = on_headers_done,
	.on_body = on_body,
	.on_trailer = on_trailer,
	.on_message_done = on_message_done,
	.on_error = on_error,
};

static void feed(struct run *r, const uint8_t *data, size_t n)
{
	uint8_t *copy;
	ssize_t got;

	if (r->stopped)
		return;
	copy = malloc(n ? n : 1);
	if (!copy)
		__builtin_trap();
	memcpy(copy, data, n);
	got = h1_feed(&r->p, copy, n, &cbs, r);
	free(copy);
	if (got == H1_STOPPED) {
		r->stopped = 1;
		return;
	}
	if (got < 0 || (size_t)got > n)
		__builtin_trap();
	r->consumed += (size_t)got;
	if ((size_t)got < n) {
		if (!h1_stopped(&r->p))
			__builtin_trap();
		r->stopped = 1;
	}
}

/* Feeds the payload cut at every cut (all: 1) or at the gaps only (all: 0). */
static void run(struct run *r, enum h1_mode mode, const struct h1_limits *lim, uint16_t kinds,
		int eof, const uint8_t *s, size_t n, const struct cut *cuts, unsigned int ncuts,
		int all)
{
	size_t at = 0;

	memset(r, 0, sizeof(*r));
	r->hash = 0xcbf29ce484222325ULL;
	if (h1_init(&r->p, mode, lim))
		__builtin_trap();
	for (int i = 0; mode == H1_RESPONSE && i < 8; i++)
		if (((kinds >> (2 * i)) & 3) != 3)
			h1_response_to(&r->p, (enum h1_req_kind)((kinds >> (2 * i)) & 3));
	for (unsigned int i = 0; i < ncuts; i++) {
		if (!all && !cuts[i].gap)
			continue;
		feed(r, s + at, cuts[i].pos - at);
		at = cuts[i].pos;
		if (cuts[i].gap) {
			tag(r, 'G');
			h1_gap(&r->p, &cbs, r);
		}
	}
	feed(r, s + at, n - at);
	if (eof) {
		tag(r, 'F');
		h1_eof(&r->p, &cbs, r);
	}
}

static int cmp_cut(const void *a, const void *b)
{
	const struct cut *x = a, *y = b;

	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return x->gap - y->gap;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cut cuts[MAX_CUTS];
	struct h1_limits lim = {0};
	static struct run whole, cut;
	unsigned int ncuts;
	uint16_t kinds;
	const uint8_t *s;
	size_t n;
	int eof;

	if (size < HDR)
		return 0;
	eof = data[0] & 1;
	lim.max_line = data[1] ? 16u + data[1] : 0;
	lim.max_headers = data[2] ? (data[2] & 15u) + 1 : 0;
	kinds = (uint16_t)(data[3] | data[4] << 8);
	ncuts = data[5] % (MAX_CUTS + 1);
	if (size < HDR + 2 * (size_t)ncuts)
		return 0;
	s = data + HDR + 2 * ncuts;
	n = size - HDR - 2 * ncuts;
	for (unsigned int i = 0; i < ncuts; i++) {
		unsigned int v = data[HDR + 2 * i] | data[HDR + 2 * i + 1] << 8;

		cuts[i].pos = (v & 0x7fff) % (n + 1);
		cuts[i].gap = v >> 15;
	}
	qsort(cuts, ncuts, sizeof(cuts[0]), cmp_cut);

	for (int mode = H1_REQUEST; mode <= H1_RESPONSE; mode++) {
		run(&whole, mode, &lim, kinds, eof, s, n, cuts, ncuts, 0);
		run(&cut, mode, &lim, kinds, eof, s, n, cuts, ncuts, 1);
		if (whole.hash != cut.hash || whole.consumed != cut.consumed ||
		    h1_stopped(&whole.p) != h1_stopped(&cut.p) ||
		    memcmp(h1_counters(&whole.p), h1_counters(&cut.p),
			   H1_C__MAX * sizeof(uint64_t)))
			__builtin_trap();
		h1_free(&whole.p);
		h1_free(&cut.p);
	}
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * The HTTP pairing layer (http.c) over fuzzer-chosen request and response streams. The same
 * bytes, fed whole or cut into records at fuzzer-chosen points, must give the same http
 * records (their JSON, with one timestamp for all), when the request stream begins with a
 * request line and the response stream like a response (starts_response): where a stream
 * joined in the middle is first taken for HTTP depends on where its records begin, by design. A
 * record may also be marked as having lost its tail; then, as for other streams, only the absence
 * of crashes, leaks and unbounded memory is checked.
 *
 * Input: two_streams.h (the request and the response stream).
 * flags bit 0: server end (requests are read, not written); bit 1: mark the last request
 * record as having lost 1000 more bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "http.h"
#include "sink/sink.h"
#include "two_streams.h"

static uint64_t hash;
static struct buf json;

static void on_http(void *ctx, const struct http_record *r)
{
	(void)ctx;
	buf_reset(&json);
	json_format_http(&json, r);
	if (getenv("FUZZ_SHOW")) /* to see what differs when a run traps */
		fwrite(json.p, 1, json.len, stderr);
	for (size_t i = 0; i < json.len; i++)
		hash = (hash ^ (uint8_t)json.p[i]) * 1099511628211ull;
}

static void feed(struct http_tracker *t, const struct conn_tuple *c, enum data_dir dir,
		 const uint8_t *p, size_t n, const uint16_t *cuts, unsigned int ncuts, int lose)
{
	size_t at = 0;

	for (unsigned int i = 0; i <= ncuts && at < n; i++) {
		size_t end = i < ncuts ? at + 1 + cuts[i] % 512 : n;
		struct data_record d = {
			.ts = 1, .pid = 1, .tid = 1, .comm = "f", .fd = 3, .conn = c, .dir = dir};

		if (end > n)
			end = n;
		d.data = p + at;
		d.len = d.captured = end - at;
		if (lose && end == n) {
			d.len += 1000;
			d.truncated = TRUNC_LOST;
		}
		http_data(t, &d, 1);
		at = end;
	}
}

static uint64_t run(const struct conn_tuple *c, const uint8_t *req, size_t nreq,
		    const uint8_t *resp, size_t nresp, const uint16_t *cuts, unsigned int ncuts,
		    int lose)
{
	struct http_tracker *t = http_new(4, 1, 16, on_http, NULL);
	int server = c->role == ROLE_SERVER;

	hash = 14695981039346656037ull;
	if (!t)
		abort();
	if (getenv("FUZZ_SHOW"))
		fprintf(stderr, "--- run with %u cuts\n", ncuts);
	feed(t, c, server ? DIR_INGRESS : DIR_EGRESS, req, nreq, cuts, ncuts, lose);
	feed(t, c, server ? DIR_EGRESS : DIR_INGRESS, resp, nresp, cuts, ncuts, 0);
	http_flush(t);
	http_free(t);
	return hash;
}

/* A method (A-Z, at most 15) and a space, as http.c takes a request stream's start. */
static int starts_request(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && i < 16 && p[i] >= 'A' && p[i] <= 'Z')
		i++;
	return i > 0 && i < 16 && i < n && p[i] == ' ';
}

/*
 * The response stream begins like one: empty, a status line, or (after an HTTP/2 preface) a
 * frame header of type SETTINGS. A stream that begins with anything else is recognised, if
 * at all, where a record begins with a message start, as when joining a connection midway:
 * where the records begin matters there by design.
 */
static int starts_response(const uint8_t *p, size_t n, const uint8_t *req, size_t nreq)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

	if (!n || (n >= 7 && !memcmp(p, "HTTP/1.", 7)))
		return 1;
	return nreq >= sizeof(preface) - 1 && !memcmp(req, preface, sizeof(preface) - 1) &&
	       n >= 9 && p[3] == 4;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conn_tuple c = {.laddr = {10, 0, 0, 1},
			       .raddr = {10, 0, 0, 2},
			       .lport = 5000,
			       .rport = 443,
			       .family = AF_INET};
	struct two_streams in;
	int lose;

	if (two_streams_parse(data, size, &in))
		return 0;
	c.role = in.flags & 1 ? ROLE_SERVER : ROLE_CLIENT;
	lose = !!(in.flags & 2);
	if (lose || !starts_request(in.req, in.nreq) ||
	    !starts_response(in.resp, in.nresp, in.req, in.nreq)) {
		run(&c, in.req, in.nreq, in.resp, in.nresp, in.cuts, in.ncuts, lose);
		return 0;
	}
	if (run(&c, in.req, in.nreq, in.resp, in.nresp, in.cuts, 0, 0) !=
	    run(&c, in.req, in.nreq, in.resp, in.nresp, in.cuts, in.ncuts, 0))
		__builtin_trap();
	return 0;
}

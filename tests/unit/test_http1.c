// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "check.h"
#include "proto/http1.h"
#include "util/buf.h"

/*
 * Every callback appends one line to a text trace, so a test states the exact sequence it
 * expects. Consecutive on_body calls join into one "B" line: how a body is split between
 * calls depends on the feeds, the bytes do not.
 */
struct trace {
	struct buf b;
	int in_body;
	size_t body_calls;
};

static void end_body(struct trace *t)
{
	if (t->in_body)
		buf_putc(&t->b, '\n');
	t->in_body = 0;
}

static void put_str(struct trace *t, struct h1_str s)
{
	buf_put(&t->b, s.p, s.len);
}

static void t_request(void *ctx, struct h1_str method, struct h1_str target, int minor)
{
	struct trace *t = ctx;

	end_body(t);
	buf_puts(&t->b, "REQ ");
	put_str(t, method);
	buf_putc(&t->b, ' ');
	put_str(t, target);
	buf_printf(&t->b, " 1.%d\n", minor);
}

static void t_response(void *ctx, int status, struct h1_str reason, int minor)
{
	struct trace *t = ctx;

	end_body(t);
	buf_printf(&t->b, "RESP 1.%d %d ", minor, status);
	put_str(t, reason);
	buf_putc(&t->b, '\n');
}

static void t_field(struct trace *t, const char *tag, struct h1_str name, struct h1_str value)
{
	end_body(t);
	buf_puts(&t->b, tag);
	put_str(t, name);
	buf_puts(&t->b, ": ");
	put_str(t, value);
	buf_putc(&t->b, '\n');
}

static void t_header(void *ctx, struct h1_str name, struct h1_str value)
{
	t_field(ctx, "H ", name, value);
}

static void t_trailer(void *ctx, struct h1_str name, struct h1_str value)
{
	t_field(ctx, "T ", name, value);
}

static void t_headers_done(void *ctx, const struct h1_head *h)
{
	static const char *const body[] = {"none", "length", "chunked", "eof"};
	static const char *const kind[] = {"other", "head", "connect"};
	struct trace *t = ctx;

	end_body(t);
	buf_printf(&t->b, "HD %s", body[h->body]);
	if (h->has_content_length)
		buf_printf(&t->b, " cl=%llu", (unsigned long long)h->content_length);
	buf_printf(&t->b, "%s%s%s", h->keep_alive ? " ka" : "", h->upgrade ? " upgrade" : "",
		   h->stops ? " stops" : "");
	if (h->req_kind != H1_REQ_OTHER)
		buf_printf(&t->b, " %s", kind[h->req_kind]);
	buf_putc(&t->b, '\n');
}

static void t_body(void *ctx, const uint8_t *data, size_t len)
{
	struct trace *t = ctx;

	if (!t->in_body)
		buf_puts(&t->b, "B ");
	t->in_body = 1;
	t->body_calls++;
	/* 0 would be a contract breach: make it visible */
	if (!len)
		buf_puts(&t->b, "<empty on_body>");
	buf_put(&t->b, data, len);
}

static void t_done(void *ctx, uint64_t body_len)
{
	struct trace *t = ctx;

	end_body(t);
	buf_printf(&t->b, "DONE %llu\n", (unsigned long long)body_len);
}

static void t_error(void *ctx, enum h1_error cause)
{
	struct trace *t = ctx;

	end_body(t);
	buf_printf(&t->b, "ERR %s\n", h1_error_name(cause));
}

static const struct h1_callbacks tcb = {
	.on_request = t_request,
	.on_response = t_response,
	.on_header = t_header,
	.on_headers_done = t_headers_done,
	.on_body = t_body,
	.on_trailer = t_trailer,
	.on_message_done = t_done,
	.on_error = t_error,
};

/* A parser, its trace and how a run went: compared whole between two ways of feeding. */
struct run {
	struct h1_parser p;
	struct trace t;
	size_t consumed; /* total of h1_feed's answers */
	int stopped;	 /* a feed answered less than its length, or H1_STOPPED */
};

struct opts {
	enum h1_mode mode;
	const char *kinds; /* h1_response_to() before feeding: 'o'ther, 'h'ead, 'c'onnect */
	struct h1_limits lim;
	int eof;   /* h1_eof() after the last feed */
	int guard; /* pieces end at a guard page (else malloc'd to their size) */
};

static void run_init(struct run *r, const struct opts *o)
{
	memset(r, 0, sizeof(*r));
	if (h1_init(&r->p, o->mode, &o->lim))
		abort();
	for (const char *k = o->kinds; k && *k; k++)
		h1_response_to(&r->p, *k == 'h'	  ? H1_REQ_HEAD
				      : *k == 'c' ? H1_REQ_CONNECT
						  : H1_REQ_OTHER);
}

/* Feeds one piece from its own copy; returns 0 once the parser has stopped. */
static int run_feed(struct run *r, const struct opts *o, const void *p, size_t n)
{
	uint8_t *copy;
	ssize_t got;

	if (r->stopped)
		return 0;
	if (o->guard) {
		copy = guard_copy(p, n);
	} else {
		copy = malloc(n ? n : 1);
		if (!copy)
			abort();
		memcpy(copy, p, n);
	}
	got = h1_feed(&r->p, copy, n, &tcb, &r->t);
	if (!o->guard)
		free(copy);
	if (got == H1_STOPPED) {
		r->stopped = 1;
		return 0;
	}
	r->consumed += (size_t)got;
	if ((size_t)got < n)
		r->stopped = 1;
	return !r->stopped;
}

static int run_feed_str(struct run *r, const struct opts *o, const char *s)
{
	return run_feed(r, o, s, strlen(s));
}

static void run_end(struct run *r, const struct opts *o)
{
	if (o->eof)
		h1_eof(&r->p, &tcb, &r->t);
	end_body(&r->t);
	buf_putc(&r->t.b, '\0');
}

static void run_free(struct run *r)
{
	h1_free(&r->p);
	buf_free(&r->t.b);
}

/* Feeds s at the sorted cut points (each in [0, n]) and ends the run. */
static void run_cuts(struct run *r, const struct opts *o, const void *s, size_t n,
		     const size_t *cuts, size_t ncuts)
{
	size_t at = 0;

	run_init(r, o);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : n;

		run_feed(r, o, (const uint8_t *)s + at, end - at);
		at = end;
	}
	run_end(r, o);
}

static int same_run(struct run *a, struct run *b)
{
	return CHECK_STR_EQ(a->t.b.p, b->t.b.p) && CHECK_EQ_U64(a->consumed, b->consumed) &&
	       CHECK_EQ_U64(a->stopped, b->stopped) &&
	       CHECK(!memcmp(h1_counters(&a->p), h1_counters(&b->p), H1_C__MAX * sizeof(uint64_t)));
}

/* The trace of s fed whole, checked against want; returns the run for further checks. */
static int expect(struct run *r, const struct opts *o, const char *s, const char *want)
{
	run_cuts(r, o, s, strlen(s), NULL, 0);
	return CHECK_STR_EQ(r->t.b.p, want);
}

static void expect_once(const struct opts *o, const char *s, const char *want)
{
	struct run r;

	expect(&r, o, s, want);
	run_free(&r);
}

/*
 * s fed whole, byte by byte, cut once at every point (pieces at guard pages) and, when
 * pairs is set, cut twice at every pair of points: every trace equals the whole one.
 */
static void check_invariance(const struct opts *o, const char *s, int pairs)
{
	size_t n = strlen(s), cuts[2];
	struct opts g = *o;
	struct run whole, r;
	int bad = 0;

	g.guard = 1;
	run_cuts(&whole, &g, s, n, NULL, 0);
	run_init(&r, &g);
	for (size_t i = 0; i < n; i++)
		run_feed(&r, &g, s + i, 1);
	run_end(&r, &g);
	if (!same_run(&whole, &r))
		bad = 1;
	if (!CHECK(r.t.body_calls >= whole.t.body_calls))
		bad = 1;
	run_free(&r);
	for (size_t i = 0; i <= n && !bad; i++) {
		cuts[0] = i;
		run_cuts(&r, &g, s, n, cuts, 1);
		if (!same_run(&whole, &r)) {
			fprintf(stderr, "    cut at %zu\n", i);
			bad = 1;
		}
		run_free(&r);
	}
	g.guard = 0;
	for (size_t i = 0; pairs && i <= n && !bad; i++) {
		for (size_t j = i; j <= n && !bad; j++) {
			cuts[0] = i, cuts[1] = j;
			run_cuts(&r, &g, s, n, cuts, 2);
			if (!same_run(&whole, &r)) {
				fprintf(stderr, "    cuts at %zu and %zu\n", i, j);
				bad = 1;
			}
			run_free(&r);
		}
	}
	run_free(&whole);
}

static const struct opts req = {.mode = H1_REQUEST, .guard = 1};
static const struct opts resp = {.mode = H1_RESPONSE, .guard = 1};

/* What curl 7.88 sends and nginx 1.22 answers, bodies shortened. */
#define CURL_GET                                                                                   \
	"GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/7.88.1\r\n"             \
	"Accept: */*\r\n\r\n"
#define NGINX_200                                                                                  \
	"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 03 Jun 2024 10:00:00 GMT\r\n"       \
	"Content-Type: text/html\r\nContent-Length: 13\r\nConnection: keep-alive\r\n"              \
	"ETag: \"665d9400-d\"\r\n\r\n<html></html>"
#define NGINX_200_HEAD                                                                             \
	"RESP 1.1 200 OK\nH Server: nginx/1.22.1\nH Date: Mon, 03 Jun 2024 10:00:00 GMT\n"         \
	"H Content-Type: text/html\nH Content-Length: 13\nH Connection: keep-alive\n"              \
	"H ETag: \"665d9400-d\"\n"

TEST(get_request)
{
	expect_once(&req, CURL_GET,
		    "REQ GET /index.html 1.1\nH Host: example.com\nH User-Agent: curl/7.88.1\n"
		    "H Accept: */*\nHD none ka\nDONE 0\n");
}

TEST(response_content_length)
{
	struct run r;

	if (expect(&r, &resp, NGINX_200,
		   NGINX_200_HEAD "HD length cl=13 ka\nB <html></html>\nDONE 13\n"))
		CHECK_EQ_U64(r.consumed, strlen(NGINX_200));
	CHECK_EQ_U64(h1_counters(&r.p)[H1_C_MESSAGES], 1);
	CHECK_EQ_U64(h1_counters(&r.p)[H1_C_UNPAIRED], 1);
	run_free(&r);
}

TEST(post_with_body)
{
	expect_once(&req,
		    "POST /api/v1/items?x=1 HTTP/1.1\r\nHost: api.example.com\r\n"
		    "Content-Type: application/json\r\ncontent-length:  13 \r\n\r\n"
		    "{\"name\":\"ab\"}",
		    "REQ POST /api/v1/items?x=1 1.1\nH Host: api.example.com\n"
		    "H Content-Type: application/json\nH content-length: 13\n"
		    "HD length cl=13 ka\nB {\"name\":\"ab\"}\nDONE 13\n");
}

TEST(chunked_with_extensions_and_trailers)
{
	expect_once(&resp,
		    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n"
		    "Content-Length: 999\r\nTrailer: Expires\r\n\r\n"
		    "5;name=value\r\nhello\r\n"
		    "19 \r\n, world, in twenty six b.\r\n"
		    "0\r\nExpires: Wed, 21 Oct 2015 07:28:00 GMT\r\nX-Sum: 42\r\n\r\n",
		    "RESP 1.1 200 OK\nH Transfer-Encoding: gzip, Chunked\nH Content-Length: 999\n"
		    "H Trailer: Expires\nHD chunked cl=999 ka\n"
		    "B hello, world, in twenty six b.\n"
		    "T Expires: Wed, 21 Oct 2015 07:28:00 GMT\nT X-Sum: 42\nDONE 30\n");
}

TEST(chunked_request)
{
	expect_once(&req,
		    "PUT /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "3\r\nabc\r\n0\r\n\r\nGET /next HTTP/1.1\r\n\r\n",
		    "REQ PUT /up 1.1\nH Transfer-Encoding: chunked\nHD chunked ka\nB abc\n"
		    "DONE 3\nREQ GET /next 1.1\nHD none ka\nDONE 0\n");
}

TEST(pipelined_requests)
{
	expect_once(&req,
		    "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
		    "HEAD /b HTTP/1.1\r\nHost: h\r\n\r\n"
		    "\r\n" /* a stray CRLF between messages is skipped (RFC 9112 2.2) */
		    "POST /c HTTP/1.1\r\nContent-Length: 2\r\n\r\nok"
		    "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"
		    "OPTIONS * HTTP/1.0\nConnection: keep-alive\n\n",
		    "REQ GET /a 1.1\nH Host: h\nHD none ka\nDONE 0\n"
		    "REQ HEAD /b 1.1\nH Host: h\nHD none ka head\nDONE 0\n"
		    "REQ POST /c 1.1\nH Content-Length: 2\nHD length cl=2 ka\nB ok\nDONE 2\n"
		    "REQ CONNECT example.com:443 1.1\nH Host: example.com:443\n"
		    "HD none ka connect\nDONE 0\n"
		    "REQ OPTIONS * 1.0\nH Connection: keep-alive\nHD none ka\nDONE 0\n");
}

/* Three keep-alive messages, each framed differently: a length, chunks, none. */
#define THREE_REQUESTS                                                                             \
	"POST /form HTTP/1.1\r\nHost: example.com\r\nContent-Length: 7\r\n\r\na=1&b=2"             \
	"PUT /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nabcd\r\n0\r\nT: v\r\n\r\n" \
	"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"
#define THREE_RESPONSES                                                                            \
	"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"                                        \
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"                                    \
	"3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-T: 1\r\n\r\n"                                \
	"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n"

TEST(split_invariance_requests)
{
	check_invariance(&req, THREE_REQUESTS, 1);
}

TEST(split_invariance_responses)
{
	check_invariance(&resp, THREE_RESPONSES, 1);
}

TEST(split_invariance_small_limits)
{
	/* lines near max_line, too many fields, a resync: errors land where the bytes say */
	struct opts o = resp;

	o.lim.max_line = 20;
	o.lim.max_headers = 2;
	check_invariance(&o,
			 "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n"
			 "HTTP/1.1 200 OK\r\nA: 123456789012345\r\nB: 1\r\n\r\n"
			 "HTTP/1.1 200 OK\r\nA: 1234567890123456\r\n\r\n"
			 "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"
			 "garbage garbage garbage garbage HTTP/1.1 204 No\r\n\r\n"
			 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "00000000000000000000001\r\nx\r\n0\r\n\r\n",
			 1);
	o.eof = 1;
	check_invariance(&o, "HTTP/1.0 200 OK\r\n\r\nuntil the end\r\nHTTP/1.1 200 OK\r\n\r\n", 1);
}

TEST(split_invariance_after_errors)
{
	check_invariance(&resp,
			 "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
			 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
			 "{\"a\":1}HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
			 "HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n"
			 "x\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nY",
			 1);
	check_invariance(&req,
			 "GET  /double-space HTTP/1.1\r\n\r\n"
			 "{\"k\":\"v\"}GET /ok HTTP/1.1\r\n\r\n"
			 "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"
			 "xyzGET /found HTTP/1.1\r\n\r\n",
			 1);
}

TEST(head_response_has_no_body)
{
	struct opts o = resp;

	o.kinds = "ho";
	expect_once(&o,
		    "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
		    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
		    "RESP 1.1 200 OK\nH Content-Length: 1234\nHD none cl=1234 ka head\nDONE 0\n"
		    "RESP 1.1 200 OK\nH Content-Length: 2\nHD length cl=2 ka\nB hi\nDONE 2\n");
	/* also without a length, and chunked: nothing follows the header block */
	o.kinds = "hh";
	expect_once(&o,
		    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "HTTP/1.0 200 OK\r\n\r\n",
		    "RESP 1.1 200 OK\nH Transfer-Encoding: chunked\nHD none ka head\nDONE 0\n"
		    "RESP 1.0 200 OK\nHD none head\nDONE 0\n");
}

/* The pairing layer may queue the kind from on_response, before the header block ends. */
static struct h1_parser *pair_p;

static void pair_response(void *ctx, int status, struct h1_str reason, int minor)
{
	if (status >= 200)
		h1_response_to(pair_p, H1_REQ_HEAD);
	t_response(ctx, status, reason, minor);
}

TEST(response_to_from_callback)
{
	struct h1_callbacks cb = tcb;
	struct trace t = {0};
	struct h1_parser p;
	const char *s = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";

	cb.on_response = pair_response;
	if (!CHECK(!h1_init(&p, H1_RESPONSE, NULL)))
		return;
	pair_p = &p;
	CHECK_EQ_U64(h1_feed(&p, guard_copy(s, strlen(s)), strlen(s), &cb, &t), strlen(s));
	buf_putc(&t.b, 0);
	CHECK_STR_EQ(t.b.p, "RESP 1.1 100 Continue\nHD none ka\nDONE 0\n"
			    "RESP 1.1 200 OK\nH Content-Length: 5\nHD none cl=5 ka head\nDONE 0\n");
	CHECK_EQ_U64(p.pend_n, 0);
	CHECK_EQ_U64(h1_counters(&p)[H1_C_UNPAIRED], 0);
	h1_free(&p);
	buf_free(&t.b);
}

TEST(continue_then_final)
{
	struct opts o = resp;

	o.kinds = "o";
	expect_once(&o,
		    "HTTP/1.1 100 Continue\r\n\r\n"
		    "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
		    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
		    "RESP 1.1 100 Continue\nHD none ka\nDONE 0\n"
		    "RESP 1.1 103 Early Hints\nH Link: </s.css>; rel=preload\nHD none ka\nDONE 0\n"
		    "RESP 1.1 200 OK\nH Content-Length: 3\nHD length cl=3 ka\nB abc\nDONE 3\n");
}

TEST(no_content_and_not_modified)
{
	struct run r;

	expect(&r, &resp,
	       "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"
	       "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"
	       "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
	       "RESP 1.1 204 No Content\nH Content-Length: 10\nHD none cl=10 ka\nDONE 0\n"
	       "RESP 1.1 304 Not Modified\nH Transfer-Encoding: chunked\nHD none ka\nDONE 0\n"
	       "RESP 1.1 200 \nH Content-Length: 0\nHD length cl=0 ka\nDONE 0\n");
	CHECK_EQ_U64(h1_counters(&r.p)[H1_C_MESSAGES], 3);
	run_free(&r);
}

TEST(body_until_close)
{
	struct opts o = resp;
	struct run r;

	o.eof = 1;
	/* Everything after the header block is body, even what looks like a message. */
	expect_once(&o,
		    "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nline 1\r\n"
		    "HTTP/1.1 200 OK\r\n\r\n",
		    "RESP 1.1 200 OK\nH Connection: close\nHD eof\n"
		    "B line 1\r\nHTTP/1.1 200 OK\r\n\r\n\nDONE 27\n");
	expect_once(&o, "HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6\r\n\r\n<pre>",
		    "RESP 1.0 200 OK\nH Server: SimpleHTTP/0.6\nHD eof\nB <pre>\nDONE 5\n");
	/* "chunked" not last: the server closes to end the body */
	expect_once(&o, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n\x1f\x8b",
		    "RESP 1.1 200 OK\nH Transfer-Encoding: chunked, gzip\nHD eof\n"
		    "B \x1f\x8b\nDONE 2\n");
	/* eof with a length not reached: truncated */
	expect(&r, &o, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
	       "RESP 1.1 200 OK\nH Content-Length: 10\nHD length cl=10 ka\nB abc\n"
	       "ERR truncated\n");
	CHECK_EQ_U64(h1_counters(&r.p)[H1_C_ERR_TRUNCATED], 1);
	run_free(&r);
	/* HTTP/1.0 keep-alive with a length is not read until close */
	expect_once(&o, "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\n1",
		    "RESP 1.0 200 OK\nH Connection: Keep-Alive\nH Content-Length: 1\n"
		    "HD length cl=1 ka\nB 1\nDONE 1\n");
}

#define WS_101                                                                                     \
	"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"        \
	"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"

TEST(upgrade_stops)
{
	const char *s = WS_101 "\x81\x05hello";
	size_t n = strlen(s);
	struct opts o = resp;
	struct run r;

	o.kinds = "o";
	expect(&r, &o, s,
	       "RESP 1.1 101 Switching Protocols\nH Upgrade: websocket\nH Connection: Upgrade\n"
	       "H Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\nHD none upgrade stops\n"
	       "DONE 0\n");
	CHECK_EQ_U64(r.consumed, strlen(WS_101));
	CHECK(r.stopped && h1_stopped(&r.p));
	CHECK_EQ_U64(h1_feed(&r.p, guard_copy(s, n), n, &tcb, &r.t), (uint64_t)H1_STOPPED);
	CHECK_EQ_U64(h1_counters(&r.p)[H1_C_STOPS], 1);
	CHECK_EQ_U64(r.p.pend_n, 0);
	run_free(&r);
	check_invariance(&o, s, 0);

	/* the request side: the pairing layer stops it once the 101 is seen */
	expect(&r, &req,
	       "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
	       "REQ GET /chat 1.1\nH Host: h\nH Upgrade: websocket\nH Connection: Upgrade\n"
	       "HD none ka upgrade\nDONE 0\n");
	h1_stop(&r.p);
	CHECK(h1_stopped(&r.p));
	CHECK_EQ_U64(h1_feed(&r.p, guard_copy("\x81\x85", 2), 2, &tcb, &r.t), (uint64_t)H1_STOPPED);
	CHECK_EQ_U64(h1_counters(&r.p)[H1_C_STOPS], 1);
	run_free(&r);
}

TEST(connect_tunnel_stops)
{
	struct opts o = resp;
	struct run r;

	o.kinds = "cc";
	/* a refused CONNECT keeps HTTP/1; an accepted one starts a tunnel */
#define REFUSED	 "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"
#define ACCEPTED "HTTP/1.1 200 Connection established\r\n\r\n"
	expect(&r, &o, REFUSED ACCEPTED "\x16\x03\x01",
	       "RESP 1.1 407 Proxy Authentication Required\nH Content-Length: 0\n"
	       "HD length cl=0 ka connect\nDONE 0\n"
	       "RESP 1.1 200 Connection established\nHD none stops connect\nDONE 0\n");
	CHECK(r.stopped);
	CHECK_EQ_U64(r.consumed, strlen(REFUSED ACCEPTED));
	run_free(&r);
}

static struct h1_parser *stop_p;

static void stop_request(void *ctx, struct h1_str method, struct h1_str target, int minor)
{
	h1_stop(stop_p);
	t_request(ctx, method, target, minor);
}

TEST(stop_from_callback)
{
	struct h1_callbacks cb = tcb;
	struct trace t = {0};
	struct h1_parser p;
	const char *s = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\n\r\n";

	cb.on_request = stop_request;
	if (!CHECK(!h1_init(&p, H1_REQUEST, NULL)))
		return;
	stop_p = &p;
	/* the feed ends right after the line whose callback stopped the parser */
	CHECK_EQ_U64(h1_feed(&p, guard_copy(s, strlen(s)), strlen(s), &cb, &t), 17);
	CHECK(h1_stopped(&p));
	CHECK_EQ_U64(h1_feed(&p, guard_copy(s, strlen(s)), strlen(s), &cb, &t),
		     (uint64_t)H1_STOPPED);
	CHECK_EQ_U64(h1_gap(&p, &cb, &t), 0);
	h1_eof(&p, &cb, &t);
	buf_putc(&t.b, 0);
	CHECK_STR_EQ(t.b.p, "REQ GET /a 1.1\n");
	CHECK_EQ_U64(h1_counters(&p)[H1_C_STOPS], 1);
	h1_free(&p);
	buf_free(&t.b);
}

TEST(gap_drops_and_resyncs)
{
	struct opts o = resp;
	struct run r;
	const char *a = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst part";
	const char *b = "lost the rest\"}HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno";

	o.kinds = "ooo";
	run_init(&r, &o);
	run_feed(&r, &o, a, strlen(a));
	CHECK_EQ_U64(h1_gap(&r.p, &tcb, &r.t), 1);
	run_feed(&r, &o, b, strlen(b));
	run_end(&r, &o);
	CHECK_STR_EQ(r.t.b.p, "RESP 1.1 200 OK\nH Content-Length: 100\nHD length cl=100 ka\n"
			      "B first part\nERR gap\n"
			      "RESP 1.1 404 Not Found\nH Content-Length: 2\nHD length cl=2 ka\n"
			      "B no\nDONE 2\n");
	CHECK_EQ_U64(h1_counters(&r.p)[H1_C_GAPS], 1);
	CHECK_EQ_U64(h1_counters(&r.p)[H1_C_ERR_GAP], 1);
	CHECK_EQ_U64(h1_counters(&r.p)[H1_C_RESYNCS], 1);
	CHECK_EQ_U64(r.p.pend_n, 1);
	run_free(&r);

	/* a gap in the header block drops the response's entry too */
	o.kinds = "ho";
	run_init(&r, &o);
	run_feed_str(&r, &o, "HTTP/1.1 200 OK\r\nConte");
	h1_gap(&r.p, &tcb, &r.t);
	run_feed_str(&r, &o, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n!");
	run_end(&r, &o);
	CHECK_STR_EQ(r.t.b.p, "RESP 1.1 200 OK\nERR gap\n"
			      "RESP 1.1 200 OK\nH Content-Length: 1\nHD length cl=1 ka\nB !\n"
			      "DONE 1\n");
	run_free(&r);

	/* between messages: nothing dropped, but the next bytes may be mid-message */
	run_init(&r, &req);
	CHECK_EQ_U64(h1_gap(&r.p, &tcb, &r.t), 0);
	run_feed_str(&r, &req, "Host: h\r\n\r\nPOST /x HTTP/1.1\r\n\r\n");
	run_end(&r, &req);
	CHECK_STR_EQ(r.t.b.p, "REQ POST /x 1.1\nHD none ka\nDONE 0\n");
	CHECK_EQ_U64(h1_counters(&r.p)[H1_C_ERR_GAP], 0);
	run_free(&r);
}

TEST(resync_emits_no_garbage)
{
	static const char *const noise[] = {
		"\x17\x03\x03\x00\x20 binary \x00\x01\x02\r\n",
		"HTTP/1.1 20 OK\r\n",	   /* two digits */
		"HTTP/1.1 200OK\r\n",	   /* no space */
		"HTTP/2 200\r\n",	   /* not HTTP/1 */
		"HTTP/1.1 200 O\x01K\r\n", /* control byte in the reason */
		"get / HTTP/1.1\r\n",	   /* resync wants a registered method */
		"GET / HTTP/1.1 \r\n",	   /* trailing space */
		"GETX / HTTP/1.1\r\n",	   /* not a registered method */
		"GET /a b HTTP/1.1\r\n",   /* "b" would be the target: "a" is no method */
		"GET / HTTP/1.\r\n",	   /* no minor version */
		" / HTTP/1.1\r\n",	   /* no method */
		"HTTP/1.1 200 OK",	   /* no LF yet */
	};
	struct run r;

	for (size_t i = 0; i < sizeof(noise) / sizeof(noise[0]); i++) {
		for (int mode = H1_REQUEST; mode <= H1_RESPONSE; mode++) {
			struct opts o = {.mode = mode, .guard = 1};

			run_init(&r, &o);
			h1_gap(&r.p, &tcb, &r.t);
			run_feed(&r, &o, noise[i], strlen(noise[i]));
			run_end(&r, &o);
			if (!CHECK_STR_EQ(r.t.b.p, ""))
				fprintf(stderr, "    noise %zu, mode %d\n", i, mode);
			run_free(&r);
		}
	}
}

TEST(oversized_line)
{
	struct opts o = req;
	struct run r;
	char s[300];

	o.lim.max_line = 64;
	/* 64 bytes before the LF is the most: "X: " + 59 + CR */
	snprintf(s, sizeof(s), "GET / HTTP/1.1\r\nX: %060d\r\n\r\n", 0);
	run_cuts(&r, &o, s, strlen(s), NULL, 0);
	CHECK(!strstr(r.t.b.p, "ERR"));
	run_free(&r);
	snprintf(s, sizeof(s),
		 "GET / HTTP/1.1\r\nX: %061d\r\nY: z\r\n\r\nGET /next HTTP/1.1\r\n\r\n", 0);
	expect(&r, &o, s,
	       "REQ GET / 1.1\nERR line_too_long\nREQ GET /next 1.1\nHD none ka\nDONE 0\n");
	CHECK_EQ_U64(h1_counters(&r.p)[H1_C_ERR_LINE_TOO_LONG], 1);
	CHECK_EQ_U64(h1_counters(&r.p)[H1_C_RESYNCS], 1);
	run_free(&r);
	check_invariance(&o, s, 1);
	/* a start line too long, and the default limit with a huge target */
	snprintf(s, sizeof(s), "GET /%070d HTTP/1.1\r\n\r\nGET /ok HTTP/1.1\r\n\r\n", 0);
	expect_once(&o, s, "ERR line_too_long\nREQ GET /ok 1.1\nHD none ka\nDONE 0\n");
	{
		size_t n = 9000;
		char *big = malloc(n + 64);

		if (!CHECK(big))
			return;
		memcpy(big, "GET /", 5);
		memset(big + 5, 'a', n);
		strcpy(big + 5 + n, " HTTP/1.1\r\n\r\nGET /ok HTTP/1.1\r\n\r\n");
		expect_once(&req, big, "ERR line_too_long\nREQ GET /ok 1.1\nHD none ka\nDONE 0\n");
		free(big);
	}
}

TEST(too_many_headers)
{
	struct opts o = resp;
	struct run r;

	o.lim.max_headers = 2;
	expect(&r, &o,
	       "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"
	       "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n"
	       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT1: 1\r\nT2: 2\r\n\r\n",
	       "RESP 1.1 200 OK\nH A: 1\nH B: 2\nERR too_many_headers\n"
	       "RESP 1.1 200 OK\nH A: 1\nH B: 2\nHD eof\n"
	       "B HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT1: 1\r\nT2: 2\r\n"
	       "\r\n\n");
	CHECK_EQ_U64(h1_counters(&r.p)[H1_C_ERR_TOO_MANY_HEADERS], 1);
	run_free(&r);
	/* trailers have their own count */
	expect_once(&o,
		    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nA: 1\r\n\r\n"
		    "0\r\nT1: 1\r\nT2: 2\r\n\r\n",
		    "RESP 1.1 200 OK\nH Transfer-Encoding: chunked\nH A: 1\nHD chunked ka\n"
		    "T T1: 1\nT T2: 2\nDONE 0\n");
}

TEST(bad_chunks)
{
	struct run r;

	expect(&r, &resp,
	       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n"
	       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	       "fffffffffffffffff\r\n" /* 17 digits: over 2^62 */
	       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	       "4000000000000001\r\n"
	       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n"
	       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	       "4000000000000000 ; big\r\nab",
	       "RESP 1.1 200 OK\nH Transfer-Encoding: chunked\nHD chunked ka\nERR chunk_size\n"
	       "RESP 1.1 200 OK\nH Transfer-Encoding: chunked\nHD chunked ka\nERR chunk_size\n"
	       "RESP 1.1 200 OK\nH Transfer-Encoding: chunked\nHD chunked ka\nERR chunk_size\n"
	       "RESP 1.1 200 OK\nH Transfer-Encoding: chunked\nHD chunked ka\nB ab\n"
	       "ERR chunk_end\n"
	       "RESP 1.1 200 OK\nH Transfer-Encoding: chunked\nHD chunked ka\nB ab\n");
	CHECK_EQ_U64(h1_counters(&r.p)[H1_C_ERR_CHUNK_SIZE], 3);
	CHECK_EQ_U64(h1_counters(&r.p)[H1_C_ERR_CHUNK_END], 1);
	CHECK_EQ_U64(h1_counters(&r.p)[H1_C_RESYNCS], 4);
	run_free(&r);
}

TEST(bad_content_length)
{
	struct run r;

	expect(&r, &resp,
	       "HTTP/1.1 200 OK\r\nContent-Length: 4611686018427387905\r\n\r\n" /* 2^62 + 1 */
	       "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999999\r\n\r\n"
	       "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"
	       "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"
	       "HTTP/1.1 200 OK\r\nContent-Length: 2,\r\n\r\n"
	       "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\ncontent-length: 2\r\n\r\nok"
	       "HTTP/1.1 200 OK\r\nContent-Length: 4611686018427387904\r\n\r\nab",
	       "RESP 1.1 200 OK\nERR content_length\n"
	       "RESP 1.1 200 OK\nERR content_length\n"
	       "RESP 1.1 200 OK\nERR content_length\n"
	       "RESP 1.1 200 OK\nH Content-Length: 1\nERR content_length\n"
	       "RESP 1.1 200 OK\nERR content_length\n"
	       "RESP 1.1 200 OK\nH Content-Length: 2, 2\nH content-length: 2\n"
	       "HD length cl=2 ka\nB ok\nDONE 2\n"
	       "RESP 1.1 200 OK\nH Content-Length: 4611686018427387904\n"
	       "HD length cl=4611686018427387904 ka\nB ab\n");
	CHECK_EQ_U64(h1_counters(&r.p)[H1_C_ERR_CONTENT_LENGTH], 5);
	CHECK_EQ_U64(h1_counters(&r.p)[H1_C_MESSAGES], 1);
	run_free(&r);
}

TEST(bad_header_lines)
{
	struct run r;

	expect(&r, &req,
	       "GET /1 HTTP/1.1\r\nNo colon here\r\n\r\n"
	       "GET /2 HTTP/1.1\r\nName : space before colon\r\n\r\n"
	       "GET /3 HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n",
	       "REQ GET /1 1.1\nERR header\n"
	       "REQ GET /2 1.1\nERR header\n"
	       "REQ GET /3 1.1\nH A: 1\nERR header\n");
	CHECK_EQ_U64(h1_counters(&r.p)[H1_C_ERR_HEADER], 3);
	run_free(&r);
	/* a NUL would end a C string: sizeof, not strlen */
	{
		static const char s[] = "GET /4 HTTP/1.1\r\nA: nul\0byte\r\n\r\n"
					"GET /5 HTTP/1.1\r\n: empty name\r\n\r\n"
					"GET /6 HTTP/1.1\r\nX-Empty:\r\nX-Tab:\tv\t\r\n"
					"X-Utf8: \xc3\xa9\r\n\r\n";

		run_cuts(&r, &req, s, sizeof(s) - 1, NULL, 0);
		CHECK_STR_EQ(r.t.b.p,
			     "REQ GET /4 1.1\nERR header\n"
			     "REQ GET /5 1.1\nERR header\n"
			     "REQ GET /6 1.1\nH X-Empty: \nH X-Tab: v\nH X-Utf8: \xc3\xa9\n"
			     "HD none ka\nDONE 0\n");
		CHECK_EQ_U64(h1_counters(&r.p)[H1_C_ERR_HEADER], 2);
		run_free(&r);
	}
}

TEST(bad_start_lines)
{
	struct run r;

	expect(&r, &req,
	       "GET / HTTP/2.0\r\nHost: h\r\n\r\n"
	       "GET /\r\n"
	       "HTTP/1.1 200 OK\r\n\r\n"
	       "DELETE /x HTTP/1.1\r\n\r\n",
	       "ERR start_line\nREQ DELETE /x 1.1\nHD none ka\nDONE 0\n");
	CHECK_EQ_U64(h1_counters(&r.p)[H1_C_ERR_START_LINE], 1);
	run_free(&r);
	/* a request in the response direction */
	expect_once(&resp, "GET / HTTP/1.1\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		    "ERR start_line\nRESP 1.1 200 OK\nH Content-Length: 0\nHD length cl=0 ka\n"
		    "DONE 0\n");
	/* custom methods are fine in sync; bare LF lines too */
	expect_once(&req, "MKCALENDAR /cal HTTP/1.1\nX: y\n\nbrew /pot HTTP/1.0\n\n",
		    "REQ MKCALENDAR /cal 1.1\nH X: y\nHD none ka\nDONE 0\n"
		    "REQ brew /pot 1.0\nHD none\nDONE 0\n");
}

TEST(request_transfer_encoding)
{
	struct run r;

	/* TE overrides CL; a request whose TE does not end in chunked cannot be framed */
	expect(&r, &req,
	       "POST /a HTTP/1.1\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
	       "1\r\nx\r\n0\r\n\r\n"
	       "POST /b HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"
	       "GET /c HTTP/1.1\r\nConnection: close\r\n\r\n",
	       "REQ POST /a 1.1\nH Content-Length: 100\nH Transfer-Encoding: chunked\n"
	       "HD chunked cl=100 ka\nB x\nDONE 1\n"
	       "REQ POST /b 1.1\nH Transfer-Encoding: gzip\nERR transfer_encoding\n"
	       "REQ GET /c 1.1\nH Connection: close\nHD none\nDONE 0\n");
	CHECK_EQ_U64(h1_counters(&r.p)[H1_C_ERR_TRANSFER_ENCODING], 1);
	run_free(&r);
}

TEST(pending_queue)
{
	struct h1_parser p;

	if (!CHECK(!h1_init(&p, H1_RESPONSE, NULL)))
		return;
	for (int i = 0; i < H1_MAX_PENDING; i++)
		CHECK(!h1_response_to(&p, H1_REQ_HEAD));
	CHECK_EQ_U64(h1_response_to(&p, H1_REQ_HEAD), (uint64_t)-ENOSPC);
	CHECK_EQ_U64(h1_counters(&p)[H1_C_PENDING_FULL], 1);
	h1_eof(&p, NULL, NULL);
	CHECK_EQ_U64(p.pend_n, 0);
	h1_free(&p);
	h1_free(&p);
}

TEST(eof_states)
{
	struct opts o = req;

	o.eof = 1;
	expect_once(&o, "GET / HTTP/1.1\r\nHost:", "REQ GET / 1.1\nERR truncated\n");
	/* a partial start line reported nothing: nothing to drop */
	expect_once(&o, "GET / HTT", "");
	expect_once(&o, "", "");
}

TEST(counter_and_error_names)
{
	for (int c = 0; c < H1_C__MAX; c++)
		CHECK(h1_counter_name(c) && *h1_counter_name(c));
	CHECK(!h1_counter_name(H1_C__MAX));
	CHECK_STR_EQ(h1_counter_name(H1_C_ERR_GAP), "err_gap");
	CHECK_STR_EQ(h1_error_name(H1_E_START_LINE), "start_line");
	CHECK_STR_EQ(h1_error_name(H1_E_GAP), "gap");
	CHECK(!h1_error_name(0));
	CHECK(!h1_error_name(H1_E__MAX + 1));
}

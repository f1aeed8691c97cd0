// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <nghttp2/nghttp2.h>

#include "check.h"
#include "proto/h2.h"
#include "util/buf.h"

/*
 * Streams are built here as a peer would send them: header blocks encoded by nghttp2's HPACK
 * deflater (one per direction, so later blocks refer to entries earlier ones inserted), frames
 * laid out by hand. The parser's callbacks are written to a text trace that the tests compare.
 */
struct stream {
	uint8_t p[65536];
	size_t n;
};

static void put(struct stream *s, const void *p, size_t n)
{
	if (s->n + n > sizeof(s->p))
		abort();
	memcpy(s->p + s->n, p, n);
	s->n += n;
}

static void frame(struct stream *s, uint8_t type, uint8_t flags, uint32_t sid, const void *pl,
		  size_t len)
{
	uint8_t h[9] = {(uint8_t)(len >> 16),
			(uint8_t)(len >> 8),
			(uint8_t)len,
			type,
			flags,
			(uint8_t)(sid >> 24 & 0x7f),
			(uint8_t)(sid >> 16),
			(uint8_t)(sid >> 8),
			(uint8_t)sid};

	put(s, h, 9);
	put(s, pl, len);
}

static void preface(struct stream *s)
{
	put(s, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
}

#define NV(n, v)                                                                                   \
	{                                                                                          \
		(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, NGHTTP2_NV_FLAG_NONE \
	}
#define NVS(...)                                                                                   \
	(const nghttp2_nv[]){__VA_ARGS__}, sizeof((nghttp2_nv[]){__VA_ARGS__}) / sizeof(nghttp2_nv)

static nghttp2_hd_deflater *deflater(void)
{
	nghttp2_hd_deflater *d;

	if (nghttp2_hd_deflate_new(&d, 4096))
		abort();
	return d;
}

static size_t deflate(nghttp2_hd_deflater *d, const nghttp2_nv *nv, size_t n, uint8_t *out,
		      size_t cap)
{
	ssize_t r = nghttp2_hd_deflate_hd(d, out, cap, nv, n);

	if (r < 0)
		abort();
	return (size_t)r;
}

struct hopts {
	int end_stream;
	size_t split; /* the block's bytes per frame, the rest in CONTINUATIONs; 0: one frame */
	uint8_t pad;  /* PADDED with this many bytes of padding */
	int priority;
};

/* A header block, in a HEADERS frame and as many CONTINUATIONs as o->split asks. */
static void headers_raw(struct stream *s, uint32_t sid, const uint8_t *blk, size_t bl,
			const struct hopts *o)
{
	static const struct hopts none;
	uint8_t pl[8192 + 300];
	size_t first, k = 0;
	uint8_t flags;

	o = o ? o : &none;
	first = o->split && o->split < bl ? o->split : bl;
	flags = (o->end_stream ? 0x1 : 0) | (first == bl ? 0x4 : 0);
	if (o->pad) {
		flags |= 0x8;
		pl[k++] = o->pad;
	}
	if (o->priority) {
		flags |= 0x20;
		memcpy(pl + k, "\x80\x00\x00\x03\x10", 5);
		k += 5;
	}
	memcpy(pl + k, blk, first);
	k += first;
	memset(pl + k, 0, o->pad);
	k += o->pad;
	frame(s, 1, flags, sid, pl, k);
	for (size_t pos = first; pos < bl; pos += o->split) {
		size_t m = bl - pos < o->split ? bl - pos : o->split;

		frame(s, 9, pos + m == bl ? 0x4 : 0, sid, blk + pos, m);
	}
}

static size_t headers(struct stream *s, nghttp2_hd_deflater *d, uint32_t sid, const nghttp2_nv *nv,
		      size_t n, const struct hopts *o)
{
	uint8_t blk[8192];
	size_t bl = deflate(d, nv, n, blk, sizeof(blk));

	headers_raw(s, sid, blk, bl, o);
	return bl;
}

static void data(struct stream *s, uint32_t sid, const char *txt, int end, uint8_t pad)
{
	uint8_t pl[4096];
	size_t n = strlen(txt), k = 0;

	if (pad)
		pl[k++] = pad;
	memcpy(pl + k, txt, n);
	k += n;
	memset(pl + k, 0, pad);
	k += pad;
	frame(s, 0, (end ? 0x1 : 0) | (pad ? 0x8 : 0), sid, pl, k);
}

static void settings(struct stream *s)
{
	/* MAX_CONCURRENT_STREAMS 100, INITIAL_WINDOW_SIZE 65535 */
	frame(s, 4, 0, 0, "\x00\x03\x00\x00\x00\x64\x00\x04\x00\x00\xff\xff", 12);
}

#define GET_X                                                                                      \
	NVS(NV(":method", "GET"), NV(":scheme", "https"), NV(":path", "/x"),                       \
	    NV(":authority", "example.com"), NV("user-agent", "test/1.0"))

/* The events as text. DATA pieces of one frame run are joined, so cuts do not show. */
struct trace {
	struct buf b;
	int data_open;
	uint32_t data_sid;
	unsigned int mask; /* T_* events written */
};

#define T_FRAME	  0x01
#define T_HEADERS 0x02
#define T_DATA	  0x04
#define T_CTL	  0x08 /* RST_STREAM, GOAWAY, SETTINGS */
#define T_ERROR	  0x10
#define T_ALL	  0x1f

static void t_close(struct trace *t)
{
	if (t->data_open)
		buf_puts(&t->b, "\n");
	t->data_open = 0;
}

static void on_frame(void *ctx, uint8_t type, uint8_t flags, uint32_t sid, uint32_t len)
{
	struct trace *t = ctx;

	t_close(t);
	if (t->mask & T_FRAME)
		buf_printf(&t->b, "F%u f%02x s%u l%u\n", type, flags, sid, len);
}

static void on_headers(void *ctx, uint32_t sid, const struct h2_header *h, size_t n,
		       unsigned int flags)
{
	struct trace *t = ctx;

	t_close(t);
	if (!(t->mask & T_HEADERS))
		return;
	buf_printf(&t->b, "H s%u f%02x", sid, flags);
	for (size_t i = 0; i < n; i++) {
		buf_putc(&t->b, ' ');
		buf_put(&t->b, h[i].name, h[i].name_len);
		buf_putc(&t->b, '=');
		buf_put(&t->b, h[i].value, h[i].value_len);
		if (h[i].name[h[i].name_len] || h[i].value[h[i].value_len])
			buf_puts(&t->b, "<not NUL-terminated>");
	}
	buf_putc(&t->b, '\n');
}

static void on_data(void *ctx, uint32_t sid, const uint8_t *d, size_t len, int end)
{
	struct trace *t = ctx;

	if (!(t->mask & T_DATA))
		return;
	if (!t->data_open || t->data_sid != sid) {
		t_close(t);
		buf_printf(&t->b, "D s%u ", sid);
		t->data_open = 1;
		t->data_sid = sid;
	}
	buf_put(&t->b, d, len);
	if (end) {
		buf_puts(&t->b, " END\n");
		t->data_open = 0;
	}
}

static void on_rst(void *ctx, uint32_t sid, uint32_t code)
{
	struct trace *t = ctx;

	t_close(t);
	if (t->mask & T_CTL)
		buf_printf(&t->b, "R s%u e%u\n", sid, code);
}

static void on_goaway(void *ctx, uint32_t last, uint32_t code)
{
	struct trace *t = ctx;

	t_close(t);
	if (t->mask & T_CTL)
		buf_printf(&t->b, "G l%u e%u\n", last, code);
}

static void on_settings(void *ctx, const struct h2_setting *s, size_t n, int ack)
{
	struct trace *t = ctx;

	t_close(t);
	if (!(t->mask & T_CTL))
		return;
	buf_printf(&t->b, "S%s", ack ? " ack" : "");
	for (size_t i = 0; i < n; i++)
		buf_printf(&t->b, " %u=%u", s[i].id, s[i].value);
	buf_putc(&t->b, '\n');
}

static void on_error(void *ctx, enum h2_error e)
{
	struct trace *t = ctx;

	t_close(t);
	if (t->mask & T_ERROR)
		buf_printf(&t->b, "E %s\n", h2_error_name(e));
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

/* The trace of s fed in one piece (guarded: an over-read crashes); freed after the test. */
struct run {
	struct h2_parser p;
	struct trace t;
	const char *s; /* t.b as a C string */
};

static void run_begin(struct run *r, enum h2_dir dir, const struct h2_limits *lim,
		      unsigned int mask)
{
	memset(r, 0, sizeof(*r));
	r->t.mask = mask;
	if (h2_init(&r->p, dir, lim))
		abort();
}

static void run_feed(struct run *r, const void *d, size_t n)
{
	h2_feed(&r->p, guard_copy(d, n), n, &cbs, &r->t);
}

static const char *run_end(struct run *r)
{
	t_close(&r->t);
	buf_putc(&r->t.b, 0);
	r->s = r->t.b.p;
	return r->s;
}

static void run_free(struct run *r)
{
	h2_free(&r->p);
	buf_free(&r->t.b);
}

static uint64_t ctr(const struct run *r, enum h2_counter c)
{
	return h2_counters(&r->p)[c];
}

/* Feeds the chunks [0, a), [a, b), [b, n) each from an allocation of its own size. */
static char *cut_trace(enum h2_dir dir, const uint8_t *s, size_t n, size_t a, size_t b,
		       unsigned int mask)
{
	struct run r;
	size_t at[4] = {0, a, b, n};
	char *out;

	run_begin(&r, dir, NULL, mask);
	for (int i = 0; i < 3; i++) {
		size_t k = at[i + 1] - at[i];
		uint8_t *c = malloc(k ? k : 1);

		memcpy(c, s + at[i], k);
		h2_feed(&r.p, c, k, &cbs, &r.t);
		free(c);
	}
	out = strdup(run_end(&r));
	run_free(&r);
	return out;
}

static void client_get(struct stream *s, nghttp2_hd_deflater *d)
{
	preface(s);
	settings(s);
	frame(s, 8, 0, 0, "\x00\xef\x00\x01", 4);
	headers(s, d, 1, GET_X, &(struct hopts){.end_stream = 1});
}

static void server_200(struct stream *s, nghttp2_hd_deflater *d)
{
	settings(s);
	frame(s, 4, 1, 0, "", 0);
	headers(s, d, 1, NVS(NV(":status", "200"), NV("content-type", "text/plain")), NULL);
	data(s, 1, "hello ", 0, 0);
	data(s, 1, "world", 1, 0);
}

TEST(h2_client_request)
{
	nghttp2_hd_deflater *d = deflater();
	struct stream s = {0};
	struct run r;

	client_get(&s, d);
	run_begin(&r, H2_CLIENT, NULL, T_ALL);
	run_feed(&r, s.p, s.n);
	CHECK_STR_EQ(run_end(&r),
		     "F4 f00 s0 l12\n"
		     "S 3=100 4=65535\n"
		     "F8 f00 s0 l4\n"
		     "F1 f05 s1 l24\n"
		     "H s1 f01 :method=GET :scheme=https :path=/x :authority=example.com "
		     "user-agent=test/1.0\n");
	CHECK(!h2_hpack_desynced(&r.p));
	CHECK(!h2_frames_lost(&r.p));
	CHECK_EQ_U64(ctr(&r, H2_C_FRAMES), 3);
	CHECK_EQ_U64(ctr(&r, H2_C_HEADER_BLOCKS), 1);
	CHECK_EQ_U64(ctr(&r, H2_C_BYTES), s.n);
	run_free(&r);
	nghttp2_hd_deflate_del(d);
}

TEST(h2_server_response)
{
	nghttp2_hd_deflater *d = deflater();
	struct stream s = {0};
	struct run r;

	server_200(&s, d);
	run_begin(&r, H2_SERVER, NULL, T_ALL & ~T_FRAME);
	run_feed(&r, s.p, s.n);
	CHECK_STR_EQ(run_end(&r), "S 3=100 4=65535\n"
				  "S ack\n"
				  "H s1 f00 :status=200 content-type=text/plain\n"
				  "D s1 hello \n"
				  "D s1 world END\n");
	CHECK_EQ_U64(ctr(&r, H2_C_DATA_BYTES), 11);
	CHECK(!h2_hpack_desynced(&r.p));
	run_free(&r);
	nghttp2_hd_deflate_del(d);
}

TEST(h2_continuation_padding_priority)
{
	nghttp2_hd_deflater *d = deflater();
	struct stream s = {0};
	struct run r;

	preface(&s);
	settings(&s);
	/* the block over HEADERS and three CONTINUATIONs, HEADERS padded and prioritised */
	headers(&s, d, 1, GET_X,
		&(struct hopts){.end_stream = 1, .split = 9, .pad = 7, .priority = 1});
	headers(&s, d, 3,
		NVS(NV(":method", "POST"), NV(":scheme", "https"), NV(":path", "/upload"),
		    NV(":authority", "example.com")),
		&(struct hopts){.pad = 0, .split = 0});
	data(&s, 3, "abc", 0, 10);
	data(&s, 3, "", 0, 3);
	data(&s, 3, "def", 1, 255);
	run_begin(&r, H2_CLIENT, NULL, T_HEADERS | T_DATA | T_ERROR);
	run_feed(&r, s.p, s.n);
	CHECK_STR_EQ(run_end(&r), "H s1 f01 :method=GET :scheme=https :path=/x "
				  ":authority=example.com user-agent=test/1.0\n"
				  "H s3 f00 :method=POST :scheme=https :path=/upload "
				  ":authority=example.com\n"
				  "D s3 abc\n"
				  "D s3 def END\n");
	CHECK_EQ_U64(ctr(&r, H2_C_DATA_BYTES), 6);
	run_free(&r);
	nghttp2_hd_deflate_del(d);
}

/* Streams 1, 3 and 5 answered out of order, their DATA interleaved. */
static void interleaved(struct stream *s, nghttp2_hd_deflater *d)
{
	settings(s);
	headers(s, d, 3, NVS(NV(":status", "200"), NV("content-length", "4")), NULL);
	headers(s, d, 1, NVS(NV(":status", "404")), NULL);
	data(s, 3, "th", 0, 0);
	headers(s, d, 5, NVS(NV(":status", "204")), &(struct hopts){.end_stream = 1});
	data(s, 1, "nope", 0, 2);
	data(s, 3, "re", 0, 0);
	data(s, 1, "", 1, 0);
	data(s, 3, "e", 1, 0);
}

TEST(h2_interleaved_streams)
{
	nghttp2_hd_deflater *d = deflater();
	struct stream s = {0};
	struct run r;

	interleaved(&s, d);
	run_begin(&r, H2_SERVER, NULL, T_HEADERS | T_DATA | T_ERROR);
	run_feed(&r, s.p, s.n);
	CHECK_STR_EQ(run_end(&r), "H s3 f00 :status=200 content-length=4\n"
				  "H s1 f00 :status=404\n"
				  "D s3 th\n"
				  "H s5 f01 :status=204\n"
				  "D s1 nope\n"
				  "D s3 re\n"
				  "D s1  END\n"
				  "D s3 e END\n");
	run_free(&r);
	nghttp2_hd_deflate_del(d);
}

static void grpc_response(struct stream *s, nghttp2_hd_deflater *d)
{
	settings(s);
	headers(s, d, 1, NVS(NV(":status", "100")), NULL);
	headers(s, d, 1, NVS(NV(":status", "200"), NV("content-type", "application/grpc")), NULL);
	data(s, 1, "\x00\x00\x00\x00\x02hi", 0, 0);
	headers(s, d, 1, NVS(NV("grpc-status", "0"), NV("grpc-message", "all good")),
		&(struct hopts){.end_stream = 1});
	/* a Trailers-Only response: headers, not trailers */
	headers(s, d, 3,
		NVS(NV(":status", "200"), NV("content-type", "application/grpc"),
		    NV("grpc-status", "5"), NV("grpc-message", "not found")),
		&(struct hopts){.end_stream = 1});
}

TEST(h2_grpc_trailers)
{
	nghttp2_hd_deflater *d = deflater();
	struct stream s = {0};
	struct run r;

	grpc_response(&s, d);
	run_begin(&r, H2_SERVER, NULL, T_HEADERS | T_ERROR);
	run_feed(&r, s.p, s.n);
	CHECK_STR_EQ(run_end(&r),
		     "H s1 f00 :status=100\n"
		     "H s1 f00 :status=200 content-type=application/grpc\n"
		     "H s1 f03 grpc-status=0 grpc-message=all good\n"
		     "H s3 f01 :status=200 content-type=application/grpc grpc-status=5 "
		     "grpc-message=not found\n");
	run_free(&r);
	nghttp2_hd_deflate_del(d);
}

TEST(h2_trailers_of_a_request)
{
	nghttp2_hd_deflater *d = deflater();
	struct stream s = {0};
	struct run r;

	preface(&s);
	settings(&s);
	headers(&s, d, 1,
		NVS(NV(":method", "POST"), NV(":scheme", "http"), NV(":path", "/a.B/C"),
		    NV(":authority", "h"), NV("te", "trailers")),
		NULL);
	data(&s, 1, "body", 0, 0);
	headers(&s, d, 1, NVS(NV("x-checksum", "1234")), &(struct hopts){.end_stream = 1});
	run_begin(&r, H2_CLIENT, NULL, T_HEADERS | T_ERROR);
	run_feed(&r, s.p, s.n);
	CHECK_STR_EQ(run_end(&r), "H s1 f00 :method=POST :scheme=http :path=/a.B/C :authority=h "
				  "te=trailers\n"
				  "H s1 f03 x-checksum=1234\n");
	run_free(&r);
	nghttp2_hd_deflate_del(d);
}

static void push_and_control(struct stream *s, nghttp2_hd_deflater *d)
{
	uint8_t pp[16], blk[64];
	size_t bl;

	settings(s);
	headers(s, d, 1, NVS(NV(":status", "200")), NULL);
	/* PUSH_PROMISE for stream 2, padded, block in a CONTINUATION */
	bl = deflate(d,
		     NVS(NV(":method", "GET"), NV(":scheme", "https"), NV(":path", "/style.css"),
			 NV(":authority", "example.com")),
		     blk, sizeof(blk));
	pp[0] = 2;
	memcpy(pp + 1, "\x00\x00\x00\x02", 4);
	memcpy(pp + 5, blk, 4);
	memset(pp + 9, 0, 2);
	frame(s, 5, 0x8, 1, pp, 11);
	frame(s, 9, 0x4, 1, blk + 4, bl - 4);
	frame(s, 6, 0, 0, "12345678", 8);
	frame(s, 3, 0, 1, "\x00\x00\x00\x08", 4);
	frame(s, 0x10, 0, 0, "x", 1); /* an extension frame type: skipped */
	frame(s, 7, 0, 0,
	      "\x00\x00\x00\x03\x00\x00\x00\x02"
	      "debug data",
	      18);
}

TEST(h2_rst_goaway_ping_push)
{
	nghttp2_hd_deflater *d = deflater();
	struct stream s = {0};
	struct run r;

	push_and_control(&s, d);
	run_begin(&r, H2_SERVER, NULL, T_ALL & ~T_FRAME);
	run_feed(&r, s.p, s.n);
	CHECK_STR_EQ(run_end(&r), "S 3=100 4=65535\n"
				  "H s1 f00 :status=200\n"
				  "H s2 f10 :method=GET :scheme=https :path=/style.css "
				  ":authority=example.com\n"
				  "R s1 e8\n"
				  "G l3 e2\n");
	CHECK_EQ_U64(ctr(&r, H2_C_FRAMES), 8);
	CHECK(!h2_frames_lost(&r.p));
	run_free(&r);
	nghttp2_hd_deflate_del(d);
}

TEST(h2_dynamic_table_reuse)
{
	nghttp2_hd_deflater *d = deflater();
	struct stream s = {0};
	size_t b1, b2;
	struct run r;

	preface(&s);
	settings(&s);
	b1 = headers(&s, d, 1, GET_X, &(struct hopts){.end_stream = 1});
	b2 = headers(&s, d, 3, GET_X, &(struct hopts){.end_stream = 1});
	headers(&s, d, 5,
		NVS(NV(":method", "GET"), NV(":scheme", "https"), NV(":path", "/y"),
		    NV(":authority", "example.com"), NV("user-agent", "test/1.0"),
		    NV("cookie", "a=b")),
		&(struct hopts){.end_stream = 1});
	/* the second block is all references to entries the first inserted */
	CHECK(b2 < b1 / 2);
	run_begin(&r, H2_CLIENT, NULL, T_HEADERS | T_ERROR);
	run_feed(&r, s.p, s.n);
	CHECK_STR_EQ(run_end(&r), "H s1 f01 :method=GET :scheme=https :path=/x "
				  ":authority=example.com user-agent=test/1.0\n"
				  "H s3 f01 :method=GET :scheme=https :path=/x "
				  ":authority=example.com user-agent=test/1.0\n"
				  "H s5 f01 :method=GET :scheme=https :path=/y "
				  ":authority=example.com user-agent=test/1.0 cookie=a=b\n");
	CHECK(!h2_hpack_desynced(&r.p));
	run_free(&r);
	nghttp2_hd_deflate_del(d);
}

/* Byte by byte and every 2-cut (three chunks): the same trace as in one piece. */
static void check_cuts(enum h2_dir dir, const struct stream *s)
{
	char *whole = cut_trace(dir, s->p, s->n, 0, 0, T_ALL);
	struct run r;
	unsigned int bad = 0;

	run_begin(&r, dir, NULL, T_ALL);
	for (size_t i = 0; i < s->n; i++)
		run_feed(&r, s->p + i, 1);
	CHECK_STR_EQ(run_end(&r), whole);
	run_free(&r);
	for (size_t a = 0; a <= s->n && bad < 3; a++) {
		for (size_t b = a; b <= s->n && bad < 3; b++) {
			char *t = cut_trace(dir, s->p, s->n, a, b, T_ALL);

			if (strcmp(t, whole)) {
				bad++;
				fprintf(stderr, "  cuts at %zu and %zu:\n", a, b);
				CHECK_STR_EQ(t, whole);
			}
			free(t);
		}
	}
	free(whole);
}

TEST(h2_cuts_client)
{
	nghttp2_hd_deflater *d = deflater();
	struct stream s = {0};

	client_get(&s, d);
	headers(&s, d, 3, GET_X, &(struct hopts){.split = 3, .pad = 2});
	data(&s, 3, "xy", 1, 1);
	check_cuts(H2_CLIENT, &s);
	nghttp2_hd_deflate_del(d);
}

TEST(h2_cuts_server)
{
	nghttp2_hd_deflater *d = deflater();
	struct stream s = {0};

	grpc_response(&s, d);
	check_cuts(H2_SERVER, &s);
	nghttp2_hd_deflate_del(d);
}

/* The same byte-by-byte for the longer streams (every 2-cut would take too long). */
TEST(h2_bytewise_all)
{
	nghttp2_hd_deflater *d = deflater();
	struct stream s = {0};
	char *whole;
	struct run r;

	interleaved(&s, d);
	whole = cut_trace(H2_SERVER, s.p, s.n, 0, 0, T_ALL);
	run_begin(&r, H2_SERVER, NULL, T_ALL);
	for (size_t i = 0; i < s.n; i++)
		run_feed(&r, s.p + i, 1);
	CHECK_STR_EQ(run_end(&r), whole);
	run_free(&r);
	free(whole);
	nghttp2_hd_deflate_del(d);
}

/*
 * Joined after the first request: its block inserted :authority and user-agent into the
 * table, and the second request refers to them. Those stay unknown; what the second and third
 * requests insert themselves is known from then on.
 */
TEST(h2_join_midstream_client)
{
	nghttp2_hd_deflater *d = deflater();
	struct stream before = {0}, s = {0};
	struct run r;
	size_t i;

	client_get(&before, d);
	headers(&s, d, 3,
		NVS(NV(":method", "GET"), NV(":scheme", "https"), NV(":path", "/y"),
		    NV(":authority", "example.com"), NV("user-agent", "test/1.0"),
		    NV("x-trace", "t-1")),
		&(struct hopts){.end_stream = 1});
	frame(&s, 8, 0, 0, "\x00\x00\x10\x00", 4);
	headers(&s, d, 5,
		NVS(NV(":method", "POST"), NV(":scheme", "https"), NV(":path", "/z"),
		    NV(":authority", "example.com"), NV("x-trace", "t-1")),
		NULL);
	data(&s, 5, "payload", 1, 0);
	run_begin(&r, H2_CLIENT, NULL, T_ALL);
	run_feed(&r, s.p, s.n);
	CHECK_STR_EQ(run_end(&r), "E join\n"
				  "F1 f05 s3 l18\n"
				  "H s3 f05 :method=GET :scheme=https :path=/y x-trace=t-1\n"
				  "F8 f00 s0 l4\n"
				  "F1 f04 s5 l8\n"
				  "H s5 f04 :method=POST :scheme=https :path=/z x-trace=t-1\n"
				  "F0 f01 s5 l7\n"
				  "D s5 payload END\n");
	CHECK(!strstr(r.s, "example.com") && !strstr(r.s, "test/1.0"));
	CHECK(h2_hpack_desynced(&r.p));
	CHECK(!h2_frames_lost(&r.p));
	CHECK_EQ_U64(ctr(&r, H2_C_ERR_JOIN), 1);
	CHECK_EQ_U64(ctr(&r, H2_C_RESYNC), 1);
	CHECK_EQ_U64(ctr(&r, H2_C_SKIPPED_BYTES), 0);
	CHECK_EQ_U64(ctr(&r, H2_C_PARTIAL_BLOCKS), 2);
	CHECK_EQ_U64(ctr(&r, H2_C_FIELDS_UNKNOWN), 3);
	run_free(&r);

	/* the same bytes byte by byte */
	run_begin(&r, H2_CLIENT, NULL, T_ALL);
	for (i = 0; i < s.n; i++)
		run_feed(&r, s.p + i, 1);
	run_end(&r);
	CHECK(strstr(r.s, "H s5 f04 :method=POST :scheme=https :path=/z x-trace=t-1\n") != NULL);
	run_free(&r);
	nghttp2_hd_deflate_del(d);
}

static void join_unknown_name(struct stream *before, struct stream *s, nghttp2_hd_deflater *d)
{
	preface(before);
	headers(before, d, 1, NVS(NV(":method", "GET"), NV(":path", "/"), NV("x-id", "1")),
		&(struct hopts){.end_stream = 1});
	for (uint32_t sid = 3; sid <= 7; sid += 2)
		headers(s, d, sid,
			NVS(NV(":method", "GET"), NV(":path", "/"), NV("x-id", "2"),
			    NV("x-other", "a")),
			&(struct hopts){.end_stream = 1});
}

/*
 * After the join, x-id gets a new value under the name of an entry inserted before: that
 * entry's name is unknown, so is the new one's. It still takes its place in the table, and
 * x-other, inserted after it, is found at the right index.
 */
TEST(h2_join_unknown_name_keeps_indexes)
{
	nghttp2_hd_deflater *d = deflater();
	struct stream before = {0}, s = {0};
	struct run r;

	join_unknown_name(&before, &s, d);
	run_begin(&r, H2_CLIENT, NULL, T_HEADERS);
	run_feed(&r, s.p, s.n);
	CHECK_STR_EQ(run_end(&r), "H s3 f05 :method=GET :path=/ x-other=a\n"
				  "H s5 f05 :method=GET :path=/ x-other=a\n"
				  "H s7 f05 :method=GET :path=/ x-other=a\n");
	CHECK_EQ_U64(ctr(&r, H2_C_FIELDS_UNKNOWN), 3);
	run_free(&r);
	nghttp2_hd_deflate_del(d);
}

TEST(h2_join_server_not_settings)
{
	nghttp2_hd_deflater *d = deflater();
	struct stream warm = {0}, s = {0};
	struct run r;

	server_200(&warm, d);
	headers(&s, d, 3, NVS(NV(":status", "200"), NV("content-type", "text/plain")), NULL);
	data(&s, 3, "a", 0, 0);
	data(&s, 3, "b", 1, 0);
	run_begin(&r, H2_SERVER, NULL, T_HEADERS | T_DATA | T_ERROR);
	run_feed(&r, s.p, s.n);
	CHECK_STR_EQ(run_end(&r), "E join\n"
				  "H s3 f04 :status=200\n"
				  "D s3 a\n"
				  "D s3 b END\n");
	CHECK(h2_hpack_desynced(&r.p));
	run_free(&r);
	nghttp2_hd_deflate_del(d);
}

/* Too few frames to confirm a boundary: nothing is said until more come. */
TEST(h2_join_waits_for_confirmation)
{
	nghttp2_hd_deflater *d = deflater();
	struct stream s = {0}, more = {0};
	struct run r;

	headers(&s, d, 1, GET_X, &(struct hopts){.end_stream = 1});
	frame(&s, 8, 0, 0, "\x00\x00\x10\x00", 4);
	headers(&more, d, 3, GET_X, &(struct hopts){.end_stream = 1});
	run_begin(&r, H2_CLIENT, NULL, T_HEADERS | T_FRAME);
	run_feed(&r, s.p, s.n);
	CHECK_EQ_U64(r.t.b.len, 0);
	CHECK(h2_frames_lost(&r.p));
	run_feed(&r, more.p, more.n);
	CHECK_STR_EQ(run_end(&r), "F1 f05 s1 l24\n"
				  "H s1 f01 :method=GET :scheme=https :path=/x "
				  ":authority=example.com user-agent=test/1.0\n"
				  "F8 f00 s0 l4\n"
				  "F1 f05 s3 l8\n"
				  "H s3 f01 :method=GET :scheme=https :path=/x "
				  ":authority=example.com user-agent=test/1.0\n");
	run_free(&r);
	nghttp2_hd_deflate_del(d);
}

/*
 * A gap in the middle of a DATA frame: the rest of the frame is skipped, the next boundary
 * found, and fields that refer to entries inserted before the gap are left out.
 */
TEST(h2_gap_resync)
{
	nghttp2_hd_deflater *d = deflater();
	struct stream a = {0}, b = {0};
	struct run r;

	server_200(&a, d);
	headers(&a, d, 3, NVS(NV(":status", "200"), NV("content-type", "text/plain")), NULL);
	data(&a, 3, "first part of a long body", 0, 0);
	/* what arrives after the gap: the tail of a DATA frame, then whole frames */
	data(&b, 3, "....the lost frame's tail", 0, 0);
	data(&b, 3, "after", 0, 0);
	headers(&b, d, 3, NVS(NV("grpc-status", "0"), NV("content-type", "text/plain")),
		&(struct hopts){.end_stream = 1});
	frame(&b, 6, 0, 0, "87654321", 8);
	frame(&b, 7, 0, 0, "\x00\x00\x00\x03\x00\x00\x00\x00", 8);
	run_begin(&r, H2_SERVER, NULL, T_ALL & ~T_FRAME);
	run_feed(&r, a.p, a.n - 10);
	h2_gap(&r.p);
	CHECK(h2_frames_lost(&r.p) && h2_hpack_desynced(&r.p));
	run_feed(&r, b.p + 20, b.n - 20);
	CHECK_STR_EQ(run_end(&r), "S 3=100 4=65535\n"
				  "S ack\n"
				  "H s1 f00 :status=200 content-type=text/plain\n"
				  "D s1 hello \n"
				  "D s1 world END\n"
				  "H s3 f00 :status=200 content-type=text/plain\n"
				  "D s3 first part of a\n"
				  "D s3 after\n"
				  "H s3 f07 grpc-status=0\n"
				  "G l3 e0\n");
	CHECK_EQ_U64(ctr(&r, H2_C_ERR_GAP), 1);
	CHECK_EQ_U64(ctr(&r, H2_C_LOST), 1);
	CHECK_EQ_U64(ctr(&r, H2_C_RESYNC), 1);
	CHECK_EQ_U64(ctr(&r, H2_C_DESYNC), 1);
	CHECK_EQ_U64(ctr(&r, H2_C_SKIPPED_BYTES), 9 + 25 - 20);
	CHECK(!h2_frames_lost(&r.p));
	CHECK(h2_hpack_desynced(&r.p));
	run_free(&r);
	nghttp2_hd_deflate_del(d);
}

static void table_clear(struct stream *warm, struct stream *s, nghttp2_hd_deflater *d)
{
	client_get(warm, d);
	nghttp2_hd_deflate_change_table_size(d, 0);
	nghttp2_hd_deflate_change_table_size(d, 4096);
	headers(s, d, 3, GET_X, &(struct hopts){.end_stream = 1});
	headers(s, d, 5, GET_X, &(struct hopts){.end_stream = 1});
	frame(s, 6, 0, 0, "12345678", 8);
}

/* A dynamic table size update to 0 empties the encoder's table: the state is known again. */
TEST(h2_hpack_resync_on_table_clear)
{
	nghttp2_hd_deflater *d = deflater();
	struct stream warm = {0}, s = {0};
	struct run r;

	table_clear(&warm, &s, d);
	run_begin(&r, H2_CLIENT, NULL, T_HEADERS);
	run_feed(&r, s.p, s.n);
	CHECK_STR_EQ(run_end(&r), "H s3 f01 :method=GET :scheme=https :path=/x "
				  ":authority=example.com user-agent=test/1.0\n"
				  "H s5 f01 :method=GET :scheme=https :path=/x "
				  ":authority=example.com user-agent=test/1.0\n");
	CHECK(!h2_hpack_desynced(&r.p));
	CHECK_EQ_U64(ctr(&r, H2_C_HPACK_RESYNC), 1);
	run_free(&r);
	nghttp2_hd_deflate_del(d);
}

TEST(h2_oversized_frame)
{
	static uint8_t big[20000];
	nghttp2_hd_deflater *d = deflater();
	struct stream s = {0};
	struct h2_setting mfs = {5, 16384};
	struct run r;

	server_200(&s, d);
	frame(&s, 0, 0, 1, big, sizeof(big));
	run_begin(&r, H2_SERVER, NULL, T_ERROR);
	h2_peer_settings(&r.p, &mfs, 1);
	run_feed(&r, s.p, s.n);
	CHECK_STR_EQ(run_end(&r), "E frame_size\n");
	CHECK_EQ_U64(ctr(&r, H2_C_ERR_FRAME_SIZE), 1);
	CHECK(h2_frames_lost(&r.p));
	CHECK_EQ_U64(ctr(&r, H2_C_FRAMES), 5);
	run_free(&r);

	/* without the peer's SETTINGS the frame is taken */
	run_begin(&r, H2_SERVER, NULL, T_ERROR);
	run_feed(&r, s.p, s.n);
	CHECK_STR_EQ(run_end(&r), "");
	CHECK_EQ_U64(ctr(&r, H2_C_DATA_BYTES), 11 + sizeof(big));
	run_free(&r);
	nghttp2_hd_deflate_del(d);
}

TEST(h2_header_block_too_large)
{
	nghttp2_hd_deflater *d = deflater();
	struct stream s = {0};
	struct h2_limits lim = {.max_header_block = 40};
	char v[100];
	struct run r;

	memset(v, 'v', sizeof(v) - 1);
	v[sizeof(v) - 1] = 0;
	preface(&s);
	headers(&s, d, 1,
		(const nghttp2_nv[]){NV(":method", "GET"),
				     {(uint8_t *)"x-big", (uint8_t *)v, 5, sizeof(v) - 1, 0}},
		2, &(struct hopts){.split = 30});
	data(&s, 1, "still here", 1, 0);
	headers(&s, d, 3, NVS(NV(":method", "GET"), NV(":path", "/")),
		&(struct hopts){.end_stream = 1});
	run_begin(&r, H2_CLIENT, &lim, T_HEADERS | T_DATA | T_ERROR);
	run_feed(&r, s.p, s.n);
	CHECK_STR_EQ(run_end(&r), "E block_size\n"
				  "H s1 f04\n"
				  "D s1 still here END\n"
				  "H s3 f01 :method=GET :path=/\n");
	CHECK_EQ_U64(ctr(&r, H2_C_ERR_BLOCK_SIZE), 1);
	CHECK(h2_hpack_desynced(&r.p));
	CHECK(!h2_frames_lost(&r.p));
	run_free(&r);
	nghttp2_hd_deflate_del(d);
}

TEST(h2_invalid_hpack)
{
	static const struct {
		const char *blk;
		size_t n;
	} bad[] = {
		{"\x80", 1},			     /* index 0 */
		{"\xff\xff\xff\xff\xff\xff\x7f", 7}, /* integer overflow */
		{"\x82\x20", 2},		     /* size update after a field */
		{"\x44\x85", 2},		     /* string past the end */
		{"\x40\x81\xff\x00", 4},	     /* bad Huffman (EOS) */
		{"\x00\x7f\xff\x03", 4},	     /* name length past the end */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct stream s = {0};
		struct run r;

		preface(&s);
		headers_raw(&s, 1, (const uint8_t *)bad[i].blk, bad[i].n, NULL);
		data(&s, 1, "ok", 1, 0);
		run_begin(&r, H2_CLIENT, NULL, T_HEADERS | T_DATA | T_ERROR);
		run_feed(&r, s.p, s.n);
		run_end(&r);
		if (!CHECK(strstr(r.s, "E hpack\n") && strstr(r.s, "D s1 ok END\n")))
			fprintf(stderr, "    case %zu: %s\n", i, r.s);
		CHECK(h2_hpack_desynced(&r.p));
		run_free(&r);
	}
}

TEST(h2_unknown_reference_in_step)
{
	struct stream s = {0};
	struct run r;

	/* :method GET (static), then index 62: nothing was ever inserted */
	preface(&s);
	headers_raw(&s, 1, (const uint8_t *)"\x82\xbe\x84", 3, &(struct hopts){.end_stream = 1});
	run_begin(&r, H2_CLIENT, NULL, T_HEADERS | T_ERROR);
	run_feed(&r, s.p, s.n);
	CHECK_STR_EQ(run_end(&r), "E hpack_ref\n"
				  "H s1 f05 :method=GET :path=/\n");
	CHECK(h2_hpack_desynced(&r.p));
	CHECK_EQ_U64(ctr(&r, H2_C_DESYNC), 1);
	run_free(&r);
}

TEST(h2_limits_fields)
{
	nghttp2_hd_deflater *d = deflater();
	struct stream s = {0};
	struct h2_limits lim = {.max_fields = 3};
	struct run r;

	preface(&s);
	headers(&s, d, 1, GET_X, &(struct hopts){.end_stream = 1});
	headers(&s, d, 3, GET_X, &(struct hopts){.end_stream = 1});
	run_begin(&r, H2_CLIENT, &lim, T_HEADERS | T_ERROR);
	run_feed(&r, s.p, s.n);
	/* dropped fields still update the table: the second block decodes the same */
	CHECK_STR_EQ(run_end(&r), "E fields\n"
				  "H s1 f09 :method=GET :scheme=https :path=/x\n"
				  "E fields\n"
				  "H s3 f09 :method=GET :scheme=https :path=/x\n");
	CHECK(!h2_hpack_desynced(&r.p));
	run_free(&r);
	nghttp2_hd_deflate_del(d);
}

TEST(h2_framing_errors)
{
	struct run r;

	/* a header block cut by DATA */
	{
		struct stream t = {0};

		preface(&t);
		headers_raw(&t, 1, (const uint8_t *)"\x82\x84", 2, &(struct hopts){.split = 1});
		t.n -= 9 + 1; /* drop the CONTINUATION */
		data(&t, 1, "x", 1, 0);
		run_begin(&r, H2_CLIENT, NULL, T_ERROR);
		run_feed(&r, t.p, t.n);
		CHECK_STR_EQ(run_end(&r), "E continuation\n");
		CHECK(h2_frames_lost(&r.p));
		run_free(&r);
	}

	/* padding longer than the frame: the frame is skipped, the stream still ends */
	{
		struct stream t = {0};

		preface(&t);
		frame(&t, 0, 0x9, 1,
		      "\x05"
		      "ab",
		      3);
		frame(&t, 6, 0, 0, "12345678", 8);
		run_begin(&r, H2_CLIENT, NULL, T_ALL);
		run_feed(&r, t.p, t.n);
		CHECK_STR_EQ(run_end(&r), "F0 f09 s1 l3\n"
					  "E padding\n"
					  "D s1  END\n"
					  "F6 f00 s0 l8\n");
		CHECK(!h2_frames_lost(&r.p));
		run_free(&r);
	}

	/* an even stream from a client, a RST_STREAM of 5 bytes */
	{
		struct stream t = {0};

		preface(&t);
		frame(&t, 0, 0, 2, "x", 1);
		run_begin(&r, H2_CLIENT, NULL, T_ERROR);
		run_feed(&r, t.p, t.n);
		CHECK_STR_EQ(run_end(&r), "E frame\n");
		run_free(&r);
		t.n = 0;
		preface(&t);
		frame(&t, 3, 0, 1, "\x00\x00\x00\x00\x00", 5);
		run_begin(&r, H2_CLIENT, NULL, T_ERROR);
		run_feed(&r, t.p, t.n);
		CHECK_STR_EQ(run_end(&r), "E frame\n");
		run_free(&r);
	}
}

/* Bytes that are no HTTP/2: nothing is reported, nothing kept past the window. */
TEST(h2_garbage_stays_silent)
{
	static uint8_t junk[200000];
	struct h2_limits lim = {.resync_window = 4096};
	uint32_t x = 12345;
	struct run r;

	for (size_t i = 0; i < sizeof(junk); i++) {
		x = x * 1103515245 + 12345;
		junk[i] = (uint8_t)(x >> 16);
	}
	run_begin(&r, H2_CLIENT, &lim, T_ALL & ~T_ERROR);
	run_feed(&r, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
	for (size_t i = 0; i < sizeof(junk); i += 7000)
		run_feed(&r, junk + i, sizeof(junk) - i < 7000 ? sizeof(junk) - i : 7000);
	CHECK_STR_EQ(run_end(&r), "");
	CHECK(h2_frames_lost(&r.p));
	CHECK_EQ_U64(ctr(&r, H2_C_SKIPPED_BYTES) + r.p.sb_len - r.p.sb_off, 27 + sizeof(junk));
	CHECK(r.p.sb_len - r.p.sb_off <= 4096);
	run_free(&r);
}

TEST(h2_names)
{
	CHECK_STR_EQ(h2_counter_name(H2_C_BYTES), "bytes");
	CHECK_STR_EQ(h2_counter_name(H2_C_ERR_NO_MEMORY), "err_no_memory");
	CHECK(h2_counter_name(H2_C__MAX) == NULL);
	for (int c = 0; c < H2_C__MAX; c++)
		CHECK(h2_counter_name(c) != NULL);
	CHECK_STR_EQ(h2_error_name(H2_ERR_JOIN), "join");
	CHECK_STR_EQ(h2_error_name(H2_ERR_HPACK_REF), "hpack_ref");
	CHECK(h2_error_name(H2_ERR__MAX) == NULL);
}

/*
 * With H2_SEED_DIR set, writes the streams above as fuzz_h2 seeds: a 4-byte header (no cuts,
 * no gap; see fuzz/fuzz_h2.c) and the stream.
 */
static void seed(const char *dir, const char *name, const struct stream *s, const uint8_t *hdr)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!CHECK(f != NULL))
		return;
	fwrite(hdr, 1, 4, f);
	fwrite(s->p, 1, s->n, f);
	fclose(f);
}

TEST(h2_write_seeds)
{
	static const uint8_t plain[4], gap[4] = {0x02, 0, 0x60, 0}, small[4] = {0x05, 0, 0, 0};
	const char *dir = getenv("H2_SEED_DIR");
	nghttp2_hd_deflater *d;
	static struct stream s, warm;

	if (!dir)
		return;
	mkdir(dir, 0755);
	d = deflater();
	s.n = 0;
	client_get(&s, d);
	headers(&s, d, 3, GET_X, &(struct hopts){.split = 3, .pad = 2, .priority = 1});
	data(&s, 3, "xy", 1, 1);
	seed(dir, "client-get-continuation", &s, plain);
	seed(dir, "client-gap", &s, gap);
	nghttp2_hd_deflate_del(d);

	d = deflater();
	s.n = 0;
	server_200(&s, d);
	seed(dir, "server-200", &s, plain);
	nghttp2_hd_deflate_del(d);

	d = deflater();
	s.n = 0;
	grpc_response(&s, d);
	seed(dir, "server-grpc-trailers", &s, plain);
	seed(dir, "server-grpc-small-limits", &s, small);
	nghttp2_hd_deflate_del(d);

	d = deflater();
	s.n = 0;
	interleaved(&s, d);
	seed(dir, "server-interleaved", &s, plain);
	nghttp2_hd_deflate_del(d);

	d = deflater();
	s.n = 0;
	client_get(&s, d);
	s.n = 0;
	headers(&s, d, 3, GET_X, &(struct hopts){.end_stream = 1});
	frame(&s, 8, 0, 0, "\x00\x00\x10\x00", 4);
	headers(&s, d, 5, GET_X, NULL);
	data(&s, 5, "payload", 1, 0);
	frame(&s, 3, 0, 5, "\x00\x00\x00\x08", 4);
	frame(&s, 7, 0, 0, "\x00\x00\x00\x05\x00\x00\x00\x00", 8);
	seed(dir, "client-joined", &s, plain);
	nghttp2_hd_deflate_del(d);

	d = deflater();
	s.n = 0;
	push_and_control(&s, d);
	seed(dir, "server-push-rst-goaway", &s, plain);
	nghttp2_hd_deflate_del(d);

	d = deflater();
	s.n = 0;
	join_unknown_name(&warm, &s, d);
	seed(dir, "client-joined-unknown-name", &s, plain);
	nghttp2_hd_deflate_del(d);

	d = deflater();
	s.n = warm.n = 0;
	table_clear(&warm, &s, d);
	seed(dir, "client-joined-table-cleared", &s, plain);
	nghttp2_hd_deflate_del(d);
}

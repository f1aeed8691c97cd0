// SPDX-License-Identifier: MIT
/* http.c: plaintext records of one connection end to http records. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <nghttp2/nghttp2.h>

#include "check.h"
#include "http.h"
#include "sink/sink.h"

static struct {
	unsigned int n;
	struct buf json[8];
} out;

static void collect(void *ctx, const struct http_record *r)
{
	(void)ctx;
	if (out.n < 8) {
		buf_reset(&out.json[out.n]);
		json_format_http(&out.json[out.n], r);
		buf_putc(&out.json[out.n], 0);
	}
	out.n++;
}

static void reset(void)
{
	for (int i = 0; i < 8; i++)
		buf_free(&out.json[i]);
	memset(&out, 0, sizeof(out));
}

static struct conn_tuple conn(enum conn_role role)
{
	struct conn_tuple c = {
		.laddr = {127, 0, 0, 1}, .raddr = {127, 0, 0, 1}, .family = AF_INET, .role = role};

	c.lport = role == ROLE_CLIENT ? 50000 : 443;
	c.rport = role == ROLE_CLIENT ? 443 : 50000;
	return c;
}

/* One TLS call of the end `c` moving s in direction dir at time ts. */
static void call(struct http_tracker *t, const struct conn_tuple *c, enum data_dir dir, uint64_t ts,
		 const char *s, enum truncation tr)
{
	struct data_record d = {.ts = ts,
				.pid = 7,
				.tid = 7,
				.comm = "curl",
				.netns = 1,
				.fd = 3,
				.conn = c,
				.dir = dir,
				.truncated = tr};

	d.len = d.captured = strlen(s);
	if (tr != TRUNC_NONE)
		d.len += 1000; /* bytes the record did not carry */
	d.data = (const uint8_t *)guard_copy(s, d.captured ? d.captured : 1);
	http_data(t, &d, ts);
}

static const char get_req[] = "GET /a?b=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer xyz\r\n\r\n";
static const char ok_resp[] =
	"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nSet-Cookie: s=1\r\n\r\nhello";

TEST(client_get_exact_record)
{
	struct conn_tuple c = conn(ROLE_CLIENT);
	struct http_tracker *t = http_new(16, 1, 0, collect, NULL);

	reset();
	call(t, &c, DIR_EGRESS, 1000, get_req, TRUNC_NONE);
	call(t, &c, DIR_INGRESS, 1500, "HTTP/1.1 200 OK\r\nContent-Le", TRUNC_NONE);
	CHECK_EQ_U64(out.n, 0);
	call(t, &c, DIR_INGRESS, 1700, "ngth: 5\r\nSet-Cookie: s=1\r\n\r\nhel", TRUNC_NONE);
	call(t, &c, DIR_INGRESS, 2500, "lo", TRUNC_NONE);
	if (CHECK_EQ_U64(out.n, 1))
		CHECK_STR_EQ(
			out.json[0].p,
			"{\"type\":\"http\",\"ts\":1000,\"pid\":7,\"comm\":\"curl\",\"netns\":1,"
			"\"cgroup_id\":0,\"conn\":{\"local\":\"127.0.0.1:50000\",\"remote\":"
			"\"127.0.0.1:443\",\"role\":\"client\"},\"protocol\":\"HTTP/1.1\","
			"\"method\":\"GET\",\"path\":\"/a?b=1\",\"status\":200,\"latency_ns\":1500,"
			"\"req_headers\":{\"Host\":\"x\",\"Authorization\":\"**********\"},"
			"\"resp_headers\":{\"Content-Length\":\"5\",\"Set-Cookie\":\"***\"},"
			"\"req_body_len\":0,\"resp_body_len\":5,\"redacted\":2,\"tls\":null}\n");
	CHECK_EQ_U64(http_counters(t)[HTTP_C_RECORDS], 1);
	http_free(t);
	reset();
}

TEST(server_end_pipelined_and_interim)
{
	struct conn_tuple s = conn(ROLE_SERVER);
	struct http_tracker *t = http_new(16, 0, 0, collect, NULL);

	reset();
	/* the server reads two pipelined requests (the second a HEAD) and a POST with a body */
	call(t, &s, DIR_INGRESS, 10, "GET /1 HTTP/1.1\r\n\r\nHEAD /2 HTTP/1.1\r\n\r\n", TRUNC_NONE);
	call(t, &s, DIR_INGRESS, 20,
	     "POST /3 HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n", TRUNC_NONE);
	call(t, &s, DIR_EGRESS, 30, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nab", TRUNC_NONE);
	call(t, &s, DIR_EGRESS, 40, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", TRUNC_NONE);
	call(t, &s, DIR_EGRESS, 50, "HTTP/1.1 100 Continue\r\n\r\n", TRUNC_NONE);
	call(t, &s, DIR_INGRESS, 60, "body", TRUNC_NONE);
	call(t, &s, DIR_EGRESS, 70,
	     "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
	     TRUNC_NONE);
	if (!CHECK_EQ_U64(out.n, 3))
		goto out;
	CHECK(strstr(out.json[0].p,
		     "\"method\":\"GET\",\"path\":\"/1\",\"status\":200,\"latency_ns\":20,"));
	CHECK(strstr(out.json[0].p, "\"role\":\"server\""));
	/* the HEAD's response has no body although it says 99 */
	CHECK(strstr(out.json[1].p, "\"method\":\"HEAD\",\"path\":\"/2\",\"status\":200"));
	CHECK(strstr(out.json[1].p, "\"resp_body_len\":0"));
	CHECK(strstr(out.json[2].p,
		     "\"method\":\"POST\",\"path\":\"/3\",\"status\":201,\"latency_ns\":50"));
	CHECK(strstr(out.json[2].p, "\"req_body_len\":4,\"resp_body_len\":3"));
out:
	http_free(t);
	reset();
}

TEST(gap_resyncs_and_unpaired_response_invents_nothing)
{
	struct conn_tuple c = conn(ROLE_CLIENT);
	struct http_tracker *t = http_new(16, 0, 0, collect, NULL);

	reset();
	call(t, &c, DIR_EGRESS, 1, "GET /x HTTP/1.1\r\n\r\n", TRUNC_NONE);
	/* the response lost its tail: no record for it, the parser waits for the next message */
	call(t, &c, DIR_INGRESS, 2, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc",
	     TRUNC_LOST);
	CHECK_EQ_U64(out.n, 0);
	CHECK_EQ_U64(http_counters(t)[HTTP_C_GAPS], 1);
	call(t, &c, DIR_INGRESS, 3, "garbage HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
	     TRUNC_NONE);
	/* the 404 is certain; which request it answers is not known */
	if (CHECK_EQ_U64(out.n, 1))
		CHECK(strstr(out.json[0].p, "\"method\":null,\"path\":null,\"status\":404"));
	http_free(t);
	reset();
}

TEST(not_http_is_given_up)
{
	struct conn_tuple c = conn(ROLE_CLIENT);
	struct http_tracker *t = http_new(16, 0, 0, collect, NULL);

	reset();
	for (int i = 0; i < 6; i++)
		call(t, &c, DIR_EGRESS, i, "\x01\x02 binary protocol", TRUNC_NONE);
	call(t, &c, DIR_EGRESS, 9, get_req, TRUNC_NONE);
	call(t, &c, DIR_INGRESS, 10, ok_resp, TRUNC_NONE);
	CHECK_EQ_U64(out.n, 0);
	CHECK_EQ_U64(http_counters(t)[HTTP_C_NOT_HTTP], 1);
	CHECK_EQ_U64(http_counters(t)[HTTP_C_CONNS], 0);
	http_free(t);
	reset();
}

TEST(connections_are_bounded)
{
	struct http_tracker *t = http_new(2, 0, 0, collect, NULL);
	struct conn_tuple c[3];

	reset();
	for (int i = 0; i < 3; i++) {
		c[i] = conn(ROLE_CLIENT);
		c[i].lport += i;
		call(t, &c[i], DIR_EGRESS, i, get_req, TRUNC_NONE);
	}
	CHECK_EQ_U64(http_counters(t)[HTTP_C_EVICTED], 1);
	CHECK_EQ_U64(http_counters(t)[HTTP_C_DROPPED_REQ], 1);
	/* the evicted one's response finds no request: reported as unpaired */
	call(t, &c[0], DIR_INGRESS, 9, ok_resp, TRUNC_NONE);
	call(t, &c[2], DIR_INGRESS, 9, ok_resp, TRUNC_NONE);
	/* c[0] came back as a new connection: its status line is certain, its request unknown */
	if (CHECK_EQ_U64(out.n, 2)) {
		CHECK(strstr(out.json[0].p, "\"method\":null,\"path\":null,\"status\":200"));
		CHECK(strstr(out.json[1].p,
			     "\"method\":\"GET\",\"path\":\"/a?b=1\",\"status\":200"));
	}
	http_expire(t, 1000000, 10);
	http_free(t);
	reset();
}

TEST(capture_limit_inside_a_body_keeps_pairing)
{
	struct conn_tuple c = conn(ROLE_CLIENT);
	struct http_tracker *t = http_new(16, 0, 0, collect, NULL);

	reset();
	call(t, &c, DIR_EGRESS, 1, "GET /big HTTP/1.1\r\n\r\n", TRUNC_NONE);
	/* 1000 body bytes beyond what was captured: counted, and the next response still pairs */
	call(t, &c, DIR_INGRESS, 2, "HTTP/1.1 200 OK\r\nContent-Length: 1003\r\n\r\nabc",
	     TRUNC_LIMIT);
	call(t, &c, DIR_EGRESS, 3, "GET /next HTTP/1.1\r\n\r\n", TRUNC_NONE);
	call(t, &c, DIR_INGRESS, 4, "HTTP/1.1 204 No Content\r\n\r\n", TRUNC_NONE);
	if (CHECK_EQ_U64(out.n, 2)) {
		CHECK(strstr(out.json[0].p, "\"path\":\"/big\",\"status\":200"));
		CHECK(strstr(out.json[0].p, "\"resp_body_len\":1003"));
		CHECK(strstr(out.json[1].p, "\"path\":\"/next\",\"status\":204"));
	}
	CHECK_EQ_U64(http_counters(t)[HTTP_C_GAPS], 1);
	http_free(t);
	reset();
}

TEST(pairing_resumes_once_nothing_is_owed)
{
	struct conn_tuple c = conn(ROLE_CLIENT);
	struct http_tracker *t = http_new(16, 0, 0, collect, NULL);

	reset();
	call(t, &c, DIR_EGRESS, 1, "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n", TRUNC_NONE);
	/* the first response's headers are lost: which response answers what is unknown */
	call(t, &c, DIR_INGRESS, 2, "HTTP/1.1 200 OK\r\nConte", TRUNC_LOST);
	call(t, &c, DIR_INGRESS, 3, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", TRUNC_NONE);
	/* both requests are answered now: a new request pairs again */
	call(t, &c, DIR_EGRESS, 4, "GET /3 HTTP/1.1\r\n\r\n", TRUNC_NONE);
	call(t, &c, DIR_INGRESS, 5, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
	     TRUNC_NONE);
	if (CHECK_EQ_U64(out.n, 2)) {
		CHECK(strstr(out.json[0].p, "\"method\":null,\"path\":null,\"status\":200"));
		CHECK(strstr(out.json[1].p, "\"path\":\"/3\",\"status\":404"));
	}
	http_free(t);
	reset();
}

TEST(first_bytes_in_tiny_reads)
{
	struct conn_tuple s = conn(ROLE_SERVER);
	struct http_tracker *t = http_new(16, 0, 0, collect, NULL);
	static const char *const pieces[] = {"G", "E", "T", " /tiny", " HTTP/1.1\r\n\r\n"};

	reset();
	/* a server reading one byte at a time: nothing is lost while it is not yet known */
	for (int i = 0; i < 5; i++)
		call(t, &s, DIR_INGRESS, 10 + i, pieces[i], TRUNC_NONE);
	call(t, &s, DIR_EGRESS, 20, "H", TRUNC_NONE);
	call(t, &s, DIR_EGRESS, 21, "TTP/1.1 204 No Content\r\n\r\n", TRUNC_NONE);
	if (CHECK_EQ_U64(out.n, 1))
		CHECK(strstr(out.json[0].p, "\"ts\":10,") &&
		      strstr(out.json[0].p, "\"method\":\"GET\",\"path\":\"/tiny\",\"status\":204,"
					    "\"latency_ns\":11"));
	http_free(t);
	reset();
}

/* HTTP/2 frame: 3-byte length, type, flags, stream id, payload. */
static size_t frame(uint8_t *out, uint8_t type, uint8_t flags, uint32_t sid, const char *payload,
		    size_t n)
{
	out[0] = n >> 16, out[1] = n >> 8, out[2] = n;
	out[3] = type, out[4] = flags;
	out[5] = sid >> 24, out[6] = sid >> 16, out[7] = sid >> 8, out[8] = sid;
	memcpy(out + 9, payload, n);
	return 9 + n;
}

static void call_bytes(struct http_tracker *t, const struct conn_tuple *c, enum data_dir dir,
		       uint64_t ts, const uint8_t *p, size_t n)
{
	struct data_record d = {.ts = ts,
				.pid = 7,
				.tid = 7,
				.comm = "curl",
				.netns = 1,
				.fd = 3,
				.conn = c,
				.dir = dir,
				.len = n,
				.captured = n};

	d.data = (const uint8_t *)guard_copy(p, n);
	http_data(t, &d, ts);
}

TEST(http2_streams_paired_by_id)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	struct conn_tuple c = conn(ROLE_CLIENT);
	struct http_tracker *t = http_new(16, 0, 0, collect, NULL);
	uint8_t b[512];
	size_t n;

	reset();
	/* static-table HPACK: 0x82 :method GET, 0x83 :method POST, 0x84 :path /, 0x86 http */
	memcpy(b, preface, 24);
	n = 24 + frame(b + 24, 4, 0, 0, "", 0);
	n += frame(b + n, 1, 5, 1,
		   "\x82\x84\x86\x41\x01"
		   "a",
		   6); /* GET /, END_STREAM */
	n += frame(b + n, 1, 4, 3,
		   "\x83\x84\x86\x41\x01"
		   "a",
		   6); /* POST / */
	call_bytes(t, &c, DIR_EGRESS, 100, b, n);
	n = frame(b, 0, 1, 3, "body!", 5); /* its body, END_STREAM */
	call_bytes(t, &c, DIR_EGRESS, 110, b, n);
	/* the answers, stream 3 first: 0x8d :status 404, 0x88 :status 200 */
	n = frame(b, 4, 0, 0, "", 0);
	n += frame(b + n, 1, 5, 3, "\x8d", 1);
	n += frame(b + n, 1, 4, 1, "\x88", 1);
	call_bytes(t, &c, DIR_INGRESS, 200, b, n);
	n = frame(b, 0, 1, 1, "hello", 5);
	call_bytes(t, &c, DIR_INGRESS, 250, b, n);
	if (CHECK_EQ_U64(out.n, 2)) {
		CHECK(strstr(out.json[0].p,
			     "\"protocol\":\"HTTP/2\",\"method\":\"POST\",\"path\":\"/\","
			     "\"status\":404,\"latency_ns\":100"));
		CHECK(strstr(out.json[0].p, "\"req_body_len\":5,\"resp_body_len\":0"));
		CHECK(strstr(out.json[1].p, "\"method\":\"GET\",\"path\":\"/\",\"status\":200,"
					    "\"latency_ns\":150"));
		/* pseudo-headers are the request line, not headers */
		CHECK(strstr(out.json[1].p, "\"req_headers\":{}"));
		CHECK(strstr(out.json[1].p, "\"req_body_len\":0,\"resp_body_len\":5"));
	}
	CHECK_EQ_U64(http_counters(t)[HTTP_C_H2_CONNS], 1);
	http_free(t);
	reset();
}

/* Feeds p as one record, then masks it in place as the agent does; returns the field count. */
static unsigned int call_masked(struct http_tracker *t, const struct conn_tuple *c, uint64_t ts,
				uint8_t *p, size_t n)
{
	const struct http_mask *m;
	unsigned int nm, fields;

	call_bytes(t, c, DIR_EGRESS, ts, p, n);
	fields = http_masks(t, &m, &nm);
	for (unsigned int i = 0; i < nm; i++) {
		if (m[i].clear_huffman)
			p[m[i].off] &= 0x7f;
		else
			memset(p + m[i].off, '*', m[i].len);
	}
	return fields;
}

/* Decodes one header block with a fresh inflater into "name=value;" pairs. */
static void inflate_all(nghttp2_hd_inflater *hd, const uint8_t *blk, size_t n, struct buf *out)
{
	for (;;) {
		nghttp2_nv nv;
		int fl = 0;
		ssize_t rv = nghttp2_hd_inflate_hd2(hd, &nv, &fl, blk, n, 1);

		if (rv < 0) {
			buf_puts(out, "ERROR");
			return;
		}
		blk += rv;
		n -= (size_t)rv;
		if (fl & NGHTTP2_HD_INFLATE_EMIT) {
			buf_put(out, nv.name, nv.namelen);
			buf_putc(out, '=');
			buf_put(out, nv.value, nv.valuelen);
			buf_putc(out, ';');
		}
		if (fl & NGHTTP2_HD_INFLATE_FINAL)
			break;
	}
	nghttp2_hd_inflate_end_headers(hd);
}

TEST(http2_secret_values_masked_in_place)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
#define NV(n, v) {(uint8_t *)n, (uint8_t *)v, sizeof(n) - 1, sizeof(v) - 1, 0}
	nghttp2_nv hdrs[] = {
		NV(":method", "GET"),
		NV(":path", "/secret"),
		NV(":scheme", "https"),
		NV("authorization", "Bearer s3cr3t-t0ken-with-some-length"),
		NV("cookie", "session=abcdef0123456789"),
		NV("user-agent", "unit/1"),
	};
	struct conn_tuple c = conn(ROLE_CLIENT);
	nghttp2_hd_deflater *def;
	nghttp2_hd_inflater *inf;
	uint8_t blk[512], b[1024];
	struct buf got = {0};
	ssize_t bl;
	size_t n;

	for (int split = 0; split < 2; split++) {
		struct http_tracker *t = http_new(16, 1, 0, collect, NULL);
		unsigned int fields;

		reset();
		CHECK(!nghttp2_hd_deflate_new(&def, 4096));
		bl = nghttp2_hd_deflate_hd(def, blk, sizeof(blk), hdrs, 6);
		CHECK(bl > 0);
		memcpy(b, preface, 24);
		n = 24 + frame(b + 24, 4, 0, 0, "", 0);
		n += frame(b + n, 1, 5, 1, (const char *)blk, (size_t)bl);
		if (!split) {
			/* the whole request in one record: both values masked where they are */
			fields = call_masked(t, &c, 100, b, n);
			CHECK_EQ_U64(fields, 2);
			CHECK_EQ_U64(http_counters(t)[HTTP_C_REDACT_MISSED], 0);
		} else {
			/* the block cut in two records: the first part was shown already */
			size_t cut = n - (size_t)bl / 2;

			fields = call_masked(t, &c, 100, b, cut);
			CHECK_EQ_U64(fields, 0);
			fields = call_masked(t, &c, 101, b + cut, n - cut);
			CHECK_EQ_U64(fields, 2);
			CHECK(http_counters(t)[HTTP_C_REDACT_MISSED] >= 1);
		}
		CHECK(!nghttp2_hd_inflate_new(&inf));
		buf_reset(&got);
		inflate_all(inf, b + n - (size_t)bl, (size_t)bl, &got);
		buf_putc(&got, 0);
		if (!split) {
			/* same length; every value byte a '*' now; the rest as sent */
			CHECK(strstr(got.p, ":path=/secret;"));
			CHECK(strstr(got.p, "user-agent=unit/1;"));
			CHECK(strstr(got.p, "authorization=**") && !strstr(got.p, "s3cr3t"));
			CHECK(strstr(got.p, "cookie=**") && !strstr(got.p, "abcdef"));
		}
		CHECK(!strstr(got.p, "ERROR"));
		/* the http record masks them too */
		n = frame(b, 4, 0, 0, "", 0);
		n += frame(b + n, 1, 5, 1, "\x88", 1);
		call_bytes(t, &c, DIR_INGRESS, 200, b, n);
		if (CHECK_EQ_U64(out.n, 1))
			CHECK(strstr(out.json[0].p,
				     "\"authorization\":\"************************************\""));
		nghttp2_hd_inflate_del(inf);
		nghttp2_hd_deflate_del(def);
		http_free(t);
	}
	buf_free(&got);
	reset();
#undef NV
}

/* An HTTP/2 connection older than the agent (neither preface nor handshake seen, so
 * d->tls is NULL) is taken for HTTP/2 from records of whole, valid frames. */
TEST(http2_joined_without_handshake_is_reported)
{
	struct conn_tuple c = conn(ROLE_CLIENT);
	struct http_tracker *t = http_new(16, 0, 0, collect, NULL);
	uint8_t b[512];
	size_t n;

	reset();
	/* stream 3: GET / (0x82 0x84 0x87: static entries only), END_STREAM; then streams 5, 7 */
	n = frame(b, 1, 5, 3, "\x82\x84\x87", 3);
	call_bytes(t, &c, DIR_EGRESS, 100, b, n);
	n = frame(b, 1, 4, 3, "\x88", 1); /* :status 200 */
	n += frame(b + n, 0, 1, 3, "hello", 5);
	call_bytes(t, &c, DIR_INGRESS, 200, b, n);
	n = frame(b, 1, 5, 5, "\x82\x84\x87", 3);
	call_bytes(t, &c, DIR_EGRESS, 300, b, n);
	n = frame(b, 1, 4, 5, "\x8d", 1); /* :status 404 */
	n += frame(b + n, 0, 1, 5, "nope", 4);
	call_bytes(t, &c, DIR_INGRESS, 400, b, n);
	n = frame(b, 1, 5, 7, "\x82\x84\x87", 3);
	call_bytes(t, &c, DIR_EGRESS, 500, b, n);
	n = frame(b, 1, 4, 7, "\x88", 1);
	n += frame(b + n, 0, 1, 7, "abc", 3);
	call_bytes(t, &c, DIR_INGRESS, 600, b, n);
	n = frame(b, 7, 0, 0, "\0\0\0\7\0\0\0\0", 8); /* GOAWAY: more frames to chain */
	call_bytes(t, &c, DIR_EGRESS, 700, b, n);
	http_flush(t);
	CHECK_EQ_U64(http_counters(t)[HTTP_C_NOT_HTTP], 0);
	CHECK_EQ_U64(http_counters(t)[HTTP_C_H2_CONNS], 1);
	/* at least the last stream, once both directions are in step: GET / 200, 3 body bytes */
	if (CHECK(out.n >= 1))
		CHECK(strstr(out.json[out.n - 1].p,
			     "\"protocol\":\"HTTP/2\",\"method\":\"GET\",\"path\":\"/"
			     "\",\"status\":200"));
	http_free(t);
	reset();
}

/* A server that answers a request before reading its body, then RST_STREAM(NO_ERROR)
 * (RFC 9113 8.1; nginx does this for a POST to a static file: 405): the record waits for the
 * body's DATA (10 bytes, END_STREAM) that follows on the same end. */
TEST(http2_early_answer_then_reset_keeps_request_body)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	struct conn_tuple s = conn(ROLE_SERVER);
	struct http_tracker *t = http_new(16, 0, 0, collect, NULL);
	uint8_t b[512];
	size_t n;

	reset();
	memcpy(b, preface, 24);
	n = 24 + frame(b + 24, 4, 0, 0, "", 0);
	n += frame(b + n, 1, 4, 1, "\x83\x84\x87", 3); /* POST /, no END_STREAM */
	call_bytes(t, &s, DIR_INGRESS, 100, b, n);
	n = frame(b, 4, 0, 0, "", 0);
	n += frame(b + n, 1, 4, 1, "\x8d", 1); /* :status 404 */
	n += frame(b + n, 0, 1, 1, "nope", 4);
	call_bytes(t, &s, DIR_EGRESS, 200, b, n);
	n = frame(b, 3, 0, 1, "\0\0\0\0", 4); /* RST_STREAM NO_ERROR */
	call_bytes(t, &s, DIR_EGRESS, 210, b, n);
	n = frame(b, 0, 1, 1, "0123456789", 10); /* the body, read after the answer */
	call_bytes(t, &s, DIR_INGRESS, 300, b, n);
	http_flush(t);
	if (CHECK_EQ_U64(out.n, 1))
		CHECK(strstr(out.json[0].p, "\"req_body_len\":10,\"resp_body_len\":4"));
	http_free(t);
	reset();
}

/*
 * Request bytes lost where their extent is not known: the request the loss cut is still the
 * oldest one unanswered, so the next response pairs with it (its body length a lower bound,
 * req_body_partial); what the lost bytes held is unknown, so later responses are unpaired.
 */
TEST(request_loss_pairs_the_cut_request_then_stops)
{
	struct conn_tuple c = conn(ROLE_CLIENT);
	struct http_tracker *t = http_new(16, 0, 0, collect, NULL);

	reset();
	call(t, &c, DIR_EGRESS, 100, "GET /q HTTP/1.1\r\nHost: x\r\n\r\n", TRUNC_NONE);
	call(t, &c, DIR_EGRESS, 110,
	     "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123",
	     TRUNC_LIMIT);
	call(t, &c, DIR_INGRESS, 200, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na", TRUNC_NONE);
	call(t, &c, DIR_INGRESS, 210, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
	     TRUNC_NONE);
	call(t, &c, DIR_INGRESS, 220, "HTTP/1.1 204 No Content\r\n\r\n", TRUNC_NONE);
	if (CHECK_EQ_U64(out.n, 3)) {
		CHECK(strstr(out.json[0].p, "\"method\":\"GET\",\"path\":\"/q\",\"status\":200"));
		CHECK(!strstr(out.json[0].p, "req_body_partial"));
		CHECK(strstr(out.json[1].p, "\"method\":\"POST\",\"path\":\"/x\",\"status\":201"));
		CHECK(strstr(out.json[1].p, "\"req_body_len\":4,\"resp_body_len\":0"));
		CHECK(strstr(out.json[1].p, "\"req_body_partial\":true"));
		CHECK(strstr(out.json[2].p, "\"method\":null,\"path\":null,\"status\":204"));
	}
	http_free(t);
	reset();
}

/*
 * Joined midway, the request direction still looking for a frame boundary: a complete
 * response waits for its request's replay, at most H2_WAIT_NS, then is reported without it.
 */
TEST(http2_response_waits_for_request_replay_then_goes_alone)
{
	struct conn_tuple c = conn(ROLE_CLIENT);
	struct http_tracker *t = http_new(16, 0, 0, collect, NULL);
	uint8_t b[256];
	size_t n;

	reset();
	n = frame(b, 1, 5, 5, "\x82\x84\x87", 3); /* one frame: no chain to confirm it yet */
	call_bytes(t, &c, DIR_EGRESS, 100, b, n);
	/* three frames: the response direction's boundary is certain */
	n = frame(b, 1, 4, 5, "\x88", 1);
	n += frame(b + n, 0, 1, 5, "hello", 5);
	n += frame(b + n, 6, 0, 0, "pingpong", 8);
	call_bytes(t, &c, DIR_INGRESS, 200, b, n);
	http_expire(t, 300, 60000000000ull);
	CHECK_EQ_U64(out.n, 0); /* still waiting */
	http_expire(t, 200 + 2000000000ull, 60000000000ull);
	if (CHECK_EQ_U64(out.n, 1))
		CHECK(strstr(out.json[0].p, "\"method\":null,\"path\":null,\"status\":200"));
	http_free(t);
	reset();
}

// SPDX-License-Identifier: MIT
#include "http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "proto/h2.h"
#include "proto/http1.h"
#include "redact.h"

#define NBUCKETS  1024
#define MAX_REQS  16   /* pipelined requests waiting for their responses, per connection */
#define MAX_HDRS  48   /* headers kept per message */
#define MSG_BYTES 4096 /* method, path and headers kept per message */
#define MAX_TRIES 4    /* records without a request or status line before giving up */
#define PRE_MAX	  24   /* first bytes kept per direction until they tell whether it is HTTP/1 */

enum { ST_UNKNOWN, ST_HTTP1, ST_HTTP2, ST_NOT_HTTP };

#define MAX_STREAMS 64			/* HTTP/2 streams followed at once per connection */
#define MAX_MASKS   64			/* byte ranges masked in one data record */
#define H2_WAIT_NS  (1000 * 1000000ull) /* a response waits this long for its request */

static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

struct field {
	uint32_t no, nl, vo, vl; /* offsets and lengths in msg.buf */
};

struct msg {
	struct msg *next;
	struct msg *resp;  /* a request answered before it was whole: its response, waiting */
	uint64_t start_ts; /* unix ns: the call with its first byte returned */
	uint64_t end_ts;   /* a response: the call that completed it */
	uint64_t body_len;
	int status, minor, done;
	uint8_t h2;
	uint8_t body_partial; /* bytes of the body were lost: body_len is a lower bound */
	uint32_t method_off, method_len, path_off, path_len;
	unsigned int n, redacted;
	uint8_t truncated;
	struct field f[MAX_HDRS];
	uint32_t used;
	char buf[MSG_BYTES];
	uint32_t pv_len; /* the body's first bytes kept, up to the tracker's preview */
	uint8_t pv[];
};

/* An HTTP/2 stream: its request and response as they arrive. */
struct h2stream {
	uint32_t id; /* 0: free */
	struct msg *req, *resp;
	uint8_t req_end, resp_end;
};

struct hconn;

/* What an HTTP/2 parser's callbacks need: the connection, and which direction they parse. */
struct h2side {
	struct hconn *c;
	int request;
};

struct hconn {
	struct hconn *hnext, *prev, *next;
	struct http_tracker *t;
	uint32_t hash, netns;
	struct conn_tuple key; /* role zeroed */
	uint64_t last;
	uint8_t state, tries;
	uint8_t npre[2]; /* ST_UNKNOWN: a direction's first bytes, too few to decide on */
	uint8_t pre[2][PRE_MAX];
	uint64_t pre_ts[2];
	struct h1_parser req, resp;
	struct h2_parser *h2[2]; /* [request?] */
	struct h2side side[2];
	struct h2stream *streams;    /* MAX_STREAMS */
	uint8_t h2_gaps;	     /* the request direction lost bytes */
	uint8_t h2_waiting;	     /* responses wait for the request direction's boundary */
	uint64_t h2_wait_since;	     /* ... since then (CLOCK_MONOTONIC ns) */
	uint64_t h2_fed[2];	     /* [request?]: bytes fed to the HTTP/2 parser */
	uint64_t rec_at;	     /* the stream offset of the record being fed */
	struct msg *q_head, *q_tail; /* requests parsed, oldest first */
	unsigned int nq;
	struct msg *cur_req, *cur_resp;
	/*
	 * Pairing is exact only while every request and response is seen. After response bytes
	 * were lost (`unsure` 1), responses are reported without a request until the server owes
	 * nothing: every request begun has had a response whose start was seen. Lost request
	 * bytes may have held whole requests, so after them (`unsure` 2) it never resumes.
	 */
	uint64_t req_seen, resp_done;
	uint8_t unsure;
	uint32_t trusted; /* unsure 2: queued requests that came before the loss, still paired */
	uint64_t
		start_ts[2]; /* [request?]: the record that carried the next message's first byte */
	const struct data_record *d; /* the record being fed */
	/* who this end is, from its latest record: what a record emitted later reports */
	uint32_t pid;
	char comm[16];
	uint64_t cgroup_id;
	struct conn_tuple conn;
	uint8_t has_tls;
	struct tls_facts tls;
};

struct http_tracker {
	struct hconn *buckets[NBUCKETS];
	struct hconn lru; /* sentinel; head = most recent */
	uint32_t n, max;
	int redact;
	uint32_t preview;
	http_emit_fn emit;
	void *ctx;
	uint64_t c[HTTP_C__MAX];
	uint32_t nwaiting;		   /* connections whose responses wait (h2_waiting) */
	struct http_mask masks[MAX_MASKS]; /* of the record being fed */
	unsigned int nmasks, nmasked;
};

static const char *const counter_names[HTTP_C__MAX] = {
	[HTTP_C_RECORDS] = "records",
	[HTTP_C_CONNS] = "connections",
	[HTTP_C_NOT_HTTP] = "not_http",
	[HTTP_C_GAPS] = "gaps",
	[HTTP_C_UNPAIRED] = "unpaired",
	[HTTP_C_DROPPED_REQ] = "dropped_requests",
	[HTTP_C_EVICTED] = "evicted",
	[HTTP_C_PARSE_ERRORS] = "parse_errors",
	[HTTP_C_H2_CONNS] = "h2_connections",
	[HTTP_C_H2_STREAMS_DROPPED] = "h2_streams_dropped",
	[HTTP_C_REDACT_MISSED] = "redact_missed",
};

const char *http_counter_name(enum http_counter c)
{
	return c < HTTP_C__MAX ? counter_names[c] : NULL;
}

const uint64_t *http_counters(const struct http_tracker *t)
{
	return t->c;
}

unsigned int http_masks(const struct http_tracker *t, const struct http_mask **masks,
			unsigned int *n)
{
	*masks = t->masks;
	*n = t->nmasks;
	return t->nmasked;
}

/* ---- messages ---- */

static struct msg *msg_new(const struct http_tracker *t, uint64_t ts)
{
	struct msg *m = malloc(sizeof(*m) + t->preview);

	if (m) {
		memset(m, 0, offsetof(struct msg, buf));
		m->pv_len = 0;
		m->start_ts = ts;
	}
	return m;
}

static void msg_body(const struct http_tracker *t, struct msg *m, const uint8_t *p, size_t n)
{
	size_t take = t->preview - m->pv_len;

	if (take > n)
		take = n;
	memcpy(m->pv + m->pv_len, p, take);
	m->pv_len += take;
}

/* The value of the first header called name (lower case), or NULL. */
static const struct field *msg_find(const struct msg *m, const char *name, uint32_t len)
{
	for (unsigned int i = 0; i < m->n; i++)
		if (m->f[i].nl == len && !strncasecmp(m->buf + m->f[i].no, name, len))
			return &m->f[i];
	return NULL;
}

static int msg_put(struct msg *m, const char *p, size_t n, uint32_t *off)
{
	if (n > MSG_BYTES - m->used) {
		m->truncated = 1;
		return -1;
	}
	memcpy(m->buf + m->used, p, n);
	*off = m->used;
	m->used += n;
	return 0;
}

static int secret(const struct h1_str *name)
{
	return redact_is_secret(name->p, name->len);
}

static void msg_header(struct http_tracker *t, struct msg *m, struct h1_str name,
		       struct h1_str value)
{
	struct field *f;

	if (m->n == MAX_HDRS) {
		m->truncated = 1;
		return;
	}
	f = &m->f[m->n];
	if (msg_put(m, name.p, name.len, &f->no) || msg_put(m, value.p, value.len, &f->vo))
		return;
	f->nl = name.len;
	f->vl = value.len;
	if (t->redact && secret(&name)) {
		memset(m->buf + f->vo, '*', f->vl);
		m->redacted++;
	}
	m->n++;
}

/* An HTTP/1 secret line redact.c cannot see in the record: split across TLS calls. */
static void h1_secret_seen(struct hconn *c, struct h1_str name, struct h1_str value)
{
	const struct data_record *d = c->d;

	if (!c->t->redact || !secret(&name) || !value.len)
		return;
	if ((const uint8_t *)value.p < d->data || (const uint8_t *)value.p >= d->data + d->captured)
		c->t->c[HTTP_C_REDACT_MISSED]++;
}

static void msg_headers(const struct msg *m, struct http_header *out)
{
	for (unsigned int i = 0; i < m->n; i++) {
		out[i].name = m->buf + m->f[i].no;
		out[i].name_len = m->f[i].nl;
		out[i].value = m->buf + m->f[i].vo;
		out[i].value_len = m->f[i].vl;
	}
}

/* ---- pairing ---- */

static void emit(struct hconn *c, const struct msg *req, const struct msg *resp)
{
	struct http_header rq[MAX_HDRS], rs[MAX_HDRS];
	struct http_record r = {
		.ts = req ? req->start_ts : resp->start_ts,
		.pid = c->pid,
		.comm = c->comm,
		.netns = c->netns,
		.cgroup_id = c->cgroup_id,
		.conn = &c->conn,
		.tls = c->has_tls ? &c->tls : NULL,
		.status = resp->status,
		.resp_headers = rs,
		.n_resp_headers = resp->n,
		.resp_body_len = resp->body_len,
		.headers_truncated = resp->truncated,
		.redacted = resp->redacted,
	};

	const struct field *gs = msg_find(resp, "grpc-status", 11),
			   *gm = msg_find(resp, "grpc-message", 12);

	r.latency_ns = resp->end_ts > r.ts ? resp->end_ts - r.ts : 0;
	r.grpc_status = -1;
	if (gs && gs->vl && gs->vl <= 4 && strspn(resp->buf + gs->vo, "0123456789") >= gs->vl)
		r.grpc_status = atoi(resp->buf + gs->vo);
	if (gm) {
		r.grpc_message = resp->buf + gm->vo;
		r.grpc_message_len = gm->vl;
	}
	r.resp_body = resp->pv;
	r.resp_body_kept = resp->pv_len;
	if (resp->h2)
		r.protocol = "HTTP/2";
	else
		r.protocol = (req ? req->minor : resp->minor) ? "HTTP/1.1" : "HTTP/1.0";
	msg_headers(resp, rs);
	if (req) {
		r.method = req->buf + req->method_off;
		r.method_len = req->method_len;
		r.path = req->buf + req->path_off;
		r.path_len = req->path_len;
		r.req_headers = rq;
		r.n_req_headers = req->n;
		r.req_body_len = req->body_len;
		r.req_body_partial = req->body_partial;
		r.req_body = req->pv;
		r.req_body_kept = req->pv_len;
		r.headers_truncated |= req->truncated;
		r.redacted += req->redacted;
		msg_headers(req, rq);
	} else {
		c->t->c[HTTP_C_UNPAIRED]++;
	}
	c->t->c[HTTP_C_RECORDS]++;
	c->t->emit(c->t->ctx, &r);
}

static void on_request(void *ctx, struct h1_str method, struct h1_str target, int minor)
{
	struct hconn *c = ctx;
	struct msg *m;

	if (c->unsure == 1 && c->req_seen == c->resp_done && !c->cur_resp)
		c->unsure = 0;
	c->req_seen++;
	m = msg_new(c->t, c->start_ts[1]);

	if (c->cur_req)
		free(c->cur_req->resp);
	free(c->cur_req);
	c->cur_req = m;
	if (!m)
		return;
	m->minor = minor;
	m->method_len = method.len;
	m->path_len = target.len;
	if (msg_put(m, method.p, method.len, &m->method_off) ||
	    msg_put(m, target.p, target.len, &m->path_off))
		m->method_len = m->path_len = 0;
}

static void on_req_header(void *ctx, struct h1_str name, struct h1_str value)
{
	struct hconn *c = ctx;

	h1_secret_seen(c, name, value);
	if (c->cur_req)
		msg_header(c->t, c->cur_req, name, value);
}

static void on_req_body(void *ctx, const uint8_t *p, size_t n)
{
	struct hconn *c = ctx;

	if (c->cur_req) {
		c->cur_req->body_len += n; /* so far: a lower bound if the rest is lost */
		msg_body(c->t, c->cur_req, p, n);
	}
}

static void on_resp_body(void *ctx, const uint8_t *p, size_t n)
{
	struct hconn *c = ctx;

	if (c->cur_resp)
		msg_body(c->t, c->cur_resp, p, n);
}

static void on_req_headers_done(void *ctx, const struct h1_head *head)
{
	struct hconn *c = ctx;

	/* the response parser must know a HEAD's or CONNECT's answer has no body */
	h1_response_to(&c->resp, head->req_kind);
}

static void queue_push(struct hconn *c, struct msg *m);

static void on_req_done(void *ctx, uint64_t body_len)
{
	struct hconn *c = ctx;
	struct msg *m = c->cur_req;

	c->cur_req = NULL;
	c->start_ts[1] = c->d->ts; /* a next message begins in this record at the earliest */
	if (!m)
		return;
	m->body_len = body_len;
	if (m->resp) {
		/* answered early (before its body was all sent): the pair is whole now */
		emit(c, m, m->resp);
		free(m->resp);
		free(m);
		return;
	}
	if (c->unsure) {
		free(m);
		c->t->c[HTTP_C_DROPPED_REQ]++;
		return;
	}
	queue_push(c, m);
}

static void queue_push(struct hconn *c, struct msg *m)
{
	if (c->nq == MAX_REQS) {
		struct msg *old = c->q_head;

		c->q_head = old->next;
		c->nq--;
		free(old);
		c->t->c[HTTP_C_DROPPED_REQ]++;
	}
	if (c->q_tail)
		c->q_tail->next = m;
	else
		c->q_head = m;
	c->q_tail = m;
	c->nq++;
}

static void on_response(void *ctx, int status, struct h1_str reason, int minor)
{
	struct hconn *c = ctx;

	free(c->cur_resp);
	c->cur_resp = msg_new(c->t, c->start_ts[0]);
	if (c->cur_resp) {
		c->cur_resp->status = status;
		c->cur_resp->minor = minor;
	}
}

static void on_resp_header(void *ctx, struct h1_str name, struct h1_str value)
{
	struct hconn *c = ctx;

	h1_secret_seen(c, name, value);
	if (c->cur_resp)
		msg_header(c->t, c->cur_resp, name, value);
}

static void on_resp_done(void *ctx, uint64_t body_len)
{
	struct hconn *c = ctx;
	struct msg *resp = c->cur_resp, *req;

	c->cur_resp = NULL;
	c->start_ts[0] = c->d->ts;
	if (!resp)
		return;
	resp->body_len = body_len;
	resp->end_ts = c->d->ts;
	/* an interim response (100 Continue, 103) answers nothing yet */
	if (resp->status >= 100 && resp->status < 200 && resp->status != 101) {
		free(resp);
		return;
	}
	c->resp_done++;
	req = !c->unsure || (c->unsure == 2 && c->trusted) ? c->q_head : NULL;
	if (req && c->unsure)
		c->trusted--;
	if (!req && !c->unsure && c->cur_req && !c->cur_req->resp) {
		/* a server may answer before the request body is all there (an early 404, 413) */
		c->cur_req->resp = resp;
		return;
	}
	if (req) {
		c->q_head = req->next;
		if (!c->q_head)
			c->q_tail = NULL;
		c->nq--;
	}
	emit(c, req, resp);
	free(req);
	free(resp);
}

static void on_error(void *ctx, enum h1_error cause)
{
	struct hconn *c = ctx;

	(void)cause;
	c->t->c[HTTP_C_PARSE_ERRORS]++;
}

static const struct h1_callbacks req_cb = {
	.on_request = on_request,
	.on_header = on_req_header,
	.on_headers_done = on_req_headers_done,
	.on_body = on_req_body,
	.on_message_done = on_req_done,
	.on_error = on_error,
};

static const struct h1_callbacks resp_cb = {
	.on_response = on_response,
	.on_header = on_resp_header,
	.on_body = on_resp_body,
	.on_message_done = on_resp_done,
	.on_error = on_error,
};

/* ---- HTTP/2 ---- */

static struct h2stream *stream_get(struct hconn *c, uint32_t id, int create)
{
	struct h2stream *free_slot = NULL, *oldest = NULL;

	for (int i = 0; i < MAX_STREAMS; i++) {
		struct h2stream *st = &c->streams[i];

		if (st->id == id)
			return st;
		if (!st->id && !free_slot)
			free_slot = st;
		if (st->id && (!oldest || st->id < oldest->id))
			oldest = st;
	}
	if (!create)
		return NULL;
	if (!free_slot) {
		/*
		 * The lowest id is the oldest stream: forget it, counted; a response already
		 * complete (waiting for its request) is reported as it is.
		 */
		if (oldest->resp && oldest->resp_end)
			emit(c, oldest->req, oldest->resp);
		else
			c->t->c[HTTP_C_H2_STREAMS_DROPPED]++;
		free(oldest->req);
		free(oldest->resp);
		memset(oldest, 0, sizeof(*oldest));
		free_slot = oldest;
	}
	free_slot->id = id;
	return free_slot;
}

static void stream_end(struct hconn *c, struct h2stream *st)
{
	free(st->req);
	free(st->resp);
	memset(st, 0, sizeof(*st));
}

/*
 * A response is complete: one record, with its request if that was seen. A request still
 * sending its body waits for it, unless that direction lost bytes and its end may never show.
 * While the request direction looks for a frame boundary (joined midway), a response whose
 * request is not known waits: the boundary search may yet replay the request's HEADERS.
 */
static void stream_emit(struct hconn *c, struct h2stream *st)
{
	if (st->resp && st->resp_end && !st->req && h2_frames_lost(c->h2[1])) {
		if (!c->h2_waiting) {
			c->h2_wait_since = c->last;
			c->t->nwaiting++;
		}
		c->h2_waiting = 1;
		return;
	}
	if (st->resp && st->resp_end &&
	    (st->req_end || !st->req || h2_frames_lost(c->h2[1]) || c->h2_gaps)) {
		emit(c, st->req, st->resp);
		stream_end(c, st);
	}
}

static void on_h2_headers(void *ctx, uint32_t id, const struct h2_header *h, size_t n,
			  unsigned int flags)
{
	struct h2side *side = ctx;
	struct hconn *c = side->c;
	struct h2stream *st;
	struct msg *m;

	if (flags & H2_HDR_PROMISE)
		return;
	st = stream_get(c, id, 1);
	m = side->request ? st->req : st->resp;
	if (!m || !(flags & H2_HDR_TRAILERS)) {
		int status = 0;

		for (size_t i = 0; i < n; i++)
			if (h[i].name_len == 7 && !memcmp(h[i].name, ":status", 7))
				status = atoi(h[i].value);
		/* an interim response (100, 103) answers nothing yet */
		if (!side->request && status >= 100 && status < 200)
			return;
		free(m);
		m = msg_new(c->t, c->d->ts);
		if (!m)
			return;
		m->h2 = 1;
		m->minor = 1;
		m->status = status;
		if (side->request)
			st->req = m;
		else
			st->resp = m;
	}
	for (size_t i = 0; i < n; i++) {
		struct h1_str name = {h[i].name, h[i].name_len},
			      value = {h[i].value, h[i].value_len};

		if (side->request && name.len == 7 && !memcmp(name.p, ":method", 7)) {
			m->method_len = value.len;
			if (msg_put(m, value.p, value.len, &m->method_off))
				m->method_len = 0;
		} else if (side->request && name.len == 5 && !memcmp(name.p, ":path", 5)) {
			m->path_len = value.len;
			if (msg_put(m, value.p, value.len, &m->path_off))
				m->path_len = 0;
		} else if (name.len && name.p[0] != ':') {
			msg_header(c->t, m, name, value);
		}
	}
	if (flags & (H2_HDR_PARTIAL | H2_HDR_TRUNCATED))
		m->truncated = 1;
	if (flags & H2_HDR_END_STREAM) {
		if (side->request)
			st->req_end = 1;
		else
			st->resp_end = 1, st->resp->end_ts = c->d->ts;
		stream_emit(c, st);
	}
}

static void on_h2_data(void *ctx, uint32_t id, const uint8_t *data, size_t len, int end)
{
	struct h2side *side = ctx;
	struct hconn *c = side->c;
	struct h2stream *st = stream_get(c, id, 0);
	struct msg *m;

	if (!st)
		return;
	m = side->request ? st->req : st->resp;
	if (m) {
		m->body_len += len;
		msg_body(c->t, m, data, len);
	}
	if (end) {
		if (side->request)
			st->req_end = 1;
		else if (st->resp)
			st->resp_end = 1, st->resp->end_ts = c->d->ts;
		stream_emit(c, st);
	}
}

static void on_h2_rst(void *ctx, uint32_t id, uint32_t code)
{
	struct h2side *side = ctx;
	struct h2stream *st = stream_get(side->c, id, 0);

	if (!st)
		return;
	/*
	 * A server that answered before reading the whole request resets the stream with
	 * NO_ERROR (RFC 9113 8.1): the body the client had sent still arrives, and counts.
	 */
	if (!side->request && !code && st->resp && st->resp_end && st->req && !st->req_end)
		return;
	/* a reset stream: what was answered is reported, the rest forgotten */
	if (st->resp) {
		st->resp->end_ts = side->c->d->ts;
		st->resp_end = st->req_end = 1;
		stream_emit(side->c, st);
	} else {
		stream_end(side->c, st);
	}
}

static void on_h2_settings(void *ctx, const struct h2_setting *set, size_t n, int ack)
{
	struct h2side *side = ctx;

	/* a direction's frame size limit is the one its receiver announced */
	if (!ack && side->c->h2[!side->request])
		h2_peer_settings(side->c->h2[!side->request], set, n);
}

static void on_h2_error(void *ctx, enum h2_error cause)
{
	struct h2side *side = ctx;

	(void)cause;
	side->c->t->c[HTTP_C_PARSE_ERRORS]++;
}

static void add_mask(struct http_tracker *t, uint64_t off, uint32_t len, int clear_huffman)
{
	if (t->nmasks < MAX_MASKS)
		t->masks[t->nmasks++] =
			(struct http_mask){(uint32_t)off, len, (uint8_t)clear_huffman};
}

/* A secret field's value: masked where it lies in the record being fed. */
static void on_h2_literal(void *ctx, const char *name, size_t name_len, uint64_t prefix_at,
			  const struct h2_span *v, size_t n)
{
	struct h2side *side = ctx;
	struct hconn *c = side->c;
	struct http_tracker *t = c->t;
	struct h1_str nm = {name, name_len};
	uint64_t lo = c->rec_at, hi = lo + c->d->captured;
	int missed = 0;

	if (!t->redact || !secret(&nm))
		return;
	if (prefix_at >= lo && prefix_at < hi)
		add_mask(t, prefix_at - lo, 0, 1);
	else
		missed = 1;
	for (size_t i = 0; i < n; i++) {
		uint64_t a = v[i].at, b = v[i].at + v[i].len;

		if (a < lo)
			missed = 1, a = lo;
		if (b > hi)
			b = hi; /* the rest comes in a later record, which will be masked too */
		if (a < b)
			add_mask(t, a - lo, (uint32_t)(b - a), 0);
	}
	if (t->nmasks == MAX_MASKS)
		missed = 1;
	if (missed)
		t->c[HTTP_C_REDACT_MISSED]++;
	t->nmasked++;
}

/* Responses that waited for their requests are reported with what is known. */
static void h2_release(struct hconn *c)
{
	if (c->h2_waiting)
		c->t->nwaiting--;
	c->h2_waiting = 0;
	for (int i = 0; i < MAX_STREAMS; i++) {
		struct h2stream *st = &c->streams[i];

		if (st->resp && st->resp_end && (!st->req || h2_frames_lost(c->h2[1]))) {
			emit(c, st->req, st->resp);
			stream_end(c, st);
		} else {
			stream_emit(c, st);
		}
	}
}

static const struct h2_callbacks h2_cb = {
	.on_literal = on_h2_literal,
	.on_headers = on_h2_headers,
	.on_data = on_h2_data,
	.on_rst_stream = on_h2_rst,
	.on_settings = on_h2_settings,
	.on_error = on_h2_error,
};

static int h2_start(struct hconn *c)
{
	c->streams = calloc(MAX_STREAMS, sizeof(*c->streams));
	for (int i = 0; i < 2; i++) {
		c->h2[i] = calloc(1, sizeof(*c->h2[i]));
		c->side[i].c = c;
		c->side[i].request = i;
		if (!c->h2[i] || h2_init(c->h2[i], i ? H2_CLIENT : H2_SERVER, NULL))
			return -ENOMEM;
	}
	return c->streams ? 0 : -ENOMEM;
}

static void h2_stop(struct hconn *c, int report)
{
	/* responses complete whose request never finished: report them as they are */
	for (int i = 0; report && c->streams && i < MAX_STREAMS; i++)
		if (c->streams[i].resp && c->streams[i].resp_end)
			emit(c, c->streams[i].req, c->streams[i].resp);
	for (int i = 0; i < 2; i++) {
		if (c->h2[i])
			h2_free(c->h2[i]);
		free(c->h2[i]);
	}
	for (int i = 0; c->streams && i < MAX_STREAMS; i++)
		stream_end(c, &c->streams[i]);
	free(c->streams);
}

/* ---- connections ---- */

static uint32_t key_hash(uint32_t netns, const struct conn_tuple *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = 2166136261u ^ netns;

	for (size_t i = 0; i < offsetof(struct conn_tuple, role); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static void lru_unlink(struct hconn *c)
{
	c->prev->next = c->next;
	c->next->prev = c->prev;
}

static void lru_push(struct http_tracker *t, struct hconn *c)
{
	c->next = t->lru.next;
	c->prev = &t->lru;
	t->lru.next->prev = c;
	t->lru.next = c;
}

static void conn_free(struct http_tracker *t, struct hconn *c, int report)
{
	struct hconn **pp = &t->buckets[c->hash & (NBUCKETS - 1)];

	while (*pp != c)
		pp = &(*pp)->hnext;
	*pp = c->hnext;
	lru_unlink(c);
	if (c->h2_waiting)
		t->nwaiting--; /* reported below (h2_stop) */
	t->c[HTTP_C_DROPPED_REQ] += c->nq;
	while (c->q_head) {
		struct msg *m = c->q_head;

		c->q_head = m->next;
		free(m);
	}
	if (report && c->cur_req && c->cur_req->resp) {
		/* an early answer whose request never finished: report it with what was seen */
		emit(c, c->cur_req, c->cur_req->resp);
		free(c->cur_req->resp);
	}
	free(c->cur_req);
	free(c->cur_resp);
	h2_stop(c, report);
	h1_free(&c->req);
	h1_free(&c->resp);
	free(c);
	t->n--;
}

static struct hconn *conn_get(struct http_tracker *t, const struct data_record *d)
{
	struct conn_tuple k = *d->conn;
	uint32_t h;
	struct hconn *c;

	k.role = 0;
	k._pad = 0;
	h = key_hash(d->netns, &k);
	for (c = t->buckets[h & (NBUCKETS - 1)]; c; c = c->hnext)
		if (c->hash == h && c->netns == d->netns && !memcmp(&c->key, &k, sizeof(k)))
			break;
	if (c) {
		lru_unlink(c);
		lru_push(t, c);
		return c;
	}
	if (t->n >= t->max) {
		t->c[HTTP_C_EVICTED]++;
		conn_free(t, t->lru.prev, 1);
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->t = t;
	c->hash = h;
	c->netns = d->netns;
	c->key = k;
	c->hnext = t->buckets[h & (NBUCKETS - 1)];
	t->buckets[h & (NBUCKETS - 1)] = c;
	lru_push(t, c);
	t->n++;
	return c;
}

/*
 * Whether a direction's first bytes begin an HTTP/1 request line (a method: A-Z, then a
 * space) or status line ("HTTP/1."): 1 yes; the HTTP/2 client preface: 2; -1 no; 0 not
 * enough bytes to tell.
 */
static int classify(const uint8_t *p, uint32_t n, int request)
{
	uint32_t i;

	/* the HTTP/2 client preface ("PRI * HTTP/2.0...") would pass for a request line */
	if (request && n && !memcmp(p, h2_preface, n < 24 ? n : 24))
		return n >= 24 ? 2 : 0;
	if (!request) {
		if (memcmp(p, "HTTP/1.", n < 7 ? n : 7))
			return -1;
		return n >= 7 ? 1 : 0;
	}
	for (i = 0; i < n && i < 16; i++) {
		if (p[i] == ' ')
			return i ? 1 : -1;
		if (p[i] < 'A' || p[i] > 'Z')
			return -1;
	}
	return i < 16 ? 0 : -1;
}

/* Bytes were lost where pairing depends on them: stop pairing until it is safe again. */
static void lose_sync(struct hconn *c, int request)
{
	if (request && !c->unsure) {
		/*
		 * Requests sent before the lost bytes are still answered first, in order, and
		 * then the request the loss cut (its body length a lower bound). What the lost
		 * bytes held is answered after those: no pairing from there on.
		 */
		struct msg *m = c->cur_req;

		c->cur_req = NULL;
		if (m && m->resp) {
			m->body_partial = 1;
			emit(c, m, m->resp);
			free(m->resp);
			free(m);
		} else if (m) {
			m->body_partial = 1;
			queue_push(c, m);
		}
		c->unsure = 2;
		c->trusted = c->nq;
		return;
	}
	c->trusted = 0;
	if (!request && c->cur_resp) {
		/* the response whose tail was lost was still a response: it answered a request */
		if (c->cur_resp->status >= 200 || c->cur_resp->status == 101)
			c->resp_done++;
		free(c->cur_resp);
		c->cur_resp = NULL;
	}
	if (c->unsure < 2)
		c->unsure = request ? 2 : 1;
	c->t->c[HTTP_C_DROPPED_REQ] += c->nq;
	while (c->q_head) {
		struct msg *m = c->q_head;

		c->q_head = m->next;
		free(m);
	}
	c->q_tail = NULL;
	c->nq = 0;
}

static void feed(struct h1_parser *p, const struct h1_callbacks *cb, struct hconn *c,
		 const struct data_record *d, int request)
{
	if (h1_stopped(p))
		return;
	if (h1_idle(p))
		c->start_ts[request] = d->ts;
	h1_feed(p, d->data, d->captured, cb, c);
	/* the record's tail was not captured (--max-capture) or was lost on the way */
	if (d->captured < d->len) {
		c->t->c[HTTP_C_GAPS]++;
		if (h1_skip(p, d->len - d->captured, cb, c))
			lose_sync(c, request);
	}
}

static void feed_any(struct hconn *c, const struct data_record *d, int request)
{
	if (c->state == ST_HTTP2) {
		c->rec_at = c->h2_fed[request];
		c->h2_fed[request] += d->captured;
		h2_feed(c->h2[request], d->data, d->captured, &h2_cb, &c->side[request]);
		if (c->h2_waiting && !h2_frames_lost(c->h2[1]))
			h2_release(c); /* in step again: what was not replayed will not be */
		if (d->captured < d->len) {
			/* stream ids say what belongs where: only this direction's framing is lost
			 */
			c->t->c[HTTP_C_GAPS]++;
			h2_gap(c->h2[request]);
		}
	} else if (request) {
		feed(&c->req, &req_cb, c, d, 1);
	} else {
		feed(&c->resp, &resp_cb, c, d, 0);
	}
}

static enum app_proto app_of(const struct hconn *c)
{
	return c->state == ST_HTTP1 ? APP_HTTP1 : c->state == ST_HTTP2 ? APP_HTTP2 : APP_UNKNOWN;
}

enum app_proto http_data(struct http_tracker *t, const struct data_record *d, uint64_t now)
{
	struct hconn *c;
	int request;

	t->nmasks = t->nmasked = 0;
	if (!d->conn || !d->captured)
		return APP_UNKNOWN;
	c = conn_get(t, d);
	if (!c || c->state == ST_NOT_HTTP)
		return APP_UNKNOWN;
	c->last = now;
	/* a client writes requests and reads responses; a server the other way round */
	request = (d->conn->role == ROLE_SERVER) == (d->dir == DIR_INGRESS);
	if (c->state == ST_UNKNOWN) {
		uint8_t view[PRE_MAX];
		uint32_t n = c->npre[request],
			 take = d->captured < PRE_MAX - n ? d->captured : PRE_MAX - n;
		int k;

		memcpy(view, c->pre[request], n);
		memcpy(view + n, d->data, take);
		k = classify(view, n + take, request);
		/* joined after the preface: the handshake's ALPN still says HTTP/2 */
		if (k <= 0 && d->tls && d->tls->has_alpn && !strcmp(d->tls->alpn, "h2"))
			k = 2;
		/*
		 * joined after the preface and the handshake (a connection older than the
		 * agent): a record of whole, valid frames says HTTP/2 unless the ALPN said not
		 * or a direction's first bytes wait to tell how the connection began
		 */
		if (k < 0 && d->captured == d->len && !(d->tls && d->tls->has_alpn) &&
		    !c->npre[0] && !c->npre[1] && /* no direction began like a connection start */
		    h2_frames_at(request ? H2_CLIENT : H2_SERVER, d->data, d->captured))
			k = 2;
		if (k == 0 && d->captured == d->len) {
			/* too short to tell (a read of a few bytes): keep it for the next record */
			if (!n)
				c->pre_ts[request] = d->ts;
			memcpy(c->pre[request] + n, d->data, take);
			c->npre[request] = n + take;
			return APP_UNKNOWN;
		}
		if (k < 0 || (k == 0 && d->captured < d->len)) {
			c->npre[request] = 0;
			if (++c->tries >= MAX_TRIES) {
				c->state = ST_NOT_HTTP;
				t->c[HTTP_C_NOT_HTTP]++;
			}
			return APP_UNKNOWN;
		}
		if (k == 2) {
			if (h2_start(c)) {
				c->state = ST_NOT_HTTP;
				return APP_UNKNOWN;
			}
			c->state = ST_HTTP2;
			t->c[HTTP_C_H2_CONNS]++;
		} else if (h1_init(&c->req, H1_REQUEST, NULL) ||
			   h1_init(&c->resp, H1_RESPONSE, NULL)) {
			c->state = ST_NOT_HTTP;
			return APP_UNKNOWN;
		}
		if (k == 1) {
			c->state = ST_HTTP1;
			t->c[HTTP_C_CONNS]++;
		}
	}
	c->d = d;
	c->pid = d->pid;
	memset(c->comm, 0, sizeof(c->comm));
	memcpy(c->comm, d->comm, strnlen(d->comm, sizeof(c->comm) - 1));
	c->cgroup_id = d->cgroup_id;
	c->conn = *d->conn;
	c->has_tls = !!d->tls;
	if (d->tls)
		c->tls = *d->tls;
	/* bytes kept while undecided go first, requests before responses */
	for (int i = 1; i >= 0; i--) {
		if (c->npre[i]) {
			struct data_record pre = *d;

			pre.ts = c->pre_ts[i];
			pre.data = c->pre[i];
			pre.len = pre.captured = c->npre[i];
			pre.truncated = TRUNC_NONE;
			c->npre[i] = 0;
			c->d = &pre;
			feed_any(c, &pre, i);
			c->d = d;
		}
	}
	feed_any(c, d, request);
	c->d = NULL;
	return app_of(c);
}

struct http_tracker *http_new(uint32_t max_conns, int redact, uint32_t preview, http_emit_fn emit,
			      void *ctx)
{
	struct http_tracker *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->lru.next = t->lru.prev = &t->lru;
	t->max = max_conns ? max_conns : 1;
	t->redact = redact;
	t->preview = preview;
	t->emit = emit;
	t->ctx = ctx;
	return t;
}

void http_expire(struct http_tracker *t, uint64_t now, uint64_t idle_ns)
{
	while (t->lru.prev != &t->lru && now - t->lru.prev->last > idle_ns)
		conn_free(t, t->lru.prev, 1);
	/* a response waits for its request's replay at most H2_WAIT_NS */
	for (struct hconn *c = t->lru.next; t->nwaiting && c != &t->lru; c = c->next)
		if (c->h2_waiting && now - c->h2_wait_since > H2_WAIT_NS)
			h2_release(c);
}

void http_flush(struct http_tracker *t)
{
	while (t->lru.next != &t->lru)
		conn_free(t, t->lru.next, 1);
}

void http_free(struct http_tracker *t)
{
	if (!t)
		return;
	while (t->lru.next != &t->lru)
		conn_free(t, t->lru.next, 0);
	free(t);
}

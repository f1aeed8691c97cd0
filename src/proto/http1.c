// SPDX-License-Identifier: MIT
/*
 * RFC 9112 framing, read as an observer: the parser follows what the peer will do with the
 * bytes, so it is strict where a wrong guess would emit garbage (start lines, field names,
 * lengths, chunk sizes) and lenient where real peers differ harmlessly (a bare LF ends a line,
 * empty lines between messages are skipped, Transfer-Encoding overrides Content-Length).
 *
 * Chunk-boundary invariance rests on two rules. A line is judged only once its LF is seen, or
 * once more than max_line bytes of it are known: the same moment in the stream however it was
 * cut. And after a line is refused for its length, the rest of it is skipped before searching
 * resumes, so the search always starts at a line start (or a gap), never mid-line at a point
 * that would depend on the cut.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http1.h"

enum state {
	S_START,   /* before a start line; with resync set, searching for one */
	S_HEADERS, /* field lines up to the empty line */
	S_BODY_LENGTH,
	S_BODY_EOF,
	S_CHUNK_SIZE,
	S_CHUNK_DATA,
	S_CHUNK_END, /* the CRLF after a chunk's data */
	S_TRAILERS,
	S_SKIP_LINE, /* the rest of a line refused for its length, then resync */
	S_STOPPED,
};

enum line_status {
	LINE_MORE, /* no LF yet: the bytes went to the line buffer */
	LINE_OK,
	LINE_LONG, /* more than max_line bytes before the LF: nothing consumed */
};

static const char *const counter_names[H1_C__MAX] = {
	[H1_C_MESSAGES] = "messages",
	[H1_C_GAPS] = "gaps",
	[H1_C_RESYNCS] = "resyncs",
	[H1_C_STOPS] = "stops",
	[H1_C_UNPAIRED] = "unpaired",
	[H1_C_PENDING_FULL] = "pending_full",
	[H1_C_ERR_START_LINE] = "err_start_line",
	[H1_C_ERR_LINE_TOO_LONG] = "err_line_too_long",
	[H1_C_ERR_TOO_MANY_HEADERS] = "err_too_many_headers",
	[H1_C_ERR_HEADER] = "err_header",
	[H1_C_ERR_CONTENT_LENGTH] = "err_content_length",
	[H1_C_ERR_TRANSFER_ENCODING] = "err_transfer_encoding",
	[H1_C_ERR_CHUNK_SIZE] = "err_chunk_size",
	[H1_C_ERR_CHUNK_END] = "err_chunk_end",
	[H1_C_ERR_TRUNCATED] = "err_truncated",
	[H1_C_ERR_GAP] = "err_gap",
};

_Static_assert(H1_C_ERR(H1_E__MAX) == H1_C__MAX - 1, "one counter per h1_error");

const char *h1_counter_name(enum h1_counter c)
{
	return (unsigned int)c < H1_C__MAX ? counter_names[c] : NULL;
}

const char *h1_error_name(enum h1_error e)
{
	if (e < H1_E_START_LINE || e > H1_E__MAX)
		return NULL;
	return counter_names[H1_C_ERR(e)] + 4; /* without "err_" */
}

/*
 * Methods a resync accepts. Searching inside arbitrary bytes, `{"ok":1}XGET / HTTP/1.1` must
 * not become method "XGET": the longest registered method ending the run of capitals is taken.
 */
static const char *const known_methods[] = {
	"GET",	 "HEAD",   "POST",     "PUT",	    "DELETE",	  "CONNECT", "OPTIONS",
	"TRACE", "PATCH",  "PROPFIND", "PROPPATCH", "MKCOL",	  "COPY",    "MOVE",
	"LOCK",	 "UNLOCK", "REPORT",   "SEARCH",    "MKCALENDAR", "PURGE",
};

static const struct h1_callbacks no_callbacks;

static int is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	switch (c) {
	case '!':
	case '#':
	case '$':
	case '%':
	case '&':
	case '\'':
	case '*':
	case '+':
	case '-':
	case '.':
	case '^':
	case '_':
	case '`':
	case '|':
	case '~':
		return 1;
	}
	return 0;
}

/* VCHAR or obs-text: a request target's bytes. */
static int is_vchar(uint8_t c)
{
	return c > 0x20 && c != 0x7f;
}

/* field-value and reason-phrase bytes: VCHAR, obs-text, SP, HTAB. */
static int is_text(uint8_t c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int eq_ci(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!lit[i] || lower((uint8_t)s[i]) != (uint8_t)lit[i])
			return 0;
	return !lit[i];
}

static struct h1_str str(const char *p, size_t len)
{
	return (struct h1_str){p, len};
}

static struct h1_str trim(struct h1_str s)
{
	while (s.len && is_ows((uint8_t)s.p[0]))
		s.p++, s.len--;
	while (s.len && is_ows((uint8_t)s.p[s.len - 1]))
		s.len--;
	return s;
}

static void reset_message(struct h1_parser *p)
{
	p->minor = 0;
	p->status = 0;
	p->te_seen = p->te_chunked = 0;
	p->conn_close = p->conn_keep_alive = p->conn_upgrade = p->upgrade_hdr = 0;
	p->n_fields = 0;
	p->remaining = p->body_len = 0;
	memset(&p->head, 0, sizeof(p->head));
}

int h1_init(struct h1_parser *p, enum h1_mode mode, const struct h1_limits *lim)
{
	uint32_t max_line = lim && lim->max_line ? lim->max_line : H1_DEFAULT_MAX_LINE;

	memset(p, 0, sizeof(*p));
	if (max_line > H1_MAX_LINE_LIMIT)
		max_line = H1_MAX_LINE_LIMIT;
	p->line = malloc(max_line);
	if (!p->line)
		return -ENOMEM;
	p->mode = mode;
	p->state = S_START;
	p->max_line = max_line;
	p->max_headers = lim && lim->max_headers ? lim->max_headers : H1_DEFAULT_MAX_HEADERS;
	return 0;
}

void h1_free(struct h1_parser *p)
{
	free(p->line);
	p->line = NULL;
}

const uint64_t *h1_counters(const struct h1_parser *p)
{
	return p->counters;
}

void h1_stop(struct h1_parser *p)
{
	p->stop_req = 1;
}

int h1_stopped(const struct h1_parser *p)
{
	return p->state == S_STOPPED || p->stop_req;
}

int h1_response_to(struct h1_parser *p, enum h1_req_kind kind)
{
	if (p->pend_n == H1_MAX_PENDING) {
		p->counters[H1_C_PENDING_FULL]++;
		return -ENOSPC;
	}
	if (kind != H1_REQ_HEAD && kind != H1_REQ_CONNECT)
		kind = H1_REQ_OTHER;
	p->pending[(p->pend_first + p->pend_n++) % H1_MAX_PENDING] = (uint8_t)kind;
	return 0;
}

static enum h1_req_kind take_pending(struct h1_parser *p)
{
	enum h1_req_kind k;

	if (!p->pend_n) {
		p->counters[H1_C_UNPAIRED]++;
		return H1_REQ_OTHER;
	}
	k = p->pending[p->pend_first];
	p->pend_first = (p->pend_first + 1) % H1_MAX_PENDING;
	p->pend_n--;
	return k;
}

/* Abandons the message in progress and searches for the next start. */
static void fail(struct h1_parser *p, enum h1_error e, const struct h1_callbacks *cb, void *ctx)
{
	p->counters[H1_C_ERR(e)]++;
	reset_message(p);
	p->state = S_START;
	p->resync = 1;
	p->line_len = 0;
	if (cb->on_error)
		cb->on_error(ctx, e);
}

static void message_done(struct h1_parser *p, const struct h1_callbacks *cb, void *ctx)
{
	uint64_t body_len = p->body_len;

	p->counters[H1_C_MESSAGES]++;
	reset_message(p);
	p->state = S_START;
	if (cb->on_message_done)
		cb->on_message_done(ctx, body_len);
}

/*
 * The next line of data[*pos..len), CR LF or LF stripped. A line split between feeds is
 * gathered in p->line; one within a feed is returned where it lies.
 */
static enum line_status get_line(struct h1_parser *p, const uint8_t *data, size_t len, size_t *pos,
				 struct h1_str *out)
{
	const uint8_t *s = data + *pos, *lf = memchr(s, '\n', len - *pos);
	size_t n = lf ? (size_t)(lf - s) : len - *pos;

	if (n > p->max_line - p->line_len)
		return LINE_LONG;
	if (!lf) {
		memcpy(p->line + p->line_len, s, n);
		p->line_len += n;
		*pos = len;
		return LINE_MORE;
	}
	*pos += n + 1;
	if (p->line_len) {
		memcpy(p->line + p->line_len, s, n);
		*out = str(p->line, p->line_len + n);
		/* The buffer is not written again before the caller is done with the line. */
		p->line_len = 0;
	} else {
		*out = str((const char *)s, n);
	}
	if (out->len && out->p[out->len - 1] == '\r')
		out->len--;
	return LINE_OK;
}

/* Appends to the resync window: the last max_line bytes of the current line. */
static void window_put(struct h1_parser *p, const uint8_t *s, size_t n)
{
	size_t cap = p->max_line;

	if (n >= cap) {
		memcpy(p->line, s + n - cap, cap);
		p->line_len = cap;
		return;
	}
	if (p->line_len + n > cap) {
		size_t keep = cap - n;

		memmove(p->line, p->line + p->line_len - keep, keep);
		p->line_len = keep;
	}
	memcpy(p->line + p->line_len, s, n);
	p->line_len += n;
}

/*
 * While resyncing, lines of any length pass by; only their last max_line bytes can hold a
 * start line short enough to be accepted, so only those are kept.
 */
static enum line_status get_window(struct h1_parser *p, const uint8_t *data, size_t len,
				   size_t *pos, struct h1_str *out)
{
	const uint8_t *s = data + *pos, *lf = memchr(s, '\n', len - *pos);
	size_t n = lf ? (size_t)(lf - s) : len - *pos;

	if (!lf) {
		window_put(p, s, n);
		*pos = len;
		return LINE_MORE;
	}
	*pos += n + 1;
	if (n >= p->max_line)
		*out = str((const char *)s + n - p->max_line, p->max_line);
	else if (!p->line_len)
		*out = str((const char *)s, n);
	else {
		window_put(p, s, n);
		*out = str(p->line, p->line_len);
	}
	p->line_len = 0;
	if (out->len && out->p[out->len - 1] == '\r')
		out->len--;
	return LINE_OK;
}

/* `HTTP/1.d SP ddd [SP reason]`, the whole of s. */
static int parse_status(const char *s, size_t n, int *status, struct h1_str *reason, int *minor)
{
	const uint8_t *u = (const uint8_t *)s;

	if (n < 12 || memcmp(s, "HTTP/1.", 7) || !is_digit(u[7]) || u[8] != ' ' || u[9] < '1' ||
	    u[9] > '9' || !is_digit(u[10]) || !is_digit(u[11]))
		return 0;
	if (n > 12 && u[12] != ' ')
		return 0;
	for (size_t i = 13; i < n; i++)
		if (!is_text(u[i]))
			return 0;
	*minor = u[7] - '0';
	*status = (u[9] - '0') * 100 + (u[10] - '0') * 10 + (u[11] - '0');
	*reason = n > 13 ? str(s + 13, n - 13) : str(s + n, 0);
	return 1;
}

/* The earliest suffix of l that is a status line. */
static int find_status(struct h1_str l, int *status, struct h1_str *reason, int *minor)
{
	const char *end = l.p + l.len, *h = l.p;

	while ((h = memmem(h, (size_t)(end - h), "HTTP/1.", 7))) {
		if (parse_status(h, (size_t)(end - h), status, reason, minor))
			return 1;
		h++;
	}
	return 0;
}

static int known_method(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(known_methods) / sizeof(known_methods[0]); i++)
		if (strlen(known_methods[i]) == n && !memcmp(s, known_methods[i], n))
			return 1;
	return 0;
}

/*
 * `method SP target SP HTTP/1.d`: the whole of l, or when resyncing its shortest suffix, the
 * method then being the longest registered one ending the run of capitals before the target.
 */
static int parse_request(struct h1_str l, int resync, struct h1_str *method, struct h1_str *target,
			 int *minor)
{
	const uint8_t *u = (const uint8_t *)l.p;
	size_t n = l.len, te, ts, ms;

	/* "A / HTTP/1.1" is the shortest */
	if (n < 12 || memcmp(l.p + n - 9, " HTTP/1.", 8) || !is_digit(u[n - 1]))
		return 0;
	te = n - 9;
	for (ts = te; ts && is_vchar(u[ts - 1]); ts--)
		;
	if (ts == te || ts < 2 || u[ts - 1] != ' ')
		return 0;
	if (!resync) {
		for (ms = 0; ms < ts - 1; ms++)
			if (!is_tchar(u[ms]))
				return 0;
		ms = 0;
	} else {
		size_t run;

		for (run = ts - 1; run && u[run - 1] >= 'A' && u[run - 1] <= 'Z'; run--)
			;
		for (ms = run; ms < ts - 1; ms++)
			if (known_method(l.p + ms, ts - 1 - ms))
				break;
		if (ms == ts - 1)
			return 0;
	}
	*method = str(l.p + ms, ts - 1 - ms);
	*target = str(l.p + ts, te - ts);
	*minor = u[n - 1] - '0';
	return 1;
}

static enum h1_req_kind method_kind(struct h1_str m)
{
	if (m.len == 4 && !memcmp(m.p, "HEAD", 4))
		return H1_REQ_HEAD;
	if (m.len == 7 && !memcmp(m.p, "CONNECT", 7))
		return H1_REQ_CONNECT;
	return H1_REQ_OTHER;
}

/* A request or status line: reports it and starts the message. 0 if l is not one. */
static int start_line(struct h1_parser *p, struct h1_str l, const struct h1_callbacks *cb,
		      void *ctx)
{
	struct h1_str a, b;
	int minor, status;

	if (p->mode == H1_REQUEST) {
		if (!parse_request(l, p->resync, &a, &b, &minor))
			return 0;
	} else {
		if (p->resync ? !find_status(l, &status, &b, &minor)
			      : !parse_status(l.p, l.len, &status, &b, &minor))
			return 0;
	}
	if (p->resync) {
		p->resync = 0;
		p->counters[H1_C_RESYNCS]++;
	}
	reset_message(p);
	p->minor = (uint8_t)minor;
	p->state = S_HEADERS;
	if (p->mode == H1_REQUEST) {
		p->head.req_kind = method_kind(a);
		if (cb->on_request)
			cb->on_request(ctx, a, b, minor);
	} else {
		p->status = (uint16_t)status;
		if (cb->on_response)
			cb->on_response(ctx, status, b, minor);
	}
	return 1;
}

/* `name: value`: name a token right before the colon, value trimmed of OWS. */
static int parse_field(struct h1_str l, struct h1_str *name, struct h1_str *value)
{
	const uint8_t *u = (const uint8_t *)l.p;
	size_t i;

	for (i = 0; i < l.len && is_tchar(u[i]); i++)
		;
	if (!i || i == l.len || u[i] != ':')
		return 0;
	*name = str(l.p, i);
	*value = trim(str(l.p + i + 1, l.len - i - 1));
	for (i = 0; i < value->len; i++)
		if (!is_text((uint8_t)value->p[i]))
			return 0;
	return 1;
}

/* Calls fn on each non-empty element of a comma-separated list, trimmed. */
static void each_element(struct h1_str v, void (*fn)(struct h1_parser *, struct h1_str),
			 struct h1_parser *p)
{
	while (v.len) {
		const char *c = memchr(v.p, ',', v.len);
		size_t n = c ? (size_t)(c - v.p) : v.len;
		struct h1_str e = trim(str(v.p, n));

		if (e.len)
			fn(p, e);
		v.p += c ? n + 1 : n;
		v.len -= c ? n + 1 : n;
	}
}

static void te_element(struct h1_parser *p, struct h1_str e)
{
	const char *semi = memchr(e.p, ';', e.len);
	struct h1_str coding = trim(str(e.p, semi ? (size_t)(semi - e.p) : e.len));

	p->te_seen = 1;
	/* Only the last coding decides: chunked applied before gzip does not frame. */
	p->te_chunked = eq_ci(coding.p, coding.len, "chunked");
}

static void connection_element(struct h1_parser *p, struct h1_str e)
{
	if (eq_ci(e.p, e.len, "close"))
		p->conn_close = 1;
	else if (eq_ci(e.p, e.len, "keep-alive"))
		p->conn_keep_alive = 1;
	else if (eq_ci(e.p, e.len, "upgrade"))
		p->conn_upgrade = 1;
}

/*
 * RFC 9110 8.6: a list of identical values (from a proxy joining duplicates) is one value;
 * differing values cannot be reconciled. Returns 0 or H1_E_CONTENT_LENGTH.
 */
static int content_length(struct h1_parser *p, struct h1_str v)
{
	for (;;) {
		const char *c = memchr(v.p, ',', v.len);
		size_t n = c ? (size_t)(c - v.p) : v.len;
		struct h1_str e = trim(str(v.p, n));
		uint64_t x = 0;

		if (!e.len)
			return H1_E_CONTENT_LENGTH;
		for (size_t i = 0; i < e.len; i++) {
			uint8_t d = (uint8_t)e.p[i];

			if (!is_digit(d) || x > (H1_MAX_BODY_LEN - (d - '0')) / 10)
				return H1_E_CONTENT_LENGTH;
			x = x * 10 + (d - '0');
		}
		if (p->head.has_content_length && p->head.content_length != x)
			return H1_E_CONTENT_LENGTH;
		p->head.has_content_length = 1;
		p->head.content_length = x;
		if (!c)
			return 0;
		v.p += n + 1;
		v.len -= n + 1;
	}
}

/* Notes what frames the message. Returns 0 or an h1_error. */
static int note_field(struct h1_parser *p, struct h1_str name, struct h1_str value)
{
	if (eq_ci(name.p, name.len, "content-length"))
		return content_length(p, value);
	if (eq_ci(name.p, name.len, "transfer-encoding"))
		each_element(value, te_element, p);
	else if (eq_ci(name.p, name.len, "connection"))
		each_element(value, connection_element, p);
	else if (eq_ci(name.p, name.len, "upgrade"))
		p->upgrade_hdr = 1;
	return 0;
}

/* RFC 9112 6.3, in its order. */
static void headers_done(struct h1_parser *p, const struct h1_callbacks *cb, void *ctx)
{
	struct h1_head *h = &p->head;
	int status = p->status, stops;

	if (p->mode == H1_REQUEST) {
		if (p->te_seen && !p->te_chunked) {
			fail(p, H1_E_TRANSFER_ENCODING, cb, ctx);
			return;
		}
		h->body = p->te_seen		  ? H1_BODY_CHUNKED
			  : h->has_content_length ? H1_BODY_LENGTH
						  : H1_BODY_NONE;
		h->upgrade = p->upgrade_hdr && p->conn_upgrade;
	} else {
		int final = status >= 200 || status == 101;

		h->req_kind = final ? take_pending(p) : H1_REQ_OTHER;
		if (status == 101) {
			h->upgrade = h->stops = 1;
			h->body = H1_BODY_NONE;
		} else if (status < 200 || status == 204 || status == 304 ||
			   h->req_kind == H1_REQ_HEAD) {
			h->body = H1_BODY_NONE;
		} else if (h->req_kind == H1_REQ_CONNECT && status < 300) {
			h->stops = 1;
			h->body = H1_BODY_NONE;
		} else if (p->te_seen) {
			h->body = p->te_chunked ? H1_BODY_CHUNKED : H1_BODY_UNTIL_EOF;
		} else {
			h->body = h->has_content_length ? H1_BODY_LENGTH : H1_BODY_UNTIL_EOF;
		}
	}
	h->keep_alive = !p->conn_close && (p->minor >= 1 || p->conn_keep_alive) &&
			h->body != H1_BODY_UNTIL_EOF && !h->stops;
	if (cb->on_headers_done)
		cb->on_headers_done(ctx, h);

	switch (h->body) {
	case H1_BODY_NONE:
		stops = h->stops; /* message_done() clears the head */
		message_done(p, cb, ctx);
		if (stops) {
			p->state = S_STOPPED;
			p->counters[H1_C_STOPS]++;
		}
		break;
	case H1_BODY_LENGTH:
		p->remaining = h->content_length;
		if (!p->remaining)
			message_done(p, cb, ctx);
		else
			p->state = S_BODY_LENGTH;
		break;
	case H1_BODY_CHUNKED:
		p->n_fields = 0; /* trailers have a max_headers of their own */
		p->state = S_CHUNK_SIZE;
		break;
	case H1_BODY_UNTIL_EOF:
		p->state = S_BODY_EOF;
		break;
	}
}

/* A header or trailer line. */
static void field_line(struct h1_parser *p, struct h1_str l, const struct h1_callbacks *cb,
		       void *ctx)
{
	struct h1_str name, value;
	int err;

	if (!l.len) {
		if (p->state == S_HEADERS)
			headers_done(p, cb, ctx);
		else
			message_done(p, cb, ctx);
		return;
	}
	/* An obs-fold (a line starting with whitespace) fails here too: RFC 9112 5.2 allows it. */
	if (!parse_field(l, &name, &value)) {
		fail(p, H1_E_HEADER, cb, ctx);
		return;
	}
	if (++p->n_fields > p->max_headers) {
		fail(p, H1_E_TOO_MANY_HEADERS, cb, ctx);
		return;
	}
	if (p->state == S_TRAILERS) {
		if (cb->on_trailer)
			cb->on_trailer(ctx, name, value);
		return;
	}
	err = note_field(p, name, value);
	if (err) {
		fail(p, err, cb, ctx);
		return;
	}
	if (cb->on_header)
		cb->on_header(ctx, name, value);
}

/* `1*HEXDIG [BWS] [; extensions]`. */
static int parse_chunk_size(struct h1_str l, uint64_t *size)
{
	const uint8_t *u = (const uint8_t *)l.p;
	uint64_t x = 0;
	size_t i;

	for (i = 0; i < l.len; i++) {
		uint8_t c = lower(u[i]);
		unsigned int d;

		if (is_digit(c))
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			break;
		if (x > (H1_MAX_BODY_LEN - d) / 16)
			return 0;
		x = x * 16 + d;
	}
	if (!i)
		return 0;
	while (i < l.len && is_ows(u[i]))
		i++;
	if (i < l.len) {
		if (u[i] != ';')
			return 0;
		for (; i < l.len; i++)
			if (!is_text(u[i]))
				return 0;
	}
	*size = x;
	return 1;
}

static void deliver(struct h1_parser *p, const uint8_t *data, size_t n,
		    const struct h1_callbacks *cb, void *ctx)
{
	p->body_len += n;
	if (cb->on_body)
		cb->on_body(ctx, data, n);
}

/* One step of the state machine: consumes some of data[*pos..len). */
static void step(struct h1_parser *p, const uint8_t *data, size_t len, size_t *pos,
		 const struct h1_callbacks *cb, void *ctx)
{
	struct h1_str l;
	enum line_status ls;
	uint64_t n;

	switch ((enum state)p->state) {
	case S_START:
		if (p->resync) {
			if (get_window(p, data, len, pos, &l) == LINE_OK)
				start_line(p, l, cb, ctx);
			return;
		}
		ls = get_line(p, data, len, pos, &l);
		if (ls == LINE_LONG) {
			fail(p, H1_E_LINE_TOO_LONG, cb, ctx);
			p->state = S_SKIP_LINE;
		} else if (ls == LINE_OK && l.len && !start_line(p, l, cb, ctx)) {
			fail(p, H1_E_START_LINE, cb, ctx);
		}
		return;
	case S_HEADERS:
	case S_TRAILERS:
		ls = get_line(p, data, len, pos, &l);
		if (ls == LINE_LONG) {
			fail(p, H1_E_LINE_TOO_LONG, cb, ctx);
			p->state = S_SKIP_LINE;
		} else if (ls == LINE_OK) {
			field_line(p, l, cb, ctx);
		}
		return;
	case S_BODY_LENGTH:
	case S_CHUNK_DATA:
		n = len - *pos < p->remaining ? len - *pos : p->remaining;
		deliver(p, data + *pos, (size_t)n, cb, ctx);
		*pos += (size_t)n;
		p->remaining -= n;
		if (p->remaining)
			return;
		if (p->state == S_BODY_LENGTH)
			message_done(p, cb, ctx);
		else
			p->state = S_CHUNK_END;
		return;
	case S_BODY_EOF:
		deliver(p, data + *pos, len - *pos, cb, ctx);
		*pos = len;
		return;
	case S_CHUNK_SIZE:
		ls = get_line(p, data, len, pos, &l);
		if (ls == LINE_LONG) {
			fail(p, H1_E_LINE_TOO_LONG, cb, ctx);
			p->state = S_SKIP_LINE;
		} else if (ls == LINE_OK) {
			if (!parse_chunk_size(l, &p->remaining))
				fail(p, H1_E_CHUNK_SIZE, cb, ctx);
			else
				p->state = p->remaining ? S_CHUNK_DATA : S_TRAILERS;
		}
		return;
	case S_CHUNK_END:
		ls = get_line(p, data, len, pos, &l);
		if (ls == LINE_LONG) {
			fail(p, H1_E_CHUNK_END, cb, ctx);
			p->state = S_SKIP_LINE;
		} else if (ls == LINE_OK) {
			if (l.len)
				fail(p, H1_E_CHUNK_END, cb, ctx);
			else
				p->state = S_CHUNK_SIZE;
		}
		return;
	case S_SKIP_LINE: {
		const uint8_t *lf = memchr(data + *pos, '\n', len - *pos);

		*pos = lf ? (size_t)(lf - data) + 1 : len;
		if (lf)
			p->state = S_START;
		return;
	}
	case S_STOPPED:
		return;
	}
}

ssize_t h1_feed(struct h1_parser *p, const uint8_t *data, size_t len, const struct h1_callbacks *cb,
		void *ctx)
{
	size_t pos = 0;

	if (!cb)
		cb = &no_callbacks;
	while (pos < len && p->state != S_STOPPED && !p->stop_req)
		step(p, data, len, &pos, cb, ctx);
	if (p->stop_req && p->state != S_STOPPED) {
		p->state = S_STOPPED;
		p->counters[H1_C_STOPS]++;
		reset_message(p);
	}
	if (p->state == S_STOPPED && !pos && len)
		return H1_STOPPED;
	return (ssize_t)pos;
}

int h1_gap(struct h1_parser *p, const struct h1_callbacks *cb, void *ctx)
{
	int dropped;

	if (!cb)
		cb = &no_callbacks;
	p->counters[H1_C_GAPS]++;
	if (h1_stopped(p))
		return 0;
	dropped = p->state != S_START && p->state != S_SKIP_LINE;
	/* A final response whose header block was cut answered the request queued first. */
	if (p->mode == H1_RESPONSE && p->state == S_HEADERS &&
	    (p->status >= 200 || p->status == 101) && p->pend_n)
		take_pending(p);
	if (dropped) {
		fail(p, H1_E_GAP, cb, ctx);
	} else {
		p->state = S_START;
		p->resync = 1;
		p->line_len = 0;
	}
	return dropped;
}

int h1_idle(const struct h1_parser *p)
{
	return p->state == S_START && !p->line_len;
}

int h1_skip(struct h1_parser *p, uint64_t n, const struct h1_callbacks *cb, void *ctx)
{
	if (!cb)
		cb = &no_callbacks;
	if (!n || h1_stopped(p))
		return 0;
	/* Inside a body of known extent (or one read until close), n unseen bytes keep sync. */
	if ((p->state == S_BODY_LENGTH || p->state == S_CHUNK_DATA) && n <= p->remaining) {
		p->remaining -= n;
		p->body_len += n;
		if (!p->remaining) {
			if (p->state == S_BODY_LENGTH)
				message_done(p, cb, ctx);
			else
				p->state = S_CHUNK_END;
		}
		return 0;
	}
	/*
	 * A chunk's data and the CRLF that must end it (a writer that sends one chunk per
	 * call, cut by --max-capture): the next chunk-size line is where the parser stands.
	 * Were those two bytes not CRLF, that line fails to parse and the parser resyncs.
	 */
	if (p->state == S_CHUNK_DATA && p->remaining <= UINT64_MAX - 2 && n == p->remaining + 2) {
		p->body_len += p->remaining;
		p->remaining = 0;
		p->state = S_CHUNK_SIZE;
		return 0;
	}
	if (p->state == S_BODY_EOF) {
		p->body_len += n;
		return 0;
	}
	h1_gap(p, cb, ctx);
	return 1;
}

void h1_eof(struct h1_parser *p, const struct h1_callbacks *cb, void *ctx)
{
	if (!cb)
		cb = &no_callbacks;
	if (h1_stopped(p))
		return;
	if (p->state == S_BODY_EOF) {
		message_done(p, cb, ctx);
	} else if (p->state != S_START && p->state != S_SKIP_LINE) {
		fail(p, H1_E_TRUNCATED, cb, ctx);
	}
	p->state = S_START;
	p->resync = 0;
	p->line_len = 0;
	p->pend_first = p->pend_n = 0;
}

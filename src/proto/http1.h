/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.x messages, parsed from one direction of a connection's plaintext: requests from what
 * the client sends, responses from what the server sends. One parser per direction; no
 * globals, no allocation after h1_init().
 *
 * Zero-copy and incremental: the stream is fed in chunks cut anywhere; each callback sees its
 * piece of the message as soon as it is whole. Slices point into the fed bytes, or into the
 * parser's line buffer when a line was split between feeds, and are valid only during the
 * callback. The callback sequence depends only on the bytes and on the h1_gap()/h1_eof()
 * calls between them, never on where the chunks were cut, except that a body may arrive in
 * any number of on_body() calls (their concatenation is what counts).
 *
 * Errors do not stop the parser: the message in progress is abandoned (on_error, counted),
 * and the parser looks for the next message start. While it looks, nothing is reported:
 * a request line `TOKEN SP target SP HTTP/1.x` (with a registered method) or a status line
 * `HTTP/1.x SP 3DIGIT ...` is searched for anywhere before an LF, since a body need not end
 * with one. The same search follows h1_gap().
 *
 * After a 101 Switching Protocols response, or a 2xx answering CONNECT, the rest of the stream
 * is another protocol: the response parser stops there (h1_head.stops, h1_feed returns the
 * bytes that were HTTP/1). The request parser cannot know the answer: the pairing layer calls
 * h1_stop() on it.
 */
#ifndef TLSSCOPE_PROTO_HTTP1_H
#define TLSSCOPE_PROTO_HTTP1_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define H1_DEFAULT_MAX_LINE    8192	 /* nginx's large_client_header_buffers line size */
#define H1_DEFAULT_MAX_HEADERS 100	 /* fields per header block (and per trailer block) */
#define H1_MAX_LINE_LIMIT      (1 << 20) /* a larger limits.max_line is lowered to this */
/* A Content-Length or chunk size above this is an error: body counters never overflow. */
#define H1_MAX_BODY_LEN (1ULL << 62)
/* h1_response_to() entries a response parser queues (requests pipelined ahead of it). */
#define H1_MAX_PENDING 64

/* h1_feed()'s answer once the parser has stopped: nothing consumed. */
#define H1_STOPPED (-1)

enum h1_mode {
	H1_REQUEST,
	H1_RESPONSE,
};

/* What a response answers, when that changes its framing. */
enum h1_req_kind {
	H1_REQ_OTHER,
	H1_REQ_HEAD,	/* the response has no body, whatever its headers say */
	H1_REQ_CONNECT, /* a 2xx response starts a tunnel: the parser stops after it */
};

enum h1_body {
	H1_BODY_NONE,	   /* HEAD response, 1xx, 204, 304, a request without a length */
	H1_BODY_LENGTH,	   /* Content-Length bytes */
	H1_BODY_CHUNKED,   /* Transfer-Encoding ending in chunked */
	H1_BODY_UNTIL_EOF, /* a response without a length: the body ends at h1_eof() */
};

/* Why a message was abandoned. Each has a counter (H1_C_ERR_*) and a name. */
enum h1_error {
	H1_E_START_LINE = 1,   /* a malformed request or status line */
	H1_E_LINE_TOO_LONG,    /* a start, header, chunk-size or trailer line over max_line */
	H1_E_TOO_MANY_HEADERS, /* more than max_headers fields (or trailer fields) */
	H1_E_HEADER,	     /* a malformed field line (no colon, bad name, control bytes, fold) */
	H1_E_CONTENT_LENGTH, /* not digits, differing values, or over H1_MAX_BODY_LEN */
	H1_E_TRANSFER_ENCODING, /* a request whose last transfer coding is not chunked */
	H1_E_CHUNK_SIZE,	/* a malformed chunk-size line, or a size over H1_MAX_BODY_LEN */
	H1_E_CHUNK_END,		/* chunk data not followed by CRLF */
	H1_E_TRUNCATED,		/* h1_eof() inside a message that has a length */
	H1_E_GAP,		/* h1_gap() inside a message */
	H1_E__MAX = H1_E_GAP,
};

enum h1_counter {
	H1_C_MESSAGES,	   /* messages completed (on_message_done) */
	H1_C_GAPS,	   /* h1_gap() calls */
	H1_C_RESYNCS,	   /* message starts found again after an error or a gap */
	H1_C_STOPS,	   /* the stream stopped being HTTP/1 (101, CONNECT tunnel, h1_stop) */
	H1_C_UNPAIRED,	   /* final responses with no h1_response_to() entry (taken as GET) */
	H1_C_PENDING_FULL, /* h1_response_to() refused: H1_MAX_PENDING entries queued */
	/* messages abandoned, one counter per enum h1_error, in its order */
	H1_C_ERR_START_LINE,
	H1_C_ERR_LINE_TOO_LONG,
	H1_C_ERR_TOO_MANY_HEADERS,
	H1_C_ERR_HEADER,
	H1_C_ERR_CONTENT_LENGTH,
	H1_C_ERR_TRANSFER_ENCODING,
	H1_C_ERR_CHUNK_SIZE,
	H1_C_ERR_CHUNK_END,
	H1_C_ERR_TRUNCATED,
	H1_C_ERR_GAP,
	H1_C__MAX,
};

#define H1_C_ERR(e) (H1_C_ERR_START_LINE + (e)-H1_E_START_LINE)

/* "messages", "gaps", ..., "err_start_line", ...; NULL when out of range. */
const char *h1_counter_name(enum h1_counter c);
/* "start_line", "line_too_long", ...; NULL when out of range. */
const char *h1_error_name(enum h1_error e);

/* Bytes that are not NUL-terminated. */
struct h1_str {
	const char *p;
	size_t len;
};

/* What the header block said about the message, passed to on_headers_done(). */
struct h1_head {
	enum h1_body body;
	uint64_t content_length; /* when has_content_length, even where it does not frame */
	uint8_t has_content_length;
	uint8_t keep_alive; /* the connection carries another message after this one */
	uint8_t upgrade;    /* request: Upgrade and Connection: upgrade; response: a 101 */
	uint8_t stops;	    /* the last HTTP/1 message: what follows is another protocol */
	/* request: its method's kind, for h1_response_to(); response: the entry it took */
	enum h1_req_kind req_kind;
};

/*
 * Every callback may be NULL. Per message: on_request or on_response, on_header*,
 * on_headers_done, on_body*, on_trailer* (chunked), on_message_done; or on_error at any point
 * after which the message is dropped (on_error also reports a bad start line, before any
 * on_request). A 1xx response is a message of its own, followed by the real one.
 * Callbacks must not feed the parser; they may call h1_response_to() and h1_stop() on it.
 */
struct h1_callbacks {
	void (*on_request)(void *ctx, struct h1_str method, struct h1_str target, int minor);
	void (*on_response)(void *ctx, int status, struct h1_str reason, int minor);
	void (*on_header)(void *ctx, struct h1_str name, struct h1_str value);
	void (*on_headers_done)(void *ctx, const struct h1_head *head);
	void (*on_body)(void *ctx, const uint8_t *data, size_t len); /* decoded, len > 0 */
	void (*on_trailer)(void *ctx, struct h1_str name, struct h1_str value);
	void (*on_message_done)(void *ctx, uint64_t body_len);
	void (*on_error)(void *ctx, enum h1_error cause);
};

struct h1_limits {
	uint32_t max_line;    /* bytes before a line's LF; 0: H1_DEFAULT_MAX_LINE */
	uint32_t max_headers; /* 0: H1_DEFAULT_MAX_HEADERS */
};

/* Caller-allocated (embed it in the connection). The fields are private. */
struct h1_parser {
	uint8_t mode, state;
	uint8_t resync;	  /* searching for a message start */
	uint8_t stop_req; /* h1_stop() called during a feed */
	uint8_t minor;
	uint8_t te_seen, te_chunked, conn_close, conn_keep_alive, conn_upgrade, upgrade_hdr;
	uint16_t status;
	uint32_t max_line, max_headers, n_fields;
	uint32_t line_len;
	char *line; /* max_line bytes: a line split between feeds; the resync window */
	uint64_t remaining, body_len;
	struct h1_head head;
	uint8_t pending[H1_MAX_PENDING]; /* enum h1_req_kind, a ring */
	uint32_t pend_first, pend_n;
	uint64_t counters[H1_C__MAX];
};

/* Returns 0 or -ENOMEM. lim may be NULL (defaults). */
int h1_init(struct h1_parser *p, enum h1_mode mode, const struct h1_limits *lim);
/* Releases the line buffer; p may be reinitialised. h1_free of a zeroed parser is a no-op. */
void h1_free(struct h1_parser *p);

/*
 * Parses len more bytes of the stream. Returns the bytes consumed: len, unless the parser
 * stopped during this feed (then the bytes before the other protocol began); H1_STOPPED
 * once it has stopped. cb may be NULL.
 */
ssize_t h1_feed(struct h1_parser *p, const uint8_t *data, size_t len, const struct h1_callbacks *cb,
		void *ctx);

/*
 * Bytes were lost before the next feed: drops the message in progress (on_error H1_E_GAP,
 * counted; a response parser also drops the h1_response_to() entry it would have taken) and
 * searches for the next message start. Returns 1 if a message was dropped, else 0.
 */
int h1_gap(struct h1_parser *p, const struct h1_callbacks *cb, void *ctx);

/* 1 between messages, with no byte of the next one seen yet. */
int h1_idle(const struct h1_parser *p);

/*
 * n bytes of the stream exist but were not seen (cut by a capture limit). Inside a body whose
 * extent is known (a chunk's data, with the CRLF ending it when n reaches exactly that far)
 * they are counted as body bytes and the parser stays in sync (returns 0); anywhere else this
 * is h1_gap() (returns 1).
 */
int h1_skip(struct h1_parser *p, uint64_t n, const struct h1_callbacks *cb, void *ctx);

/*
 * The connection closed: ends a body read until close (on_message_done); a message cut short
 * reports H1_E_TRUNCATED. The parser is then as after h1_init (its counters kept).
 */
void h1_eof(struct h1_parser *p, const struct h1_callbacks *cb, void *ctx);

/*
 * Response parsers: queues what the next unanswered request was, one call per request in
 * request order (or from on_response). Each final response (status >= 200, or 101) takes one
 * entry at the end of its header block; with none queued it is taken as answering a GET.
 * Returns 0, or -ENOSPC when H1_MAX_PENDING entries are queued (counted).
 */
int h1_response_to(struct h1_parser *p, enum h1_req_kind kind);

/* The stream is no longer HTTP/1 (the server accepted an Upgrade or a CONNECT). */
void h1_stop(struct h1_parser *p);
int h1_stopped(const struct h1_parser *p);

const uint64_t *h1_counters(const struct h1_parser *p); /* H1_C__MAX entries */

#endif

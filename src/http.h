/* SPDX-License-Identifier: MIT */
/*
 * Plaintext streams to HTTP records. Per connection end (network namespace and 5-tuple as
 * the end sees it), the request direction (written by a client, read by a server) and the
 * response direction each go through an HTTP/1 parser (proto/http1.c); requests queue in
 * order (pipelining) and each final response completes the oldest one, giving one `http`
 * record. A record that lost bytes (ring buffer full, --max-capture) is a gap: the parser
 * drops the message in progress and resynchronises at the next message start.
 *
 * A connection is taken for HTTP/1 when its first bytes are a request or status line; it is
 * given up after a few records that are neither (counted). Memory is bounded: at most
 * `max_conns` connections (least recently used out first) and a fixed amount per message.
 */
#ifndef TLSSCOPE_HTTP_H
#define TLSSCOPE_HTTP_H

#include <stdint.h>

#include "record.h"

enum http_counter {
	HTTP_C_RECORDS,	    /* http records emitted */
	HTTP_C_CONNS,	    /* connections taken for HTTP/1 */
	HTTP_C_NOT_HTTP,    /* connections given up: not HTTP/1 */
	HTTP_C_GAPS,	    /* records that lost bytes, fed as gaps */
	HTTP_C_UNPAIRED,    /* responses whose request was not seen */
	HTTP_C_DROPPED_REQ, /* requests dropped: too many pipelined, or the connection went */
	HTTP_C_EVICTED,	    /* connections forgotten to stay within max_conns */
	HTTP_C_PARSE_ERRORS,
	HTTP_C_H2_CONNS,	   /* connections taken for HTTP/2 */
	HTTP_C_H2_STREAMS_DROPPED, /* streams forgotten: more than 64 open at once */
	/*
	 * secret values that could not be masked in data records: an HTTP/1 header line or an
	 * HTTP/2 field split across TLS calls, whose first part was in a record already shown
	 */
	HTTP_C_REDACT_MISSED,
	HTTP_C__MAX,
};

const char *http_counter_name(enum http_counter c);

typedef void (*http_emit_fn)(void *ctx, const struct http_record *r);

struct http_tracker;

/*
 * redact: mask the values of Authorization, Proxy-Authorization, Cookie and Set-Cookie.
 * preview: bytes of each body kept for the record (0: none).
 */
struct http_tracker *http_new(uint32_t max_conns, int redact, uint32_t preview, http_emit_fn emit,
			      void *ctx);
/* Frees t without reporting anything more. */
void http_free(struct http_tracker *t);

/*
 * A data record (d->conn not NULL, role resolved). now: CLOCK_MONOTONIC ns, for idle
 * eviction. May emit records (with d's process, connection and tls facts). Returns what the
 * connection end is now known to carry.
 */
enum app_proto http_data(struct http_tracker *t, const struct data_record *d, uint64_t now);
/* Reports what is still waiting (an answer to a request never finished) and forgets all. */
void http_flush(struct http_tracker *t);
/* Forgets connections idle for longer than idle_ns (reporting what waits, as http_flush). */
void http_expire(struct http_tracker *t, uint64_t now, uint64_t idle_ns);
const uint64_t *http_counters(const struct http_tracker *t); /* HTTP_C__MAX */

/* Bytes of a data record that hold a secret: overwrite with '*' (and clear_huffman). */
struct http_mask {
	uint32_t off, len;
	/* off is an HPACK string's length prefix: clear its Huffman bit (0x80), len is 0 */
	uint8_t clear_huffman;
};

/*
 * The secret HTTP/2 field values the last http_data() call found in its record (HTTP/1
 * header lines are masked by redact.c): masked in place, with the Huffman bit of each length
 * prefix cleared, the value reads as the same number of '*' and the record keeps its length.
 * Returns the count of fields; *masks is valid until the next call.
 */
unsigned int http_masks(const struct http_tracker *t, const struct http_mask **masks,
			unsigned int *n);

#endif

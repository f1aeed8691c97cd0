/* SPDX-License-Identifier: MIT */
/*
 * The handshake tracker: per TCP connection, reassembles the first bytes of each direction
 * from segments (in any order, retransmitted or not), parses the ClientHello and the
 * ServerHello as their bytes become contiguous, and reports one result per connection.
 * Memory and time are bounded: a flow gives up after HSF_MAX_BYTES per direction or
 * `timeout_ns` without completing, and the table holds at most `max_flows` flows (the oldest
 * are evicted); every give-up is counted by cause.
 */
#ifndef TLSSCOPE_WIRE_HSFLOW_H
#define TLSSCOPE_WIRE_HSFLOW_H

#include <stdint.h>

#include "wire/hello.h"
#include "wire/segment.h"

/* Bytes buffered per direction before giving up: a ClientHello fits in one 16 KiB record. */
#define HSF_MAX_BYTES (16384 + 5 + 64)

enum hsf_counter {
	HSF_SEGMENTS,	      /* segments fed */
	HSF_FLOWS,	      /* flows started (a hello start or a SYN seen) */
	HSF_RESULTS,	      /* results reported */
	HSF_RETRANSMIT,	      /* segments whose bytes were all seen already */
	HSF_OVERLAP_CONFLICT, /* retransmitted bytes that differ from the first copy (first kept) */
	HSF_OUT_OF_WINDOW,    /* segments past HSF_MAX_BYTES or before the stream start */
	HSF_GIVEUP_BYTES,     /* a direction reached HSF_MAX_BYTES without a whole hello */
	HSF_GIVEUP_TIME,      /* a flow timed out before its hellos were whole */
	HSF_EVICTED,	      /* flows pushed out by max_flows */
	HSF_NO_MEMORY,	      /* allocation failures */
	/* parse failures, one per hello_status error (either direction) */
	HSF_ERR_NOT_TLS,
	HSF_ERR_SSLV2,
	HSF_ERR_RECORD,
	HSF_ERR_NOT_HELLO,
	HSF_ERR_LENGTH,
	HSF_ERR_EXTENSION,
	HSF_ERR_TOO_LARGE,
	HSF__MAX,
};

/* "segments", "flows", ..., "err_not_tls", ... */
const char *hsf_counter_name(enum hsf_counter c);

/* Why a result was reported. */
enum hsf_reason {
	HSF_DONE,    /* both hellos parsed (or the ServerHello failed after a ClientHello) */
	HSF_CLOSED,  /* FIN or RST before both were whole */
	HSF_TIMEOUT, /* timeout_ns passed */
	HSF_FLUSH,   /* hsflow_flush (end of a capture, agent exit) */
	HSF_EVICT,   /* pushed out by max_flows */
};

struct hsf_result {
	enum hsf_reason reason;
	uint64_t scope;
	uint64_t ts; /* of the segment that began the ClientHello (else the ServerHello) */
	uint8_t family;
	/* oriented client -> server: the client sent the ClientHello (or the SYN) */
	uint8_t caddr[16], saddr[16];
	uint16_t cport, sport;
	int ch_status, sh_status; /* hello_status of each side; HELLO_MORE if never whole */
	const struct tls_client_hello *ch; /* NULL unless ch_status == HELLO_DONE */
	const struct tls_server_hello *sh; /* NULL unless sh_status == HELLO_DONE */
	/* what the live path knew of each side's segments (first with a pid wins); NULL if none */
	const struct seg_meta *cmeta, *smeta;
};

typedef void (*hsf_result_fn)(void *ctx, const struct hsf_result *r);

struct hsf_limits {
	uint32_t max_flows;  /* default 4096 */
	uint64_t timeout_ns; /* default 10 s */
};

struct hsflow;

struct hsflow *hsflow_new(const struct hsf_limits *lim, hsf_result_fn fn, void *ctx);
void hsflow_free(struct hsflow *t);
/* Feeds one segment; may call fn (synchronously) for this flow or an evicted one. */
void hsflow_feed(struct hsflow *t, const struct tcp_segment *seg);
/* Reports and drops the flows idle for longer than the timeout, as of now (ns). */
void hsflow_expire(struct hsflow *t, uint64_t now);
/* Reports every flow still waiting (HSF_FLUSH) and drops them all. */
void hsflow_flush(struct hsflow *t);
const uint64_t *hsflow_counters(const struct hsflow *t); /* HSF__MAX entries */
unsigned int hsflow_active(const struct hsflow *t);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * An output. Each sink is one file with one ops table; the agent calls write for every
 * record and never knows which sink it talks to.
 */
#ifndef TLSSCOPE_SINK_H
#define TLSSCOPE_SINK_H

#include <stdio.h>
#include <sys/socket.h>

#include "record.h"
#include "util/buf.h"

struct sink_opts {
	FILE *out; /* records (text and json) */
	FILE *err; /* human-facing status lines (the text view's stats) */
	int color;
	int show_data;	  /* text: also the data records of HTTP streams (--data) */
	const char *path; /* a sink's own file (pcapng) */
	const char *addr; /* a sink's own listening address (metrics: ADDR:PORT) */
	/* Fills st with the agent's counters as they are now (for scrapes); NULL offline. */
	void (*snapshot)(void *ctx, struct stats_record *st);
	void *ctx;
};

struct sink_ops {
	const char *name;
	/* Returns the sink's state, or NULL with errno set. */
	void *(*open)(const struct sink_opts *opts);
	/* Returns 0 or a negative errno; the record is then counted as lost. */
	int (*write)(void *sink, const struct record *r);
	int (*flush)(void *sink);
	void (*close)(void *sink);
	/* Optional: a descriptor the event loop watches for input (-1: none), and its handler. */
	int (*fd)(void *sink);
	void (*ready)(void *sink);
};

/* The formatters behind the sinks, pure functions of a record (unit-tested). */
void json_format_data(struct buf *b, const struct data_record *d);
void json_format_stats(struct buf *b, const struct stats_record *st);
void json_format_handshake(struct buf *b, const struct handshake_record *h);
void text_format_handshake(struct buf *b, const struct handshake_record *h, int color);
void json_format_http(struct buf *b, const struct http_record *h);
void text_format_http(struct buf *b, const struct http_record *h, int color);
void text_format_data(struct buf *b, const struct data_record *d, int color);
void text_format_stats(struct buf *b, const struct stats_record *st);

/*
 * The metrics sink's aggregate of http records (bounded: see metrics.c) and its Prometheus
 * text exposition, with the agent's counters from st when st is not NULL.
 */
struct metrics;
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);
void metrics_add_http(struct metrics *m, const struct http_record *h);
void metrics_format(struct buf *b, const struct metrics *m, const struct stats_record *st);
/* "127.0.0.1:9464", "[::1]:9464", ":9464" (every address, dual-stack); 0 or -EINVAL. */
int metrics_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/* One packet of the pcapng sink: bytes of d's connection, in d's direction, at d's time. */
struct pcapng_packet {
	const struct data_record *d; /* whose call: time, addresses, the comment */
	const char *proto;	     /* the Wireshark dissector: "http", "http2", "data" */
	const char *column;	     /* the protocol column's text; NULL: the dissector's */
	const uint8_t *data;
	uint32_t caplen, origlen; /* origlen > caplen: bytes that were not captured */
	const char *note;	  /* appended to the comment; NULL for none */
};

/* The section and interface blocks that begin the file. */
void pcapng_format_header(struct buf *b);
/* One enhanced packet block (LINKTYPE_WIRESHARK_UPPER_PDU); d->conn must not be NULL. */
void pcapng_format_packet(struct buf *b, const struct pcapng_packet *p);
/* The packet of a whole call. */
void pcapng_format_data(struct buf *b, const struct data_record *d, const char *proto,
			const char *note);

/* The counters of a pcapng sink (state from pcapng_sink_ops.open). */
void pcapng_sink_counters(void *sink, struct pcapng_counters *c);

/* Creates (or truncates) the file at path, mode 0600, for writing. NULL with errno set. */
FILE *sink_open_file(const char *path);

extern const struct sink_ops text_sink_ops;
extern const struct sink_ops json_sink_ops;
extern const struct sink_ops metrics_sink_ops;
extern const struct sink_ops pcapng_sink_ops;

#endif

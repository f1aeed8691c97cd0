/* SPDX-License-Identifier: MIT */
/*
 * What sinks consume: records joined and resolved by the agent, in wall-clock time. Sinks
 * only format; they never look anything up.
 */
#ifndef TLSSCOPE_RECORD_H
#define TLSSCOPE_RECORD_H

#include <stdint.h>

#include "bpf/abi.h"
#include "sites.h"
#include "wire/hello.h"

enum record_type {
	REC_DATA,
	REC_STATS,
	REC_HANDSHAKE,
	REC_HTTP,
};

enum alpn_source {
	ALPN_UNKNOWN,	/* not offered, or encrypted and not learned (yet) */
	ALPN_WIRE,	/* the ServerHello carried it (TLS 1.2 and older) */
	ALPN_PLAINTEXT, /* TLS 1.3: learned from the connection's first plaintext bytes */
};

/* What a connection negotiated: the `tls` object of data records. */
struct tls_facts {
	uint8_t has_sni, has_alpn, have_server; /* have_server: the ServerHello was parsed */
	uint8_t alpn_source;			/* enum alpn_source */
	uint16_t version, cipher, group;	/* group: the key share chosen; 0 if none */
	char sni[HELLO_SNI_LEN + 1];
	char alpn[HELLO_ALPN_LEN + 1];
	char ja3[33], ja3s[33];
	char ja4[40];
};

/* What the http tracker made of a connection end's plaintext. */
enum app_proto {
	APP_UNKNOWN, /* not (yet) recognised, or not parsed */
	APP_HTTP1,
	APP_HTTP2,
};

enum truncation {
	TRUNC_NONE,
	TRUNC_LIMIT, /* --max-capture */
	TRUNC_LOST,  /* chunks lost on the way (counted in stats) */
};

/* One TLS call. conn is NULL when the connection is not known. */
struct data_record {
	uint64_t ts; /* unix ns, when the call returned */
	uint32_t pid, tid;
	const char *comm;
	uint32_t netns;
	uint64_t cgroup_id;
	int fd; /* -1 when unknown */
	enum attribution attribution;
	const struct conn_tuple *conn; /* role already resolved */
	enum tls_lib lib;
	enum data_dir dir;
	uint32_t len, captured;
	enum truncation truncated;
	unsigned int redacted; /* secret header values masked in data */
	enum app_proto app;
	const uint8_t *data;
	const struct tls_facts *tls; /* the connection's handshake, NULL when not seen */
};

/* One TLS handshake seen on the wire. */
struct handshake_record {
	uint64_t ts;	  /* unix ns of the ClientHello (else the ServerHello) */
	uint32_t pid;	  /* the process at conn's local end; 0 when not known */
	const char *comm; /* NULL when not known */
	uint32_t netns;	  /* of conn's local end when known, else of the interface */
	uint64_t cgroup_id;
	const struct conn_tuple *conn;	   /* local end's view; role client or server */
	const char *iface;		   /* where it was seen; NULL in capture files */
	const struct tls_client_hello *ch; /* NULL when not parsed */
	const struct tls_server_hello *sh; /* NULL when not parsed */
	const struct tls_facts *tls;
	const char *ja3_full, *ja3s_full, *ja4_r; /* NULL when there is no such hello */
	const char *incomplete; /* NULL, or why a hello is missing: "closed", "timeout", ... */
};

struct http_header {
	const char *name, *value;
	uint32_t name_len, value_len;
};

/* One HTTP request and its response, seen from one end of the connection. */
struct http_record {
	uint64_t ts; /* unix ns: the TLS call that carried the request's first byte returned */
	uint64_t latency_ns; /* from ts to the return of the call that completed the response */
	uint32_t pid;
	const char *comm;
	uint32_t netns;
	uint64_t cgroup_id;
	const struct conn_tuple *conn;
	const struct tls_facts *tls; /* NULL when the handshake was not seen */
	const char *protocol;	     /* "HTTP/1.1", "HTTP/1.0" */
	const char *method, *path;   /* NULL for a response whose request was not seen */
	uint32_t method_len, path_len;
	int status;
	const struct http_header *req_headers, *resp_headers;
	unsigned int n_req_headers, n_resp_headers;
	uint8_t headers_truncated; /* more headers than the record keeps */
	uint64_t req_body_len, resp_body_len;
	uint8_t req_body_partial; /* request body bytes were lost: req_body_len is a lower bound */
	const uint8_t *req_body, *resp_body; /* their first bytes (--body-preview) */
	uint32_t req_body_kept, resp_body_kept;
	int grpc_status;	  /* from grpc-status (trailers); -1 when absent */
	const char *grpc_message; /* grpc-message as sent (percent-encoded); NULL if absent */
	uint32_t grpc_message_len;
	unsigned int redacted; /* secret header values masked */
};

struct lib_status {
	const char *path;    /* as found, in the agent's mount namespace */
	const char *lib;     /* adapter name, "go", or "loader" */
	const char *linkage; /* tls_linkage_name(); NULL for a loader */
	const char *version; /* "" when not known */
	const char *reason;  /* why it is not traced; NULL when it is */
	unsigned int probes;
	unsigned int failed;
	const struct site_plan *plan; /* where the probes went and what each costs */
};

/* What the pcapng sink did with the records it was given, besides dissectable packets. */
struct pcapng_counters {
	uint64_t packets;      /* packets written */
	uint64_t unattributed; /* data records with no connection: not written */
	uint64_t mirrored;     /* records of a connection's other end, written as "data" */
	uint64_t h2_desync;    /* HTTP/2 directions whose framing a gap hid: "data" from there */
	uint64_t h2_oversize;  /* HTTP/2 frames longer than the bound, written cut */
	uint64_t evicted;      /* connections forgotten for the table's bound */
};

struct stats_record {
	uint64_t ts;
	uint64_t counters[CNT__MAX]; /* summed over CPUs */
	uint64_t lost_incomplete;    /* records closed with chunks missing */
	uint64_t lost_decode;	     /* ring records that failed to decode */
	uint64_t lost_sink;	     /* records a sink could not write */
	uint64_t correlated;	     /* records attributed after the fact by a memory-BIO binding */
	uint64_t probes_attached;
	uint64_t probes_failed;
	const struct lib_status *libs;
	unsigned int nlibs;
	unsigned int procs_tls;	     /* processes that run TLS code */
	unsigned int procs_untraced; /* of them, those with TLS code that is not traced */
	const uint64_t *wire; /* handshake tracker counters (HSF__MAX), NULL without the wire */
	const uint64_t *http; /* http tracker counters (HTTP_C__MAX), NULL if none */
	const struct pcapng_counters *pcapng; /* NULL without --pcapng */
	uint64_t handshakes, hs_ambiguous, hs_evicted;
	unsigned int ifaces, ifaces_failed;
};

struct record {
	enum record_type type;
	union {
		const struct data_record *data;
		const struct stats_record *stats;
		const struct handshake_record *hs;
		const struct http_record *http;
	};
};

const char *tls_lib_name(enum tls_lib lib);
const char *attribution_name(enum attribution a);
const char *role_name(enum conn_role r);
const char *counter_name(enum counter c);
/* 1 for counters that count a loss, listed under "lost" in stats. */
int counter_is_loss(enum counter c);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * From handshake tracker results to `handshake` records, and the join of each connection's
 * negotiated facts to its plaintext records.
 *
 * One handshake record per connection, told from the end whose process is known (the
 * client's first), else from the client's side with no process. Data records find their
 * connection by 5-tuple and network namespace: a wire flow matches a socket in namespace N
 * when the sending socket was seen in N, when it was seen on `lo` of N, or when it crossed a
 * veth whose other end is in N (weaker: the interface's own namespace). The best match wins;
 * a tie between flows is not guessed (counted as ambiguous, no `tls` object).
 *
 * TLS 1.3 encrypts the selected ALPN. When ALPN was offered, the record waits (at most
 * `alpn_wait_ns`) for the connection's first plaintext: an HTTP/2 preface or an HTTP/1 message
 * names the protocol, reported with alpn_source "plaintext".
 */
#ifndef TLSSCOPE_HANDSHAKE_H
#define TLSSCOPE_HANDSHAKE_H

#include <stdint.h>

#include "record.h"
#include "wire/hsflow.h"

typedef void (*hs_emit_fn)(void *ctx, const struct handshake_record *r);

struct hsjoin;

/* max_conns bounds the table (oldest out first, counted). */
struct hsjoin *hsjoin_new(uint32_t max_conns, uint64_t alpn_wait_ns, hs_emit_fn emit, void *ctx);
void hsjoin_free(struct hsjoin *j);

/*
 * Takes a tracker result: remembers the connection's facts and emits its record (now, or
 * after the ALPN wait). wall_offset turns r->ts into unix ns; iface names where it was seen
 * (NULL in capture files). now: CLOCK_MONOTONIC ns.
 */
void hsjoin_result(struct hsjoin *j, const struct hsf_result *r, uint64_t wall_offset,
		   const char *iface, uint64_t now);

/*
 * The facts of the connection of a plaintext record from process pid in namespace netns, or
 * NULL. data/len (the record's first bytes, moved in direction dir) may teach the ALPN; a
 * waiting handshake record is emitted before this returns.
 */
const struct tls_facts *hsjoin_lookup(struct hsjoin *j, uint32_t netns, const struct conn_tuple *t,
				      uint32_t pid, const char *comm, const uint8_t *data,
				      uint32_t len, int dir);

/* Emits the records whose ALPN wait ended by now; hsjoin_flush emits all of them. */
void hsjoin_tick(struct hsjoin *j, uint64_t now);
void hsjoin_flush(struct hsjoin *j);

struct hsjoin_stats {
	uint64_t handshakes; /* records emitted */
	uint64_t joined;     /* plaintext records given a `tls` object */
	uint64_t ambiguous;  /* lookups that matched more than one flow equally well */
	uint64_t evicted;    /* connections forgotten to stay within max_conns */
};
void hsjoin_stats(const struct hsjoin *j, struct hsjoin_stats *st);

/* Offered ALPN names alpn_from_plaintext can recognise. */
#define OFFERED_H2     0x1
#define OFFERED_HTTP11 0x2
#define OFFERED_HTTP10 0x4
unsigned int alpn_offered_mask(const struct tls_client_hello *ch);

/*
 * The application protocol a connection's first plaintext bytes speak, if it is among the
 * offered ones (mask of OFFERED_*): "h2" (the client preface, or a server's first SETTINGS
 * frame) or "http/1.1" / "http/1.0" (a request or status line). NULL when unsure.
 */
const char *alpn_from_plaintext(unsigned int offered, const uint8_t *data, uint32_t len,
				int from_client);

#endif

// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "wire/hsflow.h"

/* ---- hellos built byte by byte ---- */

struct bytes {
	uint8_t p[50000];
	size_t n;
};

static void put8(struct bytes *b, unsigned int v)
{
	b->p[b->n++] = (uint8_t)v;
}

static void put16(struct bytes *b, unsigned int v)
{
	put8(b, v >> 8);
	put8(b, v);
}

static void put(struct bytes *b, const void *p, size_t n)
{
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

/* Reserves a length field of `width` bytes; close_len() fills it with what followed. */
static size_t open_len(struct bytes *b, int width)
{
	size_t at = b->n;

	b->n += width;
	return at;
}

static void close_len(struct bytes *b, size_t at, int width)
{
	size_t len = b->n - at - width;

	for (int i = 0; i < width; i++)
		b->p[at + i] = (uint8_t)(len >> 8 * (width - 1 - i));
}

static void put_random(struct bytes *b, uint8_t seed)
{
	for (int i = 0; i < 32; i++)
		put8(b, seed + i * 13);
}

/*
 * A TLS 1.3 ClientHello in one handshake record: SNI, supported_versions, supported_groups,
 * ALPN, and a padding extension of `pad` bytes to make it as long as a test needs.
 */
static size_t client_hello(uint8_t *out, const char *sni, size_t pad)
{
	static struct bytes b;
	size_t rec, msg, exts, e, l;

	b.n = 0;
	put8(&b, 22);
	put16(&b, 0x0301);
	rec = open_len(&b, 2);
	put8(&b, 1);
	msg = open_len(&b, 3);
	put16(&b, 0x0303);
	put_random(&b, 1);
	put8(&b, 32);
	put_random(&b, 100);
	l = open_len(&b, 2);
	put16(&b, 0x1301);
	put16(&b, 0x1302);
	put16(&b, 0xc02b);
	close_len(&b, l, 2);
	put8(&b, 1);
	put8(&b, 0);
	exts = open_len(&b, 2);
	put16(&b, 0); /* server_name */
	e = open_len(&b, 2);
	l = open_len(&b, 2);
	put8(&b, 0);
	put16(&b, strlen(sni));
	put(&b, sni, strlen(sni));
	close_len(&b, l, 2);
	close_len(&b, e, 2);
	put16(&b, 43); /* supported_versions */
	e = open_len(&b, 2);
	put8(&b, 4);
	put16(&b, 0x0304);
	put16(&b, 0x0303);
	close_len(&b, e, 2);
	put16(&b, 10); /* supported_groups */
	e = open_len(&b, 2);
	l = open_len(&b, 2);
	put16(&b, 0x001d);
	put16(&b, 0x0017);
	close_len(&b, l, 2);
	close_len(&b, e, 2);
	put16(&b, 16); /* application_layer_protocol_negotiation */
	e = open_len(&b, 2);
	l = open_len(&b, 2);
	put8(&b, 2);
	put(&b, "h2", 2);
	put8(&b, 8);
	put(&b, "http/1.1", 8);
	close_len(&b, l, 2);
	close_len(&b, e, 2);
	put16(&b, 21); /* padding */
	put16(&b, pad);
	for (size_t i = 0; i < pad; i++)
		put8(&b, 0);
	close_len(&b, exts, 2);
	close_len(&b, msg, 3);
	close_len(&b, rec, 2);
	memcpy(out, b.p, b.n);
	return b.n;
}

/* A TLS 1.3 ServerHello choosing `cipher`, then a ChangeCipherSpec record as servers send. */
static size_t server_hello(uint8_t *out, uint16_t cipher)
{
	static struct bytes b;
	size_t rec, msg, exts, e;

	b.n = 0;
	put8(&b, 22);
	put16(&b, 0x0303);
	rec = open_len(&b, 2);
	put8(&b, 2);
	msg = open_len(&b, 3);
	put16(&b, 0x0303);
	put_random(&b, 7);
	put8(&b, 32);
	put_random(&b, 100);
	put16(&b, cipher);
	put8(&b, 0);
	exts = open_len(&b, 2);
	put16(&b, 43);
	e = open_len(&b, 2);
	put16(&b, 0x0304);
	close_len(&b, e, 2);
	put16(&b, 51); /* key_share */
	e = open_len(&b, 2);
	put16(&b, 0x001d);
	put16(&b, 32);
	put_random(&b, 50);
	close_len(&b, e, 2);
	close_len(&b, exts, 2);
	close_len(&b, msg, 3);
	close_len(&b, rec, 2);
	put(&b, "\x14\x03\x03\x00\x01\x01", 6);
	memcpy(out, b.p, b.n);
	return b.n;
}

/* ---- results, copied out of the callback ---- */

struct got {
	struct hsf_result r;
	struct tls_client_hello ch;
	struct tls_server_hello sh;
	struct seg_meta cmeta, smeta;
};

static struct {
	struct got v[8];
	unsigned int n;
} res;

static void on_result(void *ctx, const struct hsf_result *r)
{
	struct got *g;

	(void)ctx;
	if (res.n == sizeof(res.v) / sizeof(res.v[0]))
		abort();
	g = &res.v[res.n++];
	memset(g, 0, sizeof(*g));
	g->r = *r;
	if (r->ch)
		g->ch = *r->ch;
	if (r->sh)
		g->sh = *r->sh;
	if (r->cmeta)
		g->cmeta = *r->cmeta;
	if (r->smeta)
		g->smeta = *r->smeta;
	CHECK(!r->ch == (r->ch_status != HELLO_DONE));
	CHECK(!r->sh == (r->sh_status != HELLO_DONE));
}

static struct hsflow *new_tracker(uint32_t max_flows, uint64_t timeout_ns)
{
	struct hsf_limits lim = {.max_flows = max_flows, .timeout_ns = timeout_ns};

	memset(&res, 0, sizeof(res));
	return hsflow_new(&lim, on_result, NULL);
}

/* ---- segments ---- */

struct ep {
	int family;
	const char *addr;
	uint16_t port;
};

static const struct ep cli = {AF_INET, "10.0.0.9", 40000}, srv = {AF_INET, "10.0.0.2", 443};
static const struct ep cli6 = {AF_INET6, "2001:db8::1", 50000}, srv6 = {AF_INET6, "::1", 8443};

static uint64_t now_ts = 1000;

/* Feeds one segment from `from` to `to`; the payload sits right before a guard page. */
static void feed_full(struct hsflow *t, const struct ep *from, const struct ep *to, uint32_t seq,
		      uint8_t flags, const uint8_t *p, uint32_t len, int has_start,
		      uint32_t start_seq, const struct seg_meta *meta)
{
	struct tcp_segment s = {.ts = now_ts++, .family = from->family, .flags = flags};

	inet_pton(from->family, from->addr, s.saddr);
	inet_pton(to->family, to->addr, s.daddr);
	s.sport = from->port;
	s.dport = to->port;
	s.seq = seq;
	s.has_start = has_start;
	s.start_seq = start_seq;
	s.payload = len ? guard_copy(p, len) : NULL;
	s.len = len;
	s.meta = meta;
	hsflow_feed(t, &s);
}

static void feed(struct hsflow *t, const struct ep *from, const struct ep *to, uint32_t seq,
		 uint8_t flags, const uint8_t *p, uint32_t len)
{
	feed_full(t, from, to, seq, flags, p, len, 0, 0, NULL);
}

#define CISN 1000000u
#define SISN 0xfffff000u /* the server's stream wraps around 2^32 */

static void handshake_syn(struct hsflow *t, const struct ep *c, const struct ep *s)
{
	feed(t, c, s, CISN, TCPF_SYN, NULL, 0);
	feed(t, s, c, SISN, TCPF_SYN | TCPF_ACK, NULL, 0);
}

static uint64_t ctr(const struct hsflow *t, enum hsf_counter c)
{
	return hsflow_counters(t)[c];
}

/* Checks result i: both hellos parsed and oriented c -> s. */
static int is_full(unsigned int i, const struct ep *c, const struct ep *s, const char *sni,
		   uint16_t cipher, const char *file, int line)
{
	uint8_t ca[16] = {0}, sa[16] = {0};
	const struct got *g = &res.v[i];
	int ok;

	if (!check_true_(i < res.n, "result index < results", file, line))
		return 0;
	inet_pton(c->family, c->addr, ca);
	inet_pton(s->family, s->addr, sa);
	ok = check_eq_u64_(g->r.ch_status, HELLO_DONE, "ch_status", "HELLO_DONE", file, line);
	ok &= check_eq_u64_(g->r.sh_status, HELLO_DONE, "sh_status", "HELLO_DONE", file, line);
	ok &= check_eq_u64_(g->r.family, c->family, "family", "family", file, line);
	ok &= check_mem_eq_(g->r.caddr, 16, ca, 16, "caddr", "client", file, line);
	ok &= check_mem_eq_(g->r.saddr, 16, sa, 16, "saddr", "server", file, line);
	ok &= check_eq_u64_(g->r.cport, c->port, "cport", "client port", file, line);
	ok &= check_eq_u64_(g->r.sport, s->port, "sport", "server port", file, line);
	ok &= check_str_eq_(g->ch.sni, sni, "sni", "want sni", file, line);
	ok &= check_eq_u64_(g->sh.cipher, cipher, "cipher", "want cipher", file, line);
	return ok;
}

#define IS_FULL(i, c, s, sni, cipher) is_full((i), (c), (s), (sni), (cipher), __FILE__, __LINE__)

static uint8_t ch[20000], sh[2048];

/* ---- tests ---- */

TEST(counter_names)
{
	for (int c = 0; c < HSF__MAX; c++)
		CHECK(hsf_counter_name(c) != NULL);
	CHECK_STR_EQ(hsf_counter_name(HSF_ERR_NOT_TLS), "err_not_tls");
	CHECK_STR_EQ(hsf_counter_name(HSF_GIVEUP_BYTES), "giveup_bytes");
	CHECK(hsf_counter_name(HSF__MAX) == NULL);
}

TEST(hello_in_one_segment)
{
	struct hsflow *t = new_tracker(0, 0);
	size_t chn = client_hello(ch, "a.test", 0), shn = server_hello(sh, 0x1301);
	uint64_t ch_ts;

	handshake_syn(t, &cli, &srv);
	CHECK_EQ_U64(hsflow_active(t), 1);
	ch_ts = now_ts;
	feed(t, &cli, &srv, CISN + 1, TCPF_ACK, ch, chn);
	CHECK_EQ_U64(res.n, 0); /* waits for the ServerHello */
	feed(t, &srv, &cli, SISN + 1, TCPF_ACK, sh, shn);
	if (CHECK_EQ_U64(res.n, 1)) {
		IS_FULL(0, &cli, &srv, "a.test", 0x1301);
		CHECK_EQ_U64(res.v[0].r.reason, HSF_DONE);
		CHECK_EQ_U64(res.v[0].r.ts, ch_ts);
		CHECK_EQ_U64(res.v[0].ch.n_alpn, 2);
		CHECK(res.v[0].r.cmeta == NULL && res.v[0].r.smeta == NULL);
	}
	CHECK_EQ_U64(hsflow_active(t), 0);
	CHECK_EQ_U64(ctr(t, HSF_FLOWS), 1);
	CHECK_EQ_U64(ctr(t, HSF_RESULTS), 1);
	CHECK_EQ_U64(ctr(t, HSF_SEGMENTS), 4);
	hsflow_flush(t);
	CHECK_EQ_U64(res.n, 1);
	hsflow_free(t);
}

TEST(hello_in_many_segments)
{
	/* Pattern start: the first segment begins with the record, no SYN seen. */
	struct hsflow *t = new_tracker(0, 0);
	size_t chn = client_hello(ch, "many.example", 700), shn = server_hello(sh, 0x1302);

	for (size_t off = 0; off < chn; off += 7) {
		size_t n = chn - off < 7 ? chn - off : 7;

		CHECK_EQ_U64(res.n, 0);
		feed(t, &cli, &srv, CISN + 1 + off, TCPF_ACK, ch + off, n);
	}
	for (size_t off = 0; off < shn; off += 50)
		feed(t, &srv, &cli, SISN + 1 + off, TCPF_ACK, sh + off,
		     shn - off < 50 ? shn - off : 50);
	if (CHECK_EQ_U64(res.n, 1))
		IS_FULL(0, &cli, &srv, "many.example", 0x1302);
	CHECK_EQ_U64(ctr(t, HSF_RETRANSMIT), 0);
	CHECK_EQ_U64(ctr(t, HSF_OUT_OF_WINDOW), 0);
	hsflow_free(t);
}

TEST(hello_in_reverse_order)
{
	struct hsflow *t = new_tracker(0, 0);
	size_t chn = client_hello(ch, "rev.example", 300), shn = server_hello(sh, 0x1301);
	size_t seg = 40, nseg = (chn + seg - 1) / seg;

	handshake_syn(t, &cli, &srv);
	feed(t, &srv, &cli, SISN + 1 + 60, TCPF_ACK, sh + 60, shn - 60);
	for (size_t k = nseg; k-- > 0;) {
		size_t off = k * seg;

		CHECK_EQ_U64(res.n, 0);
		feed(t, &cli, &srv, CISN + 1 + off, TCPF_ACK, ch + off,
		     chn - off < seg ? chn - off : seg);
	}
	CHECK_EQ_U64(res.n, 0);
	feed(t, &srv, &cli, SISN + 1, TCPF_ACK, sh, 60);
	if (CHECK_EQ_U64(res.n, 1))
		IS_FULL(0, &cli, &srv, "rev.example", 0x1301);
	hsflow_free(t);
}

TEST(retransmitted_segments)
{
	struct hsflow *t = new_tracker(0, 0);
	size_t chn = client_hello(ch, "dup.example", 200), shn = server_hello(sh, 0x1301);

	handshake_syn(t, &cli, &srv);
	feed(t, &cli, &srv, CISN + 1, TCPF_ACK, ch, 100);
	feed(t, &cli, &srv, CISN + 1, TCPF_ACK, ch, 100);	   /* exact copy */
	feed(t, &cli, &srv, CISN + 1 + 20, TCPF_ACK, ch + 20, 50); /* inside */
	feed(t, &cli, &srv, CISN + 1 + 150, TCPF_ACK, ch + 150, 50);
	/* a resend that bridges the hole: half old, half new bytes */
	feed(t, &cli, &srv, CISN + 1 + 50, TCPF_ACK, ch + 50, 120);
	CHECK_EQ_U64(ctr(t, HSF_RETRANSMIT), 2);
	feed(t, &cli, &srv, CISN + 1 + 170, TCPF_ACK, ch + 170, chn - 170);
	feed(t, &cli, &srv, CISN + 1 + 170, TCPF_ACK, ch + 170, chn - 170);
	feed(t, &srv, &cli, SISN + 1, TCPF_ACK, sh, shn);
	if (CHECK_EQ_U64(res.n, 1))
		IS_FULL(0, &cli, &srv, "dup.example", 0x1301);
	/* the copy after the hello was whole still counts */
	CHECK_EQ_U64(ctr(t, HSF_RETRANSMIT), 3);
	CHECK_EQ_U64(ctr(t, HSF_OVERLAP_CONFLICT), 0);
	hsflow_free(t);
}

TEST(conflicting_retransmission_first_copy_wins)
{
	struct hsflow *t = new_tracker(0, 0);
	size_t chn = client_hello(ch, "first.example", 0), shn = server_hello(sh, 0x1301);
	uint8_t evil[512];
	size_t at = 0;

	/* find the SNI in the record and build a copy with it changed */
	while (memcmp(ch + at, "first.example", 13))
		at++;
	memcpy(evil, ch, chn);
	memcpy(evil + at, "FIRST", 5);
	handshake_syn(t, &cli, &srv);
	feed(t, &cli, &srv, CISN + 1 + at, TCPF_ACK, ch + at, 20);
	/* the altered copy overlaps all 20 held bytes and brings new ones on both sides */
	feed(t, &cli, &srv, CISN + 1 + at - 10, TCPF_ACK, evil + at - 10, 40);
	CHECK_EQ_U64(ctr(t, HSF_OVERLAP_CONFLICT), 1);
	CHECK_EQ_U64(ctr(t, HSF_RETRANSMIT), 0);
	/* all of it held already, some of it different */
	feed(t, &cli, &srv, CISN + 1 + at, TCPF_ACK, evil + at, 10);
	CHECK_EQ_U64(ctr(t, HSF_OVERLAP_CONFLICT), 2);
	CHECK_EQ_U64(ctr(t, HSF_RETRANSMIT), 1);
	feed(t, &cli, &srv, CISN + 1, TCPF_ACK, ch, chn);
	feed(t, &srv, &cli, SISN + 1, TCPF_ACK, sh, shn);
	if (CHECK_EQ_U64(res.n, 1))
		IS_FULL(0, &cli, &srv, "first.example", 0x1301);
	CHECK_EQ_U64(ctr(t, HSF_OVERLAP_CONFLICT), 2);
	hsflow_free(t);
}

TEST(start_from_has_start)
{
	/* The classifier's start: the segment holding the second half comes first. */
	struct hsflow *t = new_tracker(0, 0);
	size_t chn = client_hello(ch, "live.example", 100), shn = server_hello(sh, 0x1303);

	feed_full(t, &cli, &srv, 5000 + 80, TCPF_ACK, ch + 80, chn - 80, 1, 5000, NULL);
	CHECK_EQ_U64(hsflow_active(t), 1);
	feed(t, &cli, &srv, 5000, TCPF_ACK, ch, 80);
	feed_full(t, &srv, &cli, 9000, TCPF_ACK, sh, shn, 1, 9000, NULL);
	if (CHECK_EQ_U64(res.n, 1))
		IS_FULL(0, &cli, &srv, "live.example", 0x1303);
	hsflow_free(t);
}

TEST(start_from_syn_with_non_hello_first_segment)
{
	/* With a SYN, the first data segment need not look like a record on its own. */
	struct hsflow *t = new_tracker(0, 0);
	size_t chn = client_hello(ch, "syn.example", 0), shn = server_hello(sh, 0x1301);

	handshake_syn(t, &cli, &srv);
	feed(t, &cli, &srv, CISN + 1 + 3, TCPF_ACK, ch + 3, chn - 3);
	feed(t, &cli, &srv, CISN + 1, TCPF_ACK, ch, 3);
	feed(t, &srv, &cli, SISN + 1, TCPF_ACK, sh, shn);
	if (CHECK_EQ_U64(res.n, 1))
		IS_FULL(0, &cli, &srv, "syn.example", 0x1301);
	hsflow_free(t);
}

TEST(start_without_syn_needs_the_first_segment)
{
	/* No SYN, no has_start: a later segment of the hello starts nothing. */
	struct hsflow *t = new_tracker(0, 0);
	size_t chn = client_hello(ch, "pat.example", 0);

	feed(t, &cli, &srv, CISN + 1 + 50, TCPF_ACK, ch + 50, chn - 50);
	CHECK_EQ_U64(hsflow_active(t), 0);
	CHECK_EQ_U64(ctr(t, HSF_FLOWS), 0);
	feed(t, &cli, &srv, CISN + 1, TCPF_ACK, ch, 50);
	CHECK_EQ_U64(hsflow_active(t), 1);
	feed(t, &cli, &srv, CISN + 1 + 50, TCPF_ACK, ch + 50, chn - 50);
	hsflow_flush(t);
	if (CHECK_EQ_U64(res.n, 1)) {
		CHECK_EQ_U64(res.v[0].r.reason, HSF_FLUSH);
		CHECK_EQ_U64(res.v[0].r.ch_status, HELLO_DONE);
		CHECK_EQ_U64(res.v[0].r.sh_status, HELLO_MORE);
		CHECK(res.v[0].r.sh == NULL);
		CHECK_STR_EQ(res.v[0].ch.sni, "pat.example");
	}
	hsflow_free(t);
}

TEST(client_is_the_clienthello_sender)
{
	/*
	 * No SYN; the ServerHello arrives first, and the client's address sorts after the
	 * server's both in IPv4 and IPv6: the orientation comes from the hellos.
	 */
	const struct ep *pairs[2][2] = {{&cli, &srv}, {&cli6, &srv6}};
	size_t chn = client_hello(ch, "o.example", 0), shn = server_hello(sh, 0x1301);

	for (int k = 0; k < 2; k++) {
		struct hsflow *t = new_tracker(0, 0);
		const struct ep *c = pairs[k][0], *s = pairs[k][1];

		feed(t, s, c, 777, TCPF_ACK, sh, shn);
		CHECK_EQ_U64(res.n, 0);
		feed(t, c, s, 0xffffffe0u, TCPF_ACK, ch, chn);
		if (CHECK_EQ_U64(res.n, 1))
			IS_FULL(0, c, s, "o.example", 0x1301);
		hsflow_free(t);
	}
}

TEST(server_hello_alone_is_reported_at_flush)
{
	struct hsflow *t = new_tracker(0, 0);
	size_t shn = server_hello(sh, 0x1302);
	uint8_t sa[16] = {0};

	feed(t, &srv, &cli, 777, TCPF_ACK, sh, shn);
	hsflow_flush(t);
	if (CHECK_EQ_U64(res.n, 1)) {
		CHECK_EQ_U64(res.v[0].r.reason, HSF_FLUSH);
		CHECK_EQ_U64(res.v[0].r.ch_status, HELLO_MORE);
		CHECK_EQ_U64(res.v[0].r.sh_status, HELLO_DONE);
		CHECK_EQ_U64(res.v[0].sh.cipher, 0x1302);
		inet_pton(AF_INET, srv.addr, sa);
		CHECK_MEM_EQ(res.v[0].r.saddr, 16, sa, 16);
		CHECK_EQ_U64(res.v[0].r.sport, 443);
	}
	CHECK_EQ_U64(hsflow_active(t), 0);
	hsflow_free(t);
}

TEST(not_tls_is_counted_not_reported)
{
	struct hsflow *t = new_tracker(0, 0);
	static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 OK\r\n\r\n";

	handshake_syn(t, &cli, &srv);
	feed(t, &cli, &srv, CISN + 1, TCPF_ACK, (const uint8_t *)req, sizeof(req) - 1);
	CHECK_EQ_U64(ctr(t, HSF_ERR_NOT_TLS), 1);
	CHECK_EQ_U64(hsflow_active(t), 1); /* the server may still answer with a hello */
	feed(t, &srv, &cli, SISN + 1, TCPF_ACK, (const uint8_t *)resp, sizeof(resp) - 1);
	CHECK_EQ_U64(ctr(t, HSF_ERR_NOT_TLS), 2);
	CHECK_EQ_U64(hsflow_active(t), 0);
	/* the rest of the connection is absorbed by the tombstone */
	feed(t, &cli, &srv, CISN + 1 + sizeof(req) - 1, TCPF_ACK, (const uint8_t *)req, 10);
	hsflow_flush(t);
	CHECK_EQ_U64(res.n, 0);
	CHECK_EQ_U64(ctr(t, HSF_RESULTS), 0);
	CHECK_EQ_U64(ctr(t, HSF_FLOWS), 1);
	hsflow_free(t);
}

/* STARTTLS, SOCKS, HTTP CONNECT: plaintext first, then a ClientHello in the same stream. */
TEST(hello_after_plaintext_starts_afresh)
{
	struct hsflow *t = new_tracker(0, 0);
	static const char req[] = "CONNECT a.example:443 HTTP/1.1\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	size_t chn = client_hello(ch, "tunnel.example", 0), shn = server_hello(sh, 0x1301);
	uint32_t c = CISN + 1 + sizeof(req) - 1, s = SISN + 1 + sizeof(resp) - 1;

	handshake_syn(t, &cli, &srv);
	feed(t, &cli, &srv, CISN + 1, TCPF_ACK, (const uint8_t *)req, sizeof(req) - 1);
	feed(t, &srv, &cli, SISN + 1, TCPF_ACK, (const uint8_t *)resp, sizeof(resp) - 1);
	CHECK_EQ_U64(ctr(t, HSF_ERR_NOT_TLS), 2);
	feed(t, &cli, &srv, c, TCPF_ACK, ch, chn);
	feed(t, &srv, &cli, s, TCPF_ACK, sh, shn);
	if (CHECK_EQ_U64(res.n, 1))
		IS_FULL(0, &cli, &srv, "tunnel.example", 0x1301);
	/* plaintext that is not followed by a hello stays what it was: counted, not reported */
	feed(t, &cli, &srv, c + chn, TCPF_ACK, (const uint8_t *)req, sizeof(req) - 1);
	hsflow_flush(t);
	CHECK_EQ_U64(res.n, 1);
	hsflow_free(t);
}

TEST(unknown_flow_without_a_start_creates_nothing)
{
	struct hsflow *t = new_tracker(0, 0);
	static const uint8_t data[] = "\x17\x03\x03\x00\x10 application data";
	size_t chn = client_hello(ch, "x", 0);

	feed(t, &cli, &srv, 1, TCPF_ACK, data, sizeof(data) - 1);
	feed(t, &cli, &srv, 1, TCPF_ACK, NULL, 0);
	feed(t, &cli, &srv, 1, TCPF_ACK | TCPF_FIN, NULL, 0);
	feed(t, &cli, &srv, 1, TCPF_RST, NULL, 0);
	/* the live path's FIN of a direction it has no start for: has_start, no bytes */
	feed_full(t, &cli, &srv, 1, TCPF_ACK | TCPF_FIN, NULL, 0, 1, 1, NULL);
	feed(t, &cli, &srv, 1, TCPF_ACK, ch + 5, chn - 5);
	/* a handshake record that is not a hello (a TLS 1.2 ClientKeyExchange) */
	feed(t, &cli, &srv, 1, TCPF_ACK, (const uint8_t *)"\x16\x03\x03\x00\x25\x10\x00\x00", 8);
	CHECK_EQ_U64(hsflow_active(t), 0);
	CHECK_EQ_U64(ctr(t, HSF_FLOWS), 0);
	CHECK_EQ_U64(ctr(t, HSF_SEGMENTS), 7);
	hsflow_free(t);
}

/*
 * A ClientHello of 40000 bytes (an 18000-suite cipher list) cut into records of 16384: more
 * than a direction holds. Returns the stream length.
 */
static size_t huge_client_hello(uint8_t *out)
{
	static struct bytes m;
	size_t l, n = 0;

	m.n = 0;
	put8(&m, 1);
	l = open_len(&m, 3);
	put16(&m, 0x0303);
	put_random(&m, 1);
	put8(&m, 0);
	put16(&m, 36000);
	for (int i = 0; i < 18000; i++)
		put16(&m, 0x1301);
	put8(&m, 1);
	put8(&m, 0);
	put16(&m, 40000 - (m.n - 4) - 2);
	put16(&m, 21);
	put16(&m, 40000 - (m.n - 4) - 2);
	while (m.n - 4 < 40000)
		put8(&m, 0);
	close_len(&m, l, 3);
	for (size_t off = 0; off < m.n; off += 16384) {
		size_t k = m.n - off < 16384 ? m.n - off : 16384;

		memcpy(out + n, "\x16\x03\x01", 3);
		out[n + 3] = k >> 8;
		out[n + 4] = k;
		memcpy(out + n + 5, m.p + off, k);
		n += 5 + k;
	}
	return n;
}

TEST(giveup_by_bytes)
{
	struct hsflow *t = new_tracker(0, 0);
	static uint8_t big[50000];
	size_t shn = server_hello(sh, 0x1301), n = huge_client_hello(big);

	handshake_syn(t, &cli, &srv);
	for (size_t off = 0; off < n; off += 1448) {
		size_t len = n - off < 1448 ? n - off : 1448;

		feed(t, &cli, &srv, CISN + 1 + off, TCPF_ACK, big + off, len);
	}
	CHECK_EQ_U64(ctr(t, HSF_GIVEUP_BYTES), 1);
	/* the segment across the limit; later ones come after the give-up, uncounted */
	CHECK_EQ_U64(ctr(t, HSF_OUT_OF_WINDOW), 1);
	CHECK_EQ_U64(res.n, 0);
	feed(t, &srv, &cli, SISN + 1, TCPF_ACK, sh, shn);
	if (CHECK_EQ_U64(res.n, 1)) {
		CHECK_EQ_U64(res.v[0].r.reason, HSF_DONE);
		CHECK_EQ_U64(res.v[0].r.ch_status, HELLO_MORE);
		CHECK_EQ_U64(res.v[0].r.sh_status, HELLO_DONE);
	}
	hsflow_free(t);
}

TEST(out_of_window_keeps_the_in_window_part)
{
	struct hsflow *t = new_tracker(0, 0);
	size_t chn = client_hello(ch, "w.example", 0);
	uint8_t pre[600];

	/* a segment that starts 10 bytes before offset 0 (the SYN's sequence space) */
	memset(pre, 0xee, 10);
	memcpy(pre + 10, ch, chn);
	feed(t, &cli, &srv, CISN, TCPF_SYN, NULL, 0);
	/* entirely before the start */
	feed(t, &cli, &srv, CISN - 100, TCPF_ACK, pre, 50);
	CHECK_EQ_U64(ctr(t, HSF_OUT_OF_WINDOW), 1);
	feed(t, &cli, &srv, CISN + 1 - 10, TCPF_ACK, pre, chn + 10);
	CHECK_EQ_U64(ctr(t, HSF_OUT_OF_WINDOW), 2);
	hsflow_flush(t);
	if (CHECK_EQ_U64(res.n, 1)) {
		CHECK_EQ_U64(res.v[0].r.ch_status, HELLO_DONE);
		CHECK_STR_EQ(res.v[0].ch.sni, "w.example");
	}
	hsflow_free(t);
}

TEST(timeout_reports_and_drops)
{
	struct hsflow *t = new_tracker(0, 1000000);
	size_t chn = client_hello(ch, "slow.example", 0);
	uint64_t last;

	handshake_syn(t, &cli, &srv);
	last = now_ts;
	feed(t, &cli, &srv, CISN + 1, TCPF_ACK, ch, chn);
	hsflow_expire(t, last + 1000000);
	CHECK_EQ_U64(res.n, 0);
	CHECK_EQ_U64(hsflow_active(t), 1);
	hsflow_expire(t, last + 1000001);
	if (CHECK_EQ_U64(res.n, 1)) {
		CHECK_EQ_U64(res.v[0].r.reason, HSF_TIMEOUT);
		CHECK_EQ_U64(res.v[0].r.ch_status, HELLO_DONE);
		CHECK_EQ_U64(res.v[0].r.sh_status, HELLO_MORE);
	}
	CHECK_EQ_U64(ctr(t, HSF_GIVEUP_TIME), 1);
	CHECK_EQ_U64(hsflow_active(t), 0);
	/* a flow with nothing to show times out silently (but counted) */
	handshake_syn(t, &cli6, &srv6);
	hsflow_expire(t, now_ts + 2000000);
	CHECK_EQ_U64(res.n, 1);
	CHECK_EQ_U64(ctr(t, HSF_GIVEUP_TIME), 2);
	hsflow_free(t);
}

TEST(eviction_at_max_flows)
{
	struct hsflow *t = new_tracker(2, 0);
	struct ep c[3] = {{AF_INET, "10.1.0.1", 1001},
			  {AF_INET, "10.1.0.2", 1002},
			  {AF_INET, "10.1.0.3", 1003}};
	size_t chn = client_hello(ch, "ev.example", 0);

	for (int i = 0; i < 3; i++)
		feed(t, &c[i], &srv, 100, TCPF_ACK, ch, chn);
	CHECK_EQ_U64(ctr(t, HSF_EVICTED), 1);
	CHECK_EQ_U64(hsflow_active(t), 2);
	if (CHECK_EQ_U64(res.n, 1)) {
		CHECK_EQ_U64(res.v[0].r.reason, HSF_EVICT);
		CHECK_EQ_U64(res.v[0].r.cport, 1001); /* the least recently active */
	}
	/* c[1] becomes the most recent: c[2] goes next */
	feed(t, &c[1], &srv, 100 + chn, TCPF_ACK, NULL, 0);
	feed(t, &c[0], &srv, 100, TCPF_ACK, ch, chn);
	if (CHECK_EQ_U64(res.n, 2))
		CHECK_EQ_U64(res.v[1].r.cport, 1003);
	CHECK_EQ_U64(ctr(t, HSF_EVICTED), 2);
	hsflow_flush(t);
	CHECK_EQ_U64(res.n, 4);
	hsflow_free(t);
}

TEST(tombstones_go_before_active_flows)
{
	struct hsflow *t = new_tracker(2, 0);
	size_t chn = client_hello(ch, "tomb.example", 0), shn = server_hello(sh, 0x1301);
	struct ep c2 = {AF_INET, "10.1.0.2", 1002}, c3 = {AF_INET, "10.1.0.3", 1003};

	feed(t, &cli, &srv, 100, TCPF_ACK, ch, chn);
	feed(t, &srv, &cli, 200, TCPF_ACK, sh, shn); /* reported: a tombstone now */
	feed(t, &c2, &srv, 100, TCPF_ACK, ch, chn);
	feed(t, &c3, &srv, 100, TCPF_ACK, ch, chn);
	CHECK_EQ_U64(ctr(t, HSF_EVICTED), 0);
	CHECK_EQ_U64(hsflow_active(t), 2);
	CHECK_EQ_U64(res.n, 1);
	hsflow_free(t);
}

TEST(tombstone_absorbs_retransmissions_until_a_new_syn)
{
	struct hsflow *t = new_tracker(0, 0);
	size_t chn = client_hello(ch, "one.example", 0), shn = server_hello(sh, 0x1301);

	handshake_syn(t, &cli, &srv);
	feed(t, &cli, &srv, CISN + 1, TCPF_ACK, ch, chn);
	feed(t, &srv, &cli, SISN + 1, TCPF_ACK, sh, shn);
	CHECK_EQ_U64(res.n, 1);
	CHECK_EQ_U64(hsflow_active(t), 0);
	/* the same ClientHello again, the SYN again, the rest of the connection */
	feed(t, &cli, &srv, CISN + 1, TCPF_ACK, ch, chn);
	feed(t, &cli, &srv, CISN, TCPF_SYN, NULL, 0);
	feed(t, &cli, &srv, CISN + 1 + chn, TCPF_ACK, (const uint8_t *)"\x17\x03\x03\x00\x01z", 6);
	/* a later handshake record that happens to look like a ClientHello, near the old one */
	feed(t, &cli, &srv, CISN + 1 + chn + 6, TCPF_ACK, ch, chn);
	feed(t, &cli, &srv, CISN + 1 + chn, TCPF_ACK | TCPF_FIN, NULL, 0);
	CHECK_EQ_U64(res.n, 1);
	CHECK_EQ_U64(hsflow_active(t), 0);
	CHECK_EQ_U64(ctr(t, HSF_FLOWS), 1);
	CHECK_EQ_U64(ctr(t, HSF_RETRANSMIT), 1);
	/* the tuple reused: a new ISN */
	chn = client_hello(ch, "two.example", 0);
	feed(t, &cli, &srv, CISN + 5000000, TCPF_SYN, NULL, 0);
	CHECK_EQ_U64(hsflow_active(t), 1);
	feed(t, &cli, &srv, CISN + 5000001, TCPF_ACK, ch, chn);
	feed(t, &srv, &cli, 42, TCPF_ACK, sh, shn);
	if (CHECK_EQ_U64(res.n, 2))
		IS_FULL(1, &cli, &srv, "two.example", 0x1301);
	CHECK_EQ_U64(ctr(t, HSF_FLOWS), 2);
	hsflow_free(t);
}

TEST(live_segments_all_carry_the_start)
{
	/*
	 * As the classifier hands them over: every segment flagged with its direction's start,
	 * the server silent, then the client's FIN (no bytes) and the server's RST, whose start
	 * the classifier never saw (start_seq = its own seq).
	 */
	struct hsflow *t = new_tracker(0, 0);
	size_t chn = client_hello(ch, "live.example", 1500);
	struct seg_meta m = {.pid = 9, .ifindex = 2, .egress = 1};

	feed_full(t, &cli, &srv, 7000, TCPF_ACK, ch, 1448, 1, 7000, &m);
	feed_full(t, &cli, &srv, 7000 + 1448, TCPF_ACK, ch + 1448, chn - 1448, 1, 7000, &m);
	CHECK_EQ_U64(res.n, 0);
	feed_full(t, &cli, &srv, 7000 + chn, TCPF_ACK | TCPF_FIN, NULL, 0, 1, 7000, &m);
	if (CHECK_EQ_U64(res.n, 1)) {
		CHECK_EQ_U64(res.v[0].r.reason, HSF_CLOSED);
		CHECK_STR_EQ(res.v[0].ch.sni, "live.example");
		CHECK_EQ_U64(res.v[0].cmeta.pid, 9);
		CHECK(res.v[0].r.smeta == NULL);
	}
	feed_full(t, &srv, &cli, 123456, TCPF_RST, NULL, 0, 1, 123456, NULL);
	CHECK_EQ_U64(res.n, 1);
	CHECK_EQ_U64(ctr(t, HSF_FLOWS), 1);
	hsflow_free(t);
}

TEST(tombstone_restarts_on_a_far_hello)
{
	/* Without SYNs (a capture that missed them), a ClientHello far from the old start. */
	struct hsflow *t = new_tracker(0, 0);
	size_t chn = client_hello(ch, "again.example", 0), shn = server_hello(sh, 0x1301);

	feed(t, &cli, &srv, 100, TCPF_ACK, ch, chn);
	feed(t, &srv, &cli, 100, TCPF_ACK, sh, shn);
	feed(t, &cli, &srv, 100 + 0x40000000u, TCPF_ACK, ch, chn);
	CHECK_EQ_U64(hsflow_active(t), 1);
	feed(t, &srv, &cli, 0x80000000u, TCPF_ACK, sh, shn);
	CHECK_EQ_U64(res.n, 2);
	CHECK_EQ_U64(ctr(t, HSF_FLOWS), 2);
	hsflow_free(t);
}

TEST(close_with_a_partial_handshake)
{
	struct hsflow *t = new_tracker(0, 0);
	size_t chn = client_hello(ch, "fin.example", 0);

	handshake_syn(t, &cli, &srv);
	feed(t, &cli, &srv, CISN + 1, TCPF_ACK, ch, chn);
	feed(t, &srv, &cli, SISN + 1, TCPF_ACK | TCPF_RST, NULL, 0);
	if (CHECK_EQ_U64(res.n, 1)) {
		CHECK_EQ_U64(res.v[0].r.reason, HSF_CLOSED);
		CHECK_EQ_U64(res.v[0].r.ch_status, HELLO_DONE);
		CHECK_EQ_U64(res.v[0].r.sh_status, HELLO_MORE);
	}
	CHECK_EQ_U64(hsflow_active(t), 0);
	/* half a ClientHello, then FIN: nothing to show */
	handshake_syn(t, &cli6, &srv6);
	feed(t, &cli6, &srv6, CISN + 1, TCPF_ACK | TCPF_FIN, ch, chn / 2);
	CHECK_EQ_U64(res.n, 1);
	CHECK_EQ_U64(hsflow_active(t), 0);
	hsflow_free(t);
}

TEST(server_error_after_client_hello_reports_at_once)
{
	struct hsflow *t = new_tracker(0, 0);
	size_t chn = client_hello(ch, "alert.example", 0);

	handshake_syn(t, &cli, &srv);
	feed(t, &cli, &srv, CISN + 1, TCPF_ACK, ch, chn);
	/* a fatal alert instead of a ServerHello */
	feed(t, &srv, &cli, SISN + 1, TCPF_ACK, (const uint8_t *)"\x15\x03\x03\x00\x02\x02\x28", 7);
	if (CHECK_EQ_U64(res.n, 1)) {
		CHECK_EQ_U64(res.v[0].r.reason, HSF_DONE);
		CHECK_EQ_U64(res.v[0].r.ch_status, HELLO_DONE);
		CHECK(res.v[0].r.sh_status < 0);
	}
	CHECK_EQ_U64(ctr(t, HSF_ERR_NOT_TLS) + ctr(t, HSF_ERR_RECORD), 1);
	hsflow_free(t);
}

TEST(seg_meta_prefers_a_pid)
{
	struct hsflow *t = new_tracker(0, 0);
	size_t chn = client_hello(ch, "m.example", 0), shn = server_hello(sh, 0x1301);
	struct seg_meta m0 = {.ifindex = 3}, m1 = {.pid = 42, .tid = 43, .comm = "curl"},
			m2 = {.pid = 77, .comm = "other"}, ms = {.ifindex = 4, .egress = 1};

	feed_full(t, &cli, &srv, CISN, TCPF_SYN, NULL, 0, 0, 0, &m0);
	feed_full(t, &cli, &srv, CISN + 1, TCPF_ACK, ch, 10, 0, 0, &m1);
	feed_full(t, &cli, &srv, CISN + 11, TCPF_ACK, ch + 10, chn - 10, 0, 0, &m2);
	feed_full(t, &srv, &cli, SISN + 1, TCPF_ACK, sh, shn, 0, 0, &ms);
	if (CHECK_EQ_U64(res.n, 1)) {
		CHECK(res.v[0].r.cmeta && res.v[0].r.smeta);
		CHECK_EQ_U64(res.v[0].cmeta.pid, 42);
		CHECK_STR_EQ(res.v[0].cmeta.comm, "curl");
		CHECK_EQ_U64(res.v[0].smeta.pid, 0);
		CHECK_EQ_U64(res.v[0].smeta.ifindex, 4);
	}
	hsflow_free(t);
}

TEST(scopes_do_not_share_flows)
{
	struct hsflow *t = new_tracker(0, 0);
	size_t chn = client_hello(ch, "s.example", 0);
	struct tcp_segment s = {.family = AF_INET, .flags = TCPF_ACK, .sport = 1, .dport = 2};

	s.payload = ch;
	s.len = chn;
	for (s.scope = 1; s.scope <= 3; s.scope++)
		hsflow_feed(t, &s);
	CHECK_EQ_U64(hsflow_active(t), 3);
	hsflow_flush(t);
	if (CHECK_EQ_U64(res.n, 3))
		CHECK_EQ_U64(res.v[2].r.scope, 3);
	hsflow_free(t);
}

TEST(free_null)
{
	hsflow_free(NULL);
}

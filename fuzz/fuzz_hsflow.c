// SPDX-License-Identifier: MIT
/*
 * Segment-split invariance of the handshake tracker: the same two byte streams (client and
 * server), fed (a) as one segment per direction and (b) cut at fuzzer-chosen points, shuffled
 * and with overlapping copies, must give the same result after hsflow_flush: same statuses,
 * same orientation and, for a parsed hello, the same struct byte for byte.
 *
 * Input: a 16-byte header [mode, ncuts_c, ncuts_s, ndups, order (8 bytes), isn (4 bytes)],
 * a 2-byte client stream length, the cuts (2 bytes each), the copies (4 bytes each: offset and
 * length), then the client stream and the server stream (the rest).
 *
 * mode bits 0-1 pick how each stream's start is found: SYNs (delivered first), the live
 * classifier's has_start on every segment, or the tracker's own pattern (the segment at offset
 * 0 goes before the others of its direction, as the tracker needs); bit 2 IPv6; bit 3 the
 * client's address sorts first; bit 4 a RST ends the connection.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "wire/hsflow.h"

#define MAX_CUTS  16
#define MAX_DUPS  4
#define HDR_LEN	  18
#define CLIENT_TS 1000
#define SERVER_TS 2000

enum { M_SYN, M_HAS_START, M_PATTERN };

struct item {
	uint8_t dir; /* 0 client, 1 server */
	uint32_t off, len;
};

struct outcome {
	unsigned int n;
	struct hsf_result r;
	struct tls_client_hello ch;
	struct tls_server_hello sh;
};

static struct outcome out[2];
static unsigned int run; /* which outcome the callback fills */

static void on_result(void *ctx, const struct hsf_result *r)
{
	struct outcome *o = &out[run];

	if ((r->ch != NULL) != (r->ch_status == HELLO_DONE) ||
	    (r->sh != NULL) != (r->sh_status == HELLO_DONE) ||
	    (r->ch_status != HELLO_DONE && r->sh_status != HELLO_DONE))
		__builtin_trap();
	if (o->n++)
		__builtin_trap(); /* one connection, one result */
	o->r = *r;
	if (r->ch)
		o->ch = *r->ch;
	if (r->sh)
		o->sh = *r->sh;
}

struct conn {
	int mode[2]; /* per direction: how its start is found */
	int rst;
	struct tcp_segment tmpl; /* addresses, client -> server */
	uint32_t isn[2];
	const uint8_t *stream[2];
	uint32_t len[2];
};

static void feed(struct hsflow *t, const struct conn *c, int dir, uint8_t flags, uint32_t off,
		 uint32_t len)
{
	struct tcp_segment s = c->tmpl;
	uint8_t *copy = NULL;

	if (dir) {
		memcpy(s.saddr, c->tmpl.daddr, 16);
		memcpy(s.daddr, c->tmpl.saddr, 16);
		s.sport = c->tmpl.dport;
		s.dport = c->tmpl.sport;
	}
	s.ts = dir ? SERVER_TS : CLIENT_TS;
	s.flags = flags;
	s.seq = flags & TCPF_SYN ? c->isn[dir] : c->isn[dir] + 1 + off;
	if (len) {
		/* an exact copy: an over-read past the segment is caught */
		copy = malloc(len);
		if (!copy)
			__builtin_trap();
		memcpy(copy, c->stream[dir] + off, len);
	}
	s.payload = copy;
	s.len = len;
	if (c->mode[dir] == M_HAS_START && !(flags & TCPF_SYN)) {
		s.has_start = 1;
		s.start_seq = c->isn[dir] + 1;
	}
	hsflow_feed(t, &s);
	free(copy);
}

static void start(struct hsflow *t, const struct conn *c)
{
	if (c->mode[0] == M_SYN) {
		feed(t, c, 0, TCPF_SYN, 0, 0);
		feed(t, c, 1, TCPF_SYN | TCPF_ACK, 0, 0);
	}
}

static void finish(struct hsflow *t, const struct conn *c)
{
	const uint64_t *ctr = hsflow_counters(t);

	if (c->rst)
		feed(t, c, 1, TCPF_RST, c->len[1], 0);
	hsflow_flush(t);
	if (hsflow_active(t) || ctr[HSF_RESULTS] != out[run].n)
		__builtin_trap();
	hsflow_free(t);
}

static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ z >> 27) * 0x94d049bb133111ebull;
	return z ^ z >> 31;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Cuts stream dir at n points read from *in; appends its segments to items. */
static unsigned int cut(const struct conn *c, int dir, unsigned int n, const uint8_t **in,
			struct item *items)
{
	uint32_t len = c->len[dir], pts[MAX_CUTS + 2], k = 0, m = 0;
	/* the pattern start needs its whole first hello header in the first segment */
	uint32_t min = c->mode[dir] == M_PATTERN ? 6 : 1;

	pts[k++] = 0;
	for (unsigned int i = 0; i < n; i++, *in += 2)
		if (len)
			pts[k++] = ((*in)[0] | (*in)[1] << 8) % len;
	pts[k++] = len;
	qsort(pts, k, sizeof(pts[0]), cmp_u32);
	for (uint32_t i = 0; i + 1 < k; i++) {
		if (pts[i + 1] == pts[i] || (pts[i] && pts[i] < min))
			continue; /* no empty segments */
		items[m++] = (struct item){dir, pts[i], 0};
	}
	/* each segment runs to the start of the next */
	for (uint32_t i = 0; i < m; i++)
		items[i].len = (i + 1 < m ? items[i + 1].off : len) - items[i].off;
	return m;
}

/* Whether the tracker will take the stream's first segment as a hello start. */
static int pattern_start(const uint8_t *p, uint32_t len)
{
	return len >= 6 && tls_looks_like_handshake(p, len) && (p[5] == 1 || p[5] == 2);
}

/* Whether some segment after a direction's non-TLS start begins with a ClientHello. */
static int may_restart(const struct conn *c, const struct item *items, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct item *it = &items[i];
		const uint8_t *s = c->stream[it->dir];

		if (it->off && !tls_looks_like_handshake(s, c->len[it->dir]) &&
		    pattern_start(s + it->off, it->len) && s[it->off + 5] == 1)
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct item items[2 * (MAX_CUTS + 1) + MAX_DUPS];
	unsigned int nc, ns, nd, n = 0, mode;
	const uint8_t *p = data + HDR_LEN;
	uint64_t order;
	struct conn c;
	size_t rest;
	struct hsflow *t;

	if (size < HDR_LEN)
		return 0;
	mode = data[0];
	nc = data[1] % (MAX_CUTS + 1);
	ns = data[2] % (MAX_CUTS + 1);
	nd = data[3] % (MAX_DUPS + 1);
	memcpy(&order, data + 4, 8);
	rest = size - HDR_LEN;
	if (rest < 2 * (nc + ns) + 4 * nd)
		return 0;
	rest -= 2 * (nc + ns) + 4 * nd;

	memset(&c, 0, sizeof(c));
	memcpy(&c.isn[0], data + 12, 4);
	c.isn[1] = c.isn[0] ^ 0x9e3779b9u;
	c.len[0] = data[16] | data[17] << 8;
	if (c.len[0] > rest)
		c.len[0] = rest;
	c.len[1] = rest - c.len[0];
	c.stream[0] = p + 2 * (nc + ns) + 4 * nd;
	c.stream[1] = c.stream[0] + c.len[0];
	c.rst = !!(mode & 16);
	c.tmpl.family = mode & 4 ? AF_INET6 : AF_INET;
	c.tmpl.saddr[0] = mode & 8 ? 10 : 192;
	c.tmpl.daddr[0] = mode & 8 ? 192 : 10;
	c.tmpl.saddr[3] = c.tmpl.daddr[3] = 1;
	c.tmpl.sport = 40000;
	c.tmpl.dport = 443;
	for (int d = 0; d < 2; d++) {
		c.mode[d] = (mode & 3) == M_PATTERN ? M_PATTERN : (mode & 3) == M_HAS_START;
		/* a stream the tracker would not start on its own gets the classifier's help */
		if (c.mode[d] == M_PATTERN && !pattern_start(c.stream[d], c.len[d]))
			c.mode[d] = M_HAS_START;
	}

	/* (a) one segment per direction */
	memset(out, 0, sizeof(out));
	run = 0;
	t = hsflow_new(NULL, on_result, NULL);
	if (!t)
		return 0;
	start(t, &c);
	for (int d = 0; d < 2; d++)
		if (c.len[d])
			feed(t, &c, d, TCPF_ACK, 0, c.len[d]);
	finish(t, &c);

	/* (b) cut, copied, shuffled */
	n += cut(&c, 0, nc, &p, items + n);
	n += cut(&c, 1, ns, &p, items + n);
	for (unsigned int i = 0; i < nd; i++, p += 4) {
		int d = p[0] & 1;
		uint32_t off, len;

		if (!c.len[d])
			continue;
		off = (p[0] >> 1 | p[1] << 7) % c.len[d];
		len = 1 + (p[2] | p[3] << 8) % (c.len[d] - off);
		items[n++] = (struct item){d, off, len};
	}
	for (unsigned int i = n; i > 1; i--) {
		unsigned int j = next_rand(&order) % i;
		struct item tmp = items[i - 1];

		items[i - 1] = items[j];
		items[j] = tmp;
	}
	for (int d = 0; d < 2; d++) {
		unsigned int first = n, zero = n;

		if (c.mode[d] != M_PATTERN)
			continue;
		/*
		 * A segment that can start the stream (offset 0, the hello header whole) goes
		 * before the others of its direction: without a SYN, the tracker cannot place
		 * bytes that come before their stream's start.
		 */
		for (unsigned int i = 0; i < n; i++) {
			if (items[i].dir != d)
				continue;
			if (first == n)
				first = i;
			if (!items[i].off && items[i].len >= 6 && zero == n)
				zero = i;
		}
		if (zero < n) {
			struct item tmp = items[first];

			items[first] = items[zero];
			items[zero] = tmp;
		}
	}
	run = 1;
	t = hsflow_new(NULL, on_result, NULL);
	if (!t)
		return 0;
	start(t, &c);
	for (unsigned int i = 0; i < n; i++)
		feed(t, &c, items[i].dir, TCPF_ACK, items[i].off, items[i].len);
	finish(t, &c);

	/*
	 * By design a stream that did not begin with TLS restarts at a segment that begins with
	 * a ClientHello (STARTTLS): where the cuts put segment starts then matters, so only the
	 * absence of crashes and leaks is checked.
	 */
	if (may_restart(&c, items, n))
		return 0;
	if (out[0].n != out[1].n)
		__builtin_trap();
	if (out[0].n) {
		const struct hsf_result *a = &out[0].r, *b = &out[1].r;

		if (a->ch_status != b->ch_status || a->sh_status != b->sh_status ||
		    a->family != b->family || a->cport != b->cport || a->sport != b->sport ||
		    memcmp(a->caddr, b->caddr, 16) || memcmp(a->saddr, b->saddr, 16) ||
		    a->ts != b->ts || a->scope != b->scope)
			__builtin_trap();
		if (a->ch && memcmp(&out[0].ch, &out[1].ch, sizeof(out[0].ch)))
			__builtin_trap();
		if (a->sh && memcmp(&out[0].sh, &out[1].sh, sizeof(out[0].sh)))
			__builtin_trap();
	}
	return 0;
}

// SPDX-License-Identifier: MIT
#include "handshake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/buf.h"
#include "wire/ja.h"

#define NBUCKETS    16384
#define MAX_PENDING 256

/* What a handshake record is made of, besides the connection's facts. */
struct pending {
	const struct tls_client_hello *ch; /* NULL when not parsed */
	const struct tls_server_hello *sh;
	uint64_t ts, deadline;
	uint32_t pid, netns;
	uint64_t cgroup_id;
	char comm[16];
	struct conn_tuple conn;
	char iface[16];
	const char *incomplete;
};

/* A record that waits for the ALPN keeps copies of the hellos it points to. */
struct waiting {
	struct pending p;
	struct tls_client_hello ch;
	struct tls_server_hello sh;
};

struct hs_conn {
	struct hs_conn *hnext;	     /* bucket chain */
	struct hs_conn *prev, *next; /* LRU: head is the most recent */
	uint32_t hash;
	uint8_t family;
	uint8_t caddr[16], saddr[16];
	uint16_t cport, sport;
	uint32_t ifindex;
	uint32_t c_netns, s_netns; /* each end's socket namespace, when its segments showed it */
	uint32_t dev_netns, peer_netns;
	unsigned int offered; /* OFFERED_* */
	struct tls_facts facts;
	struct pending *pending;
};

struct hsjoin {
	struct hs_conn *buckets[NBUCKETS];
	struct hs_conn lru; /* sentinel */
	uint32_t n, max;
	uint64_t alpn_wait;
	unsigned int npending;
	hs_emit_fn emit;
	void *ctx;
	struct hsjoin_stats st;
	struct buf scratch[3]; /* fingerprint() strings */
	uint64_t fp_gen;       /* fingerprint() calls: tells whether scratch is still ours */
};

/* IPv4-mapped IPv6 (a dual-stack socket's IPv4 peer) compares as IPv4. */
static void norm_addr(uint8_t family, const uint8_t in[16], uint8_t *ofamily, uint8_t out[16])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	memset(out, 0, 16);
	if (family == AF_INET6 && !memcmp(in, mapped, 12)) {
		*ofamily = AF_INET;
		memcpy(out, in + 12, 4);
	} else {
		*ofamily = family;
		memcpy(out, in, family == AF_INET ? 4 : 16);
	}
}

static uint32_t mix(uint32_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Order-independent: both ends of a connection hash alike. */
static uint32_t conn_hash(const uint8_t a[16], uint16_t ap, const uint8_t b[16], uint16_t bp)
{
	uint32_t ha = mix(mix(2166136261u, a, 16), (const uint8_t *)&ap, 2);
	uint32_t hb = mix(mix(2166136261u, b, 16), (const uint8_t *)&bp, 2);

	return ha ^ hb;
}

static void lru_unlink(struct hs_conn *c)
{
	c->prev->next = c->next;
	c->next->prev = c->prev;
}

static void lru_push(struct hsjoin *j, struct hs_conn *c)
{
	c->next = j->lru.next;
	c->prev = &j->lru;
	j->lru.next->prev = c;
	j->lru.next = c;
}

/*
 * The fingerprints of a pair of hellos, computed once: the JA3, JA3S and JA4_r strings
 * (NUL-terminated) in j->scratch[0..2] and the JA4 in ja4out; empty for a missing hello.
 */
static void fingerprint(struct hsjoin *j, const struct tls_client_hello *ch,
			const struct tls_server_hello *sh, char *ja4out)
{
	j->fp_gen++;
	for (int i = 0; i < 3; i++)
		buf_reset(&j->scratch[i]);
	ja4out[0] = 0;
	if (ch) {
		ja3_string(&j->scratch[0], ch);
		ja4(ch, 't', ja4out, &j->scratch[2]);
	}
	if (sh)
		ja3s_string(&j->scratch[1], sh);
	for (int i = 0; i < 3; i++)
		buf_putc(&j->scratch[i], 0);
}

static const char *scratch_str(const struct buf *b)
{
	return b->oom ? "" : b->p;
}

/* fresh: j->scratch still holds this record's fingerprint() strings. */
static void emit_record(struct hsjoin *j, const struct hs_conn *c, const struct pending *p,
			int fresh)
{
	struct handshake_record r = {
		.ts = p->ts,
		.pid = p->pid,
		.comm = p->comm[0] ? p->comm : NULL,
		.netns = p->netns,
		.cgroup_id = p->cgroup_id,
		.conn = &p->conn,
		.iface = p->iface[0] ? p->iface : NULL,
		.ch = p->ch,
		.sh = p->sh,
		.tls = &c->facts,
		.incomplete = p->incomplete,
	};
	char ja4buf[JA4_LEN + 1];

	if (!fresh)
		fingerprint(j, p->ch, p->sh, ja4buf);
	if (r.ch) {
		r.ja3_full = scratch_str(&j->scratch[0]);
		r.ja4_r = scratch_str(&j->scratch[2]);
	}
	if (r.sh)
		r.ja3s_full = scratch_str(&j->scratch[1]);
	j->st.handshakes++;
	j->emit(j->ctx, &r);
}

static void emit_pending(struct hsjoin *j, struct hs_conn *c)
{
	emit_record(j, c, c->pending, 0);
	free(c->pending); /* the first member of its struct waiting */
	c->pending = NULL;
	j->npending--;
}

static void drop(struct hsjoin *j, struct hs_conn *c)
{
	struct hs_conn **pp = &j->buckets[c->hash & (NBUCKETS - 1)];

	if (c->pending)
		emit_pending(j, c);
	while (*pp != c)
		pp = &(*pp)->hnext;
	*pp = c->hnext;
	lru_unlink(c);
	free(c);
	j->n--;
}

struct hsjoin *hsjoin_new(uint32_t max_conns, uint64_t alpn_wait_ns, hs_emit_fn emit, void *ctx)
{
	struct hsjoin *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->lru.next = j->lru.prev = &j->lru;
	j->max = max_conns ? max_conns : 1;
	j->alpn_wait = alpn_wait_ns;
	j->emit = emit;
	j->ctx = ctx;
	return j;
}

void hsjoin_free(struct hsjoin *j)
{
	if (!j)
		return;
	hsjoin_flush(j);
	while (j->lru.next != &j->lru)
		drop(j, j->lru.next);
	for (int i = 0; i < 3; i++)
		buf_free(&j->scratch[i]);
	free(j);
}

/* The negotiated facts, from the hellos and the fingerprint() strings just computed. */
static void fill_facts(struct hsjoin *j, struct tls_facts *f, const struct tls_client_hello *ch,
		       const struct tls_server_hello *sh, const char *ja4s)
{
	memset(f, 0, sizeof(*f));
	if (ch) {
		f->has_sni = ch->has_sni;
		memcpy(f->sni, ch->sni, sizeof(f->sni));
		if (!j->scratch[0].oom)
			ja_md5_hex(j->scratch[0].p, j->scratch[0].len - 1, f->ja3);
		memcpy(f->ja4, ja4s, JA4_LEN + 1);
	}
	if (sh) {
		f->have_server = 1;
		f->version = sh->version;
		f->cipher = sh->cipher;
		f->group = sh->key_share;
		if (sh->has_alpn) {
			f->has_alpn = 1;
			f->alpn_source = ALPN_WIRE;
			memcpy(f->alpn, sh->alpn.name, sizeof(f->alpn));
		}
		if (!j->scratch[1].oom)
			ja_md5_hex(j->scratch[1].p, j->scratch[1].len - 1, f->ja3s);
	}
}

unsigned int alpn_offered_mask(const struct tls_client_hello *ch)
{
	unsigned int m = 0;

	for (unsigned int i = 0; ch && i < ch->n_alpn && i < HELLO_MAX_ALPN; i++) {
		const struct tls_alpn *a = &ch->alpn[i];

		if (a->len == 2 && !memcmp(a->name, "h2", 2))
			m |= OFFERED_H2;
		else if (a->len == 8 && !memcmp(a->name, "http/1.1", 8))
			m |= OFFERED_HTTP11;
		else if (a->len == 8 && !memcmp(a->name, "http/1.0", 8))
			m |= OFFERED_HTTP10;
	}
	return m;
}

static int starts(const uint8_t *d, uint32_t len, const char *s)
{
	size_t n = strlen(s);

	return len >= n && !memcmp(d, s, n);
}

/* "TOKEN SP target SP HTTP/1.x" within the first line. Returns the minor version or -1. */
static int http1_request(const uint8_t *d, uint32_t len)
{
	uint32_t i = 0, sp = 0;

	while (i < len && i < 16 && d[i] >= 'A' && d[i] <= 'Z')
		i++;
	if (!i || i >= len || d[i] != ' ')
		return -1;
	for (; i < len && i < 8192 && d[i] != '\r' && d[i] != '\n'; i++)
		if (d[i] == ' ')
			sp = i;
	if (sp + 9 > i || memcmp(d + sp + 1, "HTTP/1.", 7) ||
	    (d[sp + 8] != '0' && d[sp + 8] != '1'))
		return -1;
	return d[sp + 8] - '0';
}

const char *alpn_from_plaintext(unsigned int offered, const uint8_t *d, uint32_t len,
				int from_client)
{
	int minor = -1;

	if (from_client) {
		if (starts(d, len, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"))
			return offered & OFFERED_H2 ? "h2" : NULL;
		minor = http1_request(d, len);
	} else {
		/* a server's first HTTP/2 frame is SETTINGS on stream 0 */
		if (len >= 9 && d[3] == 0x04 && !(d[5] | d[6] | d[7] | d[8]) && d[4] <= 1 &&
		    (offered & OFFERED_H2))
			return "h2";
		if (starts(d, len, "HTTP/1.1 "))
			minor = 1;
		else if (starts(d, len, "HTTP/1.0 "))
			minor = 0;
	}
	if (minor == 1 && (offered & OFFERED_HTTP11))
		return "http/1.1";
	if (minor == 0 && (offered & OFFERED_HTTP10))
		return "http/1.0";
	return NULL;
}

/* Picks the end whose record tells the most: a known process, then a known socket. */
static const struct seg_meta *pick_end(const struct hsf_result *r, int *client)
{
	if (r->cmeta && r->cmeta->pid)
		return *client = 1, r->cmeta;
	if (r->smeta && r->smeta->pid)
		return *client = 0, r->smeta;
	if (r->cmeta && r->cmeta->sk_netns)
		return *client = 1, r->cmeta;
	if (r->smeta && r->smeta->sk_netns)
		return *client = 0, r->smeta;
	*client = 1;
	return r->cmeta ? r->cmeta : r->smeta;
}

static const char *reason_name(const struct hsf_result *r)
{
	if (r->ch_status == HELLO_DONE && r->sh_status == HELLO_DONE)
		return NULL;
	if (r->ch_status < 0 || r->sh_status < 0)
		return hello_status_name(r->ch_status < 0 ? r->ch_status : r->sh_status);
	switch (r->reason) {
	case HSF_CLOSED:
		return "closed";
	case HSF_TIMEOUT:
		return "timeout";
	case HSF_EVICT:
		return "evicted";
	case HSF_FLUSH:
		return "unfinished";
	default:
		return "incomplete";
	}
}

void hsjoin_result(struct hsjoin *j, const struct hsf_result *r, uint64_t wall_offset,
		   const char *iface, uint64_t now)
{
	const struct tls_client_hello *ch = r->ch_status == HELLO_DONE ? r->ch : NULL;
	const struct tls_server_hello *sh = r->sh_status == HELLO_DONE ? r->sh : NULL;
	struct pending rec = {.ch = ch, .sh = sh}, *p = &rec;
	char ja4buf[JA4_LEN + 1];
	uint64_t gen;
	const struct seg_meta *m;
	struct hs_conn *c;
	int client;

	if (!ch && !sh)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->family = r->family;
	memcpy(c->caddr, r->caddr, 16);
	memcpy(c->saddr, r->saddr, 16);
	c->cport = r->cport;
	c->sport = r->sport;
	m = r->cmeta ? r->cmeta : r->smeta;
	if (m) {
		c->ifindex = m->ifindex;
		c->dev_netns = m->dev_netns;
		c->peer_netns = m->peer_netns;
	}
	c->c_netns = r->cmeta ? r->cmeta->sk_netns : 0;
	c->s_netns = r->smeta ? r->smeta->sk_netns : 0;
	c->offered = alpn_offered_mask(ch);
	fingerprint(j, ch, sh, ja4buf);
	gen = j->fp_gen;
	fill_facts(j, &c->facts, ch, sh, ja4buf);
	c->hash = conn_hash(c->caddr, c->cport, c->saddr, c->sport);

	p->ts = r->ts + wall_offset;
	p->incomplete = reason_name(r);
	if (iface)
		snprintf(p->iface, sizeof(p->iface), "%s", iface);
	m = pick_end(r, &client);
	p->conn.family = r->family;
	p->conn.role = client ? ROLE_CLIENT : ROLE_SERVER;
	memcpy(p->conn.laddr, client ? r->caddr : r->saddr, 16);
	memcpy(p->conn.raddr, client ? r->saddr : r->caddr, 16);
	p->conn.lport = client ? r->cport : r->sport;
	p->conn.rport = client ? r->sport : r->cport;
	if (m) {
		p->pid = m->pid;
		if (m->pid) /* a comm without its pid would be a guess */
			memcpy(p->comm, m->comm, sizeof(p->comm) - 1);
		p->netns = m->sk_netns ? m->sk_netns : m->dev_netns;
		p->cgroup_id = m->cgroup_id;
	}
	p->deadline = now + j->alpn_wait;

	/* A new connection on the same tuple, seen at the same place, replaces the old one. */
	for (struct hs_conn *o = j->buckets[c->hash & (NBUCKETS - 1)], *next; o; o = next) {
		next = o->hnext;
		if (o->ifindex == c->ifindex && o->family == c->family && o->cport == c->cport &&
		    o->sport == c->sport && !memcmp(o->caddr, c->caddr, 16) &&
		    !memcmp(o->saddr, c->saddr, 16))
			drop(j, o);
	}
	if (j->n >= j->max) {
		j->st.evicted++;
		drop(j, j->lru.prev);
	}
	c->hnext = j->buckets[c->hash & (NBUCKETS - 1)];
	j->buckets[c->hash & (NBUCKETS - 1)] = c;
	lru_push(j, c);
	j->n++;
	/* Only a TLS 1.3 connection that offered a protocol we can recognise waits. */
	if (j->alpn_wait && sh && sh->version == 0x0304 && !c->facts.has_alpn && c->offered &&
	    j->npending < MAX_PENDING) {
		struct waiting *w = malloc(sizeof(*w));

		if (w) {
			w->p = rec;
			if (ch)
				w->ch = *ch, w->p.ch = &w->ch;
			if (sh)
				w->sh = *sh, w->p.sh = &w->sh;
			c->pending = &w->p;
			j->npending++;
			return;
		}
	}
	/* records emitted meanwhile (a replaced or evicted connection) reused the scratch */
	emit_record(j, c, &rec, gen == j->fp_gen);
}

static int same(uint8_t fam, const uint8_t *a, uint16_t ap, uint8_t cfam, const uint8_t *b,
		uint16_t bp)
{
	return fam == cfam && ap == bp && !memcmp(a, b, 16);
}

/* How well connection c fits a socket in netns at end `client` (0 = no fit). */
static int score(const struct hs_conn *c, uint32_t netns, int client)
{
	uint32_t sk = client ? c->c_netns : c->s_netns;

	if (sk)
		return sk == netns ? 4 : 0;
	if (c->ifindex == 1 && c->dev_netns == netns)
		return 3;
	if (c->peer_netns == netns)
		return 2;
	if (c->dev_netns == netns)
		return 1;
	return 0;
}

const struct tls_facts *hsjoin_lookup(struct hsjoin *j, uint32_t netns, const struct conn_tuple *t,
				      uint32_t pid, const char *comm, const uint8_t *data,
				      uint32_t len, int dir)
{
	uint8_t fam, l[16], r[16];
	struct hs_conn *best = NULL;
	int best_score = 0, tie = 0, best_client = 0;

	if (!t || !t->family || !j->n)
		return NULL;
	norm_addr(t->family, t->laddr, &fam, l);
	norm_addr(t->family, t->raddr, &fam, r);
	for (struct hs_conn *c = j->buckets[conn_hash(l, t->lport, r, t->rport) & (NBUCKETS - 1)];
	     c; c = c->hnext) {
		int client, s;

		if (same(fam, l, t->lport, c->family, c->caddr, c->cport) &&
		    same(fam, r, t->rport, c->family, c->saddr, c->sport))
			client = 1;
		else if (same(fam, l, t->lport, c->family, c->saddr, c->sport) &&
			 same(fam, r, t->rport, c->family, c->caddr, c->cport))
			client = 0;
		else
			continue;
		s = score(c, netns, client);
		if (s > best_score) {
			best = c, best_score = s, tie = 0, best_client = client;
		} else if (s && s == best_score) {
			tie = 1;
		}
	}
	if (!best)
		return NULL;
	if (tie) {
		j->st.ambiguous++;
		return NULL;
	}
	lru_unlink(best);
	lru_push(j, best);
	if (!best->facts.has_alpn && best->offered && best->facts.version == 0x0304 && data) {
		int from_client = best_client == (dir == DIR_EGRESS);
		const char *alpn = alpn_from_plaintext(best->offered, data, len, from_client);

		if (alpn) {
			best->facts.has_alpn = 1;
			best->facts.alpn_source = ALPN_PLAINTEXT;
			snprintf(best->facts.alpn, sizeof(best->facts.alpn), "%s", alpn);
		}
	}
	if (best->pending) {
		struct pending *p = best->pending;

		/* A record with no process learns it from the plaintext's end. */
		if (!p->pid && pid) {
			p->pid = pid;
			snprintf(p->comm, sizeof(p->comm), "%s", comm ? comm : "");
			p->netns = netns;
			p->conn = *t;
			p->conn.role = best_client ? ROLE_CLIENT : ROLE_SERVER;
		}
		emit_pending(j, best);
	}
	j->st.joined++;
	return &best->facts;
}

void hsjoin_tick(struct hsjoin *j, uint64_t now)
{
	if (!j->npending)
		return;
	for (struct hs_conn *c = j->lru.next; c != &j->lru; c = c->next)
		if (c->pending && c->pending->deadline <= now)
			emit_pending(j, c);
}

void hsjoin_flush(struct hsjoin *j)
{
	for (struct hs_conn *c = j->lru.next; j->npending && c != &j->lru; c = c->next)
		if (c->pending)
			emit_pending(j, c);
}

void hsjoin_stats(const struct hsjoin *j, struct hsjoin_stats *st)
{
	*st = j->st;
}

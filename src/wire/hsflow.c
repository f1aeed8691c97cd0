// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "wire/hsflow.h"

/*
 * Flows live in a chained hash table keyed by (scope, family, the two endpoints in canonical
 * order) and on one of two lists in the order they were last fed: `active` (still waiting for
 * a hello) and `tombs`. A flow is concluded once, and the result reported if at least one
 * hello was parsed (the failures are in the counters):
 *  - when both directions are finished (parsed or failed), at once;
 *  - on a FIN or RST, on a new connection over the same tuple, at the timeout, at a flush,
 *    and when evicted, with whatever is whole by then.
 * Then its buffers go and its key stays, a tombstone, so that late copies of the hellos are
 * not taken for a new connection; tombstones expire with the timeout and are the first to go
 * when the table is full.
 *
 * Each direction is parsed on its own bytes: which hello it holds decides its kind, and which
 * end is the client is decided only when reporting (the SYN's sender, else the ClientHello's).
 * So the outcome does not depend on how the bytes were cut into segments or ordered.
 */

/*
 * Byte ranges held per direction, the contiguous prefix included. Each hole between two
 * ranges needs a segment on each side, so 16 covers far more reordering than the first
 * flights see; a segment that would need a 17th range is dropped (the sender resends it).
 */
#define MAX_RANGES 16
/*
 * A hello start this far (in sequence space) from a direction's known start is a new
 * connection on the same 4-tuple. Nearer ones are later handshake records of this one
 * (a TLS 1.2 ClientKeyExchange, an encrypted Finished), never a new ClientHello: a reused
 * tuple gets a fresh ISN, which moves by ~16 MB a second on Linux.
 */
#define RESTART_WINDOW (1u << 20)
#define MIN_BUF	       2048

enum dir_state { DS_NONE, DS_START, DS_PARSING, DS_DONE, DS_FAILED };
/* What a direction's first message turned out to be, from its bytes alone. */
enum hello_kind { KIND_UNKNOWN, KIND_CH, KIND_SH };
/* Why a segment may begin a direction's stream. */
enum start_kind { START_NONE, START_SYN, START_HAS, START_CH, START_SH };

struct range {
	uint32_t start, end;
};

/* Reassembly state of a direction that has not finished; freed when it does. */
struct stream {
	uint32_t cap;
	unsigned int nranges;
	struct range r[MAX_RANGES]; /* sorted, disjoint, not adjacent */
	uint8_t data[];
};

struct hsf_dir {
	uint8_t state; /* enum dir_state */
	uint8_t kind;  /* enum hello_kind */
	uint8_t has_meta, has_ts;
	int status;	 /* of the last parse */
	uint32_t base;	 /* sequence number of stream offset 0 */
	uint32_t prefix; /* contiguous bytes from offset 0 */
	uint32_t parsed; /* prefix at the last parse */
	uint32_t need;	 /* the hello cannot be whole below this prefix (0: unknown) */
	uint64_t start_ts;
	struct stream *s;
	void *hello; /* DONE: a struct tls_client_hello or tls_server_hello */
	struct seg_meta meta;
};

struct flow {
	struct flow *hnext;	  /* hash chain */
	struct flow *prev, *next; /* t->active or t->tombs, oldest first */
	uint32_t hash;
	uint8_t family;
	uint8_t tomb;  /* reported or given up: only retransmissions are expected */
	int8_t client; /* endpoint that sent the SYN (without ACK); -1 if none seen */
	uint16_t port[2];
	uint8_t addr[2][16]; /* endpoint 0 sorts before endpoint 1 */
	uint64_t scope;
	uint64_t last_ts;
	struct hsf_dir d[2]; /* d[i]: the bytes endpoint i sent */
};

struct lru {
	struct flow *head, *tail;
};

struct hsflow {
	struct hsf_limits lim;
	hsf_result_fn fn;
	void *ctx;
	uint64_t seed;
	struct flow **buckets;
	uint32_t mask;
	unsigned int n, nactive;
	struct lru active, tombs;
	uint64_t c[HSF__MAX];
	/* Parses land here; only a whole hello is copied into its flow. */
	union {
		struct tls_client_hello ch;
		struct tls_server_hello sh;
	} scratch;
};

static const char *const counter_names[HSF__MAX] = {
	[HSF_SEGMENTS] = "segments",
	[HSF_FLOWS] = "flows",
	[HSF_RESULTS] = "results",
	[HSF_RETRANSMIT] = "retransmit",
	[HSF_OVERLAP_CONFLICT] = "overlap_conflict",
	[HSF_OUT_OF_WINDOW] = "out_of_window",
	[HSF_GIVEUP_BYTES] = "giveup_bytes",
	[HSF_GIVEUP_TIME] = "giveup_time",
	[HSF_EVICTED] = "evicted",
	[HSF_NO_MEMORY] = "no_memory",
	[HSF_ERR_NOT_TLS] = "err_not_tls",
	[HSF_ERR_SSLV2] = "err_sslv2",
	[HSF_ERR_RECORD] = "err_record",
	[HSF_ERR_NOT_HELLO] = "err_not_hello",
	[HSF_ERR_LENGTH] = "err_length",
	[HSF_ERR_EXTENSION] = "err_extension",
	[HSF_ERR_TOO_LARGE] = "err_too_large",
};

const char *hsf_counter_name(enum hsf_counter c)
{
	return (unsigned int)c < HSF__MAX ? counter_names[c] : NULL;
}

static void lru_del(struct lru *l, struct flow *f)
{
	*(f->prev ? &f->prev->next : &l->head) = f->next;
	*(f->next ? &f->next->prev : &l->tail) = f->prev;
	f->prev = f->next = NULL;
}

static void lru_add(struct lru *l, struct flow *f)
{
	f->prev = l->tail;
	f->next = NULL;
	*(l->tail ? &l->tail->next : &l->head) = f;
	l->tail = f;
}

struct key {
	uint64_t scope;
	uint8_t family;
	uint16_t port[2];
	uint8_t addr[2][16];
};

/* Orders the two endpoints canonically; returns the endpoint index of the sender. */
static int make_key(const struct tcp_segment *seg, struct key *k)
{
	size_t alen = seg->family == AF_INET ? 4 : 16;
	int cmp;

	memset(k, 0, sizeof(*k));
	k->scope = seg->scope;
	k->family = seg->family;
	cmp = memcmp(seg->saddr, seg->daddr, alen);
	if (!cmp)
		cmp = seg->sport < seg->dport ? -1 : seg->sport > seg->dport;
	/* A connection to itself (same address and port) has one endpoint: both map to 0. */
	memcpy(k->addr[cmp > 0], seg->saddr, alen);
	memcpy(k->addr[cmp <= 0], seg->daddr, alen);
	k->port[cmp > 0] = seg->sport;
	k->port[cmp <= 0] = seg->dport;
	return cmp > 0;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ h >> 32;
}

static uint32_t hash_key(const struct hsflow *t, const struct key *k)
{
	uint64_t h = t->seed, w[2];

	h = mix(h, k->scope);
	h = mix(h, (uint64_t)k->family << 32 | (uint32_t)k->port[0] << 16 | k->port[1]);
	for (int i = 0; i < 2; i++) {
		memcpy(w, k->addr[i], 16);
		h = mix(h, w[0]);
		h = mix(h, w[1]);
	}
	/* splitmix64's finaliser: every key bit reaches the bucket bits */
	h = (h ^ h >> 30) * 0xbf58476d1ce4e5b9ull;
	h = (h ^ h >> 27) * 0x94d049bb133111ebull;
	return (uint32_t)(h ^ h >> 31);
}

static int same_key(const struct flow *f, uint32_t h, const struct key *k)
{
	return f->hash == h && f->scope == k->scope && f->family == k->family &&
	       f->port[0] == k->port[0] && f->port[1] == k->port[1] &&
	       !memcmp(f->addr, k->addr, sizeof(f->addr));
}

static struct flow *lookup(const struct hsflow *t, const struct key *k, uint32_t h)
{
	struct flow *f;

	for (f = t->buckets[h & t->mask]; f; f = f->hnext)
		if (same_key(f, h, k))
			return f;
	return NULL;
}

struct hsflow *hsflow_new(const struct hsf_limits *lim, hsf_result_fn fn, void *ctx)
{
	struct hsflow *t = calloc(1, sizeof(*t));
	uint32_t nb = 16;

	if (!t)
		return NULL;
	if (lim)
		t->lim = *lim;
	if (!t->lim.max_flows)
		t->lim.max_flows = 4096;
	if (!t->lim.timeout_ns)
		t->lim.timeout_ns = 10000000000ull;
	while (nb < t->lim.max_flows && nb < (1u << 30))
		nb <<= 1;
	t->buckets = calloc(nb, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->mask = nb - 1;
	t->fn = fn;
	t->ctx = ctx;
	/* Keys come off the network: an unpredictable seed keeps chains short. */
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != sizeof(t->seed))
		t->seed = (uintptr_t)t ^ 0x5bd1e995u;
	return t;
}

static void release_dir(struct hsf_dir *d)
{
	free(d->s);
	free(d->hello);
	d->s = NULL;
	d->hello = NULL;
}

/* Unlinks f from the table and its list and frees it; no report. */
static void drop(struct hsflow *t, struct flow *f)
{
	struct flow **pp = &t->buckets[f->hash & t->mask];

	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	if (f->tomb) {
		lru_del(&t->tombs, f);
	} else {
		lru_del(&t->active, f);
		t->nactive--;
	}
	t->n--;
	release_dir(&f->d[0]);
	release_dir(&f->d[1]);
	free(f);
}

void hsflow_free(struct hsflow *t)
{
	if (!t)
		return;
	while (t->active.head)
		drop(t, t->active.head);
	while (t->tombs.head)
		drop(t, t->tombs.head);
	free(t->buckets);
	free(t);
}

/*
 * A lower bound of the stream length at which the hello message can be whole, read from the
 * record and handshake headers in p[0..len); 0 when the headers do not tell yet. It only
 * saves parser calls when a hello arrives in many small segments: the parser decides.
 */
static uint32_t hello_need(const uint8_t *p, uint32_t len)
{
	uint32_t off = 0, got = 0, msg = 0; /* got: handshake bytes in the records before off */
	uint8_t hdr[4];

	while (off + 5 <= len) {
		uint32_t rlen = (uint32_t)p[off + 3] << 8 | p[off + 4], body = off + 5;
		uint32_t avail = len - body < rlen ? len - body : rlen;

		if (p[off] != 22 || !rlen)
			return 0;
		for (uint32_t k = 0; got + k < 4 && k < avail; k++)
			hdr[got + k] = p[body + k];
		if (!msg && got + avail >= 4)
			msg = 4 + ((uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3]);
		if (!msg) {
			if (avail < rlen)
				return 0;
		} else if (msg <= got + rlen) {
			return body + (msg - got);
		} else if (avail < rlen) {
			return body + rlen + 6; /* this record, then another header and a byte */
		}
		got += rlen;
		off = body + rlen;
	}
	return msg ? off + 6 : 0;
}

static void count_status(struct hsflow *t, int status)
{
	if (status < 0 && status >= HELLO_ERR__MIN)
		t->c[HSF_ERR_NOT_TLS + (-status - 1)]++;
}

/* A direction is finished (DONE or FAILED): keep the hello, free the bytes. */
static void finish_dir(struct hsflow *t, struct hsf_dir *d, int state)
{
	if (state == DS_DONE) {
		size_t sz = d->kind == KIND_CH ? sizeof(struct tls_client_hello)
					       : sizeof(struct tls_server_hello);

		d->hello = malloc(sz);
		if (d->hello) {
			memcpy(d->hello, &t->scratch, sz);
		} else {
			t->c[HSF_NO_MEMORY]++;
			state = DS_FAILED;
			d->status = HELLO_MORE;
		}
	}
	d->state = state;
	free(d->s);
	d->s = NULL;
	if (state == DS_FAILED)
		count_status(t, d->status);
}

/*
 * Parses the prefix of a direction: first as a ClientHello; a stream whose first message is
 * something else is tried as a ServerHello, and stays one. Which side is the client is
 * decided at report time, so a direction's outcome depends on its bytes alone. Unless
 * `force`, growths that leave the prefix short of what the hello needs are skipped up to a
 * doubling: a hello cut into tiny segments costs a few parses, not one per segment.
 */
static void parse_dir(struct hsflow *t, struct hsf_dir *d, int force)
{
	const uint8_t *p;
	int st;

	if (d->state != DS_PARSING || d->parsed == d->prefix)
		return;
	if (!force && d->prefix < HSF_MAX_BYTES && d->prefix < d->need && d->prefix < 2 * d->parsed)
		return;
	p = d->s->data;
	d->parsed = d->prefix;
	if (d->kind != KIND_SH) {
		st = tls_parse_client_hello(p, d->prefix, &t->scratch.ch);
		if (st == HELLO_DONE)
			d->kind = KIND_CH;
		if (st == HELLO_ERR_NOT_HELLO) {
			st = tls_parse_server_hello(p, d->prefix, &t->scratch.sh);
			if (st != HELLO_ERR_NOT_HELLO)
				d->kind = KIND_SH;
		}
	} else {
		st = tls_parse_server_hello(p, d->prefix, &t->scratch.sh);
	}
	d->status = st;
	if (st == HELLO_DONE) {
		finish_dir(t, d, DS_DONE);
	} else if (st < 0) {
		finish_dir(t, d, DS_FAILED);
	} else if (d->prefix >= HSF_MAX_BYTES) {
		t->c[HSF_GIVEUP_BYTES]++;
		finish_dir(t, d, DS_FAILED);
	} else {
		d->need = hello_need(p, d->prefix);
	}
}

/* Adds [start, end) to the held ranges; -1 (nothing changed) if that needs too many. */
static int range_insert(struct stream *s, uint32_t start, uint32_t end)
{
	struct range out[MAX_RANGES];
	unsigned int n = 0, i = 0;

	while (i < s->nranges && s->r[i].end < start)
		out[n++] = s->r[i++];
	/* merge everything that overlaps or touches [start, end) */
	while (i < s->nranges && s->r[i].start <= end) {
		if (s->r[i].start < start)
			start = s->r[i].start;
		if (s->r[i].end > end)
			end = s->r[i].end;
		i++;
	}
	if (n + 1 + (s->nranges - i) > MAX_RANGES)
		return -1;
	out[n++] = (struct range){start, end};
	while (i < s->nranges)
		out[n++] = s->r[i++];
	memcpy(s->r, out, n * sizeof(out[0]));
	s->nranges = n;
	return 0;
}

/* 1 if stream bytes [start, end) differ from those already held in buf. */
static int compare_held(const struct stream *s, uint32_t start, uint32_t end, const uint8_t *p)
{
	for (unsigned int i = 0; i < s->nranges; i++) {
		uint32_t a = s->r[i].start > start ? s->r[i].start : start;
		uint32_t b = s->r[i].end < end ? s->r[i].end : end;

		if (a < b && memcmp(s->data + a, p + (a - start), b - a))
			return 1;
	}
	return 0;
}

static uint32_t held_bytes(const struct stream *s, uint32_t start, uint32_t end)
{
	uint32_t n = 0;

	for (unsigned int i = 0; i < s->nranges; i++) {
		uint32_t a = s->r[i].start > start ? s->r[i].start : start;
		uint32_t b = s->r[i].end < end ? s->r[i].end : end;

		if (a < b)
			n += b - a;
	}
	return n;
}

/*
 * Makes the buffer hold stream offsets below end. It doubles from 2 KiB: most hellos fit the
 * first allocation, and only a direction that gets that far costs HSF_MAX_BYTES.
 */
static int grow(struct hsflow *t, struct hsf_dir *d, uint32_t end)
{
	uint32_t cap = d->s ? d->s->cap : 0;
	struct stream *s;

	if (end <= cap)
		return 0;
	cap = cap ? cap : MIN_BUF;
	while (cap < end)
		cap *= 2;
	if (cap > HSF_MAX_BYTES)
		cap = HSF_MAX_BYTES;
	s = realloc(d->s, sizeof(*s) + cap);
	if (!s) {
		t->c[HSF_NO_MEMORY]++;
		return -1;
	}
	if (!d->s) {
		s->nranges = 0;
		s->cap = 0;
	}
	s->cap = cap;
	d->s = s;
	return 0;
}

/*
 * Stores payload p[0..len) found at sequence number seq in direction d (start known). Bytes
 * outside [0, HSF_MAX_BYTES) are cut off and counted; the rest fills holes only.
 */
static void store(struct hsflow *t, struct hsf_dir *d, uint32_t seq, const uint8_t *p, uint32_t len,
		  uint64_t ts)
{
	int64_t off = (int32_t)(seq - d->base);
	uint32_t start, end, fresh;
	struct stream *s;

	if (off < 0 || off + len > HSF_MAX_BYTES) {
		t->c[HSF_OUT_OF_WINDOW]++;
		if (off + len <= 0 || off >= HSF_MAX_BYTES)
			return;
		if (off < 0) {
			p += -off;
			len -= -off;
			off = 0;
		}
		if (off + len > HSF_MAX_BYTES)
			len = HSF_MAX_BYTES - off;
	}
	start = off;
	end = start + len;
	if (grow(t, d, end))
		return;
	s = d->s;
	fresh = len - held_bytes(s, start, end);
	if (compare_held(s, start, end, p))
		t->c[HSF_OVERLAP_CONFLICT]++;
	if (!fresh) {
		t->c[HSF_RETRANSMIT]++;
		return;
	}
	{
		/* Copy only the holes: where bytes are held already, the first copy wins. */
		uint32_t pos = start;

		for (unsigned int i = 0; i < s->nranges && pos < end; i++) {
			if (s->r[i].end <= pos)
				continue;
			if (s->r[i].start > pos) {
				uint32_t b = s->r[i].start < end ? s->r[i].start : end;

				memcpy(s->data + pos, p + (pos - start), b - pos);
			}
			pos = s->r[i].end;
		}
		if (pos < end)
			memcpy(s->data + pos, p + (pos - start), end - pos);
	}
	if (range_insert(s, start, end)) {
		t->c[HSF_OUT_OF_WINDOW]++; /* too many holes: dropped, as if never received */
		return;
	}
	if (!start && !d->has_ts) {
		d->start_ts = ts;
		d->has_ts = 1;
	}
	if (s->r[0].start == 0 && s->r[0].end > d->prefix) {
		d->prefix = s->r[0].end;
		d->state = DS_PARSING;
		parse_dir(t, d, 0);
	}
}

/* Which endpoint is the client: the SYN says; else the one that sent a ClientHello. */
static int client_of(const struct flow *f)
{
	const struct hsf_dir *d = f->d;

	if (f->client >= 0)
		return f->client;
	if (d[0].kind == KIND_CH && d[1].kind == KIND_CH)
		return d[1].has_ts && (!d[0].has_ts || d[1].start_ts < d[0].start_ts);
	if (d[0].kind == KIND_CH || d[1].kind == KIND_CH)
		return d[1].kind == KIND_CH;
	return d[0].kind == KIND_SH;
}

/* The status of direction d taken as the hello `want` (KIND_CH or KIND_SH). */
static int role_status(const struct hsf_dir *d, int want)
{
	if (d->kind != KIND_UNKNOWN && d->kind != want)
		return HELLO_ERR_NOT_HELLO;
	if (d->state < DS_PARSING)
		return HELLO_MORE;
	return d->status;
}

/* Hands the result to the callback; its pointers are valid during the call only. */
static void report(struct hsflow *t, struct flow *f, enum hsf_reason why)
{
	int c = client_of(f), s = !c;
	const struct hsf_dir *dc = &f->d[c], *ds = &f->d[s];
	struct hsf_result r = {.reason = why, .scope = f->scope, .family = f->family};

	r.ch_status = role_status(dc, KIND_CH);
	r.sh_status = role_status(ds, KIND_SH);
	if (r.ch_status != HELLO_DONE && r.sh_status != HELLO_DONE)
		return; /* nothing to show; the failures are counted */
	memcpy(r.caddr, f->addr[c], 16);
	memcpy(r.saddr, f->addr[s], 16);
	r.cport = f->port[c];
	r.sport = f->port[s];
	r.ts = dc->has_ts ? dc->start_ts : ds->start_ts;
	r.ch = r.ch_status == HELLO_DONE ? dc->hello : NULL;
	r.sh = r.sh_status == HELLO_DONE ? ds->hello : NULL;
	r.cmeta = dc->has_meta ? &dc->meta : NULL;
	r.smeta = ds->has_meta ? &ds->meta : NULL;
	t->c[HSF_RESULTS]++;
	if (t->fn)
		t->fn(t->ctx, &r);
}

/* Reports an active flow (if it has a hello to show) and frees its buffers. */
static void conclude(struct hsflow *t, struct flow *f, enum hsf_reason why)
{
	for (int i = 0; i < 2; i++)
		parse_dir(t, &f->d[i], 1); /* bytes the skipped parses did not look at */
	report(t, f, why);
	release_dir(&f->d[0]);
	release_dir(&f->d[1]);
}

/* An active flow that concluded keeps its key to absorb retransmissions. */
static void entomb(struct hsflow *t, struct flow *f)
{
	lru_del(&t->active, f);
	t->nactive--;
	f->tomb = 1;
	lru_add(&t->tombs, f);
}

static struct flow *new_flow(struct hsflow *t, const struct key *k, uint32_t h)
{
	struct flow *f;

	if (t->n >= t->lim.max_flows) {
		if (t->tombs.head) {
			drop(t, t->tombs.head);
		} else {
			f = t->active.head;
			t->c[HSF_EVICTED]++;
			conclude(t, f, HSF_EVICT);
			drop(t, f);
		}
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		t->c[HSF_NO_MEMORY]++;
		return NULL;
	}
	f->hash = h;
	f->scope = k->scope;
	f->family = k->family;
	memcpy(f->addr, k->addr, sizeof(f->addr));
	memcpy(f->port, k->port, sizeof(f->port));
	f->client = -1;
	f->hnext = t->buckets[h & t->mask];
	t->buckets[h & t->mask] = f;
	lru_add(&t->active, f);
	t->n++;
	t->nactive++;
	t->c[HSF_FLOWS]++;
	return f;
}

/* Whether seg may begin its direction's stream, and at which sequence number. */
static int start_of(const struct tcp_segment *seg, uint32_t *sseq)
{
	const uint8_t *p = seg->payload;

	if (seg->flags & TCPF_SYN) {
		*sseq = seg->seq + 1;
		return START_SYN;
	}
	*sseq = seg->seq;
	/*
	 * No bytes, no start: the live path flags the FIN or RST of a direction whose start it
	 * never saw; that must not begin (or restart) a flow.
	 */
	if (!seg->len)
		return START_NONE;
	if (seg->has_start) {
		*sseq = seg->start_seq;
		return START_HAS;
	}
	/* A handshake record whose first message is a hello (1: Client, 2: Server). */
	if (seg->len >= 6 && tls_looks_like_handshake(p, seg->len) && (p[5] == 1 || p[5] == 2))
		return p[5] == 1 ? START_CH : START_SH;
	return START_NONE;
}

static int far_from(uint32_t seq, uint32_t base)
{
	return seq - base + RESTART_WINDOW >= 2 * RESTART_WINDOW;
}

/* A new connection on the flow's 4-tuple: a new ISN, or a ClientHello far from the old one. */
static int restarts(const struct flow *f, int i, int start, uint32_t sseq)
{
	const struct hsf_dir *d = &f->d[i];

	if (start == START_NONE || start == START_SH)
		return 0;
	if (d->state == DS_NONE)
		return f->tomb;
	/*
	 * A stream that did not begin with TLS (STARTTLS, a SOCKS or HTTP CONNECT tunnel) may
	 * switch to it later: a ClientHello there starts the handshake afresh.
	 */
	if (start == START_CH && d->state == DS_FAILED && d->status == HELLO_ERR_NOT_TLS &&
	    sseq != d->base)
		return 1;
	return start == START_SYN ? sseq != d->base : far_from(sseq, d->base);
}

static void take_meta(struct hsf_dir *d, const struct seg_meta *m)
{
	if (m && (!d->has_meta || (!d->meta.pid && m->pid))) {
		d->meta = *m;
		d->has_meta = 1;
	}
}

/* Segments of a finished direction: count copies of bytes already taken. */
static void after_finish(struct hsflow *t, const struct hsf_dir *d, uint32_t seq, uint32_t len)
{
	int64_t off = (int32_t)(seq - d->base);

	if (d->state != DS_NONE && len && off >= 0 && off + len <= d->prefix)
		t->c[HSF_RETRANSMIT]++;
}

static int finished(const struct hsf_dir *d)
{
	return d->state >= DS_DONE;
}

void hsflow_feed(struct hsflow *t, const struct tcp_segment *seg)
{
	uint32_t sseq, dseq = seg->seq + !!(seg->flags & TCPF_SYN), h;
	struct hsf_dir *d;
	struct flow *f;
	struct key k;
	int i, start;

	t->c[HSF_SEGMENTS]++;
	if (seg->family != AF_INET && seg->family != AF_INET6)
		return;
	/* Most segments belong to no flow: one lookup, and no allocation, turns them away. */
	i = make_key(seg, &k);
	h = hash_key(t, &k);
	f = lookup(t, &k, h);
	start = start_of(seg, &sseq);
	if (f && restarts(f, i, start, sseq)) {
		if (!f->tomb)
			conclude(t, f, HSF_CLOSED);
		drop(t, f);
		f = NULL;
	}
	if (!f) {
		if (start == START_NONE)
			return;
		f = new_flow(t, &k, h);
		if (!f)
			return;
	}
	f->last_ts = seg->ts;
	d = &f->d[i];
	if (f->tomb) {
		/* a tombstone lives as long as copies of its connection keep coming */
		lru_del(&t->tombs, f);
		lru_add(&t->tombs, f);
		after_finish(t, d, dseq, seg->len);
		return;
	}
	lru_del(&t->active, f);
	lru_add(&t->active, f);
	/* a SYN names the client (a SYN-ACK its peer); the first one seen holds */
	if ((seg->flags & TCPF_SYN) && f->client < 0)
		f->client = seg->flags & TCPF_ACK ? !i : i;
	if (d->state == DS_NONE && start != START_NONE) {
		d->base = sseq;
		d->state = DS_START;
	}
	take_meta(d, seg->meta);
	/* Without a start its bytes have no place (a FIN or RST still counts below). */
	if (finished(d))
		after_finish(t, d, dseq, seg->len);
	else if (d->state != DS_NONE && seg->len)
		store(t, d, dseq, seg->payload, seg->len, seg->ts);
	/* both finished: nothing more can be learnt from this connection */
	if (finished(&f->d[0]) && finished(&f->d[1])) {
		conclude(t, f, HSF_DONE);
		entomb(t, f);
	} else if (seg->flags & (TCPF_FIN | TCPF_RST)) {
		conclude(t, f, HSF_CLOSED);
		entomb(t, f);
	}
}

void hsflow_expire(struct hsflow *t, uint64_t now)
{
	struct flow *f;

	/* Lists run in the order flows were last fed, which is time order. */
	while ((f = t->active.head) && now > f->last_ts && now - f->last_ts > t->lim.timeout_ns) {
		t->c[HSF_GIVEUP_TIME]++;
		conclude(t, f, HSF_TIMEOUT);
		drop(t, f);
	}
	while ((f = t->tombs.head) && now > f->last_ts && now - f->last_ts > t->lim.timeout_ns)
		drop(t, f);
}

void hsflow_flush(struct hsflow *t)
{
	struct flow *f;

	while ((f = t->active.head)) {
		conclude(t, f, HSF_FLUSH);
		drop(t, f);
	}
	while (t->tombs.head)
		drop(t, t->tombs.head);
}

const uint64_t *hsflow_counters(const struct hsflow *t)
{
	return t->c;
}

unsigned int hsflow_active(const struct hsflow *t)
{
	return t->nactive;
}

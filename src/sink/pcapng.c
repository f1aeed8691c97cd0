// SPDX-License-Identifier: MIT
/*
 * --pcapng FILE: the plaintext as packets that tshark and Wireshark dissect with no options.
 *
 * Format. One interface of link type LINKTYPE_WIRESHARK_UPPER_PDU (252), the one Wireshark
 * itself uses to export decrypted TLS: each packet starts with TLVs that name the dissector
 * ("http", "http2" or "data"), the IPv4 or IPv6 addresses, port type TCP and the ports, then
 * the plaintext. Synthetic Ethernet/IP/TCP packets would need options: on port 443 tshark
 * hands TCP payload to its TLS dissector, and it tries HTTP/2 only on ports it associates
 * with HTTP. Naming the dissector needs none and keeps the real 5-tuple, which is what
 * tshark keys conversations (and so HTTP/2's HPACK tables) on. Timestamps are in ns. Each
 * packet's comment names the process ("pid 1234 tid 1234 comm curl client write lib openssl
 * fd 5") and says when bytes are missing; a call cut by --max-capture keeps its length as
 * the packet's original length.
 *
 * HTTP/2. Outside TCP tshark does not reassemble a frame that spans two packets, so each
 * direction is cut at frame boundaries: complete frames go out with the call that completes
 * them, a partial frame waits (at most H2_PEND_MAX bytes a direction; a longer frame is
 * written cut, counted in h2_oversize, the rest of it as "data"). A gap inside a frame's
 * payload (--max-capture) costs that frame only; a gap that hides where the next frame
 * starts ends HTTP/2 dissection in that direction (h2_desync): its later bytes are "data".
 *
 * Both ends. On loopback both processes are traced, so every byte comes twice: written by
 * one end, read by the other. Dissecting both copies would show each request twice and feed
 * each header block twice to the conversation's HPACK decoder, corrupting it. So for each
 * connection (its addresses and ports: the file has no network namespaces, tshark would
 * merge equal tuples anyway) the end seen first is dissected; the other end's records are
 * written too, with their own comments, but as "data" (counted in mirrored). tshark finds
 * each request once, and no record is dropped.
 *
 * Records with no connection have no conversation to go in: they are counted
 * (unattributed), not written.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sink/sink.h"
#include "util/buf.h"

#define LINKTYPE_WIRESHARK_UPPER_PDU 252

#define BT_SHB	       0x0a0d0d0a
#define BT_IDB	       1
#define BT_EPB	       6
#define OPT_END	       0
#define OPT_COMMENT    1
#define OPT_SHB_APPL   4
#define OPT_IF_NAME    2
#define OPT_IF_TSRESOL 9

/* The exported-PDU TLV tags (Wireshark's epan/exported_pdu.h). */
#define EXP_PDU_TAG_END	       0
#define EXP_PDU_TAG_PROTO_NAME 12
#define EXP_PDU_TAG_IPV4_SRC   20
#define EXP_PDU_TAG_IPV6_SRC   22
#define EXP_PDU_TAG_PORT_TYPE  24
#define EXP_PDU_TAG_SRC_PORT   25
#define EXP_PDU_TAG_DST_PORT   26
#define EXP_PDU_TAG_COL_PROTO  33
#define EXP_PDU_PT_TCP	       2

#define H2_PREFACE     "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN 24
#define H2_HDR	       9
/* A frame of the default SETTINGS_MAX_FRAME_SIZE; peers rarely raise it. */
#define H2_PEND_MAX (16384 + H2_HDR)
/* Connections remembered (owner end, framing); the least recently used goes first. */
#define MAX_CONNS 1024
#define NBUCKETS  2048

enum dissector { DIS_DATA, DIS_HTTP, DIS_HTTP2 };

/* The protocol column of packets dissected as "data". */
#define COL_PLAIN     "TLS plaintext"
#define COL_OTHER_END "TLS other end"

static const char *const dissector_names[] = {"data", "http", "http2"};

/* One end of a connection; IPv4-mapped IPv6 addresses are IPv4, as tshark would show them. */
struct ep {
	uint16_t family;
	uint16_t port;
	uint8_t addr[16];
};

/* One direction of an HTTP/2 connection's dissected end. */
struct h2_dir {
	uint8_t *pend;	 /* an incomplete frame (or preface), H2_PEND_MAX bytes when allocated */
	uint32_t npend;	 /* bytes in pend */
	uint32_t skip;	 /* bytes of a frame already written cut, still to come */
	uint8_t started; /* past the first unit: no preface can come */
	uint8_t desync;	 /* where frames start is lost */
};

struct pconn {
	struct pconn *hnext;
	struct pconn *prev, *next; /* most recently used first */
	struct ep a, b;		   /* a < b */
	uint8_t owner_a;	   /* the dissected end's local endpoint is a */
	uint8_t dis;		   /* enum dissector, once decided */
	uint8_t decided;
	uint8_t final;	     /* decided from the tracker, the ALPN or bytes that looked like HTTP */
	uint8_t seen[2];     /* a call has come in this direction (as h2[]) */
	uint8_t app;	     /* the d->app it was decided from */
	struct h2_dir h2[2]; /* [0]: a to b, [1]: b to a */
	/* The dissected end's latest call, without data: for what is written later. */
	struct data_record last;
	struct conn_tuple tuple;
	char comm[TASK_COMM_LEN + 1];
};

struct pcapng_sink {
	FILE *f;
	struct buf b;
	struct buf scratch;
	struct pconn *buckets[NBUCKETS];
	struct pconn *head, *tail;
	unsigned int nconns;
	int err; /* the first write error of the current call */
	struct pcapng_counters cnt;
};

static void put_le16(struct buf *b, uint16_t v)
{
	uint8_t x[2] = {v, v >> 8};

	buf_put(b, x, sizeof(x));
}

static void put_le32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = {v, v >> 8, v >> 16, v >> 24};

	buf_put(b, x, sizeof(x));
}

static void put_be16(struct buf *b, uint16_t v)
{
	uint8_t x[2] = {v >> 8, v};

	buf_put(b, x, sizeof(x));
}

static void put_be32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = {v >> 24, v >> 16, v >> 8, v};

	buf_put(b, x, sizeof(x));
}

static void put_pad4(struct buf *b, size_t n)
{
	static const uint8_t zero[4];

	buf_put(b, zero, (4 - n % 4) % 4);
}

static void patch_le32(struct buf *b, size_t at, uint32_t v)
{
	if (b->oom)
		return;
	for (int i = 0; i < 4; i++)
		b->p[at + i] = (char)(v >> (8 * i));
}

/* Blocks are written little-endian whatever the host: the byte-order magic says so. */
static size_t block_begin(struct buf *b, uint32_t type)
{
	size_t start = b->len;

	put_le32(b, type);
	put_le32(b, 0);
	return start;
}

static void block_end(struct buf *b, size_t start)
{
	uint32_t len = b->len - start + 4;

	put_le32(b, len);
	patch_le32(b, start + 4, len);
}

static void put_opt(struct buf *b, uint16_t code, const void *v, uint16_t n)
{
	put_le16(b, code);
	put_le16(b, n);
	if (n)
		buf_put(b, v, n);
	put_pad4(b, n);
}

void pcapng_format_header(struct buf *b)
{
	static const uint8_t tsresol = 9; /* 10^-9 s */
	size_t at = block_begin(b, BT_SHB);

	put_le32(b, 0x1a2b3c4d);
	put_le16(b, 1);
	put_le16(b, 0);
	put_le32(b, 0xffffffff); /* section length: not given */
	put_le32(b, 0xffffffff);
	put_opt(b, OPT_SHB_APPL, "tlsscope", 8);
	put_opt(b, OPT_END, NULL, 0);
	block_end(b, at);

	at = block_begin(b, BT_IDB);
	put_le16(b, LINKTYPE_WIRESHARK_UPPER_PDU);
	put_le16(b, 0);
	put_le32(b, 0); /* snaplen: none */
	put_opt(b, OPT_IF_NAME, "tls-plaintext", 13);
	put_opt(b, OPT_IF_TSRESOL, &tsresol, 1);
	put_opt(b, OPT_END, NULL, 0);
	block_end(b, at);
}

static void ep_local(struct ep *e, const struct conn_tuple *c, int remote)
{
	static const uint8_t v4mapped[12] = {[10] = 0xff, [11] = 0xff};
	const uint8_t *a = remote ? c->raddr : c->laddr;

	memset(e, 0, sizeof(*e));
	e->port = remote ? c->rport : c->lport;
	if (c->family == AF_INET6 && !memcmp(a, v4mapped, sizeof(v4mapped))) {
		e->family = AF_INET;
		memcpy(e->addr, a + 12, 4);
	} else {
		e->family = c->family;
		memcpy(e->addr, a, c->family == AF_INET ? 4 : 16);
	}
}

/* Source and destination of a call's bytes: a write goes from the local end. */
static void flow_of(const struct data_record *d, struct ep *src, struct ep *dst)
{
	int in = d->dir == DIR_INGRESS;

	ep_local(src, d->conn, in);
	ep_local(dst, d->conn, !in);
}

static void put_tag(struct buf *b, uint16_t tag, const void *v, uint16_t n)
{
	put_be16(b, tag);
	put_be16(b, n);
	if (n)
		buf_put(b, v, n);
}

/* Wireshark writes strings NUL-padded to 4 bytes and counts the padding. */
static void put_tag_str(struct buf *b, uint16_t tag, const char *s)
{
	size_t n = strnlen(s, 0xfff0);

	put_be16(b, tag);
	put_be16(b, (n + 3) & ~(size_t)3);
	buf_put(b, s, n);
	put_pad4(b, n);
}

static void put_exp_pdu(struct buf *b, const struct pcapng_packet *p, const struct ep *src,
			const struct ep *dst)
{
	int v6 = src->family == AF_INET6;
	uint16_t alen = v6 ? 16 : 4;

	put_tag_str(b, EXP_PDU_TAG_PROTO_NAME, p->proto);
	put_tag(b, EXP_PDU_TAG_IPV4_SRC + 2 * v6, src->addr, alen);
	put_tag(b, EXP_PDU_TAG_IPV4_SRC + 2 * v6 + 1, dst->addr, alen);
	put_be16(b, EXP_PDU_TAG_PORT_TYPE);
	put_be16(b, 4);
	put_be32(b, EXP_PDU_PT_TCP);
	put_be16(b, EXP_PDU_TAG_SRC_PORT);
	put_be16(b, 4);
	put_be32(b, src->port);
	put_be16(b, EXP_PDU_TAG_DST_PORT);
	put_be16(b, 4);
	put_be32(b, dst->port);
	if (p->column)
		put_tag_str(b, EXP_PDU_TAG_COL_PROTO, p->column);
	put_tag(b, EXP_PDU_TAG_END, NULL, 0);
}

/* comm as the kernel keeps it, with what is not printable ASCII shown as '?'. */
static void put_comm(struct buf *b, const char *comm)
{
	size_t n = strnlen(comm, TASK_COMM_LEN);

	for (size_t i = 0; i < n; i++)
		buf_putc(b, comm[i] > 0x20 && comm[i] < 0x7f ? comm[i] : '?');
}

static void put_comment(struct buf *b, const struct data_record *d, const char *note)
{
	buf_puts(b, "pid ");
	buf_put_uint(b, d->pid);
	buf_puts(b, " tid ");
	buf_put_uint(b, d->tid);
	buf_puts(b, " comm ");
	put_comm(b, d->comm);
	buf_putc(b, ' ');
	buf_puts(b, role_name(d->conn->role));
	buf_puts(b, d->dir == DIR_EGRESS ? " write lib " : " read lib ");
	buf_puts(b, tls_lib_name(d->lib));
	if (d->fd >= 0) {
		buf_puts(b, " fd ");
		buf_put_uint(b, d->fd);
	}
	if (d->truncated == TRUNC_LIMIT)
		buf_printf(b, "; call truncated: %u of %u bytes captured (max-capture)",
			   d->captured, d->len);
	else if (d->truncated == TRUNC_LOST)
		buf_printf(b, "; call incomplete: %u of %u bytes captured (lost)", d->captured,
			   d->len);
	if (d->redacted)
		buf_printf(b, "; %u secret values redacted", d->redacted);
	if (note) {
		buf_puts(b, "; ");
		buf_puts(b, note);
	}
}

void pcapng_format_packet(struct buf *b, const struct pcapng_packet *p)
{
	const struct data_record *d = p->d;
	size_t at = block_begin(b, BT_EPB), hdr_at, pdu_at, copt;
	uint32_t pdu_len;
	struct ep src, dst;

	flow_of(d, &src, &dst);
	put_le32(b, 0); /* interface */
	put_le32(b, d->ts >> 32);
	put_le32(b, (uint32_t)d->ts);
	hdr_at = b->len;
	put_le32(b, 0); /* captured and original length, once the TLVs are known */
	put_le32(b, 0);
	pdu_at = b->len;
	put_exp_pdu(b, p, &src, &dst);
	pdu_len = b->len - pdu_at;
	if (p->caplen)
		buf_put(b, p->data, p->caplen);
	patch_le32(b, hdr_at, pdu_len + p->caplen);
	patch_le32(b, hdr_at + 4, pdu_len + (p->origlen > p->caplen ? p->origlen : p->caplen));
	put_pad4(b, pdu_len + p->caplen);

	put_le16(b, OPT_COMMENT);
	put_le16(b, 0);
	copt = b->len;
	put_comment(b, d, p->note);
	if (!b->oom) {
		size_t n = b->len - copt;

		if (n > 0xffff) { /* a comment this long is a bug, not a packet to lose */
			b->len = copt + 0xffff;
			n = 0xffff;
		}
		b->p[copt - 2] = (char)n;
		b->p[copt - 1] = (char)(n >> 8);
		put_pad4(b, n);
	}
	put_opt(b, OPT_END, NULL, 0);
	block_end(b, at);
}

void pcapng_format_data(struct buf *b, const struct data_record *d, const char *proto,
			const char *note)
{
	struct pcapng_packet p = {
		.d = d,
		.proto = proto,
		.data = d->data,
		.caplen = d->captured,
		.origlen = d->len,
		.note = note,
	};

	pcapng_format_packet(b, &p);
}

static void *pcapng_open(const struct sink_opts *opts)
{
	struct pcapng_sink *s;
	int err;

	if (!opts->path) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->f = sink_open_file(opts->path);
	if (!s->f)
		goto fail;
	pcapng_format_header(&s->b);
	if (s->b.oom) {
		errno = ENOMEM;
		goto fail;
	}
	if (fwrite(s->b.p, 1, s->b.len, s->f) != s->b.len || fflush(s->f))
		goto fail;
	return s;
fail:
	err = errno ? errno : EIO;
	if (s->f)
		fclose(s->f);
	buf_free(&s->b);
	free(s);
	errno = err;
	return NULL;
}

static void put_out(struct pcapng_sink *s)
{
	if (s->b.oom) {
		if (!s->err)
			s->err = -ENOMEM;
		return;
	}
	if (fwrite(s->b.p, 1, s->b.len, s->f) != s->b.len) {
		if (!s->err)
			s->err = -(errno ? errno : EIO);
		return;
	}
	s->cnt.packets++;
}

static void emit_col(struct pcapng_sink *s, const struct data_record *d, enum dissector dis,
		     const uint8_t *p, uint32_t caplen, uint32_t origlen, const char *note,
		     const char *column)
{
	struct pcapng_packet pk = {
		.d = d,
		.proto = dissector_names[dis],
		.column = column,
		.data = p,
		.caplen = caplen,
		.origlen = origlen,
		.note = note,
	};

	buf_reset(&s->b);
	pcapng_format_packet(&s->b, &pk);
	put_out(s);
}

/* Raw bytes get a protocol column of their own: "data" leaves it empty. */
static void emit(struct pcapng_sink *s, const struct data_record *d, enum dissector dis,
		 const uint8_t *p, uint32_t caplen, uint32_t origlen, const char *note)
{
	emit_col(s, d, dis, p, caplen, origlen, note, dis == DIS_DATA ? COL_PLAIN : NULL);
}

static void emit_whole(struct pcapng_sink *s, const struct data_record *d, enum dissector dis,
		       const char *note)
{
	emit(s, d, dis, d->data, d->captured, d->len, note);
}

static int ep_cmp(const struct ep *x, const struct ep *y)
{
	return memcmp(x, y, sizeof(*x));
}

static uint32_t conn_hash(const struct ep *a, const struct ep *b)
{
	const uint8_t *p[2] = {(const uint8_t *)a, (const uint8_t *)b};
	uint32_t h = 2166136261u;

	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < sizeof(*a); i++)
			h = (h ^ p[k][i]) * 16777619u;
	return h & (NBUCKETS - 1);
}

static void lru_unlink(struct pcapng_sink *s, struct pconn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		s->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		s->tail = c->prev;
	c->prev = c->next = NULL;
}

static void lru_push(struct pcapng_sink *s, struct pconn *c)
{
	c->next = s->head;
	if (s->head)
		s->head->prev = c;
	s->head = c;
	if (!s->tail)
		s->tail = c;
}

/* Writes what waits for the rest of a frame as it is, in the dissected end's name. */
static void flush_pending(struct pcapng_sink *s, struct pconn *c, const char *why)
{
	for (int i = 0; i < 2; i++) {
		struct h2_dir *h = &c->h2[i];

		if (h->npend) {
			/* h2[0] goes from a: a write if the dissected end is a. */
			c->last.dir = (i == 0) == !!c->owner_a ? DIR_EGRESS : DIR_INGRESS;
			emit(s, &c->last, DIS_DATA, h->pend, h->npend, h->npend, why);
			h->npend = 0;
		}
	}
}

static void conn_free(struct pcapng_sink *s, struct pconn *c)
{
	uint32_t k = conn_hash(&c->a, &c->b);
	struct pconn **pp = &s->buckets[k];

	while (*pp != c)
		pp = &(*pp)->hnext;
	*pp = c->hnext;
	lru_unlink(s, c);
	free(c->h2[0].pend);
	free(c->h2[1].pend);
	free(c);
	s->nconns--;
}

static struct pconn *conn_get(struct pcapng_sink *s, const struct ep *local,
			      const struct ep *remote)
{
	int lo = ep_cmp(local, remote) <= 0;
	const struct ep *a = lo ? local : remote, *b = lo ? remote : local;
	uint32_t k = conn_hash(a, b);
	struct pconn *c;

	for (c = s->buckets[k]; c; c = c->hnext) {
		if (!ep_cmp(&c->a, a) && !ep_cmp(&c->b, b)) {
			lru_unlink(s, c);
			lru_push(s, c);
			return c;
		}
	}
	if (s->nconns >= MAX_CONNS) {
		flush_pending(s, s->tail, "incomplete http2 frame of a connection forgotten");
		conn_free(s, s->tail);
		s->cnt.evicted++;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->a = *a;
	c->b = *b;
	c->owner_a = lo;
	c->hnext = s->buckets[k];
	s->buckets[k] = c;
	lru_push(s, c);
	s->nconns++;
	return c;
}

static int starts_http1(const uint8_t *p, size_t n)
{
	static const char *const starts[] = {"GET ",	 "POST ",  "PUT ",     "HEAD ",	 "DELETE ",
					     "OPTIONS ", "PATCH ", "CONNECT ", "TRACE ", "HTTP/1."};

	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		size_t k = strlen(starts[i]);

		if (n >= k && !memcmp(p, starts[i], k))
			return 1;
	}
	return 0;
}

/*
 * What the connection carries: the http tracker's verdict when it has one, else the ALPN,
 * else the first bytes of the dissected end's first call. Unknown streams go out as "data".
 */
static void decide(struct pcapng_sink *s, struct pconn *c, const struct data_record *d, int dir)
{
	const struct tls_facts *t = d->tls;
	enum dissector dis;
	int final = 1;

	/* Bytes that did not look like HTTP are looked at again in the other direction's first call
	 * (an HTTP/2 server may write its SETTINGS before it reads the client's preface). */
	if (c->decided && d->app == APP_UNKNOWN && (c->final || c->seen[dir]))
		return;
	if (c->decided && d->app != APP_UNKNOWN && d->app == c->app)
		return;
	c->seen[dir] = 1;
	if (d->app == APP_HTTP2)
		dis = DIS_HTTP2;
	else if (d->app == APP_HTTP1)
		dis = DIS_HTTP;
	else if (t && t->has_alpn && !strcmp(t->alpn, "h2"))
		dis = DIS_HTTP2;
	else if (t && t->has_alpn && !strncmp(t->alpn, "http/1.", 7))
		dis = DIS_HTTP;
	else if (d->captured &&
		 !memcmp(d->data, H2_PREFACE,
			 d->captured < H2_PREFACE_LEN ? d->captured : H2_PREFACE_LEN))
		dis = DIS_HTTP2;
	else if (starts_http1(d->data, d->captured))
		dis = DIS_HTTP;
	else
		dis = DIS_DATA, final = 0;
	if (c->decided && dis != c->dis) {
		/* A verdict that changes its mind: frames so far are moot. */
		flush_pending(s, c, "incomplete http2 frame before the stream was recognised");
		for (int i = 0; i < 2; i++) {
			free(c->h2[i].pend);
			memset(&c->h2[i], 0, sizeof(c->h2[i]));
		}
	}
	c->dis = dis;
	c->final = final;
	c->app = d->app;
	c->decided = 1;
}

/*
 * Bytes needed to know the length of the unit at q, and that length (0 while unknown): the
 * client preface at a direction's start, else a frame.
 */
static uint32_t unit_len(const struct h2_dir *h, const uint8_t *q, size_t avail, size_t *need)
{
	if (!h->started &&
	    !memcmp(q, H2_PREFACE, avail < H2_PREFACE_LEN ? avail : H2_PREFACE_LEN)) {
		*need = H2_PREFACE_LEN;
		return avail >= H2_PREFACE_LEN ? H2_PREFACE_LEN : 0;
	}
	*need = H2_HDR;
	return avail >= H2_HDR ? H2_HDR + ((uint32_t)q[0] << 16 | q[1] << 8 | q[2]) : 0;
}

static void h2_desync(struct pcapng_sink *s, struct h2_dir *h)
{
	h->desync = 1;
	h->skip = 0;
	s->cnt.h2_desync++;
}

/* One call of the dissected end of an HTTP/2 connection, cut at frame boundaries. */
static void h2_feed(struct pcapng_sink *s, struct h2_dir *h, const struct data_record *d)
{
	const uint8_t *p = d->data;
	uint32_t n = d->captured, i = 0, start, gap = 0;
	size_t need;
	uint32_t u;

	if (h->desync) {
		emit_whole(s, d, DIS_DATA, "http2 framing lost earlier in this direction");
		return;
	}
	if (d->truncated == TRUNC_LOST) {
		/* Where the bytes are missing is not known: frames cannot be followed. */
		if (h->npend)
			emit(s, d, DIS_DATA, h->pend, h->npend, h->npend,
			     "incomplete http2 frame from earlier calls");
		h->npend = 0;
		h2_desync(s, h);
		emit_whole(s, d, DIS_DATA, "http2 framing lost here");
		return;
	}
	if (d->truncated == TRUNC_LIMIT && d->len > d->captured)
		gap = d->len - d->captured;

	if (h->skip) {
		u = h->skip < n ? h->skip : n;
		if (u)
			emit(s, d, DIS_DATA, p, u, u, "rest of an http2 frame written cut");
		h->skip -= u;
		i = u;
	}
	/* Complete the unit that earlier calls began. */
	while (h->npend && i < n) {
		u = unit_len(h, h->pend, h->npend, &need);
		if (u > H2_PEND_MAX) {
			uint32_t k = u - h->npend < n - i ? u - h->npend : n - i;

			buf_reset(&s->scratch);
			buf_put(&s->scratch, h->pend, h->npend);
			buf_put(&s->scratch, p + i, k);
			if (s->scratch.oom) {
				s->err = -ENOMEM;
				return;
			}
			emit(s, d, DIS_HTTP2, (const uint8_t *)s->scratch.p, h->npend + k, u,
			     "http2 frame longer than the file's bound: cut");
			s->cnt.h2_oversize++;
			h->skip = u - h->npend - k;
			h->npend = 0;
			h->started = 1;
			i += k;
			break;
		}
		need = (u ? u : need) - h->npend;
		if (need > n - i)
			need = n - i;
		memcpy(h->pend + h->npend, p + i, need);
		h->npend += need;
		i += need;
		if (u && h->npend == u) {
			emit(s, d, DIS_HTTP2, h->pend, u, u, "frame begun in earlier calls");
			h->npend = 0;
			h->started = 1;
		}
	}
	/* Whole units from here go out as one packet. */
	start = i;
	while (i < n) {
		u = unit_len(h, p + i, n - i, &need);
		if (!u || u > n - i)
			break;
		i += u;
		h->started = 1;
	}
	if (i > start)
		emit(s, d, DIS_HTTP2, p + start, i - start, i - start, NULL);
	if (i < n) {
		u = unit_len(h, p + i, n - i, &need);
		if (u > H2_PEND_MAX) {
			emit(s, d, DIS_HTTP2, p + i, n - i, u,
			     "http2 frame longer than the file's bound: cut");
			s->cnt.h2_oversize++;
			h->skip = u - (n - i);
			h->started = 1;
		} else {
			if (!h->pend && !(h->pend = malloc(H2_PEND_MAX))) {
				s->err = -ENOMEM;
				return;
			}
			memcpy(h->pend, p + i, n - i);
			h->npend = n - i;
		}
	}
	if (!gap)
		return;
	/* The call's tail was not captured: follow frames across it if their lengths allow. */
	if (h->skip) {
		if (gap <= h->skip)
			h->skip -= gap;
		else
			h2_desync(s, h);
		return;
	}
	if (!h->npend) {
		h2_desync(s, h);
		return;
	}
	u = unit_len(h, h->pend, h->npend, &need);
	if (u) {
		emit(s, d, DIS_HTTP2, h->pend, h->npend, u, "http2 frame cut by max-capture");
		h->started = 1;
		if (gap <= u - h->npend)
			h->skip = u - h->npend - gap;
		else
			h2_desync(s, h);
	} else {
		emit(s, d, DIS_DATA, h->pend, h->npend, h->npend,
		     "start of an http2 frame cut by max-capture");
		h2_desync(s, h);
	}
	h->npend = 0;
}

static void remember(struct pconn *c, const struct data_record *d)
{
	size_t n = strnlen(d->comm, TASK_COMM_LEN);

	c->last = *d;
	c->last.data = NULL;
	c->last.captured = c->last.len = 0;
	c->last.truncated = TRUNC_NONE;
	c->last.redacted = 0;
	c->tuple = *d->conn;
	c->last.conn = &c->tuple;
	/* Printable, as put_comm() shows it: the other end's comments quote it too. */
	for (size_t i = 0; i < n; i++)
		c->comm[i] = d->comm[i] > 0x20 && d->comm[i] < 0x7f ? d->comm[i] : '?';
	c->comm[n] = 0;
	c->last.comm = c->comm;
}

static int pcapng_write(void *sink, const struct record *r)
{
	struct pcapng_sink *s = sink;
	const struct data_record *d;
	struct ep local, remote;
	struct pconn *c;
	int dir;

	if (r->type != REC_DATA)
		return 0;
	d = r->data;
	if (!d->conn || (d->conn->family != AF_INET && d->conn->family != AF_INET6)) {
		s->cnt.unattributed++;
		return 0;
	}
	s->err = 0;
	ep_local(&local, d->conn, 0);
	ep_local(&remote, d->conn, 1);
	c = conn_get(s, &local, &remote);
	if (!c)
		return -ENOMEM;
	if (ep_cmp(c->owner_a ? &c->a : &c->b, &local)) {
		char note[96];

		snprintf(note, sizeof(note), "other end of pid %u (%s), dissected there",
			 c->last.pid, c->comm);
		s->cnt.mirrored++;
		emit_col(s, d, DIS_DATA, d->data, d->captured, d->len, note, COL_OTHER_END);
		return s->err;
	}
	remember(c, d);
	/* h2[0] carries the bytes from a. */
	dir = !ep_cmp(&c->a, &local) == (d->dir == DIR_EGRESS) ? 0 : 1;
	decide(s, c, d, dir);
	if (c->dis == DIS_HTTP2)
		h2_feed(s, &c->h2[dir], d);
	else
		emit_whole(s, d, c->dis, NULL);
	return s->err;
}

static int pcapng_flush(void *sink)
{
	struct pcapng_sink *s = sink;

	return fflush(s->f) ? -errno : 0;
}

static void pcapng_close(void *sink)
{
	struct pcapng_sink *s = sink;

	if (!s)
		return;
	while (s->head) {
		flush_pending(s, s->head, "incomplete http2 frame at the end of the capture");
		conn_free(s, s->head);
	}
	fclose(s->f);
	buf_free(&s->b);
	buf_free(&s->scratch);
	free(s);
}

void pcapng_sink_counters(void *sink, struct pcapng_counters *c)
{
	struct pcapng_sink *s = sink;

	*c = s->cnt;
}

const struct sink_ops pcapng_sink_ops = {
	.name = "pcapng",
	.open = pcapng_open,
	.write = pcapng_write,
	.flush = pcapng_flush,
	.close = pcapng_close,
};

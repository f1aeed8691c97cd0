// SPDX-License-Identifier: MIT
/*
 * Frames are read in place: only a frame header (9 bytes), the prefix of a padded or
 * prioritised frame (6), the first H2_CTL_MAX bytes of a control frame and a header block are
 * kept; DATA goes to on_data straight from the input. A header block is collected whole (it
 * may span CONTINUATION frames) and decoded when its last frame ends.
 *
 * Header blocks are not handed to the inflater in one piece but one field representation at a
 * time, each as a block of its own. The parser reads the representation's integers and string
 * lengths itself and decides first whether the inflater can decode it with certainty: an index
 * past the inflater's table refers to an entry this parser never saw, and feeding it would put
 * the inflater in its error state, losing every entry that is still right. Such a field is
 * left out; an insertion whose name is unknown inserts a placeholder (`unknown_rep`) so the
 * indexes of the later entries stay right. The inflater still does the Huffman decoding, the
 * table and the eviction.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "proto/h2.h"

#define FRAME_HDR      9
#define PREFACE_LEN    24
#define FRAME_LEN_MAX  0xffffff /* the 24-bit length field */
#define PROTO_MAX_DATA 16384	/* SETTINGS_MAX_FRAME_SIZE's initial value (RFC 9113 6.5.2) */
#define HPACK_INITIAL  4096	/* SETTINGS_HEADER_TABLE_SIZE's initial value */
#define KEEP_BUF       16384	/* larger buffers are released once used */
#define SETTINGS_MFS   0x5

enum { ST_PREFACE, ST_HEAD, ST_PAYLOAD, ST_LOST };

enum {
	T_DATA,
	T_HEADERS,
	T_PRIORITY,
	T_RST_STREAM,
	T_SETTINGS,
	T_PUSH_PROMISE,
	T_PING,
	T_GOAWAY,
	T_WINDOW_UPDATE,
	T_CONTINUATION,
	T__KNOWN,
};

#define F_END_STREAM  0x01
#define F_ACK	      0x01
#define F_END_HEADERS 0x04
#define F_PADDED      0x08
#define F_PRIORITY    0x20

/* stream flags: what this direction already sent on the stream */
#define SS_FINAL 0x01 /* a header block other than a 1xx response */
#define SS_DATA	 0x02

/*
 * The streams this direction has sent headers or DATA on and not ended: only to tell trailers
 * from headers. The other direction's RST_STREAM is not seen here, so entries can outlive
 * their stream; the table's bound forgets the oldest.
 */
struct h2_stream_state {
	uint32_t id;
	uint8_t flags;
};

struct frame_hdr {
	uint32_t len, sid;
	uint8_t type, flags, reserved;
};

static const uint8_t preface[PREFACE_LEN] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/* The flags each type defines; others are only refused while looking for a boundary. */
static const uint8_t type_flags[T__KNOWN] = {
	[T_DATA] = F_END_STREAM | F_PADDED,
	[T_HEADERS] = F_END_STREAM | F_END_HEADERS | F_PADDED | F_PRIORITY,
	[T_SETTINGS] = F_ACK,
	[T_PUSH_PROMISE] = F_END_HEADERS | F_PADDED,
	[T_PING] = F_ACK,
	[T_CONTINUATION] = F_END_HEADERS,
};

/*
 * A literal field with incremental indexing and a name no valid peer sends (field names are
 * lowercase tokens, RFC 9113 8.2.1): stands for an inserted entry whose name is unknown.
 */
#define UNKNOWN_NAME_LEN 17
static const uint8_t unknown_rep[2 + UNKNOWN_NAME_LEN + 1] = "\x40\x11"
							     "\0tlsscope-unknown"
							     "\0";

static const char *const counter_names[H2_C__MAX] = {
	[H2_C_BYTES] = "bytes",
	[H2_C_FRAMES] = "frames",
	[H2_C_HEADER_BLOCKS] = "header_blocks",
	[H2_C_PARTIAL_BLOCKS] = "partial_blocks",
	[H2_C_FIELDS_UNKNOWN] = "fields_unknown",
	[H2_C_DATA_BYTES] = "data_bytes",
	[H2_C_SKIPPED_BYTES] = "skipped_bytes",
	[H2_C_LOST] = "lost",
	[H2_C_RESYNC] = "resync",
	[H2_C_DESYNC] = "desync",
	[H2_C_HPACK_RESYNC] = "hpack_resync",
	[H2_C_STREAMS_EVICTED] = "streams_evicted",
	[H2_C_ERR_JOIN] = "err_join",
	[H2_C_ERR_GAP] = "err_gap",
	[H2_C_ERR_FRAME] = "err_frame",
	[H2_C_ERR_FRAME_SIZE] = "err_frame_size",
	[H2_C_ERR_CONTINUATION] = "err_continuation",
	[H2_C_ERR_PADDING] = "err_padding",
	[H2_C_ERR_BLOCK_SIZE] = "err_block_size",
	[H2_C_ERR_HPACK] = "err_hpack",
	[H2_C_ERR_HPACK_REF] = "err_hpack_ref",
	[H2_C_ERR_FIELDS] = "err_fields",
	[H2_C_ERR_NO_MEMORY] = "err_no_memory",
};

_Static_assert(H2_C__MAX - H2_C_ERR_JOIN == H2_ERR__MAX, "one error counter per h2_error");

const char *h2_counter_name(enum h2_counter c)
{
	return (unsigned int)c < H2_C__MAX ? counter_names[c] : NULL;
}

const char *h2_error_name(enum h2_error e)
{
	return (unsigned int)e < H2_ERR__MAX ? counter_names[H2_C_ERR_JOIN + e] + 4 : NULL;
}

/* Bytes blk[off...] came from the stream at offset at (up to the next segment). */
struct h2_blk_seg {
	uint32_t off;
	uint64_t at;
};

static uint32_t get32(const uint8_t *s)
{
	return (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 | (uint32_t)s[2] << 8 | s[3];
}

static uint32_t min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static void fh_decode(const uint8_t *h, struct frame_hdr *f)
{
	f->len = (uint32_t)h[0] << 16 | (uint32_t)h[1] << 8 | h[2];
	f->type = h[3];
	f->flags = h[4];
	f->reserved = h[5] >> 7;
	f->sid = get32(h + 5) & 0x7fffffff;
}

static void report(struct h2_parser *p, enum h2_error e)
{
	p->counters[H2_C_ERR_JOIN + e]++;
	if (p->cb && p->cb->on_error)
		p->cb->on_error(p->ctx, e);
}

/* Bytes before the block: pad length, priority (HEADERS), promised stream id (PUSH_PROMISE). */
static uint32_t prefix_len(uint8_t type, uint8_t flags)
{
	uint32_t n = 0;

	if ((type == T_DATA || type == T_HEADERS || type == T_PUSH_PROMISE) && flags & F_PADDED)
		n++;
	if (type == T_HEADERS && flags & F_PRIORITY)
		n += 5;
	if (type == T_PUSH_PROMISE)
		n += 4;
	return n;
}

static int is_block_frame(uint8_t type)
{
	return type == T_HEADERS || type == T_PUSH_PROMISE || type == T_CONTINUATION;
}

static uint32_t sync_max(const struct h2_parser *p)
{
	return p->peer_max_frame ? min32(p->peer_max_frame, p->lim.max_frame_size)
				 : p->lim.max_frame_size;
}

static uint32_t scan_max(const struct h2_parser *p)
{
	return min32(p->lim.max_frame_size, p->peer_max_frame ? p->peer_max_frame : PROTO_MAX_DATA);
}

/*
 * The framing rules a peer cannot break without the connection failing (RFC 9113 section 6),
 * given whether a CONTINUATION of stream blk_sid must come next. While scanning, unknown types
 * and undefined flags are refused too. Returns -1 if the header passes, else the error.
 */
static int frame_check(const struct h2_parser *p, const struct frame_hdr *f, int in_block,
		       uint32_t blk_sid, uint32_t maxlen, int scan)
{
	int client = p->dir == H2_CLIENT;

	if (f->reserved)
		return H2_ERR_FRAME;
	if (f->len > maxlen)
		return H2_ERR_FRAME_SIZE;
	if (in_block != (f->type == T_CONTINUATION) || (in_block && f->sid != blk_sid))
		return H2_ERR_CONTINUATION;
	if (f->type >= T__KNOWN)
		return scan ? H2_ERR_FRAME : -1;
	if (scan && f->flags & ~type_flags[f->type])
		return H2_ERR_FRAME;
	switch (f->type) {
	case T_DATA:
	case T_HEADERS:
	case T_CONTINUATION:
		/* a client sends these only on the streams it opened: odd ones */
		if (!f->sid || (client && !(f->sid & 1)))
			return H2_ERR_FRAME;
		break;
	case T_PUSH_PROMISE:
		if (client || !(f->sid & 1))
			return H2_ERR_FRAME;
		break;
	case T_PRIORITY:
		if (!f->sid || f->len != 5)
			return H2_ERR_FRAME;
		break;
	case T_RST_STREAM:
		if (!f->sid || f->len != 4)
			return H2_ERR_FRAME;
		break;
	case T_SETTINGS:
		if (f->sid || f->len % 6 || (f->flags & F_ACK && f->len))
			return H2_ERR_FRAME;
		break;
	case T_PING:
		if (f->sid || f->len != 8)
			return H2_ERR_FRAME;
		break;
	case T_GOAWAY:
		if (f->sid || f->len < 8)
			return H2_ERR_FRAME;
		break;
	case T_WINDOW_UPDATE:
		if (f->len != 4)
			return H2_ERR_FRAME;
		break;
	}
	if (f->len < prefix_len(f->type, f->flags))
		return H2_ERR_FRAME;
	return -1;
}

/* Payload rules, checked while scanning only: padding inside the frame, no zero increment. */
static int payload_ok(const struct frame_hdr *f, const uint8_t *pl)
{
	if (f->flags & F_PADDED && f->type != T_CONTINUATION &&
	    pl[0] > f->len - prefix_len(f->type, f->flags))
		return 0;
	if (f->type == T_WINDOW_UPDATE && !(get32(pl) & 0x7fffffff))
		return 0;
	return 1;
}

/*
 * Whether s[0] begins a frame: 1 yes, 0 more bytes are needed, -1 no. The checks run in a
 * fixed order and each reads only bytes within the window, so the answer depends on the
 * bytes, never on how many had arrived when it was asked.
 */
static int chain_check(const struct h2_parser *p, const uint8_t *s, uint32_t n)
{
	uint64_t pos = 0, win = p->lim.resync_window;
	uint32_t maxlen = scan_max(p), blk_sid = 0;
	int in_block = 0;

	for (int k = 0; k < H2_RESYNC_FRAMES; k++) {
		struct frame_hdr f;
		uint64_t next;

		if (pos + FRAME_HDR > win)
			return -1;
		if (pos + FRAME_HDR > n)
			return 0;
		fh_decode(s + pos, &f);
		if (frame_check(p, &f, in_block, blk_sid, maxlen, 1) >= 0)
			return -1;
		next = pos + FRAME_HDR + f.len;
		if (k < H2_RESYNC_FRAMES - 1 && next <= n && !payload_ok(&f, s + pos + FRAME_HDR))
			return -1;
		in_block = is_block_frame(f.type) && !(f.flags & F_END_HEADERS);
		blk_sid = f.sid;
		pos = next;
	}
	return 1;
}

int h2_frames_at(enum h2_dir dir, const uint8_t *s, size_t n)
{
	struct h2_parser p = {.dir = dir};
	uint32_t blk_sid = 0;
	int in_block = 0;
	size_t pos = 0;

	while (pos + FRAME_HDR <= n) {
		struct frame_hdr f;

		fh_decode(s + pos, &f);
		if (frame_check(&p, &f, in_block, blk_sid, PROTO_MAX_DATA, 1) >= 0 ||
		    f.len > n - pos - FRAME_HDR || !payload_ok(&f, s + pos + FRAME_HDR))
			return 0;
		in_block = is_block_frame(f.type) && !(f.flags & F_END_HEADERS);
		blk_sid = f.sid;
		pos += FRAME_HDR + f.len;
	}
	return pos && pos == n;
}

/* HPACK integer with an n-bit prefix (RFC 7541 5.1); -1 if truncated or over 2^32 - 1. */
static int hp_int(const uint8_t *s, uint32_t len, uint32_t *pos, int prefix, uint32_t *out)
{
	uint32_t mask = (1u << prefix) - 1;
	uint64_t v;
	int shift = 0;

	if (*pos >= len)
		return -1;
	v = s[(*pos)++] & mask;
	if (v < mask) {
		*out = (uint32_t)v;
		return 0;
	}
	for (;;) {
		uint8_t b;

		if (*pos >= len || shift > 28)
			return -1;
		b = s[(*pos)++];
		v += (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (v > UINT32_MAX)
			return -1;
		if (!(b & 0x80))
			break;
	}
	*out = (uint32_t)v;
	return 0;
}

static int hp_str(const uint8_t *s, uint32_t len, uint32_t *pos)
{
	uint32_t n;

	if (hp_int(s, len, pos, 7, &n) || n > len - *pos)
		return -1;
	*pos += n;
	return 0;
}

static int grow(void *pp, uint32_t *cap, uint32_t need, size_t elem)
{
	uint32_t n = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n = n > UINT32_MAX / 2 ? need : n * 2;
	q = realloc(*(void **)pp, (size_t)n * elem);
	if (!q)
		return -ENOMEM;
	*(void **)pp = q;
	*cap = n;
	return 0;
}

/* Keeps one decoded field, within max_fields and max_header_list. */
static void add_field(struct h2_parser *p, const nghttp2_nv *nv)
{
	uint32_t need;

	if (nv->namelen == UNKNOWN_NAME_LEN &&
	    !memcmp(nv->name, unknown_rep + 2, UNKNOWN_NAME_LEN)) {
		p->blk_flags |= H2_HDR_PARTIAL;
		p->counters[H2_C_FIELDS_UNKNOWN]++;
		return;
	}
	if (p->nfields >= p->lim.max_fields ||
	    nv->namelen + nv->valuelen > p->lim.max_header_list - p->list_bytes) {
		if (!(p->blk_flags & H2_HDR_TRUNCATED))
			report(p, H2_ERR_FIELDS);
		p->blk_flags |= H2_HDR_TRUNCATED;
		return;
	}
	need = p->arena_len + (uint32_t)(nv->namelen + nv->valuelen) + 2;
	if (grow(&p->arena, &p->arena_cap, need, 1) ||
	    grow(&p->out, &p->cap_fields, p->nfields + 1, sizeof(*p->out)) ||
	    grow(&p->offs, &p->cap_offs, 2 * (p->nfields + 1), sizeof(*p->offs))) {
		report(p, H2_ERR_NO_MEMORY);
		p->blk_flags |= H2_HDR_TRUNCATED;
		return;
	}
	p->offs[2 * p->nfields] = p->arena_len;
	memcpy(p->arena + p->arena_len, nv->name, nv->namelen);
	p->arena_len += (uint32_t)nv->namelen;
	p->arena[p->arena_len++] = 0;
	p->offs[2 * p->nfields + 1] = p->arena_len;
	memcpy(p->arena + p->arena_len, nv->value, nv->valuelen);
	p->arena_len += (uint32_t)nv->valuelen;
	p->arena[p->arena_len++] = 0;
	p->out[p->nfields].name_len = (uint32_t)nv->namelen;
	p->out[p->nfields].value_len = (uint32_t)nv->valuelen;
	p->nfields++;
	p->list_bytes += (uint32_t)(nv->namelen + nv->valuelen);
}

/* Reports where a literal's value lies: blk[vpos, end) after its length prefix at lpos. */
static void literal_at(struct h2_parser *p, const nghttp2_nv *nv, uint32_t lpos, uint32_t vpos,
		       uint32_t end)
{
	struct h2_span sp[8];
	size_t n = 0;
	uint32_t i = 0;
	uint64_t prefix_at;

	if (!p->nsegs || p->segs[0].off)
		return;
	while (i + 1 < p->nsegs && p->segs[i + 1].off <= lpos)
		i++;
	prefix_at = p->segs[i].at + (lpos - p->segs[i].off);
	for (uint32_t pos = vpos; pos < end && n < sizeof(sp) / sizeof(sp[0]);) {
		uint32_t seg_end;

		while (i + 1 < p->nsegs && p->segs[i + 1].off <= pos)
			i++;
		seg_end = i + 1 < p->nsegs ? p->segs[i + 1].off : p->blk_len;
		if (seg_end > end)
			seg_end = end;
		sp[n].at = p->segs[i].at + (pos - p->segs[i].off);
		sp[n].len = seg_end - pos;
		n++;
		pos = seg_end;
	}
	p->cb->on_literal(p->ctx, (const char *)nv->name, nv->namelen, prefix_at, sp, n);
}

/*
 * Decodes one representation as a block of its own; -1 if the inflater refused it. When
 * vpos is not 0, rep is blk + lpos... and the literal's value is reported (literal_at).
 */
static int feed_rep_at(struct h2_parser *p, const uint8_t *rep, size_t n, int keep, uint32_t lpos,
		       uint32_t vpos)
{
	int emitted = 0;
	uint32_t end = vpos ? (uint32_t)(rep - p->blk) + (uint32_t)n : 0;

	if (!p->hd)
		return -1;
	for (;;) {
		nghttp2_nv nv;
		int fl = 0;
		ssize_t rv = nghttp2_hd_inflate_hd2(p->hd, &nv, &fl, rep, n, 1);

		if (rv < 0 || (size_t)rv > n)
			return -1;
		rep += rv;
		n -= (size_t)rv;
		if (fl & NGHTTP2_HD_INFLATE_EMIT) {
			if (emitted++)
				return -1;
			if (keep)
				add_field(p, &nv);
			if (vpos && p->cb && p->cb->on_literal)
				literal_at(p, &nv, lpos, vpos, end);
		}
		if (fl & NGHTTP2_HD_INFLATE_FINAL)
			break;
		if (!rv && !(fl & NGHTTP2_HD_INFLATE_EMIT))
			return -1;
	}
	nghttp2_hd_inflate_end_headers(p->hd);
	return 0;
}

static int feed_rep(struct h2_parser *p, const uint8_t *rep, size_t n, int keep)
{
	return feed_rep_at(p, rep, n, keep, 0, 0);
}

/* A dynamic table size update representation (RFC 7541 6.3). */
static int size_update_rep(uint32_t v, uint8_t *out)
{
	int n = 1;

	if (v < 31) {
		out[0] = 0x20 | v;
		return 1;
	}
	out[0] = 0x3f;
	v -= 31;
	while (v >= 128) {
		out[n++] = (uint8_t)(0x80 | (v & 0x7f));
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

/*
 * A table the HPACK state of which is unknown holds as much as allowed: keeping an entry the
 * encoder evicted is harmless (it never refers to it), evicting one it kept loses it.
 */
static void hd_widen(struct h2_parser *p)
{
	uint8_t rep[8];
	int n = size_update_rep(p->lim.max_table_size, rep);

	if (p->hd && feed_rep(p, rep, (size_t)n, 0)) {
		nghttp2_hd_inflate_del(p->hd);
		p->hd = NULL;
	}
}

static void hd_new(struct h2_parser *p)
{
	nghttp2_hd_inflater *hd;

	if (p->hd)
		nghttp2_hd_inflate_del(p->hd);
	p->hd = NULL;
	if (nghttp2_hd_inflate_new(&hd)) {
		report(p, H2_ERR_NO_MEMORY);
		return;
	}
	/* The ceiling for size updates; the table itself starts at the protocol's 4096. */
	nghttp2_hd_inflate_change_table_size(hd, p->lim.max_table_size);
	p->hd = hd;
}

static void hpack_unknown(struct h2_parser *p)
{
	if (p->hpack_ok)
		p->counters[H2_C_DESYNC]++;
	p->hpack_ok = 0;
}

/* Header blocks went by undecoded: what the inflater holds may be stale. Start afresh. */
static void hpack_reset(struct h2_parser *p)
{
	hpack_unknown(p);
	hd_new(p);
	hd_widen(p);
}

/* A field that refers to an entry never seen: left out. */
static void field_unknown(struct h2_parser *p)
{
	p->blk_flags |= H2_HDR_PARTIAL;
	p->counters[H2_C_FIELDS_UNKNOWN]++;
	if (p->hpack_ok) {
		hpack_unknown(p);
		report(p, H2_ERR_HPACK_REF);
		hd_widen(p);
	}
}

enum { R_INDEXED, R_INSERT, R_LITERAL, R_SIZE };

/* Decodes p->blk into p->out; sets H2_HDR_PARTIAL and _TRUNCATED in p->blk_flags. */
static void decode_block(struct h2_parser *p)
{
	const uint8_t *s = p->blk;
	uint32_t len = p->blk_len, pos = 0;
	int fields_seen = 0;

	while (pos < len) {
		uint32_t start = pos, idx, nent, lpos = 0, vpos = 0;
		uint8_t b = s[pos];
		int kind = b & 0x80		? R_INDEXED
			   : (b & 0xc0) == 0x40 ? R_INSERT
			   : (b & 0xe0) == 0x20 ? R_SIZE
						: R_LITERAL;
		int prefix = kind == R_INDEXED ? 7 : kind == R_INSERT ? 6 : kind == R_SIZE ? 5 : 4;

		if (hp_int(s, len, &pos, prefix, &idx))
			goto malformed;
		if (kind == R_INSERT || kind == R_LITERAL) {
			uint32_t vlen;

			if (!idx && hp_str(s, len, &pos))
				goto malformed;
			lpos = pos;
			if (hp_int(s, len, &pos, 7, &vlen) || vlen > len - pos)
				goto malformed;
			vpos = pos;
			pos += vlen;
		}
		nent = p->hd ? (uint32_t)nghttp2_hd_inflate_get_num_table_entries(p->hd) : 0;
		if (kind == R_SIZE) {
			/* RFC 7541 4.2: only at the start of a block */
			if (fields_seen)
				goto malformed;
			/*
			 * While the state is unknown our table stays as wide as allowed, except
			 * for a size of 0: that empties the encoder's table, and ours with it.
			 */
			if ((!p->hpack_ok && idx) || idx > p->lim.max_table_size)
				continue;
			if (feed_rep(p, s + start, pos - start, 0))
				goto malformed;
			if (!p->hpack_ok) {
				p->hpack_ok = 1;
				p->counters[H2_C_HPACK_RESYNC]++;
			}
			continue;
		}
		fields_seen = 1;
		if (kind == R_INDEXED && !idx)
			goto malformed;
		if (idx > nent) {
			if (kind == R_INSERT && feed_rep(p, unknown_rep, sizeof(unknown_rep), 0))
				goto malformed;
			field_unknown(p);
			continue;
		}
		if (feed_rep_at(p, s + start, pos - start, 1, lpos, vpos))
			goto malformed;
	}
	return;
malformed:
	p->blk_flags |= H2_HDR_PARTIAL;
	report(p, H2_ERR_HPACK);
	hpack_reset(p);
}

static struct h2_stream_state *stream_find(struct h2_parser *p, uint32_t sid)
{
	for (uint32_t i = 0; i < p->nstreams; i++)
		if (p->streams[i].id == sid)
			return &p->streams[i];
	return NULL;
}

static void stream_del(struct h2_parser *p, uint32_t sid)
{
	struct h2_stream_state *s = stream_find(p, sid);

	if (s)
		*s = p->streams[--p->nstreams];
}

/* Finds or adds a stream; when max_streams are open, the oldest (lowest id) is forgotten. */
static void stream_mark(struct h2_parser *p, uint32_t sid, uint8_t flags)
{
	struct h2_stream_state *s = stream_find(p, sid);

	if (!s && p->nstreams == p->lim.max_streams) {
		s = &p->streams[0];
		for (uint32_t i = 1; i < p->nstreams; i++)
			if (p->streams[i].id < s->id)
				s = &p->streams[i];
		s->id = sid;
		s->flags = 0;
		p->counters[H2_C_STREAMS_EVICTED]++;
	} else if (!s) {
		if (grow(&p->streams, &p->cap_streams, p->nstreams + 1, sizeof(*p->streams))) {
			report(p, H2_ERR_NO_MEMORY);
			return;
		}
		s = &p->streams[p->nstreams++];
		s->id = sid;
		s->flags = 0;
	}
	s->flags |= flags;
}

static int has_pseudo(const struct h2_parser *p)
{
	for (uint32_t i = 0; i < p->nfields; i++)
		if (p->out[i].name_len && p->out[i].name[0] == ':')
			return 1;
	return 0;
}

static int informational(const struct h2_parser *p)
{
	for (uint32_t i = 0; i < p->nfields; i++)
		if (p->out[i].name_len == 7 && !memcmp(p->out[i].name, ":status", 7))
			return p->out[i].value_len == 3 && p->out[i].value[0] == '1';
	return 0;
}

static void release(void *pp, uint32_t *cap)
{
	if (*cap > KEEP_BUF) {
		free(*(void **)pp);
		*(void **)pp = NULL;
		*cap = 0;
	}
}

/* The block's last frame ended: decode (unless dropped) and report. */
static void block_done(struct h2_parser *p)
{
	unsigned int flags;
	uint32_t sid = p->blk_sid;

	p->nfields = 0;
	p->arena_len = 0;
	p->list_bytes = 0;
	if (p->blk_drop)
		p->blk_flags |= H2_HDR_PARTIAL;
	else
		decode_block(p);
	for (uint32_t i = 0; i < p->nfields; i++) {
		p->out[i].name = p->arena + p->offs[2 * i];
		p->out[i].value = p->arena + p->offs[2 * i + 1];
	}
	flags = p->blk_flags;
	if (flags & H2_HDR_PROMISE) {
		sid = p->blk_promised;
	} else {
		struct h2_stream_state *s = stream_find(p, sid);

		/* Trailers follow the final headers or DATA, and carry no pseudo-header. */
		if ((s && s->flags & (SS_FINAL | SS_DATA)) ||
		    (!(flags & H2_HDR_PARTIAL) && flags & H2_HDR_END_STREAM && p->nfields &&
		     !has_pseudo(p)))
			flags |= H2_HDR_TRAILERS;
	}
	p->counters[H2_C_HEADER_BLOCKS]++;
	if (flags & H2_HDR_PARTIAL)
		p->counters[H2_C_PARTIAL_BLOCKS]++;
	/* a PUSH_PROMISE whose padding hid the promised id names no stream */
	if (p->cb && p->cb->on_headers && sid)
		p->cb->on_headers(p->ctx, sid, p->nfields ? p->out : NULL, p->nfields, flags);
	if (!(flags & H2_HDR_PROMISE)) {
		if (flags & H2_HDR_END_STREAM)
			stream_del(p, sid);
		else if (!(flags & H2_HDR_TRAILERS) && !(p->dir == H2_SERVER && informational(p)))
			stream_mark(p, sid, SS_FINAL);
	}
	p->blk_len = 0;
	release(&p->blk, &p->blk_cap);
	release(&p->arena, &p->arena_cap);
}

/* A header block is abandoned half-read: its insertions are lost. */
static void block_drop(struct h2_parser *p, enum h2_error e)
{
	if (p->blk_drop)
		return;
	p->blk_drop = 1;
	p->blk_len = 0;
	report(p, e);
	hpack_reset(p);
}

static void block_append(struct h2_parser *p, const uint8_t *d, uint32_t n)
{
	if (p->blk_drop)
		return;
	if (n > p->lim.max_header_block - p->blk_len) {
		block_drop(p, H2_ERR_BLOCK_SIZE);
		return;
	}
	if (grow(&p->blk, &p->blk_cap, p->blk_len + n, 1)) {
		block_drop(p, H2_ERR_NO_MEMORY);
		return;
	}
	memcpy(p->blk + p->blk_len, d, n);
	if (p->cb && p->cb->on_literal) {
		struct h2_blk_seg *last = p->nsegs && p->blk_len ? &p->segs[p->nsegs - 1] : NULL;

		if (!p->blk_len)
			p->nsegs = 0;
		if (!last || last->at + (p->blk_len - last->off) != p->body_at) {
			if (grow(&p->segs, &p->cap_segs, p->nsegs + 1, sizeof(*p->segs)))
				p->nsegs = 0; /* no spans for this block: nothing reported */
			else
				p->segs[p->nsegs++] = (struct h2_blk_seg){p->blk_len, p->body_at};
		}
	}
	p->blk_len += n;
}

/* Frame boundaries are lost (the bytes to scan again, if any, are in p->requeue). */
static void lose(struct h2_parser *p, enum h2_error e)
{
	report(p, e);
	if (p->state != ST_LOST)
		p->counters[H2_C_LOST]++;
	p->state = ST_LOST;
	p->first = 0;
	p->hdr_len = 0;
	p->in_block = 0;
	p->blk_len = 0;
	p->blk_drop = 0;
	hpack_reset(p);
}

static void head_done(struct h2_parser *p)
{
	struct frame_hdr f;
	int err;

	fh_decode(p->hdr, &f);
	p->hdr_len = 0;
	/*
	 * A header that breaks the rules means the boundaries we trusted are wrong (or the peer
	 * is broken, which a passive reader cannot tell apart): scan it again from its first byte.
	 */
	err = frame_check(p, &f, p->in_block, p->blk_sid, sync_max(p), 0);
	if (p->first) {
		/* The server's first frame is SETTINGS; any other means we came in late. */
		if (err >= 0 || f.type != T_SETTINGS || f.flags & F_ACK)
			err = H2_ERR_JOIN;
		else
			p->hpack_ok = 1;
		p->first = 0;
	}
	if (err >= 0) {
		p->requeue = p->hdr;
		p->requeue_len = FRAME_HDR;
		lose(p, err);
		return;
	}
	p->type = f.type;
	p->flags = f.flags;
	p->sid = f.sid;
	p->len = f.len;
	p->pos = 0;
	p->bad = 0;
	p->end_sent = 0;
	p->pre_len = (uint8_t)prefix_len(f.type, f.flags);
	p->body_end = p->pre_len ? 0 : f.len;
	p->counters[H2_C_FRAMES]++;
	if (p->cb && p->cb->on_frame)
		p->cb->on_frame(p->ctx, f.type, f.flags, f.sid, f.len);
	if (f.type == T_HEADERS || f.type == T_PUSH_PROMISE) {
		p->blk_sid = f.sid;
		p->blk_flags = f.type == T_PUSH_PROMISE ? H2_HDR_PROMISE
			       : f.flags & F_END_STREAM ? H2_HDR_END_STREAM
							: 0;
		p->blk_promised = 0;
		p->blk_len = 0;
		p->blk_drop = 0;
	}
	p->state = ST_PAYLOAD;
}

/* The pad length and the fields before the block are in: where the block or data ends. */
static void prefix_done(struct h2_parser *p)
{
	uint32_t pad = p->flags & F_PADDED ? p->pre[0] : 0;

	if (pad > p->len - p->pre_len) {
		p->bad = 1;
		if (is_block_frame(p->type))
			block_drop(p, H2_ERR_PADDING);
		else
			report(p, H2_ERR_PADDING);
		return;
	}
	p->body_end = p->len - pad;
	if (p->type == T_PUSH_PROMISE)
		p->blk_promised = get32(p->pre + (p->flags & F_PADDED ? 1 : 0)) & 0x7fffffff;
}

/* Payload bytes between the prefix and the padding. */
static void body(struct h2_parser *p, const uint8_t *d, uint32_t n)
{
	if (p->type == T_DATA) {
		int end = p->flags & F_END_STREAM && p->pos + n == p->body_end;

		p->end_sent |= end;
		p->counters[H2_C_DATA_BYTES] += n;
		if (p->cb && p->cb->on_data)
			p->cb->on_data(p->ctx, p->sid, d, n, end);
	} else if (is_block_frame(p->type)) {
		block_append(p, d, n);
	} else if (p->pos < H2_CTL_MAX) {
		memcpy(p->ctl + p->pos, d, min32(n, H2_CTL_MAX - p->pos));
	}
}

/* The frame's last byte was read: what needed the whole frame is reported now. */
static void frame_end(struct h2_parser *p)
{
	const struct h2_callbacks *cb = p->cb;

	p->state = ST_HEAD;
	switch (p->type) {
	case T_DATA:
		if (p->flags & F_END_STREAM) {
			if (!p->end_sent && cb && cb->on_data)
				cb->on_data(p->ctx, p->sid, (const uint8_t *)"", 0, 1);
			stream_del(p, p->sid);
		} else {
			stream_mark(p, p->sid, SS_DATA);
		}
		break;
	case T_HEADERS:
	case T_PUSH_PROMISE:
	case T_CONTINUATION:
		p->in_block = !(p->flags & F_END_HEADERS);
		if (!p->in_block)
			block_done(p);
		break;
	case T_RST_STREAM:
		if (cb && cb->on_rst_stream)
			cb->on_rst_stream(p->ctx, p->sid, get32(p->ctl));
		stream_del(p, p->sid);
		break;
	case T_GOAWAY:
		if (cb && cb->on_goaway)
			cb->on_goaway(p->ctx, get32(p->ctl) & 0x7fffffff, get32(p->ctl + 4));
		break;
	case T_SETTINGS: {
		struct h2_setting s[H2_CTL_MAX / 6];
		size_t n = min32(p->len, H2_CTL_MAX) / 6;

		for (size_t i = 0; i < n; i++) {
			s[i].id = (uint16_t)(p->ctl[6 * i] << 8 | p->ctl[6 * i + 1]);
			s[i].value = get32(p->ctl + 6 * i + 2);
		}
		if (cb && cb->on_settings)
			cb->on_settings(p->ctx, s, n, p->flags & F_ACK);
		break;
	}
	}
}

static size_t payload(struct h2_parser *p, const uint8_t *d, size_t n)
{
	size_t used = 0;

	while (used < n && p->pos < p->len) {
		uint32_t k;

		if (p->pos < p->pre_len) {
			p->pre[p->pos++] = d[used++];
			if (p->pos == p->pre_len)
				prefix_done(p);
			continue;
		}
		if (p->pos < p->body_end && !p->bad) {
			k = (uint32_t)(n - used < p->body_end - p->pos ? n - used
								       : p->body_end - p->pos);
			p->body_at = p->abs + used;
			body(p, d + used, k);
		} else {
			k = (uint32_t)(n - used < p->len - p->pos ? n - used : p->len - p->pos);
		}
		p->pos += k;
		used += k;
	}
	return used;
}

/* Reads frames from d while in step; stops early if the boundaries are lost. */
static size_t run_sync(struct h2_parser *p, const uint8_t *d, size_t n)
{
	size_t used = 0, k;

	while (p->state != ST_LOST) {
		/* a frame with an empty payload ends without another byte */
		if (p->state == ST_PAYLOAD && p->pos == p->len) {
			frame_end(p);
			continue;
		}
		if (used == n)
			break;
		switch (p->state) {
		case ST_PREFACE:
			if (d[used] != preface[p->preface_pos]) {
				p->requeue = preface;
				p->requeue_len = p->preface_pos;
				lose(p, H2_ERR_JOIN);
				return used;
			}
			used++;
			p->abs++;
			if (++p->preface_pos == PREFACE_LEN) {
				p->state = ST_HEAD;
				p->hpack_ok = 1;
			}
			break;
		case ST_HEAD:
			k = n - used < (size_t)(FRAME_HDR - p->hdr_len)
				    ? n - used
				    : (size_t)(FRAME_HDR - p->hdr_len);
			memcpy(p->hdr + p->hdr_len, d + used, k);
			p->hdr_len += (uint8_t)k;
			used += k;
			p->abs += k;
			if (p->hdr_len == FRAME_HDR)
				head_done(p);
			break;
		case ST_PAYLOAD:
			k = payload(p, d + used, n - used);
			used += k;
			p->abs += k;
			break;
		}
	}
	return used;
}

static int sb_alloc(struct h2_parser *p)
{
	if (!p->sb) {
		p->sb = malloc((size_t)p->lim.resync_window + FRAME_HDR + PREFACE_LEN);
		p->sb_off = p->sb_len = 0;
		if (!p->sb) {
			report(p, H2_ERR_NO_MEMORY);
			return -ENOMEM;
		}
	}
	return 0;
}

static void sb_release(struct h2_parser *p)
{
	free(p->sb);
	p->sb = NULL;
	p->sb_off = p->sb_len = 0;
}

/* Puts the bytes that lost the boundary back in front of the scan buffer. */
static void requeue(struct h2_parser *p)
{
	uint32_t n = p->requeue_len, pending;

	p->requeue_len = 0;
	if (!n)
		return;
	if (sb_alloc(p)) {
		p->counters[H2_C_SKIPPED_BYTES] += n;
		return;
	}
	pending = p->sb_len - p->sb_off;
	if (p->sb_off >= n) {
		p->sb_off -= n;
		memmove(p->sb + p->sb_off, p->requeue, n);
	} else {
		memmove(p->sb + n, p->sb + p->sb_off, pending);
		memcpy(p->sb, p->requeue, n);
		p->sb_off = 0;
		p->sb_len = n + pending;
	}
	p->abs -= n;
}

/* Drops bytes from the scan buffer's front until a boundary is found (1) or more are needed (0). */
static int scan(struct h2_parser *p)
{
	for (;;) {
		int v = chain_check(p, p->sb + p->sb_off, p->sb_len - p->sb_off);

		/* never the boundary just lost again: that would not move on */
		if (v > 0 && p->abs == p->last_resync_abs)
			v = -1;
		if (!v)
			return 0;
		if (v > 0) {
			p->state = ST_HEAD;
			p->hdr_len = 0;
			p->in_block = 0;
			p->last_resync_abs = p->abs;
			p->counters[H2_C_RESYNC]++;
			return 1;
		}
		p->sb_off++;
		p->abs++;
		p->counters[H2_C_SKIPPED_BYTES]++;
	}
}

/*
 * Bytes flow one way: while in step they are read straight from data; while lost they are
 * copied to the scan buffer (at most resync_window) and scanned there. When a boundary is
 * found, the rest of the scan buffer is read in step before any newer input, and if the
 * boundary is lost again on the way, what is left of it is scanned again in place.
 */
void h2_feed(struct h2_parser *p, const uint8_t *data, size_t len, const struct h2_callbacks *cb,
	     void *ctx)
{
	p->cb = cb;
	p->ctx = ctx;
	p->counters[H2_C_BYTES] += len;
	for (;;) {
		uint32_t pending = p->sb_len - p->sb_off, k;

		if (p->state == ST_LOST) {
			if (sb_alloc(p)) {
				p->counters[H2_C_SKIPPED_BYTES] += len;
				break;
			}
			if (p->sb_off) {
				memmove(p->sb, p->sb + p->sb_off, pending);
				p->sb_off = 0;
				p->sb_len = pending;
			}
			k = pending < p->lim.resync_window ? p->lim.resync_window - pending : 0;
			k = (uint32_t)(len < k ? len : k);
			if (k)
				memcpy(p->sb + p->sb_len, data, k);
			p->sb_len += k;
			data += k;
			len -= k;
			if (!scan(p) && !len)
				break;
			continue;
		}
		if (pending) {
			/* the bytes a boundary was found in, before any newer ones */
			k = (uint32_t)run_sync(p, p->sb + p->sb_off, pending);
			p->sb_off += k;
		} else if (len) {
			k = (uint32_t)run_sync(p, data, len);
			data += k;
			len -= k;
		} else {
			break;
		}
		if (p->state == ST_LOST)
			requeue(p);
		else if (p->sb && p->sb_off == p->sb_len)
			sb_release(p);
	}
	p->cb = NULL;
	p->ctx = NULL;
}

void h2_gap(struct h2_parser *p)
{
	p->cb = NULL;
	p->counters[H2_C_SKIPPED_BYTES] += p->sb_len - p->sb_off;
	p->sb_off = p->sb_len = 0;
	p->requeue_len = 0;
	lose(p, H2_ERR_GAP);
}

void h2_peer_settings(struct h2_parser *p, const struct h2_setting *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].id == SETTINGS_MFS && s[i].value >= PROTO_MAX_DATA &&
		    s[i].value <= FRAME_LEN_MAX)
			p->peer_max_frame = s[i].value;
}

static uint32_t pick(uint32_t v, uint32_t def, uint32_t lo, uint32_t hi)
{
	if (!v)
		v = def;
	return v < lo ? lo : v > hi ? hi : v;
}

int h2_init(struct h2_parser *p, enum h2_dir dir, const struct h2_limits *lim)
{
	struct h2_limits l = lim ? *lim : (struct h2_limits){0};

	memset(p, 0, sizeof(*p));
	p->lim.max_frame_size =
		pick(l.max_frame_size, FRAME_LEN_MAX, PROTO_MAX_DATA, FRAME_LEN_MAX);
	p->lim.max_header_block = pick(l.max_header_block, 65536, 1, 1u << 24);
	p->lim.max_header_list = pick(l.max_header_list, 65536, 1, 1u << 24);
	p->lim.max_fields = pick(l.max_fields, 256, 1, 1u << 16);
	/* below the protocol's initial size the inflater would demand a size update first */
	p->lim.max_table_size = pick(l.max_table_size, 65536, HPACK_INITIAL, 1u << 24);
	p->lim.max_streams = pick(l.max_streams, 256, 1, 1u << 16);
	p->lim.resync_window = pick(l.resync_window, 65536, 1024, 1u << 24);
	p->dir = dir;
	p->state = dir == H2_CLIENT ? ST_PREFACE : ST_HEAD;
	p->first = dir == H2_SERVER;
	p->last_resync_abs = UINT64_MAX;
	hd_new(p);
	if (!p->hd)
		return -ENOMEM;
	return 0;
}

void h2_free(struct h2_parser *p)
{
	if (p->hd)
		nghttp2_hd_inflate_del(p->hd);
	p->hd = NULL;
	free(p->blk);
	free(p->out);
	free(p->offs);
	free(p->arena);
	free(p->streams);
	free(p->sb);
	free(p->segs);
	p->segs = NULL;
	p->nsegs = p->cap_segs = 0;
	p->blk = NULL;
	p->out = NULL;
	p->offs = NULL;
	p->arena = NULL;
	p->streams = NULL;
	p->sb = NULL;
	p->blk_cap = p->cap_fields = p->cap_offs = p->arena_cap = p->cap_streams = 0;
	p->blk_len = p->nfields = p->arena_len = p->nstreams = 0;
	p->sb_off = p->sb_len = 0;
}

int h2_hpack_desynced(const struct h2_parser *p)
{
	return !p->hpack_ok;
}

int h2_frames_lost(const struct h2_parser *p)
{
	return p->state == ST_LOST;
}

const uint64_t *h2_counters(const struct h2_parser *p)
{
	return p->counters;
}

// SPDX-License-Identifier: MIT
/*
 * Strictness, where the RFCs leave a choice to the reader: every length must fit its
 * container, the extensions must end the message exactly, and the lists of the extensions we
 * read must fill their extension exactly (as OpenSSL and BoringSSL require). Bodies of other
 * extensions are not looked at. When an extension appears twice, the first copy is kept and
 * the second is only checked. Bytes after the hello (the next record or message) are never
 * read, so the answer for a stream does not depend on what follows the hello.
 */
#include <string.h>

#include "wire/hello.h"

#define REC_HDR	      5
#define REC_MAX	      (16384 + 2048) /* RFC 8446 5.2: the largest TLSCiphertext fragment */
#define CT_HANDSHAKE  22
#define HS_HDR	      4
#define HS_CLIENT     1
#define HS_SERVER     2
#define SSL2_CLIENT   1
#define SSL2_SERVER   4
#define RANDOM_LEN    32
#define SESSION_MAX   32
#define EXT_SNI	      0
#define EXT_GROUPS    10
#define EXT_EC_FMT    11
#define EXT_SIG_ALGS  13
#define EXT_ALPN      16
#define EXT_VERSIONS  43
#define EXT_KEY_SHARE 51

/* RFC 8446 4.1.3: SHA-256("HelloRetryRequest"), the random of every HelloRetryRequest. */
static const uint8_t hrr_random[RANDOM_LEN] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static const char *const status_names[] = {
	[HELLO_DONE - HELLO_ERR__MIN] = "done",
	[HELLO_MORE - HELLO_ERR__MIN] = "more",
	[HELLO_ERR_NOT_TLS - HELLO_ERR__MIN] = "not_tls",
	[HELLO_ERR_SSLV2 - HELLO_ERR__MIN] = "sslv2",
	[HELLO_ERR_RECORD - HELLO_ERR__MIN] = "record",
	[HELLO_ERR_NOT_HELLO - HELLO_ERR__MIN] = "not_hello",
	[HELLO_ERR_LENGTH - HELLO_ERR__MIN] = "length",
	[HELLO_ERR_EXTENSION - HELLO_ERR__MIN] = "extension",
	[HELLO_ERR_TOO_LARGE - HELLO_ERR__MIN] = "too_large",
};

const char *hello_status_name(int status)
{
	if (status < HELLO_ERR__MIN || status > HELLO_DONE)
		return "unknown";
	return status_names[status - HELLO_ERR__MIN];
}

int tls_is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* An empty buffer could begin anything: it is not called a handshake. */
int tls_looks_like_handshake(const uint8_t *p, size_t len)
{
	return len >= 1 && p[0] == CT_HANDSHAKE && (len < 2 || p[1] == 3);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * Checks the record headers at the start of the stream until they carry `want` handshake
 * bytes. HELLO_DONE when they do, HELLO_MORE when the stream ends first. Only the bytes up to
 * the want-th handshake byte are looked at, so a longer stream never changes an answer that
 * a shorter one gave, except MORE.
 */
static int records_carry(const uint8_t *s, size_t len, size_t want)
{
	size_t pos = 0, got = 0;

	while (got < want) {
		size_t have = len - pos, rlen;

		/* Another content type inside a handshake message is illegal (RFC 8446 5.1). */
		if (have >= 1 && s[pos] != CT_HANDSHAKE)
			return pos ? HELLO_ERR_RECORD : HELLO_ERR_NOT_TLS;
		if (have >= 2 && s[pos + 1] != 3)
			return HELLO_ERR_RECORD;
		if (have < REC_HDR)
			return HELLO_MORE;
		rlen = get16(s + pos + 3);
		if (!rlen || rlen > REC_MAX)
			return HELLO_ERR_RECORD;
		pos += REC_HDR;
		if (len - pos < rlen) {
			got += len - pos;
			return got >= want ? HELLO_DONE : HELLO_MORE;
		}
		got += rlen;
		pos += rlen;
	}
	return HELLO_DONE;
}

/*
 * A forward-only reader of one handshake message that spans records: message offsets in,
 * record headers skipped. It only runs over records that records_carry() has checked up to
 * the message's end, and never reads past that end.
 */
struct rd {
	const uint8_t *s;
	size_t pos;	/* stream offset of the next byte */
	size_t rec_end; /* stream offset where the current record's payload ends */
	uint32_t off;	/* message offset of the next byte */
	uint32_t end;	/* message length, header included */
};

static void rd_init(struct rd *r, const uint8_t *s, uint32_t end)
{
	r->s = s;
	r->pos = r->rec_end = 0;
	r->off = 0;
	r->end = end;
}

/* Copies n bytes to dst, or skips them if dst is NULL. Callers check n against a container. */
static void rd_read(struct rd *r, void *dst, uint32_t n)
{
	uint8_t *d = dst;

	if (n > r->end - r->off) {
		/* Unreachable while callers check their containers; zeros, never an over-read. */
		if (d)
			memset(d, 0, n);
		return;
	}
	while (n) {
		size_t k;

		if (r->pos == r->rec_end) {
			r->rec_end = r->pos + REC_HDR + get16(r->s + r->pos + 3);
			r->pos += REC_HDR;
		}
		k = r->rec_end - r->pos;
		if (k > n)
			k = n;
		if (d) {
			memcpy(d, r->s + r->pos, k);
			d += k;
		}
		r->pos += k;
		r->off += k;
		n -= k;
	}
}

static uint8_t rd_u8(struct rd *r)
{
	uint8_t v;

	rd_read(r, &v, 1);
	return v;
}

static uint16_t rd_u16(struct rd *r)
{
	uint8_t v[2];

	rd_read(r, v, 2);
	return get16(v);
}

/* Reads a vector's length field (1 or 2 bytes) and checks the vector fits before `end`. */
static int rd_vec(struct rd *r, uint32_t end, int lenbytes, uint32_t *vlen, int err)
{
	if ((uint32_t)lenbytes > end - r->off)
		return err;
	*vlen = lenbytes == 1 ? rd_u8(r) : rd_u16(r);
	return *vlen > end - r->off ? err : 0;
}

/*
 * Undoes the record layer and reads the handshake header. HELLO_DONE when the whole message
 * of the expected type is in the stream; then r is set to read its body.
 */
static int start_message(const uint8_t *s, size_t len, int type, struct rd *r, uint32_t *mlen)
{
	uint8_t hdr[HS_HDR];
	int st;

	if (len >= 1 && s[0] & 0x80) {
		/*
		 * An SSLv2 record: a 2-byte length with the high bit set, then the message type
		 * (CLIENT-HELLO 1, SERVER-HELLO 4). TLS records never start with that bit.
		 */
		if (len < 3)
			return HELLO_MORE;
		return s[2] == (type == HS_CLIENT ? SSL2_CLIENT : SSL2_SERVER) ? HELLO_ERR_SSLV2
									       : HELLO_ERR_NOT_TLS;
	}
	st = records_carry(s, len, 1);
	if (st != HELLO_DONE)
		return st;
	rd_init(r, s, HS_HDR);
	rd_read(r, hdr, 1);
	if (hdr[0] != type)
		return HELLO_ERR_NOT_HELLO;
	st = records_carry(s, len, HS_HDR);
	if (st != HELLO_DONE)
		return st;
	rd_read(r, hdr + 1, HS_HDR - 1);
	*mlen = (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (*mlen > HELLO_MAX_MSG)
		return HELLO_ERR_TOO_LARGE;
	st = records_carry(s, len, HS_HDR + (size_t)*mlen);
	if (st != HELLO_DONE)
		return st;
	r->end = HS_HDR + *mlen;
	return HELLO_DONE;
}

static void put16(uint16_t *v, uint16_t *n, unsigned int cap, uint16_t x, uint8_t *truncated)
{
	if (*n < cap)
		v[(*n)++] = x;
	else
		*truncated = 1;
}

/* A list of 16-bit values filling the whole extension body behind a 1- or 2-byte length. */
static int ext_list16(struct rd *r, uint32_t end, int lenbytes, uint16_t *v, uint16_t *n,
		      uint8_t *truncated)
{
	uint32_t vlen;

	if (rd_vec(r, end, lenbytes, &vlen, HELLO_ERR_EXTENSION) || vlen != end - r->off ||
	    vlen % 2)
		return HELLO_ERR_EXTENSION;
	for (; vlen; vlen -= 2) {
		uint16_t x = rd_u16(r);

		if (v)
			put16(v, n, HELLO_MAX_LIST, x, truncated);
	}
	return 0;
}

/*
 * server_name: has_sni is set when the extension is present at all (JA4 keys on presence),
 * sni holds the first host_name entry. An empty body (what servers echo, and what a few
 * clients send) and an empty host_name are both accepted as has_sni with sni_len 0: the
 * hello is still worth a fingerprint. A name longer than HELLO_SNI_LEN sets truncated.
 */
static int ext_sni(struct rd *r, uint32_t end, struct tls_client_hello *ch, int store)
{
	uint32_t list, n;
	int have_name = 0;

	if (store)
		ch->has_sni = 1;
	if (r->off == end)
		return 0;
	if (rd_vec(r, end, 2, &list, HELLO_ERR_EXTENSION) || list != end - r->off)
		return HELLO_ERR_EXTENSION;
	while (r->off < end) {
		uint8_t type;

		if (end - r->off < 3)
			return HELLO_ERR_EXTENSION;
		type = rd_u8(r);
		if (rd_vec(r, end, 2, &n, HELLO_ERR_EXTENSION))
			return HELLO_ERR_EXTENSION;
		if (type == 0 && store && !have_name) {
			uint32_t keep = n > HELLO_SNI_LEN ? HELLO_SNI_LEN : n;

			rd_read(r, ch->sni, keep);
			rd_read(r, NULL, n - keep);
			ch->sni[keep] = 0;
			ch->sni_len = (uint8_t)keep;
			if (keep < n)
				ch->truncated = 1;
			have_name = 1;
		} else {
			rd_read(r, NULL, n);
		}
	}
	return 0;
}

/* One ProtocolName (RFC 7301: 1..255 bytes; an empty one is kept, JA4 defines it). */
static void alpn_read(struct rd *r, uint8_t n, struct tls_alpn *a)
{
	if (a) {
		rd_read(r, a->name, n);
		a->name[n] = 0;
		a->len = n;
	} else {
		rd_read(r, NULL, n);
	}
}

static int ext_alpn(struct rd *r, uint32_t end, struct tls_client_hello *ch, int store)
{
	uint32_t list;

	if (rd_vec(r, end, 2, &list, HELLO_ERR_EXTENSION) || list != end - r->off)
		return HELLO_ERR_EXTENSION;
	while (r->off < end) {
		uint8_t n = rd_u8(r);
		struct tls_alpn *a = NULL;

		if (n > end - r->off)
			return HELLO_ERR_EXTENSION;
		if (store && ch->n_alpn < HELLO_MAX_ALPN)
			a = &ch->alpn[ch->n_alpn++];
		else if (store)
			ch->truncated = 1;
		alpn_read(r, n, a);
	}
	return 0;
}

static int ext_key_share(struct rd *r, uint32_t end, struct tls_client_hello *ch, int store)
{
	uint32_t list, n;

	if (rd_vec(r, end, 2, &list, HELLO_ERR_EXTENSION) || list != end - r->off)
		return HELLO_ERR_EXTENSION;
	while (r->off < end) {
		uint16_t group;

		if (end - r->off < 4)
			return HELLO_ERR_EXTENSION;
		group = rd_u16(r);
		if (rd_vec(r, end, 2, &n, HELLO_ERR_EXTENSION))
			return HELLO_ERR_EXTENSION;
		rd_read(r, NULL, n);
		if (store)
			put16(ch->key_shares, &ch->n_key_shares, HELLO_MAX_LIST, group,
			      &ch->truncated);
	}
	return 0;
}

static int ext_ec_formats(struct rd *r, uint32_t end, struct tls_client_hello *ch, int store)
{
	uint32_t list;

	if (rd_vec(r, end, 1, &list, HELLO_ERR_EXTENSION) || list != end - r->off)
		return HELLO_ERR_EXTENSION;
	for (; list; list--) {
		uint8_t f = rd_u8(r);

		if (!store)
			continue;
		if (ch->n_ec_formats < HELLO_MAX_LIST)
			ch->ec_formats[ch->n_ec_formats++] = f;
		else
			ch->truncated = 1;
	}
	return 0;
}

/* Bits of the extensions whose bodies are kept: the first copy wins, later ones are checked. */
static unsigned int ext_bit(uint16_t type)
{
	switch (type) {
	case EXT_SNI:
		return 1u << 0;
	case EXT_GROUPS:
		return 1u << 1;
	case EXT_EC_FMT:
		return 1u << 2;
	case EXT_SIG_ALGS:
		return 1u << 3;
	case EXT_ALPN:
		return 1u << 4;
	case EXT_VERSIONS:
		return 1u << 5;
	case EXT_KEY_SHARE:
		return 1u << 6;
	}
	return 0;
}

static int ch_ext(struct rd *r, uint32_t end, uint16_t type, struct tls_client_hello *ch, int store)
{
	uint16_t *v = NULL, *n = NULL;

	switch (type) {
	case EXT_SNI:
		return ext_sni(r, end, ch, store);
	case EXT_ALPN:
		return ext_alpn(r, end, ch, store);
	case EXT_KEY_SHARE:
		return ext_key_share(r, end, ch, store);
	case EXT_EC_FMT:
		return ext_ec_formats(r, end, ch, store);
	case EXT_VERSIONS:
		v = ch->versions, n = &ch->n_versions;
		return ext_list16(r, end, 1, store ? v : NULL, n, &ch->truncated);
	case EXT_GROUPS:
		v = ch->groups, n = &ch->n_groups;
		break;
	case EXT_SIG_ALGS:
		v = ch->sig_algs, n = &ch->n_sig_algs;
		break;
	default:
		rd_read(r, NULL, end - r->off);
		return 0;
	}
	return ext_list16(r, end, 2, store ? v : NULL, n, &ch->truncated);
}

/*
 * The extensions block, which must end the message exactly. Each extension's type is kept in
 * exts[]; an extension that overruns the block is HELLO_ERR_LENGTH, a malformed body of a
 * known one HELLO_ERR_EXTENSION.
 */
static int parse_exts(struct rd *r, uint16_t *exts, uint16_t *n_exts, uint8_t *truncated,
		      int (*body)(struct rd *, uint32_t, uint16_t, void *, unsigned int *),
		      void *out)
{
	unsigned int seen = 0;
	uint32_t blen, end = r->end;
	int err;

	if (r->off == end)
		return HELLO_DONE; /* extensions are optional before TLS 1.3 */
	if (rd_vec(r, end, 2, &blen, HELLO_ERR_LENGTH) || blen != end - r->off)
		return HELLO_ERR_LENGTH;
	while (r->off < end) {
		uint32_t elen, eend;
		uint16_t type;

		if (end - r->off < 4)
			return HELLO_ERR_LENGTH;
		type = rd_u16(r);
		if (rd_vec(r, end, 2, &elen, HELLO_ERR_LENGTH))
			return HELLO_ERR_LENGTH;
		put16(exts, n_exts, HELLO_MAX_EXTS, type, truncated);
		eend = r->off + elen;
		err = body(r, eend, type, out, &seen);
		if (err)
			return err;
		if (r->off < eend)
			rd_read(r, NULL, eend - r->off);
	}
	return HELLO_DONE;
}

static int ch_ext_body(struct rd *r, uint32_t end, uint16_t type, void *out, unsigned int *seen)
{
	unsigned int bit = ext_bit(type);
	int err = ch_ext(r, end, type, out, !(*seen & bit));

	*seen |= bit;
	return err;
}

/* legacy_version, random and session id, common to both hellos */
static int parse_head(struct rd *r, uint16_t *version, uint8_t *random)
{
	uint32_t n;

	if (2 + RANDOM_LEN > r->end - r->off)
		return HELLO_ERR_LENGTH;
	*version = rd_u16(r);
	rd_read(r, random, RANDOM_LEN);
	if (rd_vec(r, r->end, 1, &n, HELLO_ERR_LENGTH) || n > SESSION_MAX)
		return HELLO_ERR_LENGTH;
	rd_read(r, NULL, n);
	return 0;
}

int tls_parse_client_hello(const uint8_t *stream, size_t len, struct tls_client_hello *out)
{
	uint8_t random[RANDOM_LEN];
	struct rd r;
	uint32_t n;
	int st;

	memset(out, 0, sizeof(*out));
	st = start_message(stream, len, HS_CLIENT, &r, &out->msg_len);
	if (st != HELLO_DONE)
		return st;
	st = parse_head(&r, &out->legacy_version, random);
	if (st)
		return st;
	if (rd_vec(&r, r.end, 2, &n, HELLO_ERR_LENGTH) || n % 2)
		return HELLO_ERR_LENGTH;
	for (; n; n -= 2)
		put16(out->ciphers, &out->n_ciphers, HELLO_MAX_CIPHERS, rd_u16(&r),
		      &out->truncated);
	if (rd_vec(&r, r.end, 1, &n, HELLO_ERR_LENGTH))
		return HELLO_ERR_LENGTH;
	rd_read(&r, NULL, n);
	return parse_exts(&r, out->exts, &out->n_exts, &out->truncated, ch_ext_body, out);
}

static int sh_ext_body(struct rd *r, uint32_t end, uint16_t type, void *out, unsigned int *seen)
{
	struct tls_server_hello *sh = out;
	unsigned int bit = ext_bit(type);
	int store = !(*seen & bit);
	uint32_t n;

	*seen |= bit;
	switch (type) {
	case EXT_VERSIONS:
		/* RFC 8446 4.2.1: the server answers with the one version it selected. */
		if (end - r->off != 2)
			return HELLO_ERR_EXTENSION;
		n = rd_u16(r);
		if (store)
			sh->version = (uint16_t)n;
		return 0;
	case EXT_KEY_SHARE:
		/* HelloRetryRequest: the group asked for; ServerHello: one KeyShareEntry. */
		if (end - r->off < 2)
			return HELLO_ERR_EXTENSION;
		n = rd_u16(r);
		if (store)
			sh->key_share = (uint16_t)n;
		if (sh->hrr)
			return r->off == end ? 0 : HELLO_ERR_EXTENSION;
		if (rd_vec(r, end, 2, &n, HELLO_ERR_EXTENSION) || n != end - r->off)
			return HELLO_ERR_EXTENSION;
		rd_read(r, NULL, n);
		return 0;
	case EXT_ALPN: {
		/* RFC 7301 3.1: exactly one ProtocolName. */
		uint8_t len;

		if (rd_vec(r, end, 2, &n, HELLO_ERR_EXTENSION) || n != end - r->off || n < 1)
			return HELLO_ERR_EXTENSION;
		len = rd_u8(r);
		if (len != end - r->off)
			return HELLO_ERR_EXTENSION;
		alpn_read(r, len, store ? &sh->alpn : NULL);
		if (store)
			sh->has_alpn = 1;
		return 0;
	}
	}
	rd_read(r, NULL, end - r->off);
	return 0;
}

int tls_parse_server_hello(const uint8_t *stream, size_t len, struct tls_server_hello *out)
{
	uint8_t random[RANDOM_LEN];
	uint32_t mlen;
	struct rd r;
	int st;

	memset(out, 0, sizeof(*out));
	st = start_message(stream, len, HS_SERVER, &r, &mlen);
	if (st != HELLO_DONE)
		return st;
	st = parse_head(&r, &out->legacy_version, random);
	if (st)
		return st;
	out->hrr = !memcmp(random, hrr_random, RANDOM_LEN);
	if (3 > r.end - r.off)
		return HELLO_ERR_LENGTH;
	out->cipher = rd_u16(&r);
	out->compression = rd_u8(&r);
	st = parse_exts(&r, out->exts, &out->n_exts, &out->truncated, sh_ext_body, out);
	if (st == HELLO_DONE && !out->version)
		out->version = out->legacy_version;
	return st;
}

// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "wire/ja.h"

#define JA4_HASH_LEN 12
#define EXT_SNI	     0x0000
#define EXT_ALPN     0x0010

static const char hexdig[] = "0123456789abcdef";

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdig[p[i] >> 4];
		out[2 * i + 1] = hexdig[p[i] & 15];
	}
	out[2 * n] = 0;
}

/* Decimal values joined by '-', GREASE left out (JA3). */
static void put_dec_list(struct buf *b, const uint16_t *v, unsigned int n)
{
	const char *sep = "";

	for (unsigned int i = 0; i < n; i++) {
		if (tls_is_grease(v[i]))
			continue;
		buf_puts(b, sep);
		buf_put_uint(b, v[i]);
		sep = "-";
	}
}

void ja3_string(struct buf *b, const struct tls_client_hello *ch)
{
	buf_put_uint(b, ch->legacy_version);
	buf_putc(b, ',');
	put_dec_list(b, ch->ciphers, ch->n_ciphers);
	buf_putc(b, ',');
	put_dec_list(b, ch->exts, ch->n_exts);
	buf_putc(b, ',');
	put_dec_list(b, ch->groups, ch->n_groups);
	buf_putc(b, ',');
	/* ec_point_formats are single bytes: no GREASE values exist for them. */
	for (unsigned int i = 0; i < ch->n_ec_formats; i++) {
		if (i)
			buf_putc(b, '-');
		buf_put_uint(b, ch->ec_formats[i]);
	}
}

void ja3s_string(struct buf *b, const struct tls_server_hello *sh)
{
	buf_put_uint(b, sh->legacy_version);
	buf_putc(b, ',');
	buf_put_uint(b, sh->cipher);
	buf_putc(b, ',');
	put_dec_list(b, sh->exts, sh->n_exts);
}

void ja_md5_hex(const char *s, size_t n, char *out)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(s, n, md, &mdlen, EVP_md5(), NULL) || mdlen != JA3_MD5_LEN / 2) {
		memset(out, '0', JA3_MD5_LEN);
		out[JA3_MD5_LEN] = 0;
		return;
	}
	hex(md, mdlen, out);
}

/* The first 12 hex digits of SHA-256(s), or twelve zeros when s is empty (JA4 rule). */
static void ja4_hash12(const char *s, size_t n, char *out)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char full[2 * EVP_MAX_MD_SIZE + 1];

	if (!n || !EVP_Digest(s, n, md, &mdlen, EVP_sha256(), NULL) || mdlen < JA4_HASH_LEN / 2) {
		memset(out, '0', JA4_HASH_LEN);
	} else {
		hex(md, mdlen, full);
		memcpy(out, full, JA4_HASH_LEN);
	}
	out[JA4_HASH_LEN] = 0;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* "002f,0035,...": 4 lowercase hex digits per value. out holds 5 * n + 1 bytes. */
static size_t put_hex_list(char *out, const uint16_t *v, unsigned int n)
{
	char *p = out;

	for (unsigned int i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		*p++ = hexdig[v[i] >> 12];
		*p++ = hexdig[(v[i] >> 8) & 15];
		*p++ = hexdig[(v[i] >> 4) & 15];
		*p++ = hexdig[v[i] & 15];
	}
	*p = 0;
	return (size_t)(p - out);
}

/* Copies the values that are not GREASE (nor skip_a, skip_b when >= 0). */
static unsigned int filter(uint16_t *dst, const uint16_t *v, unsigned int n, int skip_a, int skip_b)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < n; i++)
		if (!tls_is_grease(v[i]) && v[i] != skip_a && v[i] != skip_b)
			dst[k++] = v[i];
	return k;
}

/* JA4 spec, "TLS and DTLS Version". */
static const char *ja4_version(const struct tls_client_hello *ch)
{
	uint16_t v = ch->legacy_version;
	int have = 0;

	for (unsigned int i = 0; i < ch->n_versions; i++) {
		if (tls_is_grease(ch->versions[i]))
			continue;
		if (!have || ch->versions[i] > v)
			v = ch->versions[i];
		have = 1;
	}
	switch (v) {
	case 0x0304:
		return "13";
	case 0x0303:
		return "12";
	case 0x0302:
		return "11";
	case 0x0301:
		return "10";
	case 0x0300:
		return "s3";
	case 0x0002:
		return "s2";
	case 0xfeff:
		return "d1";
	case 0xfefd:
		return "d2";
	case 0xfefc:
		return "d3";
	}
	return "00";
}

static int is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/*
 * JA4 spec, "ALPN Extension Value": the first and last characters of the first ALPN value
 * ("00" if there is none or it is empty; a one-character value gives that character twice).
 * When either end is not ASCII alphanumeric, the first and last characters of the value's hex
 * form instead: the high nibble of the first byte and the low nibble of the last.
 */
static void ja4_alpn(const struct tls_client_hello *ch, char out[2])
{
	const struct tls_alpn *a = &ch->alpn[0];
	uint8_t first, last;

	if (!ch->n_alpn || !a->len) {
		out[0] = out[1] = '0';
		return;
	}
	first = (uint8_t)a->name[0];
	last = (uint8_t)a->name[a->len - 1];
	if (is_alnum(first) && is_alnum(last)) {
		out[0] = (char)first;
		out[1] = (char)last;
	} else {
		out[0] = hexdig[first >> 4];
		out[1] = hexdig[last & 15];
	}
}

void ja4(const struct tls_client_hello *ch, char transport, char *out, struct buf *raw)
{
	uint16_t ciphers[HELLO_MAX_CIPHERS], exts[HELLO_MAX_EXTS], sigs[HELLO_MAX_LIST];
	unsigned int n_ciphers, n_exts, n_sigs, n_all_exts;
	char cstr[5 * HELLO_MAX_CIPHERS + 1], estr[5 * (HELLO_MAX_EXTS + HELLO_MAX_LIST) + 1];
	char hb[JA4_HASH_LEN + 1], hc[JA4_HASH_LEN + 1], alpn[2];
	size_t clen, elen;

	n_ciphers = filter(ciphers, ch->ciphers, ch->n_ciphers, -1, -1);
	n_all_exts = filter(exts, ch->exts, ch->n_exts, -1, -1);
	n_exts = filter(exts, ch->exts, ch->n_exts, EXT_SNI, EXT_ALPN);
	n_sigs = filter(sigs, ch->sig_algs, ch->n_sig_algs, -1, -1);
	qsort(ciphers, n_ciphers, sizeof(ciphers[0]), cmp_u16);
	qsort(exts, n_exts, sizeof(exts[0]), cmp_u16);

	clen = put_hex_list(cstr, ciphers, n_ciphers);
	elen = put_hex_list(estr, exts, n_exts);
	/* Signature algorithms in wire order after '_', and no '_' when there are none. */
	if (n_sigs) {
		estr[elen++] = '_';
		elen += put_hex_list(estr + elen, sigs, n_sigs);
	}
	ja4_hash12(cstr, clen, hb);
	/* "If there are no extensions in the sorted extensions list": twelve zeros. */
	ja4_hash12(estr, n_exts ? elen : 0, hc);
	ja4_alpn(ch, alpn);

	snprintf(out, JA4_LEN + 1, "%c%s%c%02u%02u%c%c_%s_%s", transport, ja4_version(ch),
		 ch->has_sni ? 'd' : 'i', n_ciphers > 99 ? 99 : n_ciphers,
		 n_all_exts > 99 ? 99 : n_all_exts, alpn[0], alpn[1], hb, hc);
	if (raw)
		buf_printf(raw, "%.10s_%s_%s", out, cstr, estr);
}

// SPDX-License-Identifier: MIT
#include <string.h>

#include "bytes.h"
#include "check.h"
#include "wire/hello.h"

/* Hellos are assembled here field by field (bytes.h), then cut into records of a chosen size. */

struct u16s {
	const uint16_t *v;
	unsigned int n;
};

#define U16(...)                                                                                   \
	{                                                                                          \
		(const uint16_t[]){__VA_ARGS__},                                                   \
			sizeof((const uint16_t[]){__VA_ARGS__}) / sizeof(uint16_t)                 \
	}

struct ch_spec {
	uint16_t version;
	struct u16s ciphers;
	struct u16s exts; /* types in wire order; bodies from the fields below */
	const char *sni;  /* NULL: an empty server_name body */
	const char *const *alpn;
	unsigned int n_alpn;
	struct u16s groups, sig_algs, versions, shares;
	/* when set: the bytes after compression_methods, instead of built extensions */
	const uint8_t *raw;
	size_t n_raw;
};

static void ch_ext_body(struct bytes *b, const struct ch_spec *s, uint16_t type)
{
	size_t at;

	switch (type) {
	case 0:
		if (!s->sni)
			return;
		at = len_begin(b, 2);
		put8(b, 0);
		put16(b, strlen(s->sni));
		put(b, s->sni, strlen(s->sni));
		len_end(b, at, 2);
		return;
	case 16:
		at = len_begin(b, 2);
		for (unsigned int i = 0; i < s->n_alpn; i++) {
			put8(b, strlen(s->alpn[i]));
			put(b, s->alpn[i], strlen(s->alpn[i]));
		}
		len_end(b, at, 2);
		return;
	case 10:
	case 13:
	case 43: {
		const struct u16s *l = type == 10   ? &s->groups
				       : type == 13 ? &s->sig_algs
						    : &s->versions;

		at = len_begin(b, type == 43 ? 1 : 2);
		for (unsigned int i = 0; i < l->n; i++)
			put16(b, l->v[i]);
		len_end(b, at, type == 43 ? 1 : 2);
		return;
	}
	case 51:
		at = len_begin(b, 2);
		for (unsigned int i = 0; i < s->shares.n; i++) {
			put16(b, s->shares.v[i]);
			put16(b, 32);
			fill(b, 0x11, 32);
		}
		len_end(b, at, 2);
		return;
	case 11:
		put(b, "\x01\x00", 2);
		return;
	case 45:
		put(b, "\x01\x01", 2);
		return;
	case 27:
		put(b, "\x02\x00\x02", 3);
		return;
	case 5:
		put(b, "\x01\x00\x00\x00\x00", 5);
		return;
	case 17513:
		put(b, "\x00\x03\x02h2", 5);
		return;
	case 65281:
		put8(b, 0);
		return;
	case 21:
		fill(b, 0, 8);
		return;
	}
}

/* A ClientHello handshake message (header included). */
static void ch_message(const struct ch_spec *s, struct bytes *hs)
{
	size_t msg, at;

	put8(hs, 1);
	msg = len_begin(hs, 3);
	put16(hs, s->version ? s->version : 0x0303);
	fill(hs, 0x5a, 32);
	put8(hs, 32);
	fill(hs, 0x33, 32);
	at = len_begin(hs, 2);
	for (unsigned int i = 0; i < s->ciphers.n; i++)
		put16(hs, s->ciphers.v[i]);
	len_end(hs, at, 2);
	put(hs, "\x01\x00", 2);
	if (s->raw) {
		put(hs, s->raw, s->n_raw);
	} else if (s->exts.n) {
		at = len_begin(hs, 2);
		for (unsigned int i = 0; i < s->exts.n; i++) {
			size_t e;

			put16(hs, s->exts.v[i]);
			e = len_begin(hs, 2);
			ch_ext_body(hs, s, s->exts.v[i]);
			len_end(hs, e, 2);
		}
		len_end(hs, at, 2);
	}
	len_end(hs, msg, 3);
}

/* Cuts a handshake message into handshake records of at most frag bytes each. */
static void to_records(const struct bytes *hs, size_t frag, struct bytes *out)
{
	for (size_t off = 0; off < hs->n; off += frag) {
		size_t k = hs->n - off < frag ? hs->n - off : frag;

		put8(out, 22);
		put16(out, off ? 0x0303 : 0x0301);
		put16(out, k);
		put(out, hs->p + off, k);
	}
}

static void build_ch(const struct ch_spec *s, size_t frag, struct bytes *out)
{
	struct bytes hs = {.n = 0};

	ch_message(s, &hs);
	to_records(&hs, frag, out);
}

struct sh_spec {
	uint16_t cipher;
	int hrr;
	uint16_t version; /* supported_versions; 0: none */
	uint16_t share;	  /* key_share group; 0: none */
	const char *alpn;
};

static const uint8_t hrr_magic[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static void build_sh(const struct sh_spec *s, size_t frag, struct bytes *out)
{
	struct bytes hs = {.n = 0};
	size_t msg, at, e;

	put8(&hs, 2);
	msg = len_begin(&hs, 3);
	put16(&hs, 0x0303);
	if (s->hrr)
		put(&hs, hrr_magic, 32);
	else
		fill(&hs, 0x77, 32);
	put8(&hs, 0);
	put16(&hs, s->cipher);
	put8(&hs, 0);
	at = len_begin(&hs, 2);
	if (s->version) {
		put16(&hs, 43);
		put16(&hs, 2);
		put16(&hs, s->version);
	}
	if (s->share) {
		put16(&hs, 51);
		e = len_begin(&hs, 2);
		put16(&hs, s->share);
		if (!s->hrr) {
			put16(&hs, 32);
			fill(&hs, 0x22, 32);
		}
		len_end(&hs, e, 2);
	}
	if (s->alpn) {
		put16(&hs, 16);
		e = len_begin(&hs, 2);
		put16(&hs, strlen(s->alpn) + 1);
		put8(&hs, strlen(s->alpn));
		put(&hs, s->alpn, strlen(s->alpn));
		len_end(&hs, e, 2);
	}
	len_end(&hs, at, 2);
	len_end(&hs, msg, 3);
	to_records(&hs, frag, out);
}

static int parse_ch(const void *p, size_t n, struct tls_client_hello *ch)
{
	return tls_parse_client_hello(guard_copy(p, n), n, ch);
}

static int parse_sh(const void *p, size_t n, struct tls_server_hello *sh)
{
	return tls_parse_server_hello(guard_copy(p, n), n, sh);
}

/*
 * The incremental contract: every strict prefix answers HELLO_MORE or the final answer (an
 * error may show before the end), never anything else; the whole input answers `want`.
 */
static int check_prefixes(const uint8_t *p, size_t n, int server, int want)
{
	static struct tls_client_hello ch;
	static struct tls_server_hello sh;
	int ok = 1, st;

	for (size_t k = 0; k <= n; k++) {
		st = server ? parse_sh(p, k, &sh) : parse_ch(p, k, &ch);
		if (k < n && st != HELLO_MORE && (st != want || want == HELLO_DONE)) {
			fprintf(stderr, "    prefix %zu of %zu: %s\n", k, n, hello_status_name(st));
			ok = 0;
		}
		if (k == n && st != want) {
			fprintf(stderr, "    whole %zu: %s, want %s\n", n, hello_status_name(st),
				hello_status_name(want));
			ok = 0;
		}
	}
	return ok;
}

static const char *const alpn_h2_h1[] = {"h2", "http/1.1"};

/* A Chrome 120-like ClientHello: GREASE first in each list, 16 real extensions. */
static const struct ch_spec chrome = {
	.ciphers = U16(0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
		       0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035),
	.exts = U16(0x2a2a, 0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005,
		    0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x3a3a, 0x0015),
	.sni = "example.com",
	.alpn = alpn_h2_h1,
	.n_alpn = 2,
	.groups = U16(0x4a4a, 0x001d, 0x0017, 0x0018),
	.sig_algs = U16(0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601),
	.versions = U16(0x5a5a, 0x0304, 0x0303),
	.shares = U16(0x4a4a, 0x001d),
};

TEST(client_hello_fields)
{
	static const uint16_t ciphers[] = {0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
					   0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
					   0x009c, 0x009d, 0x002f, 0x0035};
	static const uint16_t sigs[] = {0x0403, 0x0804, 0x0401, 0x0503,
					0x0805, 0x0501, 0x0806, 0x0601};
	static struct tls_client_hello ch;
	struct bytes b = {.n = 0};

	build_ch(&chrome, 16384, &b);
	if (!CHECK_EQ_U64(parse_ch(b.p, b.n, &ch), HELLO_DONE))
		return;
	CHECK_EQ_U64(ch.legacy_version, 0x0303);
	CHECK_EQ_U64(ch.msg_len, b.n - 5 - 4);
	CHECK_MEM_EQ(ch.ciphers, ch.n_ciphers * 2, ciphers, sizeof(ciphers));
	CHECK_MEM_EQ(ch.exts, ch.n_exts * 2, chrome.exts.v, chrome.exts.n * 2);
	CHECK_EQ_U64(ch.has_sni, 1);
	CHECK_EQ_U64(ch.sni_len, 11);
	CHECK_STR_EQ(ch.sni, "example.com");
	CHECK_EQ_U64(ch.n_alpn, 2);
	CHECK_STR_EQ(ch.alpn[0].name, "h2");
	CHECK_EQ_U64(ch.alpn[1].len, 8);
	CHECK_STR_EQ(ch.alpn[1].name, "http/1.1");
	CHECK_MEM_EQ(ch.versions, ch.n_versions * 2, chrome.versions.v, 6);
	CHECK_MEM_EQ(ch.groups, ch.n_groups * 2, chrome.groups.v, 8);
	CHECK_MEM_EQ(ch.key_shares, ch.n_key_shares * 2, chrome.shares.v, 4);
	CHECK_MEM_EQ(ch.sig_algs, ch.n_sig_algs * 2, sigs, sizeof(sigs));
	CHECK_EQ_U64(ch.n_ec_formats, 1);
	CHECK_EQ_U64(ch.ec_formats[0], 0);
	CHECK_EQ_U64(ch.truncated, 0);
}

TEST(client_hello_every_prefix_is_more)
{
	static const size_t frags[] = {16384, 100, 7, 1};

	for (size_t i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
		struct bytes b = {.n = 0};

		build_ch(&chrome, frags[i], &b);
		if (!CHECK(check_prefixes(b.p, b.n, 0, HELLO_DONE)))
			fprintf(stderr, "    records of %zu bytes\n", frags[i]);
	}
}

/* The same message in records of any size, the handshake header split too, parses the same. */
TEST(client_hello_split_over_records)
{
	static const size_t frags[] = {1, 2, 3, 5, 64, 255, 300};
	static struct tls_client_hello one, split;
	struct bytes b = {.n = 0};

	build_ch(&chrome, 16384, &b);
	CHECK_EQ_U64(parse_ch(b.p, b.n, &one), HELLO_DONE);
	for (size_t i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
		struct bytes r = {.n = 0};

		build_ch(&chrome, frags[i], &r);
		CHECK(r.n > b.n);
		CHECK_EQ_U64(parse_ch(r.p, r.n, &split), HELLO_DONE);
		CHECK_MEM_EQ(&split, sizeof(split), &one, sizeof(one));
	}
}

/* What follows the hello (ChangeCipherSpec, early data, the next message) is not looked at. */
TEST(client_hello_followed_by_more_records)
{
	static struct tls_client_hello ch;
	struct bytes b = {.n = 0};

	build_ch(&chrome, 16384, &b);
	put(&b, "\x14\x03\x03\x00\x01\x01\x17\x03\x03\x00\x00", 11);
	CHECK_EQ_U64(parse_ch(b.p, b.n, &ch), HELLO_DONE);
	CHECK_STR_EQ(ch.sni, "example.com");
}

/* TLS 1.0-era hellos may end after compression_methods: no extensions at all. */
TEST(client_hello_without_extensions)
{
	const struct ch_spec s = {.version = 0x0301, .ciphers = U16(0x002f, 0x0035)};
	static struct tls_client_hello ch;
	struct bytes b = {.n = 0};

	build_ch(&s, 16384, &b);
	CHECK_EQ_U64(parse_ch(b.p, b.n, &ch), HELLO_DONE);
	CHECK_EQ_U64(ch.legacy_version, 0x0301);
	CHECK_EQ_U64(ch.n_ciphers, 2);
	CHECK_EQ_U64(ch.n_exts, 0);
	CHECK_EQ_U64(ch.has_sni, 0);
}

TEST(client_hello_lists_longer_than_caps)
{
	static const char *alpn[20];
	static uint16_t many[600];
	static char name[301];
	static struct tls_client_hello ch;
	struct ch_spec s = {.exts = U16(0, 16)};
	struct bytes b = {.n = 0};

	for (unsigned int i = 0; i < 600; i++)
		many[i] = (uint16_t)(0xc000 + i);
	for (unsigned int i = 0; i < 20; i++)
		alpn[i] = i % 2 ? "h2" : "http/1.1";
	memset(name, 'a', 300);
	s.ciphers = (struct u16s){many, 600};
	s.alpn = alpn;
	s.n_alpn = 20;
	s.sni = name;
	build_ch(&s, 16384, &b);
	if (!CHECK_EQ_U64(parse_ch(b.p, b.n, &ch), HELLO_DONE))
		return;
	CHECK_EQ_U64(ch.truncated, 1);
	CHECK_EQ_U64(ch.n_ciphers, HELLO_MAX_CIPHERS);
	CHECK_EQ_U64(ch.ciphers[HELLO_MAX_CIPHERS - 1], 0xc000 + HELLO_MAX_CIPHERS - 1);
	CHECK_EQ_U64(ch.n_alpn, HELLO_MAX_ALPN);
	CHECK_EQ_U64(ch.sni_len, HELLO_SNI_LEN);
	CHECK_EQ_U64(strlen(ch.sni), HELLO_SNI_LEN);
}

/*
 * server_name with an empty body, or an empty host_name: present (has_sni, 'd' in JA4) with
 * sni_len 0, not an error.
 */
TEST(client_hello_empty_sni)
{
	static const uint8_t empty_name[] = {0x00, 0x09, 0x00, 0x00, 0x00, 0x05,
					     0x00, 0x03, 0x00, 0x00, 0x00};
	static struct tls_client_hello ch;
	struct ch_spec s = {.ciphers = U16(0x1301), .exts = U16(0x0000, 0x0017)};
	struct bytes b = {.n = 0};

	build_ch(&s, 16384, &b);
	CHECK(check_prefixes(b.p, b.n, 0, HELLO_DONE));
	CHECK_EQ_U64(parse_ch(b.p, b.n, &ch), HELLO_DONE);
	CHECK_EQ_U64(ch.has_sni, 1);
	CHECK_EQ_U64(ch.sni_len, 0);
	CHECK_STR_EQ(ch.sni, "");
	CHECK_EQ_U64(ch.n_exts, 2);

	s.raw = empty_name;
	s.n_raw = sizeof(empty_name);
	b.n = 0;
	build_ch(&s, 16384, &b);
	CHECK_EQ_U64(parse_ch(b.p, b.n, &ch), HELLO_DONE);
	CHECK_EQ_U64(ch.has_sni, 1);
	CHECK_EQ_U64(ch.sni_len, 0);
}

/* Expects the hello with these bytes after compression_methods to fail with `want`. */
static int raw_exts_status(const uint8_t *raw, size_t n)
{
	static struct tls_client_hello ch;
	struct ch_spec s = {.ciphers = U16(0x1301), .raw = raw, .n_raw = n};
	struct bytes b = {.n = 0};
	int st;

	build_ch(&s, 16384, &b);
	st = parse_ch(b.p, b.n, &ch);
	if (!check_prefixes(b.p, b.n, 0, st))
		return -100;
	return st;
}

#define RAW_STATUS(...)                                                                            \
	raw_exts_status((const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

TEST(client_hello_length_errors)
{
	/* the extension's length runs past the extensions block */
	CHECK_EQ_U64(RAW_STATUS(0x00, 0x06, 0x00, 0x17, 0x00, 0x03, 0x00, 0x00), HELLO_ERR_LENGTH);
	/* the block's length runs past the message */
	CHECK_EQ_U64(RAW_STATUS(0x00, 0x08, 0x00, 0x17, 0x00, 0x00), HELLO_ERR_LENGTH);
	/* the block is shorter than the rest of the message */
	CHECK_EQ_U64(RAW_STATUS(0x00, 0x04, 0x00, 0x17, 0x00, 0x00, 0xff), HELLO_ERR_LENGTH);
	/* an extension header cut short */
	CHECK_EQ_U64(RAW_STATUS(0x00, 0x03, 0x00, 0x17, 0x00), HELLO_ERR_LENGTH);
	/* one stray byte where the extensions length would be */
	CHECK_EQ_U64(RAW_STATUS(0x00), HELLO_ERR_LENGTH);
	/* and the well-formed control */
	CHECK_EQ_U64(RAW_STATUS(0x00, 0x04, 0x00, 0x17, 0x00, 0x00), HELLO_DONE);
}

TEST(client_hello_extension_errors)
{
	/* server_name list longer than its extension */
	CHECK_EQ_U64(RAW_STATUS(0x00, 0x09, 0x00, 0x00, 0x00, 0x05, 0x00, 0x09, 0x00, 0x00, 0x00),
		     HELLO_ERR_EXTENSION);
	/* server_name list shorter than its extension */
	CHECK_EQ_U64(
		RAW_STATUS(0x00, 0x0a, 0x00, 0x00, 0x00, 0x06, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00),
		HELLO_ERR_EXTENSION);
	/* host_name longer than the list */
	CHECK_EQ_U64(
		RAW_STATUS(0x00, 0x0a, 0x00, 0x00, 0x00, 0x06, 0x00, 0x04, 0x00, 0x00, 0x05, 'a'),
		HELLO_ERR_EXTENSION);
	/* ALPN name longer than the list */
	CHECK_EQ_U64(RAW_STATUS(0x00, 0x09, 0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x05, 'h', '2'),
		     HELLO_ERR_EXTENSION);
	/* supported_versions with an odd length */
	CHECK_EQ_U64(RAW_STATUS(0x00, 0x08, 0x00, 0x2b, 0x00, 0x04, 0x03, 0x03, 0x04, 0x03),
		     HELLO_ERR_EXTENSION);
	/* supported_groups whose list length disagrees with the extension */
	CHECK_EQ_U64(RAW_STATUS(0x00, 0x08, 0x00, 0x0a, 0x00, 0x04, 0x00, 0x04, 0x00, 0x1d),
		     HELLO_ERR_EXTENSION);
	/* key_share entry whose key runs past the list */
	CHECK_EQ_U64(RAW_STATUS(0x00, 0x0c, 0x00, 0x33, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00,
				0x20, 0xaa, 0xbb),
		     HELLO_ERR_EXTENSION);
	/* ec_point_formats list past the extension */
	CHECK_EQ_U64(RAW_STATUS(0x00, 0x06, 0x00, 0x0b, 0x00, 0x02, 0x02, 0x00),
		     HELLO_ERR_EXTENSION);
	/* an unknown extension's body is not looked at */
	CHECK_EQ_U64(RAW_STATUS(0x00, 0x06, 0x12, 0x34, 0x00, 0x02, 0xff, 0xff), HELLO_DONE);
}

/* A handshake message of this type and body in one record. */
static void wrap(int type, const uint8_t *body, size_t n, struct bytes *out)
{
	struct bytes hs = {.n = 0};
	size_t at;

	put8(&hs, type);
	at = len_begin(&hs, 3);
	put(&hs, body, n);
	len_end(&hs, at, 3);
	to_records(&hs, 16384, out);
}

static int wrapped_prefixes(int type, const uint8_t *body, size_t n, int want)
{
	struct bytes b = {.n = 0};

	wrap(type, body, n, &b);
	return check_prefixes(b.p, b.n, type == 2, want);
}

#define BODY(type, want, ...)                                                                      \
	wrapped_prefixes(type, (const uint8_t[]){__VA_ARGS__},                                     \
			 sizeof((const uint8_t[]){__VA_ARGS__}), want)

/* A ClientHello body cut by the fields before the extensions. */
TEST(client_hello_body_errors)
{
	/* odd cipher_suites length */
	CHECK(BODY(1, HELLO_ERR_LENGTH, 0x03, 0x03, [2 ... 33] = 0x5a, 0x00, 0x00, 0x03, 0x13, 0x01,
		   0x13, 0x01, 0x00));
	/* cipher_suites past the message */
	CHECK(BODY(1, HELLO_ERR_LENGTH, 0x03, 0x03, [2 ... 33] = 0x5a, 0x00, 0x00, 0x10, 0x13, 0x01,
		   0x01, 0x00));
	/* a 33-byte session id */
	CHECK(BODY(1, HELLO_ERR_LENGTH, 0x03, 0x03, [2 ... 33] = 0x5a, 0x21, [35 ... 67] = 0x33,
		   0x00, 0x02, 0x13, 0x01, 0x01, 0x00));
	/* shorter than version and random */
	CHECK(BODY(1, HELLO_ERR_LENGTH, 0x03, 0x03, 0x5a, 0x5a));
	/* compression_methods past the message */
	CHECK(BODY(1, HELLO_ERR_LENGTH, 0x03, 0x03, [2 ... 33] = 0x5a, 0x00, 0x00, 0x02, 0x13, 0x01,
		   0x02, 0x00));
	/* and the smallest well-formed one */
	CHECK(BODY(1, HELLO_DONE, 0x03, 0x03, [2 ... 33] = 0x5a, 0x00, 0x00, 0x02, 0x13, 0x01, 0x01,
		   0x00));
}

TEST(record_errors)
{
	static const uint8_t bad_version[] = {0x16, 0x02, 0x00, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00};
	static const uint8_t len0[] = {0x16, 0x03, 0x01, 0x00, 0x00, 0x16, 0x03, 0x01, 0x00, 0x04};
	static const uint8_t too_long[] = {0x16, 0x03, 0x01, 0x48, 0x01, 0x01, 0x00, 0x00, 0x04};
	static const uint8_t longest[] = {0x16, 0x03, 0x01, 0x48, 0x00, 0x01, 0x00, 0x00, 0x04};
	/* the message continues in a record of another type, or of a bad version */
	static const uint8_t second_alert[] = {0x16, 0x03, 0x01, 0x00, 0x02, 0x01, 0x00,
					       0x15, 0x03, 0x03, 0x00, 0x02, 0x00, 0x26};
	static const uint8_t second_version[] = {0x16, 0x03, 0x01, 0x00, 0x02, 0x01, 0x00,
						 0x16, 0x04, 0x03, 0x00, 0x02, 0x00, 0x26};
	static struct tls_client_hello ch;

	CHECK(check_prefixes(bad_version, sizeof(bad_version), 0, HELLO_ERR_RECORD));
	CHECK(check_prefixes(len0, sizeof(len0), 0, HELLO_ERR_RECORD));
	CHECK(check_prefixes(too_long, sizeof(too_long), 0, HELLO_ERR_RECORD));
	CHECK_EQ_U64(parse_ch(longest, sizeof(longest), &ch), HELLO_MORE);
	CHECK(check_prefixes(second_alert, sizeof(second_alert), 0, HELLO_ERR_RECORD));
	CHECK(check_prefixes(second_version, sizeof(second_version), 0, HELLO_ERR_RECORD));
}

TEST(not_tls_sslv2_not_hello_too_large)
{
	static const char http[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
	/* SSLv2-compatible ClientHello as old clients sent it: 2-byte header, type 1, 3.1 */
	static const uint8_t sslv2[] = {0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00,
					0x00, 0x00, 0x10, 0x00, 0x00, 0x35, 0x00, 0x00};
	static const uint8_t alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
	static const uint8_t certificate[] = {0x16, 0x03, 0x03, 0x00, 0x04, 0x0b, 0x00, 0x00, 0x00};
	static const uint8_t too_large[] = {0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x01, 0x00, 0x01};
	static const uint8_t largest[] = {0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x01, 0x00, 0x00};
	static struct tls_client_hello ch;
	static struct tls_server_hello sh;
	struct bytes b = {.n = 0};
	struct sh_spec s = {.cipher = 0x1301, .version = 0x0304, .share = 0x001d};

	CHECK(check_prefixes((const uint8_t *)http, strlen(http), 0, HELLO_ERR_NOT_TLS));
	CHECK(check_prefixes((const uint8_t *)http, strlen(http), 1, HELLO_ERR_NOT_TLS));
	CHECK(check_prefixes(alert, sizeof(alert), 0, HELLO_ERR_NOT_TLS));
	CHECK(check_prefixes(sslv2, sizeof(sslv2), 0, HELLO_ERR_SSLV2));
	CHECK(check_prefixes(certificate, sizeof(certificate), 0, HELLO_ERR_NOT_HELLO));
	CHECK(check_prefixes(too_large, sizeof(too_large), 0, HELLO_ERR_TOO_LARGE));
	CHECK_EQ_U64(parse_ch(largest, sizeof(largest), &ch), HELLO_MORE);

	/* a ServerHello where a ClientHello is expected, and the other way round */
	build_sh(&s, 16384, &b);
	CHECK(check_prefixes(b.p, b.n, 0, HELLO_ERR_NOT_HELLO));
	b.n = 0;
	build_ch(&chrome, 16384, &b);
	CHECK(check_prefixes(b.p, b.n, 1, HELLO_ERR_NOT_HELLO));
	CHECK_EQ_U64(parse_sh(b.p, b.n, &sh), HELLO_ERR_NOT_HELLO);
	CHECK_EQ_U64(parse_ch(b.p, 0, &ch), HELLO_MORE);
}

TEST(server_hello_tls13)
{
	static struct tls_server_hello sh;
	struct sh_spec s = {.cipher = 0x1302, .version = 0x0304, .share = 0x11ec};
	struct bytes b = {.n = 0};

	build_sh(&s, 16384, &b);
	CHECK(check_prefixes(b.p, b.n, 1, HELLO_DONE));
	if (!CHECK_EQ_U64(parse_sh(b.p, b.n, &sh), HELLO_DONE))
		return;
	CHECK_EQ_U64(sh.legacy_version, 0x0303);
	CHECK_EQ_U64(sh.version, 0x0304);
	CHECK_EQ_U64(sh.cipher, 0x1302);
	CHECK_EQ_U64(sh.key_share, 0x11ec);
	CHECK_EQ_U64(sh.hrr, 0);
	CHECK_EQ_U64(sh.has_alpn, 0);
	CHECK_EQ_U64(sh.n_exts, 2);
	CHECK_EQ_U64(sh.exts[0], 43);
	CHECK_EQ_U64(sh.exts[1], 51);

	b.n = 0;
	build_sh(&s, 3, &b);
	CHECK(check_prefixes(b.p, b.n, 1, HELLO_DONE));
}

TEST(server_hello_tls12_alpn)
{
	static struct tls_server_hello sh;
	struct sh_spec s = {.cipher = 0xc02f, .alpn = "http/1.1"};
	struct bytes b = {.n = 0};

	build_sh(&s, 16384, &b);
	if (!CHECK_EQ_U64(parse_sh(b.p, b.n, &sh), HELLO_DONE))
		return;
	CHECK_EQ_U64(sh.version, 0x0303);
	CHECK_EQ_U64(sh.cipher, 0xc02f);
	CHECK_EQ_U64(sh.has_alpn, 1);
	CHECK_EQ_U64(sh.alpn.len, 8);
	CHECK_STR_EQ(sh.alpn.name, "http/1.1");
	CHECK_EQ_U64(sh.key_share, 0);
}

/* A HelloRetryRequest from `openssl s_server -groups X25519` to a client offering P-256 first. */
static const uint8_t real_hrr[99] = {
	0x16, 0x03, 0x03, 0x00, 0x58, 0x02, 0x00, 0x00, 0x54, 0x03, 0x03, 0xcf, 0x21, 0xad, 0x74,
	0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11,
	0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c, 0x20, 0x5b,
	0x82, 0xb5, 0x62, 0xf1, 0xf4, 0xf6, 0x97, 0x7c, 0x72, 0x10, 0x4f, 0xf1, 0xe1, 0x77, 0x07,
	0xde, 0xcd, 0x93, 0xd2, 0xee, 0xec, 0x87, 0x2b, 0x9a, 0x30, 0xb4, 0xea, 0x64, 0x48, 0x68,
	0xd4, 0x13, 0x02, 0x00, 0x00, 0x0c, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x33, 0x00,
	0x02, 0x00, 0x1d, 0x14, 0x03, 0x03, 0x00, 0x01, 0x01,
};

TEST(server_hello_hrr)
{
	static struct tls_server_hello sh;
	struct sh_spec s = {.cipher = 0x1301, .hrr = 1, .version = 0x0304, .share = 0x0017};
	struct bytes b = {.n = 0};

	/* 93 bytes of HelloRetryRequest record, then a ChangeCipherSpec record */
	CHECK(check_prefixes(real_hrr, 93, 1, HELLO_DONE));
	if (CHECK_EQ_U64(parse_sh(real_hrr, sizeof(real_hrr), &sh), HELLO_DONE)) {
		CHECK_EQ_U64(sh.hrr, 1);
		CHECK_EQ_U64(sh.version, 0x0304);
		CHECK_EQ_U64(sh.cipher, 0x1302);
		CHECK_EQ_U64(sh.key_share, 0x001d);
		CHECK_EQ_U64(sh.n_exts, 2);
	}

	build_sh(&s, 16384, &b);
	if (CHECK_EQ_U64(parse_sh(b.p, b.n, &sh), HELLO_DONE)) {
		CHECK_EQ_U64(sh.hrr, 1);
		CHECK_EQ_U64(sh.key_share, 0x0017);
	}
	/* the same random with one bit flipped is an ordinary ServerHello ... */
	b.p[5 + 4 + 2 + 31] ^= 1;
	CHECK_EQ_U64(parse_sh(b.p, b.n, &sh), HELLO_ERR_EXTENSION);
	/* ... whose 2-byte key_share (an HRR's) is then malformed */
	CHECK_EQ_U64(sh.hrr, 0);
}

TEST(server_hello_extension_errors)
{
	/* supported_versions of 3 bytes */
	CHECK(BODY(2, HELLO_ERR_EXTENSION, 0x03, 0x03, [2 ... 33] = 0x77, 0x00, 0x13, 0x01, 0x00,
		   0x00, 0x07, 0x00, 0x2b, 0x00, 0x03, 0x03, 0x04, 0x00));
	/* ALPN naming two protocols */
	CHECK(BODY(2, HELLO_ERR_EXTENSION, 0x03, 0x03, [2 ... 33] = 0x77, 0x00, 0xc0, 0x2f, 0x00,
		   0x00, 0x0c, 0x00, 0x10, 0x00, 0x08, 0x00, 0x06, 0x02, 'h', '2', 0x02, 'h', '3'));
	/* key_share whose key runs past the extension */
	CHECK(BODY(2, HELLO_ERR_EXTENSION, 0x03, 0x03, [2 ... 33] = 0x77, 0x00, 0x13, 0x01, 0x00,
		   0x00, 0x08, 0x00, 0x33, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x20));
	/* cipher and compression cut off */
	CHECK(BODY(2, HELLO_ERR_LENGTH, 0x03, 0x03, [2 ... 33] = 0x77, 0x00, 0x13));
	/* a TLS 1.2 ServerHello without extensions */
	CHECK(BODY(2, HELLO_DONE, 0x03, 0x03, [2 ... 33] = 0x77, 0x00, 0xc0, 0x2f, 0x00));
}

TEST(status_names)
{
	CHECK_STR_EQ(hello_status_name(HELLO_DONE), "done");
	CHECK_STR_EQ(hello_status_name(HELLO_MORE), "more");
	CHECK_STR_EQ(hello_status_name(HELLO_ERR_NOT_TLS), "not_tls");
	CHECK_STR_EQ(hello_status_name(HELLO_ERR_SSLV2), "sslv2");
	CHECK_STR_EQ(hello_status_name(HELLO_ERR_RECORD), "record");
	CHECK_STR_EQ(hello_status_name(HELLO_ERR_NOT_HELLO), "not_hello");
	CHECK_STR_EQ(hello_status_name(HELLO_ERR_LENGTH), "length");
	CHECK_STR_EQ(hello_status_name(HELLO_ERR_EXTENSION), "extension");
	CHECK_STR_EQ(hello_status_name(HELLO_ERR_TOO_LARGE), "too_large");
	CHECK_STR_EQ(hello_status_name(HELLO_ERR__MIN - 1), "unknown");
	CHECK_STR_EQ(hello_status_name(2), "unknown");
}

TEST(looks_like_handshake)
{
	CHECK(tls_looks_like_handshake(guard_copy("\x16", 1), 1));
	CHECK(tls_looks_like_handshake(guard_copy("\x16\x03\x01\x02\x00", 5), 5));
	CHECK(!tls_looks_like_handshake(guard_copy("\x16\x02", 2), 2));
	CHECK(!tls_looks_like_handshake(guard_copy("\x17\x03\x03", 3), 3));
	CHECK(!tls_looks_like_handshake(guard_copy("GET ", 4), 4));
	CHECK(!tls_looks_like_handshake(guard_copy("", 0), 0));
}

TEST(grease)
{
	unsigned int n = 0;

	for (unsigned int v = 0; v <= 0xffff; v++)
		n += !!tls_is_grease((uint16_t)v);
	CHECK_EQ_U64(n, 16);
	CHECK(tls_is_grease(0x0a0a));
	CHECK(tls_is_grease(0x7a7a));
	CHECK(tls_is_grease(0xfafa));
	CHECK(!tls_is_grease(0x0a1a));
	CHECK(!tls_is_grease(0x0b0b));
	CHECK(!tls_is_grease(0x1301));
}

TEST(names_known_and_unknown)
{
	CHECK_STR_EQ(tls_version_name(0x0304), "TLSv1.3");
	CHECK_STR_EQ(tls_version_name(0x0303), "TLSv1.2");
	CHECK_STR_EQ(tls_version_name(0x0301), "TLSv1");
	CHECK_STR_EQ(tls_version_name(0x0300), "SSLv3");
	CHECK_STR_EQ(tls_version_name(0xfefd), "DTLSv1.2");
	CHECK_STR_EQ(tls_version_name(0x0305), NULL);
	CHECK_STR_EQ(tls_cipher_name(0x0000), "TLS_NULL_WITH_NULL_NULL");
	CHECK_STR_EQ(tls_cipher_name(0x1301), "TLS_AES_128_GCM_SHA256");
	CHECK_STR_EQ(tls_cipher_name(0x1305), "TLS_AES_128_CCM_8_SHA256");
	CHECK_STR_EQ(tls_cipher_name(0xc02f), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	CHECK_STR_EQ(tls_cipher_name(0xcca9), "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
	CHECK_STR_EQ(tls_cipher_name(0xc0ad), "TLS_ECDHE_ECDSA_WITH_AES_256_CCM");
	CHECK_STR_EQ(tls_cipher_name(0x009f), "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384");
	CHECK_STR_EQ(tls_cipher_name(0x00ff), "TLS_EMPTY_RENEGOTIATION_INFO_SCSV");
	CHECK_STR_EQ(tls_cipher_name(0x5600), "TLS_FALLBACK_SCSV");
	CHECK_STR_EQ(tls_cipher_name(0xd005), "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256");
	CHECK_STR_EQ(tls_cipher_name(0x0a0a), NULL);
	CHECK_STR_EQ(tls_cipher_name(0x1308), NULL);
	CHECK_STR_EQ(tls_cipher_name(0xffff), NULL);
	CHECK_STR_EQ(tls_group_name(0x001d), "x25519");
	CHECK_STR_EQ(tls_group_name(0x0017), "secp256r1");
	CHECK_STR_EQ(tls_group_name(0x0104), "ffdhe8192");
	CHECK_STR_EQ(tls_group_name(0x001f), "brainpoolP256r1tls13");
	CHECK_STR_EQ(tls_group_name(0x11ec), "X25519MLKEM768");
	CHECK_STR_EQ(tls_group_name(0x11eb), "SecP256r1MLKEM768");
	CHECK_STR_EQ(tls_group_name(0x11ed), "SecP384r1MLKEM1024");
	CHECK_STR_EQ(tls_group_name(0x6399), "X25519Kyber768Draft00");
	CHECK_STR_EQ(tls_group_name(0x0201), "MLKEM768");
	CHECK_STR_EQ(tls_group_name(0x2a2a), NULL);
	CHECK_STR_EQ(tls_sigalg_name(0x0403), "ecdsa_secp256r1_sha256");
	CHECK_STR_EQ(tls_sigalg_name(0x0804), "rsa_pss_rsae_sha256");
	CHECK_STR_EQ(tls_sigalg_name(0x0807), "ed25519");
	CHECK_STR_EQ(tls_sigalg_name(0x0401), "rsa_pkcs1_sha256");
	CHECK_STR_EQ(tls_sigalg_name(0x0000), NULL);
	CHECK_STR_EQ(tls_ext_name(0), "server_name");
	CHECK_STR_EQ(tls_ext_name(10), "supported_groups");
	CHECK_STR_EQ(tls_ext_name(16), "application_layer_protocol_negotiation");
	CHECK_STR_EQ(tls_ext_name(51), "key_share");
	CHECK_STR_EQ(tls_ext_name(17513), "application_settings");
	CHECK_STR_EQ(tls_ext_name(65037), "encrypted_client_hello");
	CHECK_STR_EQ(tls_ext_name(65281), "renegotiation_info");
	CHECK_STR_EQ(tls_ext_name(40), NULL);
	CHECK_STR_EQ(tls_ext_name(0xfafa), NULL);
}

/*
 * Each table is searched with bsearch(): a table out of order hides entries. Counting every
 * name found over the whole code space catches that (the counts are the table sizes).
 */
TEST(names_tables_sorted)
{
	unsigned int nv = 0, nc = 0, ng = 0, ns = 0, ne = 0;

	for (unsigned int v = 0; v <= 0xffff; v++) {
		nv += !!tls_version_name((uint16_t)v);
		nc += !!tls_cipher_name((uint16_t)v);
		ng += !!tls_group_name((uint16_t)v);
		ns += !!tls_sigalg_name((uint16_t)v);
		ne += !!tls_ext_name((uint16_t)v);
	}
	CHECK_EQ_U64(nv, 9);
	CHECK_EQ_U64(nc, 353);
	CHECK_EQ_U64(ng, 57);
	CHECK_EQ_U64(ns, 44);
	CHECK_EQ_U64(ne, 70);
}

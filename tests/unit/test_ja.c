// SPDX-License-Identifier: MIT
#include <string.h>

#include "bytes.h"
#include "check.h"
#include "util/buf.h"
#include "wire/ja.h"

/* Hellos are assembled from lists (bytes.h), in one handshake record. */
#define N(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The ClientHello of the JA4 specification's example (technical_details/JA4.md): its 15
 * ciphers and 16 extensions in its wire order, with GREASE added where Chrome puts it (first
 * cipher, first and next-to-last extension, first group and version) and GREASE in the
 * signature algorithms too, which JA4 must also ignore.
 */
static const uint16_t spec_ciphers[] = {0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
					0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
					0x009c, 0x009d, 0x002f, 0x0035};
static const uint16_t spec_exts[] = {0x2a2a, 0x001b, 0x0000, 0x0033, 0x0010, 0x4469,
				     0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012,
				     0x002b, 0xff01, 0x000b, 0x000a, 0x3a3a, 0x0015};
static const uint16_t spec_sigs[] = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805,
				     0x0501, 0x0806, 0x0601, 0x1a1a};
static const uint16_t spec_groups[] = {0x4a4a, 0x001d, 0x0017, 0x0018};
static const uint16_t spec_versions[] = {0x5a5a, 0x0304, 0x0303};

static void spec_ext_body(struct bytes *b, uint16_t type, int no_sigs)
{
	size_t at;

	switch (type) {
	case 0x0000:
		put(b,
		    "\x00\x0e\x00\x00\x0b"
		    "example.com",
		    16);
		break;
	case 0x0010:
		put(b, "\x00\x0c\x02h2\x08http/1.1", 14);
		break;
	case 0x000a:
		at = len_begin(b, 2);
		put16s(b, spec_groups, N(spec_groups));
		len_end(b, at, 2);
		break;
	case 0x000d:
		at = len_begin(b, 2);
		if (!no_sigs)
			put16s(b, spec_sigs, N(spec_sigs));
		len_end(b, at, 2);
		break;
	case 0x002b:
		at = len_begin(b, 1);
		put16s(b, spec_versions, N(spec_versions));
		len_end(b, at, 1);
		break;
	case 0x0033:
		at = len_begin(b, 2);
		put(b, "\x4a\x4a\x00\x01\x00", 5);
		put(b, "\x00\x1d\x00\x20", 4);
		for (int i = 0; i < 32; i++)
			put8(b, 0x42);
		len_end(b, at, 2);
		break;
	case 0x000b:
		put(b, "\x01\x00", 2);
		break;
	case 0x002d:
		put(b, "\x01\x01", 2);
		break;
	case 0x001b:
		put(b, "\x02\x00\x02", 3);
		break;
	case 0x0005:
		put(b, "\x01\x00\x00\x00\x00", 5);
		break;
	case 0x4469:
		put(b, "\x00\x03\x02h2", 5);
		break;
	case 0xff01:
	case 0x3a3a:
		put8(b, 0);
		break;
	case 0x0015:
		for (int i = 0; i < 32; i++)
			put8(b, 0);
		break;
	}
}

static void build_spec_hello(struct bytes *b, int no_sigs)
{
	size_t rec, msg, at, e;

	put(b, "\x16\x03\x01", 3);
	rec = len_begin(b, 2);
	put8(b, 1);
	msg = len_begin(b, 3);
	put16(b, 0x0303);
	for (int i = 0; i < 32 + 1 + 32; i++)
		put8(b, i == 32 ? 32 : 0x5c); /* random, session id length, session id */
	at = len_begin(b, 2);
	put16s(b, spec_ciphers, N(spec_ciphers));
	len_end(b, at, 2);
	put(b, "\x01\x00", 2);
	at = len_begin(b, 2);
	for (size_t i = 0; i < N(spec_exts); i++) {
		put16(b, spec_exts[i]);
		e = len_begin(b, 2);
		spec_ext_body(b, spec_exts[i], no_sigs);
		len_end(b, e, 2);
	}
	len_end(b, at, 2);
	len_end(b, msg, 3);
	len_end(b, rec, 2);
}

static int parse_ch(const struct bytes *b, struct tls_client_hello *ch)
{
	return tls_parse_client_hello(guard_copy(b->p, b->n), b->n, ch);
}

/* JA3 string, then its MD5 */
static void ja3_of(const struct tls_client_hello *ch, struct buf *s, char *md5)
{
	buf_reset(s);
	ja3_string(s, ch);
	buf_putc(s, 0);
	ja_md5_hex(s->p, s->len - 1, md5);
}

TEST(ja4_spec_example)
{
	static struct tls_client_hello ch;
	struct bytes b = {.n = 0};
	struct buf raw = {0};
	char out[JA4_LEN + 1];

	build_spec_hello(&b, 0);
	if (!CHECK_EQ_U64(parse_ch(&b, &ch), HELLO_DONE))
		return;
	ja4(&ch, 't', out, &raw);
	buf_putc(&raw, 0);
	/* JA4.md, "Example" and "Raw Output" */
	CHECK_STR_EQ(out, "t13d1516h2_8daaf6152771_e5627efa2ab1");
	CHECK_STR_EQ(raw.p, "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,"
			    "c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,"
			    "002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601");
	ja4(&ch, 'q', out, NULL);
	CHECK_STR_EQ(out, "q13d1516h2_8daaf6152771_e5627efa2ab1");
	buf_free(&raw);
}

/* JA4.md: "If there are no signature algorithms ... the string ends without an underscore". */
TEST(ja4_spec_no_signature_algorithms)
{
	static struct tls_client_hello ch;
	struct bytes b = {.n = 0};
	char out[JA4_LEN + 1];

	build_spec_hello(&b, 1);
	if (!CHECK_EQ_U64(parse_ch(&b, &ch), HELLO_DONE))
		return;
	ja4(&ch, 't', out, NULL);
	/* 6d807ffa2a79: the value JA4.md gives for this extension list alone */
	CHECK_STR_EQ(out, "t13d1516h2_8daaf6152771_6d807ffa2a79");
}

TEST(ja3_of_spec_example)
{
	static struct tls_client_hello ch;
	struct bytes b = {.n = 0};
	struct buf s = {0};
	char md5[JA3_MD5_LEN + 1];

	build_spec_hello(&b, 0);
	if (!CHECK_EQ_U64(parse_ch(&b, &ch), HELLO_DONE))
		return;
	ja3_of(&ch, &s, md5);
	CHECK_STR_EQ(s.p, "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-"
			  "156-157-47-53,27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,"
			  "29-23-24,0");
	/* printf '%s' '<the string above>' | md5sum */
	CHECK_STR_EQ(md5, "c000e2caf3a25423f9de6c8a4b12a975");
	buf_free(&s);
}

TEST(md5_vectors)
{
	char md5[JA3_MD5_LEN + 1];

	/* RFC 1321, A.5 */
	ja_md5_hex("", 0, md5);
	CHECK_STR_EQ(md5, "d41d8cd98f00b204e9800998ecf8427e");
	ja_md5_hex("abc", 3, md5);
	CHECK_STR_EQ(md5, "900150983cd24fb0d6963f7d28e17f72");
}

static void set_alpn(struct tls_client_hello *ch, const char *p, size_t n)
{
	ch->n_alpn = 1;
	ch->alpn[0].len = (uint8_t)n;
	memcpy(ch->alpn[0].name, p, n);
	ch->alpn[0].name[n] = 0;
}

static const char *alpn_part(struct tls_client_hello *ch, char *out)
{
	ja4(ch, 't', out, NULL);
	out[10] = 0;
	return out + 8;
}

/* JA4.md, "ALPN Extension Value", its examples one by one. */
TEST(ja4_alpn_rules)
{
	static struct tls_client_hello ch;
	char out[JA4_LEN + 1];

	memset(&ch, 0, sizeof(ch));
	CHECK_STR_EQ(alpn_part(&ch, out), "00");
	set_alpn(&ch, "", 0);
	CHECK_STR_EQ(alpn_part(&ch, out), "00");
	set_alpn(&ch, "h2", 2);
	CHECK_STR_EQ(alpn_part(&ch, out), "h2");
	set_alpn(&ch, "http/1.1", 8);
	CHECK_STR_EQ(alpn_part(&ch, out), "h1");
	set_alpn(&ch, "x", 1);
	CHECK_STR_EQ(alpn_part(&ch, out), "xx");
	set_alpn(&ch, "\xab", 1);
	CHECK_STR_EQ(alpn_part(&ch, out), "ab");
	set_alpn(&ch, "\xab\xcd", 2);
	CHECK_STR_EQ(alpn_part(&ch, out), "ad");
	set_alpn(&ch, "\x30\xab", 2);
	CHECK_STR_EQ(alpn_part(&ch, out), "3b");
	set_alpn(&ch, "\x30\x31\xab\xcd", 4);
	CHECK_STR_EQ(alpn_part(&ch, out), "3d");
	set_alpn(&ch, "\x30\xab\xcd\x31", 4);
	CHECK_STR_EQ(alpn_part(&ch, out), "01");
	set_alpn(&ch, "/x", 2);
	CHECK_STR_EQ(alpn_part(&ch, out), "28");
}

static const char *version_part(uint16_t legacy, const uint16_t *sv, unsigned int n, char *out)
{
	static struct tls_client_hello ch;

	memset(&ch, 0, sizeof(ch));
	ch.legacy_version = legacy;
	ch.n_versions = (uint16_t)n;
	if (n)
		memcpy(ch.versions, sv, n * sizeof(*sv));
	ja4(&ch, 't', out, NULL);
	out[3] = 0;
	return out + 1;
}

/* JA4.md, "TLS and DTLS Version" */
TEST(ja4_versions)
{
	static const uint16_t grease_13_12[] = {0x0a0a, 0x0304, 0x0303};
	static const uint16_t ascending[] = {0x0301, 0x0303, 0x0304};
	static const uint16_t grease_only[] = {0xfafa};
	static const uint16_t dtls13[] = {0xfefc, 0xfefd};
	char out[JA4_LEN + 1];

	CHECK_STR_EQ(version_part(0x0303, grease_13_12, 3, out), "13");
	CHECK_STR_EQ(version_part(0x0303, ascending, 3, out), "13");
	CHECK_STR_EQ(version_part(0x0303, grease_only, 1, out), "12");
	CHECK_STR_EQ(version_part(0x0303, NULL, 0, out), "12");
	CHECK_STR_EQ(version_part(0x0302, NULL, 0, out), "11");
	CHECK_STR_EQ(version_part(0x0301, NULL, 0, out), "10");
	CHECK_STR_EQ(version_part(0x0300, NULL, 0, out), "s3");
	CHECK_STR_EQ(version_part(0x0002, NULL, 0, out), "s2");
	CHECK_STR_EQ(version_part(0xfeff, NULL, 0, out), "d1");
	CHECK_STR_EQ(version_part(0xfefd, NULL, 0, out), "d2");
	CHECK_STR_EQ(version_part(0xfefd, dtls13, 2, out), "d2");
	CHECK_STR_EQ(version_part(0x0305, NULL, 0, out), "00");
	CHECK_STR_EQ(version_part(0x0200, NULL, 0, out), "00");
}

/* Counts stop at 99; empty lists hash to twelve zeros; no SNI gives 'i'. */
TEST(ja4_counts_and_empty_lists)
{
	static struct tls_client_hello ch;
	struct buf raw = {0};
	char out[JA4_LEN + 1];

	memset(&ch, 0, sizeof(ch));
	ch.legacy_version = 0x0303;
	ja4(&ch, 't', out, &raw);
	buf_putc(&raw, 0);
	CHECK_STR_EQ(out, "t12i000000_000000000000_000000000000");
	CHECK_STR_EQ(raw.p, "t12i000000__");

	for (unsigned int i = 0; i < 120; i++)
		ch.ciphers[i] = (uint16_t)(0x0100 + i);
	ch.n_ciphers = 120;
	/* only SNI and ALPN: counted, but the c list is empty */
	ch.exts[0] = 0x0000;
	ch.exts[1] = 0x0010;
	ch.exts[2] = 0x0a0a;
	ch.n_exts = 3;
	ch.has_sni = 1;
	ja4(&ch, 't', out, NULL);
	CHECK(!strncmp(out, "t12d9902", 8));
	CHECK_STR_EQ(out + 24, "000000000000");

	for (unsigned int i = 0; i < 110; i++)
		ch.exts[i] = (uint16_t)(0x0100 + i);
	ch.n_exts = 110;
	ja4(&ch, 't', out, NULL);
	CHECK(!strncmp(out, "t12d9999", 8));
	buf_free(&raw);
}

/*
 * A ClientHello of `openssl s_client -connect 127.0.0.1:PORT -servername example.test
 * -alpn h2,http/1.1` (OpenSSL 3.0.22, Debian 12), as a Python socket server on loopback
 * received it.
 */
static const uint8_t real_ch[336] = {
	0x16, 0x03, 0x01, 0x01, 0x4b, 0x01, 0x00, 0x01, 0x47, 0x03, 0x03, 0x60, 0xf9, 0xa8, 0x5b,
	0x9b, 0x72, 0xd5, 0x7b, 0x42, 0xc7, 0x0b, 0x5f, 0x68, 0x92, 0x8d, 0x88, 0x3b, 0x4c, 0x5c,
	0x5b, 0x8f, 0xe0, 0xb7, 0x71, 0x75, 0x93, 0x27, 0x37, 0x16, 0x7b, 0xf3, 0x44, 0x20, 0x9b,
	0xe0, 0x25, 0x7d, 0xfe, 0x07, 0xe2, 0xe2, 0x0f, 0xd5, 0xa7, 0x17, 0x28, 0x08, 0x94, 0x92,
	0x93, 0x4d, 0x55, 0xee, 0xa7, 0x27, 0x4b, 0x47, 0x74, 0xec, 0x45, 0x77, 0x95, 0x5c, 0xd4,
	0x3f, 0x00, 0x3e, 0x13, 0x02, 0x13, 0x03, 0x13, 0x01, 0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f,
	0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa, 0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0,
	0x28, 0x00, 0x6b, 0xc0, 0x23, 0xc0, 0x27, 0x00, 0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39,
	0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d, 0x00, 0x9c, 0x00, 0x3d, 0x00, 0x3c, 0x00,
	0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x11, 0x00, 0x0f,
	0x00, 0x00, 0x0c, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x74, 0x65, 0x73, 0x74,
	0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x0a, 0x00, 0x16, 0x00, 0x14, 0x00,
	0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00, 0x18, 0x01, 0x00, 0x01, 0x01, 0x01, 0x02,
	0x01, 0x03, 0x01, 0x04, 0x00, 0x23, 0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02,
	0x68, 0x32, 0x08, 0x68, 0x74, 0x74, 0x70, 0x2f, 0x31, 0x2e, 0x31, 0x00, 0x16, 0x00, 0x00,
	0x00, 0x17, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x2a, 0x00, 0x28, 0x04, 0x03, 0x05, 0x03, 0x06,
	0x03, 0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a, 0x08, 0x0b, 0x08, 0x04, 0x08, 0x05,
	0x08, 0x06, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x03, 0x03, 0x03, 0x01, 0x03, 0x02, 0x04,
	0x02, 0x05, 0x02, 0x06, 0x02, 0x00, 0x2b, 0x00, 0x09, 0x08, 0x03, 0x04, 0x03, 0x03, 0x03,
	0x02, 0x03, 0x01, 0x00, 0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x33, 0x00, 0x26, 0x00, 0x24,
	0x00, 0x1d, 0x00, 0x20, 0x8e, 0x36, 0xea, 0xc8, 0x77, 0xf0, 0xf9, 0xad, 0xd9, 0x91, 0x04,
	0x78, 0xae, 0xfa, 0x03, 0x91, 0x09, 0x6b, 0xb3, 0xa0, 0xc1, 0xf1, 0x0a, 0xdf, 0x2f, 0x82,
	0x91, 0x9f, 0x1d, 0xca, 0x44, 0x3d,
};

TEST(real_openssl_client_hello)
{
	static struct tls_client_hello ch;
	struct buf s = {0}, raw = {0};
	char md5[JA3_MD5_LEN + 1], out[JA4_LEN + 1];

	if (!CHECK_EQ_U64(tls_parse_client_hello(guard_copy(real_ch, sizeof(real_ch)),
						 sizeof(real_ch), &ch),
			  HELLO_DONE))
		return;
	CHECK_STR_EQ(ch.sni, "example.test");
	CHECK_EQ_U64(ch.n_alpn, 2);
	CHECK_STR_EQ(ch.alpn[1].name, "http/1.1");
	CHECK_EQ_U64(ch.n_ciphers, 31);
	CHECK_EQ_U64(ch.n_exts, 11);
	CHECK_EQ_U64(ch.n_key_shares, 1);
	CHECK_EQ_U64(ch.key_shares[0], 0x001d);
	CHECK_EQ_U64(ch.n_sig_algs, 20);

	/*
	 * tshark 4.0.17 on a tcpdump -i lo capture of the same connection:
	 * tshark -r capture.pcap -Y tls.handshake.type==1 -T fields
	 *        -e tls.handshake.ja3_full -e tls.handshake.ja3
	 */
	ja3_of(&ch, &s, md5);
	CHECK_STR_EQ(s.p, "771,4866-4867-4865-49196-49200-159-52393-52392-52394-49195-49199-"
			  "158-49188-49192-107-49187-49191-103-49162-49172-57-49161-49171-51-157-"
			  "156-61-60-53-47-255,0-11-10-35-16-22-23-13-43-45-51,29-23-30-25-24-"
			  "256-257-258-259-260,0-1-2");
	CHECK_STR_EQ(md5, "5a1edc7f170af1014fc65c994878e63c");

	/*
	 * tshark 4.0 has no JA4: these come from a separate Python script written from JA4.md
	 * (hashlib.sha256 over the sorted lists) run on the same bytes.
	 */
	ja4(&ch, 't', out, &raw);
	buf_putc(&raw, 0);
	CHECK_STR_EQ(out, "t13d3111h2_e8f1e7e78f70_1f22a2ca17c4");
	CHECK_STR_EQ(raw.p,
		     "t13d3111h2_002f,0033,0035,0039,003c,003d,0067,006b,009c,009d,009e,009f,"
		     "00ff,1301,1302,1303,c009,c00a,c013,c014,c023,c024,c027,c028,c02b,c02c,"
		     "c02f,c030,cca8,cca9,ccaa_000a,000b,000d,0016,0017,0023,002b,002d,0033_"
		     "0403,0503,0603,0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,0601,"
		     "0303,0301,0302,0402,0502,0602");
	buf_free(&s);
	buf_free(&raw);
}

/*
 * The first bytes `openssl s_server -alpn h2` sent to that s_client (TLS 1.3): ServerHello,
 * then the ChangeCipherSpec record.
 */
static const uint8_t real_sh13[133] = {
	0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00, 0x00, 0x76, 0x03, 0x03, 0xa6, 0x8e, 0x35, 0x60,
	0x54, 0x90, 0x20, 0x89, 0x42, 0x0d, 0xbe, 0xbe, 0x69, 0xb5, 0xf6, 0x60, 0x22, 0xc1, 0x8a,
	0x59, 0xfe, 0x24, 0x75, 0x18, 0x15, 0x1a, 0x6e, 0xd1, 0x5f, 0x01, 0x39, 0x0d, 0x20, 0x5c,
	0x61, 0x1f, 0xff, 0xd7, 0x3e, 0xed, 0x52, 0xf4, 0xa0, 0xc5, 0xa6, 0xcf, 0xa2, 0x81, 0xd9,
	0x53, 0xd8, 0x97, 0x01, 0x32, 0x2b, 0x64, 0xd5, 0xec, 0x20, 0xea, 0xd1, 0x43, 0xa1, 0xb3,
	0x81, 0x13, 0x02, 0x00, 0x00, 0x2e, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x33, 0x00,
	0x24, 0x00, 0x1d, 0x00, 0x20, 0x5a, 0xbe, 0x49, 0xd0, 0x42, 0x7e, 0x2e, 0xe1, 0x43, 0x13,
	0x3c, 0x7e, 0xa1, 0x6f, 0x03, 0x96, 0x69, 0x68, 0x5e, 0x46, 0x00, 0x90, 0xff, 0xe6, 0x5f,
	0xb0, 0xbb, 0xa5, 0x92, 0x29, 0xbf, 0x56, 0x14, 0x03, 0x03, 0x00, 0x01, 0x01,
};

/* The same with -tls1_2 on both sides and the server's -alpn http/1.1: ServerHello, then the
 * start of the Certificate record. */
static const uint8_t real_sh12[94] = {
	0x16, 0x03, 0x03, 0x00, 0x50, 0x02, 0x00, 0x00, 0x4c, 0x03, 0x03, 0x00, 0x94, 0x74,
	0x8a, 0x07, 0x62, 0xa2, 0x4a, 0x97, 0x0b, 0xe0, 0xcc, 0xba, 0xcb, 0x23, 0x30, 0x5b,
	0x86, 0x04, 0xb4, 0xe7, 0x81, 0x18, 0xac, 0xd8, 0x27, 0xee, 0x3e, 0xe5, 0x48, 0x4b,
	0xc2, 0x00, 0xc0, 0x2c, 0x00, 0x00, 0x24, 0xff, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0b,
	0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x23, 0x00, 0x00, 0x00, 0x10, 0x00, 0x0b,
	0x00, 0x09, 0x08, 0x68, 0x74, 0x74, 0x70, 0x2f, 0x31, 0x2e, 0x31, 0x00, 0x17, 0x00,
	0x00, 0x16, 0x03, 0x03, 0x01, 0x90, 0x0b, 0x00, 0x01, 0x8c,
};

static void ja3s_of(const uint8_t *p, size_t n, struct buf *s, char *md5)
{
	static struct tls_server_hello sh;

	buf_reset(s);
	if (!CHECK_EQ_U64(tls_parse_server_hello(guard_copy(p, n), n, &sh), HELLO_DONE))
		return;
	ja3s_string(s, &sh);
	buf_putc(s, 0);
	ja_md5_hex(s->p, s->len - 1, md5);
}

/*
 * tshark -r capture.pcap -Y tls.handshake.type==2 -T fields -e tls.handshake.ja3s_full
 *        -e tls.handshake.ja3s
 */
TEST(real_openssl_server_hellos_ja3s)
{
	static struct tls_server_hello sh;
	struct buf s = {0};
	char md5[JA3_MD5_LEN + 1];

	ja3s_of(real_sh13, sizeof(real_sh13), &s, md5);
	CHECK_STR_EQ(s.p, "771,4866,43-51");
	CHECK_STR_EQ(md5, "15af977ce25de452b96affa2addb1036");
	ja3s_of(real_sh12, sizeof(real_sh12), &s, md5);
	CHECK_STR_EQ(s.p, "771,49196,65281-11-35-16-23");
	CHECK_STR_EQ(md5, "e195432758194ce2d482396b82e0d48e");

	CHECK_EQ_U64(tls_parse_server_hello(guard_copy(real_sh13, sizeof(real_sh13)),
					    sizeof(real_sh13), &sh),
		     HELLO_DONE);
	CHECK_EQ_U64(sh.version, 0x0304);
	CHECK_EQ_U64(sh.key_share, 0x001d);
	CHECK_EQ_U64(tls_parse_server_hello(guard_copy(real_sh12, sizeof(real_sh12)),
					    sizeof(real_sh12), &sh),
		     HELLO_DONE);
	CHECK_EQ_U64(sh.version, 0x0303);
	CHECK_EQ_U64(sh.cipher, 0xc02c);
	CHECK_STR_EQ(sh.alpn.name, "http/1.1");
	buf_free(&s);
}

/* Empty fields stay as empty strings between the commas; GREASE goes from every list. */
TEST(ja3_empty_fields_and_grease)
{
	static struct tls_client_hello ch;
	static struct tls_server_hello sh;
	struct buf s = {0};

	memset(&ch, 0, sizeof(ch));
	ch.legacy_version = 0x0301;
	ch.ciphers[0] = 0x2a2a;
	ch.ciphers[1] = 0x002f;
	ch.n_ciphers = 2;
	ja3_string(&s, &ch);
	buf_putc(&s, 0);
	CHECK_STR_EQ(s.p, "769,47,,,");

	buf_reset(&s);
	ch.groups[0] = 0xdada;
	ch.groups[1] = 0x001d;
	ch.n_groups = 2;
	ch.exts[0] = 0xeaea;
	ch.n_exts = 1;
	ch.ec_formats[0] = 0;
	ch.ec_formats[1] = 1;
	ch.n_ec_formats = 2;
	ja3_string(&s, &ch);
	buf_putc(&s, 0);
	CHECK_STR_EQ(s.p, "769,47,,29,0-1");

	buf_reset(&s);
	memset(&sh, 0, sizeof(sh));
	sh.legacy_version = 0x0303;
	sh.cipher = 0xc02f;
	ja3s_string(&s, &sh);
	buf_putc(&s, 0);
	CHECK_STR_EQ(s.p, "771,49199,");
	buf_free(&s);
}

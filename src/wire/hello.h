/* SPDX-License-Identifier: MIT */
/*
 * TLS ClientHello and ServerHello, parsed from the first bytes of one direction of a TCP
 * stream. Pure and incremental: call again with the same stream grown by more bytes; the
 * answer depends only on the bytes. The record layer is undone first (a hello may span several
 * records and several segments), then the first handshake message is read.
 */
#ifndef TLSSCOPE_WIRE_HELLO_H
#define TLSSCOPE_WIRE_HELLO_H

#include <stddef.h>
#include <stdint.h>

/* List caps. A list longer than its cap sets `truncated`; nothing is dropped silently. */
#define HELLO_MAX_CIPHERS 512
#define HELLO_MAX_EXTS	  128
#define HELLO_MAX_LIST	  128 /* versions, groups, key shares, signature algorithms, formats */
#define HELLO_MAX_ALPN	  16
#define HELLO_ALPN_LEN	  255
#define HELLO_SNI_LEN	  255
/* A hello message larger than this is refused (HELLO_ERR_TOO_LARGE). */
#define HELLO_MAX_MSG 65536

enum hello_status {
	HELLO_DONE = 1,
	HELLO_MORE = 0,		  /* a prefix of a plausible hello: feed more bytes */
	HELLO_ERR_NOT_TLS = -1,	  /* not a TLS handshake record (garbage, HTTP, ...) */
	HELLO_ERR_SSLV2 = -2,	  /* an SSLv2-compatible ClientHello: recognised, not parsed */
	HELLO_ERR_RECORD = -3,	  /* a record header is malformed (version, length 0, ...) */
	HELLO_ERR_NOT_HELLO = -4, /* the first handshake message is not the expected hello */
	HELLO_ERR_LENGTH = -5,	  /* a length field points past its container */
	HELLO_ERR_EXTENSION = -6, /* an extension's body is malformed */
	HELLO_ERR_TOO_LARGE = -7, /* the hello is larger than HELLO_MAX_MSG */
	HELLO_ERR__MIN = -7,
};

/* A short name for a status, for counters: "not_tls", "sslv2", ... ("done", "more"). */
const char *hello_status_name(int status);

struct tls_alpn {
	uint8_t len;
	char name[HELLO_ALPN_LEN + 1]; /* opaque bytes, NUL added; may hold any byte */
};

struct tls_client_hello {
	uint16_t legacy_version; /* client_version field */
	uint16_t n_ciphers, n_exts, n_versions, n_groups, n_key_shares, n_sig_algs, n_ec_formats;
	uint16_t n_alpn;
	uint16_t ciphers[HELLO_MAX_CIPHERS]; /* wire order, GREASE kept */
	uint16_t exts[HELLO_MAX_EXTS];	     /* extension types, wire order */
	uint16_t versions[HELLO_MAX_LIST];   /* supported_versions */
	uint16_t groups[HELLO_MAX_LIST];     /* supported_groups */
	uint16_t key_shares[HELLO_MAX_LIST]; /* key_share entries' groups */
	uint16_t sig_algs[HELLO_MAX_LIST];   /* signature_algorithms */
	uint8_t ec_formats[HELLO_MAX_LIST];  /* ec_point_formats */
	struct tls_alpn alpn[HELLO_MAX_ALPN];
	uint8_t has_sni;
	uint8_t sni_len;
	char sni[HELLO_SNI_LEN + 1]; /* host_name, NUL added */
	uint8_t truncated;	     /* some list was longer than its cap */
	uint32_t msg_len;	     /* handshake message body length */
};

struct tls_server_hello {
	uint16_t legacy_version; /* server_version field */
	uint16_t version;	 /* selected: supported_versions if present, else legacy_version */
	uint16_t cipher;
	uint16_t key_share; /* selected group (for an HRR: the group asked for); 0 if none */
	uint8_t hrr;	    /* a HelloRetryRequest */
	uint8_t has_alpn;
	uint8_t compression;
	uint8_t truncated;
	uint16_t n_exts;
	uint16_t exts[HELLO_MAX_EXTS];
	struct tls_alpn alpn; /* selected ALPN when on the wire (TLS 1.2 and older) */
};

/*
 * Parse the hello at the start of stream[0..len). Returns HELLO_DONE (out filled),
 * HELLO_MORE, or a negative hello_status. `out` is written even on failure (zeroed first).
 */
int tls_parse_client_hello(const uint8_t *stream, size_t len, struct tls_client_hello *out);
int tls_parse_server_hello(const uint8_t *stream, size_t len, struct tls_server_hello *out);

/* 1 if the first bytes could begin a TLS handshake record (type 22, version 3.x). */
int tls_looks_like_handshake(const uint8_t *p, size_t len);

/* RFC 8701 GREASE values (0x0a0a, 0x1a1a, ... 0xfafa). */
int tls_is_grease(uint16_t v);

/* IANA names; NULL when the code point is unknown (callers print it as 0x%04x). */
const char *tls_version_name(uint16_t v); /* "TLSv1.3", "TLSv1.2", ... */
const char *tls_cipher_name(uint16_t v);  /* "TLS_AES_256_GCM_SHA384", ... */
const char *tls_group_name(uint16_t v);	  /* "x25519", "secp256r1", "X25519MLKEM768", ... */
const char *tls_sigalg_name(uint16_t v);  /* "ecdsa_secp256r1_sha256", ... */
const char *tls_ext_name(uint16_t v);	  /* "server_name", "supported_groups", ... */

#endif

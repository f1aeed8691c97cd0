/* SPDX-License-Identifier: MIT */
/*
 * Client and server fingerprints: JA3 and JA3S (string and MD5) and JA4 (FoxIO's
 * BSD-licensed client fingerprint, per its published specification).
 */
#ifndef TLSSCOPE_WIRE_JA_H
#define TLSSCOPE_WIRE_JA_H

#include "util/buf.h"
#include "wire/hello.h"

#define JA3_MD5_LEN 32 /* hex digits */
#define JA4_LEN	    36 /* "t13d1516h2_8daaf6152771_e5627efa2ab1" */

/* "771,4866-4867,0-11-10,29-23,0" (GREASE removed), appended to b. */
void ja3_string(struct buf *b, const struct tls_client_hello *ch);
/* "771,4866,43-51", appended to b. */
void ja3s_string(struct buf *b, const struct tls_server_hello *sh);
/* Lowercase hex MD5 of s[0..n), NUL-terminated: out has JA3_MD5_LEN + 1 bytes. */
void ja_md5_hex(const char *s, size_t n, char *out);
/*
 * JA4 of a ClientHello carried over TCP ('t'; 'q' for QUIC): out has JA4_LEN + 1 bytes.
 * raw, when not NULL, receives the unhashed form (JA4_r: sorted lists, comma-joined).
 */
void ja4(const struct tls_client_hello *ch, char transport, char *out, struct buf *raw);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Secret headers (Authorization, Cookie, Set-Cookie, Proxy-Authorization) are masked in
 * every output by default. In raw plaintext records this works on HTTP/1-style header lines:
 * the value of such a line is overwritten with '*', so lengths and offsets stay true.
 * HPACK-encoded fields (HTTP/2) are found by the http tracker (http_masks()); a line split
 * across two TLS calls is counted there (redact_missed), as it cannot be masked here.
 */
#ifndef TLSSCOPE_REDACT_H
#define TLSSCOPE_REDACT_H

#include <stddef.h>
#include <stdint.h>

/* 1 if the header name (any case, no colon) is one whose value is masked. */
int redact_is_secret(const char *name, size_t len);
/* 1 if p holds a secret header line that redact_secrets() would mask. */
int redact_needed(const uint8_t *p, size_t n);
/* Copies n bytes from in to out, masking secret header values. Returns how many it masked. */
unsigned int redact_secrets(uint8_t *out, const uint8_t *in, size_t n);

#endif

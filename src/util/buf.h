/* SPDX-License-Identifier: MIT */
/*
 * A growable byte buffer that formatters append to. It is reset, never freed, between
 * records so the hot path does not allocate once it has grown to the largest record.
 */
#ifndef TLSSCOPE_BUF_H
#define TLSSCOPE_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
	char *p;
	size_t len;
	size_t cap;
	int oom; /* an allocation failed: contents are incomplete */
};

void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Makes room for n more bytes; returns 0 or -ENOMEM (and sets b->oom). */
int buf_reserve(struct buf *b, size_t n);
/* buf_put() when the buffer must grow first. */
void buf_put_slow(struct buf *b, const void *p, size_t n);

/*
 * Inline: the formatters append many short pieces, and a literal's length is then known at
 * compile time (buf_puts) instead of costing a strlen each.
 */
static inline void buf_put(struct buf *b, const void *p, size_t n)
{
	if (b->p && n <= b->cap - b->len) {
		memcpy(b->p + b->len, p, n);
		b->len += n;
		return;
	}
	buf_put_slow(b, p, n);
}

static inline void buf_putc(struct buf *b, char c)
{
	if (b->p && b->len < b->cap)
		b->p[b->len++] = c;
	else
		buf_put_slow(b, &c, 1);
}

static inline void buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Decimal, and "0x%04x" (lowercase): the hot loops' numbers without printf. */
void buf_put_uint(struct buf *b, uint64_t v);
void buf_put_hex16(struct buf *b, uint16_t v);

/* A JSON string literal, quotes included; bytes that are not valid UTF-8 become U+FFFD. */
void buf_put_json_str(struct buf *b, const char *s, size_t n);
/* Standard base64 with padding (RFC 4648 section 4). */
void buf_put_base64(struct buf *b, const uint8_t *p, size_t n);
size_t base64_len(size_t n);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * A byte builder for tests that assemble wire formats field by field (TLS records and
 * hellos), so each test states the bytes it feeds rather than patching a blob.
 */
#ifndef TLSSCOPE_TEST_BYTES_H
#define TLSSCOPE_TEST_BYTES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct bytes {
	uint8_t p[24576];
	size_t n;
};

static inline void put(struct bytes *b, const void *p, size_t n)
{
	if (b->n + n > sizeof(b->p))
		abort();
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static inline void put8(struct bytes *b, unsigned int v)
{
	uint8_t c = (uint8_t)v;

	put(b, &c, 1);
}

static inline void put16(struct bytes *b, unsigned int v)
{
	put8(b, v >> 8);
	put8(b, v);
}

static inline void put16s(struct bytes *b, const uint16_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put16(b, v[i]);
}

static inline void fill(struct bytes *b, uint8_t c, size_t n)
{
	while (n--)
		put8(b, c);
}

/* Reserves a w-byte length field; len_end() sets it to the length of what followed. */
static inline size_t len_begin(struct bytes *b, int w)
{
	for (int i = 0; i < w; i++)
		put8(b, 0);
	return b->n;
}

static inline void len_end(struct bytes *b, size_t at, int w)
{
	size_t v = b->n - at;

	for (int i = 0; i < w; i++)
		b->p[at - w + i] = (uint8_t)(v >> (8 * (w - 1 - i)));
}

#endif

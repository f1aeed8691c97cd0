// SPDX-License-Identifier: MIT
/*
 * buf_put_json_str() and buf_put_base64() on any bytes. The JSON string must be a valid JSON
 * string literal (no raw control bytes, only known escapes, valid UTF-8) that decodes back to
 * the input when the input is valid UTF-8, and the base64 must have base64_len() bytes and
 * decode back to the input. The decoders here are independent of src/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

/* Length of the valid UTF-8 sequence at s (RFC 3629, table 3-7), or 0. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
	uint8_t lo = 0x80, hi = 0xbf;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

static int utf8_valid(const uint8_t *s, size_t n)
{
	for (size_t i = 0, len; i < n; i += len)
		if (!(len = utf8_len(s + i, n - i)))
			return 0;
	return 1;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t put_utf8(uint8_t *o, unsigned int cp)
{
	if (cp < 0x80) {
		o[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = 0xc0 | cp >> 6;
		o[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	o[0] = 0xe0 | cp >> 12;
	o[1] = 0x80 | ((cp >> 6) & 0x3f);
	o[2] = 0x80 | (cp & 0x3f);
	return 3;
}

/* Decodes the JSON string literal s (quotes included) into out; traps if it is not one. */
static size_t json_decode(const uint8_t *s, size_t n, uint8_t *out)
{
	size_t i = 1, o = 0;

	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		__builtin_trap();
	while (i < n - 1) {
		uint8_t c = s[i];

		if (c < 0x20 || c == '"')
			__builtin_trap(); /* must have been escaped */
		if (c != '\\') {
			out[o++] = c;
			i++;
			continue;
		}
		if (i + 1 >= n - 1)
			__builtin_trap();
		switch (s[i + 1]) {
		case '"':
		case '\\':
		case '/':
			out[o++] = s[i + 1];
			break;
		case 'n':
			out[o++] = '\n';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case 'b':
			out[o++] = '\b';
			break;
		case 'f':
			out[o++] = '\f';
			break;
		case 'u': {
			unsigned int cp = 0;

			if (i + 6 > n - 1)
				__builtin_trap();
			for (int k = 2; k < 6; k++) {
				int h = hexval(s[i + k]);

				if (h < 0)
					__builtin_trap();
				cp = cp << 4 | h;
			}
			/* We never emit surrogate pairs: everything else passes through raw. */
			if (cp >= 0xd800 && cp <= 0xdfff)
				__builtin_trap();
			o += put_utf8(out + o, cp);
			i += 6;
			continue;
		}
		default:
			__builtin_trap();
		}
		i += 2;
	}
	return o;
}

static int b64val(uint8_t c)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? memchr(tbl, c, 64) : NULL;

	return p ? (int)(p - tbl) : -1;
}

/* Decodes padded base64; traps on anything RFC 4648 section 4 does not allow. */
static size_t b64_decode(const uint8_t *s, size_t n, uint8_t *out)
{
	size_t o = 0;

	if (n % 4)
		__builtin_trap();
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;

		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad || (v[k] = b64val(s[i + k])) < 0)
				__builtin_trap();
		}
		out[o++] = v[0] << 2 | v[1] >> 4;
		if (pad < 2)
			out[o++] = (v[1] & 15) << 4 | v[2] >> 2;
		if (pad < 1)
			out[o++] = (v[2] & 3) << 6 | v[3];
	}
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf b = {0};
	uint8_t *in = malloc(size ? size : 1), *out;
	size_t prefix, n;

	if (!in)
		return 0;
	/* An exact-size copy: ASan then sees any read past the input. */
	memcpy(in, data, size);
	/* Something in the buffer already, so appends start mid-allocation. */
	prefix = size ? data[0] % 7 : 0;
	buf_printf(&b, "%.*s", (int)prefix, "0123456");
	buf_put_json_str(&b, (const char *)in, size);
	if (b.oom || b.len < prefix + 2)
		__builtin_trap();
	/* A JSON escape is at most 6 bytes, and it stands for 1 input byte at least. */
	if (b.len - prefix > 6 * size + 2)
		__builtin_trap();
	out = malloc(b.len);
	if (!out)
		goto out;
	if (!utf8_valid((const uint8_t *)b.p + prefix, b.len - prefix))
		__builtin_trap();
	n = json_decode((const uint8_t *)b.p + prefix, b.len - prefix, out);
	if (utf8_valid(in, size) ? n != size || memcmp(out, in, size)
				 : !memmem(out, n, "\xef\xbf\xbd", 3))
		__builtin_trap();
	free(out);

	buf_reset(&b);
	buf_put_base64(&b, in, size);
	if (b.oom || b.len != base64_len(size) || b.len != (size + 2) / 3 * 4)
		__builtin_trap();
	out = malloc(b.len / 4 * 3 + 1);
	if (!out)
		goto out;
	n = b64_decode((const uint8_t *)b.p, b.len, out);
	if (n != size || memcmp(out, in, size))
		__builtin_trap();
	free(out);
out:
	buf_free(&b);
	free(in);
	return 0;
}

// SPDX-License-Identifier: MIT
#include <string.h>

#include "check.h"
#include "util/buf.h"

/* JSON-escapes n bytes of s, read from a guard-page copy; returns the buffer's bytes. */
static int json_is(const char *s, size_t n, const char *want, const char *file, int line)
{
	struct buf b = {0};
	int ok;

	buf_put_json_str(&b, guard_copy(s, n), n);
	ok = check_mem_eq_(b.p, b.len, want, strlen(want), "json(input)", want, file, line);
	ok &= check_true_(!b.oom, "!b.oom", file, line);
	buf_free(&b);
	return ok;
}

/* s is a string literal: its length is known, embedded NULs included. */
#define JSON_IS(s, want) json_is((s), sizeof(s) - 1, (want), __FILE__, __LINE__)

TEST(json_plain_ascii)
{
	JSON_IS("", "\"\"");
	JSON_IS("GET / HTTP/1.1", "\"GET / HTTP/1.1\"");
	JSON_IS(" ~{}[]<>/'", "\" ~{}[]<>/'\"");
}

TEST(json_quote_and_backslash)
{
	JSON_IS("\"", "\"\\\"\"");
	JSON_IS("\\", "\"\\\\\"");
	JSON_IS("a\"b\\c\"", "\"a\\\"b\\\\c\\\"\"");
}

TEST(json_named_escapes)
{
	JSON_IS("\n", "\"\\n\"");
	JSON_IS("a\r\nb\tc", "\"a\\r\\nb\\tc\"");
}

TEST(json_control_chars)
{
	JSON_IS("\x01", "\"\\u0001\"");
	JSON_IS("\x08\x0c", "\"\\u0008\\u000c\"");
	JSON_IS("\x1b[0m", "\"\\u001b[0m\"");
	JSON_IS("\x1f", "\"\\u001f\"");
	/* Every byte below 0x20 other than \t \n \r goes out as \u00XX, in lower-case hex. */
	for (unsigned int c = 0; c < 0x20; c++) {
		char in[1] = {(char)c}, want[16];

		if (c == '\t' || c == '\n' || c == '\r')
			continue;
		snprintf(want, sizeof(want), "\"\\u%04x\"", c);
		json_is(in, 1, want, __FILE__, __LINE__);
	}
}

TEST(json_del_is_escaped)
{
	/* DEL is a control character: buf.c's escape branch names 0x7f explicitly. */
	JSON_IS("\x7f", "\"\\u007f\"");
	JSON_IS("a\x7f"
		"b",
		"\"a\\u007fb\"");
}

TEST(json_embedded_nul)
{
	JSON_IS("a\0b", "\"a\\u0000b\"");
	JSON_IS("\0", "\"\\u0000\"");
}

TEST(json_valid_utf8_passes_through)
{
	JSON_IS("\xc2\x80", "\"\xc2\x80\"");		     /* U+0080, the smallest 2-byte */
	JSON_IS("caf\xc3\xa9", "\"caf\xc3\xa9\"");	     /* é */
	JSON_IS("\xdf\xbf", "\"\xdf\xbf\"");		     /* U+07FF */
	JSON_IS("\xe0\xa0\x80", "\"\xe0\xa0\x80\"");	     /* U+0800, the smallest 3-byte */
	JSON_IS("\xe2\x82\xac", "\"\xe2\x82\xac\"");	     /* € */
	JSON_IS("\xed\x9f\xbf", "\"\xed\x9f\xbf\"");	     /* U+D7FF, just below the surrogates */
	JSON_IS("\xee\x80\x80", "\"\xee\x80\x80\"");	     /* U+E000, just above them */
	JSON_IS("\xef\xbf\xbf", "\"\xef\xbf\xbf\"");	     /* U+FFFF */
	JSON_IS("\xf0\x90\x80\x80", "\"\xf0\x90\x80\x80\""); /* U+10000, the smallest 4-byte */
	JSON_IS("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""); /* 😀 */
	JSON_IS("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""); /* U+10FFFF, the largest */
	JSON_IS("x\xe2\x82\xac\"", "\"x\xe2\x82\xac\\\"\"");
}

TEST(json_invalid_utf8_becomes_replacement)
{
	/* One U+FFFD per byte that does not start a valid sequence. */
	JSON_IS("\x80", "\"\\ufffd\""); /* lone continuation byte */
	JSON_IS("\xbf\x80", "\"\\ufffd\\ufffd\"");
	JSON_IS("\xff", "\"\\ufffd\"");
	JSON_IS("\xfe", "\"\\ufffd\"");
	JSON_IS("\xf5\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* past U+10FFFF lead */
	JSON_IS("\xc3(", "\"\\ufffd(\""); /* lead byte without its continuation */
	JSON_IS("a\xe2\x82"
		"b",
		"\"a\\ufffd\\ufffdb\"");
	/* Truncated at the very end of the input: must not read past it. */
	JSON_IS("\xe2\x82", "\"\\ufffd\\ufffd\"");
	JSON_IS("\xf0\x9f\x98", "\"\\ufffd\\ufffd\\ufffd\"");
	JSON_IS("\xc3", "\"\\ufffd\"");
}

TEST(json_overlong_forms_rejected)
{
	JSON_IS("\xc0\xaf", "\"\\ufffd\\ufffd\""); /* '/' in 2 bytes */
	JSON_IS("\xc1\xbf", "\"\\ufffd\\ufffd\"");
	JSON_IS("\xc0\x80", "\"\\ufffd\\ufffd\""); /* NUL in 2 bytes (modified UTF-8) */
	JSON_IS("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");
	JSON_IS("\xe0\x9f\xbf", "\"\\ufffd\\ufffd\\ufffd\""); /* U+07FF in 3 bytes */
	JSON_IS("\xf0\x80\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	JSON_IS("\xf0\x8f\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* U+FFFF in 4 bytes */
}

TEST(json_surrogates_and_out_of_range_rejected)
{
	JSON_IS("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* U+D800 */
	JSON_IS("\xed\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\""); /* U+DFFF */
	/* a CESU-8 surrogate pair for U+1F600 */
	JSON_IS("\xed\xa0\xbd\xed\xb8\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
	JSON_IS("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* U+110000 */
}

TEST(json_appends_and_grows)
{
	struct buf b = {0};
	char in[1000], want[1003];

	buf_puts(&b, "x=");
	buf_put_json_str(&b, "1", 1);
	CHECK_MEM_EQ(b.p, b.len, "x=\"1\"", 5);
	buf_reset(&b);
	CHECK_EQ_U64(b.len, 0);
	memset(in, 'a', sizeof(in));
	in[500] = '\n';
	buf_put_json_str(&b, guard_copy(in, sizeof(in)), sizeof(in));
	want[0] = '"';
	memcpy(want + 1, in, 500);
	memcpy(want + 501, "\\n", 2);
	memset(want + 503, 'a', 499);
	want[1002] = '"';
	CHECK_MEM_EQ(b.p, b.len, want, sizeof(want));
	CHECK(b.cap >= b.len);
	buf_free(&b);
}

static int b64_is(const void *p, size_t n, const char *want, const char *file, int line)
{
	struct buf b = {0};
	int ok;

	buf_put_base64(&b, guard_copy(p, n), n);
	ok = check_mem_eq_(b.p, b.len, want, strlen(want), "base64(input)", want, file, line);
	ok &= check_eq_u64_(base64_len(n), strlen(want), "base64_len(n)", "strlen(want)", file,
			    line);
	buf_free(&b);
	return ok;
}

#define B64_IS(s, want) b64_is((s), sizeof(s) - 1, (want), __FILE__, __LINE__)

TEST(base64_rfc4648_vectors)
{
	B64_IS("", "");
	B64_IS("f", "Zg==");
	B64_IS("fo", "Zm8=");
	B64_IS("foo", "Zm9v");
	B64_IS("foob", "Zm9vYg==");
	B64_IS("fooba", "Zm9vYmE=");
	B64_IS("foobar", "Zm9vYmFy");
}

TEST(base64_binary)
{
	static const char all[] =
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7"
		"PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3"
		"eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq+wsbKz"
		"tLW2t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+jp6uvs7e7v"
		"8PHy8/T19vf4+fr7/P3+/w==";
	uint8_t bytes[256];

	B64_IS("\x00\xff\xfe\x10", "AP/+EA==");
	B64_IS("\x00", "AA==");
	B64_IS("\xff\xff\xff", "////");
	B64_IS("\xfb\xff", "+/8=");
	for (int i = 0; i < 256; i++)
		bytes[i] = i;
	b64_is(bytes, sizeof(bytes), all, __FILE__, __LINE__);
}

TEST(base64_len_values)
{
	static const size_t want[] = {0, 4, 4, 4, 8, 8, 8, 12};

	for (size_t n = 0; n < sizeof(want) / sizeof(want[0]); n++)
		CHECK_EQ_U64(base64_len(n), want[n]);
	CHECK_EQ_U64(base64_len(16384), 21848);
}

TEST(base64_appends)
{
	struct buf b = {0};

	buf_puts(&b, "data:");
	buf_put_base64(&b, (const uint8_t *)"foobar", 6);
	buf_putc(&b, ';');
	CHECK_MEM_EQ(b.p, b.len, "data:Zm9vYmFy;", 14);
	buf_free(&b);
}

TEST(printf_into_empty_buf)
{
	struct buf b = {0};

	buf_printf(&b, "%d-%s", 42, "x");
	CHECK_MEM_EQ(b.p, b.len, "42-x", 4);
	buf_printf(&b, "%s", "");
	CHECK_EQ_U64(b.len, 4);
	buf_free(&b);
	CHECK(b.p == NULL);
	CHECK_EQ_U64(b.cap, 0);
}

TEST(printf_grows_past_256)
{
	struct buf b = {0};
	char big[600], want[1200];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	/* 599 bytes into an empty buffer: more than the first 256-byte allocation. */
	buf_printf(&b, "%s", big);
	CHECK_EQ_U64(b.len, 599);
	CHECK(b.cap >= 600);
	CHECK_MEM_EQ(b.p, b.len, big, 599);
	CHECK(!b.oom);

	/* Fill to just below 256, then cross it with one call. */
	buf_free(&b);
	memset(want, 0, sizeof(want));
	buf_printf(&b, "%.250s", big);
	CHECK_EQ_U64(b.len, 250);
	buf_printf(&b, "[%d|%s]", 123456, "abcdefgh");
	memset(want, 'x', 250);
	memcpy(want + 250, "[123456|abcdefgh]", 17);
	CHECK_MEM_EQ(b.p, b.len, want, 267);

	/* Exactly at the boundary: 255 then 256 characters after a reset. */
	buf_reset(&b);
	buf_free(&b);
	buf_printf(&b, "%.255s", big);
	CHECK_EQ_U64(b.len, 255);
	CHECK_MEM_EQ(b.p, b.len, big, 255);
	buf_reset(&b);
	buf_printf(&b, "%.256s", big);
	CHECK_EQ_U64(b.len, 256);
	CHECK_MEM_EQ(b.p, b.len, big, 256);
	buf_printf(&b, "%.300s", big);
	CHECK_EQ_U64(b.len, 556);
	CHECK_MEM_EQ(b.p, b.len, big, 556);
	buf_free(&b);
}

TEST(put_and_reserve)
{
	struct buf b = {0};

	buf_put(&b, "ab", 2);
	buf_putc(&b, 'c');
	buf_puts(&b, "def");
	CHECK_MEM_EQ(b.p, b.len, "abcdef", 6);
	CHECK_EQ_U64(buf_reserve(&b, 1000), 0);
	CHECK(b.cap - b.len >= 1000);
	CHECK_MEM_EQ(b.p, b.len, "abcdef", 6);
	buf_reset(&b);
	CHECK_EQ_U64(b.len, 0);
	CHECK(b.cap >= 1006); /* reset keeps the allocation */
	buf_free(&b);
}

TEST(buf_numbers_without_printf)
{
	struct buf b = {0};

	buf_put_uint(&b, 0);
	buf_putc(&b, ' ');
	buf_put_uint(&b, 771);
	buf_putc(&b, ' ');
	buf_put_uint(&b, UINT64_MAX);
	buf_putc(&b, ' ');
	buf_put_hex16(&b, 0x0a0a);
	buf_putc(&b, ' ');
	buf_put_hex16(&b, 0xffff);
	buf_putc(&b, ' ');
	buf_put_hex16(&b, 0);
	CHECK_MEM_EQ(b.p, b.len, "0 771 18446744073709551615 0x0a0a 0xffff 0x0000", 47);
	buf_free(&b);
}

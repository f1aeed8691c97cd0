// SPDX-License-Identifier: MIT
#include "check.h"
#include "redact.h"

static unsigned int run(const char *in, char *out)
{
	size_t n = strlen(in);
	const uint8_t *p = guard_copy(in, n);
	unsigned int masked;

	masked = redact_secrets((uint8_t *)out, p, n);
	out[n] = 0;
	CHECK_EQ_U64(redact_needed(p, n), masked != 0);
	return masked;
}

TEST(request_headers)
{
	char out[256];

	CHECK_EQ_U64(run("GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer abc\r\n"
			 "Cookie: s=1; t=2\r\n\r\n",
			 out),
		     2);
	CHECK_STR_EQ(out, "GET / HTTP/1.1\r\nHost: a\r\nAuthorization: **********\r\n"
			  "Cookie: ********\r\n\r\n");
}

TEST(response_and_proxy_headers_any_case)
{
	char out[256];

	CHECK_EQ_U64(
		run("HTTP/1.1 200 OK\r\nset-cookie:id=9\r\nPROXY-AUTHORIZATION: \tBasic x\n", out),
		2);
	CHECK_STR_EQ(out, "HTTP/1.1 200 OK\r\nset-cookie:****\r\nPROXY-AUTHORIZATION: \t*******\n");
}

TEST(header_at_start_and_without_line_end)
{
	char out[64];

	CHECK_EQ_U64(run("Authorization: secret", out), 1);
	CHECK_STR_EQ(out, "Authorization: ******");
}

TEST(lookalikes_are_left_alone)
{
	char out[256];
	const char *in = "X-Authorization: a\r\nCookie2 x\r\nMy-Cookie: b\r\nnot Cookie: c\r\n";

	CHECK_EQ_U64(run(in, out), 0);
	CHECK_STR_EQ(out, in);
}

TEST(empty_and_binary)
{
	char out[8];
	static const char bin[] = {0, 1, 2, '\n', 0x7f};

	CHECK_EQ_U64(redact_needed((const uint8_t *)guard_copy("", 0), 0), 0);
	CHECK_EQ_U64(redact_secrets((uint8_t *)out, guard_copy(bin, sizeof(bin)), sizeof(bin)), 0);
	CHECK_MEM_EQ(out, sizeof(bin), bin, sizeof(bin));
}

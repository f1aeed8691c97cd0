// SPDX-License-Identifier: MIT
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "util/addr.h"

static const char *fmt(int family, const uint8_t *a, uint16_t port)
{
	static char out[ENDPOINT_STRLEN];
	uint8_t addr[16] = {0};

	memcpy(addr, a, family == AF_INET ? 4 : 16);
	memset(out, 'Z', sizeof(out));
	/* The address is read from a guard-page copy: 4 bytes for IPv4 must be enough. */
	return endpoint_format(out, family, guard_copy(addr, family == AF_INET ? 4 : 16), port);
}

TEST(ipv4)
{
	CHECK_STR_EQ(fmt(AF_INET, (const uint8_t[]){127, 0, 0, 1}, 443), "127.0.0.1:443");
	CHECK_STR_EQ(fmt(AF_INET, (const uint8_t[]){0, 0, 0, 0}, 0), "0.0.0.0:0");
	CHECK_STR_EQ(fmt(AF_INET, (const uint8_t[]){255, 255, 255, 255}, 65535),
		     "255.255.255.255:65535");
	CHECK_STR_EQ(fmt(AF_INET, (const uint8_t[]){10, 1, 2, 3}, 8080), "10.1.2.3:8080");
}

TEST(ipv6)
{
	static const uint8_t lo[16] = {[15] = 1};
	static const uint8_t any[16] = {0};
	static const uint8_t doc[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0x12, [15] = 0x34};
	static const uint8_t full[16] = {0xfe, 0x80, 0,	   0,	 0,    0,    0,	   0,
					 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0};
	static const uint8_t max[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	CHECK_STR_EQ(fmt(AF_INET6, lo, 443), "[::1]:443");
	CHECK_STR_EQ(fmt(AF_INET6, any, 8443), "[::]:8443");
	CHECK_STR_EQ(fmt(AF_INET6, doc, 1), "[2001:db8::1234]:1");
	CHECK_STR_EQ(fmt(AF_INET6, full, 22), "[fe80::1234:5678:9abc:def0]:22");
	/* The longest endpoint there is fits ENDPOINT_STRLEN. */
	CHECK_STR_EQ(fmt(AF_INET6, max, 65535), "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
}

TEST(ipv4_mapped_ipv6_prints_as_ipv4)
{
	static const uint8_t mapped[16] = {[10] = 0xff, [11] = 0xff, 192, 168, 1, 20};
	static const uint8_t mapped_lo[16] = {[10] = 0xff, [11] = 0xff, 127, 0, 0, 1};
	/* Not mapped: IPv4-compatible (deprecated) and a near miss of the prefix. */
	static const uint8_t compat[16] = {[12] = 127, 0, 0, 1};
	static const uint8_t near[16] = {[9] = 1, [10] = 0xff, [11] = 0xff, 127, 0, 0, 1};

	CHECK_STR_EQ(fmt(AF_INET6, mapped, 50000), "192.168.1.20:50000");
	CHECK_STR_EQ(fmt(AF_INET6, mapped_lo, 443), "127.0.0.1:443");
	CHECK_STR_EQ(fmt(AF_INET6, compat, 443), "[::127.0.0.1]:443");
	CHECK_STR_EQ(fmt(AF_INET6, near, 443), "[::1:ffff:7f00:1]:443");
}

TEST(unknown_family)
{
	static const uint8_t addr[16] = {1, 2, 3, 4};
	char out[ENDPOINT_STRLEN];

	CHECK_STR_EQ(fmt(0, addr, 443), "?");
	CHECK_STR_EQ(fmt(AF_UNIX, addr, 443), "?");
	CHECK(endpoint_format(out, 12345, addr, 1) == out);
	CHECK_STR_EQ(out, "?");
}

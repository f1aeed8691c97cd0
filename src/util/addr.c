// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "util/addr.h"

static const uint8_t v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Decimal digits of v at o; returns the end. */
static char *put_dec(char *o, unsigned int v)
{
	char tmp[10], *t = tmp + sizeof(tmp);

	do {
		*--t = '0' + v % 10;
		v /= 10;
	} while (v);
	memcpy(o, t, tmp + sizeof(tmp) - t);
	return o + (tmp + sizeof(tmp) - t);
}

/* "a.b.c.d:port" without printf: every record formats two of these. */
static char *format_v4(char *out, const uint8_t a[4], uint16_t port)
{
	char *o = out;

	for (int i = 0; i < 4; i++) {
		o = put_dec(o, a[i]);
		*o++ = i < 3 ? '.' : ':';
	}
	o = put_dec(o, port);
	*o = 0;
	return out;
}

char *endpoint_format(char *out, int family, const uint8_t addr[16], uint16_t port)
{
	char ip[INET6_ADDRSTRLEN];

	if (family == AF_INET6 && !memcmp(addr, v4mapped_prefix, sizeof(v4mapped_prefix))) {
		format_v4(out, addr + 12, port);
	} else if (family == AF_INET6) {
		inet_ntop(AF_INET6, addr, ip, sizeof(ip));
		snprintf(out, ENDPOINT_STRLEN, "[%s]:%u", ip, port);
	} else if (family == AF_INET) {
		format_v4(out, addr, port);
	} else {
		strcpy(out, "?");
	}
	return out;
}

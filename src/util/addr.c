// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "util/addr.h"

static const uint8_t v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

char *endpoint_format(char *out, int family, const uint8_t addr[16], uint16_t port)
{
	char ip[INET6_ADDRSTRLEN];

	if (family == AF_INET6 && !memcmp(addr, v4mapped_prefix, sizeof(v4mapped_prefix))) {
		inet_ntop(AF_INET, addr + 12, ip, sizeof(ip));
		snprintf(out, ENDPOINT_STRLEN, "%s:%u", ip, port);
	} else if (family == AF_INET6) {
		inet_ntop(AF_INET6, addr, ip, sizeof(ip));
		snprintf(out, ENDPOINT_STRLEN, "[%s]:%u", ip, port);
	} else if (family == AF_INET) {
		inet_ntop(AF_INET, addr, ip, sizeof(ip));
		snprintf(out, ENDPOINT_STRLEN, "%s:%u", ip, port);
	} else {
		strcpy(out, "?");
	}
	return out;
}

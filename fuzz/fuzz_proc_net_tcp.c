// SPDX-License-Identifier: MIT
/*
 * proc_net_tcp_parse() on one line of /proc/net/tcp (first input byte even) or tcp6 (odd);
 * then a listener parsed from it must claim a connection on its own address and port.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conn.h"

/* No /proc entry: the lookup never rereads procfs. */
#define NO_PID 0x7ffffff0u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcp_entry e;
	int family;
	char *line;

	if (!size)
		return 0;
	family = data[0] & 1 ? AF_INET6 : AF_INET;
	line = malloc(size);
	if (!line)
		return 0;
	memcpy(line, data + 1, size - 1);
	line[size - 1] = 0;
	if (!proc_net_tcp_parse(line, family, &e)) {
		struct listeners *l = listeners__new();
		struct conn_tuple t = {.lport = e.lport, .family = e.family};

		if (e.family != family)
			__builtin_trap();
		memcpy(t.laddr, e.laddr, sizeof(t.laddr));
		if (l && !listeners__add(l, 1, &e) &&
		    listeners__role(l, 1, NO_PID, &t) != ROLE_SERVER)
			__builtin_trap();
		listeners__free(l);
	}
	free(line);
	return 0;
}

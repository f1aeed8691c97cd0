/* SPDX-License-Identifier: MIT */
/*
 * Connection facts user space resolves itself. Today: the role of a socket older than the
 * agent (the kernel saw no connect or accept for it): `server` if a listening socket in the
 * same network namespace holds (or held, since the agent started) its local address and
 * port, else `client`.
 */
#ifndef TLSSCOPE_CONN_H
#define TLSSCOPE_CONN_H

#include <stdint.h>

#include "bpf/abi.h"

struct tcp_entry {
	int family;
	uint8_t laddr[16]; /* network order */
	uint16_t lport;
	uint8_t state; /* TCP_* as the kernel numbers them; 0x0A is LISTEN */
};

/* Parses one line of /proc/net/tcp (family AF_INET) or tcp6 (AF_INET6). Returns 0 or -EINVAL. */
int proc_net_tcp_parse(const char *line, int family, struct tcp_entry *out);

struct listeners;

struct listeners *listeners__new(void);
void listeners__free(struct listeners *l);
/* Adds a listener by hand (tests; the agent reads them from procfs). */
int listeners__add(struct listeners *l, uint32_t netns, const struct tcp_entry *e);
/* Adds the listeners of network namespace netns, read through process pid. 0 or -ENOENT. */
int listeners__load(struct listeners *l, uint32_t netns, uint32_t pid);
/*
 * Loads every namespace's listeners, through the first process found in each. Done at start
 * so that connections older than the agent keep their role after their processes exit.
 */
void listeners__load_all(struct listeners *l);
/*
 * The role of tuple t seen in process pid (network namespace netns). Reads the namespace's
 * listening sockets through /proc/PID/net at most once a second per namespace.
 */
enum conn_role listeners__role(struct listeners *l, uint32_t netns, uint32_t pid,
			       const struct conn_tuple *t);

#endif

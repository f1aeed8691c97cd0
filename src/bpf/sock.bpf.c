// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Connection roles from TCP state changes: a socket that enters SYN_SENT connects (client);
 * one born in SYN_RECV was accepted (server). Sockets older than the agent are absent here
 * and user space decides from the listening sockets instead.
 */
#include "common.bpf.h"

#define TCP_SYN_SENT 2
#define TCP_SYN_RECV 3

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(sock_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct conn_tuple conn = {};
	__u64 key = (__u64)sk;

	if (newstate == TCP_SYN_SENT)
		conn.role = ROLE_CLIENT;
	else if (newstate == TCP_SYN_RECV)
		conn.role = ROLE_SERVER;
	else
		return 0;
	/* A new connection: forget whatever an earlier one on this struct sock left. */
	bpf_map_update_elem(&sock_conns, &key, &conn, BPF_ANY);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Connection roles from TCP state changes: a socket that leaves SYN_SENT connected (client);
 * one born in SYN_RECV was accepted (server). Sockets older than the agent are absent here
 * and user space decides from the listening sockets instead.
 */
#include "common.bpf.h"

#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT	2
#define TCP_SYN_RECV	3
#define TCP_CLOSE	7

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(sock_state, const struct sock *sk, const int oldstate, const int newstate)
{
	__u64 key = (__u64)sk;
	__u8 role;

	if (newstate == TCP_SYN_SENT)
		role = ROLE_CLIENT;
	else if (newstate == TCP_SYN_RECV)
		role = ROLE_SERVER;
	else if (newstate == TCP_CLOSE) {
		bpf_map_delete_elem(&sock_roles, &key);
		return 0;
	} else
		return 0;
	bpf_map_update_elem(&sock_roles, &key, &role, BPF_ANY);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Sockets. Two things are learned here:
 *  - roles, from TCP state changes: a socket that enters SYN_SENT connects (client); one born
 *    in SYN_RECV was accepted (server). Each such change starts a new connection generation
 *    on that struct sock. Sockets older than the agent are absent and user space decides;
 *  - which socket a TLS call uses (offset-free attribution): the socket I/O the library does
 *    while the call is on the thread's stack. sock_send_length/sock_recv_length fire for
 *    socket I/O only, so the rest of the host's syscalls (pipes, files, futexes) pay nothing.
 */
#include "common.bpf.h"

#define TCP_SYN_SENT 2
#define TCP_SYN_RECV 3

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(sock_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct sock_conn conn = {};
	__u64 key = (__u64)sk;

	if (newstate == TCP_SYN_SENT)
		conn.t.role = ROLE_CLIENT;
	else if (newstate == TCP_SYN_RECV)
		conn.t.role = ROLE_SERVER;
	else
		return 0;
	/* A new connection: forget whatever an earlier one on this struct sock left. */
	conn.gen = __sync_fetch_and_add(&conn_gen, 1) + 1;
	bpf_map_update_elem(&sock_conns, &key, &conn, BPF_ANY);
	return 0;
}

static __always_inline void note_io(struct sock *sk)
{
	struct task_struct *task;
	struct inflight *in;

	if (!inflight_calls)
		return;
	task = bpf_get_current_task_btf();
	in = bpf_task_storage_get(&inflight, task, 0, 0);
	if (!in || !in->active)
		return;
	if (!in->sk) {
		in->sk = (__u64)sk;
		in->fd = syscall_fd(task);
	} else if (in->sk != (__u64)sk) {
		in->conflict = 1;
	}
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(sock_send, struct sock *sk, int ret, int flags)
{
	note_io(sk);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(sock_recv, struct sock *sk, int ret, int flags)
{
	note_io(sk);
	return 0;
}

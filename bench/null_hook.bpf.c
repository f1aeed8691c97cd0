// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Empty BPF programs at the hook points tlsscope uses: what the platform charges for a hook
 * before any of the program's own work. Loaded by bench/null_hook.c.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("uprobe")
int null_enter(struct pt_regs *ctx)
{
	return 0;
}

SEC("uretprobe")
int null_exit(struct pt_regs *ctx)
{
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(null_sock_send, struct sock *sk, int ret, int flags)
{
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(null_sock_recv, struct sock *sk, int ret, int flags)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

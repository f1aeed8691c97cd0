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

SEC("tp_btf/sys_enter")
int BPF_PROG(null_sys_enter, struct pt_regs *regs, long id)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Process life cycle: exec and library loads tell user space to look for TLS code, exit lets
 * it forget.
 */
#include "common.bpf.h"

SEC("tp_btf/sched_process_exec")
int BPF_PROG(proc_exec, struct task_struct *p)
{
	struct exec_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(CNT_LOST_OTHER, 1);
		return 0;
	}
	fill_hdr(&e->hdr, EV_EXEC, sizeof(*e), 0);
	e->ppid = BPF_CORE_READ(p, real_parent, tgid);
	e->_pad = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(proc_exit, struct task_struct *p)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct exit_event *e;
	struct inflight *in;

	/* A thread that dies inside a TLS call never returns from it. */
	in = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);
	if (in && in->active) {
		in->active = 0;
		__sync_fetch_and_add(&inflight_calls, -1);
	}
	/* Nor does it send the ciphertext of writes it made (memory BIOs). */
	if (in && in->pend_state != PEND_NONE) {
		in->pend_state = PEND_NONE;
		__sync_fetch_and_add(&pending_binds, -1);
	}
	if (tid != id >> 32)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(CNT_LOST_OTHER, 1);
		return 0;
	}
	fill_hdr(&e->hdr, EV_EXIT, sizeof(*e), 0);
	bpf_ringbuf_submit(e, submit_flags());
	return 0;
}

/*
 * The dynamic loader calls _dl_debug_state() (the debuggers' hook) before and after every
 * change to its list of libraries: at start-up and at each dlopen/dlclose. User space then
 * looks at the process's mappings for new TLS libraries. Rare, so always wake the reader.
 */
SEC("uprobe")
int BPF_KPROBE(proc_libs)
{
	struct libs_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(CNT_LOST_OTHER, 1);
		return 0;
	}
	fill_hdr(&e->hdr, EV_LIBS, sizeof(*e), 0);
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Syscall entry, the one hook that fires for every process on the host, so it does as little
 * as it can: a switch on the syscall number, then one hash lookup for socket I/O.
 *  - socket I/O inside a TLS call reveals the call's fd (offset-free attribution);
 *  - an executable mapping of a file never seen before tells user space to look at it
 *    (covers dlopen and libraries loaded after exec).
 * tp_btf needs no tracefs and reads the syscall's registers directly.
 */
#include "common.bpf.h"

#if defined(__TARGET_ARCH_x86)
#define NR_read	       0
#define NR_write       1
#define NR_mmap	       9
#define NR_readv       19
#define NR_writev      20
#define NR_sendto      44
#define NR_recvfrom    45
#define NR_sendmsg     46
#define NR_recvmsg     47
#define NR_recvmmsg    299
#define NR_sendmmsg    307
#define SYS_ARG0(regs) ((regs)->di)
#define SYS_ARG2(regs) ((regs)->dx)
#define SYS_ARG4(regs) ((regs)->r8)
#else
#error "syscall numbers for this architecture are not defined yet"
#endif

#define PROT_EXEC 0x4

static __always_inline void note_fd(int fd)
{
	struct inflight *in;

	if (!inflight_calls)
		return;
	in = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);
	if (!in || !in->active)
		return;
	if (in->fd < 0) {
		in->fd = fd;
	} else if (in->fd != fd) {
		/*
		 * Only sockets name the connection; a file the library writes on the way (a key
		 * log during an implicit handshake) does not. Checked only here, off the common
		 * path of one fd per call.
		 */
		int old_sock = fd_is_socket(in->fd), new_sock = fd_is_socket(fd);

		if (new_sock && !old_sock)
			in->fd = fd;
		else if (new_sock && old_sock)
			in->conflict = 1;
	}
}

static __always_inline void note_mmap(int fd)
{
	struct file *file = fd_to_file(fd);
	struct file_key key = {};
	struct mmap_event *e;
	__u8 one = 1;

	if (!file)
		return;
	key.ino = BPF_CORE_READ(file, f_inode, i_ino);
	key.dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	if (bpf_map_lookup_elem(&seen_files, &key))
		return;
	bpf_map_update_elem(&seen_files, &key, &one, BPF_ANY);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		/* Forget it so the next mapping of this file reports it again. */
		bpf_map_delete_elem(&seen_files, &key);
		count(CNT_LOST_OTHER, 1);
		return;
	}
	fill_hdr(&e->hdr, EV_MMAP, sizeof(*e), 0);
	e->dev = key.dev;
	e->ino = key.ino;
	/* Wake the reader now: the library should be probed before its first call. */
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	switch (id) {
	case NR_read:
	case NR_write:
	case NR_readv:
	case NR_writev:
	case NR_sendto:
	case NR_recvfrom:
	case NR_sendmsg:
	case NR_recvmsg:
	case NR_recvmmsg:
	case NR_sendmmsg:
		note_fd((int)SYS_ARG0(regs));
		break;
	case NR_mmap:
		if ((SYS_ARG2(regs) & PROT_EXEC) && (int)SYS_ARG4(regs) >= 0)
			note_mmap((int)SYS_ARG4(regs));
		break;
	}
	return 0;
}

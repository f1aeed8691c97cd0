/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Maps, filters and helpers shared by every probe family. Each map is defined by the one
 * .bpf.c that sets COMMON_OWNER and declared extern everywhere else; `bpftool gen object`
 * links them into one skeleton.
 */
#ifndef TLSSCOPE_COMMON_BPF_H
#define TLSSCOPE_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "abi.h"

#ifdef COMMON_OWNER
#define __shared
#else
#define __shared extern
#endif

#define AF_INET	    2
#define AF_INET6    10
#define S_IFMT	    00170000
#define S_IFSOCK    0140000
#define IPPROTO_TCP 6

/* A TLS call in flight on a thread: saved at entry, consumed at return. */
struct inflight {
	__u64 ssl;
	__u64 buf;
	__u64 outlen;	/* "_ex" variants: where the library writes the byte count */
	__u64 sk;	/* first socket the call did I/O on, or 0 */
	__s32 fd;	/* the fd that I/O named, or -1 */
	__u32 conflict; /* a second, different socket was used */
	__u32 cookie;
	__u32 active; /* a call is in flight */
	__u64 calls;  /* calls this thread made: numbers its records (event_hdr.seq) */
	/* Unattributed writes whose ciphertext the thread has not sent yet (bind_event). */
	__u64 pend_ssl;
	__u64 pend_bytes;   /* their plaintext */
	__u64 pend_ts;	    /* when the last one returned */
	__u32 pend_records; /* TLS records they make */
	__u32 pend_state;   /* PEND_* */
};

enum {
	PEND_NONE,
	PEND_WRITES,   /* writes on pend_ssl wait for their ciphertext */
	PEND_POISONED, /* writes on two ssls before a send: the next send tells nothing */
};

struct ssl_key {
	__u32 tgid;
	__u32 _pad;
	__u64 ssl;
};

/* What an ssl was last seen on. gen tells a reused struct sock from the one we saw. */
struct ssl_conn {
	__s32 fd;
	__u32 _pad;
	__u64 sk;
	__u64 gen;
};

/* What we know of a socket's connection; gen changes with every new connection on it. */
struct sock_conn {
	struct conn_tuple t; /* t.family 0: tuple not read yet */
	__u64 gen;
};

__shared struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

__shared struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/*
 * Per thread (task local storage): a thread runs one TLS call at a time. Cheaper than a hash
 * keyed by tid, freed with the thread, and absent for threads that never made a TLS call.
 */
__shared struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct inflight);
} inflight SEC(".maps");

__shared struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ssl_key);
	__type(value, struct ssl_conn);
} ssl_conns SEC(".maps");

/*
 * struct sock * -> the ssl last learned on it (either way), so that a memory-BIO binding
 * never takes a socket another ssl of the process is known to use.
 */
struct sock_owner {
	__u64 ssl;
	__u64 gen;
	__u32 tgid;
	__u32 _pad;
};

__shared struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct sock_owner);
} sock_ssl SEC(".maps");

/*
 * struct sock * -> what we know of its connection: the role from TCP state changes, the
 * tuple (family != 0) once a TLS call has read it from an established socket. Entries
 * outlive the close on purpose (the application may still read after a reset); a socket
 * reused for a new connection passes SYN_SENT or SYN_RECV again and starts afresh.
 */
__shared struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct sock_conn);
} sock_conns SEC(".maps");

/* Numbers the connections sock_conns has seen. */
__shared __u64 conn_gen;

/*
 * TLS calls in flight on the whole host. The socket I/O hooks fire for every process; while
 * this is 0 they return before looking at the thread's state.
 */
__shared __u64 inflight_calls;

/* Threads with a pend_state: they too make the socket hooks look. */
__shared __u64 pending_binds;

/* Reader is woken only once this much is queued; otherwise it polls on a short timer. */
__shared const volatile __u64 wakeup_bytes;

static __always_inline void count(enum counter c, __u64 n)
{
	__u32 key = c;
	__u64 *v = bpf_map_lookup_elem(&counters, &key);

	if (v)
		*v += n;
}

/* Consumer position when a wakeup was last forced. */
__shared __u64 woken_at_cons;

/*
 * Wake the reader only once wakeup_bytes are queued, and only once per reader pass: each
 * forced wakeup is an interrupt (a VM exit under KVM), and until the reader has moved
 * another one tells it nothing new.
 */
static __always_inline __u64 submit_flags(void)
{
	__u64 cons;

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) < wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	cons = bpf_ringbuf_query(&events, BPF_RB_CONS_POS);
	if (cons == woken_at_cons)
		return BPF_RB_NO_WAKEUP;
	woken_at_cons = cons;
	return BPF_RB_FORCE_WAKEUP;
}

static __always_inline void fill_hdr(struct event_hdr *h, __u16 type, __u32 size, __u64 seq)
{
	__u64 id = bpf_get_current_pid_tgid();

	h->type = type;
	h->flags = 0;
	h->size = size;
	h->ts = bpf_ktime_get_ns();
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->seq = seq;
}

/*
 * Direct loads through the BTF-typed task pointer (faults read as 0) cost a few ns each, a
 * bpf_probe_read_kernel call tens of ns; only the variable-index fd array needs the helper.
 */
static __always_inline struct file *fd_to_file(int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file *file = NULL;
	unsigned long fds;

	if (!fdt || fd < 0 || (unsigned int)fd >= fdt->max_fds)
		return NULL;
	fds = (unsigned long)fdt->fd;
	bpf_probe_read_kernel(&file, sizeof(file),
			      (void *)(fds + (unsigned long)fd * sizeof(file)));
	return file;
}

/* Socket syscalls, whose first argument is the fd (syscall_fd). */
#if defined(__TARGET_ARCH_x86)
#define NR_read	    0
#define NR_write    1
#define NR_readv    19
#define NR_writev   20
#define NR_sendto   44
#define NR_recvfrom 45
#define NR_sendmsg  46
#define NR_recvmsg  47
#define NR_recvmmsg 299
#define NR_sendmmsg 307
#else
#error "syscall numbers for this architecture are not defined yet"
#endif

/* The fd of the socket syscall being served, or -1 (sendfile, io_uring, ...). */
static __always_inline int syscall_fd(struct task_struct *task)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);

	switch (regs->orig_ax) {
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
		return (int)regs->di;
	default:
		return -1;
	}
}

/* The struct sock behind fd in the current process, or 0 if fd is no socket. */
static __always_inline __u64 fd_sock(int fd)
{
	struct file *file = fd_to_file(fd);
	struct socket *sock;

	if (!file || (BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	return (__u64)BPF_CORE_READ(sock, sk);
}

/*
 * Fills *t with the TCP connection of sk (t->family stays 0 when it is unknown) and returns
 * its generation, or 0 when sk is no TCP socket. The tuple is read from the socket once and
 * kept in sock_conns: after a reset or close the socket's own fields are cleared (local port
 * 0) while the application still reads what was received before.
 */
static __always_inline __u64 sock_tuple(__u64 skp, struct conn_tuple *t)
{
	struct sock *sk = (struct sock *)skp;
	struct sock_conn tmp = {};
	struct sock_conn *known;

	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	known = bpf_map_lookup_elem(&sock_conns, &skp);
	if (known && known->t.family) {
		*t = known->t;
		return known->gen;
	}
	tmp.t.role = known ? known->t.role : ROLE_UNKNOWN;
	tmp.gen = known ? known->gen : __sync_fetch_and_add(&conn_gen, 1) + 1;
	tmp.t.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	tmp.t.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	tmp.t.rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (tmp.t.family == AF_INET) {
		bpf_core_read(tmp.t.laddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(tmp.t.raddr, 4, &sk->__sk_common.skc_daddr);
	} else if (tmp.t.family == AF_INET6) {
		bpf_core_read(tmp.t.laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(tmp.t.raddr, 16, &sk->__sk_common.skc_v6_daddr);
	} else {
		return tmp.gen;
	}
	/* Not connected (yet, or any more): a wrong tuple is worse than none. */
	if (!tmp.t.lport || !tmp.t.rport)
		return tmp.gen;
	*t = tmp.t;
	bpf_map_update_elem(&sock_conns, &skp, &tmp, BPF_ANY);
	return tmp.gen;
}

#endif

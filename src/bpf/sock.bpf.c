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

/* A send this long after the writes is not their flush. */
#define PEND_WINDOW_NS (50 * 1000 * 1000ull)

/* Ciphertext of `records` AEAD records: TLS 1.3 (22), TLS 1.2 GCM/CCM (29), ChaCha20 (21). */
static __always_inline int is_their_ciphertext(__u64 sent, __u64 plain, __u64 records)
{
	return sent == plain + 22 * records || sent == plain + 29 * records ||
	       sent == plain + 21 * records;
}

/* At most this many records in one send are walked. */
#define WALK_MAX 64

/* Where the bytes of the send being served start, when they are in one user buffer. */
static __always_inline __u64 send_buffer(struct task_struct *task, __u64 sent)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct user_msghdr msg;
	struct iovec iov;
	__u64 iovp;

	switch (regs->orig_ax) {
	case NR_write:
	case NR_sendto:
		return regs->si;
	case NR_writev:
		iovp = regs->si;
		break;
	case NR_sendmsg:
		if (bpf_probe_read_user(&msg, sizeof(msg), (void *)regs->si))
			return 0;
		iovp = (__u64)msg.msg_iov;
		break;
	default:
		return 0;
	}
	if (bpf_probe_read_user(&iov, sizeof(iov), (void *)iovp) || iov.iov_len < sent)
		return 0;
	return (__u64)iov.iov_base;
}

struct walk {
	__u64 buf, sent, off, sum;
	__u32 n, from, odd, bad;
};

/*
 * The walk's state lives in a map, not on the stack: the verifier then does not follow its
 * values through every iteration of the loop.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk);
} walk_scratch SEC(".maps");

/* bpf_loop wants its context on the stack: it holds the map value's address. */
struct walk_ref {
	struct walk *w;
};

static long walk_one(__u32 i, struct walk_ref *ref)
{
	struct walk *w = ref->w;
	__u8 h[5];
	__u32 len;

	if (w->off >= w->sent)
		return 1;
	if (bpf_probe_read_user(h, sizeof(h), (void *)(w->buf + w->off)) || h[1] != 3) {
		w->bad = 1;
		return 1;
	}
	len = (__u32)h[3] << 8 | h[4];
	if (w->n >= w->from) {
		w->sum += len;
		w->odd += h[0] != 23; /* application_data */
	}
	w->off += 5 + len;
	w->n++;
	return 0;
}

/*
 * Walks the TLS record headers of buf[0, sent) (bpf_loop: the verifier sees one record).
 * Returns how many records there are when they fill it exactly, else 0. From record `from`
 * on, *sum gets their lengths and *odd the number of them that are not application data.
 */
static __always_inline __u32 walk_records(__u64 buf, __u64 sent, __u32 from, __u64 *sum, __u32 *odd)
{
	__u32 zero = 0;
	struct walk *w = bpf_map_lookup_elem(&walk_scratch, &zero);
	struct walk_ref ref = {.w = w};

	if (!w)
		return 0;
	*w = (struct walk){.buf = buf, .sent = sent, .from = from};
	bpf_loop(WALK_MAX, walk_one, &ref, 0);
	*sum = w->sum;
	*odd = w->odd;
	return !w->bad && w->off == w->sent ? w->n : 0;
}

/*
 * The send is whole TLS records, and its last `records` are application data carrying
 * `plain` bytes: what the writes made, after whatever the library had queued before them
 * (a TLS 1.3 client's Finished, a server's session tickets).
 */
static __always_inline int ends_with_their_records(struct task_struct *task, __u64 sent,
						   __u64 plain, __u32 records)
{
	__u64 buf = send_buffer(task, sent), sum = 0;
	__u32 n, odd = 0;

	if (!buf || !records)
		return 0;
	n = walk_records(buf, sent, WALK_MAX, &sum, &odd);
	if (n < records)
		return 0;
	walk_records(buf, sent, n - records, &sum, &odd);
	return !odd && (sum == plain + 17 * records || sum == plain + 24 * records ||
			sum == plain + 16 * records);
}

/*
 * The first socket send on a thread after its unattributed writes: bind their ssl to this
 * socket if the byte count proves it is their ciphertext, and tell user space.
 */
static __always_inline void resolve_pending(struct inflight *in, struct task_struct *task,
					    struct sock *sk, int sent)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ssl_key key = {.tgid = id >> 32, .ssl = in->pend_ssl};
	struct ssl_conn learned = {};
	struct sock_owner *owner, mine = {};
	struct conn_tuple conn;
	struct bind_event *e;
	int state = in->pend_state;

	in->pend_state = PEND_NONE;
	__sync_fetch_and_add(&pending_binds, -1);
	if (state != PEND_WRITES || bpf_ktime_get_ns() - in->pend_ts > PEND_WINDOW_NS)
		return;
	if (sent <= 0 || (!is_their_ciphertext(sent, in->pend_bytes, in->pend_records) &&
			  !ends_with_their_records(task, sent, in->pend_bytes, in->pend_records))) {
		count(CNT_BIO_MISMATCH, 1);
		return;
	}
	learned.fd = syscall_fd(task);
	learned.sk = (__u64)sk;
	if (learned.fd < 0 || fd_sock(learned.fd) != learned.sk)
		return;
	__builtin_memset(&conn, 0, sizeof(conn));
	learned.gen = sock_tuple(learned.sk, &conn);
	if (!conn.family)
		return;
	/* The socket carries another ssl of this process: the bytes matched by chance. */
	owner = bpf_map_lookup_elem(&sock_ssl, &learned.sk);
	if (owner && owner->tgid == key.tgid && owner->gen == learned.gen &&
	    owner->ssl != key.ssl) {
		count(CNT_BIO_MISMATCH, 1);
		return;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(CNT_LOST_OTHER, 1);
		return;
	}
	mine.ssl = key.ssl;
	mine.gen = learned.gen;
	mine.tgid = key.tgid;
	bpf_map_update_elem(&ssl_conns, &key, &learned, BPF_ANY);
	bpf_map_update_elem(&sock_ssl, &learned.sk, &mine, BPF_ANY);
	fill_hdr(&e->hdr, EV_BIND, sizeof(*e), 0);
	e->ssl = key.ssl;
	e->fd = learned.fd;
	e->_pad = 0;
	e->conn = conn;
	bpf_ringbuf_submit(e, submit_flags());
	count(CNT_BIO_BOUND, 1);
}

static __always_inline void note_io(struct sock *sk, int sent)
{
	struct task_struct *task;
	struct inflight *in;

	if (!inflight_calls && !pending_binds)
		return;
	task = bpf_get_current_task_btf();
	in = bpf_task_storage_get(&inflight, task, 0, 0);
	if (!in)
		return;
	if (!in->active) {
		if (sent && in->pend_state != PEND_NONE)
			resolve_pending(in, task, sk, sent);
		return;
	}
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
	note_io(sk, ret ? ret : -1);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(sock_recv, struct sock *sk, int ret, int flags)
{
	note_io(sk, 0);
	return 0;
}

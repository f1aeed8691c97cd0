// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * TLS library calls: entry saves the arguments, return emits the plaintext the call actually
 * moved. One program per hook meaning; the library, direction and calling convention ride in
 * the BPF cookie (abi.h), so every adapter reuses these two programs.
 */
#define COMMON_OWNER
#include "common.bpf.h"

const volatile __u32 filter_pid;
const volatile char filter_comm[TASK_COMM_LEN];
const volatile __u32 max_capture = DEFAULT_MAX_CAPTURE;

static __always_inline int pass_filters(__u32 tgid)
{
	char comm[TASK_COMM_LEN];

	if (filter_pid && tgid != filter_pid)
		return 0;
	if (filter_comm[0]) {
		bpf_get_current_comm(comm, sizeof(comm));
		for (int i = 0; i < TASK_COMM_LEN; i++) {
			if (comm[i] != filter_comm[i])
				return 0;
			if (!comm[i])
				break;
		}
	}
	return 1;
}

SEC("uprobe")
int BPF_KPROBE(tls_enter, void *ssl, void *buf, __u64 num, void *outlen)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 cookie = bpf_get_attach_cookie(ctx);
	struct inflight *in;

	if (!pass_filters(id >> 32))
		return 0;
	in = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!in) {
		count(CNT_MAP_FULL, 1);
		return 0;
	}
	if (in->active)
		/* The previous call nests or never returned: replace it (already counted). */
		count(CNT_NESTED, 1);
	else
		__sync_fetch_and_add(&inflight_calls, 1);
	in->ssl = (__u64)ssl;
	in->buf = (__u64)buf;
	in->outlen = COOKIE_EX(cookie) ? (__u64)outlen : 0;
	in->sk = 0;
	in->fd = -1;
	in->conflict = 0;
	in->cookie = (__u32)cookie;
	in->active = 1;
	return 0;
}

struct emit_ctx {
	struct data_event *tmpl; /* everything but the chunk fields */
	__u64 buf;
	__u32 captured;
	__u32 done;   /* bytes submitted */
	__u32 chunks; /* records submitted */
	int err;      /* why the chunk loop stopped early */
	__u64 flags;  /* ring buffer submit flags, decided once per call */
};

/*
 * Reserves one record of a fixed size class (the verifier wants a constant) and copies
 * the chunk [off, off + n) into it. Returns 0, -1 when the ring buffer is full, or -2 when
 * the user buffer could not be read.
 */
static __always_inline int emit_sized(struct emit_ctx *c, __u32 off, __u32 n, const __u32 cls)
{
	struct data_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e) + cls, 0);
	if (!e)
		return -1;
	__builtin_memcpy(e, c->tmpl, sizeof(*e));
	e->hdr.size = sizeof(*e) + n;
	e->offset = off;
	e->chunk_len = n;
	if (off + n >= c->captured)
		e->hdr.flags |= DATA_F_LAST;
	/* Identity for 1 <= n <= cls, but the verifier can see the bound (clang 14 drops a
	 * plain clamp by reusing the unclamped register). */
	barrier_var(n);
	n = ((n - 1) & (cls - 1)) + 1;
	if (e->chunk_len && bpf_probe_read_user(e->data, n, (void *)(c->buf + off))) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return -2;
	}
	bpf_ringbuf_submit(e, c->flags);
	return 0;
}

static long emit_chunk(__u32 i, struct emit_ctx *c)
{
	__u32 off = i * CHUNK_MAX;
	__u32 n;
	int err;

	if (off >= c->captured)
		return 1;
	n = c->captured - off;
	if (n > CHUNK_MAX)
		n = CHUNK_MAX;
	if (n <= 256)
		err = emit_sized(c, off, n, 256);
	else if (n <= 1024)
		err = emit_sized(c, off, n, 1024);
	else if (n <= 4096)
		err = emit_sized(c, off, n, 4096);
	else
		err = emit_sized(c, off, n, CHUNK_MAX);
	if (err) {
		/* Stop here: user space closes the record with what arrived. */
		c->err = err;
		return 1;
	}
	c->done += n;
	c->chunks++;
	return 0;
}

/* Records one TLS record per 16 KiB or part: what OpenSSL and BoringSSL make of a write. */
static __always_inline void note_pending(struct inflight *inp, __u64 ssl, __u64 moved)
{
	__u32 records = (moved + CHUNK_MAX - 1) / CHUNK_MAX;

	if (inp->pend_state == PEND_NONE) {
		__sync_fetch_and_add(&pending_binds, 1);
		inp->pend_state = PEND_WRITES;
		inp->pend_ssl = ssl;
		inp->pend_bytes = 0;
		inp->pend_records = 0;
	} else if (inp->pend_state == PEND_WRITES && inp->pend_ssl != ssl) {
		inp->pend_state = PEND_POISONED;
	}
	inp->pend_bytes += moved;
	inp->pend_records += records;
	inp->pend_ts = bpf_ktime_get_ns();
}

/* Per-CPU scratch for the record template: too big for the 512-byte BPF stack with the rest. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct data_event);
} tmpl_scratch SEC(".maps");

SEC("uretprobe")
int BPF_KRETPROBE(tls_exit, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 zero = 0;
	struct inflight *inp, in;
	struct ssl_key key = {};
	struct ssl_conn *cached, learned = {};
	struct data_event *e;
	struct emit_ctx c = {};
	__u64 moved = 0, gen;
	__u32 nchunks;

	inp = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);
	if (!inp || !inp->active)
		return 0;
	in = *inp;
	inp->active = 0;
	__sync_fetch_and_add(&inflight_calls, -1);
	count(CNT_CALLS, 1);

	/*
	 * Every convention returns an int in eax (GnuTLS's ssize_t counts fit one): `mov eax, -1`
	 * leaves the upper half of rax zero, so the 64-bit register would read 4294967295, a
	 * success whose out-pointer was never written.
	 */
	if ((int)ret > 0) {
		if (!COOKIE_EX(in.cookie))
			moved = (int)ret;
		else if (bpf_probe_read_user(&moved, sizeof(moved), (void *)in.outlen)) {
			/* It moved data, we cannot tell how much: a loss, not a failed call. */
			count(CNT_READ_FAULT, 1);
			return 0;
		}
	}
	if (!moved || moved > 0x7fffffff) {
		count(CNT_CALLS_FAILED, 1);
		return 0;
	}

	e = bpf_map_lookup_elem(&tmpl_scratch, &zero);
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	e->fd = -1;
	key.tgid = id >> 32;
	key.ssl = in.ssl;

	if (in.conflict) {
		count(CNT_INTEGRITY, 1);
	} else if (in.sk) {
		gen = sock_tuple(in.sk, &e->conn);
		e->fd = in.fd;
		e->attribution = ATTR_SYSCALL;
		learned.fd = in.fd;
		learned.sk = in.sk;
		learned.gen = gen;
		/* Learned once per connection: an update costs more than the lookup. */
		cached = bpf_map_lookup_elem(&ssl_conns, &key);
		if (!cached || cached->sk != in.sk || cached->gen != gen || cached->fd != in.fd) {
			struct sock_owner owner = {.ssl = in.ssl, .gen = gen, .tgid = key.tgid};

			bpf_map_update_elem(&ssl_conns, &key, &learned, BPF_ANY);
			bpf_map_update_elem(&sock_ssl, &in.sk, &owner, BPF_ANY);
		}
	} else if ((cached = bpf_map_lookup_elem(&ssl_conns, &key))) {
		/*
		 * No socket I/O in this call (served from the library's buffer). Trust what this
		 * ssl was last seen on only if its fd still leads to the same socket and that
		 * socket still carries the same connection.
		 */
		learned = *cached;
		if (learned.fd >= 0 && fd_sock(learned.fd) == learned.sk &&
		    sock_tuple(learned.sk, &e->conn) == learned.gen) {
			e->fd = learned.fd;
			e->attribution = ATTR_CACHED;
		} else {
			__builtin_memset(&e->conn, 0, sizeof(e->conn));
			bpf_map_delete_elem(&ssl_conns, &key);
		}
	}
	if (e->attribution == ATTR_UNATTRIBUTED) {
		count(CNT_UNATTRIBUTED, 1);
		if (COOKIE_DIR(in.cookie) == DIR_EGRESS && !in.conflict)
			note_pending(inp, in.ssl, moved);
	}

	/* Numbered per thread (no shared counter to bounce between CPUs): reasm keys by tid. */
	fill_hdr(&e->hdr, EV_DATA, sizeof(*e), ++inp->calls);
	e->ssl = in.ssl;
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->netns = bpf_get_current_task_btf()->nsproxy->net_ns->ns.inum;
	e->len = moved;
	e->captured = moved < max_capture ? moved : max_capture;
	e->lib = COOKIE_LIB(in.cookie);
	e->dir = COOKIE_DIR(in.cookie);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (e->captured < moved) {
		count(CNT_TRUNCATED, 1);
		count(CNT_TRUNCATED_BYTES, moved - e->captured);
	}

	c.tmpl = e;
	c.flags = submit_flags();
	c.buf = in.buf;
	c.captured = e->captured;
	nchunks = (e->captured + CHUNK_MAX - 1) / CHUNK_MAX;
	if (nchunks > MAX_CHUNKS)
		nchunks = MAX_CHUNKS;
	if (nchunks == 1)
		emit_chunk(0, &c); /* the common case, without the loop's indirect calls */
	else if (nchunks)
		bpf_loop(nchunks, emit_chunk, &c, 0);
	else
		c.err = emit_sized(&c, 0, 0, 256) ?: (c.chunks = 1, 0); /* metadata only */

	/* Accounting per call: calls that moved data == records emitted + records lost. */
	if (!c.chunks)
		count(c.err == -2 ? CNT_READ_FAULT : CNT_LOST_RINGBUF, 1);
	else
		count(CNT_EVENTS, 1);
	if (c.chunks && c.err)
		count(CNT_LOST_PARTIAL, 1);
	count(CNT_BYTES, c.done);
	if (c.captured != c.done)
		count(CNT_LOST_BYTES, c.captured - c.done);
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

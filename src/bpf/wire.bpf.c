// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The TC classifier: finds TLS hellos at the start of a TCP direction's stream and hands
 * their bytes to user space, which reassembles and parses them. Only the first flight of a
 * direction is followed (up to the end of its first handshake message); every other segment
 * costs a header parse and one hash lookup. It never changes a packet's fate: it returns
 * TC_ACT_UNSPEC (TCX_NEXT), so whatever runs after it decides.
 */
#include "common.bpf.h"

#define TC_ACT_UNSPEC (-1)
#define ETH_P_IP      0x0800
#define ETH_P_IPV6    0x86DD
#define TCP_FIN	      0x01
#define TCP_RST	      0x04

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

/* One direction of a connection, as seen on one interface. */
struct wire_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u32 ifindex;
	__u8 family;
	__u8 _pad[7];
};

struct wire_flow {
	__u32 start_seq; /* stream offset 0: where the hello's first record starts */
	__u32 want;	 /* stream bytes that hold the hello */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct wire_key);
	__type(value, struct wire_flow);
} wire_flows SEC(".maps");

/*
 * How many flows of wire_flows fall in each bucket of a cheap hash of the 4-tuple (the same
 * for both directions). A segment whose bucket is empty cannot belong to a followed flow, so
 * it skips the hash lookup, which is most of the classifier's cost. Entries the LRU evicts
 * leave their count behind: that bucket then only loses the shortcut.
 */
#define WIRE_BUCKETS 4096
__u32 wire_live[WIRE_BUCKETS];

struct seg {
	struct wire_key key;
	__u32 seq;
	__u32 payload; /* offset of the TCP payload in the packet */
	__u32 plen;
	__u8 flags;
	__u32 bucket; /* in wire_live */
};

static __always_inline int parse(struct __sk_buff *skb, struct sk_buff *kskb, struct seg *s)
{
	__u32 off = kskb->network_header - kskb->mac_header;
	__u8 tcp[14];
	__u32 ip_end;

	if (kskb->mac_header == (__u16)~0U)
		off = 0;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)) || ip.protocol != IPPROTO_TCP ||
		    (ip.frag_off & bpf_htons(0x3fff)))
			return -1;
		s->key.family = AF_INET;
		__builtin_memcpy(s->key.saddr, &ip.saddr, 4);
		__builtin_memcpy(s->key.daddr, &ip.daddr, 4);
		ip_end = off + (ip.tot_len ? bpf_ntohs(ip.tot_len) : skb->len - off);
		off += ip.ihl * 4;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		/* extension headers are not followed: TCP must come right after the header */
		if (bpf_skb_load_bytes(skb, off, &ip6, sizeof(ip6)) || ip6.nexthdr != IPPROTO_TCP)
			return -1;
		s->key.family = AF_INET6;
		__builtin_memcpy(s->key.saddr, &ip6.saddr, 16);
		__builtin_memcpy(s->key.daddr, &ip6.daddr, 16);
		ip_end = off + sizeof(ip6) +
			 (ip6.payload_len ? bpf_ntohs(ip6.payload_len)
					  : skb->len - off - sizeof(ip6));
		off += sizeof(ip6);
	} else {
		return -1;
	}
	if (bpf_skb_load_bytes(skb, off, tcp, sizeof(tcp)))
		return -1;
	s->key.sport = (__u16)tcp[0] << 8 | tcp[1];
	s->key.dport = (__u16)tcp[2] << 8 | tcp[3];
	s->seq = (__u32)tcp[4] << 24 | (__u32)tcp[5] << 16 | (__u32)tcp[6] << 8 | tcp[7];
	s->flags = tcp[13];
	s->payload = off + (tcp[12] >> 4) * 4;
	if (ip_end > skb->len)
		ip_end = skb->len;
	s->plen = ip_end > s->payload ? ip_end - s->payload : 0;
	s->key.ifindex = skb->ifindex;
	{
		__u32 a, b, c, d, h;

		__builtin_memcpy(&a, s->key.saddr, 4);
		__builtin_memcpy(&b, s->key.daddr, 4);
		__builtin_memcpy(&c, s->key.saddr + 12, 4);
		__builtin_memcpy(&d, s->key.daddr + 12, 4);
		h = a ^ b ^ c ^ d ^ (s->key.sport ^ s->key.dport) ^ s->key.ifindex;
		h ^= h >> 15;
		h *= 0x2c1b3c6d;
		h ^= h >> 12;
		s->bucket = h & (WIRE_BUCKETS - 1);
	}
	return 0;
}

static __always_inline void flow_del(struct seg *s, struct wire_key *k)
{
	if (!bpf_map_delete_elem(&wire_flows, k))
		__sync_fetch_and_add(&wire_live[s->bucket & (WIRE_BUCKETS - 1)], -1);
}

/*
 * A hello start: handshake record (22, 3.x, sane length) whose message is a ClientHello or
 * ServerHello with a 3.x version (or an SSLv2-compatible ClientHello). Returns the stream
 * bytes that hold the message, or 0.
 */
static __always_inline __u32 hello_want(struct __sk_buff *skb, const struct seg *s)
{
	__u8 h[11];
	__u32 rec, msg, want;

	if (s->plen < sizeof(h) || bpf_skb_load_bytes(skb, s->payload, h, sizeof(h)))
		return 0;
	/* An SSLv2-compatible ClientHello: handed over so that user space can count it. */
	if ((h[0] & 0x80) && h[2] == 1 && h[3] == 3)
		return ((__u32)(h[0] & 0x7f) << 8 | h[1]) + 2;
	if (h[0] != 22 || h[1] != 3 || h[2] > 4 || (h[5] != 1 && h[5] != 2) || h[9] != 3)
		return 0;
	rec = (__u32)h[3] << 8 | h[4];
	msg = (__u32)h[6] << 16 | (__u32)h[7] << 8 | h[8];
	if (rec < 4 || rec > 16384 + 2048 || msg < 2)
		return 0;
	want = 5 + 4 + msg;
	if (msg + 4 > rec) /* the message continues in further records, each with a header */
		want += 5 * ((msg + 4) / rec + 1);
	return want < WIRE_MAX_WANT ? want : WIRE_MAX_WANT;
}

/*
 * 1 if the current task is in a socket syscall on sk: the classifier then runs in the sender's
 * own context, and the process is known for certain. Otherwise (softirq, a retransmit from a
 * timer, another task's syscall) the process is not claimed.
 */
static __always_inline int sent_by_current(struct sock *sk)
{
	int fd = syscall_fd(bpf_get_current_task_btf());

	return fd >= 0 && fd_sock(fd) == (__u64)sk;
}

static __always_inline void submit(struct __sk_buff *skb, struct sk_buff *kskb, const struct seg *s,
				   const struct wire_flow *f, __u32 off, __u32 n, int egress)
{
	struct net_device *dev = kskb->dev;
	struct sock *sk = egress ? kskb->sk : NULL;
	__u32 dev_netns = 0, peer_netns = 0, sk_netns = 0;
	__u64 cgroup_id = 0;
	int task = 0;

	if (dev) {
		const struct rtnl_link_ops *ops = BPF_CORE_READ(dev, rtnl_link_ops);
		char kind[5] = {};

		dev_netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
		if (ops)
			bpf_probe_read_kernel_str(kind, sizeof(kind), BPF_CORE_READ(ops, kind));
		if (kind[0] == 'v' && kind[1] == 'e' && kind[2] == 't' && kind[3] == 'h' &&
		    !kind[4]) {
			struct veth_priv *priv =
				(void *)dev + bpf_core_field_offset(struct net_device, priv);
			struct net_device *peer = BPF_CORE_READ(priv, peer);

			if (peer)
				peer_netns = BPF_CORE_READ(peer, nd_net.net, ns.inum);
		}
	}
	if (sk && BPF_CORE_READ(sk, __sk_common.skc_state) != 12 /* NEW_SYN_RECV */ &&
	    BPF_CORE_READ(sk, __sk_common.skc_state) != 6 /* TIME_WAIT */) {
		sk_netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
		cgroup_id = bpf_skb_cgroup_id(skb);
		/* the process that sent it, only when the classifier runs in its context */
		task = sent_by_current(sk);
	}

	for (int i = 0; i < WIRE_MAX_WANT / WIRE_SLICE + 1; i++) {
		__u32 done = i * WIRE_SLICE;
		__u32 len = n - done;
		struct wire_event *e;

		if (i && done >= n) /* n == 0: one record without bytes, for a FIN or RST */
			break;
		if (len > WIRE_SLICE)
			len = WIRE_SLICE;
		e = bpf_ringbuf_reserve(&events, sizeof(*e) + WIRE_SLICE, 0);
		if (!e) {
			count(CNT_LOST_WIRE, 1);
			continue;
		}
		fill_hdr(&e->hdr, EV_WIRE, sizeof(*e) + WIRE_SLICE, 0);
		e->hdr.flags = (egress ? WIRE_F_EGRESS : 0) | (task ? WIRE_F_TASK : 0);
		if (task) {
			bpf_get_current_comm(e->comm, sizeof(e->comm));
		} else {
			e->hdr.pid = e->hdr.tid = 0;
			__builtin_memset(e->comm, 0, sizeof(e->comm));
		}
		e->cgroup_id = cgroup_id;
		e->ifindex = s->key.ifindex;
		e->dev_netns = dev_netns;
		e->peer_netns = peer_netns;
		e->sk_netns = sk_netns;
		e->seq = s->seq + off + done;
		e->start_seq = f->start_seq;
		e->sport = s->key.sport;
		e->dport = s->key.dport;
		e->family = s->key.family;
		e->tcp_flags = s->flags;
		__builtin_memcpy(e->saddr, s->key.saddr, 16);
		__builtin_memcpy(e->daddr, s->key.daddr, 16);
		barrier_var(len);
		len &= 2047;
		if (len > WIRE_SLICE ||
		    (len && bpf_skb_load_bytes(skb, s->payload + off + done, e->data, len))) {
			bpf_ringbuf_discard(e, 0);
			count(CNT_LOST_WIRE, 1);
			break;
		}
		e->len = len;
		bpf_ringbuf_submit(e, submit_flags());
		count(CNT_WIRE_EVENTS, 1);
	}
}

static __always_inline int classify(struct __sk_buff *skb, int egress)
{
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);
	struct wire_flow *f, nf;
	struct seg s = {};
	__u32 off, n, live;

	if (parse(skb, kskb, &s))
		return TC_ACT_UNSPEC;
	live = wire_live[s.bucket & (WIRE_BUCKETS - 1)];
	if ((s.flags & (TCP_FIN | TCP_RST)) && live) {
		/*
		 * A connection ends while a direction is still in its first flight: tell user
		 * space, which then stops waiting for the other hello.
		 */
		struct wire_key rev = s.key;

		__builtin_memcpy(rev.saddr, s.key.daddr, 16);
		__builtin_memcpy(rev.daddr, s.key.saddr, 16);
		rev.sport = s.key.dport;
		rev.dport = s.key.sport;
		n = 0;
		f = bpf_map_lookup_elem(&wire_flows, &s.key);
		if (f) {
			nf = *f;
			flow_del(&s, &s.key);
			off = s.seq - nf.start_seq;
			n = off < nf.want ? nf.want - off : 0;
			n = n < s.plen ? n : s.plen;
		} else {
			f = bpf_map_lookup_elem(&wire_flows, &rev);
			if (!f)
				return TC_ACT_UNSPEC;
			nf = *f;
			nf.start_seq = s.seq; /* this direction's start is not known */
		}
		flow_del(&s, &rev);
		submit(skb, kskb, &s, &nf, 0, n, egress);
		return TC_ACT_UNSPEC;
	}
	if (!s.plen || (s.flags & (TCP_FIN | TCP_RST)))
		return TC_ACT_UNSPEC;
	f = live ? bpf_map_lookup_elem(&wire_flows, &s.key) : NULL;
	if (f) {
		nf = *f;
	} else {
		nf.want = hello_want(skb, &s);
		if (!nf.want)
			return TC_ACT_UNSPEC;
		nf.start_seq = s.seq;
		if (!bpf_map_update_elem(&wire_flows, &s.key, &nf, BPF_NOEXIST))
			__sync_fetch_and_add(&wire_live[s.bucket & (WIRE_BUCKETS - 1)], 1);
		count(CNT_WIRE_FLOWS, 1);
	}
	off = s.seq - nf.start_seq;
	if (off >= nf.want) {
		/* past the first flight (or from before it): the flow is done with */
		if ((__s32)off > 0)
			flow_del(&s, &s.key);
		return TC_ACT_UNSPEC;
	}
	n = nf.want - off;
	if (n > s.plen)
		n = s.plen;
	submit(skb, kskb, &s, &nf, 0, n, egress);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int wire_ingress(struct __sk_buff *skb)
{
	return classify(skb, 0);
}

SEC("tc")
int wire_egress(struct __sk_buff *skb)
{
	return classify(skb, 1);
}

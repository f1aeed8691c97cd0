/* SPDX-License-Identifier: MIT */
/*
 * One TCP segment as the handshake tracker sees it, whether it came from the TC classifier
 * (live) or from a capture file (--read). Addresses in network order, ports in host order.
 */
#ifndef TLSSCOPE_WIRE_SEGMENT_H
#define TLSSCOPE_WIRE_SEGMENT_H

#include <stdint.h>

#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_ACK 0x10

/* What the live path knows about where a segment was seen; zero in captures. */
struct seg_meta {
	uint32_t pid; /* the sending process, when the segment left in its context; else 0 */
	uint32_t tid;
	char comm[16];
	uint64_t cgroup_id;
	uint32_t sk_netns;   /* network namespace of the sending socket, when known; else 0 */
	uint32_t dev_netns;  /* network namespace of the interface it was seen on */
	uint32_t peer_netns; /* for a veth: the namespace of its other end; else 0 */
	uint32_t ifindex;
	uint8_t egress; /* 1: leaving through the interface, 0: arriving */
};

struct tcp_segment {
	uint64_t ts;	/* ns; CLOCK_MONOTONIC live, capture time in files */
	uint64_t scope; /* segments with different scopes never share a flow (live: ifindex) */
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t flags;	/* TCPF_* */
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport;
	uint32_t seq; /* sequence number of payload[0] (of the SYN itself for a SYN) */
	/*
	 * Live only: the classifier saw a hello start at start_seq (has_start = 1); the tracker
	 * takes it as stream offset 0 of this direction. Captures leave it 0 and the tracker
	 * finds the start itself (SYN, or a segment that begins with a handshake record).
	 */
	uint8_t has_start;
	uint32_t start_seq;
	const uint8_t *payload;
	uint32_t len;
	const struct seg_meta *meta; /* NULL in captures */
};

#endif

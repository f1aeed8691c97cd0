// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <pcap/pcap.h>

#include "wire/pcapfile.h"

#define ETH_P_IPV4    0x0800
#define ETH_P_IPV6    0x86dd
#define ETH_P_8021Q   0x8100
#define ETH_P_8021AD  0x88a8
#define ETH_P_QINQ1   0x9100 /* pre-802.1ad double tagging, still seen */
#define MAX_VLAN_TAGS 2
#define MAX_EXT_HDRS  8 /* IPv6 extension headers skipped before giving up */
/* libpcap maps LINKTYPE_RAW to DLT_RAW, which is 12 or 14 by platform; 101 if unmapped */
#define LINKTYPE_RAW  101
#define LINKTYPE_LOOP 108 /* DLT_LOOP, except on OpenBSD where that is 12 */

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * The TCP header at p[0..len), len already bounded by the IP length and the capture: a frame
 * cut by the snap length gives the payload bytes it holds.
 */
static int decode_tcp(const uint8_t *p, size_t len, struct tcp_segment *seg)
{
	size_t hlen;

	if (len < 20)
		return -1;
	hlen = (p[12] >> 4) * 4u;
	if (hlen < 20 || hlen > len)
		return -1;
	seg->sport = be16(p);
	seg->dport = be16(p + 2);
	seg->seq = be32(p + 4);
	/* TCPF_* are the header's own bit values */
	seg->flags = p[13] & (TCPF_FIN | TCPF_SYN | TCPF_RST | TCPF_ACK);
	seg->payload = p + hlen;
	seg->len = len - hlen;
	return 0;
}

/* Fragments are refused: a hello's segments are never fragmented in practice (PMTU). */
static int decode_ipv4(const uint8_t *p, size_t len, struct tcp_segment *seg)
{
	size_t hlen, tot;

	if (len < 20 || p[0] >> 4 != 4)
		return -1;
	hlen = (p[0] & 0x0f) * 4u;
	tot = be16(p + 2);
	/* A segment sent through TSO, captured on the sending host, may say 0. */
	if (!tot)
		tot = len;
	if (hlen < 20 || tot < hlen || hlen > len)
		return -1;
	if (be16(p + 6) & 0x3fff) /* more fragments, or not the first */
		return -1;
	if (p[9] != IPPROTO_TCP)
		return -1;
	if (tot < len)
		len = tot; /* Ethernet pads short frames */
	seg->family = AF_INET;
	memcpy(seg->saddr, p + 12, 4);
	memcpy(seg->daddr, p + 16, 4);
	return decode_tcp(p + hlen, len - hlen, seg);
}

/* Hop-by-hop, routing and destination options are skipped; anything else is refused. */
static int decode_ipv6(const uint8_t *p, size_t len, struct tcp_segment *seg)
{
	size_t off = 40, plen;
	uint8_t next;

	if (len < 40 || p[0] >> 4 != 6)
		return -1;
	plen = be16(p + 4);
	/* 0 is a jumbogram (or TSO): the capture is all we have */
	if (plen && 40 + plen < len)
		len = 40 + plen;
	next = p[6];
	for (int i = 0; next != IPPROTO_TCP; i++) {
		if (i == MAX_EXT_HDRS || off + 8 > len)
			return -1;
		switch (next) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			next = p[off];
			off += (p[off + 1] + 1) * 8u;
			break;
		default: /* fragments, ESP, no next header, other transports */
			return -1;
		}
	}
	if (off > len)
		return -1;
	seg->family = AF_INET6;
	memcpy(seg->saddr, p + 8, 16);
	memcpy(seg->daddr, p + 24, 16);
	return decode_tcp(p + off, len - off, seg);
}

/* An ethertype at p[-2..0) then its payload; VLAN tags are skipped first. */
static int decode_ether(uint16_t type, const uint8_t *p, size_t len, struct tcp_segment *seg)
{
	for (int tags = 0; type == ETH_P_8021Q || type == ETH_P_8021AD || type == ETH_P_QINQ1;
	     tags++) {
		if (tags == MAX_VLAN_TAGS || len < 4)
			return -1;
		type = be16(p + 2);
		p += 4;
		len -= 4;
	}
	if (type == ETH_P_IPV4)
		return decode_ipv4(p, len, seg);
	if (type == ETH_P_IPV6)
		return decode_ipv6(p, len, seg);
	return -1;
}

/* Raw IP: the version nibble tells which. */
static int decode_ip(const uint8_t *p, size_t len, struct tcp_segment *seg)
{
	if (!len)
		return -1;
	return p[0] >> 4 == 4 ? decode_ipv4(p, len, seg) : decode_ipv6(p, len, seg);
}

/* BSD loopback: the sender's AF_ value, host order (DLT_NULL) or network order (DLT_LOOP). */
static int decode_null(int dlt, const uint8_t *p, size_t len, struct tcp_segment *seg)
{
	uint32_t af;

	if (len < 4)
		return -1;
	af = be32(p);
	if (dlt == DLT_NULL && af > 0xffff) /* written by a little-endian host */
		af = __builtin_bswap32(af);
	switch (af) {
	case 2: /* AF_INET everywhere */
		return decode_ipv4(p + 4, len - 4, seg);
	case 10: /* AF_INET6 on Linux, */
	case 24: /* NetBSD, OpenBSD, */
	case 28: /* FreeBSD, */
	case 30: /* macOS */
		return decode_ipv6(p + 4, len - 4, seg);
	default:
		return -1;
	}
}

int pkt_decode(int dlt, const uint8_t *frame, size_t caplen, struct tcp_segment *seg)
{
	memset(seg, 0, sizeof(*seg));
	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < 14)
			return -1;
		return decode_ether(be16(frame + 12), frame + 14, caplen - 14, seg);
	case DLT_LINUX_SLL:
		if (caplen < 16)
			return -1;
		return decode_ether(be16(frame + 14), frame + 16, caplen - 16, seg);
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			return -1;
		return decode_ether(be16(frame), frame + 20, caplen - 20, seg);
	case 12: /* DLT_RAW on most systems, DLT_LOOP on OpenBSD: the IP version tells */
	case 14: /* DLT_RAW on BSD/OS and OpenBSD */
	case LINKTYPE_RAW:
		return decode_ip(frame, caplen, seg);
	case DLT_IPV4:
		return decode_ipv4(frame, caplen, seg);
	case DLT_IPV6:
		return decode_ipv6(frame, caplen, seg);
	case DLT_NULL:
	case LINKTYPE_LOOP:
		return decode_null(dlt, frame, caplen, seg);
	default:
		return -1;
	}
}

int pcap_file_read(const char *path, pcap_segment_fn fn, void *ctx, struct capture_stats *st,
		   char *err, size_t errlen)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct capture_stats local = {0};
	struct pcap_pkthdr *h;
	const u_char *frame;
	int dlt, rc, ret = 0;
	pcap_t *p;

	if (!st)
		st = &local;
	/* libpcap scales microsecond files up; "-" is stdin */
	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p) {
		const char *why = errbuf;
		size_t n = strlen(path);

		/* libpcap names the file when fopen() failed, not otherwise: name it once */
		if (!strncmp(why, path, n) && !strncmp(why + n, ": ", 2))
			why += n + 2;
		snprintf(err, errlen, "open capture %s: %s", path, why);
		return -1;
	}
	/* pcapng with interfaces of different link types is refused by libpcap itself */
	dlt = pcap_datalink(p);
	while ((rc = pcap_next_ex(p, &h, &frame)) == 1) {
		struct tcp_segment seg;

		st->frames++;
		if (pkt_decode(dlt, frame, h->caplen, &seg)) {
			st->skipped++;
			continue;
		}
		st->tcp++;
		seg.ts = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
		fn(ctx, &seg);
	}
	if (rc == PCAP_ERROR) {
		snprintf(err, errlen, "read capture %s: %s", path, pcap_geterr(p));
		ret = -1;
	}
	pcap_close(p);
	return ret;
}

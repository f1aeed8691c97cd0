/* SPDX-License-Identifier: MIT */
/*
 * Capture files (pcap and pcapng, through libpcap) turned into TCP segments: Ethernet (with
 * up to two VLAN tags), Linux cooked (SLL, SLL2), raw IP, BSD loopback; IPv4 (no fragments)
 * and IPv6 (extension headers skipped).
 */
#ifndef TLSSCOPE_WIRE_PCAPFILE_H
#define TLSSCOPE_WIRE_PCAPFILE_H

#include <stddef.h>
#include <stdint.h>

#include "wire/segment.h"

/*
 * Decodes one frame of link type `dlt` (a DLT_* value). Returns 0 and fills seg (payload
 * points into frame), or -1 when it is not a TCP segment this decoder understands.
 */
int pkt_decode(int dlt, const uint8_t *frame, size_t caplen, struct tcp_segment *seg);

struct capture_stats {
	uint64_t frames;
	uint64_t tcp;	  /* decoded as TCP segments */
	uint64_t skipped; /* not TCP, truncated, fragments, unknown link types */
};

typedef void (*pcap_segment_fn)(void *ctx, const struct tcp_segment *seg);

/*
 * Reads every frame of the file at path (or "-" for stdin) and calls fn for each TCP segment,
 * in file order. Returns 0, or -1 with a message in err (cannot open, not a capture, ...).
 */
int pcap_file_read(const char *path, pcap_segment_fn fn, void *ctx, struct capture_stats *st,
		   char *err, size_t errlen);

#endif

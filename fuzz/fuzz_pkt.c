// SPDX-License-Identifier: MIT
/*
 * The capture decoder on arbitrary frames of every link type it reads, and the handshake
 * tracker on whatever segments come out (any sequence numbers, flags, restarts, a table of
 * four flows, timeouts as the capture clock moves).
 *
 * Input: [link type selector] then frames, each [length (2 bytes), ts step (1 byte), frame].
 * Each frame is decoded from an exact-size copy; a decoded segment must lie inside it.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <pcap/pcap.h>

#include "wire/hsflow.h"
#include "wire/pcapfile.h"

static const int dlts[] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, 12, 14, 101, DLT_IPV4, DLT_IPV6, DLT_NULL, 108,
};

/* what was read, kept so the reads are not optimised away */
volatile size_t fuzz_pkt_sink;

static void on_result(void *ctx, const struct hsf_result *r)
{
	size_t *sum = ctx;

	/* read every hello the tracker hands out */
	if (r->ch)
		*sum += r->ch->n_ciphers + r->ch->sni_len + r->ch->msg_len;
	if (r->sh)
		*sum += r->sh->cipher + r->sh->n_exts;
	if ((r->ch != NULL) != (r->ch_status == HELLO_DONE) ||
	    (r->sh != NULL) != (r->sh_status == HELLO_DONE))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hsf_limits lim = {.max_flows = 4, .timeout_ns = 1000};
	struct hsflow *t;
	uint64_t ts = 0;
	size_t sum = 0;
	int dlt;

	if (size < 1)
		return 0;
	dlt = dlts[data[0] % (sizeof(dlts) / sizeof(dlts[0]))];
	data++;
	size--;
	t = hsflow_new(&lim, on_result, &sum);
	if (!t)
		return 0;
	while (size >= 3) {
		size_t len = data[0] | data[1] << 8;
		struct tcp_segment seg;
		uint8_t *frame;

		ts += data[2];
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		frame = malloc(len ? len : 1);
		if (!frame)
			__builtin_trap();
		memcpy(frame, data, len);
		if (!pkt_decode(dlt, frame, len, &seg)) {
			if ((seg.family != AF_INET && seg.family != AF_INET6) ||
			    seg.payload < frame || seg.payload + seg.len > frame + len ||
			    (seg.flags & ~(TCPF_FIN | TCPF_SYN | TCPF_RST | TCPF_ACK)) || seg.meta)
				__builtin_trap();
			for (uint32_t i = 0; i < seg.len; i++)
				sum += seg.payload[i];
			seg.ts = ts;
			hsflow_feed(t, &seg);
			hsflow_expire(t, ts);
		}
		free(frame);
		data += len;
		size -= len;
	}
	hsflow_flush(t);
	if (hsflow_active(t))
		__builtin_trap();
	hsflow_free(t);
	fuzz_pkt_sink = sum;
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * The pcapng sink over fuzzer-chosen client and server streams cut into records at
 * fuzzer-chosen points: its HTTP/2 frame cutter, partial-frame buffering and other-end
 * bookkeeping must not crash, leak or grow without bound whatever the bytes. The file goes to
 * /dev/shm and is removed.
 *
 * Input: two_streams.h.
 * flags bits 0-1: what the agent said the stream carries (enum app_proto, 3: nothing said);
 * bit 2: mark the records as cut by --max-capture (len > captured); bit 3: the server end's
 * records too (both ends traced, as on loopback).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sink/sink.h"
#include "two_streams.h"

static void feed(void *s, const struct conn_tuple *c, enum data_dir dir, const uint8_t *p, size_t n,
		 const uint16_t *cuts, unsigned int ncuts, unsigned int flags)
{
	size_t at = 0;

	for (unsigned int i = 0; i <= ncuts && at < n; i++) {
		size_t end = i < ncuts ? at + 1 + cuts[i] % 512 : n;
		struct data_record d = {.ts = 1000 + i,
					.pid = 1,
					.tid = 1,
					.comm = "f",
					.fd = 3,
					.conn = c,
					.dir = dir,
					.app = (flags & 3) == 3 ? APP_UNKNOWN
								: (enum app_proto)(flags & 3)};
		struct record r = {.type = REC_DATA, .data = &d};

		if (end > n)
			end = n;
		d.data = p + at;
		d.len = d.captured = end - at;
		if (flags & 4) {
			d.len += 100;
			d.truncated = TRUNC_LIMIT;
		}
		pcapng_sink_ops.write(s, &r);
		at = end;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conn_tuple cl = {.laddr = {10, 0, 0, 1},
				.raddr = {10, 0, 0, 2},
				.lport = 5000,
				.rport = 443,
				.family = AF_INET,
				.role = ROLE_CLIENT};
	struct conn_tuple sv = {.laddr = {10, 0, 0, 2},
				.raddr = {10, 0, 0, 1},
				.lport = 443,
				.rport = 5000,
				.family = AF_INET,
				.role = ROLE_SERVER};
	char path[64];
	struct sink_opts o = {.path = path};
	struct two_streams in;
	void *s;

	if (two_streams_parse(data, size, &in))
		return 0;
	snprintf(path, sizeof(path), "/dev/shm/fuzz_pcapng.%d", (int)getpid());
	s = pcapng_sink_ops.open(&o);
	if (!s)
		abort();
	feed(s, &cl, DIR_EGRESS, in.req, in.nreq, in.cuts, in.ncuts, in.flags);
	feed(s, &cl, DIR_INGRESS, in.resp, in.nresp, in.cuts, in.ncuts, in.flags);
	if (in.flags & 8) {
		feed(s, &sv, DIR_INGRESS, in.req, in.nreq, in.cuts, in.ncuts, in.flags);
		feed(s, &sv, DIR_EGRESS, in.resp, in.nresp, in.cuts, in.ncuts, in.flags);
	}
	pcapng_sink_ops.flush(s);
	pcapng_sink_ops.close(s);
	unlink(path);
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * The hold table (hold.c) under fuzzer-chosen sequences of pushes, bindings, expiries and
 * flushes. Checked: every record pushed comes out exactly once (after the final flush);
 * records of one (pid, ssl) come out in the order they went in; a record that comes out
 * attributed carries the connection it was bound to (or the attributed record that claimed
 * it). Also the process coverage table, whose counts must match
 * a plain model.
 *
 * Input: a run of 4-byte operations [op][pid][ssl][arg].
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coverage.h"
#include "hold.h"

#define MAX_OPS	  512
#define MAX_BYTES 64

struct model {
	uint32_t seq_out[4][4]; /* next sequence number expected per (pid, ssl) */
	uint32_t released, pushed;
	uint64_t held_bytes;
};

static struct model m;

static void release(void *ctx, const struct data_event *e, const uint8_t *data, uint32_t got)
{
	uint32_t pid = e->hdr.pid & 3, ssl = e->ssl & 3;

	(void)ctx;
	if (e->hdr.seq != m.seq_out[pid][ssl]++) /* order per (pid, ssl) */
		__builtin_trap();
	if (got && data[0] != (uint8_t)e->hdr.seq)
		__builtin_trap();
	if (e->attribution != ATTR_UNATTRIBUTED &&
	    e->conn.lport != 1000 + (e->hdr.pid & 3) * 4 + ssl)
		__builtin_trap(); /* bound to the connection of its own key */
	m.released++;
}

static int traced_odd(void *ctx, int file)
{
	(void)ctx;
	return file & 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hold_opts opts = {.hold_ns = 50, .max_bytes = MAX_BYTES, .release = release};
	uint32_t seq_in[4][4] = {{0}};
	uint8_t procs[8][4] = {{0}}; /* coverage model: files per pid */
	struct coverage *cov = coverage__new();
	struct hold *h = hold__new(&opts);
	uint64_t now = 0;

	memset(&m, 0, sizeof(m));
	if (!h || !cov)
		abort();
	for (size_t i = 0; i + 4 <= size && i / 4 < MAX_OPS; i += 4) {
		uint8_t op = data[i] % 6, pid = data[i + 1] & 3, ssl = data[i + 2] & 3;
		uint8_t arg = data[i + 3];
		struct data_event e = {.hdr = {.type = EV_DATA, .pid = pid}, .ssl = ssl, .fd = -1};
		struct bind_event b = {.hdr = {.type = EV_BIND, .pid = pid}, .ssl = ssl};
		uint8_t payload[32];

		now += arg & 15;
		switch (op) {
		case 0: /* an unattributed call */
		case 1: /* an attributed one */
			e.hdr.seq = seq_in[pid][ssl]++;
			if (op == 1) {
				e.attribution = ATTR_CACHED;
				e.conn.family = 2;
				e.conn.lport = 1000 + pid * 4 + ssl;
			}
			memset(payload, (uint8_t)e.hdr.seq, sizeof(payload));
			m.pushed++;
			hold__push(h, &e, payload, arg % sizeof(payload), now);
			break;
		case 2:
			b.conn.family = 2;
			b.conn.lport = 1000 + pid * 4 + ssl;
			hold__bind(h, &b);
			break;
		case 3:
			hold__expire(h, now);
			break;
		case 4:
			hold__flush(h, pid);
			coverage__forget(cov, pid);
			memset(procs[pid], 0, sizeof(procs[pid]));
			break;
		case 5:
			if (coverage__add(cov, pid, arg & 3))
				abort();
			procs[pid][arg & 3] = 1;
			break;
		}
	}
	{
		struct coverage_counts cc;
		unsigned int n = 0, untraced = 0;

		for (int p = 0; p < 8; p++) {
			int any = 0, all = 1;

			for (int f = 0; f < 4; f++)
				if (procs[p][f]) {
					any = 1;
					all &= f & 1;
				}
			n += any;
			untraced += any && !all;
		}
		coverage__count(cov, traced_odd, NULL, &cc);
		if (cc.processes != n || cc.untraced != untraced)
			__builtin_trap();
	}
	hold__flush(h, 0);
	if (m.released != m.pushed)
		__builtin_trap(); /* every record out exactly once */
	hold__free(h);
	coverage__free(cov);
	return 0;
}

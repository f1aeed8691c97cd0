// SPDX-License-Identifier: MIT
/*
 * What tlsscope reads out of files it did not write: the input is an ELF file (through a
 * memfd, the way the agent opens /proc/PID/root/...) that tlscode_identify() and every
 * adapter's sites_plan() look into (symbols, strings, NSS's method-table search over .text),
 * and the same bytes as machine code for the insn.c questions (probe cost, first call,
 * reachability, the rip-relative store sweep, RETs, Go's stack check).
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "insn.h"
#include "sites.h"
#include "tlscode.h"

static int memfd = -1;

static void count_store(void *ctx, uint64_t at, uint64_t value)
{
	uint64_t *n = ctx;

	*n += at ^ value;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct site_plan plan;
	struct tls_code code;
	char path[64], text[48];
	uint64_t target, n = 0;

	if (memfd < 0)
		memfd = memfd_create("fuzz_elf", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, 0) || pwrite(memfd, data, size, 0) != (ssize_t)size)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	if (tlscode_identify(path, NULL, &code) == 1 && !code.lib)
		__builtin_trap(); /* TLS code is always named */
	for (const struct tls_adapter *const *a = tls_adapters; *a; a++)
		if (!sites_plan(path, *a, 0, &plan) && (!plan.n || plan.n > MAX_SITES))
			__builtin_trap(); /* a plan that succeeds has sites */

	insn_probe_cost(data, size, 0x1000, text, sizeof(text));
	insn_first_call(data, size, 0x1000, &target);
	insn_reaches(data, size, 0x1000, 0x1010);
	insn_rip_stores(data, size < 4096 ? size : 4096, 0x1000, count_store, &n);
	{
		uint64_t rets[4];
		int k = insn_rets(data, size < 4096 ? size : 4096, 0x1000, rets, 4);

		for (int i = 0; i < k && i < 4; i++)
			if (rets[i] < 0x1000 || rets[i] >= 0x1000 + size)
				__builtin_trap(); /* inside the code (ret, ret imm16, rep ret) */
		if (!insn_go_stack_check(data, size, 0x1000, &target) &&
		    (target < 0x1000 || target >= 0x1000 + size))
			__builtin_trap();
	}
	return 0;
}

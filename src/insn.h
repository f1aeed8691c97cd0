/* SPDX-License-Identifier: MIT */
/*
 * Machine code questions asked before placing a uprobe (x86-64, capstone):
 *  - what a probe on an instruction costs: the kernel emulates a few instructions, turns a
 *    5-byte NOP into a jump to a trampoline, and single-steps everything else (20x slower,
 *    see docs/architecture.md);
 *  - where the first call in a function goes (the internal function an exported wrapper
 *    calls is often the cheaper and more complete probe site).
 */
#ifndef TLSSCOPE_INSN_H
#define TLSSCOPE_INSN_H

#include <stddef.h>
#include <stdint.h>

enum site_cost {
	SITE_OPTIMISED,	 /* 5-byte NOP: the kernel jumps to a trampoline */
	SITE_EMULATED,	 /* push reg, call/jmp/jcc rel, nop: emulated in the trap */
	SITE_SINGLESTEP, /* anything else: single-stepped out of line */
	SITE_UNDECODABLE,
};

const char *site_cost_name(enum site_cost c);

/*
 * Classifies the instruction at code[0] (n bytes available, at virtual address addr) and
 * writes its text ("push r14") to text. Returns its cost class.
 */
enum site_cost insn_probe_cost(const uint8_t *code, size_t n, uint64_t addr, char *text,
			       size_t text_len);

/*
 * Finds the first direct call in code (a function's first n bytes at addr) before any
 * return or indirect jump, and stores its target. Returns 0 or -ENOENT.
 */
int insn_first_call(const uint8_t *code, size_t n, uint64_t addr, uint64_t *target);

/*
 * Follows code (n bytes at addr, swept linearly) the way a compiler fills a table of function
 * pointers: `lea reg, [rip + x]` loads an address; `movq xmm, reg` and `punpcklqdq` pair two
 * of them; `mov [rip + y], reg|imm` and `movups|movaps|movdqu|movdqa [rip + y], xmm` store.
 * Calls store(ctx, y, value) for every 8 bytes stored at a rip-relative address whose value
 * is known. What a register holds is forgotten when it is written otherwise, and everything
 * at calls, jumps and returns.
 */
void insn_rip_stores(const uint8_t *code, size_t n, uint64_t addr,
		     void (*store)(void *ctx, uint64_t at, uint64_t value), void *ctx);

/*
 * The addresses of the RET instructions in a function's code (n bytes at addr, swept
 * linearly): where a return probe goes without a uretprobe (Go). Stores at most max of them
 * and returns how many there are, or -EINVAL when a byte run does not decode.
 */
int insn_rets(const uint8_t *code, size_t n, uint64_t addr, uint64_t *out, unsigned int max);

/*
 * A Go function's stack check: `[lea r12, [rsp - X];] cmp rsp|r12, [r14 + X]; jbe|jb rel`.
 * The cmp is single-stepped, the jump emulated, and nothing before the jump changes the
 * arguments: *site gets the jump's address, a probe site equivalent to the entry (a stack
 * growth runs the check again, as it would run an entry probe again). 0 or -ENOENT.
 */
int insn_go_stack_check(const uint8_t *code, size_t n, uint64_t addr, uint64_t *site);

/* 1 if a direct call or jump in code (n bytes at addr, read as one run) goes to target. */
int insn_reaches(const uint8_t *code, size_t n, uint64_t addr, uint64_t target);

#endif

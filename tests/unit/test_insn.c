// SPDX-License-Identifier: MIT
#include <errno.h>

#include "check.h"
#include "insn.h"

static enum site_cost cost_of(const uint8_t *code, size_t n, char *text)
{
	return insn_probe_cost(guard_copy(code, n), n, 0x1000, text, 48);
}

TEST(push_is_emulated)
{
	static const uint8_t code[] = {0x41, 0x56}; /* push r14 */
	char text[48];

	CHECK_EQ_U64(cost_of(code, sizeof(code), text), SITE_EMULATED);
	CHECK_STR_EQ(text, "push r14");
}

TEST(sub_is_single_stepped)
{
	static const uint8_t code[] = {0x48, 0x83, 0xec, 0x18}; /* sub rsp, 0x18 */
	char text[48];

	CHECK_EQ_U64(cost_of(code, sizeof(code), text), SITE_SINGLESTEP);
	CHECK_STR_EQ(text, "sub rsp, 0x18");
}

TEST(nop5_is_optimised_other_nops_differ)
{
	static const uint8_t nop5[] = {0x0f, 0x1f, 0x44, 0x00, 0x00};
	static const uint8_t nop1[] = {0x90};
	static const uint8_t nop4[] = {0x0f, 0x1f, 0x40, 0x00}; /* nopl 0(%rax) */
	static const uint8_t endbr64[] = {0xf3, 0x0f, 0x1e, 0xfa};
	char text[48];

	CHECK_EQ_U64(cost_of(nop5, sizeof(nop5), text), SITE_OPTIMISED);
	CHECK_EQ_U64(cost_of(nop1, sizeof(nop1), text), SITE_EMULATED);
	CHECK_EQ_U64(cost_of(nop4, sizeof(nop4), text), SITE_SINGLESTEP);
	CHECK_EQ_U64(cost_of(endbr64, sizeof(endbr64), text), SITE_SINGLESTEP);
}

TEST(direct_branches_are_emulated_indirect_are_not)
{
	static const uint8_t call_rel[] = {0xe8, 0x10, 0x00, 0x00, 0x00};
	static const uint8_t jmp_rel8[] = {0xeb, 0x02};
	static const uint8_t jne_rel32[] = {0x0f, 0x85, 0x00, 0x01, 0x00, 0x00};
	static const uint8_t call_rax[] = {0xff, 0xd0};
	static const uint8_t ret[] = {0xc3};
	char text[48];

	CHECK_EQ_U64(cost_of(call_rel, sizeof(call_rel), text), SITE_EMULATED);
	CHECK_EQ_U64(cost_of(jmp_rel8, sizeof(jmp_rel8), text), SITE_EMULATED);
	CHECK_EQ_U64(cost_of(jne_rel32, sizeof(jne_rel32), text), SITE_EMULATED);
	CHECK_EQ_U64(cost_of(call_rax, sizeof(call_rax), text), SITE_SINGLESTEP);
	CHECK_EQ_U64(cost_of(ret, sizeof(ret), text), SITE_SINGLESTEP);
}

TEST(undecodable_bytes)
{
	static const uint8_t bad[] = {0x06}; /* push es: not in 64-bit mode */
	char text[48] = "x";

	CHECK_EQ_U64(insn_probe_cost(guard_copy(bad, 1), 1, 0, text, sizeof(text)),
		     SITE_UNDECODABLE);
	CHECK_STR_EQ(text, "");
}

TEST(first_call_target)
{
	/* sub rsp,8; call +0x100 (at 0x1004, next 0x1009); add rsp,8; ret */
	static const uint8_t code[] = {0x48, 0x83, 0xec, 0x08, 0xe8, 0x00, 0x01,
				       0x00, 0x00, 0x48, 0x83, 0xc4, 0x08, 0xc3};
	uint64_t target = 0;

	CHECK_EQ_U64(insn_first_call(guard_copy(code, sizeof(code)), sizeof(code), 0x1000, &target),
		     0);
	CHECK_EQ_U64(target, 0x1109);
}

TEST(first_call_stops_at_ret_jmp_and_indirect_calls)
{
	static const uint8_t ret_first[] = {0xc3, 0xe8, 0x00, 0x00, 0x00, 0x00};
	static const uint8_t jmp_first[] = {0xeb, 0x00, 0xe8, 0x00, 0x00, 0x00, 0x00};
	static const uint8_t indirect[] = {0xff, 0xd0, 0xe8, 0x00, 0x00, 0x00, 0x00};
	static const uint8_t truncated[] = {0x48, 0x83, 0xec, 0x08, 0xe8, 0x00};
	uint64_t t;

	CHECK_EQ_U64(insn_first_call(guard_copy(ret_first, 6), 6, 0, &t), (uint64_t)-ENOENT);
	CHECK_EQ_U64(insn_first_call(guard_copy(jmp_first, 7), 7, 0, &t), (uint64_t)-ENOENT);
	CHECK_EQ_U64(insn_first_call(guard_copy(indirect, 7), 7, 0, &t), (uint64_t)-ENOENT);
	CHECK_EQ_U64(insn_first_call(guard_copy(truncated, 6), 6, 0, &t), (uint64_t)-ENOENT);
}

TEST(cost_names)
{
	CHECK_STR_EQ(site_cost_name(SITE_OPTIMISED), "optimised");
	CHECK_STR_EQ(site_cost_name(SITE_EMULATED), "emulated");
	CHECK_STR_EQ(site_cost_name(SITE_SINGLESTEP), "single-stepped");
}

struct seen_stores {
	unsigned int n;
	uint64_t at[8], value[8];
};

static void seen(void *ctx, uint64_t at, uint64_t value)
{
	struct seen_stores *s = ctx;

	if (s->n < 8) {
		s->at[s->n] = at;
		s->value[s->n] = value;
		s->n++;
	}
}

/* The sequences a compiler fills a function-pointer table with (NSS's method table). */
TEST(rip_stores_follow_lea_movq_punpcklqdq)
{
	static const uint8_t code[] = {
		0x48, 0x8d, 0x05, 0x00, 0x01, 0x00, 0x00, /* 0x00 lea rax, [rip + 0x100] */
		0x48, 0x89, 0x05, 0x00, 0x02, 0x00, 0x00, /* 0x07 mov [rip + 0x200], rax */
		0x66, 0x48, 0x0f, 0x6e, 0xc8,		  /* 0x0e movq xmm1, rax */
		0x48, 0x8d, 0x15, 0x10, 0x00, 0x00, 0x00, /* 0x13 lea rdx, [rip + 0x10] */
		0x66, 0x48, 0x0f, 0x6e, 0xd2,		  /* 0x1a movq xmm2, rdx */
		0x66, 0x0f, 0x6c, 0xca,			  /* 0x1f punpcklqdq xmm1, xmm2 */
		0x0f, 0x11, 0x0d, 0x00, 0x03, 0x00, 0x00, /* 0x23 movups [rip + 0x300], xmm1 */
		0xc7, 0x05, 0x50, 0x00, 0x00, 0x00, 0x04,
		0x00, 0x00, 0x00,			  /* 0x2a mov dword [rip+0x50], 4 */
		0x48, 0x31, 0xc0,			  /* 0x34 xor rax, rax: forgotten */
		0x48, 0x89, 0x05, 0x00, 0x04, 0x00, 0x00, /* 0x37 mov [rip + 0x400], rax */
		0xc3,					  /* 0x3e ret */
	};
	const uint64_t base = 0x1000;
	struct seen_stores s = {0};

	insn_rip_stores(code, sizeof(code), base, seen, &s);
	if (!CHECK_EQ_U64(s.n, 4))
		return;
	CHECK_EQ_U64(s.at[0], base + 0x0e + 0x200);
	CHECK_EQ_U64(s.value[0], base + 0x07 + 0x100);
	CHECK_EQ_U64(s.at[1], base + 0x2a + 0x300); /* the pair: low, then high */
	CHECK_EQ_U64(s.value[1], base + 0x07 + 0x100);
	CHECK_EQ_U64(s.at[2], base + 0x2a + 0x300 + 8);
	CHECK_EQ_U64(s.value[2], base + 0x1a + 0x10);
	CHECK_EQ_U64(s.at[3], base + 0x34 + 0x50);
	CHECK_EQ_U64(s.value[3], 4);
}

TEST(rets_are_found_and_counted_past_the_buffer)
{
	/* push rbp; ret; xor eax, eax; ret; int3 */
	static const uint8_t code[] = {0x55, 0xc3, 0x31, 0xc0, 0xc3, 0xcc};
	static const uint8_t bad[] = {0x06}; /* push es: not in 64-bit mode */
	uint64_t at[1];

	CHECK_EQ_U64(insn_rets(code, sizeof(code), 0x100, at, 1), 2);
	CHECK_EQ_U64(at[0], 0x101);
	CHECK_EQ_U64(insn_rets(bad, sizeof(bad), 0, at, 1), (uint64_t)-EINVAL);
}

TEST(go_stack_check_site_is_the_jump)
{
	/* cmp rsp, [r14 + 0x10]; jbe +0x20; push rbp */
	static const uint8_t small[] = {0x49, 0x3b, 0x66, 0x10, 0x76, 0x20, 0x55};
	/* lea r12, [rsp - 0x68]; cmp r12, [r14 + 0x10]; jbe rel32 */
	static const uint8_t big[] = {0x4c, 0x8d, 0x64, 0x24, 0x98, 0x4d, 0x3b, 0x66,
				      0x10, 0x0f, 0x86, 0x64, 0x07, 0x00, 0x00};
	/* push rbp: no stack check */
	static const uint8_t none[] = {0x55, 0x48, 0x89, 0xe5};
	uint64_t site = 0;

	CHECK_EQ_U64(insn_go_stack_check(small, sizeof(small), 0x1000, &site), 0);
	CHECK_EQ_U64(site, 0x1004);
	CHECK_EQ_U64(insn_go_stack_check(big, sizeof(big), 0x2000, &site), 0);
	CHECK_EQ_U64(site, 0x2009);
	CHECK_EQ_U64(insn_go_stack_check(none, sizeof(none), 0, &site), (uint64_t)-ENOENT);
}

// SPDX-License-Identifier: MIT
#include <capstone/capstone.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "insn.h"

const char *site_cost_name(enum site_cost c)
{
	switch (c) {
	case SITE_OPTIMISED:
		return "optimised";
	case SITE_EMULATED:
		return "emulated";
	case SITE_SINGLESTEP:
		return "single-stepped";
	default:
		return "undecodable";
	}
}

static int open_x86_64(csh *h)
{
	if (cs_open(CS_ARCH_X86, CS_MODE_64, h) != CS_ERR_OK)
		return -EINVAL;
	cs_option(*h, CS_OPT_DETAIL, CS_OPT_ON);
	return 0;
}

static int has_imm_operand(const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;

	return x->op_count == 1 && x->operands[0].type == X86_OP_IMM;
}

static int is_branch(unsigned int id)
{
	switch (id) {
	case X86_INS_CALL:
	case X86_INS_JMP:
	case X86_INS_JAE:
	case X86_INS_JA:
	case X86_INS_JBE:
	case X86_INS_JB:
	case X86_INS_JE:
	case X86_INS_JGE:
	case X86_INS_JG:
	case X86_INS_JLE:
	case X86_INS_JL:
	case X86_INS_JNE:
	case X86_INS_JNO:
	case X86_INS_JNP:
	case X86_INS_JNS:
	case X86_INS_JO:
	case X86_INS_JP:
	case X86_INS_JS:
		return 1;
	default:
		return 0;
	}
}

/* Mirrors what arch/x86/kernel/uprobes.c can emulate or optimise. */
static enum site_cost classify(const cs_insn *insn)
{
	static const uint8_t nop5[] = {0x0f, 0x1f, 0x44, 0x00, 0x00};
	const cs_x86 *x = &insn->detail->x86;

	if (insn->size == sizeof(nop5) && !memcmp(insn->bytes, nop5, sizeof(nop5)))
		return SITE_OPTIMISED;
	if (is_branch(insn->id) && has_imm_operand(insn))
		return SITE_EMULATED;
	if (insn->id == X86_INS_PUSH && x->op_count == 1 && x->operands[0].type == X86_OP_REG)
		return SITE_EMULATED;
	/* Only the one-byte 0x90 form (prefixes allowed); "nopl" variants are stepped. */
	if (insn->id == X86_INS_NOP && insn->bytes[insn->size - 1] == 0x90)
		return SITE_EMULATED;
	return SITE_SINGLESTEP;
}

enum site_cost insn_probe_cost(const uint8_t *code, size_t n, uint64_t addr, char *text,
			       size_t text_len)
{
	enum site_cost cost = SITE_UNDECODABLE;
	cs_insn *insn;
	csh h;

	if (text_len)
		text[0] = 0;
	if (open_x86_64(&h))
		return cost;
	if (cs_disasm(h, code, n, addr, 1, &insn) == 1) {
		cost = classify(insn);
		if (text_len)
			snprintf(text, text_len, "%s%s%s", insn->mnemonic,
				 insn->op_str[0] ? " " : "", insn->op_str);
		cs_free(insn, 1);
	}
	cs_close(&h);
	return cost;
}

int insn_first_call(const uint8_t *code, size_t n, uint64_t addr, uint64_t *target)
{
	int err = -ENOENT;
	const uint8_t *p = code;
	uint64_t a = addr;
	cs_insn *insn;
	csh h;

	if (open_x86_64(&h))
		return -EINVAL;
	insn = cs_malloc(h);
	while (insn && cs_disasm_iter(h, &p, &n, &a, insn)) {
		if (insn->id == X86_INS_CALL) {
			if (has_imm_operand(insn)) {
				*target = insn->detail->x86.operands[0].imm;
				err = 0;
			}
			break;
		}
		/* Past a return or an unconditional jump the "first call" means nothing. */
		if (insn->id == X86_INS_RET || insn->id == X86_INS_JMP)
			break;
	}
	if (insn)
		cs_free(insn, 1);
	cs_close(&h);
	return err;
}

int insn_reaches(const uint8_t *code, size_t n, uint64_t addr, uint64_t target)
{
	const uint8_t *p = code;
	uint64_t a = addr;
	int found = 0;
	cs_insn *insn;
	csh h;

	if (open_x86_64(&h))
		return 0;
	insn = cs_malloc(h);
	while (insn && !found && cs_disasm_iter(h, &p, &n, &a, insn))
		found = (insn->id == X86_INS_CALL || insn->id == X86_INS_JMP) &&
			has_imm_operand(insn) &&
			(uint64_t)insn->detail->x86.operands[0].imm == target;
	if (insn)
		cs_free(insn, 1);
	cs_close(&h);
	return found;
}

/* What the sweep knows of a register: an address (0: unknown); xmm registers hold two. */
struct known {
	uint64_t gpr[X86_REG_ENDING];
	uint64_t xmm[32][2];
};

static int xmm_index(x86_reg r)
{
	return r >= X86_REG_XMM0 && r <= X86_REG_XMM31 ? (int)(r - X86_REG_XMM0) : -1;
}

static uint64_t rip_target(const cs_insn *insn, const cs_x86_op *op)
{
	return insn->address + insn->size + op->mem.disp;
}

static int is_rip_mem(const cs_x86_op *op)
{
	return op->type == X86_OP_MEM && op->mem.base == X86_REG_RIP &&
	       op->mem.index == X86_REG_INVALID;
}

static void forget_written(struct known *k, const cs_x86 *x)
{
	int xi;

	if (x->op_count < 1 || x->operands[0].type != X86_OP_REG)
		return;
	xi = xmm_index(x->operands[0].reg);
	if (xi >= 0)
		k->xmm[xi][0] = k->xmm[xi][1] = 0;
	else
		k->gpr[x->operands[0].reg] = 0;
}

static void sweep_one(struct known *k, const cs_insn *insn,
		      void (*store)(void *ctx, uint64_t at, uint64_t value), void *ctx)
{
	const cs_x86 *x = &insn->detail->x86;
	const cs_x86_op *a = &x->operands[0], *b = &x->operands[1];
	int xa = x->op_count >= 1 && a->type == X86_OP_REG ? xmm_index(a->reg) : -1;
	int xb = x->op_count >= 2 && b->type == X86_OP_REG ? xmm_index(b->reg) : -1;

	switch (insn->id) {
	case X86_INS_LEA:
		k->gpr[a->reg] = is_rip_mem(b) ? rip_target(insn, b) : 0;
		return;
	case X86_INS_MOVQ:
		if (xa >= 0 && b->type == X86_OP_REG && xb < 0) {
			k->xmm[xa][0] = k->gpr[b->reg];
			k->xmm[xa][1] = 0;
			return;
		}
		break;
	case X86_INS_PUNPCKLQDQ:
		if (xa >= 0 && xb >= 0) {
			k->xmm[xa][1] = k->xmm[xb][0];
			return;
		}
		break;
	case X86_INS_MOVUPS:
	case X86_INS_MOVAPS:
	case X86_INS_MOVDQU:
	case X86_INS_MOVDQA:
		if (x->op_count == 2 && is_rip_mem(a) && xb >= 0) {
			if (k->xmm[xb][0])
				store(ctx, rip_target(insn, a), k->xmm[xb][0]);
			if (k->xmm[xb][1])
				store(ctx, rip_target(insn, a) + 8, k->xmm[xb][1]);
			return;
		}
		break;
	case X86_INS_MOV:
		if (x->op_count == 2 && is_rip_mem(a)) {
			if (b->type == X86_OP_IMM)
				store(ctx, rip_target(insn, a), (uint64_t)b->imm);
			else if (b->type == X86_OP_REG && xb < 0 && k->gpr[b->reg])
				store(ctx, rip_target(insn, a), k->gpr[b->reg]);
			return;
		}
		break;
	case X86_INS_CALL:
	case X86_INS_JMP:
	case X86_INS_RET:
		memset(k, 0, sizeof(*k));
		return;
	default:
		break;
	}
	forget_written(k, x);
}

void insn_rip_stores(const uint8_t *code, size_t n, uint64_t addr,
		     void (*store)(void *ctx, uint64_t at, uint64_t value), void *ctx)
{
	struct known *k = calloc(1, sizeof(*k));
	const uint8_t *p = code;
	uint64_t a = addr;
	cs_insn *insn = NULL;
	csh h;

	if (!k || open_x86_64(&h)) {
		free(k);
		return;
	}
	insn = cs_malloc(h);
	while (insn && n) {
		if (!cs_disasm_iter(h, &p, &n, &a, insn)) {
			/* Not code (padding, data): skip a byte and start over knowing nothing. */
			memset(k, 0, sizeof(*k));
			p++, n--, a++;
			continue;
		}
		sweep_one(k, insn, store, ctx);
	}
	if (insn)
		cs_free(insn, 1);
	cs_close(&h);
	free(k);
}

int insn_rets(const uint8_t *code, size_t n, uint64_t addr, uint64_t *out, unsigned int max)
{
	const uint8_t *p = code;
	uint64_t a = addr;
	unsigned int count = 0;
	int err = 0;
	cs_insn *insn;
	csh h;

	if (open_x86_64(&h))
		return -EINVAL;
	insn = cs_malloc(h);
	while (insn && n) {
		if (!cs_disasm_iter(h, &p, &n, &a, insn)) {
			/* Go pads functions with int3, which decodes: anything else is not code */
			err = -EINVAL;
			break;
		}
		if (insn->id == X86_INS_RET) {
			if (count < max)
				out[count] = insn->address;
			count++;
		}
	}
	if (insn)
		cs_free(insn, 1);
	cs_close(&h);
	return err ? err : (int)count;
}

int insn_go_stack_check(const uint8_t *code, size_t n, uint64_t addr, uint64_t *site)
{
	const uint8_t *p = code;
	uint64_t a = addr;
	int step = 0, err = -ENOENT;
	x86_reg checked = X86_REG_RSP;
	cs_insn *insn;
	csh h;

	if (open_x86_64(&h))
		return -EINVAL;
	insn = cs_malloc(h);
	while (insn && step < 3 && cs_disasm_iter(h, &p, &n, &a, insn)) {
		const cs_x86 *x = &insn->detail->x86;

		if (step == 0 && insn->id == X86_INS_LEA && x->op_count == 2 &&
		    x->operands[0].type == X86_OP_REG && x->operands[0].reg == X86_REG_R12 &&
		    x->operands[1].mem.base == X86_REG_RSP) {
			checked = X86_REG_R12;
			step++;
			continue;
		}
		if (step <= 1 && insn->id == X86_INS_CMP && x->op_count == 2 &&
		    x->operands[0].type == X86_OP_REG && x->operands[0].reg == checked &&
		    x->operands[1].type == X86_OP_MEM && x->operands[1].mem.base == X86_REG_R14) {
			step = 2;
			continue;
		}
		if (step == 2 && (insn->id == X86_INS_JBE || insn->id == X86_INS_JB) &&
		    has_imm_operand(insn)) {
			*site = insn->address;
			err = 0;
		}
		break;
	}
	if (insn)
		cs_free(insn, 1);
	cs_close(&h);
	return err;
}

// SPDX-License-Identifier: MIT
#include <capstone/capstone.h>
#include <errno.h>
#include <stdio.h>
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

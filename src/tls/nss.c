// SPDX-License-Identifier: MIT
/*
 * NSS (libssl3.so, Firefox, Thunderbird, some curl builds, tstclnt/selfserv).
 *
 * Applications read and write TLS through NSPR's PR_Read/PR_Write/PR_Recv/PR_Send, which
 * call the methods of the file descriptor's top layer. Those NSPR functions also serve
 * stdout, files and plain sockets, so they are not probed. The TLS layer's own methods are:
 * ssl_Read, ssl_Write, ssl_Recv and ssl_Send in libssl3.so, reached only for TLS sockets,
 * each `int f(PRFileDesc *fd, buf, len, ...)` returning the count, and none calling
 * another. They are static and the library has no .symtab, but libssl3 stores their
 * addresses in its method table (a PRIOMethods) when it sets up its I/O layer: the table
 * whose first field is set to PR_DESC_LAYERED and whose read, write, recv and send slots
 * are filled with code addresses. locate() finds those stores in the code (insn.c follows
 * the lea/movq/punpcklqdq/movups sequences compilers emit) and reads the slots: the file's
 * own code says where the functions are, nothing is read from a process at run time.
 */
#include <stdlib.h>
#include <string.h>

#include "elf_file.h"
#include "insn.h"
#include "tls/adapter.h"

/* struct PRIOMethods (prio.h): file_type first, then one pointer per method. */
#define PR_DESC_LAYERED 4
#define SLOT_READ	16
#define SLOT_WRITE	24
#define SLOT_RECV	136
#define SLOT_SEND	144

static const struct tls_func funcs[] = {
	{"ssl_Write", NULL, DIR_EGRESS, 0, 0, NULL},
	{"ssl_Read", NULL, DIR_INGRESS, 0, 0, NULL},
	{"ssl_Send", NULL, DIR_EGRESS, 0, 0, NULL},
	{"ssl_Recv", NULL, DIR_INGRESS, 0, 0, NULL},
};

static const uint64_t slots[] = {SLOT_WRITE, SLOT_READ, SLOT_SEND, SLOT_RECV};

struct stores {
	struct {
		uint64_t at, value;
	} * v;
	size_t n, cap;
};

static void note_store(void *ctx, uint64_t at, uint64_t value)
{
	struct stores *s = ctx;

	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		void *v = realloc(s->v, cap * sizeof(*s->v));

		if (!v)
			return;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n].at = at;
	s->v[s->n].value = value;
	s->n++;
}

/* The last value stored at `at` that lies in [lo, hi), or 0. */
static uint64_t stored_code(const struct stores *s, uint64_t at, uint64_t lo, uint64_t hi)
{
	uint64_t v = 0;

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].at == at && s->v[i].value >= lo && s->v[i].value < hi)
			v = s->v[i].value;
	return v;
}

static void locate(struct elf_file *ef, const struct tls_func *fns, unsigned int n, uint64_t *addrs)
{
	struct stores s = {0};
	uint64_t text, size, base = 0;
	uint8_t *code;

	if (elf_file__section(ef, ".text", &text, &size) || !size || size > (64u << 20))
		return;
	code = malloc(size);
	if (!code)
		return;
	if (elf_file__read(ef, text, code, size) == size)
		insn_rip_stores(code, size, text, note_store, &s);
	free(code);
	/* One table only: a second candidate would make the answer a guess. */
	for (size_t i = 0; i < s.n; i++) {
		int all = s.v[i].value == PR_DESC_LAYERED;

		for (size_t k = 0; all && k < sizeof(slots) / sizeof(slots[0]); k++)
			all = stored_code(&s, s.v[i].at + slots[k], text, text + size) != 0;
		if (!all || base == s.v[i].at)
			continue;
		if (base) {
			base = 0;
			break;
		}
		base = s.v[i].at;
	}
	for (unsigned int i = 0; base && i < n && i < sizeof(slots) / sizeof(slots[0]); i++)
		if (fns == funcs)
			addrs[i] = stored_code(&s, base + slots[i], text, text + size);
	free(s.v);
}

static const char *const sonames[] = {"libssl3.so", NULL};

static const char *const system_files[] = {"libssl3.so", NULL};

const struct tls_adapter nss_adapter = {
	.name = "nss",
	.lib = LIB_NSS,
	.sonames = sonames,
	.funcs = funcs,
	.nfuncs = sizeof(funcs) / sizeof(funcs[0]),
	.system_files = system_files,
	.locate = locate,
	.version_prefix = "NSS ", /* "Version: NSS 3.87.1" */
};

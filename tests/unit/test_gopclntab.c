// SPDX-License-Identifier: MIT
/*
 * The Go function table reader, on Go binaries built here by the system's Go (1.19: the
 * 0xfffffff0 layout) with symbols and stripped (-s -w), checked against the symbol table of
 * the unstripped build; and on hand-made tables of the other layouts (1.16/1.17 and 1.20 on)
 * and broken ones. Skipped, and said so, when no `go` is installed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "elf_file.h"
#include "gopclntab.h"
#include "insn.h"
#include "tlscode.h"
#include "tmpdir.h"

#define GO_MAIN                                                                                    \
	"package main\n\nimport (\n\t\"crypto/tls\"\n\t\"os\"\n)\n\n"                              \
	"func main() {\n\tc, err := tls.Dial(\"tcp\", os.Args[1], nil)\n"                          \
	"\tif err == nil {\n\t\tc.Write([]byte(\"x\"))\n\t\tb := make([]byte, 1)\n"                \
	"\t\tc.Read(b)\n\t}\n}\n"

/* Builds a small crypto/tls program twice: dir/go (symbols) and dir/go-s (-s -w). */
static int build_go(void)
{
	const char *dir;
	static int built = -1;
	char cmd[1024];

	if (built >= 0)
		return built;
	built = 0;
	if (system("command -v go >/dev/null 2>&1")) {
		fprintf(stderr, "  (no go: skipped)\n");
		return 0;
	}
	if (test_dir_write("main.go", GO_MAIN, cmd, sizeof(cmd)))
		return 0;
	dir = test_dir();
	snprintf(cmd, sizeof(cmd),
		 "cd %s && export GOCACHE=%s/cache GOPATH=%s/path && go build -o go main.go && "
		 "go build -ldflags='-s -w' -o go-s main.go",
		 dir, dir, dir);
	built = !system(cmd);
	return built;
}

static int open_table(const char *path, struct elf_file **ef, struct gopcln *p)
{
	const uint8_t *tab;
	size_t len;

	*ef = elf_file__open(path);
	if (!*ef || elf_file__section_data(*ef, ".gopclntab", &tab, &len))
		return -1;
	return gopcln_init(p, tab, len);
}

TEST(stripped_go_binary_functions_match_the_symbol_table)
{
	static const char *const fns[] = {"crypto/tls.(*Conn).Write", "crypto/tls.(*Conn).Read",
					  "main.main"};
	char path[128], spath[128];
	struct elf_file *ef = NULL, *es = NULL;
	struct gopcln p, ps;

	if (!build_go())
		return;
	snprintf(path, sizeof(path), "%s/go", test_dir());
	snprintf(spath, sizeof(spath), "%s/go-s", test_dir());
	if (!CHECK_EQ_U64(open_table(path, &ef, &p), 0) ||
	    !CHECK_EQ_U64(open_table(spath, &es, &ps), 0))
		goto out;
	CHECK_EQ_U64(p.go, 118); /* Debian's Go 1.19 */
	CHECK(p.nfunc > 1000);
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		uint64_t sym, size, entry, end, sentry, send;

		if (!CHECK_EQ_U64(elf_file__func(ef, fns[i], &sym, &size), 0))
			continue;
		CHECK_EQ_U64(gopcln_find(&p, fns[i], &entry, &end), 0);
		CHECK_EQ_U64(entry, sym);
		CHECK(end >= sym + size && end - sym < size + 64); /* up to alignment padding */
		/* stripped: no symbol, the same code at the same place */
		CHECK(elf_file__func(es, fns[i], &sym, &size) != 0);
		CHECK_EQ_U64(gopcln_find(&ps, fns[i], &sentry, &send), 0);
		CHECK_EQ_U64(sentry, entry);
		CHECK_EQ_U64(send, end);
	}
	CHECK_EQ_U64(gopcln_find(&ps, "crypto/tls.(*Conn).NoSuch", &(uint64_t){0}, &(uint64_t){0}),
		     (uint64_t)-ENOENT);
out:
	elf_file__close(ef);
	elf_file__close(es);
}

TEST(go_version_from_build_info_and_listing)
{
	char path[128], want[32] = "", ver[32];
	struct tls_code c;
	FILE *f;

	if (!build_go())
		return;
	f = popen("go env GOVERSION", "r");
	if (f) {
		if (fgets(want, sizeof(want), f))
			want[strcspn(want, "\n")] = 0;
		pclose(f);
	}
	snprintf(path, sizeof(path), "%s/go-s", test_dir());
	if (!CHECK_EQ_U64(tlscode_identify(path, NULL, &c), 1))
		return;
	CHECK_STR_EQ(c.lib, "go");
	CHECK_EQ_U64(c.linkage, LINK_GO);
	CHECK_STR_EQ(c.version, want);
	CHECK_EQ_U64(gopcln_go_version((const uint8_t *)"\xff Go buildinf:", 14, ver, sizeof(ver)),
		     (uint64_t)-ENOENT);
}

/* A table of the given layout with two functions, "a.f" at text+0x10 and "b.g" at +0x40. */
static size_t make_table(uint8_t *t, uint32_t magic, unsigned int ptr)
{
	int new = magic != 0xfffffffa;
	unsigned int words = new ? 8 : 7, fe = new ? 8 : 2 * ptr;
	size_t hdr = 8 + words * ptr, names = hdr, functab = names + 8, funcs = functab + 3 * fe;
	uint64_t text = 0x400000, v[8] = {0};
	unsigned int w = 0;

	memset(t, 0, 512);
	memcpy(t, &magic, 4);
	t[6] = 1;
	t[7] = ptr;
	memcpy(t + names, "a.f\0b.g\0", 8);
	v[w++] = 2; /* nfunc */
	v[w++] = 0; /* nfiles */
	if (new)
		v[w++] = text;
	v[w++] = names;
	v[w++] = 0, v[w++] = 0, v[w++] = 0; /* cu, filetab, pctab */
	v[w++] = functab;
	for (unsigned int i = 0; i < words; i++)
		memcpy(t + 8 + i * ptr, &v[i], ptr);
	for (unsigned int i = 0; i < 3; i++) {
		uint64_t entry = (i == 0 ? 0x10 : i == 1 ? 0x40 : 0x80) + (new ? 0 : text);
		uint64_t func = funcs - functab + 16 * (i < 2 ? i : 0);
		uint8_t *e = t + functab + fe * i;

		memcpy(e, &entry, new ? 4 : ptr);
		memcpy(e + (new ? 4 : ptr), &func, new ? 4 : ptr);
	}
	for (unsigned int i = 0; i < 2; i++) {
		uint32_t nameoff = 4 * i;

		memcpy(t + funcs + 16 * i + (new ? 4 : ptr), &nameoff, 4);
	}
	return funcs + 32;
}

TEST(every_layout_from_go_1_16)
{
	static const uint32_t magics[] = {0xfffffffa, 0xfffffff0, 0xfffffff1};
	static const unsigned int gos[] = {116, 118, 120};
	uint8_t t[512];

	for (int i = 0; i < 3; i++) {
		struct gopcln p;
		uint64_t entry, end;
		size_t n = make_table(t, magics[i], 8);

		if (!CHECK_EQ_U64(gopcln_init(&p, t, n), 0))
			continue;
		CHECK_EQ_U64(p.go, gos[i]);
		CHECK_EQ_U64(gopcln_find(&p, "b.g", &entry, &end), 0);
		CHECK_EQ_U64(entry, 0x400040);
		CHECK_EQ_U64(end, 0x400080);
		CHECK_EQ_U64(gopcln_find(&p, "a.f", &entry, &end), 0);
		CHECK_EQ_U64(entry, 0x400010);
		/* cut anywhere in the header or the function table: refused, never read past */
		CHECK_EQ_U64(gopcln_init(&p, t, 40), (uint64_t)-EINVAL);
	}
	memcpy(t, &(uint32_t){0xfffffffb}, 4);
	CHECK_EQ_U64(gopcln_init(&(struct gopcln){0}, t, 64), (uint64_t)-ENOTSUP); /* Go 1.2-1.15 */
	memcpy(t, &(uint32_t){0x12345678}, 4);
	CHECK_EQ_U64(gopcln_init(&(struct gopcln){0}, t, 64), (uint64_t)-EINVAL);
}

/* Where #8's return probes go: every RET of the stripped binary's (*Conn).Write. */
TEST(go_write_rets_in_the_stripped_binary)
{
	char spath[128];
	struct elf_file *es = NULL;
	struct gopcln ps;
	uint64_t entry, end, rets[16];
	uint8_t code[8192];
	size_t n;
	int k;

	if (!build_go())
		return;
	snprintf(spath, sizeof(spath), "%s/go-s", test_dir());
	if (!CHECK_EQ_U64(open_table(spath, &es, &ps), 0) ||
	    !CHECK_EQ_U64(gopcln_find(&ps, "crypto/tls.(*Conn).Write", &entry, &end), 0) ||
	    !CHECK(end - entry <= sizeof(code)))
		goto out;
	n = elf_file__read(es, entry, code, end - entry);
	CHECK_EQ_U64(n, end - entry);
	/* the entry probe goes on the stack check's jump, which is emulated */
	if (CHECK_EQ_U64(insn_go_stack_check(code, n, entry, &rets[0]), 0)) {
		char text[48];

		CHECK(rets[0] > entry && rets[0] < entry + 16);
		CHECK_EQ_U64(
			insn_probe_cost(code + (rets[0] - entry), 16, rets[0], text, sizeof(text)),
			SITE_EMULATED);
	}
	k = insn_rets(code, n, entry, rets, 16);
	if (!CHECK(k >= 1 && k <= 16))
		goto out;
	for (int i = 0; i < k; i++) {
		CHECK(rets[i] >= entry && rets[i] < end);
		CHECK_EQ_U64(code[rets[i] - entry], 0xc3);
	}
out:
	elf_file__close(es);
}

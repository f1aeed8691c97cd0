/* SPDX-License-Identifier: MIT */
/*
 * A header-only test framework for the unit tests. Each test binary includes it once:
 *
 *	TEST(buf_grows)
 *	{
 *		CHECK_EQ_U64(b.len, 300);
 *	}
 *
 * TEST() registers the function (constructors run before main), and the main() below runs
 * every registered test, or those whose name contains argv[1]. Checks do not stop the test;
 * each one returns whether it held, so `if (!CHECK(p)) return;` guards what follows. A test
 * fails if any of its checks failed. The binary ends with one line
 * `NAME: N passed, M failed` (tests, not checks) that tests/run-unit.sh sums, and exits 1 if
 * any test failed.
 *
 * guard_copy() copies an input so that its last byte is the last readable byte before a
 * PROT_NONE page: a parser that reads one byte too far crashes instead of passing.
 */
#ifndef TLSSCOPE_CHECK_H
#define TLSSCOPE_CHECK_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

typedef void (*check_test_fn)(void);

struct check_test {
	const char *name;
	check_test_fn fn;
};

struct check_mapping {
	void *p;
	size_t len;
};

struct check_state {
	struct check_test tests[256];
	unsigned int ntests;
	int cur_failed; /* checks failed in the running test */
	const char *cur_name;
	struct check_mapping *maps; /* guard_copy() regions, released after each test */
	unsigned int nmaps, capmaps;
};

static struct check_state check_;

static inline void check_register_(const char *name, check_test_fn fn)
{
	if (check_.ntests == sizeof(check_.tests) / sizeof(check_.tests[0])) {
		fprintf(stderr, "check.h: too many tests\n");
		abort();
	}
	check_.tests[check_.ntests++] = (struct check_test){name, fn};
}

#define TEST(name)                                                                                 \
	static void name(void);                                                                    \
	__attribute__((constructor)) static void name##_register_(void)                            \
	{                                                                                          \
		check_register_(#name, name);                                                      \
	}                                                                                          \
	static void name(void)

static inline void check_fail_head_(const char *file, int line, const char *what)
{
	if (!check_.cur_failed)
		fprintf(stderr, "FAIL %s\n", check_.cur_name);
	check_.cur_failed++;
	fprintf(stderr, "  %s:%d: %s\n", file, line, what);
}

/* Prints n bytes of p as a C string literal body, escaping what is not printable ASCII. */
static inline void check_print_bytes_(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t max = n > 512 ? 512 : n;

	for (size_t i = 0; i < max; i++) {
		if (s[i] == '\\' || s[i] == '"')
			fprintf(stderr, "\\%c", s[i]);
		else if (s[i] == '\n')
			fputs("\\n", stderr);
		else if (s[i] >= 0x20 && s[i] < 0x7f)
			fputc(s[i], stderr);
		else
			fprintf(stderr, "\\x%02x", s[i]);
	}
	if (max < n)
		fprintf(stderr, "...(%zu more)", n - max);
}

static inline int check_true_(int ok, const char *expr, const char *file, int line)
{
	if (!ok)
		check_fail_head_(file, line, expr);
	return ok;
}

static inline int check_eq_u64_(uint64_t a, uint64_t b, const char *ea, const char *eb,
				const char *file, int line)
{
	if (a == b)
		return 1;
	check_fail_head_(file, line, "CHECK_EQ_U64");
	fprintf(stderr, "    %s == %" PRIu64 " (0x%" PRIx64 ")\n", ea, a, a);
	fprintf(stderr, "    %s == %" PRIu64 " (0x%" PRIx64 ")\n", eb, b, b);
	return 0;
}

static inline int check_mem_eq_(const void *a, size_t alen, const void *b, size_t blen,
				const char *ea, const char *eb, const char *file, int line)
{
	size_t i = 0;

	if (alen == blen && (!alen || !memcmp(a, b, alen)))
		return 1;
	while (i < alen && i < blen && ((const uint8_t *)a)[i] == ((const uint8_t *)b)[i])
		i++;
	check_fail_head_(file, line, "CHECK_MEM_EQ / CHECK_STR_EQ");
	fprintf(stderr, "    first difference at byte %zu\n    %s (%zu bytes): \"", i, ea, alen);
	check_print_bytes_(a, alen);
	fprintf(stderr, "\"\n    %s (%zu bytes): \"", eb, blen);
	check_print_bytes_(b, blen);
	fputs("\"\n", stderr);
	return 0;
}

static inline int check_str_eq_(const char *a, const char *b, const char *ea, const char *eb,
				const char *file, int line)
{
	if (!a || !b) {
		if (a == b)
			return 1;
		check_fail_head_(file, line, "CHECK_STR_EQ");
		fprintf(stderr, "    %s == %s%s%s\n    %s == %s%s%s\n", ea, a ? "\"" : "",
			a ? a : "NULL", a ? "\"" : "", eb, b ? "\"" : "", b ? b : "NULL",
			b ? "\"" : "");
		return 0;
	}
	return check_mem_eq_(a, strlen(a), b, strlen(b), ea, eb, file, line);
}

#define CHECK(cond)	   check_true_(!!(cond), #cond, __FILE__, __LINE__)
#define CHECK_EQ_U64(a, b) check_eq_u64_((uint64_t)(a), (uint64_t)(b), #a, #b, __FILE__, __LINE__)
#define CHECK_STR_EQ(a, b) check_str_eq_((a), (b), #a, #b, __FILE__, __LINE__)
#define CHECK_MEM_EQ(a, alen, b, blen)                                                             \
	check_mem_eq_((a), (alen), (b), (blen), #a, #b, __FILE__, __LINE__)

/*
 * Copies n bytes of p to memory that ends where a PROT_NONE page begins, the start moved
 * down to a multiple of align (1: no alignment, the copy ends exactly at the guard). Records
 * that are read as structs need their natural alignment (8) or UBSan objects; then up to
 * align - 1 readable bytes separate the copy from the guard. Released after the test.
 */
static inline void *guard_copy_align(const void *p, size_t n, size_t align)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t data_pages = (n + align - 1 + page - 1) / page;
	size_t len = (data_pages + 1) * page;
	uint8_t *m, *guard, *dst;

	if (!data_pages)
		data_pages = 1, len = 2 * page;
	if (check_.nmaps == check_.capmaps) {
		unsigned int cap = check_.capmaps ? check_.capmaps * 2 : 64;
		struct check_mapping *maps = realloc(check_.maps, cap * sizeof(*maps));

		if (!maps)
			abort();
		check_.maps = maps;
		check_.capmaps = cap;
	}
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		perror("check.h: mmap");
		abort();
	}
	guard = m + data_pages * page;
	if (mprotect(guard, page, PROT_NONE)) {
		perror("check.h: mprotect");
		abort();
	}
	dst = guard - n;
	dst -= (uintptr_t)dst % align;
	/* Bytes between the copy and the guard (alignment slack) hold a marker, not zeros. */
	memset(m, 0xa5, data_pages * page);
	if (n)
		memcpy(dst, p, n);
	check_.maps[check_.nmaps++] = (struct check_mapping){m, len};
	return dst;
}

static inline void *guard_copy(const void *p, size_t n)
{
	return guard_copy_align(p, n, 1);
}

static inline void check_release_guards_(void)
{
	for (unsigned int i = 0; i < check_.nmaps; i++)
		munmap(check_.maps[i].p, check_.maps[i].len);
	check_.nmaps = 0;
}

/*
 * Runs fn(arg) in a child process and returns its wait status: for code that exits (argp) or
 * may crash without taking the other tests down. The child's stdout and stderr go to
 * /dev/null when quiet. A child that returns from fn exits 0.
 */
static inline int run_in_child(void (*fn)(void *), void *arg, int quiet)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("check.h: fork");
		abort();
	}
	if (!pid) {
		if (quiet) {
			int fd = open("/dev/null", O_WRONLY);

			dup2(fd, 1);
			dup2(fd, 2);
		}
		fn(arg);
		fflush(NULL);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	return status;
}

#ifndef CHECK_NO_MAIN
int main(int argc, char **argv)
{
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	unsigned int passed = 0, failed = 0;

	/* Failure output and the summary must interleave in order. */
	setvbuf(stdout, NULL, _IONBF, 0);
	for (unsigned int i = 0; i < check_.ntests; i++) {
		if (argc > 1 && !strstr(check_.tests[i].name, argv[1]))
			continue;
		check_.cur_name = check_.tests[i].name;
		check_.cur_failed = 0;
		check_.tests[i].fn();
		check_release_guards_();
		if (check_.cur_failed)
			failed++;
		else
			passed++;
	}
	free(check_.maps);
	printf("%s: %u passed, %u failed\n", prog, passed, failed);
	return failed ? 1 : 0;
}
#endif

#endif

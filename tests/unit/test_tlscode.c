// SPDX-License-Identifier: MIT
/*
 * Recognising TLS code in ELF files: the system's libssl by name, and small programs built
 * here that carry a library's exported API, only its strings (a stripped static link), or
 * Go's crypto/tls function names. Then the process coverage table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "coverage.h"
#include "tlscode.h"
#include "tmpdir.h"

/* Compiles a one-file program from src into the test directory; returns its path or NULL. */
static const char *build(const char *name, const char *src)
{
	static char path[128];
	char file[64], cmd[512];

	snprintf(file, sizeof(file), "%s.c", name);
	if (test_dir_write(file, src, path, sizeof(path)))
		return NULL;
	snprintf(cmd, sizeof(cmd), "cc -O1 -o %s/%s %s 2>&1", test_dir(), name, path);
	if (system(cmd))
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", test_dir(), name);
	return path;
}

TEST(shared_libssl_by_name_with_version_from_libcrypto)
{
	const char *path = "/usr/lib/x86_64-linux-gnu/libssl.so.3";
	struct tls_code c;

	if (access(path, R_OK)) {
		fprintf(stderr, "  (no %s: skipped)\n", path);
		return;
	}
	if (!CHECK_EQ_U64(tlscode_identify(path, &openssl_adapter, &c), 1))
		return;
	CHECK(c.adapter == &openssl_adapter);
	CHECK_STR_EQ(c.lib, "openssl");
	CHECK_EQ_U64(c.linkage, LINK_SHARED);
	CHECK(c.version[0] >= '1' && c.version[0] <= '9' && strchr(c.version, '.'));
}

TEST(plain_program_holds_no_tls_code)
{
	/* Not this test binary: its own text holds every marker string. */
	const char *p = build("plain", "int main(void) { return 0; }\n");
	struct tls_code c;

	if (CHECK(p))
		CHECK_EQ_U64(tlscode_identify(p, NULL, &c), 0);
	CHECK_EQ_U64(tlscode_identify("/nonexistent", NULL, &c), (uint64_t)-ENOENT);
}

TEST(static_api_symbol_and_version_string)
{
	const char *p =
		build("static_ssl",
		      "__attribute__((used)) static const char v[] = \"OpenSSL 3.0 x\";\n"
		      "__attribute__((used)) static const char w[] = \"OpenSSL 9.8.7 x\";\n"
		      "__attribute__((noinline)) int SSL_write(void *s, const void *b, int n)"
		      " { return n; }\n"
		      "int main(void) { return SSL_write(0, 0, 0); }\n");
	struct tls_code c;

	if (!CHECK(p) || !CHECK_EQ_U64(tlscode_identify(p, NULL, &c), 1))
		return;
	CHECK(c.adapter == &openssl_adapter);
	CHECK_EQ_U64(c.linkage, LINK_STATIC);
	CHECK_STR_EQ(c.version, "9.8.7"); /* "OpenSSL 3.0 x" is not a version */
}

TEST(stripped_library_known_by_its_strings)
{
	const char *p =
		build("stripped_ssl",
		      "__attribute__((used)) static const char f[] = \"../ssl/ssl_lib.c\";\n"
		      "__attribute__((used)) static const char v[] = \"OpenSSL 1.1.1w  11\";\n"
		      "int main(void) { return 0; }\n");
	struct tls_code c;

	if (!CHECK(p) || !CHECK_EQ_U64(tlscode_identify(p, NULL, &c), 1))
		return;
	CHECK(c.adapter == NULL);
	CHECK_STR_EQ(c.lib, "openssl");
	CHECK_EQ_U64(c.linkage, LINK_STRIPPED);
	CHECK_STR_EQ(c.version, "1.1.1w");
	CHECK_STR_EQ(tls_linkage_name(c.linkage), "stripped");
}

TEST(go_crypto_tls_by_function_name)
{
	const char *p = build("go_tls", "__attribute__((used)) static const char n[] ="
					" \"crypto/tls.(*Conn).Write\";\n"
					"int main(void) { return 0; }\n");
	struct tls_code c;

	if (!CHECK(p) || !CHECK_EQ_U64(tlscode_identify(p, NULL, &c), 1))
		return;
	CHECK(c.adapter == NULL);
	CHECK_STR_EQ(c.lib, "go");
	CHECK_EQ_U64(c.linkage, LINK_GO);
}

static int odd_traced(void *ctx, int file)
{
	(void)ctx;
	return file % 2;
}

TEST(coverage_counts_processes_with_untraced_code)
{
	struct coverage *cov = coverage__new();
	struct coverage_counts cc;

	if (!CHECK(cov))
		return;
	CHECK_EQ_U64(coverage__add(cov, 10, 1), 0);
	CHECK_EQ_U64(coverage__add(cov, 10, 1), 0); /* the same file twice */
	CHECK_EQ_U64(coverage__add(cov, 11, 1), 0);
	CHECK_EQ_U64(coverage__add(cov, 11, 2), 0); /* one file not traced */
	CHECK_EQ_U64(coverage__add(cov, 12, 4), 0);
	coverage__count(cov, odd_traced, NULL, &cc);
	CHECK_EQ_U64(cc.processes, 3);
	CHECK_EQ_U64(cc.untraced, 2);
	coverage__forget(cov, 12);
	coverage__forget(cov, 99); /* unknown: no-op */
	coverage__count(cov, odd_traced, NULL, &cc);
	CHECK_EQ_U64(cc.processes, 2);
	CHECK_EQ_U64(cc.untraced, 1);
	coverage__free(cov);
	coverage__free(NULL);
}

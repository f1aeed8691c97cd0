// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "discover.h"
#include "tlscode.h"

/* Parses a writable guard-page copy of line (NUL included); e->path points into it. */
static int parse(const char *line, struct maps_entry *e)
{
	return maps_parse_line(guard_copy(line, strlen(line) + 1), e);
}

/* Lines as this machine's /proc/PID/maps prints them. */
TEST(file_backed)
{
	struct maps_entry e;

	CHECK_EQ_U64(parse("7f137287f000-7f13728dc000 r-xp 0001f000 fe:00 14884871              "
			   "     /usr/lib/x86_64-linux-gnu/libssl.so.3",
			   &e),
		     0);
	CHECK_EQ_U64(e.start, 0x7f137287f000);
	CHECK_EQ_U64(e.end, 0x7f13728dc000);
	CHECK_STR_EQ(e.perms, "r-xp");
	CHECK_EQ_U64(e.offset, 0x1f000);
	CHECK_EQ_U64(e.dev_major, 0xfe);
	CHECK_EQ_U64(e.dev_minor, 0);
	CHECK_EQ_U64(e.ino, 14884871);
	CHECK_STR_EQ(e.path, "/usr/lib/x86_64-linux-gnu/libssl.so.3");

	CHECK_EQ_U64(parse("55c1d0d7b000-55c1d0d7d000 r--p 00000000 fe:00 247134                 "
			   "    /usr/bin/cat",
			   &e),
		     0);
	CHECK_EQ_U64(e.start, 0x55c1d0d7b000);
	CHECK_EQ_U64(e.offset, 0);
	CHECK_STR_EQ(e.perms, "r--p");
	CHECK_EQ_U64(e.ino, 247134);
	CHECK_STR_EQ(e.path, "/usr/bin/cat");

	/* Large device numbers (NVMe, device-mapper) and a kernel-half address. */
	CHECK_EQ_U64(
		parse("ffffffffff600000-ffffffffff601000 r-xs 00000000 103:1f 4294967296 /x", &e),
		0);
	CHECK_EQ_U64(e.start, 0xffffffffff600000);
	CHECK_EQ_U64(e.dev_major, 0x103);
	CHECK_EQ_U64(e.dev_minor, 0x1f);
	CHECK_EQ_U64(e.ino, 4294967296ull);
	CHECK_STR_EQ(e.perms, "r-xs");
	CHECK_STR_EQ(e.path, "/x");
}

TEST(anonymous)
{
	struct maps_entry e;

	/* The kernel ends an unnamed mapping's line with one blank after the inode. */
	CHECK_EQ_U64(parse("7fad35725000-7fad357e9000 rw-p 00000000 00:00 0 ", &e), 0);
	CHECK_EQ_U64(e.start, 0x7fad35725000);
	CHECK_EQ_U64(e.end, 0x7fad357e9000);
	CHECK_STR_EQ(e.perms, "rw-p");
	CHECK_EQ_U64(e.ino, 0);
	CHECK_STR_EQ(e.path, "");
	/* Without the blank. */
	CHECK_EQ_U64(parse("7fad35725000-7fad357e9000 rw-p 00000000 00:00 0", &e), 0);
	CHECK_STR_EQ(e.path, "");
}

TEST(pseudo_paths)
{
	struct maps_entry e;

	CHECK_EQ_U64(parse("7fad35a3f000-7fad35a41000 r-xp 00000000 00:00 0                       "
			   "   [vdso]",
			   &e),
		     0);
	CHECK_STR_EQ(e.perms, "r-xp");
	CHECK_STR_EQ(e.path, "[vdso]");
	CHECK_EQ_U64(parse("55f18d862000-55f18d883000 rw-p 00000000 00:00 0                       "
			   "   [heap]",
			   &e),
		     0);
	CHECK_STR_EQ(e.path, "[heap]");
	CHECK_EQ_U64(parse("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0               "
			   "   [vsyscall]",
			   &e),
		     0);
	CHECK_STR_EQ(e.perms, "--xp");
	CHECK_STR_EQ(e.path, "[vsyscall]");
}

TEST(path_with_spaces_and_deleted)
{
	struct maps_entry e;

	CHECK_EQ_U64(parse("555e0ad3c000-555e0ad41000 r-xp 00002000 fe:00 10952992               "
			   "    /tmp/with space/my sleep (deleted)",
			   &e),
		     0);
	CHECK_EQ_U64(e.offset, 0x2000);
	CHECK_EQ_U64(e.ino, 10952992);
	CHECK_STR_EQ(e.path, "/tmp/with space/my sleep (deleted)");
	CHECK_EQ_U64(parse("555e0ad3c000-555e0ad41000 r-xp 00002000 fe:00 10952992 /a  b ", &e), 0);
	CHECK_STR_EQ(e.path, "/a  b ");
}

TEST(newline_stripped_in_place)
{
	/* discover.h: "Parses one /proc/PID/maps line (its newline stripped, in place)". */
	struct maps_entry e;

	CHECK_EQ_U64(parse("55c1d0d7b000-55c1d0d7d000 r--p 00000000 fe:00 247134                 "
			   "    /usr/bin/cat\n",
			   &e),
		     0);
	CHECK_STR_EQ(e.path, "/usr/bin/cat");
	CHECK_EQ_U64(parse("7fad35725000-7fad357e9000 rw-p 00000000 00:00 0 \n", &e), 0);
	CHECK_STR_EQ(e.path, "");
}

TEST(malformed)
{
	static const char *const bad[] = {
		"",
		"\n",
		"7fad35725000",
		"7fad35725000-",
		"7fad35725000-7fad357e9000",
		"7fad35725000-7fad357e9000 rw-p",
		"7fad35725000-7fad357e9000 rw-p 00000000",
		"7fad35725000-7fad357e9000 rw-p 00000000 00:00",
		"7fad35725000-7fad357e9000 rw-p 00000000 00 0 /x",
		"7fad35725000 7fad357e9000 rw-p 00000000 00:00 0 /x",
		"zzzz-7fad357e9000 rw-p 00000000 00:00 0 /x",
		"7fad35725000-7fad357e9000 rw-p 00000000 00:00 x /x",
	};
	struct maps_entry e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!CHECK_EQ_U64(parse(bad[i], &e), (uint64_t)-EINVAL))
			fprintf(stderr, "    line: \"%s\"\n", bad[i]);
}

TEST(adapter_for_path)
{
	CHECK(tls_adapter_for_path("/usr/lib/x86_64-linux-gnu/libssl.so.3") == &openssl_adapter);
	CHECK(tls_adapter_for_path("/usr/lib/x86_64-linux-gnu/libssl.so.1.1") == &openssl_adapter);
	CHECK(tls_adapter_for_path("libssl.so.3") == &openssl_adapter);
	CHECK(tls_adapter_for_path("/var/lib/docker/overlay2/x/merged/lib64/libssl.so.3") ==
	      &openssl_adapter);
	CHECK_STR_EQ(tls_adapter_for_path("/lib64/libssl.so.3")->name, "openssl");
	CHECK_EQ_U64(tls_adapter_for_path("/lib64/libssl.so.3")->lib, LIB_OPENSSL);
	/* NSS's libssl3.so is a different library with a different API: its own adapter. */
	CHECK(tls_adapter_for_path("/usr/lib/x86_64-linux-gnu/libssl3.so") == &nss_adapter);
	CHECK(tls_adapter_for_path("libssl3.so") == &nss_adapter);
	CHECK(tls_adapter_for_path("/usr/lib/libsslcommon.so") == NULL);
	CHECK(tls_adapter_for_path("libsslcommon.so") == NULL);
	CHECK(tls_adapter_for_path("/usr/lib/x86_64-linux-gnu/libcrypto.so.3") == NULL);
	CHECK(tls_adapter_for_path("/usr/lib/x86_64-linux-gnu/libgnutls.so.30") == &gnutls_adapter);
	CHECK_EQ_U64(tls_adapter_for_path("libgnutls.so.30.34.3")->lib, LIB_GNUTLS);
	CHECK(tls_adapter_for_path("/usr/lib/x86_64-linux-gnu/libgnutls-dane.so.0") == NULL);
	CHECK(tls_adapter_for_path("/usr/lib/x86_64-linux-gnu/libwolfssl.so.35") ==
	      &wolfssl_adapter);
	CHECK(tls_adapter_for_path("libwolfssl.so.35.3.0")->lib == LIB_WOLFSSL);
	CHECK(tls_adapter_for_path("/usr/lib/x86_64-linux-gnu/libmbedtls.so.14") ==
	      &mbedtls_adapter);
	/* mbedTLS's crypto and X.509 libraries move no plaintext. */
	CHECK(tls_adapter_for_path("/usr/lib/x86_64-linux-gnu/libmbedcrypto.so.7") == NULL);
	CHECK(tls_adapter_for_path("/usr/lib/x86_64-linux-gnu/libmbedx509.so.1") == NULL);
	/* BoringSSL keeps OpenSSL's names: only the file tells (sites_adapter). */
	CHECK(tls_adapter_for_path("/usr/lib/x86_64-linux-gnu/android/libssl.so.0") ==
	      &openssl_adapter);
	/* Only the file name counts, not the directories. */
	CHECK(tls_adapter_for_path("/opt/libssl.so.3/libcrypto.so.3") == NULL);
	CHECK(tls_adapter_for_path("") == NULL);
	CHECK(tls_adapter_for_path("/") == NULL);
	CHECK(tls_adapter_for_path("[vdso]") == NULL);
}

TEST(adapter_table)
{
	unsigned int n = 0;

	for (const struct tls_adapter *const *a = tls_adapters; *a; a++) {
		n++;
		CHECK((*a)->name && (*a)->sonames && (*a)->sonames[0]);
		CHECK((*a)->nfuncs > 0);
		/*
		 * Every system file is recognised by its own adapter: by its name, or for a fork
		 * that keeps its parent's names, by the file where it is installed.
		 */
		for (const char *const *p = (*a)->system_files; p && *p; p++) {
			char path[256];

			CHECK(tls_adapter_for_path(*p) != NULL);
			snprintf(path, sizeof(path), "/usr/lib/x86_64-linux-gnu/%s", *p);
			if (tls_adapter_for_path(*p) != *a && !access(path, R_OK)) {
				struct tls_code c;

				CHECK(tlscode_identify(path, tls_adapter_for_path(*p), &c) == 1 &&
				      c.adapter == *a);
			}
		}
	}
	CHECK(n >= 1);
	CHECK(tls_adapters[0] == &openssl_adapter);
}

static unsigned int found, found_tls, found_loader, found_code, found_self;

static void count(void *ctx, const struct found_lib *lib)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	found++;
	found_tls += lib->kind == FOUND_NAMED && lib->adapter;
	found_loader += lib->kind == FOUND_LOADER && is_loader_path(lib->path);
	found_code += lib->kind == FOUND_CODE && !lib->adapter;
	if (n > 0) {
		self[n] = 0;
		found_self += !strcmp(lib->path, self);
	}
}

TEST(discover_pid_errors)
{
	CHECK_EQ_U64(discover_pid(0x7ffffff0u, count, NULL), (uint64_t)-ENOENT);
	CHECK_EQ_U64(found, 0);
	/* This test binary maps no TLS library, one dynamic loader, and other code files. */
	CHECK_EQ_U64(discover_pid(getpid(), count, NULL), 0);
	CHECK_EQ_U64(found_tls, 0);
	CHECK_EQ_U64(found_loader, 1);
	CHECK_EQ_U64(found_self, 1); /* the executable itself is looked into */
	CHECK(found_code >= 2);	     /* it and libc at least */
	CHECK_EQ_U64(found, found_loader + found_code);
}

TEST(loader_paths)
{
	CHECK(is_loader_path("/lib64/ld-linux-x86-64.so.2"));
	CHECK(is_loader_path("/lib/ld-musl-x86_64.so.1"));
	CHECK(!is_loader_path("/usr/lib/x86_64-linux-gnu/libssl.so.3"));
	CHECK(!is_loader_path("/usr/bin/ld-linux-wrapper"));
	CHECK(!is_loader_path("/usr/bin/ld"));
}

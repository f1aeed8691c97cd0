// SPDX-License-Identifier: MIT
/*
 * Probe-site planning against real ELF files: this test binary (fake wrappers whose first
 * call is or is not there) and, when present, the system's libssl.so.3.
 */
#include <errno.h>
#include <unistd.h>

#include "check.h"
#include "elf_file.h"
#include "sites.h"
#include "tlscode.h"

__attribute__((noinline, used)) unsigned int fake_internal(unsigned int x)
{
	__asm__ volatile("" : "+r"(x));
	return x * 7u;
}

/* The call is not in tail position, so it stays a call. */
__attribute__((noinline, used)) unsigned int fake_wrapper(unsigned int x)
{
	unsigned int r = fake_internal(x);

	__asm__ volatile("" : "+r"(r));
	return r + 1u;
}

__attribute__((noinline, used)) unsigned int fake_wrapper_nocall(unsigned int x)
{
	__asm__ volatile("" : "+r"(x));
	return x * 3u;
}

__attribute__((noinline, used)) unsigned int fake_exported(unsigned int x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 5u;
}

/* "fake_hidden" has no symbol, like an internal function in a stripped library. */
static const struct tls_func fake_preferred[] = {
	{"fake_hidden", "fake_wrapper", DIR_EGRESS, 1, 0, NULL},
};
static const struct tls_func fake_broken[] = {
	{"fake_hidden", "fake_wrapper_nocall", DIR_EGRESS, 1, 0, NULL},
};
/* A static link keeps the internal function's symbol: no call search. */
static const struct tls_func fake_named[] = {
	{"fake_internal", "fake_wrapper_nocall", DIR_EGRESS, 1, 0, NULL},
};
/* The site must be reached from an exported function, or that one inlined it. */
static const struct tls_func fake_reached[] = {
	{"fake_internal", "fake_wrapper", DIR_EGRESS, 1, 0, "fake_wrapper"},
};
static const struct tls_func fake_inlined[] = {
	{"fake_internal", "fake_wrapper", DIR_EGRESS, 1, 0, "fake_wrapper_nocall"},
};
/* Two functions whose call search lands on one helper. */
static const struct tls_func fake_shared_site[] = {
	{"fake_hidden", "fake_wrapper", DIR_EGRESS, 1, 0, NULL},
	{"fake_hidden_too", "fake_wrapper", DIR_INGRESS, 1, 0, NULL},
};
static const struct tls_func fake_fallback[] = {
	{"fake_exported", NULL, DIR_EGRESS, 0, 0, NULL},
	{"fake_missing_optional", NULL, DIR_INGRESS, 0, 1, NULL},
};
static const char *const no_names[] = {NULL};

static struct tls_adapter adapter_n(const struct tls_func *funcs, unsigned int n)
{
	return (struct tls_adapter){
		.name = "fake",
		.lib = LIB_OPENSSL,
		.sonames = no_names,
		.funcs = funcs,
		.nfuncs = n,
		.fallback = fake_fallback,
		.nfallback = 2,
		.system_files = no_names,
	};
}

static struct tls_adapter adapter(const struct tls_func *funcs)
{
	return adapter_n(funcs, 1);
}

static uint64_t sym_addr(const char *name)
{
	struct elf_file *ef = elf_file__open("/proc/self/exe");
	uint64_t addr = 0, size;

	if (ef && elf_file__func(ef, name, &addr, &size))
		addr = 0;
	elf_file__close(ef);
	return addr;
}

TEST(preferred_site_is_the_first_call_target)
{
	struct tls_adapter ad = adapter(fake_preferred);
	struct site_plan plan;

	if (!CHECK_EQ_U64(sites_plan("/proc/self/exe", &ad, 0, &plan), 0))
		return;
	CHECK_EQ_U64(plan.fallback, 0);
	if (!CHECK_EQ_U64(plan.n, 1))
		return;
	CHECK(sym_addr("fake_internal") != 0);
	CHECK_EQ_U64(plan.sites[0].addr, sym_addr("fake_internal"));
	CHECK_STR_EQ(plan.sites[0].fn->sym, "fake_hidden");
	CHECK_EQ_U64(plan.sites[0].searched, 1);
	CHECK(plan.sites[0].insn[0] != 0);
}

TEST(internal_symbol_is_used_when_the_file_has_it)
{
	struct tls_adapter ad = adapter(fake_named);
	struct site_plan plan;

	if (!CHECK_EQ_U64(sites_plan("/proc/self/exe", &ad, 0, &plan), 0))
		return;
	CHECK_EQ_U64(plan.fallback, 0);
	if (!CHECK_EQ_U64(plan.n, 1))
		return;
	CHECK_EQ_U64(plan.sites[0].addr, sym_addr("fake_internal"));
	CHECK_EQ_U64(plan.sites[0].searched, 0);
}

TEST(site_must_be_reached_from_the_exported_function)
{
	struct tls_adapter ok = adapter(fake_reached), inl = adapter(fake_inlined);
	struct site_plan plan;

	if (CHECK_EQ_U64(sites_plan("/proc/self/exe", &ok, 0, &plan), 0))
		CHECK_EQ_U64(plan.fallback, 0);
	if (!CHECK_EQ_U64(sites_plan("/proc/self/exe", &inl, 0, &plan), 0))
		return;
	CHECK_EQ_U64(plan.fallback, 1);
	CHECK_STR_EQ(plan.why, "fake_wrapper_nocall does not call fake_internal (inlined)");
	CHECK_STR_EQ(plan.sites[0].fn->sym, "fake_exported");
}

TEST(two_functions_on_one_site_fall_back)
{
	struct tls_adapter ad = adapter_n(fake_shared_site, 2);
	struct site_plan plan;

	if (!CHECK_EQ_U64(sites_plan("/proc/self/exe", &ad, 0, &plan), 0))
		return;
	CHECK_EQ_U64(plan.fallback, 1);
	CHECK_STR_EQ(plan.why, "fake_hidden and fake_hidden_too resolve to one site");
}

TEST(missing_call_falls_back_to_exported_and_says_why)
{
	struct tls_adapter ad = adapter(fake_broken);
	struct site_plan plan;

	if (!CHECK_EQ_U64(sites_plan("/proc/self/exe", &ad, 0, &plan), 0))
		return;
	CHECK_EQ_U64(plan.fallback, 1);
	CHECK_STR_EQ(plan.why, "no direct call in fake_wrapper_nocall");
	/* The optional fallback function is missing: left out, not an error. */
	if (!CHECK_EQ_U64(plan.n, 1))
		return;
	CHECK_STR_EQ(plan.sites[0].fn->sym, "fake_exported");
	CHECK_EQ_U64(plan.sites[0].addr, sym_addr("fake_exported"));
}

TEST(unreadable_file)
{
	struct tls_adapter ad = adapter(fake_preferred);
	struct site_plan plan;

	CHECK_EQ_U64(sites_plan("/nonexistent/libssl.so.3", &ad, 0, &plan), (uint64_t)-ENOENT);
	CHECK_EQ_U64(sites_plan("/proc/self/status", &ad, 0, &plan), (uint64_t)-ENOEXEC);
}

TEST(system_libssl_uses_internal_functions)
{
	const char *path = "/usr/lib/x86_64-linux-gnu/libssl.so.3";
	struct site_plan plan;

	if (access(path, R_OK)) {
		fprintf(stderr, "  (no %s: skipped)\n", path);
		return;
	}
	if (!CHECK_EQ_U64(sites_plan(path, &openssl_adapter, 0, &plan), 0))
		return;
	CHECK_EQ_U64(plan.fallback, 0);
	if (!CHECK_EQ_U64(plan.n, 2))
		return;
	CHECK_STR_EQ(plan.sites[0].fn->sym, "ssl_write_internal");
	CHECK_STR_EQ(plan.sites[1].fn->sym, "ssl_read_internal");
	for (unsigned int i = 0; i < plan.n; i++) {
		CHECK_EQ_U64(plan.sites[i].cost, SITE_EMULATED);
		CHECK(!strncmp(plan.sites[i].insn, "push ", 5));
		CHECK(plan.sites[i].offset != 0);
	}
}

TEST(system_libssl_exported_only)
{
	const char *path = "/usr/lib/x86_64-linux-gnu/libssl.so.3";
	struct site_plan plan;

	if (access(path, R_OK))
		return;
	if (!CHECK_EQ_U64(sites_plan(path, &openssl_adapter, 1, &plan), 0))
		return;
	CHECK_EQ_U64(plan.fallback, 1);
	CHECK_STR_EQ(plan.why, "--probe-exported");
	if (!CHECK_EQ_U64(plan.n, 4))
		return;
	CHECK_STR_EQ(plan.sites[0].fn->sym, "SSL_write");
	CHECK_STR_EQ(plan.sites[3].fn->sym, "SSL_read_ex");
	/* OpenSSL 3's exported entry points start with `sub rsp, ...`. */
	CHECK_EQ_U64(plan.sites[0].cost, SITE_SINGLESTEP);
}

TEST(system_libgnutls_probes_send2_not_send)
{
	const char *path = "/usr/lib/x86_64-linux-gnu/libgnutls.so.30";
	struct site_plan plan;

	if (access(path, R_OK)) {
		fprintf(stderr, "  (no %s: skipped)\n", path);
		return;
	}
	if (!CHECK_EQ_U64(sites_plan(path, &gnutls_adapter, 0, &plan), 0))
		return;
	CHECK_EQ_U64(plan.fallback, 0);
	if (!CHECK_EQ_U64(plan.n, 6))
		return;
	/* gnutls_record_send jumps into send2: probing both would nest. */
	CHECK_STR_EQ(plan.sites[0].fn->sym, "gnutls_record_send2");
	CHECK_EQ_U64(plan.sites[0].fn->dir, DIR_EGRESS);
	CHECK_STR_EQ(plan.sites[1].fn->sym, "gnutls_record_recv");
	CHECK_STR_EQ(plan.sites[2].fn->sym, "gnutls_record_recv_seq");
	CHECK_STR_EQ(plan.sites[3].fn->sym, "gnutls_record_send_range");
	CHECK_STR_EQ(plan.sites[4].fn->sym, "gnutls_record_send_early_data");
	CHECK_EQ_U64(plan.sites[4].fn->dir, DIR_EGRESS);
	CHECK_STR_EQ(plan.sites[5].fn->sym, "gnutls_record_recv_early_data");
	CHECK_EQ_U64(plan.sites[5].fn->dir, DIR_INGRESS);
	for (unsigned int i = 0; i < plan.n; i++) {
		CHECK_EQ_U64(plan.sites[i].fn->ex, 0);
		CHECK(plan.sites[i].offset != 0);
	}
}

TEST(system_libwolfssl_probes_write_and_read)
{
	const char *path = "/usr/lib/x86_64-linux-gnu/libwolfssl.so.35";
	struct site_plan plan;

	if (access(path, R_OK)) {
		fprintf(stderr, "  (no %s: skipped)\n", path);
		return;
	}
	if (!CHECK_EQ_U64(sites_plan(path, &wolfssl_adapter, 0, &plan), 0))
		return;
	CHECK_EQ_U64(plan.fallback, 0);
	if (!CHECK_EQ_U64(plan.n, 2))
		return;
	/* Not wolfSSL_peek, nor the internal read it shares with wolfSSL_read. */
	CHECK_STR_EQ(plan.sites[0].fn->sym, "wolfSSL_write");
	CHECK_EQ_U64(plan.sites[0].fn->dir, DIR_EGRESS);
	CHECK_STR_EQ(plan.sites[1].fn->sym, "wolfSSL_read");
	CHECK_EQ_U64(plan.sites[1].fn->dir, DIR_INGRESS);
	for (unsigned int i = 0; i < plan.n; i++) {
		CHECK_EQ_U64(plan.sites[i].fn->ex, 0);
		CHECK(plan.sites[i].offset != 0);
	}
}

TEST(system_libmbedtls_probes_write_and_read)
{
	const char *path = "/usr/lib/x86_64-linux-gnu/libmbedtls.so.14";
	struct site_plan plan;

	if (access(path, R_OK)) {
		fprintf(stderr, "  (no %s: skipped)\n", path);
		return;
	}
	if (!CHECK_EQ_U64(sites_plan(path, &mbedtls_adapter, 0, &plan), 0))
		return;
	CHECK_EQ_U64(plan.fallback, 0);
	if (!CHECK_EQ_U64(plan.n, 2))
		return;
	CHECK_STR_EQ(plan.sites[0].fn->sym, "mbedtls_ssl_write");
	CHECK_EQ_U64(plan.sites[0].fn->dir, DIR_EGRESS);
	/* 2.28 begins it with `push r14`. */
	CHECK_EQ_U64(plan.sites[0].cost, SITE_EMULATED);
	CHECK_STR_EQ(plan.sites[1].fn->sym, "mbedtls_ssl_read");
	CHECK_EQ_U64(plan.sites[1].fn->dir, DIR_INGRESS);
	for (unsigned int i = 0; i < plan.n; i++)
		CHECK_EQ_U64(plan.sites[i].fn->ex, 0);
}

/* The adapter tlscode_identify settles on for path, given what the name said. */
static const struct tls_adapter *identified(const char *path, const struct tls_adapter *by_name)
{
	struct tls_code c;

	return tlscode_identify(path, by_name, &c) == 1 ? c.adapter : NULL;
}

TEST(boringssl_is_told_from_openssl_by_the_file)
{
	const char *boring = "/usr/lib/x86_64-linux-gnu/android/libssl.so.0";
	const char *openssl = "/usr/lib/x86_64-linux-gnu/libssl.so.3";

	if (!access(openssl, R_OK)) {
		CHECK(identified(openssl, &openssl_adapter) == &openssl_adapter);
		CHECK(identified(openssl, &boringssl_adapter) == &openssl_adapter);
	}
	if (access(boring, R_OK)) {
		fprintf(stderr, "  (no %s: skipped)\n", boring);
		return;
	}
	/* The name alone says OpenSSL; the marker function says BoringSSL, linked in or not. */
	CHECK(tls_adapter_for_path(boring) == &openssl_adapter);
	CHECK(identified(boring, &openssl_adapter) == &boringssl_adapter);
	CHECK(identified(boring, &boringssl_adapter) == &boringssl_adapter);
	CHECK(identified(boring, NULL) == &boringssl_adapter);
}

TEST(system_boringssl_probes_write_and_read)
{
	const char *path = "/usr/lib/x86_64-linux-gnu/android/libssl.so.0";
	struct site_plan plan;

	if (access(path, R_OK)) {
		fprintf(stderr, "  (no %s: skipped)\n", path);
		return;
	}
	if (!CHECK_EQ_U64(sites_plan(path, &boringssl_adapter, 0, &plan), 0))
		return;
	CHECK_EQ_U64(plan.fallback, 0);
	if (!CHECK_EQ_U64(plan.n, 2))
		return;
	/* Not SSL_peek: SSL_read shares an internal function with it but does not call it. */
	CHECK_STR_EQ(plan.sites[0].fn->sym, "SSL_write");
	CHECK_EQ_U64(plan.sites[0].fn->dir, DIR_EGRESS);
	CHECK_STR_EQ(plan.sites[1].fn->sym, "SSL_read");
	CHECK_EQ_U64(plan.sites[1].fn->dir, DIR_INGRESS);
	for (unsigned int i = 0; i < plan.n; i++) {
		CHECK_EQ_U64(plan.sites[i].fn->ex, 0);
		/* Both begin with `push`. */
		CHECK_EQ_U64(plan.sites[i].cost, SITE_EMULATED);
	}
}

TEST(elf_offsets_and_reads)
{
	struct elf_file *ef = elf_file__open("/proc/self/exe");
	uint64_t addr, size, off;
	uint8_t code[4];

	if (!CHECK(ef != NULL))
		return;
	CHECK_EQ_U64(elf_file__func(ef, "fake_exported", &addr, &size), 0);
	CHECK(size > 0);
	CHECK_EQ_U64(elf_file__offset(ef, addr, &off), 0);
	CHECK_EQ_U64(elf_file__read(ef, addr, code, sizeof(code)), sizeof(code));
	CHECK_EQ_U64(elf_file__func(ef, "no_such_function_here", &addr, &size), (uint64_t)-ENOENT);
	CHECK_EQ_U64(elf_file__offset(ef, 0, &off), (uint64_t)-ENOENT);
	CHECK_EQ_U64(elf_file__read(ef, 0, code, sizeof(code)), 0);
	elf_file__close(ef);
}

TEST(system_nss_methods_from_its_method_table)
{
	const char *path = "/usr/lib/x86_64-linux-gnu/libssl3.so";
	struct site_plan plan;

	if (access(path, R_OK)) {
		fprintf(stderr, "  (no %s: skipped)\n", path);
		return;
	}
	if (!CHECK_EQ_U64(sites_plan(path, &nss_adapter, 0, &plan), 0))
		return;
	CHECK_EQ_U64(plan.fallback, 0);
	if (!CHECK_EQ_U64(plan.n, 4))
		return;
	for (unsigned int i = 0; i < plan.n; i++) {
		CHECK_EQ_U64(plan.sites[i].searched, 2);
		CHECK(plan.sites[i].offset != 0);
		for (unsigned int k = i + 1; k < plan.n; k++)
			CHECK(plan.sites[i].addr != plan.sites[k].addr);
	}
	/* No symbol names them and there is no exported fallback: nothing without the table. */
	CHECK_EQ_U64(sites_plan(path, &nss_adapter, 1, &plan), (uint64_t)-ENOENT);
}

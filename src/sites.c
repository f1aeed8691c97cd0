// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "elf_file.h"
#include "sites.h"

/* Enough to reach the first call in a small exported wrapper. */
#define SCAN_BYTES 128

/* Most of an exported wrapper: it calls the internal function well before this. */
#define WRAPPER_BYTES 1024

/* 1 if the function named from calls or jumps to target. */
static int reached(struct elf_file *ef, const char *from, uint64_t target)
{
	uint8_t code[WRAPPER_BYTES];
	uint64_t addr, size;
	size_t n;

	if (elf_file__func(ef, from, &addr, &size))
		return 0;
	n = elf_file__read(ef, addr, code, size && size < sizeof(code) ? size : sizeof(code));
	return n && insn_reaches(code, n, addr, target);
}

/*
 * located: where the adapter's own search put fn (0: nowhere), used when the file has no
 * symbol for it.
 */
static int resolve(struct elf_file *ef, const struct tls_func *fn, uint64_t located,
		   struct probe_site *s, char *why, size_t why_len)
{
	const char *sym = fn->call_in ? fn->call_in : fn->sym;
	uint8_t code[SCAN_BYTES];
	uint64_t addr, size;
	size_t n;

	memset(s, 0, sizeof(*s));
	s->fn = fn;
	/* A file that keeps the internal function's own symbol (a static link) needs no search. */
	if (fn->call_in && !elf_file__func(ef, fn->sym, &addr, &size)) {
		sym = fn->sym;
	} else if (located && elf_file__func(ef, fn->sym, &addr, &size)) {
		sym = fn->sym;
		addr = located;
		s->searched = 2;
	} else if (elf_file__func(ef, sym, &addr, &size)) {
		snprintf(why, why_len, "no symbol %s", sym);
		return -ENOENT;
	}
	if (sym == fn->call_in) {
		s->searched = 1;
		n = elf_file__read(ef, addr, code, size && size < SCAN_BYTES ? size : SCAN_BYTES);
		if (!n || insn_first_call(code, n, addr, &addr)) {
			snprintf(why, why_len, "no direct call in %s", sym);
			return -ENOENT;
		}
	}
	if (fn->reached_from && !reached(ef, fn->reached_from, addr)) {
		snprintf(why, why_len, "%s does not call %s (inlined)", fn->reached_from, fn->sym);
		return -ENOENT;
	}
	if (elf_file__offset(ef, addr, &s->offset)) {
		snprintf(why, why_len, "%s: 0x%llx is not in executable code", fn->sym,
			 (unsigned long long)addr);
		return -ENOENT;
	}
	s->addr = addr;
	n = elf_file__read(ef, addr, code, 16);
	s->cost = insn_probe_cost(code, n, addr, s->insn, sizeof(s->insn));
	return 0;
}

static int plan_set(struct elf_file *ef, const struct tls_adapter *ad, const struct tls_func *funcs,
		    unsigned int nfuncs, struct site_plan *plan)
{
	uint64_t located[MAX_SITES] = {0};
	char why[sizeof(plan->why)];

	if (ad->locate && funcs == ad->funcs && nfuncs <= MAX_SITES)
		ad->locate(ef, funcs, nfuncs, located);
	plan->n = 0;
	for (unsigned int i = 0; i < nfuncs && plan->n < MAX_SITES; i++) {
		if (!resolve(ef, &funcs[i], located[i], &plan->sites[plan->n], why, sizeof(why))) {
			plan->n++;
		} else if (!funcs[i].optional) {
			memcpy(plan->why, why, sizeof(why));
			return -ENOENT;
		}
	}
	/* Two functions at one site: a call search found a shared helper, not the function. */
	for (unsigned int i = 0; i < plan->n; i++) {
		for (unsigned int k = i + 1; k < plan->n; k++) {
			if (plan->sites[i].addr != plan->sites[k].addr)
				continue;
			snprintf(plan->why, sizeof(plan->why), "%s and %s resolve to one site",
				 plan->sites[i].fn->sym, plan->sites[k].fn->sym);
			return -ENOENT;
		}
	}
	return plan->n ? 0 : -ENOENT;
}

int sites_plan(const char *path, const struct tls_adapter *ad, int exported_only,
	       struct site_plan *plan)
{
	struct elf_file *ef = elf_file__open(path);
	int err = -ENOENT;

	memset(plan, 0, sizeof(*plan));
	if (!ef)
		return -errno;
	if (exported_only)
		snprintf(plan->why, sizeof(plan->why), "--probe-exported");
	else
		err = plan_set(ef, ad, ad->funcs, ad->nfuncs, plan);
	if (err && ad->nfallback) {
		plan->fallback = 1;
		err = plan_set(ef, ad, ad->fallback, ad->nfallback, plan);
	}
	elf_file__close(ef);
	return err;
}

/*
 * Forks that keep their parent's file names. A name cannot tell BoringSSL's libssl.so.0 from
 * an old OpenSSL's, so the file decides: a function BoringSSL has long had and OpenSSL never
 * did. Either adapter may come in (the name gives the parent, the fork's system_files the
 * fork) and the marker picks one.
 */
static const struct {
	const struct tls_adapter *parent, *fork;
	const char *marker;
} forks[] = {
	{&openssl_adapter, &boringssl_adapter, "SSL_CTX_set_private_key_method"},
};

const struct tls_adapter *sites_adapter(struct elf_file *ef, const struct tls_adapter *ad)
{
	for (size_t i = 0; i < sizeof(forks) / sizeof(forks[0]); i++) {
		uint64_t addr, size;

		if (ad != forks[i].parent && ad != forks[i].fork)
			continue;
		return elf_file__func(ef, forks[i].marker, &addr, &size) ? forks[i].parent
									 : forks[i].fork;
	}
	return ad;
}

// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attach.h"
#include "tlscode.h"
#include "util/log.h"

struct probed_file {
	dev_t dev;
	ino_t ino;
	struct site_plan plan;
	struct tls_code code;
	int loader; /* a dynamic loader: no plan */
	char reason[128];
};

/*
 * Files looked into that hold no TLS code, so that each is read once: an open-addressed set
 * of (device, inode, modification time). No probe holds these inodes, so a number can come
 * back for a new file; the time tells them apart.
 */
struct file_set {
	uint64_t *keys; /* 3 words per slot: dev + 1 (0: empty), ino, mtime in ns */
	size_t cap, n;
};

struct attacher {
	struct attacher_opts opts;
	struct bpf_link **links;
	size_t nlinks, links_cap;
	struct probed_file *files;
	struct lib_status *libs; /* parallel to files */
	unsigned int nfiles, files_cap;
	struct file_set plain;
	uint64_t attached, failed;
};

static uint64_t mtime_ns(const struct stat *st)
{
	return (uint64_t)st->st_mtim.tv_sec * 1000000000ull + st->st_mtim.tv_nsec;
}

static size_t set_slot(const struct file_set *s, uint64_t dev, uint64_t ino, uint64_t mt)
{
	uint64_t h = (dev * 0x9e3779b97f4a7c15ull) ^ (ino * 0xc2b2ae3d27d4eb4full) ^ mt;
	size_t i = (h ^ (h >> 29)) & (s->cap - 1);
	const uint64_t *k;

	while ((k = &s->keys[3 * i])[0] && (k[0] != dev + 1 || k[1] != ino || k[2] != mt))
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int set_has(const struct file_set *s, const struct stat *st)
{
	return s->cap && s->keys[3 * set_slot(s, st->st_dev, st->st_ino, mtime_ns(st))];
}

static int set_add(struct file_set *s, const struct stat *st)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		struct file_set big = {.cap = s->cap ? 2 * s->cap : 256, .n = s->n};

		big.keys = calloc(3 * big.cap, sizeof(uint64_t));
		if (!big.keys)
			return -ENOMEM;
		for (size_t j = 0; j < s->cap; j++) {
			const uint64_t *k = &s->keys[3 * j];

			if (!k[0])
				continue;
			i = set_slot(&big, k[0] - 1, k[1], k[2]);
			memcpy(&big.keys[3 * i], k, 3 * sizeof(*k));
		}
		free(s->keys);
		*s = big;
	}
	i = set_slot(s, st->st_dev, st->st_ino, mtime_ns(st));
	if (!s->keys[3 * i]) {
		s->keys[3 * i] = (uint64_t)st->st_dev + 1;
		s->keys[3 * i + 1] = st->st_ino;
		s->keys[3 * i + 2] = mtime_ns(st);
		s->n++;
	}
	return 0;
}

struct attacher *attacher__new(const struct attacher_opts *opts)
{
	struct attacher *a = calloc(1, sizeof(*a));
	struct stat st;

	if (!a)
		return NULL;
	a->opts = *opts;
	/* Our own executable holds every marker string as a literal: it is not TLS code. */
	if (!stat("/proc/self/exe", &st) && set_add(&a->plain, &st)) {
		free(a);
		return NULL;
	}
	return a;
}

void attacher__free(struct attacher *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nlinks; i++)
		bpf_link__destroy(a->links[i]);
	for (unsigned int i = 0; i < a->nfiles; i++)
		free((char *)a->libs[i].path);
	free(a->links);
	free(a->plain.keys);
	free(a->files);
	free(a->libs);
	free(a);
}

static int keep_link(struct attacher *a, struct bpf_link *l)
{
	if (a->nlinks == a->links_cap) {
		size_t cap = a->links_cap ? a->links_cap * 2 : 32;
		struct bpf_link **v = realloc(a->links, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		a->links = v;
		a->links_cap = cap;
	}
	a->links[a->nlinks++] = l;
	return 0;
}

/* Attaches prog to path at offset for every process and keeps the link. 0 or -errno. */
static int attach_uprobe(struct attacher *a, struct bpf_program *prog, const char *path,
			 uint64_t offset, const struct bpf_uprobe_opts *opts)
{
	struct bpf_link *l = bpf_program__attach_uprobe_opts(prog, -1, path, offset, opts);
	int err;

	if (!l)
		return -errno;
	err = keep_link(a, l);
	if (err)
		bpf_link__destroy(l);
	return err;
}

static int probe(struct attacher *a, const char *path, const struct tls_adapter *ad,
		 const struct probe_site *site, int ret)
{
	const struct tls_func *fn = site->fn;
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = ret,
		    .bpf_cookie = MAKE_COOKIE(ad->lib, fn->dir, fn->ex));

	return attach_uprobe(a, ret ? a->opts.exit : a->opts.enter, path, site->offset, &opts);
}

static int remember(struct attacher *a, const struct stat *st, const struct found_lib *lib,
		    const struct tls_code *code)
{
	if (a->nfiles == a->files_cap) {
		unsigned int cap = a->files_cap ? a->files_cap * 2 : 8;
		struct probed_file *f = realloc(a->files, cap * sizeof(*f));
		struct lib_status *s;

		if (!f)
			return -ENOMEM;
		a->files = f;
		s = realloc(a->libs, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		a->libs = s;
		a->files_cap = cap;
	}
	a->files[a->nfiles] = (struct probed_file){.dev = st->st_dev, .ino = st->st_ino};
	if (code)
		a->files[a->nfiles].code = *code;
	a->libs[a->nfiles] = (struct lib_status){
		.path = strdup(lib->path),
		.lib = code ? code->lib : "loader",
		.linkage = code ? tls_linkage_name(code->linkage) : NULL,
	};
	if (!a->libs[a->nfiles].path)
		return -ENOMEM;
	a->nfiles++;
	return 0;
}

/* -v lists every site; the slow ones are named in one warning per file. */
static void log_plan(const struct found_lib *lib, const struct site_plan *plan)
{
	char slow[256] = "";
	size_t len = 0;

	if (plan->fallback && strcmp(plan->why, "--probe-exported"))
		pr_warn("%s: %s; probing the exported API instead\n", lib->path, plan->why);
	for (unsigned int i = 0; i < plan->n; i++) {
		const struct probe_site *s = &plan->sites[i];

		pr_info("%s: %s%s%s at 0x%llx: %s (%s)\n", lib->path, s->fn->sym,
			s->searched == 1   ? ", first call in "
			: s->searched == 2 ? ", found by the adapter's code search"
					   : "",
			s->searched == 1 ? s->fn->call_in : "", (unsigned long long)s->offset,
			s->insn, site_cost_name(s->cost));
		if (s->cost != SITE_OPTIMISED && s->cost != SITE_EMULATED && len < sizeof(slow))
			len += snprintf(slow + len, sizeof(slow) - len, "%s%s", len ? ", " : "",
					s->fn->sym);
	}
	if (len && strcmp(plan->why, "--probe-exported"))
		pr_warn("%s: single-stepped probe sites, ~20 us more per call: %s\n", lib->path,
			slow);
}

/* The loader's debugger hook: one entry probe, no return probe, no site planning. */
static int add_loader(struct attacher *a, const struct found_lib *lib, struct lib_status *status)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = "_dl_debug_state");
	int err = attach_uprobe(a, a->opts.loader, lib->open_path, 0, &opts);

	if (err) {
		status->failed = 1;
		a->failed++;
		pr_warn("attach %s:_dl_debug_state: %s; libraries it loads later are found only "
			"at exec\n",
			lib->path, strerror(-err));
		return err;
	}
	status->probes = 1;
	a->attached++;
	pr_info("probed %s (loader, pid %u)\n", lib->path, lib->pid);
	return 1;
}

/* Places the planned probes; a dry run only counts them. Returns how many attached. */
static unsigned int place_probes(struct attacher *a, const struct found_lib *lib,
				 struct probed_file *file, unsigned int *failed)
{
	const struct tls_adapter *ad = file->code.adapter;
	unsigned int ok = 0;

	for (unsigned int i = 0; i < file->plan.n; i++) {
		const struct probe_site *site = &file->plan.sites[i];

		for (int ret = 0; ret < 2; ret++) {
			int err = a->opts.enter ? probe(a, lib->open_path, ad, site, ret) : 0;

			if (!err) {
				ok++;
				continue;
			}
			(*failed)++;
			pr_warn("attach %s:%s%s: %s\n", lib->path, site->fn->sym,
				ret ? " (return)" : "", strerror(-err));
		}
	}
	return ok;
}

/* Why TLS code that no adapter can probe is not traced. */
static const char *untraceable(const struct tls_code *code)
{
	if (code->linkage == LINK_GO)
		return "Go crypto/tls is not supported yet";
	return "symbols stripped: the TLS functions cannot be found";
}

int attacher__add(struct attacher *a, const struct found_lib *lib, int *idx)
{
	struct probed_file *file;
	struct lib_status *status;
	unsigned int ok, failed = 0;
	struct tls_code code;
	struct stat st;
	int err;

	*idx = -1;
	if (stat(lib->open_path, &st))
		return -errno; /* the process exited or the file vanished */
	for (unsigned int i = 0; i < a->nfiles; i++) {
		if (a->files[i].dev == st.st_dev && a->files[i].ino == st.st_ino) {
			*idx = a->files[i].loader ? -1 : (int)i;
			return 0;
		}
	}
	if (set_has(&a->plain, &st))
		return 0;
	if (lib->kind != FOUND_LOADER) {
		err = tlscode_identify(lib->open_path, lib->adapter, &code);
		if (err <= 0)
			return err ? err : set_add(&a->plain, &st);
	}
	err = remember(a, &st, lib, lib->kind == FOUND_LOADER ? NULL : &code);
	if (err)
		return err;
	file = &a->files[a->nfiles - 1];
	status = &a->libs[a->nfiles - 1];
	if (lib->kind == FOUND_LOADER) {
		file->loader = 1;
		return a->opts.enter ? add_loader(a, lib, status) : 0;
	}
	*idx = (int)a->nfiles - 1;
	if (!code.adapter) {
		snprintf(file->reason, sizeof(file->reason), "%s", untraceable(&code));
		pr_info("%s (%s, %s, pid %u): not traced: %s\n", lib->path, code.lib,
			tls_linkage_name(code.linkage), lib->pid, file->reason);
		return 0;
	}
	err = sites_plan(lib->open_path, code.adapter, a->opts.exported_only, &file->plan);
	if (err) {
		snprintf(file->reason, sizeof(file->reason), "no probe site: %s",
			 file->plan.why[0] ? file->plan.why : strerror(-err));
		pr_warn("%s (%s): %s\n", lib->path, code.lib, file->reason);
		return err;
	}
	log_plan(lib, &file->plan);
	ok = place_probes(a, lib, file, &failed);
	if (!ok)
		snprintf(file->reason, sizeof(file->reason), "no probe could be attached");
	status->probes = ok;
	status->failed = failed;
	a->attached += ok;
	a->failed += failed;
	pr_info("probed %s (%s, %s, pid %u): %u probes, %u failed\n", lib->path, code.lib,
		tls_linkage_name(code.linkage), lib->pid, ok, failed);
	return ok ? (int)ok : -ENOENT;
}

const struct lib_status *attacher__libs(const struct attacher *a, unsigned int *n)
{
	/* a->files moves when it grows: point at the plans only now. */
	for (unsigned int i = 0; i < a->nfiles; i++) {
		a->libs[i].plan = a->files[i].loader ? NULL : &a->files[i].plan;
		a->libs[i].version = a->files[i].code.version;
		a->libs[i].reason = a->files[i].reason[0] ? a->files[i].reason : NULL;
	}
	*n = a->nfiles;
	return a->libs;
}

void attacher__totals(const struct attacher *a, uint64_t *attached, uint64_t *failed)
{
	*attached = a->attached;
	*failed = a->failed;
}

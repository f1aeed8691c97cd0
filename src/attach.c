// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attach.h"
#include "util/log.h"

struct probed_file {
	dev_t dev;
	ino_t ino;
};

struct attacher {
	struct bpf_program *enter, *exit;
	struct bpf_link **links;
	size_t nlinks, links_cap;
	struct probed_file *files;
	struct lib_status *libs; /* parallel to files */
	unsigned int nfiles, files_cap;
	uint64_t attached, failed;
};

struct attacher *attacher__new(struct bpf_program *enter, struct bpf_program *exit)
{
	struct attacher *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->enter = enter;
	a->exit = exit;
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

static int probe(struct attacher *a, const char *path, const struct tls_adapter *ad,
		 const struct tls_func *fn, int ret)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = fn->sym, .retprobe = ret,
		    .bpf_cookie = MAKE_COOKIE(ad->lib, fn->dir, fn->ex));
	struct bpf_link *l;
	int err;

	l = bpf_program__attach_uprobe_opts(ret ? a->exit : a->enter, -1, path, 0, &opts);
	if (!l)
		return -errno;
	err = keep_link(a, l);
	if (err)
		bpf_link__destroy(l);
	return err;
}

static int remember(struct attacher *a, const struct stat *st, const struct found_lib *lib)
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
	a->files[a->nfiles] = (struct probed_file){st->st_dev, st->st_ino};
	a->libs[a->nfiles] =
		(struct lib_status){.path = strdup(lib->path), .lib = lib->adapter->name};
	if (!a->libs[a->nfiles].path)
		return -ENOMEM;
	a->nfiles++;
	return 0;
}

int attacher__add(struct attacher *a, const struct found_lib *lib)
{
	const struct tls_adapter *ad = lib->adapter;
	struct lib_status *status;
	unsigned int ok = 0, failed = 0;
	struct stat st;
	int err;

	if (stat(lib->open_path, &st))
		return -errno; /* the process exited or the file vanished */
	for (unsigned int i = 0; i < a->nfiles; i++)
		if (a->files[i].dev == st.st_dev && a->files[i].ino == st.st_ino)
			return 0;
	err = remember(a, &st, lib);
	if (err)
		return err;
	status = &a->libs[a->nfiles - 1];
	for (unsigned int i = 0; i < ad->nfuncs; i++) {
		const struct tls_func *fn = &ad->funcs[i];

		for (int ret = 0; ret < 2; ret++) {
			err = probe(a, lib->open_path, ad, fn, ret);
			if (!err) {
				ok++;
				continue;
			}
			if (fn->optional && err == -ENOENT)
				break;
			failed++;
			pr_warn("attach %s:%s%s: %s\n", lib->path, fn->sym, ret ? " (return)" : "",
				strerror(-err));
		}
	}
	status->probes = ok;
	status->failed = failed;
	a->attached += ok;
	a->failed += failed;
	pr_info("probed %s (%s, pid %u): %u probes, %u failed\n", lib->path, ad->name, lib->pid, ok,
		failed);
	return ok ? (int)ok : -ENOENT;
}

const struct lib_status *attacher__libs(const struct attacher *a, unsigned int *n)
{
	*n = a->nfiles;
	return a->libs;
}

void attacher__totals(const struct attacher *a, uint64_t *attached, uint64_t *failed)
{
	*attached = a->attached;
	*failed = a->failed;
}

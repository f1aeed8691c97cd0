// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "coverage.h"

struct proc_files {
	uint32_t pid;
	unsigned int n;
	int files[COVERAGE_FILES];
};

/* Few hundred entries on a busy host, touched at exec and exit: a plain array is enough. */
struct coverage {
	struct proc_files *procs;
	unsigned int n, cap;
};

struct coverage *coverage__new(void)
{
	return calloc(1, sizeof(struct coverage));
}

void coverage__free(struct coverage *c)
{
	if (!c)
		return;
	free(c->procs);
	free(c);
}

static struct proc_files *find(const struct coverage *c, uint32_t pid)
{
	for (unsigned int i = 0; i < c->n; i++)
		if (c->procs[i].pid == pid)
			return &c->procs[i];
	return NULL;
}

int coverage__add(struct coverage *c, uint32_t pid, int file)
{
	struct proc_files *p = find(c, pid);

	if (!p) {
		if (c->n == c->cap) {
			unsigned int cap = c->cap ? 2 * c->cap : 64;
			struct proc_files *v = realloc(c->procs, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			c->procs = v;
			c->cap = cap;
		}
		p = &c->procs[c->n++];
		memset(p, 0, sizeof(*p));
		p->pid = pid;
	}
	for (unsigned int i = 0; i < p->n; i++)
		if (p->files[i] == file)
			return 0;
	if (p->n < COVERAGE_FILES)
		p->files[p->n++] = file;
	return 0;
}

void coverage__forget(struct coverage *c, uint32_t pid)
{
	struct proc_files *p = find(c, pid);

	if (p)
		*p = c->procs[--c->n];
}

void coverage__count(const struct coverage *c, int (*traced)(void *ctx, int file), void *ctx,
		     struct coverage_counts *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < c->n; i++) {
		const struct proc_files *p = &c->procs[i];
		int all = 1;

		for (unsigned int k = 0; k < p->n; k++)
			all &= !!traced(ctx, p->files[k]);
		out->processes++;
		out->untraced += !all;
	}
}

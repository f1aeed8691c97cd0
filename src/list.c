// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "coverage.h"
#include "list.h"
#include "util/buf.h"
#include "util/log.h"

struct lister {
	const struct config *cfg;
	struct attacher *att; /* a dry run: plans sites, attaches nothing */
	int files[COVERAGE_FILES];
	unsigned int nfiles;
	unsigned int procs, untraced;
	struct buf b;
};

static void on_file(void *ctx, const struct found_lib *lib)
{
	struct lister *l = ctx;
	int file;

	attacher__add(l->att, lib, &file);
	for (unsigned int i = 0; i < l->nfiles; i++)
		if (l->files[i] == file)
			return;
	if (file >= 0 && l->nfiles < COVERAGE_FILES)
		l->files[l->nfiles++] = file;
}

static void read_comm(uint32_t pid, char *comm, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	comm[0] = 0;
	f = fopen(path, "re");
	if (f) {
		if (fgets(comm, len, f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
}

static void read_exe(uint32_t pid, char *exe, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, exe, len - 1);
	exe[n > 0 ? n : 0] = 0;
}

static void put_json_str(struct buf *b, const char *s)
{
	if (s && *s)
		buf_put_json_str(b, s, strlen(s));
	else
		buf_puts(b, "null");
}

static void print_row(struct lister *l, uint32_t pid, const char *comm, const char *exe,
		      const struct lib_status *f)
{
	struct buf *b = &l->b;

	buf_reset(b);
	if (l->cfg->format == FORMAT_JSON) {
		buf_printf(b, "{\"pid\":%u,\"comm\":", pid);
		put_json_str(b, comm);
		buf_puts(b, ",\"exe\":");
		put_json_str(b, exe);
		buf_puts(b, ",\"lib\":");
		put_json_str(b, f->lib);
		buf_puts(b, ",\"version\":");
		put_json_str(b, f->version);
		buf_puts(b, ",\"linkage\":");
		put_json_str(b, f->linkage);
		buf_puts(b, ",\"path\":");
		put_json_str(b, f->path);
		buf_printf(b, ",\"traced\":%s,\"reason\":", f->reason ? "false" : "true");
		put_json_str(b, f->reason);
		buf_puts(b, "}\n");
	} else {
		buf_printf(b, "%7u %-15s %-9s %-8s %-8s %-6s %s", pid, comm, f->lib,
			   f->version && *f->version ? f->version : "-", f->linkage,
			   f->reason ? "no" : "yes", f->path);
		if (strcmp(f->path, exe))
			buf_printf(b, " (in %s)", exe);
		if (f->reason)
			buf_printf(b, ": %s", f->reason);
		buf_putc(b, '\n');
	}
	fwrite(b->p, 1, b->len, stdout);
}

static void list_pid(struct lister *l, uint32_t pid)
{
	char comm[32], exe[PATH_MAX];
	const struct lib_status *libs;
	unsigned int n, untraced = 0;

	l->nfiles = 0;
	if (discover_pid(pid, on_file, l) || !l->nfiles)
		return;
	read_comm(pid, comm, sizeof(comm));
	if (l->cfg->comm[0] && strcmp(comm, l->cfg->comm))
		return;
	read_exe(pid, exe, sizeof(exe));
	libs = attacher__libs(l->att, &n);
	for (unsigned int i = 0; i < l->nfiles; i++) {
		print_row(l, pid, comm, exe, &libs[l->files[i]]);
		untraced += !!libs[l->files[i]].reason;
	}
	l->procs++;
	l->untraced += !!untraced;
}

int list_run(const struct config *cfg)
{
	struct attacher_opts aopts = {.exported_only = cfg->probe_exported};
	struct lister l = {.cfg = cfg};
	struct dirent *d;
	DIR *dir;

	/* What planning would warn about is in the rows' reasons: only -v shows the log. */
	log_level = LOG_WARN + cfg->verbose - 1;
	if (geteuid())
		fprintf(stderr, "tlsscope: not root: only processes this user may inspect are "
				"listed\n");
	l.att = attacher__new(&aopts);
	dir = opendir("/proc");
	if (!l.att || !dir) {
		fprintf(stderr, "tlsscope: list: %s\n", strerror(errno));
		attacher__free(l.att);
		if (dir)
			closedir(dir);
		return 1;
	}
	if (cfg->format == FORMAT_TEXT)
		printf("%7s %-15s %-9s %-8s %-8s %-6s %s\n", "PID", "COMM", "LIB", "VERSION",
		       "LINKAGE", "TRACED", "FILE");
	while ((d = readdir(dir))) {
		unsigned long pid;
		char *end;

		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		pid = strtoul(d->d_name, &end, 10);
		if (*end || pid == (unsigned long)getpid() || (cfg->pid && pid != cfg->pid))
			continue;
		list_pid(&l, pid);
	}
	closedir(dir);
	if (cfg->format == FORMAT_TEXT)
		printf("%u processes with TLS code, %u of them not traced\n", l.procs, l.untraced);
	fflush(stdout);
	buf_free(&l.b);
	attacher__free(l.att);
	return 0;
}

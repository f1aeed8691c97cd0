// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "discover.h"

int maps_parse_line(char *line, struct maps_entry *e)
{
	size_t len = strlen(line);
	int path_at = 0;

	memset(e, 0, sizeof(*e));
	if (len && line[len - 1] == '\n')
		line[len - 1] = 0;
	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 " %n", &e->start,
		   &e->end, e->perms, &e->offset, &e->dev_major, &e->dev_minor, &e->ino,
		   &path_at) < 7)
		return -EINVAL;
	/* %n is not reached when nothing follows the inode: an anonymous mapping. */
	e->path = path_at ? line + path_at : "";
	return 0;
}

static const char *const loader_names[] = {"ld-linux", "ld-musl", NULL};

/* Where the system's loaders live, probed at start like the adapters' system paths. */
static const char *const loader_paths[] = {
	"/lib64/ld-linux-x86-64.so.2",
	"/lib/ld-linux-aarch64.so.1",
	NULL,
};

int is_loader_path(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (const char *const *n = loader_names; *n; n++)
		if (!strncmp(base, *n, strlen(*n)) && strstr(base, ".so"))
			return 1;
	return 0;
}

int discover_pid(uint32_t pid, discover_fn fn, void *ctx)
{
	char path[64], line[4096 + 128], open_path[4096 + 64];
	const char *last = NULL;
	char *last_buf = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct maps_entry e;
		struct found_lib lib;

		if (maps_parse_line(line, &e) || e.path[0] != '/' || !e.ino || e.perms[2] != 'x')
			continue;
		/* A file may have several executable mappings: report it once per process. */
		if (last && !strcmp(last, e.path))
			continue;
		if (strstr(e.path, " (deleted)"))
			continue;
		lib.adapter = tls_adapter_for_path(e.path);
		lib.kind = lib.adapter		    ? FOUND_NAMED
			   : is_loader_path(e.path) ? FOUND_LOADER
						    : FOUND_CODE;
		free(last_buf);
		last = last_buf = strdup(e.path);
		snprintf(open_path, sizeof(open_path), "/proc/%u/root%s", pid, e.path);
		lib.pid = pid;
		lib.path = e.path;
		lib.open_path = open_path;
		fn(ctx, &lib);
	}
	free(last_buf);
	fclose(f);
	return 0;
}

/* Reports the files of a NULL-ended path list that exist (adapter NULL: loaders). */
static void report_paths(const char *const *paths, const struct tls_adapter *adapter,
			 discover_fn fn, void *ctx)
{
	for (const char *const *p = paths; p && *p; p++) {
		struct found_lib lib = {.path = *p,
					.open_path = *p,
					.adapter = adapter,
					.kind = adapter ? FOUND_NAMED : FOUND_LOADER};

		if (access(*p, R_OK) == 0)
			fn(ctx, &lib);
	}
}

/* Where distributions keep shared libraries; an adapter names its files. */
static const char *const system_lib_dirs[] = {
	"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", NULL,
};

static void report_system_files(const struct tls_adapter *adapter, discover_fn fn, void *ctx)
{
	char path[PATH_MAX];

	for (const char *const *f = adapter->system_files; f && *f; f++) {
		for (const char *const *d = system_lib_dirs; *d; d++) {
			const char *one[] = {path, NULL};

			snprintf(path, sizeof(path), "%s/%s", *d, *f);
			report_paths(one, adapter, fn, ctx);
		}
	}
}

int discover_all(discover_fn fn, void *ctx)
{
	struct dirent *d;
	DIR *dir = opendir("/proc");

	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		char *end;
		unsigned long pid;

		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		pid = strtoul(d->d_name, &end, 10);
		if (*end || pid == (unsigned long)getpid())
			continue;
		discover_pid(pid, fn, ctx); /* processes come and go: errors are expected */
	}
	closedir(dir);
	report_paths(loader_paths, NULL, fn, ctx);
	for (const struct tls_adapter *const *a = tls_adapters; *a; a++)
		report_system_files(*a, fn, ctx);
	return 0;
}

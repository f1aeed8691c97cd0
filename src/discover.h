/* SPDX-License-Identifier: MIT */
/*
 * Discovery: which files hold TLS code. Reads /proc/PID/maps and opens what it finds
 * through /proc/PID/root, so processes in other mount namespaces (containers) are covered.
 */
#ifndef TLSSCOPE_DISCOVER_H
#define TLSSCOPE_DISCOVER_H

#include <stdint.h>
#include <sys/types.h>

#include "tls/adapter.h"

struct maps_entry {
	uint64_t start, end, offset;
	unsigned int dev_major, dev_minor;
	uint64_t ino;
	char perms[5];
	const char *path; /* points into the parsed line; "" for anonymous mappings */
};

/* Parses one /proc/PID/maps line (its newline stripped, in place). Returns 0 or -EINVAL. */
int maps_parse_line(char *line, struct maps_entry *e);

enum found_kind {
	FOUND_NAMED,  /* a TLS library, known by its file name: adapter is set */
	FOUND_LOADER, /* a dynamic loader */
	FOUND_CODE,   /* any other file mapped executable: its contents tell (tlscode.h) */
};

struct found_lib {
	uint32_t pid;			   /* 0 for a system path found without a process */
	const char *path;		   /* as the process sees it */
	const char *open_path;		   /* how the agent reaches the same file */
	const struct tls_adapter *adapter; /* FOUND_NAMED only */
	enum found_kind kind;
};

/* 1 if path names a dynamic loader (ld-linux*.so*, ld-musl*.so*). */
int is_loader_path(const char *path);

typedef void (*discover_fn)(void *ctx, const struct found_lib *lib);

/*
 * Calls fn for every file pid maps executable: TLS libraries by name, loaders, and the rest
 * (executables, other libraries) for a look inside. Returns 0 or a negative errno.
 */
int discover_pid(uint32_t pid, discover_fn fn, void *ctx);
/* Every process, then every adapter's system paths. */
int discover_all(discover_fn fn, void *ctx);

#endif

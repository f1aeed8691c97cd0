// SPDX-License-Identifier: MIT
/*
 * null_hook: attach empty BPF programs where tlsscope attaches its own, to measure the
 * platform's floor cost of those hooks (trap, dispatch, return hijack, syscall slow path).
 *
 *   null_hook -b OBJ [-s] [-u FILE:OFFSET]... -f READY_FILE [-d SECONDS]
 *
 *   -b OBJ       build/bench/null_hook.bpf.o
 *   -s           attach empty tp_btf/sock_send_length and sock_recv_length programs (fire on
 *                every socket send and receive of the host)
 *   -u F:OFF     attach an empty uprobe and an empty uretprobe at file offset OFF of F (all
 *                processes, like tlsscope)
 *   -f FILE      create FILE once everything is attached
 *   -d SECONDS   detach and exit after SECONDS (default 600); SIGINT/SIGTERM end it sooner
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#define MAX_LINKS 64

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

int main(int argc, char **argv)
{
	const char *obj_path = NULL, *ready = NULL, *ups[MAX_LINKS / 2];
	struct bpf_link *links[MAX_LINKS];
	int nups = 0, nlinks = 0, sys = 0, secs = 600, c, st = 1;
	struct bpf_object *obj;
	FILE *f;

	while ((c = getopt(argc, argv, "b:su:f:d:")) != -1) {
		switch (c) {
		case 'b':
			obj_path = optarg;
			break;
		case 's':
			sys = 1;
			break;
		case 'u':
			if (nups >= MAX_LINKS / 2)
				goto usage;
			ups[nups++] = optarg;
			break;
		case 'f':
			ready = optarg;
			break;
		case 'd':
			secs = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (!obj_path || !ready || secs <= 0 || secs > 3600 || (!sys && !nups))
		goto usage;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	obj = bpf_object__open_file(obj_path, NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "null_hook: load %s: %s\n", obj_path, strerror(errno));
		return 1;
	}
	for (int i = 0; sys && i < 2; i++) {
		const char *name = i ? "null_sock_recv" : "null_sock_send";

		links[nlinks] = bpf_program__attach(bpf_object__find_program_by_name(obj, name));
		if (!links[nlinks]) {
			fprintf(stderr, "null_hook: attach %s: %s\n", name, strerror(errno));
			goto out;
		}
		nlinks++;
	}
	for (int i = 0; i < nups; i++) {
		char path[4096];
		const char *colon = strrchr(ups[i], ':');
		long off;

		if (!colon || colon == ups[i] || (size_t)(colon - ups[i]) >= sizeof(path))
			goto usage;
		memcpy(path, ups[i], colon - ups[i]);
		path[colon - ups[i]] = 0;
		off = strtol(colon + 1, NULL, 0);
		for (int ret = 0; ret < 2; ret++) {
			struct bpf_program *p = bpf_object__find_program_by_name(
				obj, ret ? "null_exit" : "null_enter");

			links[nlinks] = bpf_program__attach_uprobe(p, ret, -1, path, off);
			if (!links[nlinks]) {
				fprintf(stderr, "null_hook: attach %s at %s+%ld: %s\n",
					ret ? "uretprobe" : "uprobe", path, off, strerror(errno));
				goto out;
			}
			nlinks++;
		}
	}
	f = fopen(ready, "w");
	if (!f || fclose(f)) {
		fprintf(stderr, "null_hook: ready file %s: %s\n", ready, strerror(errno));
		goto out;
	}
	for (int i = 0; i < secs * 10 && !stop; i++)
		usleep(100000);
	st = 0;
out:
	for (int i = 0; i < nlinks; i++)
		bpf_link__destroy(links[i]);
	bpf_object__close(obj);
	return st;
usage:
	fprintf(stderr,
		"usage: null_hook -b OBJ [-s] [-u FILE:OFFSET]... -f READY_FILE [-d SECS]\n");
	return 2;
}

// SPDX-License-Identifier: MIT
/*
 * syscall_loop: a syscall-heavy program with no TLS at all, to measure what a host-wide
 * tracer costs everything else. Each iteration writes 1 byte into a pipe or a socketpair and
 * reads it back from the other end: 2 syscalls.
 *
 *   syscall_loop [-m pipe|socketpair] (-n ITERS | -t SECONDS)
 *
 * Prints: mode=pipe iters=N secs=S ns_per_iter=X cpu_ns_per_iter=Y
 * (wall-clock time and the process's CPU time, user + system, per iteration)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	const char *mode = "pipe";
	uint64_t iters = 0, done = 0, t0, t1, c0, c1, end;
	double secs = 0;
	int fds[2], c;
	char b = 'x';

	while ((c = getopt(argc, argv, "m:n:t:")) != -1) {
		switch (c) {
		case 'm':
			mode = optarg;
			break;
		case 'n':
			iters = strtoull(optarg, NULL, 0);
			break;
		case 't':
			secs = strtod(optarg, NULL);
			break;
		default:
			goto usage;
		}
	}
	if ((!iters && secs <= 0) || (iters && secs > 0) || secs > 3600)
		goto usage;
	if (!strcmp(mode, "pipe")) {
		if (pipe(fds))
			return perror("pipe"), 1;
	} else if (!strcmp(mode, "socketpair")) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds))
			return perror("socketpair"), 1;
	} else {
		goto usage;
	}
	for (int i = 0; i < 1000; i++) /* warm-up */
		if (write(fds[1], &b, 1) != 1 || read(fds[0], &b, 1) != 1)
			return perror("write/read"), 1;
	c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	t0 = clock_ns(CLOCK_MONOTONIC);
	end = secs > 0 ? t0 + (uint64_t)(secs * 1e9) : UINT64_MAX;
	for (;;) {
		for (int k = 0; k < 64; k++, done++)
			if (write(fds[1], &b, 1) != 1 || read(fds[0], &b, 1) != 1)
				return perror("write/read"), 1;
		if ((iters && done >= iters) || clock_ns(CLOCK_MONOTONIC) >= end)
			break;
	}
	t1 = clock_ns(CLOCK_MONOTONIC);
	c1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	printf("mode=%s iters=%" PRIu64 " secs=%.3f ns_per_iter=%.1f cpu_ns_per_iter=%.1f\n", mode,
	       done, (t1 - t0) / 1e9, (double)(t1 - t0) / done, (double)(c1 - c0) / done);
	return 0;
usage:
	fprintf(stderr, "usage: syscall_loop [-m pipe|socketpair] (-n ITERS | -t SECONDS)\n");
	return 2;
}

// SPDX-License-Identifier: MIT
/*
 * jsonl_tally: a fast consumer of tlsscope's `--format json` stream for the benchmarks.
 *
 *   tlsscope --format json ... | jsonl_tally [-p PID] OTHER_LINES_FILE SUMMARY_FILE
 *
 * Reads every line (so the agent's output costs what a real reader costs, without filling a
 * disk), counts the "data" records, and copies every other line (the "stats" records) to
 * OTHER_LINES_FILE. At end of input it writes one line to SUMMARY_FILE:
 *   data=N len=N captured=N truncated_lost=N foreign=N lines=N
 * foreign counts data records whose pid is not PID (with -p).
 * When stdin is a pipe or FIFO its buffer is raised to 1 MiB (F_SETPIPE_SZ), as a well-set-up
 * consumer would: the agent then blocks and context-switches less on its writes.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t field(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

int main(int argc, char **argv)
{
	uint64_t data = 0, len = 0, captured = 0, lost = 0, foreign = 0, lines = 0, pid = 0;
	char *line = NULL, *end;
	size_t cap = 0;
	ssize_t n;
	FILE *other, *sum;
	int c;

	while ((c = getopt(argc, argv, "p:")) != -1) {
		if (c != 'p') {
			fprintf(stderr, "usage: jsonl_tally [-p PID] OTHER_FILE SUMMARY_FILE\n");
			return 2;
		}
		pid = strtoull(optarg, NULL, 10);
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: jsonl_tally [-p PID] OTHER_FILE SUMMARY_FILE\n");
		return 2;
	}
	other = fopen(argv[optind], "w");
	if (!other) {
		perror(argv[optind]);
		return 1;
	}
	fcntl(STDIN_FILENO, F_SETPIPE_SZ, 1 << 20); /* fails harmlessly on a file */
	setvbuf(stdin, NULL, _IOFBF, 1 << 20);
	while ((n = getline(&line, &cap, stdin)) > 0) {
		lines++;
		if (strncmp(line, "{\"type\":\"data\"", 14)) {
			fwrite(line, 1, n, other);
			continue;
		}
		/* Only the header is searched: "data" is the last field, and it is long. */
		end = strstr(line, ",\"data\":\"");
		if (end)
			*end = 0;
		data++;
		len += field(line, "\"len\":");
		captured += field(line, "\"captured\":");
		if (strstr(line, "\"truncated\":\"lost\""))
			lost++;
		if (pid && field(line, "\"pid\":") != pid)
			foreign++;
	}
	fclose(other);
	free(line);
	sum = fopen(argv[optind + 1], "w");
	if (!sum) {
		perror(argv[optind + 1]);
		return 1;
	}
	fprintf(sum,
		"data=%" PRIu64 " len=%" PRIu64 " captured=%" PRIu64 " truncated_lost=%" PRIu64
		" foreign=%" PRIu64 " lines=%" PRIu64 "\n",
		data, len, captured, lost, foreign, lines);
	return fclose(sum) ? 1 : 0;
}

// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli.h"

#define ARGV(...)  ((char *[]){"tlsscope", __VA_ARGS__, NULL})
#define ARGC(argv) ((int)(sizeof(argv) / sizeof(char *)) - 1)

/* cli_parse() on argv, in this process: for arguments that must be accepted. */
#define PARSE_OK(cfg, ...)                                                                         \
	do {                                                                                       \
		char **argv_ = ARGV(__VA_ARGS__);                                                  \
		int exit_now_ = -1;                                                                \
		CHECK_EQ_U64(cli_parse(ARGC(ARGV(__VA_ARGS__)), argv_, (cfg), &exit_now_), 0);     \
		CHECK_EQ_U64(exit_now_, 0);                                                        \
	} while (0)

TEST(defaults)
{
	char *argv[] = {"tlsscope", NULL};
	struct config cfg;
	int exit_now = -1;

	memset(&cfg, 0x5a, sizeof(cfg));
	CHECK_EQ_U64(cli_parse(1, argv, &cfg, &exit_now), 0);
	CHECK_EQ_U64(exit_now, 0);
	CHECK_EQ_U64(cfg.pid, 0);
	CHECK_STR_EQ(cfg.comm, "");
	CHECK_EQ_U64(cfg.format, FORMAT_TEXT);
	CHECK(cfg.output == NULL);
	CHECK_EQ_U64(cfg.max_capture, 16384);
	CHECK_EQ_U64(cfg.ringbuf_size, 8u << 20);
	CHECK_EQ_U64(cfg.stats_interval, 0);
	CHECK_EQ_U64(cfg.duration, 0);
	CHECK(cfg.ready_file == NULL);
	CHECK_EQ_U64(cfg.verbose, 0);
	CHECK_EQ_U64(cfg.color, (uint64_t)-1);
	CHECK_EQ_U64(cfg.no_redact, 0);
	CHECK_EQ_U64(cfg.probe_exported, 0);
}

TEST(every_flag)
{
	struct config cfg;

	PARSE_OK(&cfg, "-p", "1234", "-c", "curl", "--format", "json", "-o", "/tmp/out.jsonl",
		 "--max-capture", "1048576", "--ringbuf-size", "4096", "--stats-interval", "10",
		 "--duration", "60", "--ready-file", "/tmp/ready", "--no-color", "-v", "-v",
		 "--no-redact", "--probe-exported");
	CHECK_EQ_U64(cfg.pid, 1234);
	CHECK_STR_EQ(cfg.comm, "curl");
	CHECK_EQ_U64(cfg.format, FORMAT_JSON);
	CHECK_STR_EQ(cfg.output, "/tmp/out.jsonl");
	CHECK_EQ_U64(cfg.max_capture, 1048576);
	CHECK_EQ_U64(cfg.ringbuf_size, 4096);
	CHECK_EQ_U64(cfg.stats_interval, 10);
	CHECK_EQ_U64(cfg.duration, 60);
	CHECK_STR_EQ(cfg.ready_file, "/tmp/ready");
	CHECK_EQ_U64(cfg.color, 0);
	CHECK_EQ_U64(cfg.verbose, 2);
	CHECK_EQ_U64(cfg.no_redact, 1);
	CHECK_EQ_U64(cfg.probe_exported, 1);
}

TEST(long_forms_and_limits)
{
	struct config cfg;

	PARSE_OK(&cfg, "--pid=2147483647", "--comm=abcdefghijklmno", "--format=text", "--color",
		 "--max-capture=1073741824", "--ringbuf-size=1073741824", "--stats-interval=86400",
		 "--duration=31536000", "--output=o", "-vvv");
	CHECK_EQ_U64(cfg.pid, 2147483647);
	CHECK_STR_EQ(cfg.comm, "abcdefghijklmno"); /* 15 characters: the kernel's limit */
	CHECK_EQ_U64(cfg.format, FORMAT_TEXT);
	CHECK_EQ_U64(cfg.color, 1);
	CHECK_EQ_U64(cfg.max_capture, 1u << 30);
	CHECK_EQ_U64(cfg.ringbuf_size, 1u << 30);
	CHECK_EQ_U64(cfg.stats_interval, 86400);
	CHECK_EQ_U64(cfg.duration, 31536000);
	CHECK_STR_EQ(cfg.output, "o");
	CHECK_EQ_U64(cfg.verbose, 3);

	PARSE_OK(&cfg, "--max-capture", "0", "--ringbuf-size", "65536", "-c", "x", "-p1");
	CHECK_EQ_U64(cfg.max_capture, 0);
	CHECK_EQ_U64(cfg.ringbuf_size, 65536);
	CHECK_STR_EQ(cfg.comm, "x");
	CHECK_EQ_U64(cfg.pid, 1);
	/* The last of --color / --no-color wins. */
	PARSE_OK(&cfg, "--color", "--no-color");
	CHECK_EQ_U64(cfg.color, 0);
	PARSE_OK(&cfg, "--no-color", "--color");
	CHECK_EQ_U64(cfg.color, 1);
}

struct child_args {
	int argc;
	char **argv;
};

/* Exits with what argp exits with, or with cli_parse()'s status if it returns. */
static void parse_in_child(void *arg)
{
	struct child_args *a = arg;
	struct config cfg;
	int exit_now = 0, rc;

	rc = cli_parse(a->argc, a->argv, &cfg, &exit_now);
	fflush(NULL);
	_exit(exit_now ? rc : 100);
}

static int child_status(int argc, char **argv)
{
	struct child_args a = {argc, argv};
	int st = run_in_child(parse_in_child, &a, 1);

	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define EXITS_WITH(status, ...)                                                                    \
	do {                                                                                       \
		char **argv_ = ARGV(__VA_ARGS__);                                                  \
		int argc_ = ARGC(ARGV(__VA_ARGS__));                                               \
		if (!CHECK_EQ_U64(child_status(argc_, argv_), (status))) {                         \
			fprintf(stderr, "    argv:");                                              \
			for (int i_ = 1; i_ < argc_; i_++)                                         \
				fprintf(stderr, " '%s'", argv_[i_]);                               \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)

TEST(unknown_flags_and_arguments)
{
	EXITS_WITH(2, "--bogus");
	EXITS_WITH(2, "-x");
	EXITS_WITH(2, "extra");
	EXITS_WITH(2, "-p", "1", "extra");
	EXITS_WITH(2, "-p"); /* missing argument */
	EXITS_WITH(2, "--format");
}

TEST(bad_numbers)
{
	EXITS_WITH(2, "-p", "abc");
	EXITS_WITH(2, "-p", "");
	EXITS_WITH(2, "-p", "0");
	EXITS_WITH(2, "-p", "-1");
	EXITS_WITH(2, "-p", "+1");
	EXITS_WITH(2, "-p", "12x");
	EXITS_WITH(2, "-p", "0x10");
	EXITS_WITH(2, "-p", "2147483648");
	EXITS_WITH(2, "--max-capture", "1073741825");
	EXITS_WITH(2, "--max-capture", "-1");
	EXITS_WITH(2, "--max-capture", "99999999999999999999999");
	EXITS_WITH(2, "--stats-interval", "86401");
	EXITS_WITH(2, "--stats-interval", "1.5");
	EXITS_WITH(2, "--duration", "31536001");
	EXITS_WITH(2, "--duration", "");
}

TEST(bad_ringbuf_size)
{
	EXITS_WITH(2, "--ringbuf-size", "6000"); /* not a power of two */
	EXITS_WITH(2, "--ringbuf-size", "12288");
	EXITS_WITH(2, "--ringbuf-size", "2048"); /* a power of two, but below 4096 */
	EXITS_WITH(2, "--ringbuf-size", "1");
	EXITS_WITH(2, "--ringbuf-size", "0");
	EXITS_WITH(2, "--ringbuf-size", "2147483648"); /* above 1 GiB */
	EXITS_WITH(2, "--ringbuf-size", "4097");
}

TEST(bad_comm_and_format)
{
	EXITS_WITH(2, "--comm", "abcdefghijklmnop"); /* 16 characters */
	EXITS_WITH(2, "-c", "a-much-longer-command-name");
	EXITS_WITH(2, "-c", "");
	EXITS_WITH(2, "--format", "xml");
	EXITS_WITH(2, "--format", "JSON");
	EXITS_WITH(2, "--format", "");
}

TEST(help_and_version_exit_zero)
{
	EXITS_WITH(0, "--help");
	EXITS_WITH(0, "--version");
	EXITS_WITH(0, "--usage");
}

TEST(handshake_flags)
{
	struct config cfg;

	PARSE_OK(&cfg, "-i", "lo", "--interface", "veth0", "--tc", "clsact");
	CHECK_EQ_U64(cfg.nifaces, 2);
	CHECK_STR_EQ(cfg.ifaces[0], "lo");
	CHECK_STR_EQ(cfg.ifaces[1], "veth0");
	CHECK_EQ_U64(cfg.tc, TC_CLSACT);
	PARSE_OK(&cfg, "--tc", "off", "--read", "x.pcapng");
	CHECK_EQ_U64(cfg.tc, TC_OFF);
	CHECK_STR_EQ(cfg.read, "x.pcapng");
	CHECK_EQ_U64(cfg.nifaces, 0);
	PARSE_OK(&cfg, "--tc", "tcx");
	CHECK_EQ_U64(cfg.tc, TC_TCX);
	PARSE_OK(&cfg, "--tc", "auto");
	CHECK_EQ_U64(cfg.tc, TC_AUTO);
	PARSE_OK(&cfg, "-p", "1");
	CHECK_EQ_U64(cfg.tc, TC_AUTO); /* the default */
	CHECK(cfg.read == NULL);
	EXITS_WITH(2, "--tc", "xdp");
	EXITS_WITH(2, "--tc", "");
	EXITS_WITH(2, "-i", "");
	EXITS_WITH(2, "-i", "a-name-of-16-chr");
	EXITS_WITH(2, "-i", "a/b");
}

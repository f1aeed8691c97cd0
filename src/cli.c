// SPDX-License-Identifier: MIT
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/abi.h"
#include "cli.h"
#include "sink/sink.h"

const char *argp_program_version = "tlsscope 0.1";

static const char doc[] =
	"Shows the plaintext of every process's TLS traffic, attributed to its process and TCP "
	"connection, without keys, proxies or restarts. Run as root.\n"
	"\n"
	"Examples:\n"
	"  tlsscope                          trace the whole host, live text view\n"
	"  tlsscope -c curl                  only processes whose command is curl\n"
	"  tlsscope -p 1234 --format json    one process, JSON lines\n"
	"  tlsscope --format json -o out.jsonl --duration 60\n"
	"  tlsscope --max-capture 1048576    keep up to 1 MiB of each TLS call\n"
	"  tlsscope --list                   which processes have TLS code, and which are traced";

enum {
	OPT_FORMAT = 0x100,
	OPT_MAX_CAPTURE,
	OPT_RINGBUF_SIZE,
	OPT_STATS_INTERVAL,
	OPT_DURATION,
	OPT_READY_FILE,
	OPT_COLOR,
	OPT_NO_COLOR,
	OPT_PROBE_EXPORTED,
	OPT_NO_REDACT,
	OPT_TC,
	OPT_READ,
	OPT_DATA,
	OPT_NO_DATA,
	OPT_BODY_PREVIEW,
	OPT_PCAPNG,
	OPT_METRICS,
	OPT_LIST,
};

static const struct argp_option options[] = {
	{"pid", 'p', "PID", 0, "Trace only this process", 0},
	{"comm", 'c', "NAME", 0, "Trace only processes whose command name is NAME (up to 15 chars)",
	 0},
	{"format", OPT_FORMAT, "FMT", 0, "Output format: text (default) or json", 0},
	{"output", 'o', "FILE", 0, "Write to FILE (mode 0600) instead of stdout", 0},
	{"max-capture", OPT_MAX_CAPTURE, "BYTES", 0,
	 "Keep at most BYTES of each TLS call (default 16384; len still tells the whole)", 0},
	{"ringbuf-size", OPT_RINGBUF_SIZE, "BYTES", 0,
	 "Ring buffer size, a power of two >= 4096 (default 8388608)", 0},
	{"stats-interval", OPT_STATS_INTERVAL, "SECONDS", 0,
	 "Report counters and losses every SECONDS (always once at exit)", 0},
	{"duration", OPT_DURATION, "SECONDS", 0, "Stop after SECONDS", 0},
	{"ready-file", OPT_READY_FILE, "PATH", 0,
	 "Create PATH once every probe is attached (it is removed at start)", 0},
	{"color", OPT_COLOR, NULL, 0, "Colour the text view even when not on a terminal", 0},
	{"no-color", OPT_NO_COLOR, NULL, 0, "Never colour the text view", 0},
	{"data", OPT_DATA, NULL, 0,
	 "Text view: show the plaintext chunks of HTTP streams too (by default one line per "
	 "request and response)",
	 0},
	{"no-data", OPT_NO_DATA, NULL, 0,
	 "No plaintext records at all: only http, handshake and stats records", 0},
	{"body-preview", OPT_BODY_PREVIEW, "BYTES", 0,
	 "Keep the first BYTES of each HTTP request and response body in http records (default "
	 "0, at most 4096)",
	 0},
	{"pcapng", OPT_PCAPNG, "FILE", 0,
	 "Also write the plaintext to FILE (mode 0600) as pcapng that Wireshark and tshark "
	 "dissect",
	 0},
	{"metrics", OPT_METRICS, "ADDR:PORT", 0,
	 "Serve Prometheus metrics at http://ADDR:PORT/metrics (e.g. 127.0.0.1:9464, [::1]:9464, "
	 ":9464)",
	 0},
	{"no-redact", OPT_NO_REDACT, NULL, 0,
	 "Show Authorization, Cookie, Set-Cookie and Proxy-Authorization values (masked by "
	 "default)",
	 0},
	{"probe-exported", OPT_PROBE_EXPORTED, NULL, 0,
	 "Probe only the libraries' exported API, as most tracers do (slower; for comparisons)", 0},
	{"interface", 'i', "NAME", 0,
	 "Watch TLS handshakes on interface NAME (repeatable; default: every interface that is up, "
	 "and those that come up later)",
	 0},
	{"tc", OPT_TC, "MODE", 0,
	 "How the handshake classifier attaches: auto (default), tcx, clsact, or off", 0},
	{"read", OPT_READ, "FILE", 0,
	 "Print the TLS handshakes in a pcap or pcapng capture file (- for stdin) and exit; needs "
	 "no root",
	 0},
	{"list", OPT_LIST, NULL, 0,
	 "List every process that has TLS code: library, version, how it is linked, and whether "
	 "it is traced (if not, why); then exit. --format json gives one object per process and "
	 "library",
	 0},
	{"verbose", 'v', NULL, 0,
	 "More messages on stderr (repeat for debug); never changes what is traced", 0},
	{0},
};

static int parse_uint(struct argp_state *state, const char *name, const char *arg,
		      unsigned long long min, unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	if (!arg[0] || arg[0] == '-' || arg[0] == '+')
		goto bad;
	*out = strtoull(arg, &end, 10);
	if (errno || *end || *out < min || *out > max)
		goto bad;
	return 0;
bad:
	argp_error(state, "invalid %s '%s': expected a whole number from %llu to %llu", name, arg,
		   min, max);
	return EINVAL;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct config *cfg = state->input;
	unsigned long long v;

	switch (key) {
	case 'p':
		if (parse_uint(state, "pid", arg, 1, INT_MAX, &v))
			return EINVAL;
		cfg->pid = v;
		break;
	case 'c': {
		size_t len = strlen(arg);

		if (!len || len >= sizeof(cfg->comm)) {
			argp_error(state, "invalid comm '%.64s': 1 to 15 characters", arg);
			return EINVAL;
		}
		memcpy(cfg->comm, arg, len + 1);
		break;
	}
	case OPT_FORMAT:
		if (!strcmp(arg, "text"))
			cfg->format = FORMAT_TEXT;
		else if (!strcmp(arg, "json"))
			cfg->format = FORMAT_JSON;
		else {
			argp_error(state, "invalid format '%s': text or json", arg);
			return EINVAL;
		}
		break;
	case 'o':
		cfg->output = arg;
		break;
	case OPT_MAX_CAPTURE:
		if (parse_uint(state, "max-capture", arg, 0,
			       (unsigned long long)CHUNK_MAX * MAX_CHUNKS, &v))
			return EINVAL;
		cfg->max_capture = v;
		break;
	case OPT_RINGBUF_SIZE:
		if (parse_uint(state, "ringbuf-size", arg, 0, 1u << 30, &v))
			return EINVAL;
		if (v < 4096 || (v & (v - 1))) {
			argp_error(state, "invalid ringbuf-size '%s': a power of two >= 4096", arg);
			return EINVAL;
		}
		cfg->ringbuf_size = v;
		break;
	case OPT_STATS_INTERVAL:
		if (parse_uint(state, "stats-interval", arg, 0, 86400, &v))
			return EINVAL;
		cfg->stats_interval = v;
		break;
	case OPT_DURATION:
		if (parse_uint(state, "duration", arg, 0, 365 * 86400, &v))
			return EINVAL;
		cfg->duration = v;
		break;
	case OPT_READY_FILE:
		cfg->ready_file = arg;
		break;
	case OPT_COLOR:
		cfg->color = 1;
		break;
	case OPT_NO_COLOR:
		cfg->color = 0;
		break;
	case OPT_NO_REDACT:
		cfg->no_redact = 1;
		break;
	case OPT_PROBE_EXPORTED:
		cfg->probe_exported = 1;
		break;
	case 'i':
		if (!arg[0] || strlen(arg) >= 16 || strchr(arg, '/')) {
			argp_error(state, "invalid interface name '%.64s'", arg);
			return EINVAL;
		}
		if (cfg->nifaces == MAX_IFACES) {
			argp_error(state, "too many interfaces: at most %d", MAX_IFACES);
			return EINVAL;
		}
		cfg->ifaces[cfg->nifaces++] = arg;
		break;
	case OPT_TC:
		if (!strcmp(arg, "auto"))
			cfg->tc = TC_AUTO;
		else if (!strcmp(arg, "tcx"))
			cfg->tc = TC_TCX;
		else if (!strcmp(arg, "clsact"))
			cfg->tc = TC_CLSACT;
		else if (!strcmp(arg, "off"))
			cfg->tc = TC_OFF;
		else {
			argp_error(state, "invalid tc mode '%s': auto, tcx, clsact or off", arg);
			return EINVAL;
		}
		break;
	case OPT_READ:
		cfg->read = arg;
		break;
	case OPT_DATA:
		cfg->show_data = 1;
		break;
	case OPT_NO_DATA:
		cfg->no_data = 1;
		break;
	case OPT_BODY_PREVIEW:
		if (parse_uint(state, "body-preview", arg, 0, MAX_BODY_PREVIEW, &v))
			return EINVAL;
		cfg->body_preview = v;
		break;
	case OPT_PCAPNG:
		cfg->pcapng = arg;
		break;
	case OPT_METRICS: {
		struct sockaddr_storage ss;
		socklen_t len;

		if (metrics_parse_addr(arg, &ss, &len)) {
			argp_error(state,
				   "invalid metrics address '%.64s': expected ADDR:PORT, e.g. "
				   "127.0.0.1:9464, [::1]:9464 or :9464 (every address), port 1 to "
				   "65535",
				   arg);
			return EINVAL;
		}
		cfg->metrics = arg;
		break;
	}
	case OPT_LIST:
		cfg->list = 1;
		break;
	case 'v':
		cfg->verbose++;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		return EINVAL;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int cli_parse(int argc, char **argv, struct config *cfg, int *exit_now)
{
	static const struct argp argp = {options, parse_opt, NULL, doc, NULL, NULL, NULL};
	int err;

	memset(cfg, 0, sizeof(*cfg));
	cfg->max_capture = DEFAULT_MAX_CAPTURE;
	cfg->ringbuf_size = 8u << 20;
	cfg->color = -1;
	*exit_now = 0;
	/* argp exits with argp_err_exit_status (64 by default) on usage errors: we want 2. */
	argp_err_exit_status = 2;
	err = argp_parse(&argp, argc, argv, 0, NULL, cfg);
	if (!err && cfg->show_data && cfg->no_data) {
		fprintf(stderr, "%s: --data and --no-data exclude each other\n", argv[0]);
		err = EINVAL;
	}
	if (err) {
		*exit_now = 1;
		return 2;
	}
	return 0;
}

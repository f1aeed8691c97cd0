// SPDX-License-Identifier: MIT
/*
 * parse: single-thread throughput of the HTTP parsers on recorded plaintext streams
 * (bench/streams/, made by bench/mkstream.py), against a plain copy of the same bytes.
 *
 *   parse [-r ROUNDS] [-t SECONDS] STREAM...
 *
 * For each stream, three modes run on the same bytes, cut into the same chunks as the TLS
 * calls that carried them:
 *   copy     memcpy of each chunk into one buffer: the baseline
 *   parser   the protocol's parser alone, one per direction, callbacks that only count:
 *            HTTP/1 (h1_feed, requests and responses) or HTTP/2 (h2_feed, client and server)
 *   tracker  the pairing tracker (http_data() fed one struct data_record per chunk as the agent
 *            does, redaction on), its http records going to a counting callback
 * A pass feeds the whole stream as one fresh connection (parsers and connection set up and
 * torn down each pass). A measurement repeats passes for SECONDS of this thread's CPU time.
 * Each round measures every mode once, in an order that rotates from round to round; the
 * ratio parser / copy is taken per round (throughputs of the same round), then the median of
 * the rounds is printed.
 *
 * Prints, per round and mode: "round=R stream=NAME mode=M passes=N cpu_ns_per_pass=X
 * wall_ns_per_pass=Y"; then per stream and mode: "stream=NAME mode=M bytes=B records=K
 * mb_s=X records_s=Y ratio=Z" (medians; records: the http records one pass holds; ratio:
 * this mode's throughput / copy's). Exits 1 if a mode does not find exactly the http records
 * the tracker finds, or a parser reports an error: a benchmark of a parser that is failing
 * measures nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "proto/h2.h"
#include "proto/http1.h"

#define MAX_ROUNDS 99

enum mode { M_COPY, M_PARSER, M_TRACKER, M__MAX };
static const char *const mode_names[M__MAX] = {"copy", "parser", "tracker"};

struct chunk {
	const uint8_t *p;
	uint32_t len;
	uint8_t request; /* the request direction (a client's writes) */
};

struct stream {
	const char *name;
	int h2;
	uint8_t *bytes;
	struct chunk *c;
	size_t n, total, max_len;
	uint64_t records; /* http records in one pass (the tracker's count) */
	double cpu[MAX_ROUNDS][M__MAX], wall[MAX_ROUNDS][M__MAX];
};

static void die(const char *what)
{
	fprintf(stderr, "parse: %s\n", what);
	exit(1);
}

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- stream files: "> LEN\n" or "< LEN\n", LEN bytes, "\n"; "#" comment lines first ---- */

static void load(struct stream *s, const char *path)
{
	FILE *f = fopen(path, "rb");
	long size;
	size_t pos = 0;
	const char *base = strrchr(path, '/');
	char *dot;

	if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET))
		die(path);
	s->bytes = malloc(size + 1);
	if (!s->bytes || fread(s->bytes, 1, size, f) != (size_t)size)
		die(path);
	fclose(f);
	s->bytes[size] = 0;
	s->name = strdup(base ? base + 1 : path);
	if ((dot = strchr((char *)s->name, '.')))
		*dot = 0;
	while (pos < (size_t)size && s->bytes[pos] == '#') {
		const uint8_t *nl = memchr(s->bytes + pos, '\n', size - pos);

		if (!nl)
			die("stream: a comment without a newline");
		pos = nl - s->bytes + 1;
	}
	while (pos < (size_t)size) {
		char dir, *end;
		unsigned long len;
		struct chunk *c;

		dir = s->bytes[pos];
		if ((dir != '>' && dir != '<') || s->bytes[pos + 1] != ' ')
			die("stream: an entry does not start with \"> \" or \"< \"");
		errno = 0;
		len = strtoul((char *)s->bytes + pos + 2, &end, 10);
		if (errno || *end != '\n' || !len || len > (size_t)size)
			die("stream: a bad length");
		pos = (uint8_t *)end + 1 - s->bytes;
		if (pos + len + 1 > (size_t)size || s->bytes[pos + len] != '\n')
			die("stream: an entry is cut short");
		c = realloc(s->c, (s->n + 1) * sizeof(*c));
		if (!c)
			die("out of memory");
		s->c = c;
		s->c[s->n++] = (struct chunk){s->bytes + pos, len, dir == '>'};
		s->total += len;
		if (len > s->max_len)
			s->max_len = len;
		pos += len + 1;
	}
	if (!s->n)
		die("stream: no entries");
	s->h2 = s->c[0].request && s->c[0].len >= 24 && !memcmp(s->c[0].p, "PRI * HTTP/2.0", 14);
}

/* ---- the baseline ---- */

static uint8_t *copy_buf;

static uint64_t pass_copy(struct stream *s)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < s->n; i++) {
		memcpy(copy_buf, s->c[i].p, s->c[i].len);
		/* the copy must happen: the compiler may not drop or shorten it */
		__asm__ volatile("" : : "r"(copy_buf) : "memory");
		sum += copy_buf[s->c[i].len - 1];
	}
	return sum;
}

/* ---- the parsers alone ---- */

struct count {
	uint64_t fields, body, done;
	struct h1_parser *resp;
	struct h2_parser *other;
};

static void h1_on_header(void *ctx, struct h1_str name, struct h1_str value)
{
	struct count *k = ctx;

	k->fields += name.len + value.len;
}

static void h1_on_req_headers_done(void *ctx, const struct h1_head *head)
{
	struct count *k = ctx;

	h1_response_to(k->resp, head->req_kind);
}

static void h1_on_body(void *ctx, const uint8_t *data, size_t len)
{
	struct count *k = ctx;

	k->body += len;
}

static void h1_on_resp_done(void *ctx, uint64_t body_len)
{
	struct count *k = ctx;

	k->done++;
}

static const struct h1_callbacks h1_req_cb = {
	.on_header = h1_on_header,
	.on_headers_done = h1_on_req_headers_done,
	.on_body = h1_on_body,
};

static const struct h1_callbacks h1_resp_cb = {
	.on_header = h1_on_header,
	.on_body = h1_on_body,
	.on_message_done = h1_on_resp_done,
};

static uint64_t pass_h1(struct stream *s)
{
	struct h1_parser req, resp;
	struct count k = {.resp = &resp};

	if (h1_init(&req, H1_REQUEST, NULL) || h1_init(&resp, H1_RESPONSE, NULL))
		die("h1_init");
	for (size_t i = 0; i < s->n; i++) {
		if (s->c[i].request)
			h1_feed(&req, s->c[i].p, s->c[i].len, &h1_req_cb, &k);
		else
			h1_feed(&resp, s->c[i].p, s->c[i].len, &h1_resp_cb, &k);
	}
	for (int e = H1_C_ERR_START_LINE; e <= H1_C_ERR_GAP; e++)
		if (h1_counters(&req)[e] || h1_counters(&resp)[e])
			die("the HTTP/1 parser reported an error");
	h1_free(&req);
	h1_free(&resp);
	return k.done;
}

static void h2_on_headers(void *ctx, uint32_t id, const struct h2_header *h, size_t n,
			  unsigned int flags)
{
	struct count *k = ctx;

	for (size_t i = 0; i < n; i++)
		k->fields += h[i].name_len + h[i].value_len;
	if (flags & H2_HDR_END_STREAM)
		k->done++;
}

static void h2_on_data(void *ctx, uint32_t id, const uint8_t *data, size_t len, int end)
{
	struct count *k = ctx;

	k->body += len;
	k->done += !!end;
}

static void h2_on_settings(void *ctx, const struct h2_setting *set, size_t n, int ack)
{
	struct count *k = ctx;

	if (!ack)
		h2_peer_settings(k->other, set, n);
}

static const struct h2_callbacks h2_cb = {
	.on_headers = h2_on_headers,
	.on_data = h2_on_data,
	.on_settings = h2_on_settings,
};

static uint64_t pass_h2(struct stream *s)
{
	struct h2_parser p[2]; /* [request?] */
	struct count k[2] = {{.other = &p[1]}, {.other = &p[0]}};

	if (h2_init(&p[0], H2_SERVER, NULL) || h2_init(&p[1], H2_CLIENT, NULL))
		die("h2_init");
	for (size_t i = 0; i < s->n; i++) {
		int r = s->c[i].request;

		h2_feed(&p[r], s->c[i].p, s->c[i].len, &h2_cb, &k[r]);
	}
	for (int i = 0; i < 2; i++) {
		for (int e = H2_C_ERR_JOIN; e <= H2_C_ERR_NO_MEMORY; e++)
			if (h2_counters(&p[i])[e])
				die("the HTTP/2 parser reported an error");
		h2_free(&p[i]);
	}
	return k[0].done; /* responses ended */
}

/* ---- the tracker ---- */

static uint64_t emitted;

static void count_http(void *ctx, const struct http_record *r)
{
	emitted++;
}

static struct http_tracker *tracker;
static uint16_t next_port = 40000;

static uint64_t pass_tracker(struct stream *s)
{
	static const struct tls_facts tls = {.has_alpn = 1,
					     .have_server = 1,
					     .alpn_source = ALPN_WIRE,
					     .version = 0x0304,
					     .cipher = 0x1302,
					     .group = 0x001d};
	struct tls_facts facts = tls;
	struct conn_tuple conn = {.laddr = {127, 0, 0, 1},
				  .raddr = {127, 0, 0, 1},
				  .lport = next_port,
				  .rport = 443,
				  .family = AF_INET,
				  .role = ROLE_CLIENT};
	struct data_record d = {.pid = 1000,
				.tid = 1000,
				.comm = "curl",
				.netns = 4026531840u,
				.cgroup_id = 1,
				.fd = 5,
				.attribution = ATTR_SYSCALL,
				.conn = &conn,
				.lib = LIB_OPENSSL,
				.tls = &facts};
	uint64_t before = emitted;

	/* a new connection each pass (a port reused only after 20000 passes) */
	next_port = next_port >= 60000 ? 40000 : next_port + 1;
	strcpy(facts.alpn, s->h2 ? "h2" : "http/1.1");
	for (size_t i = 0; i < s->n; i++) {
		d.ts += 1000;
		d.dir = s->c[i].request ? DIR_EGRESS : DIR_INGRESS;
		d.len = d.captured = s->c[i].len;
		d.data = s->c[i].p;
		http_data(tracker, &d, d.ts);
	}
	http_flush(tracker); /* the connection ends */
	return emitted - before;
}

/* ---- measuring ---- */

static uint64_t run_pass(struct stream *s, enum mode m)
{
	switch (m) {
	case M_COPY:
		return pass_copy(s) * 0; /* the sum is only there to keep the copy */
	case M_PARSER:
		return s->h2 ? pass_h2(s) : pass_h1(s);
	default:
		return pass_tracker(s);
	}
}

static void measure(struct stream *s, enum mode m, int round, double secs)
{
	uint64_t c0, w0, c1, w1, passes = 0, limit = secs * 1e9;

	c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	w0 = clock_ns(CLOCK_MONOTONIC);
	do {
		uint64_t got = run_pass(s, m);

		if (m != M_COPY && got != s->records)
			die("a pass did not give the stream's http records");
		passes++;
		c1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	} while (c1 - c0 < limit);
	w1 = clock_ns(CLOCK_MONOTONIC);
	s->cpu[round][m] = (double)(c1 - c0) / passes;
	s->wall[round][m] = (double)(w1 - w0) / passes;
	printf("round=%d stream=%s mode=%s passes=%" PRIu64 " cpu_ns_per_pass=%.0f "
	       "wall_ns_per_pass=%.0f\n",
	       round, s->name, mode_names[m], passes, s->cpu[round][m], s->wall[round][m]);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	int rounds = 7, nstreams, c;
	double secs = 0.3;
	struct stream *streams;
	size_t max_len = 0;

	while ((c = getopt(argc, argv, "r:t:")) != -1) {
		switch (c) {
		case 'r':
			rounds = atoi(optarg);
			break;
		case 't':
			secs = strtod(optarg, NULL);
			break;
		default:
			goto usage;
		}
	}
	nstreams = argc - optind;
	if (rounds < 1 || rounds > MAX_ROUNDS || secs <= 0 || secs > 60 || nstreams < 1)
		goto usage;
	streams = calloc(nstreams, sizeof(*streams));
	tracker = http_new(1024, 1, 0, count_http, NULL);
	if (!streams || !tracker)
		die("out of memory");
	for (int i = 0; i < nstreams; i++) {
		struct stream *s = &streams[i];

		load(s, argv[optind + i]);
		if (s->max_len > max_len)
			max_len = s->max_len;
	}
	copy_buf = malloc(max_len);
	if (!copy_buf)
		die("out of memory");
	for (int i = 0; i < nstreams; i++) {
		struct stream *s = &streams[i];

		/* what one pass holds, by the tracker; the parser alone must agree */
		s->records = pass_tracker(s);
		if (!s->records || run_pass(s, M_PARSER) != s->records)
			die("the parser and the tracker disagree on the stream's http records");
		printf("stream=%s protocol=%s bytes=%zu calls=%zu records=%" PRIu64 "\n", s->name,
		       s->h2 ? "HTTP/2" : "HTTP/1", s->total, s->n, s->records);
	}
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < nstreams; i++)
			for (int j = 0; j < M__MAX; j++)
				measure(&streams[i], (r + j) % M__MAX, r, secs);
	for (int i = 0; i < nstreams; i++) {
		struct stream *s = &streams[i];

		for (int m = 0; m < M__MAX; m++) {
			double ns[MAX_ROUNDS], ratio[MAX_ROUNDS], med;

			for (int r = 0; r < rounds; r++) {
				ns[r] = s->cpu[r][m];
				ratio[r] = s->cpu[r][M_COPY] / s->cpu[r][m];
			}
			med = median(ns, rounds);
			printf("stream=%s mode=%s bytes=%zu records=%" PRIu64
			       " mb_s=%.1f records_s=%.0f ratio=%.4f\n",
			       s->name, mode_names[m], s->total, s->records, s->total / med * 1e3,
			       s->records / med * 1e9, median(ratio, rounds));
		}
	}
	http_free(tracker);
	return 0;
usage:
	fprintf(stderr, "usage: %s [-r ROUNDS] [-t SECONDS] STREAM...\n", argv[0]);
	return 2;
}

// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "http.h"
#include "sink/sink.h"
#include "wire/hsflow.h"

/* The families printed with no records and no agent counters, in order. */
static const char empty_http[] =
	"# HELP tlsscope_http_requests_total HTTP requests and their responses, as seen at "
	"either end of a traced connection.\n"
	"# TYPE tlsscope_http_requests_total counter\n"
	"# HELP tlsscope_http_request_duration_seconds From the return of the call that carried "
	"a request's first byte to the return of the call that completed its response.\n"
	"# TYPE tlsscope_http_request_duration_seconds histogram\n";
static const char overflow_zero[] =
	"# HELP tlsscope_http_label_overflow_total HTTP requests counted under the label value "
	"\"other\" because a label had too many distinct values (comm, server) or there were too "
	"many label sets (series: every label is \"other\").\n"
	"# TYPE tlsscope_http_label_overflow_total counter\n"
	"tlsscope_http_label_overflow_total{label=\"comm\"} 0\n"
	"tlsscope_http_label_overflow_total{label=\"server\"} 0\n"
	"tlsscope_http_label_overflow_total{label=\"series\"} 0\n";
static const char server_zero[] =
	"# HELP tlsscope_metrics_responses_total Responses of this metrics endpoint, by status "
	"code.\n"
	"# TYPE tlsscope_metrics_responses_total counter\n"
	"tlsscope_metrics_responses_total{code=\"200\"} 0\n"
	"tlsscope_metrics_responses_total{code=\"400\"} 0\n"
	"tlsscope_metrics_responses_total{code=\"404\"} 0\n"
	"tlsscope_metrics_responses_total{code=\"405\"} 0\n"
	"# HELP tlsscope_metrics_clients_dropped_total Clients of this metrics endpoint dropped "
	"unanswered, by cause.\n"
	"# TYPE tlsscope_metrics_clients_dropped_total counter\n"
	"tlsscope_metrics_clients_dropped_total{cause=\"too_many\"} 0\n"
	"tlsscope_metrics_clients_dropped_total{cause=\"timeout\"} 0\n"
	"tlsscope_metrics_clients_dropped_total{cause=\"no_memory\"} 0\n";

static struct conn_tuple client_conn(void)
{
	struct conn_tuple c = {
		.laddr = {127, 0, 0, 1},
		.raddr = {10, 0, 0, 2},
		.lport = 50000,
		.rport = 8443,
		.family = AF_INET,
		.role = ROLE_CLIENT,
	};

	return c;
}

static struct http_record req(const char *method, int status, uint64_t latency_ns, const char *comm,
			      const struct conn_tuple *conn)
{
	struct http_record h = {
		.ts = 1700000000000000000ull,
		.latency_ns = latency_ns,
		.pid = 42,
		.comm = comm,
		.conn = conn,
		.protocol = "HTTP/1.1",
		.method = method,
		.method_len = method ? strlen(method) : 0,
		.path = method ? "/secret?token=hunter2" : NULL,
		.path_len = method ? 21 : 0,
		.status = status,
	};

	return h;
}

static char *format(const struct metrics *m, const struct stats_record *st)
{
	struct buf b = {0};
	char *s;

	metrics_format(&b, m, st);
	CHECK(!b.oom);
	s = strndup(b.p ? b.p : "", b.len);
	buf_free(&b);
	return s;
}

static int has_line_(const char *text, const char *line, const char *file, int line_no)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	check_fail_head_(file, line_no, "HAS_LINE");
	fprintf(stderr, "    missing line: %s\n", line);
	return 0;
}

#define HAS_LINE(text, line) has_line_((text), (line), __FILE__, __LINE__)

static unsigned int count_prefix(const char *text, const char *prefix)
{
	unsigned int n = 0;

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		n += !strncmp(p, prefix, strlen(prefix));
	return n;
}

TEST(metrics_empty)
{
	struct metrics *m = metrics_new();
	char *out, *want;

	if (!CHECK(m))
		return;
	out = format(m, NULL);
	if (asprintf(&want, "%s%s%s", empty_http, overflow_zero, server_zero) > 0) {
		CHECK_STR_EQ(out, want);
		free(want);
	}
	free(out);
	metrics_free(m);
}

TEST(metrics_one_series_exact)
{
	struct metrics *m = metrics_new();
	struct conn_tuple c = client_conn();
	struct http_record h;
	char *out, *want;
	const char *l =
		"method=\"GET\",status_class=\"2xx\",comm=\"curl\",server=\"10.0.0.2:8443\"";

	if (!CHECK(m))
		return;
	h = req("GET", 200, 1500000, "curl", &c); /* 1.5 ms */
	metrics_add_http(m, &h);
	h = req("GET", 204, 1000000, "curl", &c); /* exactly on a bound: le="0.001" */
	metrics_add_http(m, &h);
	h = req("GET", 200, 12000000000ull, "curl", &c); /* 12 s: only +Inf */
	metrics_add_http(m, &h);
	out = format(m, NULL);
	if (asprintf(&want,
		     "%s"
		     "tlsscope_http_requests_total{%s} 3\n"
		     "%s"
		     "tlsscope_http_request_duration_seconds_bucket{%s,le=\"0.0001\"} 0\n"
		     "tlsscope_http_request_duration_seconds_bucket{%s,le=\"0.00025\"} 0\n"
		     "tlsscope_http_request_duration_seconds_bucket{%s,le=\"0.0005\"} 0\n"
		     "tlsscope_http_request_duration_seconds_bucket{%s,le=\"0.001\"} 1\n"
		     "tlsscope_http_request_duration_seconds_bucket{%s,le=\"0.0025\"} 2\n"
		     "tlsscope_http_request_duration_seconds_bucket{%s,le=\"0.005\"} 2\n"
		     "tlsscope_http_request_duration_seconds_bucket{%s,le=\"0.01\"} 2\n"
		     "tlsscope_http_request_duration_seconds_bucket{%s,le=\"0.025\"} 2\n"
		     "tlsscope_http_request_duration_seconds_bucket{%s,le=\"0.05\"} 2\n"
		     "tlsscope_http_request_duration_seconds_bucket{%s,le=\"0.1\"} 2\n"
		     "tlsscope_http_request_duration_seconds_bucket{%s,le=\"0.25\"} 2\n"
		     "tlsscope_http_request_duration_seconds_bucket{%s,le=\"0.5\"} 2\n"
		     "tlsscope_http_request_duration_seconds_bucket{%s,le=\"1\"} 2\n"
		     "tlsscope_http_request_duration_seconds_bucket{%s,le=\"2.5\"} 2\n"
		     "tlsscope_http_request_duration_seconds_bucket{%s,le=\"5\"} 2\n"
		     "tlsscope_http_request_duration_seconds_bucket{%s,le=\"10\"} 2\n"
		     "tlsscope_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} 3\n"
		     "tlsscope_http_request_duration_seconds_sum{%s} 12.002500000\n"
		     "tlsscope_http_request_duration_seconds_count{%s} 3\n"
		     "%s%s",
		     "# HELP tlsscope_http_requests_total HTTP requests and their responses, as "
		     "seen "
		     "at either end of a traced connection.\n"
		     "# TYPE tlsscope_http_requests_total counter\n",
		     l,
		     "# HELP tlsscope_http_request_duration_seconds From the return of the call "
		     "that "
		     "carried a request's first byte to the return of the call that completed its "
		     "response.\n"
		     "# TYPE tlsscope_http_request_duration_seconds histogram\n",
		     l, l, l, l, l, l, l, l, l, l, l, l, l, l, l, l, l, l, l, overflow_zero,
		     server_zero) > 0) {
		CHECK_STR_EQ(out, want);
		free(want);
	}
	/* nothing of the request but its method */
	CHECK(!strstr(out, "secret"));
	CHECK(!strstr(out, "hunter2"));
	free(out);
	metrics_free(m);
}

TEST(metrics_labels)
{
	struct metrics *m = metrics_new();
	struct conn_tuple c = client_conn(), srv = client_conn(), none = {0};
	struct tls_facts tls = {.has_sni = 1, .sni = "example.com"};
	struct http_record h;
	char *out;

	if (!CHECK(m))
		return;
	srv.role = ROLE_SERVER;
	h = req("FOO", 404, 0, "curl", &c); /* a method outside the set */
	metrics_add_http(m, &h);
	h = req(NULL, 0, 0, "curl", &c); /* a response without its request, and no status */
	metrics_add_http(m, &h);
	h = req("DELETE", 503, 0, "nginx", &srv); /* the server end: its local address */
	metrics_add_http(m, &h);
	h = req("PATCH", 301, 0, "nginx", &srv);
	h.tls = &tls; /* the SNI wins over the address */
	metrics_add_http(m, &h);
	h = req("OPTIONS", 700, 0, "x", &none);
	metrics_add_http(m, &h);
	h = req("PUT", 101, 0, "x", NULL);
	metrics_add_http(m, &h);
	out = format(m, NULL);
	HAS_LINE(out, "tlsscope_http_requests_total{method=\"OTHER\",status_class=\"4xx\","
		      "comm=\"curl\",server=\"10.0.0.2:8443\"} 1");
	HAS_LINE(out, "tlsscope_http_requests_total{method=\"unknown\",status_class=\"unknown\","
		      "comm=\"curl\",server=\"10.0.0.2:8443\"} 1");
	HAS_LINE(out, "tlsscope_http_requests_total{method=\"DELETE\",status_class=\"5xx\","
		      "comm=\"nginx\",server=\"127.0.0.1:50000\"} 1");
	HAS_LINE(out, "tlsscope_http_requests_total{method=\"PATCH\",status_class=\"3xx\","
		      "comm=\"nginx\",server=\"example.com\"} 1");
	HAS_LINE(out, "tlsscope_http_requests_total{method=\"OPTIONS\",status_class=\"unknown\","
		      "comm=\"x\",server=\"unknown\"} 1");
	HAS_LINE(out, "tlsscope_http_requests_total{method=\"PUT\",status_class=\"1xx\","
		      "comm=\"x\",server=\"unknown\"} 1");
	CHECK_EQ_U64(count_prefix(out, "tlsscope_http_requests_total{"), 6);
	CHECK_EQ_U64(count_prefix(out, "tlsscope_http_request_duration_seconds_bucket{"), 6 * 17);
	free(out);
	metrics_free(m);
}

TEST(metrics_escaping)
{
	struct metrics *m = metrics_new();
	struct conn_tuple c = client_conn();
	struct tls_facts tls = {.has_sni = 1, .sni = "a\"b\\c\nd\x01\xc3\xa9"};
	struct http_record h;
	char *out;

	if (!CHECK(m))
		return;
	h = req("GET", 200, 0, guard_copy("q\"u\\o\nte\xff", 10), &c);
	h.tls = &tls;
	metrics_add_http(m, &h);
	out = format(m, NULL);
	/* backslash, quote and newline escaped; other control and non-ASCII bytes are '?' */
	HAS_LINE(out, "tlsscope_http_requests_total{method=\"GET\",status_class=\"2xx\","
		      "comm=\"q\\\"u\\\\o\\nte?\",server=\"a\\\"b\\\\c\\nd???\"} 1");
	free(out);
	metrics_free(m);
}

TEST(metrics_comm_not_terminated)
{
	struct metrics *m = metrics_new();
	struct conn_tuple c = client_conn();
	struct http_record h;
	char *out;

	if (!CHECK(m))
		return;
	/* 16 bytes without a NUL at the guard page: read no further than TASK_COMM_LEN */
	h = req("GET", 200, 0, guard_copy("0123456789abcdef", 16), &c);
	metrics_add_http(m, &h);
	out = format(m, NULL);
	HAS_LINE(out, "tlsscope_http_requests_total{method=\"GET\",status_class=\"2xx\","
		      "comm=\"0123456789abcde\",server=\"10.0.0.2:8443\"} 1");
	free(out);
	metrics_free(m);
}

TEST(metrics_cardinality_cap)
{
	struct metrics *m = metrics_new();
	struct conn_tuple c = client_conn();
	struct http_record h;
	char comm[16], *out;

	if (!CHECK(m))
		return;
	/* 70 comms: 64 keep their name, 6 share "other" */
	for (int i = 0; i < 70; i++) {
		snprintf(comm, sizeof(comm), "p%d", i);
		h = req("GET", 200, 0, comm, &c);
		metrics_add_http(m, &h);
	}
	/* 70 servers (ports): the first 64 (of them, with the one above) keep their address */
	for (int i = 0; i < 70; i++) {
		c.rport = 1000 + i;
		h = req("GET", 200, 0, "p0", &c);
		metrics_add_http(m, &h);
	}
	out = format(m, NULL);
	HAS_LINE(out, "tlsscope_http_requests_total{method=\"GET\",status_class=\"2xx\","
		      "comm=\"other\",server=\"10.0.0.2:8443\"} 6");
	HAS_LINE(out, "tlsscope_http_requests_total{method=\"GET\",status_class=\"2xx\","
		      "comm=\"p0\",server=\"other\"} 7");
	HAS_LINE(out, "tlsscope_http_label_overflow_total{label=\"comm\"} 6");
	HAS_LINE(out, "tlsscope_http_label_overflow_total{label=\"server\"} 7");
	HAS_LINE(out, "tlsscope_http_label_overflow_total{label=\"series\"} 0");
	free(out);

	/*
	 * 129 label sets so far. 4 servers x 64 comms x 5 classes: 4 exist, 127 fill the
	 * table to 256, the other 1149 requests go to the one set of "other" values.
	 */
	for (int s = 0; s < 4; s++)
		for (int i = 0; i < 64; i++)
			for (int k = 1; k <= 5; k++) {
				snprintf(comm, sizeof(comm), "p%d", i);
				c.rport = 1000 + s;
				h = req("GET", k * 100, 0, comm, &c);
				metrics_add_http(m, &h);
			}
	out = format(m, NULL);
	CHECK_EQ_U64(count_prefix(out, "tlsscope_http_requests_total{"), 257);
	CHECK_EQ_U64(count_prefix(out, "tlsscope_http_request_duration_seconds_count{"), 257);
	HAS_LINE(out, "tlsscope_http_requests_total{method=\"other\",status_class=\"other\","
		      "comm=\"other\",server=\"other\"} 1149");
	HAS_LINE(out, "tlsscope_http_label_overflow_total{label=\"series\"} 1149");
	free(out);
	metrics_free(m);
}

TEST(metrics_agent_counters)
{
	struct metrics *m = metrics_new();
	uint64_t wire[HSF__MAX] = {[HSF_ERR_NOT_TLS] = 4},
		 http[HTTP_C__MAX] = {[HTTP_C_RECORDS] = 9};
	struct stats_record st = {
		.counters = {[CNT_EVENTS] = 11,
			     [CNT_BYTES] = 1234,
			     [CNT_INTEGRITY] = 2,
			     [CNT_LOST_RINGBUF] = 3,
			     [CNT_LOST_BYTES] = 77,
			     [CNT_TRUNCATED_BYTES] = 88,
			     [CNT_LOST_WIRE] = 5},
		.lost_incomplete = 6,
		.lost_decode = 7,
		.lost_sink = 8,
		.probes_attached = 12,
		.probes_failed = 1,
		.wire = wire,
		.http = http,
		.handshakes = 21,
		.ifaces = 2,
	};
	char *out;

	if (!CHECK(m))
		return;
	out = format(m, &st);
	HAS_LINE(out, "# TYPE tlsscope_events_total counter");
	HAS_LINE(out, "tlsscope_events_total 11");
	HAS_LINE(out, "tlsscope_bytes_total 1234");
	HAS_LINE(out, "tlsscope_calls_total 0");
	HAS_LINE(out, "tlsscope_integrity_violations_total 2");
	HAS_LINE(out, "tlsscope_lost_bytes_total 77");
	HAS_LINE(out, "tlsscope_capture_truncated_bytes_total 88");
	HAS_LINE(out, "# TYPE tlsscope_lost_events_total counter");
	HAS_LINE(out, "tlsscope_lost_events_total{cause=\"ringbuf_full\"} 3");
	HAS_LINE(out, "tlsscope_lost_events_total{cause=\"ringbuf_full_wire\"} 5");
	HAS_LINE(out, "tlsscope_lost_events_total{cause=\"incomplete\"} 6");
	HAS_LINE(out, "tlsscope_lost_events_total{cause=\"decode\"} 7");
	HAS_LINE(out, "tlsscope_lost_events_total{cause=\"sink\"} 8");
	HAS_LINE(out, "tlsscope_probes_attached_total 12");
	HAS_LINE(out, "tlsscope_probes_failed_total 1");
	HAS_LINE(out, "tlsscope_handshakes_total 21");
	HAS_LINE(out, "tlsscope_interfaces 2");
	HAS_LINE(out, "tlsscope_handshake_tracker_events_total{event=\"err_not_tls\"} 4");
	HAS_LINE(out, "tlsscope_http_tracker_events_total{event=\"records\"} 9");
	/* every counter of the stats record, once: loss counters as causes, the rest by name */
	for (int c = 0; c < CNT__MAX; c++) {
		char line[128];

		if (!counter_is_loss(c))
			snprintf(line, sizeof(line), "tlsscope_%s_total ", counter_name(c));
		else if (!strstr(counter_name(c), "bytes"))
			snprintf(line, sizeof(line), "tlsscope_lost_events_total{cause=\"%s\"} ",
				 counter_name(c));
		else
			continue;
		CHECK_EQ_U64(count_prefix(out, line), 1);
	}
	/* no "# HELP" without its "# TYPE" */
	CHECK_EQ_U64(count_prefix(out, "# HELP "), count_prefix(out, "# TYPE "));
	free(out);

	st.wire = NULL;
	st.http = NULL;
	out = format(m, &st);
	CHECK(!strstr(out, "tlsscope_handshakes_total"));
	CHECK(!strstr(out, "tlsscope_http_tracker_events_total"));
	free(out);
	metrics_free(m);
}

TEST(metrics_addr)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	static const char *const bad[] = {"",
					  "9464",
					  "127.0.0.1",
					  "127.0.0.1:",
					  "127.0.0.1:0",
					  "1.2.3.4:65536",
					  "1.2.3.4:-1",
					  "1.2.3.4:94x",
					  "::1:9464",
					  "[::1]9464",
					  "[::1:9464",
					  "host:9464",
					  "1.2.3.4: 9464",
					  "[1.2.3.4]:1",
					  "[]:1"};

	CHECK_EQ_U64(metrics_parse_addr("127.0.0.1:9464", &ss, &len), 0);
	CHECK_EQ_U64(a4->sin_family, AF_INET);
	CHECK_EQ_U64(ntohs(a4->sin_port), 9464);
	CHECK_EQ_U64(ntohl(a4->sin_addr.s_addr), 0x7f000001);
	CHECK_EQ_U64(len, sizeof(*a4));
	CHECK_EQ_U64(metrics_parse_addr("[::1]:65535", &ss, &len), 0);
	CHECK_EQ_U64(a6->sin6_family, AF_INET6);
	CHECK_EQ_U64(ntohs(a6->sin6_port), 65535);
	CHECK(!memcmp(&a6->sin6_addr, &in6addr_loopback, 16));
	CHECK_EQ_U64(len, sizeof(*a6));
	CHECK_EQ_U64(metrics_parse_addr(":1", &ss, &len), 0);
	CHECK_EQ_U64(a6->sin6_family, AF_INET6);
	CHECK_EQ_U64(ntohs(a6->sin6_port), 1);
	CHECK(!memcmp(&a6->sin6_addr, &in6addr_any, 16));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!CHECK_EQ_U64(metrics_parse_addr(bad[i], &ss, &len), -EINVAL))
			fprintf(stderr, "    address: '%s'\n", bad[i]);
	CHECK_EQ_U64(metrics_parse_addr(NULL, &ss, &len), -EINVAL);
}

/* ---- the sink's server, on loopback ---- */

static void snapshot(void *ctx, struct stats_record *st)
{
	st->counters[CNT_EVENTS] = *(uint64_t *)ctx;
}

/* A port free right now on 127.0.0.1. */
static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, len) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int connect_to(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Sends req on fd and collects the whole response into b, calling ready() whenever the
 * sink's descriptor polls readable, as the agent's loop does. Returns 0 at the peer's EOF.
 */
static int exchange(void *sink, int fd, const char *req, struct buf *b)
{
	struct pollfd p[2] = {{.fd = metrics_sink_ops.fd(sink), .events = POLLIN},
			      {.fd = fd, .events = POLLIN}};

	if (req && send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
		return -1;
	for (int i = 0; i < 1000; i++) {
		if (poll(p, 2, 10) < 0)
			return -1;
		if (p[0].revents & POLLIN)
			metrics_sink_ops.ready(sink);
		if (p[1].revents & (POLLIN | POLLHUP)) {
			char tmp[4096];
			ssize_t n = recv(fd, tmp, sizeof(tmp), MSG_DONTWAIT);

			if (n == 0)
				return 0;
			if (n > 0)
				buf_put(b, tmp, n);
		}
	}
	return -1;
}

/* Runs the sink's side for ms milliseconds. */
static void pump(void *sink, int ms)
{
	struct pollfd p = {.fd = metrics_sink_ops.fd(sink), .events = POLLIN};

	for (int i = 0; i < ms; i++)
		if (poll(&p, 1, 1) > 0)
			metrics_sink_ops.ready(sink);
}

/* open() with stderr muted: its error message is expected. */
static void *open_quiet(const struct sink_opts *o)
{
	int saved = dup(2), null = open("/dev/null", O_WRONLY);
	void *s;
	int err;

	dup2(null, 2);
	s = metrics_sink_ops.open(o);
	err = errno;
	dup2(saved, 2);
	close(saved);
	close(null);
	errno = err;
	return s;
}

TEST(metrics_sink_serves)
{
	uint64_t events = 31;
	int port = free_port(), fd, clients[10];
	char addr[32];
	struct sink_opts o = {.addr = addr, .snapshot = snapshot, .ctx = &events};
	struct conn_tuple c = client_conn();
	struct http_record h = req("GET", 200, 0, "curl", &c);
	struct record r = {.type = REC_HTTP, .http = &h};
	struct buf b = {0};
	void *s;

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	s = metrics_sink_ops.open(&o);
	if (!CHECK(s))
		return;
	CHECK_EQ_U64(metrics_sink_ops.write(s, &r), 0);

	fd = connect_to(port);
	CHECK_EQ_U64(exchange(s, fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &b), 0);
	buf_putc(&b, 0);
	CHECK(!strncmp(b.p, "HTTP/1.1 200 OK\r\n", 17));
	CHECK(strstr(b.p, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	CHECK(strstr(b.p, "\ntlsscope_events_total 31\n"));
	CHECK(strstr(b.p, "\ntlsscope_http_requests_total{method=\"GET\",status_class=\"2xx\","
			  "comm=\"curl\",server=\"10.0.0.2:8443\"} 1\n"));
	CHECK(strstr(b.p, "\ntlsscope_metrics_responses_total{code=\"200\"} 1\n"));
	close(fd);

	buf_reset(&b);
	fd = connect_to(port);
	CHECK_EQ_U64(exchange(s, fd, "GET /other HTTP/1.1\r\n\r\n", &b), 0);
	buf_putc(&b, 0);
	CHECK(!strncmp(b.p, "HTTP/1.1 404 Not Found\r\n", 24));
	close(fd);

	buf_reset(&b);
	fd = connect_to(port);
	CHECK_EQ_U64(exchange(s, fd, "POST /metrics HTTP/1.1\r\n\r\n", &b), 0);
	buf_putc(&b, 0);
	CHECK(!strncmp(b.p, "HTTP/1.1 405 Method Not Allowed\r\n", 33));
	close(fd);

	buf_reset(&b);
	fd = connect_to(port);
	CHECK_EQ_U64(exchange(s, fd, "nonsense\r\n\r\n", &b), 0);
	buf_putc(&b, 0);
	CHECK(!strncmp(b.p, "HTTP/1.1 400 Bad Request\r\n", 26));
	close(fd);

	/* 10 silent clients: 8 are kept (until their deadline), 2 dropped at once */
	for (int i = 0; i < 10; i++)
		clients[i] = connect_to(port);
	buf_reset(&b);
	CHECK_EQ_U64(exchange(s, clients[9], NULL, &b), 0);
	CHECK_EQ_U64(b.len, 0);
	buf_reset(&b);
	fd = connect_to(port); /* all slots held: this one is refused too */
	CHECK_EQ_U64(exchange(s, fd, "GET /metrics HTTP/1.1\r\n\r\n", &b), 0);
	CHECK_EQ_U64(b.len, 0);
	close(fd);
	for (int i = 0; i < 10; i++)
		close(clients[i]);
	pump(s, 100);
	/* their ends are seen; a scrape works again and counts the three refused */
	buf_reset(&b);
	fd = connect_to(port);
	CHECK_EQ_U64(exchange(s, fd, "GET /metrics HTTP/1.0\r\n\r\n", &b), 0);
	buf_putc(&b, 0);
	CHECK(strstr(b.p, "\ntlsscope_metrics_clients_dropped_total{cause=\"too_many\"} 3\n"));
	CHECK(strstr(b.p, "\ntlsscope_metrics_responses_total{code=\"404\"} 1\n"));
	close(fd);

	buf_free(&b);
	metrics_sink_ops.close(s);
}

TEST(metrics_sink_bad_address)
{
	struct sink_opts o = {.addr = "localhost:9464"};
	int port = free_port(), fd;
	char addr[32];
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	errno = 0;
	CHECK(!open_quiet(&o));
	CHECK_EQ_U64(errno, EINVAL);
	/* the port taken: the error is bind's */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (!CHECK(!bind(fd, (struct sockaddr *)&a, sizeof(a)) && !listen(fd, 1)))
		return;
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	o.addr = addr;
	errno = 0;
	CHECK(!open_quiet(&o));
	CHECK_EQ_U64(errno, EADDRINUSE);
	close(fd);
}

static int connect6_to(int port)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin6_addr = in6addr_loopback;
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One scrape on fd: 1 if it was answered 200. */
static int scraped(void *s, int fd)
{
	struct buf b = {0};
	int ok = fd >= 0 && !exchange(s, fd, "GET /metrics HTTP/1.1\r\n\r\n", &b) && b.len > 17 &&
		 !memcmp(b.p, "HTTP/1.1 200 OK\r\n", 17);

	if (fd >= 0)
		close(fd);
	buf_free(&b);
	return ok;
}

TEST(metrics_sink_families)
{
	char addr[32];
	struct sink_opts o = {.addr = addr};
	int port = free_port();
	void *s;

	/* ":PORT": every address, IPv4 and IPv6 alike */
	snprintf(addr, sizeof(addr), ":%d", port);
	s = metrics_sink_ops.open(&o);
	if (!CHECK(s))
		return;
	CHECK(scraped(s, connect_to(port)));
	CHECK(scraped(s, connect6_to(port)));
	metrics_sink_ops.close(s);

	snprintf(addr, sizeof(addr), "[::1]:%d", port);
	s = open_quiet(&o);
	if (!s && (errno == EADDRNOTAVAIL || errno == EAFNOSUPPORT))
		return; /* no IPv6 loopback here */
	if (!CHECK(s))
		return;
	CHECK(scraped(s, connect6_to(port)));
	CHECK(connect_to(port) < 0); /* not on IPv4 */
	metrics_sink_ops.close(s);
}

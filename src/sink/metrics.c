// SPDX-License-Identifier: MIT
/*
 * --metrics ADDR:PORT: http records aggregated into Prometheus counters and a latency
 * histogram, and the agent's own counters, served in the text exposition format (0.0.4) by a
 * small non-blocking HTTP server of the sink's own.
 *
 * The agent watches one descriptor per sink; ours is an epoll instance that holds the
 * listener, the clients and a timer, so ready() never waits for anything. Every client has a
 * deadline: one that neither sends its request nor reads its response in time is dropped and
 * counted. Labels carry only a method from a fixed set, a status class, the process name and
 * the server's name or address: never a path, a header or a body.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "sink/sink.h"
#include "util/addr.h"
#include "util/log.h"
#include "wire/hsflow.h"

#define MAX_COMMS   64	/* distinct comm label values; more become "other" */
#define MAX_SERVERS 64	/* distinct server label values; more become "other" */
#define MAX_SERIES  256 /* label sets; more are counted in one set of "other" values */
#define LABEL_OTHER (-1)
#define SERVER_LEN  (HELLO_SNI_LEN + 1 > ENDPOINT_STRLEN ? HELLO_SNI_LEN + 1 : ENDPOINT_STRLEN)

#define MAX_CLIENTS	  8
#define REQ_MAX		  4096		      /* request head; longer ones get a 400 */
#define CLIENT_TIMEOUT_NS (5 * 1000000000ull) /* from accept to the response's last byte */
#define SWEEP_NS	  250000000	      /* how often deadlines are checked */
#define LISTEN_BACKLOG	  16

static const char *const method_names[] = {"GET",     "HEAD",	 "POST",  "PUT",  "DELETE",
					   "CONNECT", "OPTIONS", "TRACE", "PATCH"};
#define N_METHODS  (sizeof(method_names) / sizeof(method_names[0]))
#define M_OTHER	   N_METHODS	   /* a method outside the set */
#define M_UNKNOWN  (N_METHODS + 1) /* the request was not seen */
#define M_OVERFLOW (N_METHODS + 2) /* the series table is full */

/* 1xx..5xx by index 1..5; 0 unknown (no status, or outside 100..599); 6 overflow. */
static const char *const class_names[] = {"unknown", "1xx", "2xx", "3xx", "4xx", "5xx", "other"};
#define C_OVERFLOW 6

/* Upper bounds, 100 us to 10 s: requests timed inside the processes, loopback ones included. */
static const uint64_t bucket_ns[] = {
	100000,	  250000,    500000,	1000000,   2500000,    5000000,	   10000000,   25000000,
	50000000, 100000000, 250000000, 500000000, 1000000000, 2500000000, 5000000000, 10000000000};
static const char *const bucket_le[] = {"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005",
					"0.01",	  "0.025",   "0.05",   "0.1",	"0.25",	  "0.5",
					"1",	  "2.5",     "5",      "10"};
#define N_BUCKETS (sizeof(bucket_ns) / sizeof(bucket_ns[0]))
_Static_assert(N_BUCKETS == sizeof(bucket_le) / sizeof(bucket_le[0]), "one le per bucket");

struct series {
	uint8_t method, class;
	int16_t comm, server; /* index into their label table, or LABEL_OTHER */
	uint64_t count, sum_ns;
	uint64_t bucket[N_BUCKETS]; /* observations in each bucket (not cumulative) */
};

enum overflow { OV_COMM, OV_SERVER, OV_SERIES, OV__MAX };
static const char *const overflow_names[OV__MAX] = {"comm", "server", "series"};

enum drop { DROP_TOO_MANY, DROP_TIMEOUT, DROP_NO_MEMORY, DROP__MAX };
static const char *const drop_names[DROP__MAX] = {"too_many", "timeout", "no_memory"};

enum resp_code { R_200, R_400, R_404, R_405, R__MAX };
static const char *const code_names[R__MAX] = {"200", "400", "404", "405"};

struct metrics {
	char comms[MAX_COMMS][TASK_COMM_LEN];
	char servers[MAX_SERVERS][SERVER_LEN];
	unsigned int ncomms, nservers, nseries;
	struct series series[MAX_SERIES + 1]; /* the last one: the overflow set */
	uint64_t overflow[OV__MAX];
	uint64_t responses[R__MAX];
	uint64_t dropped[DROP__MAX];
};

struct metrics *metrics_new(void)
{
	return calloc(1, sizeof(struct metrics));
}

void metrics_free(struct metrics *m)
{
	free(m);
}

/*
 * A label value as kept: bytes outside printable ASCII become '?' (label values must be
 * UTF-8); backslash, quote and newline stay and are escaped on output.
 */
static void label_copy(char *dst, size_t cap, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i + 1 < cap && s[i]; i++) {
		unsigned char c = s[i];

		dst[i] = (c >= 0x20 && c < 0x7f) || c == '\n' ? c : '?';
	}
	dst[i] = 0;
}

/* The index of v in the table, added if there is room; LABEL_OTHER when full. */
static int intern(char *table, size_t width, unsigned int *n, unsigned int max, const char *v)
{
	for (unsigned int i = 0; i < *n; i++)
		if (!strcmp(table + i * width, v))
			return i;
	if (*n == max)
		return LABEL_OTHER;
	strcpy(table + *n * width, v);
	return (*n)++;
}

static unsigned int method_index(const char *p, uint32_t len)
{
	if (!p)
		return M_UNKNOWN;
	for (unsigned int i = 0; i < N_METHODS; i++)
		if (strlen(method_names[i]) == len && !memcmp(method_names[i], p, len))
			return i;
	return M_OTHER;
}

static unsigned int class_index(int status)
{
	return status >= 100 && status < 600 ? status / 100 : 0;
}

/* The server's name: the SNI the client asked for, else the server end's address. */
static void server_name(char *out, const struct http_record *h)
{
	const struct conn_tuple *c = h->conn;
	char ep[ENDPOINT_STRLEN];

	if (h->tls && h->tls->has_sni && h->tls->sni[0]) {
		label_copy(out, SERVER_LEN, h->tls->sni, strnlen(h->tls->sni, HELLO_SNI_LEN));
	} else if (c && c->family) {
		if (c->role == ROLE_SERVER)
			endpoint_format(ep, c->family, c->laddr, c->lport);
		else
			endpoint_format(ep, c->family, c->raddr, c->rport);
		label_copy(out, SERVER_LEN, ep, strlen(ep));
	} else {
		strcpy(out, "unknown");
	}
}

static struct series *series_get(struct metrics *m, unsigned int method, unsigned int class,
				 int comm, int server)
{
	struct series *s;

	for (unsigned int i = 0; i < m->nseries; i++) {
		s = &m->series[i];
		if (s->method == method && s->class == class && s->comm == comm &&
		    s->server == server)
			return s;
	}
	if (m->nseries == MAX_SERIES) {
		m->overflow[OV_SERIES]++;
		s = &m->series[MAX_SERIES];
		s->method = M_OVERFLOW;
		s->class = C_OVERFLOW;
		s->comm = s->server = LABEL_OTHER;
		return s;
	}
	s = &m->series[m->nseries++];
	s->method = method;
	s->class = class;
	s->comm = comm;
	s->server = server;
	return s;
}

void metrics_add_http(struct metrics *m, const struct http_record *h)
{
	char comm[TASK_COMM_LEN], server[SERVER_LEN];
	struct series *s;
	unsigned int b;
	int ci, si;

	label_copy(comm, sizeof(comm), h->comm ? h->comm : "", TASK_COMM_LEN);
	server_name(server, h);
	ci = intern(&m->comms[0][0], TASK_COMM_LEN, &m->ncomms, MAX_COMMS, comm);
	si = intern(&m->servers[0][0], SERVER_LEN, &m->nservers, MAX_SERVERS, server);
	if (ci == LABEL_OTHER)
		m->overflow[OV_COMM]++;
	if (si == LABEL_OTHER)
		m->overflow[OV_SERVER]++;
	s = series_get(m, method_index(h->method, h->method_len), class_index(h->status), ci, si);
	s->count++;
	s->sum_ns += h->latency_ns;
	for (b = 0; b < N_BUCKETS && h->latency_ns > bucket_ns[b]; b++)
		;
	if (b < N_BUCKETS)
		s->bucket[b]++;
}

/* ---- exposition ---- */

static void put_label_value(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			buf_puts(b, "\\\\");
		else if (*s == '"')
			buf_puts(b, "\\\"");
		else if (*s == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *s);
	}
}

static void put_family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* `name{label="value"} v` (no labels when label is NULL) */
static void put_sample(struct buf *b, const char *name, const char *label, const char *value,
		       uint64_t v)
{
	buf_puts(b, name);
	if (label) {
		buf_printf(b, "{%s=\"", label);
		put_label_value(b, value);
		buf_puts(b, "\"}");
	}
	buf_putc(b, ' ');
	buf_put_uint(b, v);
	buf_putc(b, '\n');
}

static void put_counter(struct buf *b, const char *name, const char *help, uint64_t v)
{
	put_family(b, name, "counter", help);
	put_sample(b, name, NULL, NULL, v);
}

static const char *method_label(unsigned int i)
{
	return i < N_METHODS	? method_names[i]
	       : i == M_OTHER	? "OTHER"
	       : i == M_UNKNOWN ? "unknown"
				: "other";
}

/* {method="GET",status_class="2xx",comm="curl",server="example.com" (no closing brace) */
static void put_series_labels(struct buf *b, const struct metrics *m, const struct series *s)
{
	buf_puts(b, "{method=\"");
	buf_puts(b, method_label(s->method));
	buf_puts(b, "\",status_class=\"");
	buf_puts(b, class_names[s->class]);
	buf_puts(b, "\",comm=\"");
	put_label_value(b, s->comm == LABEL_OTHER ? "other" : m->comms[s->comm]);
	buf_puts(b, "\",server=\"");
	put_label_value(b, s->server == LABEL_OTHER ? "other" : m->servers[s->server]);
	buf_putc(b, '"');
}

static void put_seconds(struct buf *b, uint64_t ns)
{
	char frac[10];

	buf_put_uint(b, ns / 1000000000);
	snprintf(frac, sizeof(frac), "%09llu", (unsigned long long)(ns % 1000000000));
	buf_putc(b, '.');
	buf_puts(b, frac);
}

static void format_http(struct buf *b, const struct metrics *m)
{
	static const char req[] = "tlsscope_http_requests_total";
	static const char dur[] = "tlsscope_http_request_duration_seconds";
	unsigned int n = m->nseries + (m->overflow[OV_SERIES] ? 1 : 0);

	put_family(b, req, "counter",
		   "HTTP requests and their responses, as seen at either end of a traced "
		   "connection.");
	for (unsigned int i = 0; i < n; i++) {
		buf_puts(b, req);
		put_series_labels(b, m, &m->series[i]);
		buf_puts(b, "} ");
		buf_put_uint(b, m->series[i].count);
		buf_putc(b, '\n');
	}
	put_family(b, dur, "histogram",
		   "From the return of the call that carried a request's first byte to the return "
		   "of the call that completed its response.");
	for (unsigned int i = 0; i < n; i++) {
		const struct series *s = &m->series[i];
		uint64_t cum = 0;

		for (unsigned int k = 0; k <= N_BUCKETS; k++) {
			cum += k < N_BUCKETS ? s->bucket[k] : 0;
			buf_printf(b, "%s_bucket", dur);
			put_series_labels(b, m, s);
			buf_printf(b, ",le=\"%s\"} ", k < N_BUCKETS ? bucket_le[k] : "+Inf");
			buf_put_uint(b, k < N_BUCKETS ? cum : s->count);
			buf_putc(b, '\n');
		}
		buf_printf(b, "%s_sum", dur);
		put_series_labels(b, m, s);
		buf_puts(b, "} ");
		put_seconds(b, s->sum_ns);
		buf_printf(b, "\n%s_count", dur);
		put_series_labels(b, m, s);
		buf_puts(b, "} ");
		buf_put_uint(b, s->count);
		buf_putc(b, '\n');
	}
	put_family(b, "tlsscope_http_label_overflow_total", "counter",
		   "HTTP requests counted under the label value \"other\" because a label had "
		   "too many distinct values (comm, server) or there were too many label sets "
		   "(series: every label is \"other\").");
	for (int i = 0; i < OV__MAX; i++)
		put_sample(b, "tlsscope_http_label_overflow_total", "label", overflow_names[i],
			   m->overflow[i]);
}

static const char *const counter_help[CNT__MAX] = {
	[CNT_CALLS] = "TLS library calls that returned.",
	[CNT_CALLS_FAILED] = "TLS library calls that returned no data.",
	[CNT_EVENTS] = "Data records submitted by the probes.",
	[CNT_BYTES] = "Plaintext bytes submitted by the probes.",
	[CNT_INTEGRITY] = "TLS calls whose system calls touched more than one descriptor "
			  "(integrity violations).",
	[CNT_UNATTRIBUTED] = "Data records with no connection.",
	[CNT_NESTED] = "TLS calls that began while another was in flight on the thread.",
	[CNT_WIRE_EVENTS] = "Hello slices handed over by the traffic classifier.",
	[CNT_WIRE_FLOWS] = "Hello starts the traffic classifier recognised.",
	[CNT_LOST_BYTES] = "Captured plaintext bytes that never reached the agent.",
	[CNT_TRUNCATED_BYTES] = "Plaintext bytes not captured because of --max-capture.",
};

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

static void format_agent(struct buf *b, const struct stats_record *st)
{
	static const char lost[] = "tlsscope_lost_events_total";
	char name[96];

	/* Counters of the stats record, by the names of its JSON form. */
	for (int c = 0; c < CNT__MAX; c++) {
		const char *cn = counter_name(c);

		if (counter_is_loss(c) && !ends_with(cn, "bytes"))
			continue; /* events lost: one family, below */
		if (!strcmp(cn, "bytes") && counter_is_loss(c))
			snprintf(name, sizeof(name), "tlsscope_lost_bytes_total");
		else
			snprintf(name, sizeof(name), "tlsscope_%s_total", cn);
		put_counter(b, name, counter_help[c] ? counter_help[c] : "An agent counter.",
			    st->counters[c]);
	}
	put_family(b, lost, "counter",
		   "Records lost or cut on their way to the output, by cause (the stats "
		   "record's lost object).");
	for (int c = 0; c < CNT__MAX; c++)
		if (counter_is_loss(c) && !ends_with(counter_name(c), "bytes"))
			put_sample(b, lost, "cause", counter_name(c), st->counters[c]);
	put_sample(b, lost, "cause", "incomplete", st->lost_incomplete);
	put_sample(b, lost, "cause", "decode", st->lost_decode);
	put_sample(b, lost, "cause", "sink", st->lost_sink);

	put_counter(b, "tlsscope_probes_attached_total", "Uprobes attached.", st->probes_attached);
	put_counter(b, "tlsscope_probes_failed_total", "Uprobes that failed to attach.",
		    st->probes_failed);
	{
		unsigned int files[2] = {0, 0};

		put_family(b, "tlsscope_tls_processes", "gauge",
			   "Processes running TLS code, by whether all of it is traced "
			   "(tlsscope --list says why not).");
		put_sample(b, "tlsscope_tls_processes", "traced", "true",
			   st->procs_tls - st->procs_untraced);
		put_sample(b, "tlsscope_tls_processes", "traced", "false", st->procs_untraced);
		for (unsigned int i = 0; i < st->nlibs; i++)
			if (st->libs[i].linkage) /* not a loader */
				files[!st->libs[i].reason]++;
		put_family(
			b, "tlsscope_tls_files", "gauge",
			"Files holding TLS code (libraries and executables), by whether they are "
			"traced.");
		put_sample(b, "tlsscope_tls_files", "traced", "true", files[1]);
		put_sample(b, "tlsscope_tls_files", "traced", "false", files[0]);
	}
	if (st->wire) {
		put_counter(b, "tlsscope_handshakes_total", "TLS handshake records.",
			    st->handshakes);
		put_counter(b, "tlsscope_handshake_joins_ambiguous_total",
			    "Handshakes that matched more than one connection.", st->hs_ambiguous);
		put_counter(b, "tlsscope_handshake_joins_evicted_total",
			    "Handshakes forgotten before their connection was seen.",
			    st->hs_evicted);
		put_family(b, "tlsscope_interfaces", "gauge",
			   "Network interfaces the handshake classifier is attached to.");
		put_sample(b, "tlsscope_interfaces", NULL, NULL, st->ifaces);
		put_family(b, "tlsscope_interfaces_failed", "gauge",
			   "Network interfaces the handshake classifier could not attach to.");
		put_sample(b, "tlsscope_interfaces_failed", NULL, NULL, st->ifaces_failed);
		put_family(b, "tlsscope_handshake_tracker_events_total", "counter",
			   "Hello reassembly events, by kind (the stats record's handshakes "
			   "object).");
		for (int c = 0; c < HSF__MAX; c++)
			put_sample(b, "tlsscope_handshake_tracker_events_total", "event",
				   hsf_counter_name(c), st->wire[c]);
	}
	if (st->http) {
		put_family(b, "tlsscope_http_tracker_events_total", "counter",
			   "HTTP tracker events, by kind (the stats record's http object).");
		for (int c = 0; c < HTTP_C__MAX; c++)
			put_sample(b, "tlsscope_http_tracker_events_total", "event",
				   http_counter_name(c), st->http[c]);
	}
}

static void format_server(struct buf *b, const struct metrics *m)
{
	put_family(b, "tlsscope_metrics_responses_total", "counter",
		   "Responses of this metrics endpoint, by status code.");
	for (int i = 0; i < R__MAX; i++)
		put_sample(b, "tlsscope_metrics_responses_total", "code", code_names[i],
			   m->responses[i]);
	put_family(b, "tlsscope_metrics_clients_dropped_total", "counter",
		   "Clients of this metrics endpoint dropped unanswered, by cause.");
	for (int i = 0; i < DROP__MAX; i++)
		put_sample(b, "tlsscope_metrics_clients_dropped_total", "cause", drop_names[i],
			   m->dropped[i]);
}

void metrics_format(struct buf *b, const struct metrics *m, const struct stats_record *st)
{
	format_http(b, m);
	if (st)
		format_agent(b, st);
	format_server(b, m);
}

int metrics_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	const char *colon = s ? strrchr(s, ':') : NULL;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 2], *end;
	size_t hlen;
	long port;

	if (!colon || !colon[1] || colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || port < 1 || port > 65535)
		return -EINVAL;
	hlen = colon - s;
	if (hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = 0;
	memset(ss, 0, sizeof(*ss));
	if (!hlen) {
		/* every address: the dual-stack wildcard */
		a6->sin6_family = AF_INET6;
		a6->sin6_addr = in6addr_any;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
		return 0;
	}
	if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
		host[hlen - 1] = 0;
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			return -EINVAL;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
		return 0;
	}
	if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
		return -EINVAL;
	a4->sin_family = AF_INET;
	a4->sin_port = htons(port);
	*len = sizeof(*a4);
	return 0;
}

/* ---- the HTTP server ---- */

enum client_state { CL_FREE, CL_READ, CL_WRITE, CL_DRAIN };

struct client {
	int fd;
	enum client_state state;
	uint64_t deadline;
	size_t req_len, sent;
	char req[REQ_MAX];
	struct buf out;
};

/* epoll data of our own instance: these two, or 2 + the client's slot */
enum { TAG_LISTEN, TAG_TIMER, TAG_CLIENT };

struct metrics_sink {
	struct sink_opts opts;
	struct metrics *m;
	int lfd, epfd, tfd;
	int listen_paused; /* accept failed for want of descriptors: retried on the timer */
	unsigned int nclients;
	struct client clients[MAX_CLIENTS];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int watch(struct metrics_sink *s, int op, int fd, uint32_t events, uint32_t tag)
{
	struct epoll_event ev = {.events = events, .data.u32 = tag};

	return epoll_ctl(s->epfd, op, fd, &ev) ? -errno : 0;
}

/* The deadline sweep runs only while someone is connected or accept is paused. */
static void arm_timer(struct metrics_sink *s)
{
	struct itimerspec its = {0};

	if (s->nclients || s->listen_paused)
		its.it_value.tv_nsec = its.it_interval.tv_nsec = SWEEP_NS;
	timerfd_settime(s->tfd, 0, &its, NULL);
}

static void client_close(struct metrics_sink *s, struct client *c)
{
	close(c->fd); /* also leaves the epoll set */
	buf_free(&c->out);
	c->fd = -1;
	c->state = CL_FREE;
	s->nclients--;
	if (!s->nclients)
		arm_timer(s);
}

static void accept_clients(struct metrics_sink *s)
{
	/* bounded: a flood of connections cannot keep ready() busy */
	for (int n = 0; n < 2 * MAX_CLIENTS; n++) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *c = NULL;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* level-triggered: stop listening for a while instead of spinning
				 */
				watch(s, EPOLL_CTL_MOD, s->lfd, 0, TAG_LISTEN);
				s->listen_paused = 1;
				arm_timer(s);
			}
			return;
		}
		for (unsigned int i = 0; i < MAX_CLIENTS && !c; i++)
			if (s->clients[i].state == CL_FREE)
				c = &s->clients[i];
		if (!c || watch(s, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP,
				TAG_CLIENT + (c - s->clients))) {
			s->m->dropped[DROP_TOO_MANY]++;
			close(fd);
			continue;
		}
		c->fd = fd;
		c->state = CL_READ;
		c->deadline = mono_ns() + CLIENT_TIMEOUT_NS;
		c->req_len = c->sent = 0;
		if (!s->nclients++)
			arm_timer(s);
	}
}

/* The end of the request head, or NULL. */
static const char *head_end(const char *p, size_t n)
{
	const char *e = memmem(p, n, "\r\n\r\n", 4);

	return e ? e : memmem(p, n, "\n\n", 2);
}

static void respond(struct metrics_sink *s, struct client *c, enum resp_code code, int head_only)
{
	static const char *const reason[R__MAX] = {"OK", "Bad Request", "Not Found",
						   "Method Not Allowed"};
	struct buf body = {0};
	struct stats_record st;

	s->m->responses[code]++;
	if (code == R_200) {
		if (s->opts.snapshot) {
			memset(&st, 0, sizeof(st));
			s->opts.snapshot(s->opts.ctx, &st);
		}
		metrics_format(&body, s->m, s->opts.snapshot ? &st : NULL);
	} else {
		buf_printf(&body, "%s\n", reason[code]);
	}
	buf_reset(&c->out);
	buf_printf(&c->out,
		   "HTTP/1.1 %s %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		   "Connection: close\r\n%s\r\n",
		   code_names[code], reason[code],
		   code == R_200 ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain",
		   body.len, code == R_405 ? "Allow: GET, HEAD\r\n" : "");
	if (!head_only)
		buf_put(&c->out, body.p, body.len);
	if (body.oom || c->out.oom) {
		/* never a truncated exposition */
		s->m->dropped[DROP_NO_MEMORY]++;
		buf_free(&body);
		client_close(s, c);
		return;
	}
	buf_free(&body);
	c->state = CL_WRITE;
	c->sent = 0;
}

static void handle_request(struct metrics_sink *s, struct client *c)
{
	const char *p = c->req, *sp1, *sp2, *q;
	size_t plen;
	int get, head;

	sp1 = memchr(p, ' ', c->req_len);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', c->req_len - (sp1 + 1 - p)) : NULL;
	if (!sp2 || sp2 == sp1 + 1 || strncmp(sp2 + 1, "HTTP/1.", 7)) {
		respond(s, c, R_400, 0);
		return;
	}
	get = sp1 - p == 3 && !memcmp(p, "GET", 3);
	head = sp1 - p == 4 && !memcmp(p, "HEAD", 4);
	q = memchr(sp1 + 1, '?', sp2 - sp1 - 1);
	plen = (q ? q : sp2) - (sp1 + 1);
	if (plen != 8 || memcmp(sp1 + 1, "/metrics", 8))
		respond(s, c, R_404, head);
	else if (!get && !head)
		respond(s, c, R_405, 0);
	else
		respond(s, c, R_200, head);
}

static void client_write(struct metrics_sink *s, struct client *c)
{
	while (c->sent < c->out.len) {
		ssize_t n = send(c->fd, c->out.p + c->sent, c->out.len - c->sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			watch(s, EPOLL_CTL_MOD, c->fd, EPOLLOUT, TAG_CLIENT + (c - s->clients));
			return;
		}
		if (n <= 0) {
			client_close(s, c);
			return;
		}
		c->sent += n;
	}
	/*
	 * All sent: half-close and wait for the client's end, so that closing with unread
	 * bytes does not reset the connection before the client has read the response.
	 */
	buf_free(&c->out);
	shutdown(c->fd, SHUT_WR);
	c->state = CL_DRAIN;
	watch(s, EPOLL_CTL_MOD, c->fd, EPOLLIN | EPOLLRDHUP, TAG_CLIENT + (c - s->clients));
}

static void client_read(struct metrics_sink *s, struct client *c)
{
	char discard[4096];

	/* bounded: a client that keeps sending is read again on the next ready() */
	for (int i = 0; i < 16; i++) {
		char *dst = c->state == CL_READ ? c->req + c->req_len : discard;
		size_t room = c->state == CL_READ ? REQ_MAX - c->req_len : sizeof(discard);
		ssize_t n = recv(c->fd, dst, room, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			client_close(s, c);
			return;
		}
		if (c->state != CL_READ)
			continue;
		c->req_len += n;
		if (head_end(c->req, c->req_len))
			handle_request(s, c);
		else if (c->req_len == REQ_MAX)
			respond(s, c, R_400, 0);
		if (c->state == CL_WRITE)
			client_write(s, c);
		if (c->state != CL_READ)
			return; /* writing, draining (read on its next event) or closed */
	}
}

static void sweep(struct metrics_sink *s)
{
	uint64_t now = mono_ns(), ticks;

	if (read(s->tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return;
	for (unsigned int i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &s->clients[i];

		if (c->state == CL_FREE || now < c->deadline)
			continue;
		if (c->state != CL_DRAIN) /* a drained client had its whole response */
			s->m->dropped[DROP_TIMEOUT]++;
		client_close(s, c);
	}
	if (s->listen_paused && !watch(s, EPOLL_CTL_MOD, s->lfd, EPOLLIN, TAG_LISTEN)) {
		s->listen_paused = 0;
		arm_timer(s);
	}
}

static void metrics_ready(void *sink)
{
	struct metrics_sink *s = sink;
	struct epoll_event evs[MAX_CLIENTS + 2];
	int n = epoll_wait(s->epfd, evs, MAX_CLIENTS + 2, 0);

	for (int i = 0; i < n; i++) {
		uint32_t tag = evs[i].data.u32;
		struct client *c;

		if (tag == TAG_LISTEN) {
			accept_clients(s);
			continue;
		}
		if (tag == TAG_TIMER) {
			sweep(s);
			continue;
		}
		c = &s->clients[tag - TAG_CLIENT];
		if (c->state == CL_FREE)
			continue; /* closed earlier in this batch */
		if (c->state == CL_WRITE)
			client_write(s, c);
		else
			client_read(s, c);
	}
}

static int metrics_fd(void *sink)
{
	return ((struct metrics_sink *)sink)->epfd;
}

static void metrics_close(void *sink)
{
	struct metrics_sink *s = sink;

	if (!s)
		return;
	for (unsigned int i = 0; i < MAX_CLIENTS; i++)
		if (s->clients[i].state != CL_FREE)
			client_close(s, &s->clients[i]);
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->tfd >= 0)
		close(s->tfd);
	if (s->epfd >= 0)
		close(s->epfd);
	metrics_free(s->m);
	free(s);
}

static int listen_on(const struct sockaddr_storage *ss, socklen_t len)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1,
	    zero = 0, err;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6 && !memcmp(&a6->sin6_addr, &in6addr_any, sizeof(in6addr_any)))
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (const struct sockaddr *)ss, len) || listen(fd, LISTEN_BACKLOG)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static void *metrics_open(const struct sink_opts *opts)
{
	struct metrics_sink *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	socklen_t len;
	int err = -ENOMEM;

	if (!s)
		return NULL;
	s->opts = *opts;
	s->lfd = s->epfd = s->tfd = -1;
	for (unsigned int i = 0; i < MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
	/* the agent says what failed, with the address (cli.c checked its form) */
	if (metrics_parse_addr(opts->addr, &ss, &len)) {
		err = -EINVAL;
		goto cleanup;
	}
	s->lfd = listen_on(&ss, len);
	if (s->lfd == -EAFNOSUPPORT && opts->addr[0] == ':') {
		/* a kernel without IPv6: every IPv4 address */
		struct sockaddr_in a4 = {.sin_family = AF_INET,
					 .sin_port = ((struct sockaddr_in6 *)&ss)->sin6_port,
					 .sin_addr.s_addr = htonl(INADDR_ANY)};

		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, &a4, sizeof(a4));
		s->lfd = listen_on(&ss, sizeof(a4));
	}
	if (s->lfd < 0) {
		err = s->lfd;
		goto cleanup;
	}
	s->m = metrics_new();
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (!s->m || s->epfd < 0 || s->tfd < 0) {
		err = s->m ? -errno : -ENOMEM;
		goto cleanup;
	}
	if ((err = watch(s, EPOLL_CTL_ADD, s->lfd, EPOLLIN, TAG_LISTEN)) ||
	    (err = watch(s, EPOLL_CTL_ADD, s->tfd, EPOLLIN, TAG_TIMER)))
		goto cleanup;
	return s;
cleanup:
	metrics_close(s);
	errno = -err;
	return NULL;
}

static int metrics_write(void *sink, const struct record *r)
{
	struct metrics_sink *s = sink;

	if (r->type == REC_HTTP)
		metrics_add_http(s->m, r->http);
	return 0;
}

static int metrics_flush(void *sink)
{
	return 0;
}

const struct sink_ops metrics_sink_ops = {
	.name = "metrics",
	.open = metrics_open,
	.write = metrics_write,
	.flush = metrics_flush,
	.close = metrics_close,
	.fd = metrics_fd,
	.ready = metrics_ready,
};

// SPDX-License-Identifier: MIT
/*
 * The agent: loads the BPF objects, attaches, and runs one epoll loop over the ring buffer,
 * a poll timer and signals. Records flow one way: ring buffer -> decoder -> chunk joiner ->
 * connection facts -> sink.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "attach.h"
#include "conn.h"
#include "coverage.h"
#include "hold.h"
#include "discover.h"
#include "events.h"
#include "handshake.h"
#include "http.h"
#include "reasm.h"
#include "redact.h"
#include "sink/sink.h"
#include "tcattach.h"
#include "tlsscope.skel.h"
#include "util/log.h"

/* The reader sleeps this long between polls unless a burst wakes it sooner. */
#define POLL_INTERVAL_MS 10
/* A call whose chunks stopped arriving this long ago is closed with what it has. */
#define STALE_CALL_NS 1000000000ull
/*
 * How long an unattributed record waits for its ssl's binding (hold.h): a memory-BIO server's
 * request waits for its response's ciphertext, so this bounds the handler time covered.
 */
#define HOLD_NS	       (500 * 1000000ull)
#define HOLD_MAX_BYTES (16u << 20)
#define OUT_BUFFER     (1 << 20)
/* A hello that is not whole this long after its last segment is given up (counted). */
#define HS_TIMEOUT_NS (10 * 1000000000ull)
/* How long a TLS 1.3 handshake record waits for plaintext to tell its ALPN. */
#define ALPN_WAIT_NS (500 * 1000000ull)
/* Connections whose negotiated facts are kept for joining (oldest forgotten first). */
#define HS_MAX_CONNS 16384
/* Connections parsed for HTTP at once, and how long an idle one is kept. */
#define HTTP_MAX_CONNS 1024
#define HTTP_IDLE_NS   (60 * 1000000000ull)
#define MAX_SINKS      4

/* An output: the text or JSON view, and the optional pcapng file and metrics endpoint. */
struct sink_slot {
	const struct sink_ops *ops;
	void *s;
	int fd;	      /* watched by the loop, -1: none */
	int raw_data; /* takes data records even with --no-data (pcapng) */
};

struct agent {
	const struct config *cfg;
	struct tlsscope_bpf *skel;
	struct ring_buffer *rb;
	struct attacher *attacher;
	struct reasm *reasm;
	struct listeners *listeners;
	struct coverage *coverage; /* which processes run TLS code, traced or not */
	struct hold *hold;	   /* unattributed records waiting for a memory-BIO binding */
	struct tcattach *tc;	   /* the handshake classifier's attachments */
	struct hsflow *hsflow;	   /* hello reassembly */
	struct hsjoin *hsjoin;	   /* handshake records, and their join to data records */
	struct http_tracker *http; /* http records from the plaintext streams */
	struct sink_slot sinks[MAX_SINKS];
	unsigned int nsinks;
	void *pcapng; /* the pcapng sink's state, for its counters */
	struct pcapng_counters pcapng_counters;
	FILE *out;
	int epfd, sigfd, tickfd;
	uint64_t wall_offset; /* CLOCK_REALTIME - CLOCK_MONOTONIC, measured once */
	uint64_t lost_decode, lost_incomplete, lost_sink;
	struct buf redacted; /* reused: a record's copy with secrets masked */
	int stop;
	int exit_status;
};

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's warnings are mostly about optional symbols we report ourselves. */
	int ours = level == LIBBPF_WARN ? LOG_INFO : LOG_DEBUG + (level == LIBBPF_DEBUG);

	if (ours > log_level)
		return 0;
	fputs("tlsscope: libbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

static void write_record(struct agent *ag, const struct record *r)
{
	for (unsigned int i = 0; i < ag->nsinks; i++) {
		struct sink_slot *k = &ag->sinks[i];

		if (r->type == REC_DATA && ag->cfg->no_data && !k->raw_data)
			continue;
		if (!k->ops->write(k->s, r))
			continue;
		ag->lost_sink++;
		if (i == 0 && errno == EPIPE)
			ag->stop = 1; /* the reader went away: nothing left to show */
	}
}

/* Flushes every sink; -EPIPE when the main output's reader went away. */
static int flush_sinks(struct agent *ag)
{
	int err = 0;

	for (unsigned int i = 0; i < ag->nsinks; i++) {
		int e = ag->sinks[i].ops->flush(ag->sinks[i].s);

		if (i == 0)
			err = e;
	}
	return err;
}

/* The HTTP/2 secrets the http tracker found in d: masked in a copy. 1 if d must be dropped. */
static int mask_fields(struct agent *ag, struct data_record *d)
{
	const struct http_mask *m;
	unsigned int n, fields = http_masks(ag->http, &m, &n);
	uint8_t *p;

	if (!n)
		return 0;
	if (d->data != (const uint8_t *)ag->redacted.p) {
		buf_reset(&ag->redacted);
		if (buf_reserve(&ag->redacted, d->captured)) {
			ag->lost_sink++; /* never show a secret for want of memory */
			return 1;
		}
		memcpy(ag->redacted.p, d->data, d->captured);
		d->data = (const uint8_t *)ag->redacted.p;
	}
	p = (uint8_t *)ag->redacted.p;
	for (unsigned int i = 0; i < n; i++) {
		if (m[i].clear_huffman)
			p[m[i].off] &= 0x7f;
		else
			memset(p + m[i].off, '*', m[i].len);
	}
	d->redacted += fields;
	return 0;
}

/* A call whose connection is settled (or will not be): out to the parsers and sinks. */
static void deliver_call(void *ctx, const struct data_event *e, const uint8_t *data, uint32_t got)
{
	struct agent *ag = ctx;
	struct conn_tuple conn = e->conn;
	struct data_record d = {
		.ts = e->hdr.ts + ag->wall_offset,
		.pid = e->hdr.pid,
		.tid = e->hdr.tid,
		.comm = e->comm,
		.netns = e->netns,
		.cgroup_id = e->cgroup_id,
		.fd = e->fd,
		.attribution = e->attribution,
		.lib = e->lib,
		.dir = e->dir,
		.len = e->len,
		.captured = got,
		.data = data,
	};
	struct record r = {.type = REC_DATA, .data = &d};

	if (got < e->captured) {
		ag->lost_incomplete++;
		d.truncated = TRUNC_LOST;
	} else if (e->captured < e->len) {
		d.truncated = TRUNC_LIMIT;
	}
	if (!ag->cfg->no_redact && redact_needed(data, got)) {
		buf_reset(&ag->redacted);
		if (!buf_reserve(&ag->redacted, got)) {
			d.redacted = redact_secrets((uint8_t *)ag->redacted.p, data, got);
			d.data = (const uint8_t *)ag->redacted.p;
		} else {
			/* Never show a secret for want of memory: drop the record, count it. */
			ag->lost_sink++;
			return;
		}
	}
	if (conn.family) {
		if (conn.role == ROLE_UNKNOWN)
			conn.role = listeners__role(ag->listeners, e->netns, e->hdr.pid, &conn);
		d.conn = &conn;
		/* Before the record: a handshake record waiting for this plaintext goes first. */
		d.tls = hsjoin_lookup(ag->hsjoin, e->netns, &conn, e->hdr.pid, e->comm, data, got,
				      e->dir);
		/*
		 * Parsed before it is written: the record then says what it carries, and an
		 * http record it completes comes just before it.
		 */
		d.app = http_data(ag->http, &d, now_ns(CLOCK_MONOTONIC));
		if (!ag->cfg->no_redact && mask_fields(ag, &d))
			return;
	}
	write_record(ag, &r);
}

/* A completed call from reasm: unattributed ones wait a little for a memory-BIO binding. */
static void emit_call(void *ctx, const struct data_event *e, const uint8_t *data, uint32_t got)
{
	struct agent *ag = ctx;

	hold__push(ag->hold, e, data, got, now_ns(CLOCK_MONOTONIC));
}

static void emit_http(void *ctx, const struct http_record *h)
{
	struct agent *ag = ctx;
	struct record r = {.type = REC_HTTP, .http = h};

	write_record(ag, &r);
}

static void emit_handshake(void *ctx, const struct handshake_record *h)
{
	struct agent *ag = ctx;
	struct record r = {.type = REC_HANDSHAKE, .hs = h};

	/* With a process filter, only handshakes known to be of that process are shown. */
	if ((ag->cfg->pid && h->pid != ag->cfg->pid) ||
	    (ag->cfg->comm[0] && (!h->comm || strncmp(h->comm, ag->cfg->comm, TASK_COMM_LEN))))
		return;
	write_record(ag, &r);
}

static void on_hello(void *ctx, const struct hsf_result *r)
{
	struct agent *ag = ctx;
	const struct seg_meta *m = r->cmeta ? r->cmeta : r->smeta;

	hsjoin_result(ag->hsjoin, r, ag->wall_offset, m ? tcattach_name(ag->tc, m->ifindex) : NULL,
		      now_ns(CLOCK_MONOTONIC));
}

static void on_wire(struct agent *ag, const struct wire_event *e)
{
	struct seg_meta meta = {
		.pid = e->hdr.pid,
		.tid = e->hdr.tid,
		.cgroup_id = e->cgroup_id,
		.sk_netns = e->sk_netns,
		.dev_netns = e->dev_netns,
		.peer_netns = e->peer_netns,
		.ifindex = e->ifindex,
		.egress = !!(e->hdr.flags & WIRE_F_EGRESS),
	};
	struct tcp_segment seg = {
		.ts = e->hdr.ts,
		.scope = e->ifindex,
		.family = e->family,
		.flags = e->tcp_flags,
		.sport = e->sport,
		.dport = e->dport,
		.seq = e->seq,
		.has_start = 1,
		.start_seq = e->start_seq,
		.payload = e->data,
		.len = e->len,
		.meta = &meta,
	};

	memcpy(meta.comm, e->comm, sizeof(meta.comm));
	memcpy(seg.saddr, e->saddr, 16);
	memcpy(seg.daddr, e->daddr, 16);
	hsflow_feed(ag->hsflow, &seg);
}

static void on_lib(void *ctx, const struct found_lib *lib)
{
	struct agent *ag = ctx;
	int file, n = attacher__add(ag->attacher, lib, &file);

	if (n < 0 && n != -ENOENT)
		pr_debug("skip %s (pid %u): %s\n", lib->path, lib->pid, strerror(-n));
	if (file >= 0 && lib->pid && coverage__add(ag->coverage, lib->pid, file))
		pr_warn("out of memory: process %u's coverage is not counted\n", lib->pid);
}

struct lib_table {
	const struct lib_status *libs;
	unsigned int n;
};

/* A file counts as traced when it holds no reason why not (see attacher__add). */
static int file_traced(void *ctx, int file)
{
	const struct lib_table *t = ctx;

	return file >= 0 && (unsigned int)file < t->n && !t->libs[file].reason;
}

static int on_event(void *ctx, void *raw, size_t size)
{
	struct agent *ag = ctx;
	struct event_view v;

	if (event_decode(raw, size, &v)) {
		ag->lost_decode++;
		return 0;
	}
	switch (v.type) {
	case EV_DATA:
		reasm__push(ag->reasm, v.data);
		break;
	case EV_EXEC:
		coverage__forget(ag->coverage, v.hdr->pid); /* a new image */
		discover_pid(v.hdr->pid, on_lib, ag);
		break;
	case EV_LIBS:
		/*
		 * The loader reports before and after it maps: the second report (or a look
		 * at a process that already finished) finds the new mappings.
		 */
		discover_pid(v.hdr->pid, on_lib, ag);
		break;
	case EV_BIND:
		hold__bind(ag->hold, v.bind);
		break;
	case EV_EXIT:
		reasm__flush(ag->reasm, v.hdr->pid, 0);
		hold__flush(ag->hold, v.hdr->pid);
		coverage__forget(ag->coverage, v.hdr->pid);
		break;
	case EV_WIRE:
		on_wire(ag, v.wire);
		break;
	default:
		break;
	}
	return 0;
}

/* The agent's counters as they are now; pointers in st stay valid until the next event. */
static void snapshot(void *ctx, struct stats_record *st)
{
	struct agent *ag = ctx;
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals = calloc(ncpu > 0 ? ncpu : 1, sizeof(*vals));

	memset(st, 0, sizeof(*st));
	st->ts = now_ns(CLOCK_REALTIME);
	for (uint32_t c = 0; vals && ag->skel && c < CNT__MAX; c++) {
		if (bpf_map__lookup_elem(ag->skel->maps.counters, &c, sizeof(c), vals,
					 ncpu * sizeof(*vals), 0))
			continue;
		for (int i = 0; i < ncpu; i++)
			st->counters[c] += vals[i];
	}
	free(vals);
	{
		struct hold_stats hs;

		/* "unattributed" counts the records that went out so; correlated ones did not. */
		hold__stats(ag->hold, &hs);
		st->correlated = hs.correlated;
		st->counters[CNT_UNATTRIBUTED] -= hs.correlated < st->counters[CNT_UNATTRIBUTED]
							  ? hs.correlated
							  : st->counters[CNT_UNATTRIBUTED];
	}
	st->lost_incomplete = ag->lost_incomplete;
	st->lost_decode = ag->lost_decode + reasm__orphans(ag->reasm);
	st->lost_sink = ag->lost_sink;
	attacher__totals(ag->attacher, &st->probes_attached, &st->probes_failed);
	st->libs = attacher__libs(ag->attacher, &st->nlibs);
	{
		struct lib_table t = {st->libs, st->nlibs};
		struct coverage_counts cc;

		coverage__count(ag->coverage, file_traced, &t, &cc);
		st->procs_tls = cc.processes;
		st->procs_untraced = cc.untraced;
	}
	st->http = http_counters(ag->http);
	if (ag->pcapng) {
		pcapng_sink_counters(ag->pcapng, &ag->pcapng_counters);
		st->pcapng = &ag->pcapng_counters;
	}
	if (ag->tc) {
		struct hsjoin_stats hs;

		hsjoin_stats(ag->hsjoin, &hs);
		st->wire = hsflow_counters(ag->hsflow);
		st->handshakes = hs.handshakes;
		st->hs_ambiguous = hs.ambiguous;
		st->hs_evicted = hs.evicted;
		st->ifaces = tcattach_count(ag->tc);
		st->ifaces_failed = tcattach_failed(ag->tc);
	}
}

static void emit_stats(struct agent *ag)
{
	struct stats_record st;
	struct record r = {.type = REC_STATS, .stats = &st};

	snapshot(ag, &st);
	write_record(ag, &r);
	flush_sinks(ag);
}

/*
 * Records are written into a large stdio buffer and flushed on every poll tick (10 ms), so
 * a busy second costs a few hundred writes, not one per record. A terminal still sees each
 * tick's records at once.
 */
static int out_buffer(struct agent *ag)
{
	/* Static: stdout may still be flushed by exit() after the agent is gone. */
	static char buf[OUT_BUFFER];

	return setvbuf(ag->out, buf, _IOFBF, sizeof(buf)) ? -ENOMEM : 0;
}

static int open_output(struct agent *ag)
{
	if (!ag->cfg->output) {
		ag->out = stdout;
		return out_buffer(ag);
	}
	ag->out = sink_open_file(ag->cfg->output);
	if (!ag->out) {
		pr_warn("open output %s: %s\n", ag->cfg->output, strerror(errno));
		return -errno;
	}
	return out_buffer(ag);
}

static int add_sink(struct agent *ag, const struct sink_ops *ops, const struct sink_opts *o,
		    const char *what, int raw_data)
{
	struct sink_slot *k = &ag->sinks[ag->nsinks];

	k->s = ops->open(o);
	if (!k->s) {
		const char *arg = o->path ? o->path : o->addr;

		pr_warn("%s%s%s: %s\n", what, arg ? " " : "", arg ? arg : "", strerror(errno));
		return -errno;
	}
	k->ops = ops;
	k->fd = ops->fd ? ops->fd(k->s) : -1;
	k->raw_data = raw_data;
	ag->nsinks++;
	return 0;
}

/* The main view first: its reader going away stops the agent. */
static int open_sinks(struct agent *ag, struct sink_opts *o)
{
	const struct config *cfg = ag->cfg;
	int err;

	err = add_sink(ag, cfg->format == FORMAT_JSON ? &json_sink_ops : &text_sink_ops, o,
		       "output", 0);
	if (!err && cfg->pcapng) {
		struct sink_opts po = *o;

		po.path = cfg->pcapng; /* created or truncated, mode 0600 */
		err = add_sink(ag, &pcapng_sink_ops, &po, "--pcapng", 1);
		ag->pcapng = err ? NULL : ag->sinks[ag->nsinks - 1].s;
	}
	if (!err && cfg->metrics) {
		struct sink_opts mo = *o;

		mo.addr = cfg->metrics;
		err = add_sink(ag, &metrics_sink_ops, &mo, "--metrics", 0);
	}
	return err;
}

static int check_environment(const struct config *cfg)
{
	if (geteuid() != 0) {
		pr_warn("must run as root: loading BPF programs and uprobes needs CAP_BPF, "
			"CAP_PERFMON and CAP_SYS_ADMIN\n");
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		pr_warn("kernel BTF not found at /sys/kernel/btf/vmlinux: tlsscope needs a kernel "
			"built with CONFIG_DEBUG_INFO_BTF=y\n");
		return -ENOENT;
	}
	if (cfg->pid && kill(cfg->pid, 0) && errno == ESRCH) {
		pr_warn("--pid %u: no such process\n", cfg->pid);
		return -ESRCH;
	}
	return 0;
}

static int load(struct agent *ag)
{
	const struct config *cfg = ag->cfg;
	struct tlsscope_bpf *skel;
	int err;

	skel = ag->skel = tlsscope_bpf__open();
	if (!skel) {
		pr_warn("open BPF object: %s\n", strerror(errno));
		return -errno;
	}
	skel->rodata->filter_pid = cfg->pid;
	memcpy((char *)skel->rodata->filter_comm, cfg->comm, sizeof(cfg->comm));
	skel->rodata->max_capture = cfg->max_capture;
	/* Wake the reader early only when a quarter of the ring is queued. */
	skel->rodata->wakeup_bytes = cfg->ringbuf_size / 4;
	bpf_map__set_max_entries(skel->maps.events, cfg->ringbuf_size);
	if (cfg->tc == TC_OFF) { /* verifying the classifier takes most of the load time */
		bpf_program__set_autoload(skel->progs.wire_ingress, false);
		bpf_program__set_autoload(skel->progs.wire_egress, false);
	}
	err = tlsscope_bpf__load(skel);
	if (err) {
		pr_warn("load BPF programs: %s\n", strerror(-err));
		return err;
	}
	/* The tracepoints; the skeleton destroys the links stored in its own slots. */
	struct {
		struct bpf_program *prog;
		struct bpf_link **link;
	} tps[] = {
		{skel->progs.proc_exec, &skel->links.proc_exec},
		{skel->progs.proc_exit, &skel->links.proc_exit},
		{skel->progs.sock_state, &skel->links.sock_state},
		{skel->progs.sock_send, &skel->links.sock_send},
		{skel->progs.sock_recv, &skel->links.sock_recv},
	};

	for (size_t i = 0; i < sizeof(tps) / sizeof(tps[0]); i++) {
		*tps[i].link = bpf_program__attach(tps[i].prog);
		if (!*tps[i].link) {
			err = -errno;
			pr_warn("attach %s: %s\n", bpf_program__name(tps[i].prog), strerror(-err));
			return err;
		}
	}
	return 0;
}

/* The handshake classifier on every interface that qualifies, before the agent is ready. */
static int watch_wire(struct agent *ag)
{
	const struct config *cfg = ag->cfg;

	if (cfg->tc == TC_OFF)
		return 0;
	ag->tc = tcattach_new(bpf_program__fd(ag->skel->progs.wire_ingress),
			      bpf_program__fd(ag->skel->progs.wire_egress), cfg->tc, cfg->ifaces,
			      cfg->nifaces);
	if (!ag->tc) {
		pr_warn("watch interfaces: %s\n", strerror(errno));
		return -errno;
	}
	tcattach_sync(ag->tc);
	for (unsigned int i = 0; i < cfg->nifaces; i++)
		if (!if_nametoindex(cfg->ifaces[i]))
			pr_warn("interface %s does not exist (yet): watched once it is up\n",
				cfg->ifaces[i]);
	if (!tcattach_count(ag->tc))
		pr_warn("no interface to watch for TLS handshakes yet\n");
	else
		pr_info("handshakes watched on %u interface%s (%s)\n", tcattach_count(ag->tc),
			tcattach_count(ag->tc) == 1 ? "" : "s", tcattach_mode(ag->tc));
	return 0;
}

static int setup_loop(struct agent *ag)
{
	struct itimerspec its = {.it_interval = {0, POLL_INTERVAL_MS * 1000000L},
				 .it_value = {0, POLL_INTERVAL_MS * 1000000L}};
	struct epoll_event ev = {.events = EPOLLIN};
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	ag->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	ag->tickfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	ag->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ag->sigfd < 0 || ag->tickfd < 0 || ag->epfd < 0 ||
	    timerfd_settime(ag->tickfd, 0, &its, NULL))
		return -errno;
	ev.data.fd = ag->sigfd;
	epoll_ctl(ag->epfd, EPOLL_CTL_ADD, ag->sigfd, &ev);
	ev.data.fd = ag->tickfd;
	epoll_ctl(ag->epfd, EPOLL_CTL_ADD, ag->tickfd, &ev);
	if (ag->tc) {
		ev.data.fd = tcattach_fd(ag->tc);
		epoll_ctl(ag->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	}
	for (unsigned int i = 0; i < ag->nsinks; i++) {
		if (ag->sinks[i].fd < 0)
			continue;
		ev.data.fd = ag->sinks[i].fd;
		if (epoll_ctl(ag->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev))
			return -errno;
	}
	ev.data.fd = ring_buffer__epoll_fd(ag->rb);
	return epoll_ctl(ag->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) ? -errno : 0;
}

static int write_ready_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0) {
		pr_warn("create ready file %s: %s\n", path, strerror(errno));
		return -errno;
	}
	close(fd);
	return 0;
}

static void sink_ready(struct agent *ag, int fd)
{
	for (unsigned int i = 0; i < ag->nsinks; i++)
		if (ag->sinks[i].fd == fd)
			ag->sinks[i].ops->ready(ag->sinks[i].s);
}

static void run_loop(struct agent *ag)
{
	const struct config *cfg = ag->cfg;
	uint64_t start = now_ns(CLOCK_MONOTONIC), next_stats = 0;
	struct epoll_event evs[8];

	if (cfg->stats_interval)
		next_stats = start + cfg->stats_interval * 1000000000ull;
	while (!ag->stop) {
		int n = epoll_wait(ag->epfd, evs, 8, -1);
		uint64_t now;

		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == ag->sigfd) {
				struct signalfd_siginfo si;

				if (read(ag->sigfd, &si, sizeof(si)) > 0)
					ag->stop = 1;
			} else if (evs[i].data.fd == ag->tickfd) {
				uint64_t ticks;

				if (read(ag->tickfd, &ticks, sizeof(ticks)) < 0)
					continue;
			} else if (ag->tc && evs[i].data.fd == tcattach_fd(ag->tc)) {
				tcattach_event(ag->tc);
			} else {
				sink_ready(ag, evs[i].data.fd);
			}
		}
		ring_buffer__consume(ag->rb);
		now = now_ns(CLOCK_MONOTONIC);
		reasm__flush(ag->reasm, 0, now - STALE_CALL_NS);
		hold__expire(ag->hold, now);
		hsflow_expire(ag->hsflow, now);
		hsjoin_tick(ag->hsjoin, now);
		http_expire(ag->http, now, HTTP_IDLE_NS);
		if (flush_sinks(ag) == -EPIPE) {
			pr_info("output closed by its reader: stopping\n");
			ag->stop = 1;
		}
		if (next_stats && now >= next_stats) {
			emit_stats(ag);
			next_stats += cfg->stats_interval * 1000000000ull;
		}
		if (cfg->duration && now - start >= cfg->duration * 1000000000ull)
			ag->stop = 1;
	}
}

int agent_run(const struct config *cfg)
{
	struct agent *ag = calloc(1, sizeof(*ag));
	struct reasm_opts ropts = {.max_pending = 256, .emit = emit_call};
	struct hold_opts hopts = {
		.hold_ns = HOLD_NS, .max_bytes = HOLD_MAX_BYTES, .release = deliver_call};
	struct sink_opts sopts = {0};
	struct hsf_limits hlim = {.max_flows = 4096, .timeout_ns = HS_TIMEOUT_NS};
	struct attacher_opts aopts;
	int err;

	if (!ag)
		return 1;
	ag->cfg = cfg;
	ag->epfd = ag->sigfd = ag->tickfd = -1;
	ag->exit_status = 1;
	log_level = LOG_WARN + cfg->verbose;
	libbpf_set_print(libbpf_print);
	if (cfg->ready_file && unlink(cfg->ready_file) && errno != ENOENT) {
		pr_warn("remove ready file %s: %s\n", cfg->ready_file, strerror(errno));
		goto cleanup;
	}
	if (check_environment(cfg) || open_output(ag))
		goto cleanup;

	sopts.out = ag->out;
	sopts.err = stderr;
	sopts.color = cfg->color >= 0 ? cfg->color : (!cfg->output && isatty(STDOUT_FILENO));
	sopts.show_data = cfg->show_data;
	sopts.snapshot = snapshot;
	sopts.ctx = ag;
	if (open_sinks(ag, &sopts))
		goto cleanup;
	ropts.ctx = ag;
	ag->reasm = reasm__new(&ropts);
	ag->listeners = listeners__new();
	ag->coverage = coverage__new();
	hopts.ctx = ag;
	ag->hold = hold__new(&hopts);
	ag->hsflow = hsflow_new(&hlim, on_hello, ag);
	ag->hsjoin = hsjoin_new(HS_MAX_CONNS, ALPN_WAIT_NS, emit_handshake, ag);
	ag->http = http_new(HTTP_MAX_CONNS, !cfg->no_redact, cfg->body_preview, emit_http, ag);
	if (!ag->reasm || !ag->listeners || !ag->coverage || !ag->hold || !ag->hsflow ||
	    !ag->hsjoin || !ag->http) {
		pr_warn("out of memory\n");
		goto cleanup;
	}
	ag->wall_offset = now_ns(CLOCK_REALTIME) - now_ns(CLOCK_MONOTONIC);

	if (load(ag) || watch_wire(ag))
		goto cleanup;
	ag->rb = ring_buffer__new(bpf_map__fd(ag->skel->maps.events), on_event, ag, NULL);
	aopts.enter = ag->skel->progs.tls_enter;
	aopts.exit = ag->skel->progs.tls_exit;
	aopts.loader = ag->skel->progs.proc_libs;
	aopts.exported_only = cfg->probe_exported;
	ag->attacher = attacher__new(&aopts);
	if (!ag->rb || !ag->attacher || (err = setup_loop(ag))) {
		pr_warn("set up event loop: %s\n", strerror(errno));
		goto cleanup;
	}
	/* Exec and loader tracking are on: nothing that starts from here on is missed. */
	discover_all(on_lib, ag);
	/* Connections older than the agent get their role from these, even after they exit. */
	listeners__load_all(ag->listeners);
	{
		uint64_t attached, failed;

		attacher__totals(ag->attacher, &attached, &failed);
		if (!attached)
			pr_warn("no TLS library found to probe yet; watching new processes\n");
		pr_info("%llu probes attached, %llu failed\n", (unsigned long long)attached,
			(unsigned long long)failed);
	}
	if (cfg->ready_file && write_ready_file(cfg->ready_file))
		goto cleanup;

	run_loop(ag);

	ring_buffer__consume(ag->rb);
	reasm__flush(ag->reasm, 0, 0);
	hold__flush(ag->hold, 0);
	hsflow_flush(ag->hsflow);
	hsjoin_flush(ag->hsjoin);
	http_flush(ag->http);
	emit_stats(ag);
	ag->exit_status = 0;
cleanup:
	for (unsigned int i = 0; i < ag->nsinks; i++) {
		ag->sinks[i].ops->flush(ag->sinks[i].s);
		ag->sinks[i].ops->close(ag->sinks[i].s);
	}
	if (ag->out && ag->out != stdout)
		fclose(ag->out);
	else if (ag->out)
		fflush(ag->out);
	ring_buffer__free(ag->rb);
	tcattach_free(ag->tc);
	attacher__free(ag->attacher);
	tlsscope_bpf__destroy(ag->skel);
	reasm__free(ag->reasm);
	listeners__free(ag->listeners);
	coverage__free(ag->coverage);
	hold__free(ag->hold);
	hsflow_free(ag->hsflow);
	hsjoin_free(ag->hsjoin);
	http_free(ag->http);
	buf_free(&ag->redacted);
	if (ag->epfd >= 0)
		close(ag->epfd);
	if (ag->sigfd >= 0)
		close(ag->sigfd);
	if (ag->tickfd >= 0)
		close(ag->tickfd);
	err = ag->exit_status;
	free(ag);
	return err;
}

// SPDX-License-Identifier: MIT
/* JSON lines: the stable contract documented in docs/json-schema.md. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sink/sink.h"
#include "util/addr.h"
#include "util/buf.h"

struct json_sink {
	struct sink_opts opts;
	struct buf b;
};

static void *json_open(const struct sink_opts *opts)
{
	struct json_sink *s = calloc(1, sizeof(*s));

	if (s)
		s->opts = *opts;
	return s;
}

static void put_str(struct buf *b, const char *s)
{
	buf_put_json_str(b, s, strlen(s));
}

static void put_conn(struct buf *b, const struct conn_tuple *c)
{
	char ep[ENDPOINT_STRLEN];

	if (!c) {
		buf_puts(b, "null");
		return;
	}
	buf_puts(b, "{\"local\":");
	put_str(b, endpoint_format(ep, c->family, c->laddr, c->lport));
	buf_puts(b, ",\"remote\":");
	put_str(b, endpoint_format(ep, c->family, c->raddr, c->rport));
	buf_puts(b, ",\"role\":");
	put_str(b, role_name(c->role));
	buf_putc(b, '}');
}

static void put_plan(struct buf *b, const struct site_plan *plan)
{
	if (!plan)
		return;
	buf_printf(b, ",\"fallback\":%s", plan->fallback ? "true" : "false");
	if (plan->fallback) {
		buf_puts(b, ",\"fallback_reason\":");
		put_str(b, plan->why);
	}
	buf_puts(b, ",\"sites\":[");
	for (unsigned int i = 0; i < plan->n; i++) {
		const struct probe_site *s = &plan->sites[i];

		buf_puts(b, i ? ",{\"func\":" : "{\"func\":");
		put_str(b, s->fn->sym);
		if (s->fn->call_in) {
			buf_puts(b, ",\"via\":");
			put_str(b, s->fn->call_in);
		}
		buf_printf(b, ",\"offset\":%llu,\"insn\":", (unsigned long long)s->offset);
		put_str(b, s->insn);
		buf_printf(b, ",\"cost\":\"%s\"}", site_cost_name(s->cost));
	}
	buf_putc(b, ']');
}

void json_format_data(struct buf *b, const struct data_record *d)
{
	buf_printf(b, "{\"type\":\"data\",\"ts\":%llu,\"pid\":%u,\"tid\":%u,\"comm\":",
		   (unsigned long long)d->ts, d->pid, d->tid);
	buf_put_json_str(b, d->comm, strnlen(d->comm, TASK_COMM_LEN));
	buf_printf(b, ",\"netns\":%u,\"cgroup_id\":%llu,\"conn\":", d->netns,
		   (unsigned long long)d->cgroup_id);
	put_conn(b, d->conn);
	if (d->fd >= 0)
		buf_printf(b, ",\"fd\":%d", d->fd);
	else
		buf_puts(b, ",\"fd\":null");
	buf_puts(b, ",\"attribution\":");
	put_str(b, attribution_name(d->attribution));
	buf_puts(b, ",\"lib\":");
	put_str(b, tls_lib_name(d->lib));
	buf_printf(b, ",\"dir\":\"%s\",\"len\":%u,\"captured\":%u",
		   d->dir == DIR_EGRESS ? "egress" : "ingress", d->len, d->captured);
	if (d->truncated)
		buf_printf(b, ",\"truncated\":\"%s\"",
			   d->truncated == TRUNC_LIMIT ? "max_capture" : "lost");
	if (d->redacted)
		buf_printf(b, ",\"redacted\":%u", d->redacted);
	buf_puts(b, ",\"data\":\"");
	buf_put_base64(b, d->data, d->captured);
	buf_puts(b, "\"}\n");
}

void json_format_stats(struct buf *b, const struct stats_record *st)
{
	buf_printf(b, "{\"type\":\"stats\",\"ts\":%llu", (unsigned long long)st->ts);
	for (int c = 0; c < CNT__MAX; c++)
		if (!counter_is_loss(c))
			buf_printf(b, ",\"%s\":%llu", counter_name(c),
				   (unsigned long long)st->counters[c]);
	buf_puts(b, ",\"lost\":{");
	for (int c = 0, first = 1; c < CNT__MAX; c++) {
		if (!counter_is_loss(c))
			continue;
		buf_printf(b, "%s\"%s\":%llu", first ? "" : ",", counter_name(c),
			   (unsigned long long)st->counters[c]);
		first = 0;
	}
	buf_printf(b, ",\"incomplete\":%llu,\"decode\":%llu,\"sink\":%llu}",
		   (unsigned long long)st->lost_incomplete, (unsigned long long)st->lost_decode,
		   (unsigned long long)st->lost_sink);
	buf_printf(b, ",\"probes_attached\":%llu,\"probes_failed\":%llu,\"libraries\":[",
		   (unsigned long long)st->probes_attached, (unsigned long long)st->probes_failed);
	for (unsigned int i = 0; i < st->nlibs; i++) {
		buf_puts(b, i ? ",{\"path\":" : "{\"path\":");
		put_str(b, st->libs[i].path);
		buf_puts(b, ",\"lib\":");
		put_str(b, st->libs[i].lib);
		buf_printf(b, ",\"probes\":%u,\"failed\":%u", st->libs[i].probes,
			   st->libs[i].failed);
		put_plan(b, st->libs[i].plan);
		buf_putc(b, '}');
	}
	buf_puts(b, "]}\n");
}

static int json_write(void *sink, const struct record *r)
{
	struct json_sink *s = sink;

	buf_reset(&s->b);
	if (r->type == REC_DATA)
		json_format_data(&s->b, r->data);
	else
		json_format_stats(&s->b, r->stats);
	if (s->b.oom)
		return -ENOMEM;
	if (fwrite(s->b.p, 1, s->b.len, s->opts.out) != s->b.len)
		return -EIO;
	return 0;
}

static int json_flush(void *sink)
{
	struct json_sink *s = sink;

	return fflush(s->opts.out) ? -errno : 0;
}

static void json_close(void *sink)
{
	struct json_sink *s = sink;

	if (!s)
		return;
	buf_free(&s->b);
	free(s);
}

const struct sink_ops json_sink_ops = {
	.name = "json",
	.open = json_open,
	.write = json_write,
	.flush = json_flush,
	.close = json_close,
};

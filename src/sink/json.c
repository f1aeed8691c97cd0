// SPDX-License-Identifier: MIT
/* JSON lines: the stable contract documented in docs/json-schema.md. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sink/sink.h"
#include "util/addr.h"
#include "util/buf.h"
#include "http.h"
#include "wire/hsflow.h"

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

/* A string that may be absent: null for NULL and for "". */
static void put_str_or_null(struct buf *b, const char *s)
{
	if (s && *s)
		put_str(b, s);
	else
		buf_puts(b, "null");
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
		if (s->searched == 1) {
			buf_puts(b, ",\"via\":");
			put_str(b, s->fn->call_in);
		}
		buf_printf(b, ",\"offset\":%llu,\"insn\":", (unsigned long long)s->offset);
		put_str(b, s->insn);
		buf_printf(b, ",\"cost\":\"%s\"}", site_cost_name(s->cost));
	}
	buf_putc(b, ']');
}

/* A code point by its IANA name, or "0x%04x" when it has none (GREASE included). */
static void put_code(struct buf *b, const char *name, uint16_t v)
{
	if (name)
		put_str(b, name);
	else {
		buf_putc(b, '"');
		buf_put_hex16(b, v);
		buf_putc(b, '"');
	}
}

static void put_codes(struct buf *b, const char *key, const uint16_t *v, unsigned int n,
		      const char *(*name)(uint16_t))
{
	buf_puts(b, ",\"");
	buf_puts(b, key);
	buf_puts(b, "\":[");
	for (unsigned int i = 0; i < n; i++) {
		if (i)
			buf_putc(b, ',');
		put_code(b, name(v[i]), v[i]);
	}
	buf_putc(b, ']');
}

/* `sep"key":` then the string, or null. */
static void put_opt_str_sep(struct buf *b, const char *sep, const char *key, int have,
			    const char *v)
{
	buf_puts(b, sep);
	buf_putc(b, '"');
	buf_puts(b, key);
	buf_puts(b, "\":");
	if (have && v)
		put_str(b, v);
	else
		buf_puts(b, "null");
}

static void put_opt_str(struct buf *b, const char *key, int have, const char *v)
{
	put_opt_str_sep(b, ",", key, have, v);
}

static const char *alpn_source_name(int s)
{
	return s == ALPN_WIRE ? "wire" : s == ALPN_PLAINTEXT ? "plaintext" : NULL;
}

/*
 * The negotiated facts, shared by handshake records and the `tls` object of data records;
 * sep comes before the first member.
 */
static void put_facts(struct buf *b, const char *sep, const struct tls_facts *f)
{
	put_opt_str_sep(b, sep, "sni", f->has_sni, f->sni);
	put_opt_str(b, "alpn", f->has_alpn, f->alpn);
	put_opt_str(b, "alpn_source", f->has_alpn, alpn_source_name(f->alpn_source));
	buf_puts(b, ",\"version\":");
	if (f->have_server)
		put_code(b, tls_version_name(f->version), f->version);
	else
		buf_puts(b, "null");
	buf_puts(b, ",\"cipher\":");
	if (f->have_server)
		put_code(b, tls_cipher_name(f->cipher), f->cipher);
	else
		buf_puts(b, "null");
	buf_puts(b, ",\"group\":");
	if (f->have_server && f->group)
		put_code(b, tls_group_name(f->group), f->group);
	else
		buf_puts(b, "null");
}

static void put_tls(struct buf *b, const struct tls_facts *f)
{
	if (!f) {
		buf_puts(b, ",\"tls\":null");
		return;
	}
	buf_puts(b, ",\"tls\":");
	put_facts(b, "{", f);
	put_opt_str(b, "ja3", f->ja3[0], f->ja3);
	put_opt_str(b, "ja3s", f->ja3s[0], f->ja3s);
	put_opt_str(b, "ja4", f->ja4[0], f->ja4);
	buf_putc(b, '}');
}

void json_format_handshake(struct buf *b, const struct handshake_record *h)
{
	const struct tls_client_hello *ch = h->ch;
	const struct tls_server_hello *sh = h->sh;
	const struct tls_facts *f = h->tls;

	buf_printf(b, "{\"type\":\"handshake\",\"ts\":%llu", (unsigned long long)h->ts);
	if (h->pid)
		buf_printf(b, ",\"pid\":%u", h->pid);
	else
		buf_puts(b, ",\"pid\":null");
	buf_puts(b, ",\"comm\":");
	if (h->comm)
		buf_put_json_str(b, h->comm, strnlen(h->comm, TASK_COMM_LEN));
	else
		buf_puts(b, "null");
	if (h->netns)
		buf_printf(b, ",\"netns\":%u", h->netns);
	else
		buf_puts(b, ",\"netns\":null");
	buf_printf(b, ",\"cgroup_id\":%llu", (unsigned long long)h->cgroup_id);
	put_opt_str(b, "iface", !!h->iface, h->iface);
	buf_puts(b, ",\"conn\":");
	put_conn(b, h->conn);
	put_facts(b, ",", f);
	buf_puts(b, ",\"alpn_offered\":[");
	for (unsigned int i = 0; ch && i < ch->n_alpn && i < HELLO_MAX_ALPN; i++) {
		if (i)
			buf_putc(b, ',');
		buf_put_json_str(b, ch->alpn[i].name, ch->alpn[i].len);
	}
	buf_putc(b, ']');
	if (ch) {
		put_codes(b, "versions_offered", ch->versions, ch->n_versions, tls_version_name);
		put_codes(b, "ciphers_offered", ch->ciphers, ch->n_ciphers, tls_cipher_name);
		put_codes(b, "groups_offered", ch->groups, ch->n_groups, tls_group_name);
		put_codes(b, "key_shares_offered", ch->key_shares, ch->n_key_shares,
			  tls_group_name);
		put_codes(b, "sig_algs", ch->sig_algs, ch->n_sig_algs, tls_sigalg_name);
		put_codes(b, "extensions", ch->exts, ch->n_exts, tls_ext_name);
		buf_printf(b, ",\"client_version\":\"0x%04x\"", ch->legacy_version);
	} else {
		buf_puts(b, ",\"versions_offered\":null,\"ciphers_offered\":null,"
			    "\"groups_offered\":null,\"key_shares_offered\":null,\"sig_algs\":null,"
			    "\"extensions\":null,\"client_version\":null");
	}
	if (sh)
		put_codes(b, "server_extensions", sh->exts, sh->n_exts, tls_ext_name);
	else
		buf_puts(b, ",\"server_extensions\":null");
	buf_printf(b, ",\"hrr\":%s", sh && sh->hrr ? "true" : "false");
	buf_printf(b, ",\"lists_truncated\":%s",
		   (ch && ch->truncated) || (sh && sh->truncated) ? "true" : "false");
	put_opt_str(b, "ja3", f->ja3[0] && ch, f->ja3);
	put_opt_str(b, "ja3_full", !!h->ja3_full, h->ja3_full);
	put_opt_str(b, "ja3s", f->ja3s[0] && sh, f->ja3s);
	put_opt_str(b, "ja3s_full", !!h->ja3s_full, h->ja3s_full);
	put_opt_str(b, "ja4", f->ja4[0] && ch, f->ja4);
	put_opt_str(b, "ja4_r", !!h->ja4_r, h->ja4_r);
	put_opt_str(b, "incomplete", !!h->incomplete, h->incomplete);
	buf_puts(b, "}\n");
}

/* `,"key":v` */
static void put_key_uint(struct buf *b, const char *key, uint64_t v)
{
	buf_puts(b, ",\"");
	buf_puts(b, key);
	buf_puts(b, "\":");
	buf_put_uint(b, v);
}

/* A string that may be absent (null); its length is given. */
static void put_strn_or_null(struct buf *b, const char *s, size_t n)
{
	if (s)
		buf_put_json_str(b, s, n);
	else
		buf_puts(b, "null");
}

/* The end of the connection a record is from: comm, netns, cgroup_id and conn. */
static void put_who(struct buf *b, const char *comm, uint32_t netns, uint64_t cgroup_id,
		    const struct conn_tuple *conn)
{
	buf_puts(b, ",\"comm\":");
	buf_put_json_str(b, comm, strnlen(comm, TASK_COMM_LEN));
	put_key_uint(b, "netns", netns);
	put_key_uint(b, "cgroup_id", cgroup_id);
	buf_puts(b, ",\"conn\":");
	put_conn(b, conn);
}

static void put_headers(struct buf *b, const char *key, const struct http_header *h, unsigned int n)
{
	buf_puts(b, ",\"");
	buf_puts(b, key);
	buf_puts(b, "\":{");
	for (unsigned int i = 0; i < n; i++) {
		if (i)
			buf_putc(b, ',');
		buf_put_json_str(b, h[i].name, h[i].name_len);
		buf_putc(b, ':');
		buf_put_json_str(b, h[i].value, h[i].value_len);
	}
	buf_putc(b, '}');
}

void json_format_http(struct buf *b, const struct http_record *h)
{
	buf_puts(b, "{\"type\":\"http\",\"ts\":");
	buf_put_uint(b, h->ts);
	put_key_uint(b, "pid", h->pid);
	put_who(b, h->comm, h->netns, h->cgroup_id, h->conn);
	buf_puts(b, ",\"protocol\":");
	put_str(b, h->protocol);
	buf_puts(b, ",\"method\":");
	put_strn_or_null(b, h->method, h->method_len);
	buf_puts(b, ",\"path\":");
	put_strn_or_null(b, h->path, h->path_len);
	put_key_uint(b, "status", h->status > 0 ? h->status : 0);
	put_key_uint(b, "latency_ns", h->latency_ns);
	put_headers(b, "req_headers", h->req_headers, h->n_req_headers);
	put_headers(b, "resp_headers", h->resp_headers, h->n_resp_headers);
	put_key_uint(b, "req_body_len", h->req_body_len);
	put_key_uint(b, "resp_body_len", h->resp_body_len);
	if (h->req_body_partial)
		buf_puts(b, ",\"req_body_partial\":true");
	if (h->req_body_kept) {
		buf_puts(b, ",\"req_body_preview\":\"");
		buf_put_base64(b, h->req_body, h->req_body_kept);
		buf_putc(b, '"');
	}
	if (h->resp_body_kept) {
		buf_puts(b, ",\"resp_body_preview\":\"");
		buf_put_base64(b, h->resp_body, h->resp_body_kept);
		buf_putc(b, '"');
	}
	if (h->grpc_status >= 0)
		put_key_uint(b, "grpc_status", h->grpc_status);
	if (h->grpc_message) {
		buf_puts(b, ",\"grpc_message\":");
		buf_put_json_str(b, h->grpc_message, h->grpc_message_len);
	}
	if (h->headers_truncated)
		buf_puts(b, ",\"headers_truncated\":true");
	if (h->redacted)
		buf_printf(b, ",\"redacted\":%u", h->redacted);
	put_tls(b, h->tls);
	buf_puts(b, "}\n");
}

void json_format_data(struct buf *b, const struct data_record *d)
{
	/* the busiest formatter: numbers without printf */
	buf_puts(b, "{\"type\":\"data\",\"ts\":");
	buf_put_uint(b, d->ts);
	put_key_uint(b, "pid", d->pid);
	put_key_uint(b, "tid", d->tid);
	put_who(b, d->comm, d->netns, d->cgroup_id, d->conn);
	if (d->fd >= 0) {
		put_key_uint(b, "fd", d->fd);
	} else {
		buf_puts(b, ",\"fd\":null");
	}
	buf_puts(b, ",\"attribution\":");
	put_str(b, attribution_name(d->attribution));
	buf_puts(b, ",\"lib\":");
	put_str(b, tls_lib_name(d->lib));
	buf_puts(b, d->dir == DIR_EGRESS ? ",\"dir\":\"egress\",\"len\":"
					 : ",\"dir\":\"ingress\",\"len\":");
	buf_put_uint(b, d->len);
	put_key_uint(b, "captured", d->captured);
	if (d->truncated)
		buf_printf(b, ",\"truncated\":\"%s\"",
			   d->truncated == TRUNC_LIMIT ? "max_capture" : "lost");
	if (d->redacted)
		buf_printf(b, ",\"redacted\":%u", d->redacted);
	put_tls(b, d->tls);
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
	buf_printf(b, ",\"correlated\":%llu", (unsigned long long)st->correlated);
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
	if (st->wire) {
		buf_printf(b,
			   ",\"handshakes\":{\"records\":%llu,\"join_ambiguous\":%llu,"
			   "\"join_evicted\":%llu,\"interfaces\":%u,\"interfaces_failed\":%u",
			   (unsigned long long)st->handshakes, (unsigned long long)st->hs_ambiguous,
			   (unsigned long long)st->hs_evicted, st->ifaces, st->ifaces_failed);
		for (int c = 0; c < HSF__MAX; c++)
			buf_printf(b, ",\"%s\":%llu", hsf_counter_name(c),
				   (unsigned long long)st->wire[c]);
		buf_putc(b, '}');
	}
	if (st->http) {
		buf_puts(b, ",\"http\":{");
		for (int c = 0; c < HTTP_C__MAX; c++)
			buf_printf(b, "%s\"%s\":%llu", c ? "," : "", http_counter_name(c),
				   (unsigned long long)st->http[c]);
		buf_putc(b, '}');
	}
	if (st->pcapng) {
		const struct pcapng_counters *p = st->pcapng;

		buf_printf(b,
			   ",\"pcapng\":{\"packets\":%llu,\"unattributed\":%llu,\"mirrored\":%llu,"
			   "\"h2_desync\":%llu,\"h2_oversize\":%llu,\"evicted\":%llu}",
			   (unsigned long long)p->packets, (unsigned long long)p->unattributed,
			   (unsigned long long)p->mirrored, (unsigned long long)p->h2_desync,
			   (unsigned long long)p->h2_oversize, (unsigned long long)p->evicted);
	}
	buf_printf(b,
		   ",\"processes\":{\"tls\":%u,\"untraced\":%u},\"probes_attached\":%llu,"
		   "\"probes_failed\":%llu,\"libraries\":[",
		   st->procs_tls, st->procs_untraced, (unsigned long long)st->probes_attached,
		   (unsigned long long)st->probes_failed);
	for (unsigned int i = 0; i < st->nlibs; i++) {
		buf_puts(b, i ? ",{\"path\":" : "{\"path\":");
		put_str(b, st->libs[i].path);
		buf_puts(b, ",\"lib\":");
		put_str(b, st->libs[i].lib);
		if (st->libs[i].linkage) {
			buf_puts(b, ",\"linkage\":");
			put_str(b, st->libs[i].linkage);
			buf_puts(b, ",\"version\":");
			put_str_or_null(b, st->libs[i].version);
		}
		buf_printf(b, ",\"traced\":%s,\"reason\":", st->libs[i].reason ? "false" : "true");
		put_str_or_null(b, st->libs[i].reason);
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
	else if (r->type == REC_HANDSHAKE)
		json_format_handshake(&s->b, r->hs);
	else if (r->type == REC_HTTP)
		json_format_http(&s->b, r->http);
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

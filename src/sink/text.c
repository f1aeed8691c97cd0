// SPDX-License-Identifier: MIT
/*
 * The live text view: a header line per TLS call, then its plaintext, indented. Mostly
 * printable payloads are shown as text with other bytes escaped; binary ones as a hex dump.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "sink/sink.h"
#include "wire/hsflow.h"
#include "util/addr.h"

#define C_DIM	"\033[2m"
#define C_OUT	"\033[36m"
#define C_IN	"\033[33m"
#define C_HS	"\033[35m"
#define C_RESET "\033[0m"

struct text_sink {
	struct sink_opts opts;
	struct buf b;
};

static int printable(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' || c == '\t';
}

static int plain(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f && c != '\\') || c == '\t';
}

static void put_text(struct buf *b, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	int bol = 1;
	size_t i = 0;

	while (i < n) {
		uint8_t c = p[i];
		size_t run;

		if (bol) {
			buf_puts(b, "    ");
			bol = 0;
		}
		if (plain(c)) {
			/* Copy the longest run that needs no escaping at once. */
			for (run = i + 1; run < n && plain(p[run]); run++)
				;
			buf_put(b, p + i, run - i);
			i = run;
			continue;
		}
		if (c == '\n') {
			buf_putc(b, '\n');
			bol = 1;
		} else if (c == '\r' && i + 1 < n && p[i + 1] == '\n') {
			/* CRLF prints as one line end */
		} else if (c == '\\') {
			buf_puts(b, "\\\\");
		} else {
			char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};

			buf_put(b, esc, 4);
		}
		i++;
	}
	if (!bol)
		buf_putc(b, '\n');
}

static void put_hex(struct buf *b, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t off = 0; off < n; off += 16) {
		size_t m = n - off < 16 ? n - off : 16;
		char line[16 * 3 + 2 + 16 + 1], *o = line;

		buf_printf(b, "    %06zx ", off);
		for (size_t i = 0; i < 16; i++) {
			*o++ = ' ';
			*o++ = i < m ? hex[p[off + i] >> 4] : ' ';
			*o++ = i < m ? hex[p[off + i] & 15] : ' ';
		}
		*o++ = ' ';
		*o++ = ' ';
		for (size_t i = 0; i < m; i++)
			*o++ = p[off + i] >= 0x20 && p[off + i] < 0x7f ? p[off + i] : '.';
		*o++ = '\n';
		buf_put(b, line, o - line);
	}
}

void text_format_data(struct buf *b, const struct data_record *d, int color)
{
	char local[ENDPOINT_STRLEN], remote[ENDPOINT_STRLEN];
	time_t secs = d->ts / 1000000000ull;
	size_t nprint = 0;
	struct tm tm;

	localtime_r(&secs, &tm);
	buf_printf(b, "%s%02d:%02d:%02d.%06llu%s %.*s[%u] %s%s%s ", color ? C_DIM : "", tm.tm_hour,
		   tm.tm_min, tm.tm_sec, (unsigned long long)(d->ts % 1000000000ull / 1000),
		   color ? C_RESET : "", TASK_COMM_LEN, d->comm, d->pid,
		   color ? (d->dir == DIR_EGRESS ? C_OUT : C_IN) : "",
		   d->dir == DIR_EGRESS ? "write" : "read ", color ? C_RESET : "");
	if (d->conn) {
		endpoint_format(local, d->conn->family, d->conn->laddr, d->conn->lport);
		endpoint_format(remote, d->conn->family, d->conn->raddr, d->conn->rport);
		buf_printf(b, "%s %s %s (%s, fd %d)", local, d->dir == DIR_EGRESS ? "->" : "<-",
			   remote, role_name(d->conn->role), d->fd);
	} else if (d->fd >= 0) {
		buf_printf(b, "fd %d (not a TCP socket)", d->fd);
	} else {
		buf_puts(b, "unattributed");
	}
	buf_printf(b, " %s %u B", tls_lib_name(d->lib), d->len);
	if (d->captured < d->len)
		buf_printf(b, " (%u captured, %s)", d->captured,
			   d->truncated == TRUNC_LOST ? "rest lost" : "--max-capture");
	if (d->redacted)
		buf_printf(b, " (%u secret%s redacted)", d->redacted, d->redacted > 1 ? "s" : "");
	buf_putc(b, '\n');
	for (size_t i = 0; i < d->captured; i++)
		nprint += printable(d->data[i]);
	/* Mostly text (HTTP/1, JSON, ...) reads better as text; the rest as a hex dump. */
	if (nprint * 10 >= (size_t)d->captured * 9)
		put_text(b, d->data, d->captured);
	else
		put_hex(b, d->data, d->captured);
}

static void put_name(struct buf *b, const char *name, uint16_t v)
{
	if (name)
		buf_puts(b, name);
	else
		buf_printf(b, "0x%04x", v);
}

/* One line: who, where, and what was negotiated. */
void text_format_handshake(struct buf *b, const struct handshake_record *h, int color)
{
	const struct tls_facts *f = h->tls;
	char local[ENDPOINT_STRLEN], remote[ENDPOINT_STRLEN];
	time_t secs = h->ts / 1000000000ull;
	struct tm tm;

	localtime_r(&secs, &tm);
	buf_printf(b, "%s%02d:%02d:%02d.%06llu%s ", color ? C_DIM : "", tm.tm_hour, tm.tm_min,
		   tm.tm_sec, (unsigned long long)(h->ts % 1000000000ull / 1000),
		   color ? C_RESET : "");
	if (h->pid)
		buf_printf(b, "%.*s[%u]", TASK_COMM_LEN, h->comm ? h->comm : "?", h->pid);
	else
		buf_puts(b, "-");
	endpoint_format(local, h->conn->family, h->conn->laddr, h->conn->lport);
	endpoint_format(remote, h->conn->family, h->conn->raddr, h->conn->rport);
	buf_printf(b, " %shandshake%s %s %s %s (%s", color ? C_HS : "", color ? C_RESET : "", local,
		   h->conn->role == ROLE_SERVER ? "<-" : "->", remote, role_name(h->conn->role));
	if (h->iface)
		buf_printf(b, ", %s", h->iface);
	buf_putc(b, ')');
	if (f->has_sni)
		buf_printf(b, " sni=%s", f->sni);
	if (f->have_server) {
		buf_putc(b, ' ');
		put_name(b, tls_version_name(f->version), f->version);
		buf_putc(b, ' ');
		put_name(b, tls_cipher_name(f->cipher), f->cipher);
		if (f->group) {
			buf_putc(b, ' ');
			put_name(b, tls_group_name(f->group), f->group);
		}
	}
	if (f->has_alpn)
		buf_printf(b, " alpn=%s%s", f->alpn,
			   f->alpn_source == ALPN_PLAINTEXT ? " (from plaintext)" : "");
	if (h->sh && h->sh->hrr)
		buf_puts(b, " (HelloRetryRequest)");
	if (h->ch)
		buf_printf(b, " ja4=%s ja3=%s", f->ja4, f->ja3);
	if (h->incomplete)
		buf_printf(b, " [incomplete: %s]", h->incomplete);
	buf_putc(b, '\n');
}

/* One line per request and response: who, which connection, what and how long. */
void text_format_http(struct buf *b, const struct http_record *h, int color)
{
	char local[ENDPOINT_STRLEN], remote[ENDPOINT_STRLEN];
	time_t secs = h->ts / 1000000000ull;
	struct tm tm;

	localtime_r(&secs, &tm);
	endpoint_format(local, h->conn->family, h->conn->laddr, h->conn->lport);
	endpoint_format(remote, h->conn->family, h->conn->raddr, h->conn->rport);
	buf_printf(b, "%s%02d:%02d:%02d.%06llu%s %.*s[%u] %shttp%s %s %s %s (%s) %s ",
		   color ? C_DIM : "", tm.tm_hour, tm.tm_min, tm.tm_sec,
		   (unsigned long long)(h->ts % 1000000000ull / 1000), color ? C_RESET : "",
		   TASK_COMM_LEN, h->comm, h->pid, color ? C_HS : "", color ? C_RESET : "", local,
		   h->conn->role == ROLE_SERVER ? "<-" : "->", remote, role_name(h->conn->role),
		   h->protocol);
	if (h->method)
		buf_printf(b, "%.*s %.*s", (int)h->method_len, h->method, (int)h->path_len,
			   h->path);
	else
		buf_puts(b, "(request not seen)");
	buf_printf(b, " -> %d, request body %llu B, response body %llu B, %.3f ms", h->status,
		   (unsigned long long)h->req_body_len, (unsigned long long)h->resp_body_len,
		   h->latency_ns / 1e6);
	if (h->grpc_status >= 0)
		buf_printf(b, " grpc-status=%d", h->grpc_status);
	if (h->grpc_message) {
		buf_puts(b, " grpc-message=");
		buf_put_json_str(b, h->grpc_message, h->grpc_message_len);
	}
	if (h->tls && h->tls->has_sni)
		buf_printf(b, " sni=%s", h->tls->sni);
	if (h->req_body_kept) {
		buf_puts(b, " request=");
		buf_put_json_str(b, (const char *)h->req_body, h->req_body_kept);
	}
	if (h->resp_body_kept) {
		buf_puts(b, " response=");
		buf_put_json_str(b, (const char *)h->resp_body, h->resp_body_kept);
	}
	buf_putc(b, '\n');
}

void text_format_stats(struct buf *b, const struct stats_record *st)
{
	uint64_t lost = st->lost_incomplete + st->lost_decode + st->lost_sink;

	for (int c = 0; c < CNT__MAX; c++)
		if (counter_is_loss(c) && c != CNT_LOST_BYTES && c != CNT_TRUNCATED_BYTES &&
		    c != CNT_TRUNCATED)
			lost += st->counters[c];
	buf_printf(b,
		   "tlsscope: stats: %llu records, %llu bytes, %llu calls (%llu returned no data), "
		   "%llu lost, %llu truncated by --max-capture, %llu integrity violations, "
		   "%llu unattributed, %llu probes on %u files, %u TLS processes (%u not traced)",
		   (unsigned long long)st->counters[CNT_EVENTS],
		   (unsigned long long)st->counters[CNT_BYTES],
		   (unsigned long long)st->counters[CNT_CALLS],
		   (unsigned long long)st->counters[CNT_CALLS_FAILED], (unsigned long long)lost,
		   (unsigned long long)st->counters[CNT_TRUNCATED],
		   (unsigned long long)st->counters[CNT_INTEGRITY],
		   (unsigned long long)st->counters[CNT_UNATTRIBUTED],
		   (unsigned long long)st->probes_attached, st->nlibs, st->procs_tls,
		   st->procs_untraced);
	if (st->wire) {
		static const enum hsf_counter gave_up[] = {HSF_GIVEUP_BYTES, HSF_GIVEUP_TIME,
							   HSF_EVICTED, HSF_NO_MEMORY};

		buf_printf(b, ", %llu handshakes on %u interface%s",
			   (unsigned long long)st->handshakes, st->ifaces,
			   st->ifaces == 1 ? "" : "s");
		for (size_t i = 0; i < sizeof(gave_up) / sizeof(gave_up[0]); i++)
			if (st->wire[gave_up[i]])
				buf_printf(b, " (%s %llu)", hsf_counter_name(gave_up[i]),
					   (unsigned long long)st->wire[gave_up[i]]);
	}
	if (st->http) {
		static const enum http_counter dropped[] = {HTTP_C_GAPS, HTTP_C_UNPAIRED,
							    HTTP_C_DROPPED_REQ, HTTP_C_EVICTED,
							    HTTP_C_H2_STREAMS_DROPPED};

		buf_printf(b, ", %llu http records", (unsigned long long)st->http[HTTP_C_RECORDS]);
		for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
			if (st->http[dropped[i]])
				buf_printf(b, " (%s %llu)", http_counter_name(dropped[i]),
					   (unsigned long long)st->http[dropped[i]]);
		if (st->http[HTTP_C_REDACT_MISSED])
			buf_printf(b, " (secrets not masked: %llu, split across calls)",
				   (unsigned long long)st->http[HTTP_C_REDACT_MISSED]);
	}
	if (st->pcapng) {
		const struct pcapng_counters *p = st->pcapng;

		buf_printf(b, ", pcapng %llu packets", (unsigned long long)p->packets);
		if (p->unattributed)
			buf_printf(b, " (unattributed not written %llu)",
				   (unsigned long long)p->unattributed);
		if (p->h2_desync || p->h2_oversize)
			buf_printf(b, " (h2 desync %llu, oversize %llu)",
				   (unsigned long long)p->h2_desync,
				   (unsigned long long)p->h2_oversize);
		if (p->evicted)
			buf_printf(b, " (evicted %llu)", (unsigned long long)p->evicted);
	}
	if (lost) {
		buf_puts(b, " [lost:");
		for (int c = 0; c < CNT__MAX; c++)
			if (counter_is_loss(c) && st->counters[c])
				buf_printf(b, " %s=%llu", counter_name(c),
					   (unsigned long long)st->counters[c]);
		if (st->lost_incomplete)
			buf_printf(b, " incomplete=%llu", (unsigned long long)st->lost_incomplete);
		if (st->lost_decode)
			buf_printf(b, " decode=%llu", (unsigned long long)st->lost_decode);
		if (st->lost_sink)
			buf_printf(b, " sink=%llu", (unsigned long long)st->lost_sink);
		buf_putc(b, ']');
	}
	buf_putc(b, '\n');
}

static void *text_open(const struct sink_opts *opts)
{
	struct text_sink *s = calloc(1, sizeof(*s));

	if (s)
		s->opts = *opts;
	return s;
}

static int text_write(void *sink, const struct record *r)
{
	struct text_sink *s = sink;
	FILE *f = r->type == REC_STATS ? s->opts.err : s->opts.out;

	/* HTTP streams are shown as one line per request; --data shows their chunks too */
	if (r->type == REC_DATA && r->data->app != APP_UNKNOWN && !s->opts.show_data)
		return 0;
	buf_reset(&s->b);
	if (r->type == REC_DATA)
		text_format_data(&s->b, r->data, s->opts.color);
	else if (r->type == REC_HANDSHAKE)
		text_format_handshake(&s->b, r->hs, s->opts.color);
	else if (r->type == REC_HTTP)
		text_format_http(&s->b, r->http, s->opts.color);
	else
		text_format_stats(&s->b, r->stats);
	if (s->b.oom)
		return -ENOMEM;
	if (fwrite(s->b.p, 1, s->b.len, f) != s->b.len)
		return -EIO;
	return 0;
}

static int text_flush(void *sink)
{
	struct text_sink *s = sink;

	fflush(s->opts.err);
	return fflush(s->opts.out) ? -errno : 0;
}

static void text_close(void *sink)
{
	struct text_sink *s = sink;

	if (!s)
		return;
	buf_free(&s->b);
	free(s);
}

const struct sink_ops text_sink_ops = {
	.name = "text",
	.open = text_open,
	.write = text_write,
	.flush = text_flush,
	.close = text_close,
};

// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "bytes.h"
#include "check.h"
#include "sink/sink.h"

#define PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

static const char http_req[] = "GET / HTTP/1.1\r\n\r\n";

static void le16(struct bytes *b, unsigned int v)
{
	put8(b, v);
	put8(b, v >> 8);
}

static void le32(struct bytes *b, uint32_t v)
{
	le16(b, v);
	le16(b, v >> 16);
}

static void be32(struct bytes *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b, v);
}

static struct conn_tuple v4_conn(void)
{
	struct conn_tuple c = {
		.laddr = {127, 0, 0, 1},
		.raddr = {127, 0, 0, 2},
		.lport = 50000,
		.rport = 443,
		.family = AF_INET,
		.role = ROLE_CLIENT,
	};

	return c;
}

/* The same connection seen from the server. */
static struct conn_tuple v4_server(void)
{
	struct conn_tuple c = {
		.laddr = {127, 0, 0, 2},
		.raddr = {127, 0, 0, 1},
		.lport = 443,
		.rport = 50000,
		.family = AF_INET,
		.role = ROLE_SERVER,
	};

	return c;
}

static struct data_record rec(const struct conn_tuple *conn, enum data_dir dir, const void *p,
			      size_t n)
{
	struct data_record d = {
		.ts = 1700000000123456789ull,
		.pid = 1234,
		.tid = 1235,
		.comm = guard_copy("curl", 5),
		.fd = 5,
		.attribution = ATTR_SYSCALL,
		.conn = conn,
		.lib = LIB_OPENSSL,
		.dir = dir,
		.len = n,
		.captured = n,
		.data = guard_copy(p, n),
	};

	return d;
}

TEST(pcapng_header_bytes)
{
	struct buf b = {0};
	struct bytes w = {0};

	pcapng_format_header(&b);
	le32(&w, 0x0a0d0d0a);
	le32(&w, 44);
	le32(&w, 0x1a2b3c4d);
	le16(&w, 1);
	le16(&w, 0);
	le32(&w, 0xffffffff);
	le32(&w, 0xffffffff);
	le16(&w, 4); /* shb_userappl */
	le16(&w, 8);
	put(&w, "tlsscope", 8);
	le32(&w, 0); /* opt_endofopt */
	le32(&w, 44);
	le32(&w, 1); /* IDB */
	le32(&w, 52);
	le16(&w, 252);
	le16(&w, 0);
	le32(&w, 0);
	le16(&w, 2); /* if_name */
	le16(&w, 13);
	put(&w, "tls-plaintext\0\0", 16);
	le16(&w, 9); /* if_tsresol: ns */
	le16(&w, 1);
	put(&w, "\x09\0\0", 4);
	le32(&w, 0);
	le32(&w, 52);
	CHECK(!b.oom);
	CHECK_MEM_EQ(b.p, b.len, w.p, w.n);
	buf_free(&b);
}

TEST(pcapng_packet_v4_bytes)
{
	struct conn_tuple c = v4_conn();
	struct data_record d = rec(&c, DIR_EGRESS, http_req, sizeof(http_req) - 1);
	static const char comment[] = "pid 1234 tid 1235 comm curl client write lib openssl fd 5";
	struct buf b = {0};
	struct bytes w = {0};

	pcapng_format_data(&b, &d, "http", NULL);
	le32(&w, 6);
	le32(&w, 28 + 52 + 20 + 4 + 60 + 4 + 4);
	le32(&w, 0);
	le32(&w, (uint32_t)(1700000000123456789ull >> 32));
	le32(&w, (uint32_t)1700000000123456789ull);
	le32(&w, 52 + 18);
	le32(&w, 52 + 18);
	put16(&w, 12); /* protocol name, its padding counted */
	put16(&w, 4);
	put(&w, "http", 4);
	put16(&w, 20);
	put16(&w, 4);
	put(&w, "\x7f\0\0\x01", 4);
	put16(&w, 21);
	put16(&w, 4);
	put(&w, "\x7f\0\0\x02", 4);
	put16(&w, 24);
	put16(&w, 4);
	be32(&w, 2); /* TCP */
	put16(&w, 25);
	put16(&w, 4);
	be32(&w, 50000);
	put16(&w, 26);
	put16(&w, 4);
	be32(&w, 443);
	put16(&w, 0);
	put16(&w, 0);
	put(&w, http_req, 18);
	put(&w, "\0\0", 2);
	le16(&w, 1);
	le16(&w, sizeof(comment) - 1);
	put(&w, comment, sizeof(comment) - 1);
	put(&w, "\0\0\0", 3);
	le32(&w, 0);
	le32(&w, 28 + 52 + 20 + 4 + 60 + 4 + 4);
	CHECK(!b.oom);
	CHECK_MEM_EQ(b.p, b.len, w.p, w.n);
	buf_free(&b);
}

/* The TLVs of a packet: the bytes between the EPB's lengths and the plaintext. */
static const uint8_t *pdu_of(const struct buf *b, size_t *n)
{
	*n = b->len - 28;
	return (const uint8_t *)b->p + 28;
}

TEST(pcapng_packet_v6_read_by_server)
{
	struct conn_tuple c = {
		.laddr = {0x20, 0x01, 0x0d, 0xb8, [15] = 1},
		.raddr = {[15] = 1},
		.lport = 8443,
		.rport = 40000,
		.family = AF_INET6,
		.role = ROLE_SERVER,
	};
	struct data_record d = rec(&c, DIR_INGRESS, "x", 1);
	struct buf b = {0};
	struct bytes w = {0};
	const uint8_t *p;
	size_t n;

	pcapng_format_data(&b, &d, "http2", NULL);
	put16(&w, 12);
	put16(&w, 8);
	put(&w, "http2\0\0\0", 8);
	put16(&w, 22); /* the peer sent it */
	put16(&w, 16);
	put(&w, c.raddr, 16);
	put16(&w, 23);
	put16(&w, 16);
	put(&w, c.laddr, 16);
	put16(&w, 24);
	put16(&w, 4);
	be32(&w, 2);
	put16(&w, 25);
	put16(&w, 4);
	be32(&w, 40000);
	put16(&w, 26);
	put16(&w, 4);
	be32(&w, 8443);
	put16(&w, 0);
	put16(&w, 0);
	put8(&w, 'x');
	p = pdu_of(&b, &n);
	CHECK(n > w.n);
	CHECK_MEM_EQ(p, w.n, w.p, w.n);
	buf_free(&b);
}

TEST(pcapng_packet_v4_mapped_is_v4)
{
	struct conn_tuple c = {
		.laddr = {[10] = 0xff, [11] = 0xff, 127, 0, 0, 1},
		.raddr = {[10] = 0xff, [11] = 0xff, 10, 1, 2, 3},
		.lport = 443,
		.rport = 40000,
		.family = AF_INET6,
		.role = ROLE_SERVER,
	};
	struct data_record d = rec(&c, DIR_EGRESS, "x", 1);
	struct buf b = {0};
	const uint8_t *p;
	size_t n;

	pcapng_format_data(&b, &d, "data", NULL);
	p = pdu_of(&b, &n);
	CHECK_MEM_EQ(p + 8, 16, "\0\x14\0\x04\x7f\0\0\x01\0\x15\0\x04\x0a\x01\x02\x03", 16);
	buf_free(&b);
}

/* The comment of a packet: the option after the padded packet data. */
static void comment_of(const struct buf *b, char *out, size_t max)
{
	const uint8_t *p = (const uint8_t *)b->p;
	uint32_t cap = p[20] | p[21] << 8 | p[22] << 16 | (uint32_t)p[23] << 24;
	size_t at = 28 + ((cap + 3) & ~3u);
	size_t n = p[at + 2] | p[at + 3] << 8;

	if (n >= max)
		n = max - 1;
	memcpy(out, p + at + 4, n);
	out[n] = 0;
}

TEST(pcapng_comment_truncated_redacted)
{
	struct conn_tuple c = v4_server();
	struct data_record d = rec(&c, DIR_INGRESS, "GET / HT", 8);
	struct buf b = {0};
	const uint8_t *p;
	char cm[256];

	d.comm = guard_copy("ngi\x01nx", 7);
	d.fd = -1;
	d.len = 4000;
	d.truncated = TRUNC_LIMIT;
	d.redacted = 2;
	pcapng_format_data(&b, &d, "http", "a note");
	comment_of(&b, cm, sizeof(cm));
	CHECK_STR_EQ(cm,
		     "pid 1234 tid 1235 comm ngi?nx server read lib openssl; call truncated: "
		     "8 of 4000 bytes captured (max-capture); 2 secret values redacted; a note");
	/* captured 52 + 8, original 52 + 4000 */
	p = (const uint8_t *)b.p;
	CHECK_EQ_U64(p[20] | p[21] << 8, 60);
	CHECK_EQ_U64(p[24] | p[25] << 8, 4052);
	buf_free(&b);
}

/* ---- the sink, through a file ---- */

struct pkt {
	char proto[16];
	char column[32];
	uint8_t src[4], dst[4];
	uint16_t sport, dport;
	uint8_t data[20000];
	uint32_t len, origlen;
	char comment[256];
};

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rdbe16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

/* Reads back the packets of an IPv4 file; returns how many, -1 if it is malformed. */
static int read_packets(const char *path, struct pkt *out, int max)
{
	static uint8_t f[1 << 20];
	FILE *fp = fopen(path, "r");
	size_t n, at = 0;
	int np = 0;

	if (!fp)
		return -1;
	n = fread(f, 1, sizeof(f), fp);
	fclose(fp);
	while (at + 12 <= n) {
		uint32_t type = rd32(f + at), len = rd32(f + at + 4);

		if (len < 12 || at + len > n || rd32(f + at + len - 4) != len)
			return -1;
		if (type == 6) {
			const uint8_t *p = f + at + 28, *t = p;
			uint32_t cap = rd32(f + at + 20), orig = rd32(f + at + 24);
			struct pkt *k = &out[np];
			const uint8_t *o;

			if (np == max)
				return -1;
			memset(k, 0, sizeof(*k));
			for (;;) {
				uint16_t tag = rdbe16(t), tl = rdbe16(t + 2);

				if (tag == 12)
					memcpy(k->proto, t + 4, tl < 15 ? tl : 15);
				else if (tag == 33)
					memcpy(k->column, t + 4, tl < 31 ? tl : 31);
				else if (tag == 20)
					memcpy(k->src, t + 4, 4);
				else if (tag == 21)
					memcpy(k->dst, t + 4, 4);
				else if (tag == 25)
					k->sport = rdbe16(t + 6);
				else if (tag == 26)
					k->dport = rdbe16(t + 6);
				t += 4 + tl;
				if (!tag)
					break;
			}
			k->len = cap - (t - p);
			k->origlen = orig - (t - p);
			if (k->len > sizeof(k->data))
				return -1;
			memcpy(k->data, t, k->len);
			o = p + ((cap + 3) & ~3u);
			if (rdbe16(o) != 0x0100) /* opt_comment, little-endian 1 */
				return -1;
			memcpy(k->comment, o + 4, o[2] < 255 ? o[2] : 255);
			np++;
		}
		at += len;
	}
	return at == n ? np : -1;
}

struct sink_run {
	char path[64];
	void *s;
};

static void run_open(struct sink_run *r)
{
	struct sink_opts o = {.path = r->path};

	strcpy(r->path, "/tmp/tlsscope-test-pcapng.XXXXXX");
	close(mkstemp(r->path));
	r->s = pcapng_sink_ops.open(&o);
}

static int run_write(struct sink_run *r, const struct data_record *d)
{
	struct record rr = {.type = REC_DATA, .data = d};

	return pcapng_sink_ops.write(r->s, &rr);
}

/* Closes the sink and reads the file back. */
static int run_close(struct sink_run *r, struct pkt *out, int max)
{
	int n;

	pcapng_sink_ops.close(r->s);
	n = read_packets(r->path, out, max);
	unlink(r->path);
	return n;
}

static struct pkt pk[16];

TEST(sink_file_private_and_header_first)
{
	struct sink_run r;
	struct stat st;
	struct buf b = {0};
	uint8_t head[96];
	FILE *f;

	run_open(&r);
	if (!CHECK(r.s))
		return;
	CHECK(!chmod(r.path, 0644));
	pcapng_sink_ops.close(r.s);
	r.s = pcapng_sink_ops.open(&(struct sink_opts){.path = r.path});
	CHECK(!stat(r.path, &st));
	CHECK_EQ_U64(st.st_mode & 0777, 0600);
	f = fopen(r.path, "r");
	CHECK(f && fread(head, 1, sizeof(head), f) == sizeof(head));
	if (f)
		fclose(f);
	pcapng_format_header(&b);
	CHECK_MEM_EQ(head, sizeof(head), b.p, b.len);
	buf_free(&b);
	CHECK_EQ_U64(run_close(&r, pk, 16), 0);
}

TEST(sink_unattributed_counted_not_written)
{
	struct sink_run r;
	struct data_record d = rec(NULL, DIR_EGRESS, http_req, 18);
	struct pcapng_counters cnt;

	run_open(&r);
	CHECK_EQ_U64(run_write(&r, &d), 0);
	pcapng_sink_counters(r.s, &cnt);
	CHECK_EQ_U64(cnt.unattributed, 1);
	CHECK_EQ_U64(cnt.packets, 0);
	CHECK_EQ_U64(run_close(&r, pk, 16), 0);
}

TEST(sink_http1_other_end_is_data)
{
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	struct conn_tuple cc = v4_conn(), sc = v4_server();
	struct data_record c1 = rec(&cc, DIR_EGRESS, http_req, 18);
	struct data_record s1 = rec(&sc, DIR_INGRESS, http_req, 18);
	struct data_record s2 = rec(&sc, DIR_EGRESS, resp, sizeof(resp) - 1);
	struct data_record c2 = rec(&cc, DIR_INGRESS, resp, sizeof(resp) - 1);
	struct pcapng_counters cnt;
	struct sink_run r;

	s1.pid = s2.pid = 99;
	s1.comm = s2.comm = "nginx";
	run_open(&r);
	CHECK_EQ_U64(run_write(&r, &c1), 0);
	CHECK_EQ_U64(run_write(&r, &s1), 0);
	CHECK_EQ_U64(run_write(&r, &s2), 0);
	CHECK_EQ_U64(run_write(&r, &c2), 0);
	pcapng_sink_counters(r.s, &cnt);
	CHECK_EQ_U64(cnt.mirrored, 2);
	CHECK_EQ_U64(cnt.packets, 4);
	if (!CHECK_EQ_U64(run_close(&r, pk, 16), 4))
		return;
	CHECK_STR_EQ(pk[0].proto, "http");
	CHECK_MEM_EQ(pk[0].src, 4, "\x7f\0\0\x01", 4);
	CHECK_EQ_U64(pk[0].sport, 50000);
	CHECK_EQ_U64(pk[0].dport, 443);
	CHECK_STR_EQ(pk[0].column, "");
	CHECK_STR_EQ(pk[1].proto, "data");
	CHECK_STR_EQ(pk[1].column, "TLS other end");
	CHECK_MEM_EQ(pk[1].src, 4, "\x7f\0\0\x01", 4);
	CHECK_EQ_U64(pk[1].sport, 50000);
	CHECK_STR_EQ(pk[1].comment, "pid 99 tid 1235 comm nginx server read lib openssl fd 5; "
				    "other end of pid 1234 (curl), dissected there");
	CHECK_STR_EQ(pk[2].proto, "data");
	CHECK_EQ_U64(pk[2].sport, 443);
	CHECK_STR_EQ(pk[3].proto, "http");
	CHECK_MEM_EQ(pk[3].src, 4, "\x7f\0\0\x02", 4);
	CHECK_MEM_EQ(pk[3].data, pk[3].len, resp, sizeof(resp) - 1);
}

TEST(sink_unknown_stream_is_data)
{
	struct conn_tuple cc = v4_conn();
	struct data_record d = rec(&cc, DIR_EGRESS, "\x16hello", 6);
	struct sink_run r;

	run_open(&r);
	CHECK_EQ_U64(run_write(&r, &d), 0);
	if (!CHECK_EQ_U64(run_close(&r, pk, 16), 1))
		return;
	CHECK_STR_EQ(pk[0].proto, "data");
	CHECK_STR_EQ(pk[0].column, "TLS plaintext");
}

static void frame(struct bytes *b, unsigned int type, unsigned int sid, const void *p, size_t n)
{
	put8(b, n >> 16);
	put16(b, n);
	put8(b, type);
	put8(b, type == 1 ? 5 : 0);
	be32(b, sid);
	if (n)
		put(b, p, n);
}

TEST(sink_h2_frames_cut_at_boundaries)
{
	struct conn_tuple cc = v4_conn();
	struct bytes s = {0};
	struct sink_run r;
	struct data_record d1, d2, d3;
	size_t f1;

	put(&s, PREFACE, 24);
	frame(&s, 4, 0, NULL, 0);
	f1 = s.n;
	frame(&s, 1, 1, "\x82\x87\x84", 3);
	frame(&s, 1, 3, "\x82\x87\x84", 3);
	/* call 1 ends 5 bytes into the first HEADERS frame, call 2 4 bytes into the second */
	d1 = rec(&cc, DIR_EGRESS, s.p, f1 + 5);
	d2 = rec(&cc, DIR_EGRESS, s.p + f1 + 5, 12 + 4 - 5);
	d3 = rec(&cc, DIR_EGRESS, s.p + f1 + 16, s.n - f1 - 16);
	run_open(&r);
	CHECK_EQ_U64(run_write(&r, &d1), 0);
	CHECK_EQ_U64(run_write(&r, &d2), 0);
	CHECK_EQ_U64(run_write(&r, &d3), 0);
	if (!CHECK_EQ_U64(run_close(&r, pk, 16), 3))
		return;
	CHECK_STR_EQ(pk[0].proto, "http2");
	CHECK_MEM_EQ(pk[0].data, pk[0].len, s.p, f1);
	CHECK_MEM_EQ(pk[1].data, pk[1].len, s.p + f1, 12);
	CHECK_STR_EQ(pk[1].comment, "pid 1234 tid 1235 comm curl client write lib openssl fd 5; "
				    "frame begun in earlier calls");
	CHECK_MEM_EQ(pk[2].data, pk[2].len, s.p + f1 + 12, 12);
}

TEST(sink_h2_preface_split_and_close_flushes)
{
	struct conn_tuple cc = v4_conn();
	struct bytes s = {0};
	struct sink_run r;
	struct data_record d1, d2;

	put(&s, PREFACE, 24);
	frame(&s, 4, 0, NULL, 0);
	d1 = rec(&cc, DIR_EGRESS, s.p, 10);
	d2 = rec(&cc, DIR_EGRESS, s.p + 10, s.n - 10 - 3); /* the SETTINGS frame misses 3 */
	run_open(&r);
	CHECK_EQ_U64(run_write(&r, &d1), 0);
	CHECK_EQ_U64(run_write(&r, &d2), 0);
	if (!CHECK_EQ_U64(run_close(&r, pk, 16), 2))
		return;
	CHECK_STR_EQ(pk[0].proto, "http2");
	CHECK_MEM_EQ(pk[0].data, pk[0].len, PREFACE, 24);
	CHECK_STR_EQ(pk[1].proto, "data");
	CHECK_MEM_EQ(pk[1].data, pk[1].len, s.p + 24, 6);
	CHECK_STR_EQ(pk[1].comment, "pid 1234 tid 1235 comm curl client write lib openssl fd 5; "
				    "incomplete http2 frame at the end of the capture");
}

TEST(sink_h2_gap_follows_frame_lengths)
{
	struct conn_tuple sc = v4_server();
	static uint8_t body[1000];
	struct bytes s = {0};
	struct sink_run r;
	struct data_record d0, d1, d2, d3;
	struct pcapng_counters cnt;

	frame(&s, 4, 0, NULL, 0);
	frame(&s, 0, 1, body, sizeof(body));
	frame(&s, 0, 1, "end", 3);
	d0 = rec(&sc, DIR_INGRESS, PREFACE, 24);
	/* SETTINGS and 100 bytes of DATA, 200 more not captured; then the rest of the frame */
	d1 = rec(&sc, DIR_EGRESS, s.p, 9 + 109);
	d1.len = 9 + 109 + 200;
	d1.truncated = TRUNC_LIMIT;
	d2 = rec(&sc, DIR_EGRESS, s.p + 9 + 309, s.n - 9 - 309);
	/* a gap where a frame would start: no more frames in that direction */
	d3 = rec(&sc, DIR_EGRESS, "\0\0\x03\0\0", 5);
	d3.len = 20;
	d3.truncated = TRUNC_LIMIT;
	run_open(&r);
	CHECK_EQ_U64(run_write(&r, &d0), 0);
	CHECK_EQ_U64(run_write(&r, &d1), 0);
	CHECK_EQ_U64(run_write(&r, &d2), 0);
	CHECK_EQ_U64(run_write(&r, &d3), 0);
	CHECK_EQ_U64(run_write(&r, &d3), 0);
	pcapng_sink_counters(r.s, &cnt);
	CHECK_EQ_U64(cnt.h2_desync, 1);
	if (!CHECK_EQ_U64(run_close(&r, pk, 16), 7))
		return;
	CHECK_STR_EQ(pk[0].proto, "http2"); /* the preface */
	CHECK_STR_EQ(pk[1].proto, "http2"); /* SETTINGS */
	CHECK_EQ_U64(pk[1].len, 9);
	CHECK_STR_EQ(pk[2].proto, "http2"); /* DATA cut: 109 of 1009 */
	CHECK_EQ_U64(pk[2].len, 109);
	CHECK_EQ_U64(pk[2].origlen, 1009);
	CHECK_STR_EQ(pk[3].proto, "data"); /* the rest of it: 700 bytes */
	CHECK_EQ_U64(pk[3].len, 700);
	CHECK_STR_EQ(pk[4].proto, "http2"); /* the next frame, whole */
	CHECK_MEM_EQ(pk[4].data, pk[4].len, s.p + 1018, 12);
	CHECK_STR_EQ(pk[5].proto, "data"); /* a frame header the gap cut */
	CHECK_EQ_U64(pk[5].len, 5);
	CHECK_EQ_U64(pk[5].origlen, 5);
	CHECK_STR_EQ(pk[6].proto, "data");
	CHECK_STR_EQ(pk[6].comment, "pid 1234 tid 1235 comm curl server write lib openssl fd 5; "
				    "call truncated: 5 of 20 bytes captured (max-capture); "
				    "http2 framing lost earlier in this direction");
}

TEST(sink_h2_oversize_frame_cut)
{
	struct conn_tuple cc = v4_conn();
	static uint8_t big[20000];
	struct bytes s = {0};
	struct sink_run r;
	struct data_record d1, d2;
	struct pcapng_counters cnt;

	put(&s, PREFACE, 24);
	put8(&s, 0);
	put16(&s, sizeof(big)); /* a 20000-byte DATA frame: longer than the bound */
	put8(&s, 0);
	put8(&s, 0);
	be32(&s, 1);
	put(&s, big, 3000);
	d1 = rec(&cc, DIR_EGRESS, s.p, 24 + 5);
	d2 = rec(&cc, DIR_EGRESS, s.p + 29, s.n - 29);
	run_open(&r);
	CHECK_EQ_U64(run_write(&r, &d1), 0);
	CHECK_EQ_U64(run_write(&r, &d2), 0);
	pcapng_sink_counters(r.s, &cnt);
	CHECK_EQ_U64(cnt.h2_oversize, 1);
	if (!CHECK_EQ_U64(run_close(&r, pk, 16), 2))
		return;
	CHECK_STR_EQ(pk[0].proto, "http2");
	CHECK_STR_EQ(pk[1].proto, "http2");
	CHECK_EQ_U64(pk[1].len, 3009);
	CHECK_EQ_U64(pk[1].origlen, 20009);
}

/* ---- tshark, when it is installed ---- */

/* HPACK: a literal with incremental indexing, the name by static index. */
static void hp_lit(struct bytes *b, unsigned int idx, const char *v)
{
	put8(b, 0x40 | idx);
	put8(b, strlen(v));
	put(b, v, strlen(v));
}

static int run_tshark(const char *path, const char *args, char *out, size_t max)
{
	char cmd[512];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "tshark -r %s %s 2>/dev/null", path, args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(out, 1, max - 1, p);
	out[n] = 0;
	return pclose(p);
}

TEST(tshark_dissects_http1_and_http2)
{
	struct conn_tuple c1 = v4_conn(), c2 = v4_conn();
	struct bytes req = {0}, h1 = {0}, h2 = {0}, s = {0};
	struct data_record d[8];
	struct sink_run r;
	char out[4096];
	size_t cut;

	if (system("tshark -v >/dev/null 2>&1")) {
		fprintf(stderr, "tshark_dissects_http1_and_http2: no tshark, skipped\n");
		return;
	}
	c2.lport = 50002;
	/* HTTP/2: the second request's headers come from the dynamic table of the first */
	put(&h1, "\x82\x87", 2);
	hp_lit(&h1, 4, "/first");
	hp_lit(&h1, 1, "localhost");
	put(&h2, "\x82\x87\xbe\xbf", 4);
	put(&s, PREFACE, 24);
	frame(&s, 4, 0, NULL, 0);
	frame(&s, 1, 1, h1.p, h1.n);
	cut = s.n - 4;
	frame(&s, 1, 3, h2.p, h2.n);
	put(&req, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok", 50);
	d[0] = rec(&c2, DIR_EGRESS, s.p, cut);
	d[1] = rec(&c1, DIR_EGRESS, req.p, req.n);
	d[2] = rec(&c2, DIR_EGRESS, s.p + cut, s.n - cut);
	run_open(&r);
	for (int i = 0; i < 3; i++)
		CHECK_EQ_U64(run_write(&r, &d[i]), 0);
	pcapng_sink_ops.close(r.s);
	CHECK_EQ_U64(run_tshark(r.path,
				"-Y 'http.request || http2.type == 1' -T fields -e frame.number "
				"-e ip.src -e exported_pdu.src_port -e http.request.method "
				"-e http.request.uri -e http2.headers.method -e http2.headers.path "
				"-e http2.headers.authority",
				out, sizeof(out)),
		     0);
	/* frame 1 is the preface and SETTINGS; frame 3 the HEADERS frame call 3 completed */
	CHECK_STR_EQ(out, "2\t127.0.0.1\t50000\tPOST\t/up\t\t\t\n"
			  "3\t127.0.0.1\t50002\t\t\tGET\t/first\tlocalhost\n"
			  "4\t127.0.0.1\t50002\t\t\tGET\t/first\tlocalhost\n");
	CHECK_EQ_U64(run_tshark(r.path, "-T fields -e frame.comment -Y frame.number==2", out,
				sizeof(out)),
		     0);
	CHECK_STR_EQ(out, "pid 1234 tid 1235 comm curl client write lib openssl fd 5\n");
	unlink(r.path);
}

// SPDX-License-Identifier: MIT
/*
 * handshake.c and the handshake formatters: which end a record is told from, the join of
 * data records to wire flows by 5-tuple and namespace, ALPN from plaintext, and the exact
 * JSON and text of a known handshake.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "handshake.h"
#include "sink/sink.h"

#define HOST_NS 4026531840u
#define CONT_NS 4026532999u

static struct tls_client_hello ch;
static struct tls_server_hello sh;

static void hellos(uint16_t version, int alpn_on_wire)
{
	static const uint16_t ciphers[] = {0x1302, 0x1301, 0x0a0a};
	static const uint16_t exts[] = {0x0000, 0x0010, 0x002b, 0x000a, 0x0033, 0x000d};

	memset(&ch, 0, sizeof(ch));
	memset(&sh, 0, sizeof(sh));
	ch.legacy_version = 0x0303;
	memcpy(ch.ciphers, ciphers, sizeof(ciphers));
	ch.n_ciphers = 3;
	memcpy(ch.exts, exts, sizeof(exts));
	ch.n_exts = 6;
	ch.versions[0] = 0x0304;
	ch.versions[1] = 0x0303;
	ch.n_versions = 2;
	ch.groups[0] = 0x001d;
	ch.groups[1] = 0x11ec;
	ch.n_groups = 2;
	ch.key_shares[0] = 0x11ec;
	ch.n_key_shares = 1;
	ch.sig_algs[0] = 0x0403;
	ch.n_sig_algs = 1;
	ch.has_sni = 1;
	ch.sni_len = 11;
	strcpy(ch.sni, "api.example");
	ch.n_alpn = 2;
	ch.alpn[0].len = 2;
	strcpy(ch.alpn[0].name, "h2");
	ch.alpn[1].len = 8;
	strcpy(ch.alpn[1].name, "http/1.1");
	sh.legacy_version = 0x0303;
	sh.version = version;
	sh.cipher = 0x1302;
	sh.key_share = version == 0x0304 ? 0x11ec : 0;
	sh.n_exts = 2;
	sh.exts[0] = 0x002b;
	sh.exts[1] = 0x0033;
	if (alpn_on_wire) {
		sh.has_alpn = 1;
		sh.alpn.len = 2;
		strcpy(sh.alpn.name, "h2");
	}
}

/* client 10.0.0.2:50522 -> server 10.0.0.1:443, seen on ifindex with these namespaces */
static struct hsf_result result(struct seg_meta *cm, struct seg_meta *sm)
{
	struct hsf_result r = {
		.reason = HSF_DONE,
		.ts = 1000,
		.family = AF_INET,
		.caddr = {10, 0, 0, 2},
		.saddr = {10, 0, 0, 1},
		.cport = 50522,
		.sport = 443,
		.ch_status = HELLO_DONE,
		.sh_status = HELLO_DONE,
		.ch = &ch,
		.sh = &sh,
		.cmeta = cm,
		.smeta = sm,
	};

	return r;
}

static struct conn_tuple end(int client)
{
	struct conn_tuple t = {.family = AF_INET, .lport = 50522, .rport = 443};

	memcpy(t.laddr, (uint8_t[]){10, 0, 0, 2}, 4);
	memcpy(t.raddr, (uint8_t[]){10, 0, 0, 1}, 4);
	if (!client) {
		struct conn_tuple s = t;

		memcpy(s.laddr, t.raddr, 16);
		memcpy(s.raddr, t.laddr, 16);
		s.lport = 443;
		s.rport = 50522;
		return s;
	}
	return t;
}

/* What the emit callback saw; the record's pointers die when it returns. */
struct sinkbuf {
	struct buf b, text;
	unsigned int n;
	struct handshake_record last;
	struct conn_tuple conn;
	char comm[16];
	int had_comm;
};

static void collect(void *ctx, const struct handshake_record *h)
{
	struct sinkbuf *s = ctx;

	s->n++;
	s->last = *h;
	s->conn = *h->conn;
	s->last.conn = &s->conn;
	memset(s->comm, 0, sizeof(s->comm));
	s->had_comm = h->comm != NULL;
	if (h->comm)
		memcpy(s->comm, h->comm, strnlen(h->comm, 15));
	buf_reset(&s->b);
	json_format_handshake(&s->b, h);
	buf_putc(&s->b, 0);
	buf_reset(&s->text);
	text_format_handshake(&s->text, h, 0);
	buf_putc(&s->text, 0);
}

TEST(record_told_from_the_client_with_a_process)
{
	struct sinkbuf s = {0};
	struct hsjoin *j = hsjoin_new(16, 0, collect, &s);
	struct seg_meta cm = {.pid = 42,
			      .comm = "curl",
			      .sk_netns = HOST_NS,
			      .dev_netns = HOST_NS,
			      .ifindex = 1,
			      .egress = 1};
	struct seg_meta sm = {.pid = 7,
			      .comm = "nginx",
			      .sk_netns = HOST_NS,
			      .dev_netns = HOST_NS,
			      .ifindex = 1,
			      .egress = 1};
	struct hsf_result r = result(&cm, &sm);

	hellos(0x0303, 1);
	hsjoin_result(j, &r, 5, "lo", 0);
	if (!CHECK_EQ_U64(s.n, 1))
		goto out;
	CHECK_EQ_U64(s.last.pid, 42);
	CHECK_STR_EQ(s.comm, "curl");
	CHECK_EQ_U64(s.last.ts, 1005);
	CHECK_EQ_U64(s.conn.role, ROLE_CLIENT);
	CHECK_EQ_U64(s.conn.lport, 50522);
	CHECK(s.last.incomplete == NULL);
	/* the client's end is unknown: the server's is told */
	cm.pid = 0;
	hsjoin_result(j, &r, 5, "lo", 0);
	CHECK_EQ_U64(s.last.pid, 7);
	CHECK_EQ_U64(s.conn.role, ROLE_SERVER);
	CHECK_EQ_U64(s.conn.lport, 443);
	/* nobody known: the client's view, no process */
	sm.pid = 0;
	cm.sk_netns = sm.sk_netns = 0;
	hsjoin_result(j, &r, 5, "lo", 0);
	CHECK_EQ_U64(s.last.pid, 0);
	CHECK(!s.had_comm);
	CHECK_EQ_U64(s.conn.role, ROLE_CLIENT);
	CHECK_EQ_U64(s.last.netns, HOST_NS); /* the interface's */
out:
	hsjoin_free(j);
	buf_free(&s.b);
	buf_free(&s.text);
}

TEST(join_by_tuple_and_namespace)
{
	struct sinkbuf s = {0};
	struct hsjoin *j = hsjoin_new(16, 0, collect, &s);
	/* the same tuple twice: on lo of the host, and on a veth into a container */
	struct seg_meta lo = {.dev_netns = HOST_NS, .ifindex = 1};
	struct seg_meta veth = {.dev_netns = HOST_NS, .peer_netns = CONT_NS, .ifindex = 9};
	struct hsf_result r1 = result(&lo, &lo), r2 = result(&veth, &veth);
	struct conn_tuple c = end(1), srv = end(0);
	const struct tls_facts *f;
	struct hsjoin_stats st;

	hellos(0x0303, 1);
	strcpy(ch.sni, "host.example");
	hsjoin_result(j, &r1, 0, "lo", 0);
	strcpy(ch.sni, "container.example");
	hsjoin_result(j, &r2, 0, "veth9", 0);
	f = hsjoin_lookup(j, HOST_NS, &c, 1, "a", NULL, 0, DIR_EGRESS);
	if (CHECK(f))
		CHECK_STR_EQ(f->sni, "host.example");
	f = hsjoin_lookup(j, CONT_NS, &srv, 2, "b", NULL, 0, DIR_INGRESS);
	if (CHECK(f))
		CHECK_STR_EQ(f->sni, "container.example");
	/* another namespace: no flow fits, nothing is guessed */
	CHECK(!hsjoin_lookup(j, 12345, &c, 3, "c", NULL, 0, DIR_EGRESS));
	/* a different port: no match */
	c.lport++;
	CHECK(!hsjoin_lookup(j, HOST_NS, &c, 1, "a", NULL, 0, DIR_EGRESS));
	hsjoin_stats(j, &st);
	CHECK_EQ_U64(st.joined, 2);
	CHECK_EQ_U64(st.ambiguous, 0);
	hsjoin_free(j);
	buf_free(&s.b);
	buf_free(&s.text);
}

TEST(join_tie_is_not_guessed)
{
	struct sinkbuf s = {0};
	struct hsjoin *j = hsjoin_new(16, 0, collect, &s);
	/* two interfaces of the host, neither telling the socket: equally good */
	struct seg_meta a = {.dev_netns = HOST_NS, .ifindex = 5};
	struct seg_meta b = {.dev_netns = HOST_NS, .ifindex = 6};
	struct hsf_result r1 = result(&a, &a), r2 = result(&b, &b);
	struct conn_tuple c = end(1);
	struct hsjoin_stats st;

	hellos(0x0303, 0);
	hsjoin_result(j, &r1, 0, "e5", 0);
	hsjoin_result(j, &r2, 0, "e6", 0);
	CHECK(!hsjoin_lookup(j, HOST_NS, &c, 1, "a", NULL, 0, DIR_EGRESS));
	hsjoin_stats(j, &st);
	CHECK_EQ_U64(st.ambiguous, 1);
	/* the socket seen in the namespace wins over both */
	a.sk_netns = HOST_NS;
	hsjoin_result(j, &r1, 0, "e5", 0); /* same tuple and interface: replaces the old one */
	CHECK(hsjoin_lookup(j, HOST_NS, &c, 1, "a", NULL, 0, DIR_EGRESS));
	hsjoin_free(j);
	buf_free(&s.b);
	buf_free(&s.text);
}

TEST(tls13_alpn_learned_from_plaintext)
{
	struct sinkbuf s = {0};
	struct hsjoin *j = hsjoin_new(16, 1000, collect, &s);
	struct seg_meta lo = {.dev_netns = HOST_NS, .ifindex = 1};
	struct hsf_result r = result(&lo, &lo);
	struct conn_tuple c = end(1);
	const struct tls_facts *f;
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

	hellos(0x0304, 0);
	hsjoin_result(j, &r, 0, "lo", 100);
	CHECK_EQ_U64(s.n, 0); /* waits for plaintext */
	hsjoin_tick(j, 500);
	CHECK_EQ_U64(s.n, 0);
	f = hsjoin_lookup(j, HOST_NS, &c, 42, "curl", (const uint8_t *)preface, sizeof(preface) - 1,
			  DIR_EGRESS);
	if (!CHECK(f) || !CHECK_EQ_U64(s.n, 1))
		goto out;
	CHECK_STR_EQ(f->alpn, "h2");
	CHECK_EQ_U64(f->alpn_source, ALPN_PLAINTEXT);
	/* the waiting record learned the process from the plaintext's end */
	CHECK_EQ_U64(s.last.pid, 42);
	CHECK_STR_EQ(s.comm, "curl");
	CHECK(strstr(s.b.p, "\"alpn\":\"h2\",\"alpn_source\":\"plaintext\""));
	/* no plaintext in time: the record goes out without an ALPN */
	hsjoin_result(j, &r, 0, "lo", 2000);
	hsjoin_tick(j, 2999);
	CHECK_EQ_U64(s.n, 1);
	hsjoin_tick(j, 3000);
	CHECK_EQ_U64(s.n, 2);
	CHECK(strstr(s.b.p, "\"alpn\":null,\"alpn_source\":null"));
out:
	hsjoin_free(j);
	buf_free(&s.b);
	buf_free(&s.text);
}

TEST(alpn_from_plaintext_only_when_offered)
{
	unsigned int all = OFFERED_H2 | OFFERED_HTTP11 | OFFERED_HTTP10;
	static const uint8_t settings[] = {0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100};
	static const char req[] = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char req10[] = "HEAD / HTTP/1.0\r\n\r\n";

	CHECK_STR_EQ(alpn_from_plaintext(all, (const uint8_t *)req, sizeof(req) - 1, 1),
		     "http/1.1");
	CHECK(!alpn_from_plaintext(OFFERED_H2, (const uint8_t *)req, sizeof(req) - 1, 1));
	CHECK_STR_EQ(alpn_from_plaintext(all, (const uint8_t *)req10, sizeof(req10) - 1, 1),
		     "http/1.0");
	CHECK_STR_EQ(alpn_from_plaintext(all, settings, sizeof(settings), 0), "h2");
	CHECK(!alpn_from_plaintext(OFFERED_HTTP11, settings, sizeof(settings), 0));
	CHECK_STR_EQ(alpn_from_plaintext(all, (const uint8_t *)"HTTP/1.1 200 OK\r\n", 17, 0),
		     "http/1.1");
	CHECK(!alpn_from_plaintext(all, (const uint8_t *)"GET", 3, 1));
	CHECK(!alpn_from_plaintext(all, (const uint8_t *)"hello world\n", 12, 1));
	CHECK(!alpn_from_plaintext(all, NULL, 0, 0));
}

TEST(json_and_text_of_a_known_handshake)
{
	struct sinkbuf s = {0};
	struct hsjoin *j = hsjoin_new(16, 0, collect, &s);
	struct seg_meta cm = {.pid = 42,
			      .comm = "curl",
			      .sk_netns = HOST_NS,
			      .dev_netns = HOST_NS,
			      .cgroup_id = 9,
			      .ifindex = 1,
			      .egress = 1};
	struct hsf_result r = result(&cm, NULL);
	hellos(0x0304, 0);
	ch.groups[2] = 0x1234; /* unknown: shown as hex */
	ch.n_groups = 3;
	hsjoin_result(j, &r, 1763870000000000000ull, "lo", 0);
	if (!CHECK_EQ_U64(s.n, 1))
		goto out;
	/* ja3, ja3s: `printf '771,...' | md5sum`; ja4 b/c: `printf '1301,1302' | sha256sum` */
	CHECK_STR_EQ(
		s.b.p,
		"{\"type\":\"handshake\",\"ts\":1763870000000001000,\"pid\":42,\"comm\":\"curl\","
		"\"netns\":4026531840,\"cgroup_id\":9,\"iface\":\"lo\",\"conn\":{\"local\":"
		"\"10.0.0.2:50522\",\"remote\":\"10.0.0.1:443\",\"role\":\"client\"},\"sni\":"
		"\"api.example\",\"alpn\":null,\"alpn_source\":null,\"version\":\"TLSv1.3\","
		"\"cipher\":"
		"\"TLS_AES_256_GCM_SHA384\",\"group\":\"X25519MLKEM768\",\"alpn_offered\":[\"h2\","
		"\"http/1.1\"],\"versions_offered\":[\"TLSv1.3\",\"TLSv1.2\"],\"ciphers_offered\":["
		"\"TLS_AES_256_GCM_SHA384\",\"TLS_AES_128_GCM_SHA256\",\"0x0a0a\"],\"groups_"
		"offered\":["
		"\"x25519\",\"X25519MLKEM768\",\"0x1234\"],\"key_shares_offered\":["
		"\"X25519MLKEM768\"],"
		"\"sig_algs\":[\"ecdsa_secp256r1_sha256\"],\"extensions\":[\"server_name\","
		"\"application_layer_protocol_negotiation\",\"supported_versions\",\"supported_"
		"groups\","
		"\"key_share\",\"signature_algorithms\"],\"client_version\":\"0x0303\","
		"\"server_extensions\":[\"supported_versions\",\"key_share\"],\"hrr\":false,"
		"\"lists_truncated\":false,\"ja3\":\"445d980a558047a97244aad1deb73641\",\"ja3_"
		"full\":"
		"\"771,4866-4865,0-16-43-10-51-13,29-4588-4660,\",\"ja3s\":"
		"\"15af977ce25de452b96affa2addb1036\",\"ja3s_full\":\"771,4866,43-51\",\"ja4\":"
		"\"t13d0206h2_62ed6f6ca7ad_1b583af8cc09\",\"ja4_r\":\"t13d0206h2_1301,1302_000a,"
		"000d,"
		"002b,0033_0403\",\"incomplete\":null}\n");
	/* the time of day depends on the time zone: compare from the process on */
	CHECK(strstr(
		s.text.p,
		" curl[42] handshake 10.0.0.2:50522 -> 10.0.0.1:443 (client, lo) "
		"sni=api.example TLSv1.3 TLS_AES_256_GCM_SHA384 X25519MLKEM768 "
		"ja4=t13d0206h2_62ed6f6ca7ad_1b583af8cc09 ja3=445d980a558047a97244aad1deb73641\n"));
out:
	hsjoin_free(j);
	buf_free(&s.b);
	buf_free(&s.text);
}

TEST(json_tls_object_of_a_data_record)
{
	struct tls_facts f = {.has_sni = 1,
			      .has_alpn = 1,
			      .have_server = 1,
			      .alpn_source = ALPN_WIRE,
			      .version = 0x0303,
			      .cipher = 0xc02f,
			      .sni = "b.example",
			      .alpn = "http/1.1",
			      .ja3 = "0123456789abcdef0123456789abcdef",
			      .ja4 = "t12d0101h1_aaaaaaaaaaaa_bbbbbbbbbbbb"};
	struct conn_tuple c = end(1);
	struct data_record d = {.ts = 1,
				.pid = 1,
				.tid = 1,
				.comm = "x",
				.fd = 3,
				.conn = &c,
				.len = 1,
				.captured = 1,
				.data = (const uint8_t *)"A",
				.tls = &f};
	struct buf b = {0};

	json_format_data(&b, &d);
	buf_putc(&b, 0);
	CHECK(strstr(b.p, ",\"tls\":{\"sni\":\"b.example\",\"alpn\":\"http/1.1\",\"alpn_source\":"
			  "\"wire\",\"version\":\"TLSv1.2\",\"cipher\":"
			  "\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\",\"group\":null,\"ja3\":"
			  "\"0123456789abcdef0123456789abcdef\",\"ja3s\":null,\"ja4\":"
			  "\"t12d0101h1_aaaaaaaaaaaa_bbbbbbbbbbbb\"},\"data\":\"QQ==\"}\n"));
	buf_free(&b);
}

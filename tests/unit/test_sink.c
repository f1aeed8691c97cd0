// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "check.h"
#include "sink/sink.h"

static const char http_req[] = "GET / HTTP/1.1\r\n\r\n";

static struct conn_tuple v4_conn(void)
{
	struct conn_tuple c = {
		.laddr = {127, 0, 0, 1},
		.raddr = {127, 0, 0, 1},
		.lport = 50000,
		.rport = 443,
		.family = AF_INET,
		.role = ROLE_CLIENT,
	};

	return c;
}

/* A known egress call on a connected socket; comm and data live in guard-page copies. */
static struct data_record known(const struct conn_tuple *conn)
{
	struct data_record d = {
		.ts = 1700000000123456789ull,
		.pid = 1234,
		.tid = 1235,
		.comm = guard_copy("curl", 5),
		.netns = 4026531840u,
		.cgroup_id = 7777,
		.fd = 5,
		.attribution = ATTR_SYSCALL,
		.conn = conn,
		.lib = LIB_OPENSSL,
		.dir = DIR_EGRESS,
		.len = sizeof(http_req) - 1,
		.captured = sizeof(http_req) - 1,
		.truncated = TRUNC_NONE,
		.data = guard_copy(http_req, sizeof(http_req) - 1),
	};

	return d;
}

static int buf_is(struct buf *b, const char *want, const char *file, int line)
{
	int ok = check_mem_eq_(b->p, b->len, want, strlen(want), "output", "want", file, line);

	ok &= check_true_(!b->oom, "!b->oom", file, line);
	buf_free(b);
	return ok;
}

#define BUF_IS(b, want) buf_is((b), (want), __FILE__, __LINE__)

TEST(json_data_with_conn)
{
	struct conn_tuple c = v4_conn();
	struct data_record d = known(&c);
	struct buf b = {0};

	json_format_data(&b, &d);
	BUF_IS(&b, "{\"type\":\"data\",\"ts\":1700000000123456789,\"pid\":1234,\"tid\":1235,"
		   "\"comm\":\"curl\",\"netns\":4026531840,\"cgroup_id\":7777,"
		   "\"conn\":{\"local\":\"127.0.0.1:50000\",\"remote\":\"127.0.0.1:443\","
		   "\"role\":\"client\"},\"fd\":5,\"attribution\":\"syscall\",\"lib\":\"openssl\","
		   "\"dir\":\"egress\",\"len\":18,\"captured\":18,\"tls\":null,"
		   "\"data\":\"R0VUIC8gSFRUUC8xLjENCg0K\"}\n");
}

TEST(json_data_ipv6_server_cached)
{
	struct conn_tuple c = {
		.laddr = {[15] = 1},
		.raddr = {0x20, 0x01, 0x0d, 0xb8, [15] = 9},
		.lport = 8443,
		.rport = 51000,
		.family = AF_INET6,
		.role = ROLE_SERVER,
	};
	struct data_record d = known(&c);
	struct buf b = {0};

	d.attribution = ATTR_CACHED;
	d.dir = DIR_INGRESS;
	d.fd = 0;
	json_format_data(&b, &d);
	BUF_IS(&b, "{\"type\":\"data\",\"ts\":1700000000123456789,\"pid\":1234,\"tid\":1235,"
		   "\"comm\":\"curl\",\"netns\":4026531840,\"cgroup_id\":7777,"
		   "\"conn\":{\"local\":\"[::1]:8443\",\"remote\":\"[2001:db8::9]:51000\","
		   "\"role\":\"server\"},\"fd\":0,\"attribution\":\"cached\",\"lib\":\"openssl\","
		   "\"dir\":\"ingress\",\"len\":18,\"captured\":18,\"tls\":null,"
		   "\"data\":\"R0VUIC8gSFRUUC8xLjENCg0K\"}\n");
}

TEST(json_data_unattributed_truncated)
{
	struct data_record d = known(NULL);
	struct buf b = {0};

	d.fd = -1;
	d.attribution = ATTR_UNATTRIBUTED;
	d.dir = DIR_INGRESS;
	d.len = 100;
	d.captured = 4;
	d.truncated = TRUNC_LIMIT;
	d.data = guard_copy("HTTP", 4);
	json_format_data(&b, &d);
	BUF_IS(&b, "{\"type\":\"data\",\"ts\":1700000000123456789,\"pid\":1234,\"tid\":1235,"
		   "\"comm\":\"curl\",\"netns\":4026531840,\"cgroup_id\":7777,\"conn\":null,"
		   "\"fd\":null,\"attribution\":\"unattributed\",\"lib\":\"openssl\","
		   "\"dir\":\"ingress\",\"len\":100,\"captured\":4,\"truncated\":\"max_capture\","
		   "\"tls\":null,"
		   "\"data\":\"SFRUUA==\"}\n");

	d.truncated = TRUNC_LOST;
	d.captured = 0;
	d.data = guard_copy("", 0);
	json_format_data(&b, &d);
	BUF_IS(&b, "{\"type\":\"data\",\"ts\":1700000000123456789,\"pid\":1234,\"tid\":1235,"
		   "\"comm\":\"curl\",\"netns\":4026531840,\"cgroup_id\":7777,\"conn\":null,"
		   "\"fd\":null,\"attribution\":\"unattributed\",\"lib\":\"openssl\","
		   "\"dir\":\"ingress\",\"len\":100,\"captured\":0,\"truncated\":\"lost\","
		   "\"tls\":null,"
		   "\"data\":\"\"}\n");
}

TEST(json_data_redacted)
{
	struct conn_tuple c = v4_conn();
	struct data_record d = known(&c);
	struct buf b = {0};

	d.redacted = 2;
	json_format_data(&b, &d);
	buf_putc(&b, 0);
	CHECK(strstr(b.p, ",\"captured\":18,\"redacted\":2,\"tls\":null,\"data\":"
			  "\"R0VUIC8gSFRUUC8xLjENCg0K\"}\n"));
	buf_free(&b);
}

TEST(json_data_comm_full_width_and_not_utf8)
{
	struct data_record d = known(NULL);
	struct buf b = {0};

	/* A 16-byte comm without a NUL (as a raw TASK_COMM_LEN array could be): no over-read. */
	d.comm = guard_copy("0123456789abcdef", 16);
	json_format_data(&b, &d);
	CHECK(b.len > 0 && memmem(b.p, b.len, "\"comm\":\"0123456789abcdef\",", 26));
	buf_free(&b);

	d.comm = guard_copy("a\"\xff\n", 5);
	json_format_data(&b, &d);
	CHECK(b.len > 0 && memmem(b.p, b.len, "\"comm\":\"a\\\"\\ufffd\\n\",", 21));
	buf_free(&b);
}

static struct stats_record known_stats(const struct lib_status *libs, unsigned int nlibs)
{
	struct stats_record st = {
		.ts = 1700000001000000000ull,
		.lost_incomplete = 100,
		.lost_decode = 101,
		.lost_sink = 102,
		.probes_attached = 1000,
		.probes_failed = 1001,
		.libs = libs,
		.nlibs = nlibs,
	};

	for (int c = 0; c < CNT__MAX; c++)
		st.counters[c] = c + 1;
	return st;
}

TEST(json_stats)
{
	/* Names and layout as docs/json-schema.md (the stable contract) lists them. */
	static const struct lib_status libs[] = {
		{.path = "/usr/lib/x86_64-linux-gnu/libssl.so.3", .lib = "openssl", .probes = 4},
		{.path = "/proc/77/root/usr/lib/libssl.so.3",
		 .lib = "openssl",
		 .probes = 2,
		 .failed = 2},
	};
	struct stats_record st = known_stats(libs, 2);
	struct buf b = {0};

	json_format_stats(&b, &st);
	BUF_IS(&b, "{\"type\":\"stats\",\"ts\":1700000001000000000,\"calls\":1,\"calls_failed\":2,"
		   "\"events\":3,\"bytes\":4,\"integrity_violations\":12,\"unattributed\":13,"
		   "\"nested_calls\":14,\"wire_events\":16,\"wire_hellos\":17,\"bio_bound\":19,"
		   "\"bio_mismatch\":20,\"correlated\":0,\"lost\":{\"ringbuf_"
		   "full\":5,\"partial\":6,\"bytes\":7,"
		   "\"capture_truncated\":8,\"capture_truncated_bytes\":9,\"map_full\":10,"
		   "\"read_fault\":11,\"ringbuf_full_control\":15,\"ringbuf_full_wire\":18,"
		   "\"incomplete\":100,"
		   "\"decode\":101,\"sink\":102},\"processes\":{\"tls\":0,\"untraced\":0},"
		   "\"probes_attached\":1000,\"probes_failed\":1001,"
		   "\"libraries\":[{\"path\":\"/usr/lib/x86_64-linux-gnu/libssl.so.3\","
		   "\"lib\":\"openssl\",\"traced\":true,\"reason\":null,\"probes\":4,\"failed\":0},"
		   "{\"path\":\"/proc/77/root/usr/lib/libssl.so.3\",\"lib\":\"openssl\","
		   "\"traced\":true,\"reason\":null,\"probes\":2,\"failed\":2}]}\n");
}

TEST(json_stats_keys_unique_and_no_libs)
{
	struct stats_record st = known_stats(NULL, 0);
	struct buf b = {0};
	char *s, *lost;

	json_format_stats(&b, &st);
	buf_putc(&b, 0);
	s = b.p;
	CHECK(strstr(s, ",\"libraries\":[]}\n"));
	/* Each counter value appears exactly once, under one key. */
	for (int c = 0; c < CNT__MAX; c++) {
		char pat[32];
		char *at;

		snprintf(pat, sizeof(pat), "\":%d,", c + 1);
		at = strstr(s, pat);
		if (!at) {
			snprintf(pat, sizeof(pat), "\":%d}", c + 1);
			at = strstr(s, pat);
		}
		if (!CHECK(at))
			continue;
		CHECK(!strstr(at + 1, pat));
	}
	/* Loss counters sit inside "lost", the others outside. */
	lost = strstr(s, "\"lost\":{");
	if (CHECK(lost)) {
		CHECK(strstr(s, "\"calls\":1,") < lost);
		CHECK(strstr(s, "\"map_full\":10,") > lost);
	}
	buf_free(&b);
}

TEST(json_stats_probe_sites)
{
	static const struct tls_func internal = {
		"ssl_write_internal", "SSL_write_ex", DIR_EGRESS, 1, 0, "SSL_write"};
	static const struct tls_func exported = {"SSL_read", NULL, DIR_INGRESS, 0, 0, NULL};
	struct site_plan preferred = {
		.sites = {{.fn = &internal,
			   .offset = 0x3c2a0,
			   .cost = SITE_EMULATED,
			   .searched = 1,
			   .insn = "push r15"},
			  {.fn = &exported,
			   .offset = 99,
			   .cost = SITE_SINGLESTEP,
			   .insn = "sub rsp, 0x18"}},
		.n = 2,
	};
	struct site_plan fallback = {
		.sites = {{.fn = &exported, .offset = 7, .cost = SITE_OPTIMISED, .insn = "nop"}},
		.n = 1,
		.fallback = 1,
		.why = "no \"call\" in SSL_write_ex",
	};
	struct lib_status libs[] = {
		{.path = "/a/libssl.so.3",
		 .lib = "openssl",
		 .linkage = "shared",
		 .version = "3.0.19",
		 .probes = 2,
		 .plan = &preferred},
		{.path = "/b/libssl.so.3", .lib = "openssl", .probes = 1, .plan = &fallback},
		{.path = "/c/app",
		 .lib = "openssl",
		 .linkage = "stripped",
		 .version = "",
		 .reason = "symbols stripped"},
	};
	struct stats_record st = {
		.ts = 5, .libs = libs, .nlibs = 3, .procs_tls = 4, .procs_untraced = 1};
	struct buf b = {0};
	const char *at;

	json_format_stats(&b, &st);
	buf_putc(&b, 0);
	at = strstr(b.p, ",\"libraries\":[");
	if (CHECK(at))
		CHECK_STR_EQ(
			at,
			",\"libraries\":["
			"{\"path\":\"/a/libssl.so.3\",\"lib\":\"openssl\",\"linkage\":\"shared\","
			"\"version\":\"3.0.19\",\"traced\":true,\"reason\":null,\"probes\":2,"
			"\"failed\":0,\"fallback\":false,\"sites\":["
			"{\"func\":\"ssl_write_internal\",\"via\":\"SSL_write_ex\","
			"\"offset\":246432,\"insn\":\"push r15\",\"cost\":\"emulated\"},"
			"{\"func\":\"SSL_read\",\"offset\":99,\"insn\":\"sub rsp, 0x18\","
			"\"cost\":\"single-stepped\"}]},"
			"{\"path\":\"/b/libssl.so.3\",\"lib\":\"openssl\",\"traced\":true,"
			"\"reason\":null,\"probes\":1,"
			"\"failed\":0,\"fallback\":true,"
			"\"fallback_reason\":\"no \\\"call\\\" in SSL_write_ex\",\"sites\":["
			"{\"func\":\"SSL_read\",\"offset\":7,\"insn\":\"nop\","
			"\"cost\":\"optimised\"}]},"
			"{\"path\":\"/c/app\",\"lib\":\"openssl\",\"linkage\":\"stripped\","
			"\"version\":null,\"traced\":false,\"reason\":\"symbols stripped\","
			"\"probes\":0,\"failed\":0}]}\n");
	CHECK(strstr(b.p, ",\"processes\":{\"tls\":4,\"untraced\":1},"));
	buf_free(&b);
}

static void utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

TEST(text_data_text_payload)
{
	struct conn_tuple c = v4_conn();
	struct data_record d = known(&c);
	struct buf b = {0};

	utc();
	text_format_data(&b, &d, 0);
	BUF_IS(&b, "22:13:20.123456 curl[1234] write 127.0.0.1:50000 -> 127.0.0.1:443 "
		   "(client, fd 5) openssl 18 B\n"
		   "    GET / HTTP/1.1\n"
		   "    \n");

	/* Ingress, escapes, no trailing newline in the payload, truncated. */
	d.dir = DIR_INGRESS;
	d.len = 40;
	d.captured = 12;
	d.truncated = TRUNC_LIMIT;
	d.data = guard_copy("a\\b\x01\tc\nline2", 12);
	text_format_data(&b, &d, 0);
	BUF_IS(&b, "22:13:20.123456 curl[1234] read  127.0.0.1:50000 <- 127.0.0.1:443 "
		   "(client, fd 5) openssl 40 B (12 captured, --max-capture)\n"
		   "    a\\\\b\\x01\tc\n"
		   "    line2\n");
}

TEST(text_data_binary_payload_hex_dump)
{
	uint8_t bin[20];
	struct data_record d = known(NULL);
	struct buf b = {0};

	for (int i = 0; i < 20; i++)
		bin[i] = i;
	utc();
	d.fd = -1;
	d.attribution = ATTR_UNATTRIBUTED;
	d.len = 25;
	d.captured = 20;
	d.truncated = TRUNC_LOST;
	d.data = guard_copy(bin, sizeof(bin));
	text_format_data(&b, &d, 0);
	BUF_IS(&b, "22:13:20.123456 curl[1234] write unattributed openssl 25 B "
		   "(20 captured, rest lost)\n"
		   "    000000  00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f  ................\n"
		   "    000010  10 11 12 13                                      ....\n");

	/* A socket fd that is not TCP; printable bytes shown in the ASCII column. */
	d.fd = 9;
	d.len = d.captured = 4;
	d.truncated = TRUNC_NONE;
	d.data = guard_copy("\x16\x03\x01\x7f", 4);
	text_format_data(&b, &d, 0);
	BUF_IS(&b, "22:13:20.123456 curl[1234] write fd 9 (not a TCP socket) openssl 4 B\n"
		   "    000000  16 03 01 7f                                      ....\n");
}

TEST(text_data_empty_and_color)
{
	struct conn_tuple c = v4_conn();
	struct data_record d = known(&c);
	struct buf b = {0};

	utc();
	d.captured = 0;
	d.len = 0;
	text_format_data(&b, &d, 0);
	BUF_IS(&b, "22:13:20.123456 curl[1234] write 127.0.0.1:50000 -> 127.0.0.1:443 "
		   "(client, fd 5) openssl 0 B\n");
	d.redacted = 1;
	text_format_data(&b, &d, 0);
	BUF_IS(&b, "22:13:20.123456 curl[1234] write 127.0.0.1:50000 -> 127.0.0.1:443 "
		   "(client, fd 5) openssl 0 B (1 secret redacted)\n");
	d.redacted = 0;
	text_format_data(&b, &d, 1);
	BUF_IS(&b, "\033[2m22:13:20.123456\033[0m curl[1234] \033[36mwrite\033[0m "
		   "127.0.0.1:50000 -> 127.0.0.1:443 (client, fd 5) openssl 0 B\n");
}

TEST(text_stats_no_loss)
{
	struct stats_record st = {
		.ts = 1, .probes_attached = 4, .nlibs = 1, .procs_tls = 3, .procs_untraced = 1};
	struct buf b = {0};

	st.counters[CNT_EVENTS] = 10;
	st.counters[CNT_BYTES] = 2048;
	st.counters[CNT_CALLS] = 12;
	st.counters[CNT_CALLS_FAILED] = 2;
	st.counters[CNT_TRUNCATED] = 1;
	st.counters[CNT_TRUNCATED_BYTES] = 500;
	text_format_stats(&b, &st);
	BUF_IS(&b,
	       "tlsscope: stats: 10 records, 2048 bytes, 12 calls (2 returned no data), 0 lost, "
	       "1 truncated by --max-capture, 0 integrity violations, 0 unattributed, 4 probes "
	       "on 1 files, 3 TLS processes (1 not traced)\n");
}

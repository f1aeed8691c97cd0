// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "conn.h"

/* Lines as this machine's /proc/net/tcp and tcp6 print them, trailing blanks included. */
static const char tcp_header[] =
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
	"timeout inode                                                     \n";
static const char tcp_listen_lo[] = "   0: 0100007F:24E3 00000000:0000 0A 00000000:00000000 "
				    "00:00000000 00000000     0        0 "
				    "7150 1 0000000035258507 100 0 0 10 0                      \n";
static const char tcp_listen_any[] = "   2: 00000000:07E8 00000000:0000 0A 00000000:00000000 "
				     "00:00000000 00000000     0        0 "
				     "609 1 000000004b547f4d 100 0 0 10 0                       \n";
static const char tcp_time_wait[] = "   3: 0100007F:9292 0100007F:20FB 06 00000000:00000000 "
				    "03:00001748 00000000     0        0 "
				    "0 3 00000000d4ae0681                                      \n";
static const char tcp_established[] =
	"   4: 0100007F:9CFC 0100007F:480B 01 00000000:00000000 00:00000000 00000000     0        "
	"0 "
	"10132 2 0000000087a3e2bf 20 0 0 10 -1                     \n";
static const char tcp6_header[] =
	"  sl  local_address                         remote_address                        st "
	"tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
static const char tcp6_listen_any[] =
	"   0: 00000000000000000000000000000000:480B 00000000000000000000000000000000:0000 0A "
	"00000000:00000000 00:00000000 00000000     0        0 10128 1 000000006f79d658 100 0 0 "
	"10 0\n";
static const char tcp6_listen_lo[] =
	"   1: 00000000000000000000000001000000:4BF3 00000000000000000000000000000000:0000 0A "
	"00000000:00000000 00:00000000 00000000     0        0 10129 1 00000000ced5d80d 100 0 0 "
	"10 0\n";
static const char tcp6_mapped[] =
	"   2: 0000000000000000FFFF00000100007F:480B 0000000000000000FFFF00000100007F:9CFC 01 "
	"00000000:00000000 00:00000000 00000000     0        0 10133 1 000000003f8542bc 20 0 0 "
	"10 -1\n";

static int parse(const char *line, int family, struct tcp_entry *e)
{
	return proc_net_tcp_parse(guard_copy(line, strlen(line) + 1), family, e);
}

static const uint8_t v4_lo[16] = {127, 0, 0, 1};
static const uint8_t v6_any[16] = {0};
static const uint8_t v6_lo[16] = {[15] = 1};
static const uint8_t v6_mapped_lo[16] = {[10] = 0xff, [11] = 0xff, 127, 0, 0, 1};

TEST(parse_tcp4_lines)
{
	struct tcp_entry e;

	CHECK_EQ_U64(parse(tcp_listen_lo, AF_INET, &e), 0);
	CHECK_EQ_U64(e.family, AF_INET);
	CHECK_MEM_EQ(e.laddr, 16, v4_lo, 16);
	CHECK_EQ_U64(e.lport, 9443);
	CHECK_EQ_U64(e.state, 0x0A);

	CHECK_EQ_U64(parse(tcp_listen_any, AF_INET, &e), 0);
	CHECK_MEM_EQ(e.laddr, 16, v6_any, 16);
	CHECK_EQ_U64(e.lport, 2024);
	CHECK_EQ_U64(e.state, 0x0A);

	CHECK_EQ_U64(parse(tcp_time_wait, AF_INET, &e), 0);
	CHECK_MEM_EQ(e.laddr, 16, v4_lo, 16);
	CHECK_EQ_U64(e.lport, 0x9292);
	CHECK_EQ_U64(e.state, 0x06);

	CHECK_EQ_U64(parse(tcp_established, AF_INET, &e), 0);
	CHECK_EQ_U64(e.lport, 0x9CFC);
	CHECK_EQ_U64(e.state, 0x01);
}

TEST(parse_tcp6_lines)
{
	struct tcp_entry e;

	CHECK_EQ_U64(parse(tcp6_listen_any, AF_INET6, &e), 0);
	CHECK_EQ_U64(e.family, AF_INET6);
	CHECK_MEM_EQ(e.laddr, 16, v6_any, 16);
	CHECK_EQ_U64(e.lport, 18443);
	CHECK_EQ_U64(e.state, 0x0A);

	CHECK_EQ_U64(parse(tcp6_listen_lo, AF_INET6, &e), 0);
	CHECK_MEM_EQ(e.laddr, 16, v6_lo, 16);
	CHECK_EQ_U64(e.lport, 19443);
	CHECK_EQ_U64(e.state, 0x0A);

	CHECK_EQ_U64(parse(tcp6_mapped, AF_INET6, &e), 0);
	CHECK_MEM_EQ(e.laddr, 16, v6_mapped_lo, 16);
	CHECK_EQ_U64(e.lport, 18443);
	CHECK_EQ_U64(e.state, 0x01);
}

TEST(parse_without_newline)
{
	char line[sizeof(tcp_listen_lo)];
	struct tcp_entry e;

	memcpy(line, tcp_listen_lo, sizeof(line));
	line[strcspn(line, "\n")] = 0;
	CHECK_EQ_U64(parse(line, AF_INET, &e), 0);
	CHECK_EQ_U64(e.lport, 9443);
	/* The shortest line that carries every field we use. */
	CHECK_EQ_U64(parse("0: 0100007F:0050 00000000:0000 0A", AF_INET, &e), 0);
	CHECK_EQ_U64(e.lport, 80);
	CHECK_EQ_U64(e.state, 0x0A);
}

TEST(parse_rejects_headers)
{
	struct tcp_entry e;

	CHECK_EQ_U64(parse(tcp_header, AF_INET, &e), (uint64_t)-EINVAL);
	CHECK_EQ_U64(parse(tcp6_header, AF_INET6, &e), (uint64_t)-EINVAL);
	CHECK_EQ_U64(parse(tcp_header, AF_INET6, &e), (uint64_t)-EINVAL);
}

TEST(parse_rejects_wrong_family)
{
	struct tcp_entry e;

	CHECK_EQ_U64(parse(tcp_listen_lo, AF_INET6, &e), (uint64_t)-EINVAL);
	CHECK_EQ_U64(parse(tcp6_listen_lo, AF_INET, &e), (uint64_t)-EINVAL);
	CHECK_EQ_U64(parse(tcp_listen_lo, AF_UNIX, &e), (uint64_t)-EINVAL);
	CHECK_EQ_U64(parse(tcp_listen_lo, 0, &e), (uint64_t)-EINVAL);
}

TEST(parse_rejects_malformed)
{
	static const char *const bad[] = {
		"",
		"\n",
		"   0:",
		"   0: ",
		"   0: 0100007F",
		"   0: 0100007F:",
		"   0: 0100007F:24E3",
		"   0: 0100007F:24E3 00000000:0000",
		"   0: 0100007F:24E3 00000000:0000 ",
		"   0: 0100007F 24E3 00000000:0000 0A",
		"   0: 01Z0007F:24E3 00000000:0000 0A",
		"   0: 0100007F:X4E3 00000000:0000 0A",
		"   0: 0100007F:24E3 00000000:0000 ZZ",
		"   0: 0100007F:10000 00000000:0000 0A", /* port > 65535 */
		"   0: 0100007F:24E3 00000000:0000 100", /* state > 255 */
	};
	struct tcp_entry e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!CHECK_EQ_U64(parse(bad[i], AF_INET, &e), (uint64_t)-EINVAL))
			fprintf(stderr, "    line: \"%s\"\n", bad[i]);
	CHECK_EQ_U64(parse("   0: 00000000000000000000000001000000", AF_INET6, &e),
		     (uint64_t)-EINVAL);
	CHECK_EQ_U64(parse("   0: 0000000000000000000000000100000:4BF3 0:0 0A", AF_INET6, &e),
		     (uint64_t)-EINVAL);
}

/* A pid with no /proc entry: listeners__role() then has nothing to reread. */
#define NO_PID 0x7ffffff0u

static struct conn_tuple tuple(int family, const uint8_t *laddr, uint16_t lport)
{
	struct conn_tuple t = {.family = family, .lport = lport, .rport = 40000};

	memcpy(t.laddr, laddr, 16);
	t.raddr[0] = 10;
	return t;
}

static void add(struct listeners *l, uint32_t netns, const char *line, int family)
{
	struct tcp_entry e;

	if (CHECK_EQ_U64(parse(line, family, &e), 0))
		CHECK_EQ_U64(listeners__add(l, netns, &e), 0);
}

TEST(role_wildcard_v4_listener)
{
	static const uint8_t v4_other[16] = {192, 168, 1, 2};
	struct listeners *l = listeners__new();
	struct conn_tuple t;

	if (!CHECK(l))
		return;
	add(l, 1, tcp_listen_any, AF_INET); /* 0.0.0.0:2024 */
	t = tuple(AF_INET, v4_other, 2024);
	CHECK_EQ_U64(listeners__role(l, 1, NO_PID, &t), ROLE_SERVER);
	t = tuple(AF_INET, v4_lo, 2024);
	CHECK_EQ_U64(listeners__role(l, 1, NO_PID, &t), ROLE_SERVER);
	/* A v4-mapped tuple is an IPv4 connection too. */
	t = tuple(AF_INET6, v6_mapped_lo, 2024);
	CHECK_EQ_U64(listeners__role(l, 1, NO_PID, &t), ROLE_SERVER);
	/* 0.0.0.0 does not take native IPv6 connections. */
	t = tuple(AF_INET6, v6_lo, 2024);
	CHECK_EQ_U64(listeners__role(l, 1, NO_PID, &t), ROLE_CLIENT);
	/* Port mismatch: a client socket. */
	t = tuple(AF_INET, v4_other, 2025);
	CHECK_EQ_U64(listeners__role(l, 1, NO_PID, &t), ROLE_CLIENT);
	listeners__free(l);
}

TEST(role_wildcard_v6_listener)
{
	struct listeners *l = listeners__new();
	struct conn_tuple t;

	if (!CHECK(l))
		return;
	add(l, 1, tcp6_listen_any, AF_INET6); /* [::]:18443 */
	t = tuple(AF_INET6, v6_mapped_lo, 18443);
	CHECK_EQ_U64(listeners__role(l, 1, NO_PID, &t), ROLE_SERVER);
	t = tuple(AF_INET6, v6_lo, 18443);
	CHECK_EQ_U64(listeners__role(l, 1, NO_PID, &t), ROLE_SERVER);
	/* :: takes IPv4 too (dual stack) unless v6only, which procfs does not show. */
	t = tuple(AF_INET, v4_lo, 18443);
	CHECK_EQ_U64(listeners__role(l, 1, NO_PID, &t), ROLE_SERVER);
	t = tuple(AF_INET6, v6_mapped_lo, 18444);
	CHECK_EQ_U64(listeners__role(l, 1, NO_PID, &t), ROLE_CLIENT);
	listeners__free(l);
}

TEST(role_specific_address_listener)
{
	static const uint8_t v4_other[16] = {127, 0, 0, 2};
	static const uint8_t v6_other[16] = {[15] = 2};
	struct listeners *l = listeners__new();
	struct conn_tuple t;

	if (!CHECK(l))
		return;
	add(l, 7, tcp_listen_lo, AF_INET);   /* 127.0.0.1:9443 */
	add(l, 7, tcp6_listen_lo, AF_INET6); /* [::1]:19443 */
	t = tuple(AF_INET, v4_lo, 9443);
	CHECK_EQ_U64(listeners__role(l, 7, NO_PID, &t), ROLE_SERVER);
	t = tuple(AF_INET6, v6_mapped_lo, 9443);
	CHECK_EQ_U64(listeners__role(l, 7, NO_PID, &t), ROLE_SERVER);
	t = tuple(AF_INET, v4_other, 9443);
	CHECK_EQ_U64(listeners__role(l, 7, NO_PID, &t), ROLE_CLIENT);
	t = tuple(AF_INET, v4_lo, 9444);
	CHECK_EQ_U64(listeners__role(l, 7, NO_PID, &t), ROLE_CLIENT);
	t = tuple(AF_INET6, v6_lo, 19443);
	CHECK_EQ_U64(listeners__role(l, 7, NO_PID, &t), ROLE_SERVER);
	t = tuple(AF_INET6, v6_other, 19443);
	CHECK_EQ_U64(listeners__role(l, 7, NO_PID, &t), ROLE_CLIENT);
	/* ::1 is not 127.0.0.1 */
	t = tuple(AF_INET, v4_lo, 19443);
	CHECK_EQ_U64(listeners__role(l, 7, NO_PID, &t), ROLE_CLIENT);
	listeners__free(l);
}

TEST(role_other_netns_does_not_match)
{
	struct listeners *l = listeners__new();
	struct conn_tuple t = tuple(AF_INET, v4_lo, 9443);

	if (!CHECK(l))
		return;
	add(l, 1, tcp_listen_lo, AF_INET);
	CHECK_EQ_U64(listeners__role(l, 1, NO_PID, &t), ROLE_SERVER);
	CHECK_EQ_U64(listeners__role(l, 2, NO_PID, &t), ROLE_CLIENT);
	listeners__free(l);
	listeners__free(NULL);
}

TEST(role_reads_procfs)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t salen = sizeof(sa);
	struct listeners *l = listeners__new();
	struct conn_tuple t;
	int fd = socket(AF_INET, SOCK_STREAM, 0), err;

	if (!CHECK(l) || !CHECK(fd >= 0))
		goto out;
	/* A real listener of this process, found through /proc/PID/net/tcp. */
	err = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? errno : 0;
	if (err == EADDRNOTAVAIL) {
		fprintf(stderr, "  (no 127.0.0.1 in this network namespace: skipped)\n");
		goto out;
	}
	if (!CHECK_EQ_U64(err, 0) || !CHECK(!listen(fd, 1)) ||
	    !CHECK(!getsockname(fd, (struct sockaddr *)&sa, &salen)))
		goto out;
	t = tuple(AF_INET, v4_lo, ntohs(sa.sin_port));
	CHECK_EQ_U64(listeners__role(l, 12345, getpid(), &t), ROLE_SERVER);
	t.lport++;
	CHECK_EQ_U64(listeners__role(l, 12345, getpid(), &t), ROLE_CLIENT);
out:
	if (fd >= 0)
		close(fd);
	listeners__free(l);
}

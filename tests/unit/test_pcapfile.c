// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <pcap/pcap.h>

#include "check.h"
#include "wire/pcapfile.h"

static const uint8_t payload[] = "\x16\x03\x01\x00\x05hello";
#define PLEN (sizeof(payload) - 1)

struct frame {
	uint8_t p[512];
	size_t n;
};

static void put(struct frame *f, const void *p, size_t n)
{
	if (n)
		memcpy(f->p + f->n, p, n);
	f->n += n;
}

static void put16(struct frame *f, uint16_t v)
{
	uint8_t b[2] = {v >> 8, v & 0xff};

	put(f, b, 2);
}

/* TCP 40000 -> 443, seq 0x01020304, with `optwords` 32-bit words of options. */
static void tcp(struct frame *f, uint8_t flags, int optwords, const void *data, size_t len)
{
	uint8_t h[20] = {0x9c, 0x40, 0x01, 0xbb, 1, 2, 3, 4, 0, 0, 0, 9};

	h[12] = (5 + optwords) << 4;
	h[13] = flags;
	put(f, h, 20);
	for (int i = 0; i < optwords; i++)
		put(f, "\x01\x01\x01\x01", 4); /* NOPs */
	put(f, data, len);
}

/* An IPv4 header before the TCP segment in l4 (protocol 6 unless proto). */
static void ipv4(struct frame *f, const struct frame *l4, uint16_t frag, uint8_t proto)
{
	uint8_t h[20] = {0x45, 0, 0, 0, 0, 1, 0, 0, 64, proto, 0, 0, 192, 0, 2, 1, 198, 51, 100, 7};

	h[2] = (20 + l4->n) >> 8;
	h[3] = (20 + l4->n) & 0xff;
	h[6] = frag >> 8;
	h[7] = frag & 0xff;
	put(f, h, 20);
	put(f, l4->p, l4->n);
}

/* An IPv6 header, then the extension headers in ext (already chained), then l4. */
static void ipv6(struct frame *f, uint8_t next, const void *ext, size_t extlen,
		 const struct frame *l4)
{
	uint8_t h[40] = {0x60, 0, 0, 0};

	h[4] = (extlen + l4->n) >> 8;
	h[5] = (extlen + l4->n) & 0xff;
	h[6] = next;
	h[7] = 64;
	inet_pton(AF_INET6, "2001:db8::1", h + 8);
	inet_pton(AF_INET6, "2001:db8::2", h + 24);
	put(f, h, 40);
	put(f, ext, extlen);
	put(f, l4->p, l4->n);
}

static void eth(struct frame *f, uint16_t type)
{
	put(f, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	put16(f, type);
}

static struct frame l4_default(void)
{
	struct frame t = {.n = 0};

	tcp(&t, 0x18 /* PSH|ACK */, 0, payload, PLEN);
	return t;
}

static struct frame ip4_default(void)
{
	struct frame t = l4_default(), ip = {.n = 0};

	ipv4(&ip, &t, 0x4000 /* DF */, 6);
	return ip;
}

static struct frame ip6_default(void)
{
	struct frame t = l4_default(), ip = {.n = 0};

	ipv6(&ip, 6, NULL, 0, &t);
	return ip;
}

/* Decodes f (from a guard-page copy) and checks the segment against the default one. */
static int decodes(int dlt, const struct frame *f, int family, const char *file, int line)
{
	const uint8_t *p = guard_copy(f->p, f->n);
	uint8_t sa[16] = {0}, da[16] = {0};
	struct tcp_segment s;
	int ok;

	if (!check_eq_u64_(pkt_decode(dlt, p, f->n, &s), 0, "pkt_decode", "0", file, line))
		return 0;
	inet_pton(family, family == AF_INET ? "192.0.2.1" : "2001:db8::1", sa);
	inet_pton(family, family == AF_INET ? "198.51.100.7" : "2001:db8::2", da);
	ok = check_eq_u64_(s.family, family, "family", "want family", file, line);
	ok &= check_mem_eq_(s.saddr, 16, sa, 16, "saddr", "want saddr", file, line);
	ok &= check_mem_eq_(s.daddr, 16, da, 16, "daddr", "want daddr", file, line);
	ok &= check_eq_u64_(s.sport, 40000, "sport", "40000", file, line);
	ok &= check_eq_u64_(s.dport, 443, "dport", "443", file, line);
	ok &= check_eq_u64_(s.seq, 0x01020304, "seq", "0x01020304", file, line);
	ok &= check_eq_u64_(s.flags, TCPF_ACK, "flags", "TCPF_ACK", file, line);
	ok &= check_mem_eq_(s.payload, s.len, payload, PLEN, "payload", "want payload", file, line);
	ok &= check_eq_u64_(s.scope, 0, "scope", "0", file, line);
	ok &= check_true_(s.meta == NULL && !s.has_start, "no meta, no start", file, line);
	return ok;
}

#define DECODES(dlt, f, family) decodes((dlt), (f), (family), __FILE__, __LINE__)

static int rejects(int dlt, const struct frame *f)
{
	struct tcp_segment s;

	return pkt_decode(dlt, guard_copy(f->p, f->n), f->n, &s) == -1;
}

TEST(ethernet_ipv4_and_ipv6)
{
	struct frame ip4 = ip4_default(), ip6 = ip6_default(), f = {.n = 0};

	eth(&f, 0x0800);
	put(&f, ip4.p, ip4.n);
	DECODES(DLT_EN10MB, &f, AF_INET);
	f.n = 0;
	eth(&f, 0x86dd);
	put(&f, ip6.p, ip6.n);
	DECODES(DLT_EN10MB, &f, AF_INET6);
}

TEST(ethernet_padding_is_trimmed)
{
	/* a SYN is shorter than Ethernet's 60-byte minimum: the frame is padded */
	struct frame t = {.n = 0}, ip = {.n = 0}, f = {.n = 0};
	struct tcp_segment s;

	tcp(&t, TCPF_SYN, 0, NULL, 0);
	ipv4(&ip, &t, 0, 6);
	eth(&f, 0x0800);
	put(&f, ip.p, ip.n);
	while (f.n < 60)
		put(&f, "\xaa", 1);
	if (CHECK_EQ_U64(pkt_decode(DLT_EN10MB, guard_copy(f.p, f.n), f.n, &s), 0)) {
		CHECK_EQ_U64(s.len, 0);
		CHECK_EQ_U64(s.flags, TCPF_SYN);
	}
}

TEST(vlan_tags)
{
	struct frame ip = ip4_default(), f = {.n = 0};

	eth(&f, 0x8100);
	put(&f, "\x00\x05\x08\x00", 4);
	put(&f, ip.p, ip.n);
	DECODES(DLT_EN10MB, &f, AF_INET);
	f.n = 0;
	eth(&f, 0x88a8); /* 802.1ad outer, 802.1Q inner */
	put(&f, "\x00\x64\x81\x00", 4);
	put(&f, "\x00\x05\x86\xdd", 4);
	ip = ip6_default();
	put(&f, ip.p, ip.n);
	DECODES(DLT_EN10MB, &f, AF_INET6);
	/* three tags are more than we look through */
	f.n = 0;
	eth(&f, 0x88a8);
	put(&f, "\x00\x64\x81\x00\x00\x05\x81\x00\x00\x06\x08\x00", 12);
	ip = ip4_default();
	put(&f, ip.p, ip.n);
	CHECK(rejects(DLT_EN10MB, &f));
}

TEST(linux_cooked)
{
	struct frame ip4 = ip4_default(), ip6 = ip6_default(), f = {.n = 0};

	/* SLL: packet type, ARPHRD, address length, 8 address bytes, protocol */
	put(&f, "\x00\x04\x00\x01\x00\x06\x02\x00\x00\x00\x00\x01\x00\x00\x86\xdd", 16);
	put(&f, ip6.p, ip6.n);
	DECODES(DLT_LINUX_SLL, &f, AF_INET6);
	/* SLL2: protocol, reserved, ifindex, ARPHRD, packet type, address length, address */
	f.n = 0;
	put(&f, "\x08\x00\x00\x00\x00\x00\x00\x02\x00\x01\x04\x06\x02\x00\x00\x00\x00\x01\x00\x00",
	    20);
	put(&f, ip4.p, ip4.n);
	DECODES(DLT_LINUX_SLL2, &f, AF_INET);
	/* an ARP frame in SLL2 */
	f.n = 0;
	put(&f, "\x08\x06\x00\x00\x00\x00\x00\x02\x00\x01\x04\x06\x02\x00\x00\x00\x00\x01\x00\x00",
	    20);
	put(&f, ip4.p, ip4.n);
	CHECK(rejects(DLT_LINUX_SLL2, &f));
}

TEST(raw_ip_link_types)
{
	struct frame ip4 = ip4_default(), ip6 = ip6_default();
	const int raw[] = {12, 14, 101};

	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		DECODES(raw[i], &ip4, AF_INET);
		DECODES(raw[i], &ip6, AF_INET6);
	}
	DECODES(DLT_IPV4, &ip4, AF_INET);
	DECODES(DLT_IPV6, &ip6, AF_INET6);
	CHECK(rejects(DLT_IPV4, &ip6));
	CHECK(rejects(DLT_IPV6, &ip4));
}

TEST(bsd_loopback)
{
	struct frame ip4 = ip4_default(), ip6 = ip6_default(), f = {.n = 0};

	put(&f, "\x02\x00\x00\x00", 4); /* AF_INET written by a little-endian host */
	put(&f, ip4.p, ip4.n);
	DECODES(DLT_NULL, &f, AF_INET);
	f.n = 0;
	put(&f, "\x00\x00\x00\x1e", 4); /* AF_INET6 on macOS, big-endian */
	put(&f, ip6.p, ip6.n);
	DECODES(DLT_NULL, &f, AF_INET6);
	f.n = 0;
	put(&f, "\x00\x00\x00\x18", 4); /* DLT_LOOP: network order, OpenBSD's AF_INET6 */
	put(&f, ip6.p, ip6.n);
	DECODES(108, &f, AF_INET6);
	f.n = 0;
	put(&f, "\x07\x00\x00\x00", 4);
	put(&f, ip4.p, ip4.n);
	CHECK(rejects(DLT_NULL, &f));
}

TEST(tcp_options_and_flags)
{
	struct frame t = {.n = 0}, ip = {.n = 0};
	const uint8_t *p;
	struct tcp_segment s;

	/* SYN|ACK|PSH|URG|ECE: only the flags the tracker uses come out */
	tcp(&t, 0x02 | 0x10 | 0x08 | 0x20 | 0x40, 3, payload, PLEN);
	ipv4(&ip, &t, 0, 6);
	p = guard_copy(ip.p, ip.n);
	if (CHECK_EQ_U64(pkt_decode(DLT_RAW, p, ip.n, &s), 0)) {
		CHECK_EQ_U64(s.flags, TCPF_SYN | TCPF_ACK);
		CHECK(s.payload == p + 20 + 32);
		CHECK_MEM_EQ(s.payload, s.len, payload, PLEN);
	}
	t.n = ip.n = 0;
	tcp(&t, TCPF_FIN | TCPF_RST, 0, NULL, 0);
	ipv4(&ip, &t, 0, 6);
	if (CHECK_EQ_U64(pkt_decode(DLT_RAW, guard_copy(ip.p, ip.n), ip.n, &s), 0))
		CHECK_EQ_U64(s.flags, TCPF_FIN | TCPF_RST);
	/* a data offset below 5 words */
	ip.p[20 + 12] = 4 << 4;
	CHECK(rejects(DLT_RAW, &ip));
	/* a data offset past the end of the segment */
	ip.p[20 + 12] = 15 << 4;
	CHECK(rejects(DLT_RAW, &ip));
}

TEST(ipv4_options_and_lengths)
{
	struct frame t = l4_default(), ip = {.n = 0};
	uint8_t h[24] = {0x46, 0, 0, 0, 0,   1,	 0,   0, 64, 6, 0, 0,
			 192,  0, 2, 1, 198, 51, 100, 7, 1,  1, 1, 0};

	/* IHL 6: four bytes of options */
	h[3] = 24 + t.n;
	put(&ip, h, 24);
	put(&ip, t.p, t.n);
	DECODES(DLT_RAW, &ip, AF_INET);
	/* total length 0 (a TSO segment captured on its sender): the capture bounds it */
	ip.p[2] = ip.p[3] = 0;
	DECODES(DLT_RAW, &ip, AF_INET);
	/* a total length shorter than the headers */
	ip.p[3] = 30;
	CHECK(rejects(DLT_RAW, &ip));
	/* IHL below 5 */
	ip.p[3] = 24 + t.n;
	ip.p[0] = 0x44;
	CHECK(rejects(DLT_RAW, &ip));
}

TEST(ipv4_fragments_are_rejected)
{
	struct frame t = l4_default(), ip = {.n = 0};

	ipv4(&ip, &t, 0x2000, 6); /* MF, offset 0 */
	CHECK(rejects(DLT_RAW, &ip));
	ip.n = 0;
	ipv4(&ip, &t, 0x0001, 6); /* offset 8, last */
	CHECK(rejects(DLT_RAW, &ip));
	ip.n = 0;
	ipv4(&ip, &t, 0x4000, 17); /* not TCP */
	CHECK(rejects(DLT_RAW, &ip));
}

TEST(ipv6_extension_headers)
{
	struct frame t = l4_default(), ip = {.n = 0};
	/* hop-by-hop (8 bytes) -> routing (24 bytes) -> destination options (8 bytes) -> TCP */
	uint8_t ext[40] = {43, 0, 1, 4, 0, 0, 0, 0, 60, 2};

	ext[32] = 6;
	ipv6(&ip, 0, ext, sizeof(ext), &t);
	DECODES(DLT_RAW, &ip, AF_INET6);
	/* a fragment header */
	memset(ext, 0, sizeof(ext));
	ext[0] = 6;
	ip.n = 0;
	ipv6(&ip, 44, ext, 8, &t);
	CHECK(rejects(DLT_RAW, &ip));
	/* an extension header running past the capture */
	ip.n = 0;
	ext[0] = 6;
	ext[1] = 200;
	ipv6(&ip, 60, ext, 8, &t);
	CHECK(rejects(DLT_RAW, &ip));
	/* a payload length shorter than the capture trims the trailer */
	ip.n = 0;
	ipv6(&ip, 6, NULL, 0, &t);
	put(&ip, "trailer", 7);
	DECODES(DLT_RAW, &ip, AF_INET6);
}

TEST(truncated_frames)
{
	struct frame ip = ip4_default(), f = {.n = 0};
	size_t hdrs = 14 + 20 + 20;

	eth(&f, 0x0800);
	put(&f, ip.p, ip.n);
	/* cut anywhere in the headers: rejected, never read past the end */
	for (size_t n = 0; n < hdrs; n++) {
		struct frame cut = f;

		cut.n = n;
		CHECK(rejects(DLT_EN10MB, &cut));
	}
	/* cut in the payload (a snap length): what was captured */
	for (size_t n = hdrs; n <= f.n; n++) {
		struct tcp_segment s;

		if (CHECK_EQ_U64(pkt_decode(DLT_EN10MB, guard_copy(f.p, n), n, &s), 0))
			CHECK_MEM_EQ(s.payload, s.len, payload, n - hdrs);
	}
	for (int dlt = 0; dlt < 300; dlt++) {
		struct tcp_segment s;

		CHECK(pkt_decode(dlt, guard_copy("", 0), 0, &s) == -1);
	}
}

TEST(unknown_link_type)
{
	struct frame ip = ip4_default();

	CHECK(rejects(DLT_IEEE802_11, &ip));
	CHECK(rejects(-1, &ip));
}

/* ---- capture files ---- */

struct seen {
	struct tcp_segment v[8];
	uint8_t data[8][64];
	unsigned int n;
};

static void on_segment(void *ctx, const struct tcp_segment *s)
{
	struct seen *sn = ctx;

	if (sn->n == 8 || s->len > 64)
		abort();
	sn->v[sn->n] = *s;
	memcpy(sn->data[sn->n], s->payload, s->len);
	sn->v[sn->n].payload = sn->data[sn->n];
	sn->n++;
}

static char *temp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "/tmp/test_pcapfile.%d.%s", (int)getpid(), name);
	return buf;
}

TEST(read_pcap_written_by_libpcap)
{
	struct frame ip4 = ip4_default(), ip6 = ip6_default(), f4 = {.n = 0}, f6 = {.n = 0};
	struct frame arp = {.n = 0};
	struct capture_stats st = {0};
	struct seen sn = {.n = 0};
	char path[128], err[256] = "";
	pcap_dumper_t *d;
	pcap_t *p;

	eth(&f4, 0x0800);
	put(&f4, ip4.p, ip4.n);
	eth(&f6, 0x86dd);
	put(&f6, ip6.p, ip6.n);
	eth(&arp, 0x0806);
	put(&arp, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
	temp_path(path, sizeof(path), "pcap");
	p = pcap_open_dead(DLT_EN10MB, 65535);
	d = pcap_dump_open(p, path);
	if (!CHECK(d != NULL)) {
		pcap_close(p);
		return;
	}
	{
		struct pcap_pkthdr h = {.ts = {1700000000, 123456}, .caplen = f4.n, .len = f4.n};

		pcap_dump((u_char *)d, &h, f4.p);
		h.ts.tv_usec++;
		h.caplen = h.len = arp.n;
		pcap_dump((u_char *)d, &h, arp.p);
		h.ts.tv_sec++;
		h.caplen = h.len = f6.n;
		pcap_dump((u_char *)d, &h, f6.p);
		h.caplen = 20; /* snapped inside the IP header */
		pcap_dump((u_char *)d, &h, f6.p);
	}
	pcap_dump_close(d);
	pcap_close(p);

	CHECK_EQ_U64(pcap_file_read(path, on_segment, &sn, &st, err, sizeof(err)), 0);
	CHECK_STR_EQ(err, "");
	CHECK_EQ_U64(st.frames, 4);
	CHECK_EQ_U64(st.tcp, 2);
	CHECK_EQ_U64(st.skipped, 2);
	if (CHECK_EQ_U64(sn.n, 2)) {
		CHECK_EQ_U64(sn.v[0].ts, 1700000000ull * 1000000000 + 123456000);
		CHECK_EQ_U64(sn.v[0].family, AF_INET);
		CHECK_EQ_U64(sn.v[1].ts, 1700000001ull * 1000000000 + 123457000);
		CHECK_EQ_U64(sn.v[1].family, AF_INET6);
		CHECK_EQ_U64(sn.v[1].seq, 0x01020304);
		CHECK_MEM_EQ(sn.v[1].payload, sn.v[1].len, payload, PLEN);
	}
	/* stats are optional */
	sn.n = 0;
	CHECK_EQ_U64(pcap_file_read(path, on_segment, &sn, NULL, err, sizeof(err)), 0);
	CHECK_EQ_U64(sn.n, 2);
	unlink(path);
}

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> 8 * i;
}

TEST(read_pcapng_sll2)
{
	/* pcapng by hand (libpcap does not write it): SHB, IDB (SLL2, ns resolution), EPB */
	struct frame ip4 = ip4_default(), f = {.n = 0};
	uint8_t file[512] = {0}, *q = file;
	struct capture_stats st = {0};
	struct seen sn = {.n = 0};
	char path[128], err[256] = "";
	uint64_t ts = 1700000000123456789ull;
	size_t epb;
	FILE *out;

	put(&f, "\x08\x00\x00\x00\x00\x00\x00\x02\x00\x01\x04\x06\x02\x00\x00\x00\x00\x01\x00\x00",
	    20);
	put(&f, ip4.p, ip4.n);
	/* Section Header Block: byte-order magic, version 1.0, section length unknown */
	le32(q, 0x0a0d0d0a);
	le32(q + 4, 28);
	le32(q + 8, 0x1a2b3c4d);
	q[12] = 1;
	memset(q + 16, 0xff, 8);
	le32(q + 24, 28);
	q += 28;
	/* Interface Description Block: LINKTYPE_LINUX_SLL2, if_tsresol = 10^-9, end of options */
	le32(q, 1);
	le32(q + 4, 32);
	q[8] = 276 & 0xff;
	q[9] = 276 >> 8;
	q[16] = 9;
	q[18] = 1;
	q[20] = 9;
	le32(q + 28, 32);
	q += 32;
	/* Enhanced Packet Block: interface 0, timestamp, lengths, frame padded to 4 */
	epb = 32 + (f.n + 3) / 4 * 4;
	le32(q, 6);
	le32(q + 4, epb);
	le32(q + 12, ts >> 32);
	le32(q + 16, ts & 0xffffffff);
	le32(q + 20, f.n);
	le32(q + 24, f.n);
	memcpy(q + 28, f.p, f.n);
	le32(q + epb - 4, epb);
	q += epb;
	temp_path(path, sizeof(path), "pcapng");
	out = fopen(path, "wb");
	if (!CHECK(out != NULL))
		return;
	fwrite(file, 1, q - file, out);
	fclose(out);
	CHECK_EQ_U64(pcap_file_read(path, on_segment, &sn, &st, err, sizeof(err)), 0);
	CHECK_STR_EQ(err, "");
	CHECK_EQ_U64(st.frames, 1);
	if (CHECK_EQ_U64(sn.n, 1)) {
		CHECK_EQ_U64(sn.v[0].ts, ts);
		CHECK_EQ_U64(sn.v[0].dport, 443);
		CHECK_MEM_EQ(sn.v[0].payload, sn.v[0].len, payload, PLEN);
	}
	unlink(path);
}

TEST(read_errors)
{
	struct seen sn = {.n = 0};
	char path[128], err[256] = "";
	FILE *out;

	CHECK_EQ_U64(pcap_file_read("/nonexistent/x.pcap", on_segment, &sn, NULL, err, sizeof(err)),
		     -1);
	CHECK_STR_EQ(err, "open capture /nonexistent/x.pcap: No such file or directory");
	temp_path(path, sizeof(path), "txt");
	out = fopen(path, "w");
	if (!CHECK(out != NULL))
		return;
	fputs("this is not a capture file, just some words\n", out);
	fclose(out);
	err[0] = 0;
	CHECK_EQ_U64(pcap_file_read(path, on_segment, &sn, NULL, err, sizeof(err)), -1);
	CHECK(strstr(err, path) != NULL);
	CHECK_EQ_U64(sn.n, 0);
	unlink(path);
}

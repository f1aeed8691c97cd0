// SPDX-License-Identifier: MIT
/* Records held for a memory-BIO binding: released in order, attributed or as they came. */
#include <string.h>

#include "check.h"
#include "hold.h"

struct out {
	unsigned int n;
	uint64_t ssl[16];
	int fd[16];
	uint8_t attr[16];
	uint16_t lport[16];
	char data[16][8];
};

static void release(void *ctx, const struct data_event *e, const uint8_t *data, uint32_t got)
{
	struct out *o = ctx;

	if (o->n >= 16)
		return;
	o->ssl[o->n] = e->ssl;
	o->fd[o->n] = e->fd;
	o->attr[o->n] = e->attribution;
	o->lport[o->n] = e->conn.lport;
	memcpy(o->data[o->n], data, got < 7 ? got : 7);
	o->n++;
}

static struct data_event ev(uint32_t pid, uint64_t ssl, int attributed)
{
	struct data_event e = {.hdr = {.type = EV_DATA, .pid = pid}, .ssl = ssl, .fd = -1};

	if (attributed) {
		e.attribution = ATTR_CACHED;
		e.fd = 9;
		e.conn.family = 2;
		e.conn.lport = 999;
	}
	return e;
}

TEST(bind_releases_that_ssl_in_order_with_its_connection)
{
	struct out o = {0};
	struct hold_opts opts = {
		.hold_ns = 100, .max_bytes = 1 << 20, .release = release, .ctx = &o};
	struct hold *h = hold__new(&opts);
	struct data_event a1 = ev(7, 0xa, 0), b1 = ev(7, 0xb, 0), a2 = ev(7, 0xa, 0);
	struct bind_event bind = {.hdr = {.type = EV_BIND, .pid = 7}, .ssl = 0xa, .fd = 5};
	struct hold_stats st;

	if (!CHECK(h))
		return;
	hold__push(h, &a1, (const uint8_t *)"req", 3, 10);
	hold__push(h, &b1, (const uint8_t *)"other", 5, 11);
	hold__push(h, &a2, (const uint8_t *)"body", 4, 12);
	CHECK_EQ_U64(o.n, 0);
	bind.conn.family = 2;
	bind.conn.lport = 443;
	hold__bind(h, &bind);
	if (!CHECK_EQ_U64(o.n, 2))
		return;
	CHECK_STR_EQ(o.data[0], "req");
	CHECK_STR_EQ(o.data[1], "body");
	CHECK_EQ_U64(o.attr[0], ATTR_CORRELATED);
	CHECK_EQ_U64(o.fd[1], 5);
	CHECK_EQ_U64(o.lport[1], 443);
	/* Another pid's bind for the same ssl value claims nothing. */
	bind.hdr.pid = 8;
	bind.ssl = 0xb;
	hold__bind(h, &bind);
	CHECK_EQ_U64(o.n, 2);
	/* Not yet old enough, then old enough: out as it came. */
	hold__expire(h, 110);
	CHECK_EQ_U64(o.n, 2);
	hold__expire(h, 111);
	if (CHECK_EQ_U64(o.n, 3)) {
		CHECK_STR_EQ(o.data[2], "other");
		CHECK_EQ_U64(o.attr[2], ATTR_UNATTRIBUTED);
		CHECK_EQ_U64(o.fd[2], (uint64_t)-1);
	}
	hold__stats(h, &st);
	CHECK_EQ_U64(st.correlated, 2);
	CHECK_EQ_U64(st.expired, 1);
	CHECK_EQ_U64(st.held, 0);
	hold__free(h);
}

TEST(attributed_record_claims_its_held_predecessors)
{
	struct out o = {0};
	struct hold_opts opts = {
		.hold_ns = 100, .max_bytes = 1 << 20, .release = release, .ctx = &o};
	struct hold *h = hold__new(&opts);
	struct data_event a1 = ev(7, 0xa, 0), a2 = ev(7, 0xa, 1), c = ev(7, 0xc, 1);

	if (!CHECK(h))
		return;
	hold__push(h, &c, (const uint8_t *)"c", 1, 1); /* nothing held: straight out */
	hold__push(h, &a1, (const uint8_t *)"first", 5, 2);
	hold__push(h, &a2, (const uint8_t *)"second", 6, 3);
	if (!CHECK_EQ_U64(o.n, 3))
		return;
	CHECK_STR_EQ(o.data[1], "first");
	CHECK_EQ_U64(o.attr[1], ATTR_CORRELATED);
	CHECK_EQ_U64(o.lport[1], 999);
	CHECK_STR_EQ(o.data[2], "second");
	CHECK_EQ_U64(o.attr[2], ATTR_CACHED);
	hold__free(h);
}

TEST(bounded_bytes_and_flush_by_pid)
{
	struct out o = {0};
	struct hold_opts opts = {.hold_ns = 100, .max_bytes = 8, .release = release, .ctx = &o};
	struct hold *h = hold__new(&opts);
	struct data_event a = ev(7, 0xa, 0), b = ev(8, 0xb, 0);

	if (!CHECK(h))
		return;
	hold__push(h, &a, (const uint8_t *)"12345", 5, 1);
	hold__push(h, &b, (const uint8_t *)"6789", 4, 2); /* 9 > 8: the oldest goes */
	if (CHECK_EQ_U64(o.n, 1))
		CHECK_STR_EQ(o.data[0], "12345");
	hold__flush(h, 7);
	CHECK_EQ_U64(o.n, 1);
	hold__flush(h, 8);
	if (CHECK_EQ_U64(o.n, 2))
		CHECK_STR_EQ(o.data[1], "6789");
	hold__free(h);
	hold__free(NULL);
}

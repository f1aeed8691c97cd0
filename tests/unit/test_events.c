// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "events.h"

/* Ring-buffer records start 8-aligned; sizes that are not a multiple of 8 get alignment slack. */
static const void *ring_copy(const void *p, size_t n)
{
	return n % 8 ? guard_copy_align(p, n, 8) : guard_copy(p, n);
}

static int decode(const void *rec, size_t size, struct event_view *v)
{
	return event_decode(ring_copy(rec, size), size, v);
}

/* A data record with chunk_len payload bytes 0, 1, 2, ...; free() it. */
static struct data_event *data_rec(uint32_t chunk_len, uint32_t len, uint32_t captured,
				   uint32_t offset)
{
	struct data_event *e = calloc(1, sizeof(*e) + chunk_len);

	e->hdr.type = EV_DATA;
	e->hdr.size = sizeof(*e) + chunk_len;
	e->hdr.ts = 1000;
	e->hdr.pid = 42;
	e->hdr.tid = 43;
	e->hdr.seq = 7;
	e->fd = -1;
	e->len = len;
	e->captured = captured;
	e->offset = offset;
	e->chunk_len = chunk_len;
	e->lib = LIB_OPENSSL;
	for (uint32_t i = 0; i < chunk_len; i++)
		e->data[i] = (uint8_t)i;
	return e;
}

TEST(too_short_for_a_header)
{
	struct exit_event ex = {.hdr = {.type = EV_EXIT, .size = sizeof(ex)}};
	struct event_view v;

	/*
	 * Every size below the header, including 0: nothing may be read, so the copy ends right
	 * at the guard page even where that leaves it misaligned.
	 */
	for (size_t n = 0; n < sizeof(struct event_hdr); n++)
		CHECK_EQ_U64(event_decode(guard_copy(&ex, n), n, &v), (uint64_t)-EBADMSG);
	CHECK(v.hdr == NULL);
	CHECK_EQ_U64(decode(&ex, sizeof(ex), &v), 0);
}

TEST(hdr_size_bounds)
{
	uint8_t raw[64] = {0};
	struct event_hdr *h = (struct event_hdr *)raw;
	struct event_view v;

	h->type = EV_EXIT;
	h->size = 40; /* claims more than the ring buffer handed over */
	CHECK_EQ_U64(decode(raw, 32, &v), (uint64_t)-EBADMSG);
	CHECK(v.hdr == NULL);
	h->size = 0xffffffff;
	CHECK_EQ_U64(decode(raw, 64, &v), (uint64_t)-EBADMSG);
	h->size = 16; /* smaller than the header itself */
	CHECK_EQ_U64(decode(raw, 32, &v), (uint64_t)-EBADMSG);
	h->size = 0;
	CHECK_EQ_U64(decode(raw, 32, &v), (uint64_t)-EBADMSG);
	/* The ring buffer may hand over more than hdr.size (padding): that is fine. */
	h->size = 32;
	CHECK_EQ_U64(decode(raw, 40, &v), 0);
	CHECK_EQ_U64(v.type, EV_EXIT);
}

TEST(hdr_size_below_type_struct)
{
	static const struct {
		uint16_t type;
		size_t min;
	} types[] = {
		{EV_DATA, sizeof(struct data_event)},
		{EV_EXEC, sizeof(struct exec_event)},
		{EV_LIBS, sizeof(struct libs_event)},
	};
	uint8_t raw[256] = {0};
	struct event_hdr *h = (struct event_hdr *)raw;
	struct event_view v;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		h->type = types[i].type;
		for (size_t n = sizeof(*h); n < types[i].min; n++) {
			h->size = n;
			if (!CHECK_EQ_U64(decode(raw, n, &v), (uint64_t)-EBADMSG))
				break;
			/* A big enough buffer does not help when hdr.size is short. */
			if (!CHECK_EQ_U64(decode(raw, types[i].min, &v), (uint64_t)-EBADMSG))
				break;
		}
	}
}

TEST(unknown_types)
{
	static const uint16_t bad[] = {0, EV__MAX, EV__MAX + 1, 0x100, 0xffff};
	uint8_t raw[256] = {0};
	struct event_hdr *h = (struct event_hdr *)raw;
	struct event_view v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		h->type = bad[i];
		h->size = 32;
		CHECK_EQ_U64(decode(raw, 32, &v), (uint64_t)-ENOTSUP);
		CHECK(v.hdr == NULL);
		h->size = sizeof(raw);
		CHECK_EQ_U64(decode(raw, sizeof(raw), &v), (uint64_t)-ENOTSUP);
	}
}

TEST(data_chunk_len_must_match_hdr_size)
{
	struct data_event *e = data_rec(16, 100, 50, 0);
	struct event_view v;

	e->chunk_len = 24; /* more than the record carries */
	CHECK_EQ_U64(decode(e, e->hdr.size, &v), (uint64_t)-EBADMSG);
	e->chunk_len = 8; /* less: trailing bytes nobody accounts for */
	CHECK_EQ_U64(decode(e, e->hdr.size, &v), (uint64_t)-EBADMSG);
	e->chunk_len = 0;
	CHECK_EQ_U64(decode(e, e->hdr.size, &v), (uint64_t)-EBADMSG);
	/* chunk_len so large that sizeof + chunk_len would wrap a 32-bit sum */
	e->chunk_len = 0xffffffff - sizeof(*e) + 17;
	CHECK_EQ_U64(decode(e, e->hdr.size, &v), (uint64_t)-EBADMSG);
	e->chunk_len = 16;
	CHECK_EQ_U64(decode(e, e->hdr.size, &v), 0);
	free(e);
}

TEST(data_chunk_len_above_chunk_max)
{
	struct data_event *e = data_rec(CHUNK_MAX + 8, 1 << 20, 1 << 20, 0);
	struct event_view v;

	CHECK_EQ_U64(decode(e, e->hdr.size, &v), (uint64_t)-EBADMSG);
	free(e);
	e = data_rec(CHUNK_MAX, 1 << 20, 1 << 20, 0);
	CHECK_EQ_U64(decode(e, e->hdr.size, &v), 0);
	free(e);
}

TEST(data_captured_above_len)
{
	struct data_event *e = data_rec(8, 8, 9, 0);
	struct event_view v;

	CHECK_EQ_U64(decode(e, e->hdr.size, &v), (uint64_t)-EBADMSG);
	e->len = 9;
	CHECK_EQ_U64(decode(e, e->hdr.size, &v), 0);
	free(e);
}

TEST(data_offset_plus_chunk_len_above_captured)
{
	struct data_event *e = data_rec(16, 100, 40, 32);
	struct event_view v;

	/* 32 + 16 > 40 */
	CHECK_EQ_U64(decode(e, e->hdr.size, &v), (uint64_t)-EBADMSG);
	e->offset = 24; /* 24 + 16 == 40: the last chunk */
	CHECK_EQ_U64(decode(e, e->hdr.size, &v), 0);
	e->offset = 41; /* past captured */
	CHECK_EQ_U64(decode(e, e->hdr.size, &v), (uint64_t)-EBADMSG);
	/* offset + chunk_len wraps 32 bits back below captured */
	e->offset = 0xfffffff8;
	CHECK_EQ_U64(decode(e, e->hdr.size, &v), (uint64_t)-EBADMSG);
	free(e);
}

TEST(data_enums_out_of_range)
{
	struct data_event *e = data_rec(8, 8, 8, 0);
	struct event_view v;

	e->dir = DIR_INGRESS + 1;
	CHECK_EQ_U64(decode(e, e->hdr.size, &v), (uint64_t)-EBADMSG);
	e->dir = DIR_INGRESS;
	e->attribution = ATTR_CACHED + 1;
	CHECK_EQ_U64(decode(e, e->hdr.size, &v), (uint64_t)-EBADMSG);
	e->attribution = ATTR_CACHED;
	e->conn.role = ROLE_SERVER + 1;
	CHECK_EQ_U64(decode(e, e->hdr.size, &v), (uint64_t)-EBADMSG);
	e->conn.role = ROLE_SERVER;
	CHECK_EQ_U64(decode(e, e->hdr.size, &v), 0);
	free(e);
}

TEST(valid_data)
{
	struct data_event *e = data_rec(24, 1000, 64, 40);
	struct event_view v;
	const void *raw;

	/* 136 + 24 is a multiple of 8: the payload's last byte touches the guard page. */
	raw = guard_copy(e, e->hdr.size);
	CHECK_EQ_U64(event_decode(raw, e->hdr.size, &v), 0);
	CHECK_EQ_U64(v.type, EV_DATA);
	CHECK(v.hdr == raw);
	CHECK(v.data == raw);
	CHECK_EQ_U64(v.data->chunk_len, 24);
	CHECK_EQ_U64(v.data->offset, 40);
	CHECK_EQ_U64(v.hdr->seq, 7);
	CHECK_MEM_EQ(v.data->data, 24, e->data, 24);
	free(e);

	/* An odd payload length. */
	e = data_rec(5, 5, 5, 0);
	CHECK_EQ_U64(decode(e, e->hdr.size, &v), 0);
	CHECK_MEM_EQ(v.data->data, 5, "\0\1\2\3\4", 5);
	free(e);

	/* A call that moved bytes but captured none (--max-capture 0 or a read fault). */
	e = data_rec(0, 100, 0, 0);
	CHECK_EQ_U64(decode(e, e->hdr.size, &v), 0);
	CHECK_EQ_U64(v.data->len, 100);
	free(e);
}

TEST(valid_exec_exit_libs)
{
	struct exec_event ex = {.hdr = {.type = EV_EXEC, .size = sizeof(ex), .pid = 9}, .ppid = 1};
	struct exit_event xt = {.hdr = {.type = EV_EXIT, .size = sizeof(xt), .pid = 10}};
	struct libs_event lb = {.hdr = {.type = EV_LIBS, .size = sizeof(lb), .pid = 11}};
	struct event_view v;

	memcpy(ex.comm, "curl", 5);
	CHECK_EQ_U64(decode(&ex, sizeof(ex), &v), 0);
	CHECK_EQ_U64(v.type, EV_EXEC);
	CHECK_EQ_U64(v.exec->ppid, 1);
	CHECK_EQ_U64(v.hdr->pid, 9);
	CHECK_STR_EQ(v.exec->comm, "curl");

	CHECK_EQ_U64(decode(&xt, sizeof(xt), &v), 0);
	CHECK_EQ_U64(v.type, EV_EXIT);
	CHECK_EQ_U64(v.exit->hdr.pid, 10);

	CHECK_EQ_U64(decode(&lb, sizeof(lb), &v), 0);
	CHECK_EQ_U64(v.type, EV_LIBS);
	CHECK_EQ_U64(v.libs->hdr.pid, 11);
}

TEST(bind_needs_a_connection)
{
	struct bind_event b = {.hdr = {.type = EV_BIND, .size = sizeof(b)}, .ssl = 1, .fd = 4};
	struct event_view v;

	CHECK_EQ_U64(event_decode(&b, sizeof(b), &v), (uint64_t)-EBADMSG); /* no family */
	b.conn.family = 2;
	b.conn.role = 7;
	CHECK_EQ_U64(event_decode(&b, sizeof(b), &v), (uint64_t)-EBADMSG);
	b.conn.role = ROLE_SERVER;
	if (CHECK_EQ_U64(event_decode(&b, sizeof(b), &v), 0)) {
		CHECK_EQ_U64(v.type, EV_BIND);
		CHECK_EQ_U64(v.bind->fd, 4);
	}
	b.hdr.size = sizeof(b) - 1;
	CHECK_EQ_U64(event_decode(&b, sizeof(b) - 1, &v), (uint64_t)-EBADMSG);
}

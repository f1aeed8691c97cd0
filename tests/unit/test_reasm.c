// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "events.h"
#include "reasm.h"

struct emitted {
	/* The fields of the call's first chunk the tests look at (struct data_event ends in a
	 * flexible array, so it is not embedded whole). */
	struct {
		struct event_hdr hdr;
		uint32_t len, captured, offset;
	} meta;
	uint8_t *data;
	uint32_t got;
};

struct log {
	struct emitted v[64];
	unsigned int n;
};

static void emit(void *ctx, const struct data_event *meta, const uint8_t *data, uint32_t got)
{
	struct log *l = ctx;
	struct emitted *e = &l->v[l->n++];

	if (l->n > sizeof(l->v) / sizeof(l->v[0]))
		abort();
	e->meta.hdr = meta->hdr;
	e->meta.len = meta->len;
	e->meta.captured = meta->captured;
	e->meta.offset = meta->offset;
	e->got = got;
	e->data = malloc(got ? got : 1);
	if (got)
		memcpy(e->data, data, got);
}

static void log_free(struct log *l)
{
	for (unsigned int i = 0; i < l->n; i++)
		free(l->v[i].data);
	l->n = 0;
}

static struct reasm *new_reasm(struct log *l, unsigned int max_pending)
{
	struct reasm_opts o = {.max_pending = max_pending, .emit = emit, .ctx = l};

	memset(l, 0, sizeof(*l));
	return reasm__new(&o);
}

/* The payload byte at offset i of call seq: distinct per call, so joins can be checked. */
static uint8_t pat(uint64_t seq, uint32_t i)
{
	return (uint8_t)(seq * 31 + i * 7 + (i >> 8));
}

/*
 * Pushes the chunk [offset, offset + chunk_len) of call seq (captured bytes of len) on tid,
 * through event_decode() from a guard-page copy, as the agent does.
 */
static void push(struct reasm *r, uint32_t pid, uint32_t tid, uint64_t seq, uint64_t ts,
		 uint32_t captured, uint32_t offset, uint32_t chunk_len)
{
	size_t size = sizeof(struct data_event) + chunk_len;
	struct data_event *e = calloc(1, size);
	struct event_view v;
	const void *raw;

	e->hdr.type = EV_DATA;
	e->hdr.size = size;
	e->hdr.ts = ts;
	e->hdr.pid = pid;
	e->hdr.tid = tid;
	e->hdr.seq = seq;
	e->hdr.flags = offset + chunk_len == captured ? DATA_F_LAST : 0;
	e->fd = 5;
	e->len = captured + 100;
	e->captured = captured;
	e->offset = offset;
	e->chunk_len = chunk_len;
	e->dir = DIR_INGRESS;
	for (uint32_t i = 0; i < chunk_len; i++)
		e->data[i] = pat(seq, offset + i);
	raw = size % 8 ? guard_copy_align(e, size, 8) : guard_copy(e, size);
	if (CHECK_EQ_U64(event_decode(raw, size, &v), 0))
		reasm__push(r, v.data);
	free(e);
}

/* Checks that emitted record i is call seq of tid with its first got bytes, exactly. */
static int is_call(const struct log *l, unsigned int i, uint32_t tid, uint64_t seq,
		   uint32_t captured, uint32_t got, const char *file, int line)
{
	uint8_t *want;
	int ok;

	if (!check_true_(i < l->n, "record index < emitted", file, line))
		return 0;
	ok = check_eq_u64_(l->v[i].meta.hdr.tid, tid, "tid", "want tid", file, line);
	ok &= check_eq_u64_(l->v[i].meta.hdr.seq, seq, "seq", "want seq", file, line);
	ok &= check_eq_u64_(l->v[i].meta.captured, captured, "captured", "want captured", file,
			    line);
	ok &= check_eq_u64_(l->v[i].meta.offset, 0, "meta.offset", "0", file, line);
	ok &= check_eq_u64_(l->v[i].meta.len, captured + 100, "meta.len", "captured + 100", file,
			    line);
	want = malloc(got ? got : 1);
	for (uint32_t j = 0; j < got; j++)
		want[j] = pat(seq, j);
	ok &= check_mem_eq_(l->v[i].data, l->v[i].got, want, got, "emitted data", "pattern", file,
			    line);
	free(want);
	return ok;
}

#define IS_CALL(l, i, tid, seq, captured, got)                                                     \
	is_call((l), (i), (tid), (seq), (captured), (got), __FILE__, __LINE__)

TEST(single_chunk_emitted_at_once)
{
	struct log l;
	struct reasm *r = new_reasm(&l, 0);

	push(r, 1, 10, 100, 1000, 64, 0, 64);
	CHECK_EQ_U64(l.n, 1);
	IS_CALL(&l, 0, 10, 100, 64, 64);
	/* Nothing is left open: a flush emits nothing more. */
	reasm__flush(r, 0, 0);
	CHECK_EQ_U64(l.n, 1);
	CHECK_EQ_U64(reasm__orphans(r), 0);
	log_free(&l);
	reasm__free(r);
}

TEST(empty_call_emitted_at_once)
{
	struct log l;
	struct reasm *r = new_reasm(&l, 0);

	push(r, 1, 10, 100, 1000, 0, 0, 0);
	CHECK_EQ_U64(l.n, 1);
	IS_CALL(&l, 0, 10, 100, 0, 0);
	log_free(&l);
	reasm__free(r);
}

TEST(multi_chunk_joined_in_order)
{
	struct log l;
	struct reasm *r = new_reasm(&l, 0);
	uint32_t captured = 3 * CHUNK_MAX + 123;

	for (uint32_t off = 0; off < captured; off += CHUNK_MAX) {
		uint32_t n = captured - off < CHUNK_MAX ? captured - off : CHUNK_MAX;

		CHECK_EQ_U64(l.n, 0); /* nothing before the last chunk */
		push(r, 1, 10, 100, 1000 + off, captured, off, n);
	}
	CHECK_EQ_U64(l.n, 1);
	IS_CALL(&l, 0, 10, 100, captured, captured);
	CHECK_EQ_U64(reasm__orphans(r), 0);
	reasm__flush(r, 0, 0);
	CHECK_EQ_U64(l.n, 1);
	log_free(&l);
	reasm__free(r);
}

TEST(odd_chunk_sizes_joined)
{
	struct log l;
	struct reasm *r = new_reasm(&l, 0);

	push(r, 1, 10, 5, 1, 10, 0, 1);
	push(r, 1, 10, 5, 2, 10, 1, 0); /* an empty chunk in the middle is harmless */
	push(r, 1, 10, 5, 3, 10, 1, 6);
	push(r, 1, 10, 5, 4, 10, 7, 3);
	CHECK_EQ_U64(l.n, 1);
	IS_CALL(&l, 0, 10, 5, 10, 10);
	log_free(&l);
	reasm__free(r);
}

TEST(two_threads_interleaved)
{
	struct log l;
	struct reasm *r = new_reasm(&l, 0);

	push(r, 1, 10, 100, 1, 300, 0, 100);
	push(r, 1, 11, 200, 2, 250, 0, 100);
	push(r, 1, 10, 100, 3, 300, 100, 100);
	push(r, 1, 11, 200, 4, 250, 100, 100);
	push(r, 1, 11, 200, 5, 250, 200, 50);
	CHECK_EQ_U64(l.n, 1);
	IS_CALL(&l, 0, 11, 200, 250, 250);
	push(r, 1, 10, 100, 6, 300, 200, 100);
	CHECK_EQ_U64(l.n, 2);
	IS_CALL(&l, 1, 10, 100, 300, 300);
	CHECK_EQ_U64(reasm__orphans(r), 0);
	log_free(&l);
	reasm__free(r);
}

/*
 * Call numbers are per thread, so a thread id reused by a new thread can repeat the number
 * of an incomplete call its predecessor left open. A chunk at offset 0 starts a new call.
 */
TEST(same_seq_at_offset_zero_is_a_new_call)
{
	struct log l;
	struct reasm *r = new_reasm(&l, 0);

	push(r, 1, 10, 1, 1, 300, 0, 100);
	push(r, 1, 10, 1, 2, 50, 0, 50);
	CHECK_EQ_U64(l.n, 2);
	IS_CALL(&l, 0, 10, 1, 300, 100);
	IS_CALL(&l, 1, 10, 1, 50, 50);
	CHECK_EQ_U64(reasm__orphans(r), 0);
	log_free(&l);
	reasm__free(r);
}

TEST(new_seq_closes_incomplete_call)
{
	struct log l;
	struct reasm *r = new_reasm(&l, 0);

	push(r, 1, 10, 100, 1, 300, 0, 100);
	push(r, 1, 10, 100, 2, 300, 100, 100);
	/* The last chunk of call 100 was lost; the thread's next call starts. */
	push(r, 1, 10, 101, 3, 40, 0, 20);
	CHECK_EQ_U64(l.n, 1);
	IS_CALL(&l, 0, 10, 100, 300, 200);
	CHECK(l.v[0].got < l.v[0].meta.captured);
	push(r, 1, 10, 101, 4, 40, 20, 20);
	CHECK_EQ_U64(l.n, 2);
	IS_CALL(&l, 1, 10, 101, 40, 40);
	/* A single-chunk call after an incomplete one: both come out, in order. */
	push(r, 1, 10, 102, 5, 300, 0, 100);
	push(r, 1, 10, 103, 6, 8, 0, 8);
	CHECK_EQ_U64(l.n, 4);
	IS_CALL(&l, 2, 10, 102, 300, 100);
	IS_CALL(&l, 3, 10, 103, 8, 8);
	CHECK_EQ_U64(reasm__orphans(r), 0);
	log_free(&l);
	reasm__free(r);
}

TEST(flush_by_pid)
{
	struct log l;
	struct reasm *r = new_reasm(&l, 0);

	push(r, 1, 10, 100, 1, 300, 0, 100);
	push(r, 2, 20, 200, 2, 300, 0, 50);
	push(r, 1, 11, 110, 3, 300, 0, 70);
	push(r, 3, 30, 300, 4, 300, 0, 10);
	reasm__flush(r, 1, 0);
	CHECK_EQ_U64(l.n, 2);
	/* Order among the flushed calls is not part of the contract. */
	if (l.n == 2 && l.v[0].meta.hdr.tid == 11) {
		IS_CALL(&l, 0, 11, 110, 300, 70);
		IS_CALL(&l, 1, 10, 100, 300, 100);
	} else {
		IS_CALL(&l, 0, 10, 100, 300, 100);
		IS_CALL(&l, 1, 11, 110, 300, 70);
	}
	reasm__flush(r, 99, 0); /* no such process */
	CHECK_EQ_U64(l.n, 2);
	reasm__flush(r, 3, 0);
	CHECK_EQ_U64(l.n, 3);
	IS_CALL(&l, 2, 30, 300, 300, 10);
	/* pid 2's call is still open and can complete. */
	push(r, 2, 20, 200, 5, 300, 50, 250);
	CHECK_EQ_U64(l.n, 4);
	IS_CALL(&l, 3, 20, 200, 300, 300);
	log_free(&l);
	reasm__free(r);
}

TEST(flush_by_timestamp)
{
	struct log l;
	struct reasm *r = new_reasm(&l, 0);

	push(r, 1, 10, 100, 1000, 300, 0, 100);
	push(r, 1, 11, 110, 2000, 300, 0, 100);
	push(r, 1, 10, 100, 3000, 300, 100, 100); /* feeds call 100 again: now last fed at 3000 */
	push(r, 2, 20, 200, 2500, 300, 0, 100);
	reasm__flush(r, 0, 2000); /* strictly before 2000: nothing */
	CHECK_EQ_U64(l.n, 0);
	reasm__flush(r, 0, 2001);
	CHECK_EQ_U64(l.n, 1);
	IS_CALL(&l, 0, 11, 110, 300, 100);
	reasm__flush(r, 2, 3001); /* both filters: only pid 2's stale call */
	CHECK_EQ_U64(l.n, 2);
	IS_CALL(&l, 1, 20, 200, 300, 100);
	reasm__flush(r, 0, 0); /* everything */
	CHECK_EQ_U64(l.n, 3);
	IS_CALL(&l, 2, 10, 100, 300, 200);
	reasm__flush(r, 0, 0);
	CHECK_EQ_U64(l.n, 3);
	log_free(&l);
	reasm__free(r);
}

TEST(orphan_chunks_counted)
{
	struct log l;
	struct reasm *r = new_reasm(&l, 0);

	/* The first chunk of call 100 never arrived. */
	push(r, 1, 10, 100, 1, 300, 100, 100);
	CHECK_EQ_U64(reasm__orphans(r), 1);
	push(r, 1, 10, 100, 2, 300, 200, 100);
	CHECK_EQ_U64(reasm__orphans(r), 2);
	CHECK_EQ_U64(l.n, 0);
	/* The thread's next call is joined normally. */
	push(r, 1, 10, 101, 3, 20, 0, 10);
	push(r, 1, 10, 101, 4, 20, 10, 10);
	CHECK_EQ_U64(l.n, 1);
	IS_CALL(&l, 0, 10, 101, 20, 20);
	/* A gap inside an open call: the call is closed with what it has, the chunk orphaned. */
	push(r, 1, 10, 102, 5, 300, 0, 100);
	push(r, 1, 10, 102, 6, 300, 200, 100);
	CHECK_EQ_U64(reasm__orphans(r), 3);
	CHECK_EQ_U64(l.n, 2);
	IS_CALL(&l, 1, 10, 102, 300, 100);
	/* Its tail, arriving later, matches nothing. */
	push(r, 1, 10, 102, 7, 300, 100, 100);
	CHECK_EQ_U64(reasm__orphans(r), 4);
	CHECK_EQ_U64(l.n, 2);
	reasm__flush(r, 0, 0);
	CHECK_EQ_U64(l.n, 2);
	log_free(&l);
	reasm__free(r);
}

TEST(max_pending_closes_oldest)
{
	struct log l;
	struct reasm *r = new_reasm(&l, 3);

	push(r, 1, 10, 100, 3000, 300, 0, 100);
	push(r, 1, 11, 110, 1000, 300, 0, 100); /* the oldest, though not the first */
	push(r, 1, 12, 120, 2000, 300, 0, 100);
	CHECK_EQ_U64(l.n, 0);
	push(r, 1, 13, 130, 4000, 300, 0, 100);
	CHECK_EQ_U64(l.n, 1);
	IS_CALL(&l, 0, 11, 110, 300, 100);
	push(r, 1, 14, 140, 5000, 300, 0, 100);
	CHECK_EQ_U64(l.n, 2);
	IS_CALL(&l, 1, 12, 120, 300, 100);
	/* Feeding call 100 makes it the newest: 130 is now the oldest. */
	push(r, 1, 10, 100, 6000, 300, 100, 100);
	push(r, 1, 15, 150, 7000, 300, 0, 100);
	CHECK_EQ_U64(l.n, 3);
	IS_CALL(&l, 2, 13, 130, 300, 100);
	/* A single-chunk call needs no slot and closes nothing. */
	push(r, 1, 16, 160, 8000, 8, 0, 8);
	CHECK_EQ_U64(l.n, 4);
	IS_CALL(&l, 3, 16, 160, 8, 8);
	CHECK_EQ_U64(reasm__orphans(r), 0);
	reasm__flush(r, 0, 0);
	CHECK_EQ_U64(l.n, 7);
	log_free(&l);
	reasm__free(r);
}

/*
 * Two chunks of one call (same tid and seq) that each pass event_decode() but disagree on
 * captured: the second says 400, the first 200. Joining the second's 300 bytes at offset 100
 * would write 200 bytes past the 200-byte buffer reasm allocated for the first. The call
 * must be closed (or the chunk dropped) instead; in a child, since a heap overflow aborts.
 */
static void inconsistent_captured(void *arg)
{
	struct log l;
	struct reasm *r = new_reasm(&l, 0);

	push(r, 1, 10, 100, 1, 200, 0, 100);
	push(r, 1, 10, 100, 2, 400, 100, 300);
	reasm__flush(r, 0, 0);
	for (unsigned int i = 0; i < l.n; i++)
		if (l.v[i].got > l.v[i].meta.captured)
			exit(3);
	log_free(&l);
	reasm__free(r);
}

TEST(chunk_disagreeing_on_captured_does_not_overflow)
{
	int st = run_in_child(inconsistent_captured, NULL, 1);

	CHECK(WIFEXITED(st));
	CHECK_EQ_U64(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), 0);
}

TEST(free_with_open_calls_and_null)
{
	struct log l;
	struct reasm *r = new_reasm(&l, 0);

	push(r, 1, 10, 100, 1, 300, 0, 100);
	reasm__free(r); /* frees without emitting; LeakSanitizer checks the buffers */
	CHECK_EQ_U64(l.n, 0);
	reasm__free(NULL);
}

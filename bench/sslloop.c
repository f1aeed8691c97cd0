// SPDX-License-Identifier: MIT
/*
 * sslloop: the per-call cost of TLS calls, and a rate-controlled TLS event generator.
 *
 * One process, no sockets: a client and a server SSL object joined by a memory BIO pair
 * (BIO_new_bio_pair). After the handshake every iteration is one SSL_write(client, SIZE)
 * followed by SSL_read(server) until the SIZE bytes arrived: two TLS calls that move data
 * (SSL_read of a whole record gets it in one call, so normally exactly 2 calls).
 *
 *   sslloop [-s SIZE] (-n ITERS | -t SECONDS) [-r PAIRS_PER_SEC] [-j THREADS] [-w WARMUP]
 *           [-g GO_FILE]
 *
 *   -s SIZE    bytes per SSL_write (1..16384, default 64)
 *   -n ITERS   run this many timed iterations
 *   -t SECS    run timed iterations for this long (checked every 16 iterations)
 *   -r RATE    pace to RATE iterations (write+read pairs) per second in total; 0 = as fast as
 *              possible
 *   -j N       N threads (default 1), each with its own client/server pair; ITERS and RATE
 *              are split evenly between them; the figures printed are totals
 *   -w WARMUP  untimed iterations per thread before timing starts (default 1000; counted in
 *              calls=)
 *   -g FILE    before the handshake, wait (at most 60 s) for FILE to exist: lets a tracer
 *              start with -p $PID before any TLS call is made
 *
 * Prints one line of key=value pairs on stdout, e.g.
 *   size=64 threads=1 iters=400000 secs=1.012 ns_per_iter=2530.1 cpu_ns_per_iter=2522.3
 *   pairs_per_s=395256 calls=802000 calls_ok=802000 bytes=51328000
 * ns_per_iter is wall-clock time per iteration (with -j: per iteration of all threads together);
 * cpu_ns_per_iter is the process's CPU time (user + system, which includes the probes' kernel
 * work) per iteration, unaffected by other processes taking the CPU.
 * calls / calls_ok / bytes count every SSL_write/SSL_read this process made (handshake excluded:
 * it uses SSL_do_handshake), including the warm-up: what a tracer of this pid should report.
 * Exit status 0 on success, 1 on any TLS error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define BENCH_PROG "sslloop"
#include "tlsbench.h"

#define MAX_SIZE 16384

#define MAX_THREADS 8

struct worker {
	pthread_t th;
	SSL *cli, *srv;
	uint64_t calls, calls_ok, bytes, iters;
	unsigned char in[MAX_SIZE];
};

/* Set before the threads start, read-only afterwards (t0 is set between the two barriers). */
static long size = 64, warmup = 1000;
static uint64_t iters_per_thread, rate_per_thread, t0, end_ns;
static unsigned char out[MAX_SIZE];
static pthread_barrier_t ready, go_barrier;

static void die(const char *what)
{
	fprintf(stderr, "sslloop: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = {.tv_sec = t / 1000000000ull, .tv_nsec = t % 1000000000ull};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void handshake(SSL *cli, SSL *srv)
{
	int cdone = 0, sdone = 0;

	for (int i = 0; i < 100 && !(cdone && sdone); i++) {
		if (!cdone) {
			int r = SSL_do_handshake(cli);

			if (r == 1)
				cdone = 1;
			else if (SSL_get_error(cli, r) != SSL_ERROR_WANT_READ)
				die("client handshake");
		}
		if (!sdone) {
			int r = SSL_do_handshake(srv);

			if (r == 1)
				sdone = 1;
			else if (SSL_get_error(srv, r) != SSL_ERROR_WANT_READ)
				die("server handshake");
		}
	}
	if (!cdone || !sdone)
		die("handshake did not finish in 100 steps");
}

/* One write+read pair. */
static inline void pair(struct worker *w)
{
	int r = SSL_write(w->cli, out, size), got = 0;

	w->calls++;
	if (r != size)
		die("SSL_write");
	w->calls_ok++;
	w->bytes += r;
	for (int i = 0; got < size && i < 64; i++) {
		r = SSL_read(w->srv, w->in + got, MAX_SIZE - got);
		w->calls++;
		if (r <= 0)
			die("SSL_read");
		w->calls_ok++;
		w->bytes += r;
		got += r;
	}
	if (got != size)
		die("SSL_read: short");
}

static void *run(void *arg)
{
	struct worker *w = arg;
	uint64_t max = iters_per_thread ? iters_per_thread : UINT64_MAX;

	handshake(w->cli, w->srv);
	for (long i = 0; i < warmup; i++)
		pair(w);
	pthread_barrier_wait(&ready);
	pthread_barrier_wait(&go_barrier);
	if (iters_per_thread && !rate_per_thread) {
		for (; w->iters < max; w->iters++)
			pair(w);
		return NULL;
	}
	for (;;) {
		uint64_t now;

		for (int k = 0; k < 16 && w->iters < max; k++, w->iters++)
			pair(w);
		if (w->iters >= max)
			break;
		now = now_ns();
		if (now >= end_ns)
			break;
		if (rate_per_thread) {
			/* When this batch's successor is due. */
			uint64_t due = t0 + (uint64_t)((double)w->iters * 1e9 / rate_per_thread);

			if (due > now)
				sleep_until(due < end_ns ? due : end_ns);
		}
	}
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: sslloop [-s SIZE] (-n ITERS | -t SECS) [-r RATE] [-w WARMUP] "
			"[-g GO_FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t iters = 0, rate = 0, calls = 0, calls_ok = 0, bytes = 0, iters_done = 0;
	double secs = 0;
	const char *go = NULL;
	static struct worker workers[MAX_THREADS];
	long nthreads = 1;
	EVP_PKEY *pkey;
	X509 *cert;
	SSL_CTX *cctx, *sctx;
	uint64_t t1, c0, c1;
	int c;

	while ((c = getopt(argc, argv, "s:n:t:r:j:w:g:")) != -1) {
		switch (c) {
		case 's':
			size = strtol(optarg, NULL, 0);
			break;
		case 'n':
			iters = strtoull(optarg, NULL, 0);
			break;
		case 't':
			secs = strtod(optarg, NULL);
			break;
		case 'r':
			rate = strtoull(optarg, NULL, 0);
			break;
		case 'j':
			nthreads = strtol(optarg, NULL, 0);
			break;
		case 'w':
			warmup = strtol(optarg, NULL, 0);
			break;
		case 'g':
			go = optarg;
			break;
		default:
			usage();
		}
	}
	if (size < 1 || size > MAX_SIZE || warmup < 0 || (!iters && secs <= 0) ||
	    (iters && secs > 0) || secs > 3600 || nthreads < 1 || nthreads > MAX_THREADS)
		usage();
	iters_per_thread = iters ? (iters + nthreads - 1) / nthreads : 0;
	rate_per_thread = rate ? (rate + nthreads - 1) / nthreads : 0;
	for (long i = 0; i < size; i++)
		out[i] = 'a' + i % 26;
	prctl(PR_SET_TIMERSLACK, 1UL); /* pacing sleeps: 1 ns slack, not 50 us */

	if (go) {
		for (int i = 0; access(go, F_OK); i++) {
			if (i >= 60000)
				die("go file did not appear in 60 s");
			usleep(1000);
		}
	}

	make_cert(&pkey, &cert);
	cctx = SSL_CTX_new(TLS_client_method());
	sctx = SSL_CTX_new(TLS_server_method());
	if (!cctx || !sctx)
		die("SSL_CTX_new");
	if (SSL_CTX_use_certificate(sctx, cert) != 1 || SSL_CTX_use_PrivateKey(sctx, pkey) != 1)
		die("server cert");
	SSL_CTX_set_num_tickets(sctx, 0); /* the client never reads: send it nothing */
	SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, NULL);
	pthread_barrier_init(&ready, NULL, nthreads + 1);
	pthread_barrier_init(&go_barrier, NULL, nthreads + 1);
	for (long i = 0; i < nthreads; i++) {
		struct worker *w = &workers[i];
		BIO *cb, *sb;

		w->cli = SSL_new(cctx);
		w->srv = SSL_new(sctx);
		if (!w->cli || !w->srv || !BIO_new_bio_pair(&cb, 65536, &sb, 65536))
			die("SSL_new/BIO_new_bio_pair");
		SSL_set_bio(w->cli, cb, cb);
		SSL_set_bio(w->srv, sb, sb);
		SSL_set_connect_state(w->cli);
		SSL_set_accept_state(w->srv);
		if (pthread_create(&w->th, NULL, run, w))
			die("pthread_create");
	}
	pthread_barrier_wait(&ready);
	c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	t0 = now_ns();
	end_ns = secs > 0 ? t0 + (uint64_t)(secs * 1e9) : UINT64_MAX;
	pthread_barrier_wait(&go_barrier);
	for (long i = 0; i < nthreads; i++) {
		pthread_join(workers[i].th, NULL);
		calls += workers[i].calls;
		calls_ok += workers[i].calls_ok;
		bytes += workers[i].bytes;
		iters_done += workers[i].iters;
	}
	t1 = now_ns();
	c1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);

	printf("size=%ld threads=%ld iters=%" PRIu64
	       " secs=%.3f ns_per_iter=%.1f cpu_ns_per_iter=%.1f"
	       " pairs_per_s=%.0f calls=%" PRIu64 " calls_ok=%" PRIu64 " bytes=%" PRIu64 "\n",
	       size, nthreads, iters_done, (t1 - t0) / 1e9,
	       iters_done ? (double)(t1 - t0) / iters_done : 0.0,
	       iters_done ? (double)(c1 - c0) / iters_done : 0.0,
	       t1 > t0 ? iters_done * 1e9 / (t1 - t0) : 0.0, calls, calls_ok, bytes);
	fflush(stdout);
	for (long i = 0; i < nthreads; i++) {
		SSL_free(workers[i].cli);
		SSL_free(workers[i].srv);
	}
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
	X509_free(cert);
	EVP_PKEY_free(pkey);
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * tlsloop: TLS over real TCP on 127.0.0.1, to price what sees the packets (the handshake
 * classifier on lo): handshakes per second, or the throughput of one bulk connection.
 *
 * One process; each of -j N pairs is a server thread (its own listener on 127.0.0.1, an
 * ephemeral port) and a client thread. One process, because then one pid is traced, one
 * CPU-time figure covers both ends, and the kernel's share of the loopback traffic (TCP, and
 * the TC programs on lo, which run in the sending thread's context) is in that figure, as with
 * sslloop. Threads rather than a lock-step loop in one, because client and server then overlap
 * as they would on a host (the client starts its next handshake while the server finishes the
 * last). One pair is latency-bound: its rate depends on how fast idle CPUs wake up, which an
 * agent's mere activity changes. With enough pairs (-j) the CPUs are saturated and the rate
 * measures CPU cost, which an agent's user-space work competes for, as on a busy server.
 *
 *   tlsloop -m handshakes -t SECS [-j N] [-x BYTES] [-w WARMUP] [-g GO_FILE]
 *   tlsloop -m bulk -t SECS [-j N] [-s SIZE] [-w WARMUP] [-g GO_FILE]
 *
 *   -m handshakes  repeat: connect (TCP_NODELAY), full TLS 1.3 handshake (no session cache, no
 *                  tickets: never a resumption), optionally one exchange, close. The client
 *                  closes first (tcp_tw_reuse lets loopback connections reuse TIME_WAIT ports).
 *   -m bulk        one connection per pair; the client SSL_writes SIZE bytes in a loop, the
 *                  server SSL_reads them; at the end a close_notify, and the clock stops once
 *                  every server has read everything
 *   -t SECS        how long to run timed iterations
 *   -j N           N client/server pairs (1..16, default 1); the figures printed are totals
 *   -s SIZE        bytes per SSL_write in bulk mode (1..16384, default 16384)
 *   -x BYTES       handshakes mode: after the handshake the client sends BYTES (1..16384) and
 *                  the server sends them back (default 0: no exchange, handshake only)
 *   -w WARMUP      untimed iterations per pair first: handshakes (default 20), or bulk writes
 *                  (default 256)
 *   -g FILE        before the first connection, wait (at most 60 s) for FILE to exist
 *
 * The key is an in-process EC P-256 key with a self-signed certificate (as in sslloop), so a
 * handshake is cheap (x25519 + ECDSA P-256) and what is added per packet is visible. Prints
 * one line of key=value pairs on stdout:
 *   handshakes=N secs=S handshakes_per_s=R cpu_ns_per_handshake=C total_handshakes=T pairs=P
 *   bytes=N secs=S mb_per_s=R cpu_ns_per_kb=C size=SIZE pairs=P
 * handshakes / bytes count the timed part; total_handshakes includes the warm-up (what a
 * watcher of lo should have seen). mb_per_s is 10^6 bytes per second. The CPU figures are the
 * process's user + system time over the timed part. Exit status 1 on any TLS or socket error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define BENCH_PROG "tlsloop"
#include "tlsbench.h"

#define MAX_SIZE  16384
#define MAX_PAIRS 16

enum mode { MODE_HANDSHAKES, MODE_BULK };

struct pair {
	pthread_t cth, sth;
	int lfd;
	struct sockaddr_in addr;
	/* Written by the client thread, read by its server thread (and main after the joins). */
	atomic_int done;
	atomic_uint_fast64_t total; /* connections the client made, warm-up included */
	uint64_t timed;		    /* timed iterations */
	unsigned char cbuf[MAX_SIZE], sbuf[MAX_SIZE]; /* the client's, the server's */
};

/* Set before the threads start, read-only afterwards (t0 and end between the two barriers). */
static enum mode mode = MODE_HANDSHAKES;
static long size = MAX_SIZE, xbytes, warmup = -1, npairs = 1;
static double secs;
static SSL_CTX *cctx, *sctx;
static uint64_t t0, end_ns;
static pthread_barrier_t ready, go_barrier;
static unsigned char out[MAX_SIZE];

static void die(const char *what)
{
	fprintf(stderr, "tlsloop: %s%s%s\n", what, errno ? ": " : "", errno ? strerror(errno) : "");
	ERR_print_errors_fp(stderr);
	exit(1);
}

static void nodelay(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		die("TCP_NODELAY");
}

/* SSL_read until exactly len bytes arrived. */
static void read_all(SSL *ssl, unsigned char *buf, long len, const char *who)
{
	long got = 0;

	while (got < len) {
		int r = SSL_read(ssl, buf + got, len - got);

		if (r <= 0) {
			errno = 0;
			die(who);
		}
		got += r;
	}
}

static void write_all(SSL *ssl, const unsigned char *buf, long len, const char *who)
{
	if (SSL_write(ssl, buf, len) != len) {
		errno = 0;
		die(who);
	}
}

static SSL *client_connect(struct pair *p, int *fdp)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	SSL *ssl;

	if (fd < 0)
		die("client socket");
	nodelay(fd);
	if (connect(fd, (struct sockaddr *)&p->addr, sizeof(p->addr)))
		die("connect");
	ssl = SSL_new(cctx);
	if (!ssl || !SSL_set_fd(ssl, fd))
		die("client SSL_new");
	errno = 0;
	if (SSL_connect(ssl) != 1)
		die("client handshake");
	if (SSL_version(ssl) != TLS1_3_VERSION || SSL_session_reused(ssl))
		die("client: not a full TLS 1.3 handshake");
	*fdp = fd;
	return ssl;
}

static void one_handshake(struct pair *p)
{
	int fd;
	SSL *ssl = client_connect(p, &fd);

	if (xbytes) {
		write_all(ssl, out, xbytes, "client SSL_write");
		read_all(ssl, p->cbuf, xbytes, "client SSL_read");
	}
	SSL_free(ssl);
	close(fd);
	atomic_fetch_add(&p->total, 1);
}

static void *client(void *arg)
{
	struct pair *p = arg;
	uint64_t n = 0;
	SSL *ssl = NULL;
	int fd = -1;

	if (mode == MODE_BULK) {
		ssl = client_connect(p, &fd);
		atomic_store(&p->total, 1);
		for (long i = 0; i < warmup; i++)
			write_all(ssl, out, size, "client SSL_write");
	} else {
		for (long i = 0; i < warmup; i++)
			one_handshake(p);
	}
	pthread_barrier_wait(&ready);
	pthread_barrier_wait(&go_barrier);
	do {
		if (mode == MODE_BULK) {
			for (int k = 0; k < 16; k++, n++)
				write_all(ssl, out, size, "client SSL_write");
		} else {
			one_handshake(p);
			n++;
		}
	} while (now_ns() < end_ns);
	p->timed = n;
	if (ssl) {
		/* close_notify: the server's SSL_read returns 0 once it has read everything */
		if (SSL_shutdown(ssl) < 0) {
			errno = 0;
			die("client SSL_shutdown");
		}
		SSL_free(ssl);
		close(fd);
	}
	atomic_store(&p->done, 1);
	return NULL;
}

/* Wait for the next connection; -1 once the client is done and every connection was served. */
static int server_accept(struct pair *p, uint64_t served)
{
	struct pollfd pfd = {.fd = p->lfd, .events = POLLIN};

	for (;;) {
		int r, fd;

		if (atomic_load(&p->done) && served >= atomic_load(&p->total))
			return -1;
		r = poll(&pfd, 1, 20);
		if (r < 0 && errno != EINTR)
			die("poll");
		if (r <= 0)
			continue;
		fd = accept(p->lfd, NULL, NULL);
		if (fd < 0)
			die("accept");
		nodelay(fd);
		return fd;
	}
}

static SSL *server_handshake(int fd)
{
	SSL *ssl = SSL_new(sctx);

	if (!ssl || !SSL_set_fd(ssl, fd))
		die("server SSL_new");
	errno = 0;
	if (SSL_accept(ssl) != 1)
		die("server handshake");
	return ssl;
}

static void *server(void *arg)
{
	struct pair *p = arg;
	uint64_t served = 0;
	int fd;

	while ((fd = server_accept(p, served)) >= 0) {
		SSL *ssl = server_handshake(fd);

		served++;
		if (mode == MODE_BULK) {
			for (;;) {
				int r = SSL_read(ssl, p->sbuf, sizeof(p->sbuf));

				if (r > 0)
					continue;
				if (SSL_get_error(ssl, r) == SSL_ERROR_ZERO_RETURN)
					break;
				errno = 0;
				die("server SSL_read");
			}
		} else if (xbytes) {
			read_all(ssl, p->sbuf, xbytes, "server SSL_read");
			write_all(ssl, p->sbuf, xbytes, "server SSL_write");
		}
		SSL_free(ssl);
		close(fd);
	}
	return NULL;
}

static void listen_on(struct pair *p)
{
	socklen_t alen = sizeof(p->addr);

	p->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (p->lfd < 0)
		die("socket");
	p->addr.sin_family = AF_INET;
	p->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(p->lfd, (struct sockaddr *)&p->addr, sizeof(p->addr)) || listen(p->lfd, 1024) ||
	    getsockname(p->lfd, (struct sockaddr *)&p->addr, &alen))
		die("listen on 127.0.0.1");
}

static void usage(void)
{
	fprintf(stderr, "usage: tlsloop -m handshakes|bulk -t SECS [-j PAIRS] [-s SIZE] [-x BYTES] "
			"[-w WARMUP] [-g GO_FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static struct pair pairs[MAX_PAIRS];
	uint64_t timed = 0, total = 0, t1, c0, c1;
	const char *go = NULL;
	EVP_PKEY *pkey;
	X509 *cert;
	double s;
	int c;

	while ((c = getopt(argc, argv, "m:t:j:s:x:w:g:")) != -1) {
		switch (c) {
		case 'm':
			if (!strcmp(optarg, "handshakes"))
				mode = MODE_HANDSHAKES;
			else if (!strcmp(optarg, "bulk"))
				mode = MODE_BULK;
			else
				usage();
			break;
		case 't':
			secs = strtod(optarg, NULL);
			break;
		case 'j':
			npairs = strtol(optarg, NULL, 0);
			break;
		case 's':
			size = strtol(optarg, NULL, 0);
			break;
		case 'x':
			xbytes = strtol(optarg, NULL, 0);
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
	if (optind != argc || secs <= 0 || secs > 3600 || size < 1 || size > MAX_SIZE ||
	    xbytes < 0 || xbytes > MAX_SIZE || warmup < -1 || warmup > 1000000 || npairs < 1 ||
	    npairs > MAX_PAIRS)
		usage();
	if (warmup < 0)
		warmup = mode == MODE_BULK ? 256 : 20;
	for (long i = 0; i < MAX_SIZE; i++)
		out[i] = 'a' + i % 26;
	signal(SIGPIPE, SIG_IGN);

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
	/* Every handshake a full TLS 1.3 one: no tickets, no session cache on either side. */
	SSL_CTX_set_min_proto_version(cctx, TLS1_3_VERSION);
	SSL_CTX_set_min_proto_version(sctx, TLS1_3_VERSION);
	SSL_CTX_set_num_tickets(sctx, 0);
	SSL_CTX_set_session_cache_mode(sctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_session_cache_mode(cctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, NULL);

	pthread_barrier_init(&ready, NULL, npairs + 1);
	pthread_barrier_init(&go_barrier, NULL, npairs + 1);
	for (long i = 0; i < npairs; i++) {
		listen_on(&pairs[i]);
		if (pthread_create(&pairs[i].sth, NULL, server, &pairs[i]) ||
		    pthread_create(&pairs[i].cth, NULL, client, &pairs[i]))
			die("pthread_create");
	}
	pthread_barrier_wait(&ready);
	c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	t0 = now_ns();
	end_ns = t0 + (uint64_t)(secs * 1e9);
	pthread_barrier_wait(&go_barrier);
	for (long i = 0; i < npairs; i++) {
		pthread_join(pairs[i].cth, NULL);
		pthread_join(pairs[i].sth, NULL);
		timed += pairs[i].timed;
		total += atomic_load(&pairs[i].total);
		close(pairs[i].lfd);
	}
	t1 = now_ns();
	c1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	s = (t1 - t0) / 1e9;

	if (mode == MODE_BULK) {
		uint64_t bytes = timed * size;

		printf("bytes=%" PRIu64 " secs=%.3f mb_per_s=%.1f cpu_ns_per_kb=%.1f size=%ld"
		       " pairs=%ld\n",
		       bytes, s, s > 0 ? bytes / s / 1e6 : 0.0,
		       bytes ? (double)(c1 - c0) * 1024 / bytes : 0.0, size, npairs);
	} else {
		printf("handshakes=%" PRIu64 " secs=%.3f handshakes_per_s=%.1f"
		       " cpu_ns_per_handshake=%.0f total_handshakes=%" PRIu64 " pairs=%ld\n",
		       timed, s, s > 0 ? timed / s : 0.0, timed ? (double)(c1 - c0) / timed : 0.0,
		       total, npairs);
	}
	fflush(stdout);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
	X509_free(cert);
	EVP_PKEY_free(pkey);
	return 0;
}

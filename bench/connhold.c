// SPDX-License-Identifier: MIT
/*
 * connhold: open many TLS connections to a local HTTPS server, make one request on each, and
 * hold them all open, idle. For measuring the agent's memory with many live connections.
 *
 *   connhold -P PORT -N CONNS [-u PATH] [-f READY_FILE] [-H HOLD_SECS]
 *
 * Connects to 127.0.0.1:PORT CONNS times (one after another), sends "GET PATH HTTP/1.1" with
 * keep-alive, reads the whole response (Content-Length), and keeps the connection. Once all
 * are open it writes "held N" to READY_FILE (if given) and stdout, then sleeps HOLD_SECS
 * (default 60, at most 3600) or until SIGTERM/SIGINT, and exits (closing everything).
 * Exit status 1 if any connection, handshake or request failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

static int fail(int i, const char *what)
{
	fprintf(stderr, "connhold: connection %d: %s (%s)\n", i, what, strerror(errno));
	ERR_print_errors_fp(stderr);
	return 1;
}

/* Read one HTTP response with a Content-Length body. 0 on success. */
static int read_response(SSL *ssl)
{
	char buf[16384];
	size_t have = 0;
	long want = -1;

	for (int i = 0; i < 1000; i++) {
		int r = SSL_read(ssl, buf + have, sizeof(buf) - 1 - have);
		char *end, *cl;

		if (r <= 0)
			return -1;
		have += r;
		buf[have] = 0;
		end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		if (want < 0) {
			cl = strcasestr(buf, "\r\ncontent-length:");
			if (!cl || cl > end)
				return -1;
			want = (end + 4 - buf) + strtol(cl + 17, NULL, 10);
			if (want >= (long)sizeof(buf))
				return -1;
		}
		if ((long)have >= want)
			return 0;
	}
	return -1;
}

int main(int argc, char **argv)
{
	int port = 0, n = 0, hold = 60, c, held = 0;
	const char *path = "/", *ready = NULL;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct timeval tv = {.tv_sec = 10};
	char req[512];
	SSL_CTX *ctx;
	SSL **ssls;
	struct timespec t0, t1;

	while ((c = getopt(argc, argv, "P:N:u:f:H:")) != -1) {
		switch (c) {
		case 'P':
			port = atoi(optarg);
			break;
		case 'N':
			n = atoi(optarg);
			break;
		case 'u':
			path = optarg;
			break;
		case 'f':
			ready = optarg;
			break;
		case 'H':
			hold = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (port <= 0 || port > 65535 || n <= 0 || n > 1000000 || hold < 0 || hold > 3600)
		goto usage;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: connhold\r\n\r\n", path,
		 port);
	ctx = SSL_CTX_new(TLS_client_method());
	ssls = calloc(n, sizeof(*ssls));
	if (!ctx || !ssls)
		return fail(0, "out of memory");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n && !stop; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

		if (fd < 0)
			return fail(i, "socket (raise ulimit -n?)");
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return fail(i, "connect");
		ssls[i] = SSL_new(ctx);
		if (!ssls[i] || !SSL_set_fd(ssls[i], fd))
			return fail(i, "SSL_new");
		if (SSL_connect(ssls[i]) != 1)
			return fail(i, "handshake");
		if (SSL_write(ssls[i], req, strlen(req)) != (int)strlen(req))
			return fail(i, "write request");
		if (read_response(ssls[i]))
			return fail(i, "read response");
		held++;
	}
	if (stop)
		return fail(held, "interrupted");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("held %d secs=%.2f\n", held,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	fflush(stdout);
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (!f || fprintf(f, "held %d\n", held) < 0 || fclose(f))
			return fail(held, "ready file");
	}
	for (int s = 0; s < hold * 10 && !stop; s++)
		usleep(100000);
	return 0;
usage:
	fprintf(stderr,
		"usage: connhold -P PORT -N CONNS [-u PATH] [-f READY_FILE] [-H HOLD_SECS]\n");
	return 2;
}

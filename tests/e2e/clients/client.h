/* SPDX-License-Identifier: MIT */
/*
 * What the small TLS clients of the end-to-end tests share. Each one connects to
 * 127.0.0.1:PORT, completes a handshake without verifying the peer (a test), then sends the
 * line it reads on stdin in one write, prints the first line the server sends, and closes
 * the session cleanly. Those with a peek call take `peek` after PORT (see print_line).
 */
#ifndef TLSSCOPE_E2E_CLIENT_H
#define TLSSCOPE_E2E_CLIENT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LINE_MAX_LEN 4096

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "%s failed\n", what);
	exit(1);
}

static int tcp_connect(const char *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(atoi(port))};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("connect");
	return fd;
}

/* One line from stdin, newline included; the tests feed it once the handshake is done. */
static size_t stdin_line(char *buf, size_t cap)
{
	if (!fgets(buf, cap, stdin))
		die("read stdin");
	return strlen(buf);
}

typedef int tls_read_fn(void *session, char *buf, int len);

/*
 * Reads through rd (the library's read) until a newline, and prints what it read. With peek
 * (the library's peek), first waits for the line by peeking at one byte of it: the read then
 * takes bytes the library already holds, and the tests check that the peek is no record.
 */
static void print_line(tls_read_fn *rd, tls_read_fn *peek, void *session)
{
	char in[LINE_MAX_LEN];
	size_t got = 0;

	if (peek && peek(session, in, 1) != 1)
		die("TLS peek");
	while (got < sizeof(in) - 1 && !memchr(in, '\n', got)) {
		int n = rd(session, in + got, (int)(sizeof(in) - 1 - got));

		if (n <= 0)
			die("TLS read");
		got += (size_t)n;
	}
	fwrite(in, 1, got, stdout);
	fflush(stdout);
}

#endif

// SPDX-License-Identifier: MIT
/*
 * A minimal OpenSSL client for the coverage tests, built against libssl.a so that OpenSSL
 * is inside the executable: connects to 127.0.0.1:PORT, writes LINE in one SSL_write, reads
 * until a newline, prints what it read, and closes. No certificate check: test traffic only.
 * It first sleeps DELAY_MS: the agent probes an executable when it sees the exec, and a
 * client that writes within a few milliseconds of its exec could beat it (architecture.md).
 *
 *   openssl_client PORT LINE [DELAY_MS]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	char reply[4096];
	size_t got = 0;
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: %s PORT LINE [DELAY_MS]\n", argv[0]);
		return 2;
	}
	if (argc == 4)
		usleep(atoi(argv[3]) * 1000);
	sa.sin_port = htons(atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("connect");
		return 1;
	}
	ctx = SSL_CTX_new(TLS_client_method());
	ssl = ctx ? SSL_new(ctx) : NULL;
	if (!ssl || !SSL_set_fd(ssl, fd) || SSL_connect(ssl) != 1) {
		fprintf(stderr, "handshake failed\n");
		return 1;
	}
	if (SSL_write(ssl, argv[2], strlen(argv[2])) != (int)strlen(argv[2])) {
		fprintf(stderr, "write failed\n");
		return 1;
	}
	while (got < sizeof(reply) - 1 && !memchr(reply, '\n', got)) {
		int n = SSL_read(ssl, reply + got, sizeof(reply) - 1 - got);

		if (n <= 0)
			break;
		got += n;
	}
	fwrite(reply, 1, got, stdout);
	SSL_shutdown(ssl);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return got ? 0 : 1;
}

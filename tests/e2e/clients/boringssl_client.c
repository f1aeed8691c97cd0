// SPDX-License-Identifier: MIT
/* boringssl_client PORT [peek]: see client.h. Built against Debian's android-libboringssl. */
#include <openssl/is_boringssl.h>
#include <openssl/ssl.h>

#include "client.h"

static int rd(void *ssl, char *buf, int len)
{
	return SSL_read(ssl, buf, len);
}

static int peek(void *ssl, char *buf, int len)
{
	return SSL_peek(ssl, buf, len);
}

int main(int argc, char **argv)
{
	char line[LINE_MAX_LEN];
	SSL_CTX *ctx;
	SSL *ssl;
	size_t n;

	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "peek"))) {
		fprintf(stderr, "usage: boringssl_client PORT [peek]\n");
		return 2;
	}
	ctx = SSL_CTX_new(TLS_method());
	if (!ctx)
		die("SSL_CTX_new");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	ssl = SSL_new(ctx);
	if (!ssl || !SSL_set_fd(ssl, tcp_connect(argv[1])))
		die("SSL_new");
	if (SSL_connect(ssl) != 1)
		die("SSL_connect");
	n = stdin_line(line, sizeof(line));
	if (SSL_write(ssl, line, (int)n) != (int)n)
		die("SSL_write");
	print_line(rd, argc == 3 ? peek : NULL, ssl);
	SSL_shutdown(ssl);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return 0;
}

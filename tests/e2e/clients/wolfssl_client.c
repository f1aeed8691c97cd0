// SPDX-License-Identifier: MIT
/* wolfssl_client PORT [peek]: see client.h. */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "client.h"

static int rd(void *ssl, char *buf, int len)
{
	return wolfSSL_read(ssl, buf, len);
}

static int peek(void *ssl, char *buf, int len)
{
	return wolfSSL_peek(ssl, buf, len);
}

int main(int argc, char **argv)
{
	char line[LINE_MAX_LEN];
	WOLFSSL_CTX *ctx;
	WOLFSSL *ssl;
	size_t n;

	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "peek"))) {
		fprintf(stderr, "usage: wolfssl_client PORT [peek]\n");
		return 2;
	}
	if (wolfSSL_Init() != WOLFSSL_SUCCESS)
		die("wolfSSL_Init");
	ctx = wolfSSL_CTX_new(wolfSSLv23_client_method());
	if (!ctx)
		die("wolfSSL_CTX_new");
	wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, NULL);
	ssl = wolfSSL_new(ctx);
	if (!ssl || wolfSSL_set_fd(ssl, tcp_connect(argv[1])) != WOLFSSL_SUCCESS)
		die("wolfSSL_new");
	if (wolfSSL_connect(ssl) != WOLFSSL_SUCCESS)
		die("wolfSSL_connect");
	n = stdin_line(line, sizeof(line));
	if (wolfSSL_write(ssl, line, (int)n) != (int)n)
		die("wolfSSL_write");
	print_line(rd, argc == 3 ? peek : NULL, ssl);
	wolfSSL_shutdown(ssl);
	wolfSSL_free(ssl);
	wolfSSL_CTX_free(ctx);
	wolfSSL_Cleanup();
	return 0;
}

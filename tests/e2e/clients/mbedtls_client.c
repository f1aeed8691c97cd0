// SPDX-License-Identifier: MIT
/* mbedtls_client PORT: see client.h. */
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>

#include "client.h"

static int rd(void *ssl, char *buf, int len)
{
	return mbedtls_ssl_read(ssl, (unsigned char *)buf, (size_t)len);
}

int main(int argc, char **argv)
{
	mbedtls_net_context net = {.fd = -1};
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_ssl_config conf;
	mbedtls_ssl_context ssl;
	char line[LINE_MAX_LEN];
	int ret;
	size_t n;

	if (argc != 2) {
		fprintf(stderr, "usage: mbedtls_client PORT\n");
		return 2;
	}
	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_ssl_config_init(&conf);
	mbedtls_ssl_init(&ssl);
	if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0))
		die("mbedtls_ctr_drbg_seed");
	if (mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
					MBEDTLS_SSL_PRESET_DEFAULT))
		die("mbedtls_ssl_config_defaults");
	mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);
	mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
	if (mbedtls_ssl_setup(&ssl, &conf))
		die("mbedtls_ssl_setup");
	net.fd = tcp_connect(argv[1]);
	mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, mbedtls_net_recv, NULL);
	while ((ret = mbedtls_ssl_handshake(&ssl)))
		if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE)
			die("mbedtls_ssl_handshake");
	n = stdin_line(line, sizeof(line));
	if (mbedtls_ssl_write(&ssl, (const unsigned char *)line, n) != (int)n)
		die("mbedtls_ssl_write");
	print_line(rd, NULL, &ssl);
	mbedtls_ssl_close_notify(&ssl);
	mbedtls_net_free(&net);
	mbedtls_ssl_free(&ssl);
	mbedtls_ssl_config_free(&conf);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&entropy);
	return 0;
}

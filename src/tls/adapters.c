// SPDX-License-Identifier: MIT
#include <string.h>

#include "tls/adapter.h"

const struct tls_adapter *const tls_adapters[] = {
	&openssl_adapter,
	&gnutls_adapter,
	&wolfssl_adapter,
	&mbedtls_adapter,
	/* After openssl: it has the same file names, and the file decides (sites_adapter). */
	&boringssl_adapter,
	&nss_adapter,
	NULL,
};

const struct tls_adapter *tls_adapter_for_path(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (const struct tls_adapter *const *a = tls_adapters; *a; a++)
		for (const char *const *so = (*a)->sonames; *so; so++)
			if (!strncmp(base, *so, strlen(*so)))
				return *a;
	return NULL;
}

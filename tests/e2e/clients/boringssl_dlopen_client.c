// SPDX-License-Identifier: MIT
/*
 * boringssl_dlopen_client PORT: see client.h. Loads BoringSSL from the file $TLS_LIB with
 * dlopen, under a name that is not a TLS library's, and calls it through dlsym: the agent
 * must find it by what the file holds, not by its name, as it finds a statically linked
 * copy. It waits 300 ms after the dlopen: the agent probes a library when the loader reports
 * it, and a program that does TLS within a few ms of loading it could beat the probes
 * (architecture.md, "Exec-time race").
 */
#include <dlfcn.h>

#include "client.h"

struct api {
	void *(*method)(void);
	void *(*ctx_new)(void *method);
	void (*set_verify)(void *ctx, int mode, void *cb);
	void *(*ssl_new)(void *ctx);
	int (*set_fd)(void *ssl, int fd);
	int (*connect)(void *ssl);
	int (*write)(void *ssl, const void *buf, int num);
	int (*read)(void *ssl, void *buf, int num);
	int (*shutdown)(void *ssl);
};

static struct api api;

static void *sym(void *lib, const char *name)
{
	void *p = dlsym(lib, name);

	if (!p)
		die(name);
	return p;
}

static int rd(void *ssl, char *buf, int len)
{
	return api.read(ssl, buf, len);
}

int main(int argc, char **argv)
{
	const char *path = getenv("TLS_LIB");
	char line[LINE_MAX_LEN];
	void *lib, *ctx, *ssl;
	size_t n;

	if (argc != 2 || !path) {
		fprintf(stderr, "usage: TLS_LIB=FILE boringssl_dlopen_client PORT\n");
		return 2;
	}
	lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		die(dlerror());
	usleep(300 * 1000);
	*(void **)&api.method = sym(lib, "TLS_method");
	*(void **)&api.ctx_new = sym(lib, "SSL_CTX_new");
	*(void **)&api.set_verify = sym(lib, "SSL_CTX_set_verify");
	*(void **)&api.ssl_new = sym(lib, "SSL_new");
	*(void **)&api.set_fd = sym(lib, "SSL_set_fd");
	*(void **)&api.connect = sym(lib, "SSL_connect");
	*(void **)&api.write = sym(lib, "SSL_write");
	*(void **)&api.read = sym(lib, "SSL_read");
	*(void **)&api.shutdown = sym(lib, "SSL_shutdown");
	ctx = api.ctx_new(api.method());
	if (!ctx)
		die("SSL_CTX_new");
	api.set_verify(ctx, 0 /* SSL_VERIFY_NONE */, NULL);
	ssl = api.ssl_new(ctx);
	if (!ssl || !api.set_fd(ssl, tcp_connect(argv[1])))
		die("SSL_new");
	if (api.connect(ssl) != 1)
		die("SSL_connect");
	n = stdin_line(line, sizeof(line));
	if (api.write(ssl, line, (int)n) != (int)n)
		die("SSL_write");
	print_line(rd, NULL, ssl);
	api.shutdown(ssl);
	return 0;
}

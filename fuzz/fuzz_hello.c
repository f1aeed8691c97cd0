// SPDX-License-Identifier: MIT
/*
 * tls_parse_client_hello() and tls_parse_server_hello() on the input; when one is done, its
 * fingerprints (JA3/JA3S and their MD5, JA4 and JA4_r) are computed too. Then the incremental
 * contract: a prefix of the input must answer HELLO_MORE or what the whole input answered
 * (so a prefix of a complete hello never fails). Prefixes are copied to buffers of their own
 * length, so reading past one is an ASan finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/ja.h"

#define MAX_PREFIXES 48

static struct buf s, raw;
static struct tls_client_hello ch, ch2;
static struct tls_server_hello sh, sh2;

static void client_fingerprints(void)
{
	char md5[JA3_MD5_LEN + 1], out[JA4_LEN + 1];

	buf_reset(&s);
	buf_reset(&raw);
	ja3_string(&s, &ch);
	ja_md5_hex(s.p ? s.p : "", s.len, md5);
	ja4(&ch, 't', out, &raw);
	if (strlen(md5) != JA3_MD5_LEN || strlen(out) != JA4_LEN || (!raw.oom && raw.len < 12))
		__builtin_trap();
	if (ch.n_ciphers > HELLO_MAX_CIPHERS || ch.n_exts > HELLO_MAX_EXTS ||
	    ch.n_alpn > HELLO_MAX_ALPN || ch.n_sig_algs > HELLO_MAX_LIST)
		__builtin_trap();
}

static void server_fingerprints(void)
{
	char md5[JA3_MD5_LEN + 1];

	buf_reset(&s);
	ja3s_string(&s, &sh);
	ja_md5_hex(s.p ? s.p : "", s.len, md5);
	if (sh.n_exts > HELLO_MAX_EXTS || strlen(md5) != JA3_MD5_LEN)
		__builtin_trap();
}

static void check_prefix(const uint8_t *data, size_t k, int cst, int sst)
{
	uint8_t *p = malloc(k ? k : 1);
	int st;

	if (!p)
		return;
	memcpy(p, data, k);
	st = tls_parse_client_hello(p, k, &ch2);
	if (st != HELLO_MORE && st != cst)
		__builtin_trap();
	st = tls_parse_server_hello(p, k, &sh2);
	if (st != HELLO_MORE && st != sst)
		__builtin_trap();
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int cst, sst;
	size_t step;

	cst = tls_parse_client_hello(data, size, &ch);
	if (cst < HELLO_ERR__MIN || cst > HELLO_DONE)
		__builtin_trap();
	if (cst == HELLO_DONE)
		client_fingerprints();
	sst = tls_parse_server_hello(data, size, &sh);
	if (sst < HELLO_ERR__MIN || sst > HELLO_DONE)
		__builtin_trap();
	if (sst == HELLO_DONE)
		server_fingerprints();
	tls_looks_like_handshake(data, size);

	/* Every prefix of a short input; an even spread of a long one's, and the last few. */
	step = size / MAX_PREFIXES + 1;
	for (size_t k = 0; k < size; k += step)
		check_prefix(data, k, cst, sst);
	for (size_t k = size > 4 ? size - 4 : 0; k < size; k++)
		check_prefix(data, k, cst, sst);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The input format of the fuzzers that feed one connection's two plaintext streams as TLS
 * call records cut at fuzzer-chosen points:
 * [flags][ncuts][cuts (2 bytes each)...][client stream 0xff 0xff server stream].
 */
#ifndef TLSSCOPE_FUZZ_TWO_STREAMS_H
#define TLSSCOPE_FUZZ_TWO_STREAMS_H

#include <stdint.h>
#include <string.h>

#define MAX_CUTS 16

struct two_streams {
	uint8_t flags;
	unsigned int ncuts;
	uint16_t cuts[MAX_CUTS];   /* record i ends 1 + cuts[i] % 512 bytes after record i - 1 */
	const uint8_t *req, *resp; /* what the client sends, what the server sends */
	size_t nreq, nresp;
};

/* 0, or -1 when the input is too short for its own header. */
static inline int two_streams_parse(const uint8_t *data, size_t size, struct two_streams *in)
{
	const uint8_t *sep;

	if (size < 2)
		return -1;
	in->flags = data[0];
	in->ncuts = data[1] % (MAX_CUTS + 1);
	data += 2;
	size -= 2;
	if (size < in->ncuts * 2)
		return -1;
	memcpy(in->cuts, data, in->ncuts * 2);
	data += in->ncuts * 2;
	size -= in->ncuts * 2;
	in->req = data;
	sep = memmem(data, size, "\xff\xff", 2);
	in->nreq = sep ? (size_t)(sep - data) : size;
	in->resp = sep ? sep + 2 : data + size;
	in->nresp = sep ? size - in->nreq - 2 : 0;
	return 0;
}

#endif

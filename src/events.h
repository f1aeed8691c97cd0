/* SPDX-License-Identifier: MIT */
/* Decoding of raw ring-buffer records: every size and bound is checked before use. */
#ifndef TLSSCOPE_EVENTS_H
#define TLSSCOPE_EVENTS_H

#include <stddef.h>

#include "bpf/abi.h"

struct event_view {
	enum event_type type;
	const struct event_hdr *hdr;
	union {
		const struct data_event *data;
		const struct exec_event *exec;
		const struct exit_event *exit;
		const struct libs_event *libs;
		const struct wire_event *wire;
		const struct bind_event *bind;
	};
};

/*
 * Points v into raw (size bytes as the ring buffer handed them over). Returns 0, -EBADMSG
 * for a record whose sizes or bounds do not hold, or -ENOTSUP for an unknown type.
 */
int event_decode(const void *raw, size_t size, struct event_view *v);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * What sinks consume: records joined and resolved by the agent, in wall-clock time. Sinks
 * only format; they never look anything up.
 */
#ifndef TLSSCOPE_RECORD_H
#define TLSSCOPE_RECORD_H

#include <stdint.h>

#include "bpf/abi.h"
#include "sites.h"

enum record_type {
	REC_DATA,
	REC_STATS,
};

enum truncation {
	TRUNC_NONE,
	TRUNC_LIMIT, /* --max-capture */
	TRUNC_LOST,  /* chunks lost on the way (counted in stats) */
};

/* One TLS call. conn is NULL when the connection is not known. */
struct data_record {
	uint64_t ts; /* unix ns, when the call returned */
	uint32_t pid, tid;
	const char *comm;
	uint32_t netns;
	uint64_t cgroup_id;
	int fd; /* -1 when unknown */
	enum attribution attribution;
	const struct conn_tuple *conn; /* role already resolved */
	enum tls_lib lib;
	enum data_dir dir;
	uint32_t len, captured;
	enum truncation truncated;
	unsigned int redacted; /* secret header values masked in data */
	const uint8_t *data;
};

struct lib_status {
	const char *path; /* as found, in the agent's mount namespace */
	const char *lib;  /* adapter name */
	unsigned int probes;
	unsigned int failed;
	const struct site_plan *plan; /* where the probes went and what each costs */
};

struct stats_record {
	uint64_t ts;
	uint64_t counters[CNT__MAX]; /* summed over CPUs */
	uint64_t lost_incomplete;    /* records closed with chunks missing */
	uint64_t lost_decode;	     /* ring records that failed to decode */
	uint64_t lost_sink;	     /* records a sink could not write */
	uint64_t probes_attached;
	uint64_t probes_failed;
	const struct lib_status *libs;
	unsigned int nlibs;
};

struct record {
	enum record_type type;
	union {
		const struct data_record *data;
		const struct stats_record *stats;
	};
};

const char *tls_lib_name(enum tls_lib lib);
const char *attribution_name(enum attribution a);
const char *role_name(enum conn_role r);
const char *counter_name(enum counter c);
/* 1 for counters that count a loss, listed under "lost" in stats. */
int counter_is_loss(enum counter c);

#endif

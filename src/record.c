// SPDX-License-Identifier: MIT
#include "record.h"

const char *tls_lib_name(enum tls_lib lib)
{
	switch (lib) {
	case LIB_OPENSSL:
		return "openssl";
	case LIB_GNUTLS:
		return "gnutls";
	case LIB_WOLFSSL:
		return "wolfssl";
	case LIB_MBEDTLS:
		return "mbedtls";
	case LIB_NSS:
		return "nss";
	case LIB_BORINGSSL:
		return "boringssl";
	default:
		return "unknown";
	}
}

const char *attribution_name(enum attribution a)
{
	switch (a) {
	case ATTR_SYSCALL:
		return "syscall";
	case ATTR_CACHED:
		return "cached";
	case ATTR_CORRELATED:
		return "correlated";
	default:
		return "unattributed";
	}
}

const char *role_name(enum conn_role r)
{
	return r == ROLE_SERVER ? "server" : "client";
}

/* Names are part of the JSON contract (the stats record): never rename, only add. */
static const char *const counter_names[CNT__MAX] = {
	[CNT_CALLS] = "calls",
	[CNT_CALLS_FAILED] = "calls_failed",
	[CNT_EVENTS] = "events",
	[CNT_BYTES] = "bytes",
	[CNT_LOST_RINGBUF] = "ringbuf_full",
	[CNT_LOST_PARTIAL] = "partial",
	[CNT_LOST_BYTES] = "bytes",
	[CNT_TRUNCATED] = "capture_truncated",
	[CNT_TRUNCATED_BYTES] = "capture_truncated_bytes",
	[CNT_MAP_FULL] = "map_full",
	[CNT_READ_FAULT] = "read_fault",
	[CNT_INTEGRITY] = "integrity_violations",
	[CNT_UNATTRIBUTED] = "unattributed",
	[CNT_NESTED] = "nested_calls",
	[CNT_LOST_OTHER] = "ringbuf_full_control",
	[CNT_WIRE_EVENTS] = "wire_events",
	[CNT_WIRE_FLOWS] = "wire_hellos",
	[CNT_LOST_WIRE] = "ringbuf_full_wire",
	[CNT_BIO_BOUND] = "bio_bound",
	[CNT_BIO_MISMATCH] = "bio_mismatch",
};

const char *counter_name(enum counter c)
{
	return c < CNT__MAX && counter_names[c] ? counter_names[c] : "unknown";
}

int counter_is_loss(enum counter c)
{
	switch (c) {
	case CNT_LOST_RINGBUF:
	case CNT_LOST_PARTIAL:
	case CNT_LOST_BYTES:
	case CNT_TRUNCATED:
	case CNT_TRUNCATED_BYTES:
	case CNT_MAP_FULL:
	case CNT_READ_FAULT:
	case CNT_LOST_OTHER:
	case CNT_LOST_WIRE:
		return 1;
	default:
		return 0;
	}
}

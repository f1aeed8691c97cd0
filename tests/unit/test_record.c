// SPDX-License-Identifier: MIT
#include <string.h>

#include "check.h"
#include "record.h"

TEST(enum_names)
{
	CHECK_STR_EQ(tls_lib_name(LIB_OPENSSL), "openssl");
	CHECK_STR_EQ(tls_lib_name(LIB_GNUTLS), "gnutls");
	CHECK_STR_EQ(tls_lib_name(LIB_WOLFSSL), "wolfssl");
	CHECK_STR_EQ(tls_lib_name(LIB_MBEDTLS), "mbedtls");
	CHECK_STR_EQ(tls_lib_name(LIB_BORINGSSL), "boringssl");
	CHECK_STR_EQ(tls_lib_name(LIB_UNKNOWN), "unknown");
	CHECK_STR_EQ(tls_lib_name(LIB__MAX), "unknown");
	CHECK_STR_EQ(attribution_name(ATTR_SYSCALL), "syscall");
	CHECK_STR_EQ(attribution_name(ATTR_CACHED), "cached");
	CHECK_STR_EQ(attribution_name(ATTR_UNATTRIBUTED), "unattributed");
	CHECK_STR_EQ(role_name(ROLE_SERVER), "server");
	CHECK_STR_EQ(role_name(ROLE_CLIENT), "client");
	/* A socket older than the agent whose role was never resolved reads as a client. */
	CHECK_STR_EQ(role_name(ROLE_UNKNOWN), "client");
}

TEST(counter_names_complete)
{
	for (int c = 0; c < CNT__MAX; c++) {
		if (!CHECK(strcmp(counter_name(c), "unknown")))
			fprintf(stderr, "    counter %d has no name\n", c);
	}
	CHECK_STR_EQ(counter_name(CNT__MAX), "unknown");
	CHECK_STR_EQ(counter_name((enum counter)1000), "unknown");
}

TEST(counter_names_unique_within_their_object)
{
	/* JSON stats: loss counters go under "lost", the others at the top level. */
	for (int a = 0; a < CNT__MAX; a++)
		for (int b = a + 1; b < CNT__MAX; b++)
			if (counter_is_loss(a) == counter_is_loss(b) &&
			    !CHECK(strcmp(counter_name(a), counter_name(b))))
				fprintf(stderr, "    counters %d and %d are both \"%s\"\n", a, b,
					counter_name(a));
}

TEST(loss_counters)
{
	static const enum counter loss[] = {
		CNT_LOST_RINGBUF, CNT_LOST_PARTIAL,    CNT_LOST_BYTES,
		CNT_TRUNCATED,	  CNT_TRUNCATED_BYTES, CNT_MAP_FULL,
		CNT_READ_FAULT,	  CNT_LOST_OTHER,      CNT_LOST_WIRE,
	};
	unsigned int n = 0;

	for (size_t i = 0; i < sizeof(loss) / sizeof(loss[0]); i++)
		CHECK(counter_is_loss(loss[i]));
	for (int c = 0; c < CNT__MAX; c++)
		n += counter_is_loss(c);
	CHECK_EQ_U64(n, sizeof(loss) / sizeof(loss[0]));
	CHECK(!counter_is_loss(CNT_CALLS));
	CHECK(!counter_is_loss(CNT_EVENTS));
	CHECK(!counter_is_loss(CNT_BYTES));
	CHECK(!counter_is_loss(CNT_INTEGRITY));
	CHECK(!counter_is_loss(CNT_UNATTRIBUTED));
	CHECK(!counter_is_loss(CNT_NESTED));
}

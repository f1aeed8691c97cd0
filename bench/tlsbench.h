/* SPDX-License-Identifier: MIT */
/*
 * What the in-process TLS benchmark programs (sslloop, tlsloop) share: clocks and a
 * throwaway certificate. Include after defining BENCH_PROG (the program's name, also the
 * certificate's CN) and declaring die(), which each program defines for its own messages.
 */
#ifndef TLSSCOPE_BENCH_TLSBENCH_H
#define TLSSCOPE_BENCH_TLSBENCH_H

#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

static void die(const char *what);

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* A throwaway self-signed P-256 certificate, made in memory. */
static void make_cert(EVP_PKEY **pkey, X509 **cert)
{
	X509_NAME *name;

	*pkey = EVP_EC_gen("P-256");
	*cert = X509_new();
	if (!*pkey || !*cert)
		die("key/cert");
	ASN1_INTEGER_set(X509_get_serialNumber(*cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(*cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(*cert), 86400);
	X509_set_pubkey(*cert, *pkey);
	name = X509_get_subject_name(*cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)BENCH_PROG, -1,
				   -1, 0);
	X509_set_issuer_name(*cert, name);
	if (!X509_sign(*cert, *pkey, EVP_sha256()))
		die("X509_sign");
}

#endif

/* SPDX-License-Identifier: MIT */
#ifndef TLSSCOPE_ADDR_H
#define TLSSCOPE_ADDR_H

#include <stdint.h>

/* "a.b.c.d:port" or "[v6]:port"; fits INET6_ADDRSTRLEN + brackets + ":65535". */
#define ENDPOINT_STRLEN 56

/*
 * Formats addr (network order, 4 or 16 bytes by family) and port. IPv4-mapped IPv6
 * addresses (a dual-stack listener's IPv4 peers) are printed as IPv4.
 * Returns out, or "?" in out for an unknown family.
 */
char *endpoint_format(char *out, int family, const uint8_t addr[16], uint16_t port);

#endif

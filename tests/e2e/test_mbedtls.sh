#!/bin/bash
# SPDX-License-Identifier: MIT
# An mbedTLS client (clients/mbedtls_client.c) against openssl s_server: exact bytes, one
# record per call from the mbedTLS adapter (lib "mbedtls"), no nested calls.
. "$(dirname "$0")/lib.sh"
require_root
[ -e /usr/include/mbedtls/ssl.h ] || fail "mbedTLS headers not installed (Debian: libmbedtls-dev)"

build_client mbedtls_client -lmbedtls -lmbedx509 -lmbedcrypto
client_exchange mbedtls_client mbedtls
echo "PASS"

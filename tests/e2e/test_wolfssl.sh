#!/bin/bash
# SPDX-License-Identifier: MIT
# A wolfSSL client (clients/wolfssl_client.c) against openssl s_server: exact bytes, one
# record per call from the wolfSSL adapter (lib "wolfssl"), no nested calls.
# Then again with a wolfSSL_peek before the read: the peek must be no record.
. "$(dirname "$0")/lib.sh"
require_root
[ -e /usr/include/wolfssl/ssl.h ] || fail "wolfSSL headers not installed (Debian: libwolfssl-dev)"

build_client wolfssl_client -lwolfssl
client_exchange wolfssl_client wolfssl
client_exchange wolfssl_client wolfssl peek
echo "PASS"

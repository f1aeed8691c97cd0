#!/bin/bash
# SPDX-License-Identifier: MIT
# A BoringSSL client (clients/boringssl_client.c, linked to Debian's android/libssl.so.0)
# against openssl s_server: exact bytes, one record per call, reported as lib "boringssl"
# although the file name is OpenSSL's (the file itself tells), no nested calls.
# Then again with a SSL_peek before the read: the peek must be no record.
. "$(dirname "$0")/lib.sh"
require_root
[ -e /usr/include/android/openssl/is_boringssl.h ] ||
	fail "BoringSSL headers not installed (Debian: android-libboringssl-dev)"

a=/usr/lib/x86_64-linux-gnu/android
build_client boringssl_client -I/usr/include/android -L$a -Wl,-rpath,$a -lssl -lcrypto
client_exchange boringssl_client boringssl
client_exchange boringssl_client boringssl peek
echo "PASS"

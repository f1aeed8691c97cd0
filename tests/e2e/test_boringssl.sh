#!/bin/bash
# SPDX-License-Identifier: MIT
# A BoringSSL client (clients/boringssl_client.c, linked to Debian's android/libssl.so.0)
# against openssl s_server: exact bytes, one record per call, reported as lib "boringssl"
# although the file name is OpenSSL's (the file itself tells), no nested calls.
# Then again with a SSL_peek before the read: the peek must be no record. Then a copy under
# another name, loaded with dlopen.
. "$(dirname "$0")/lib.sh"
require_root
[ -e /usr/include/android/openssl/is_boringssl.h ] ||
	fail "BoringSSL headers not installed (Debian: android-libboringssl-dev)"

a=/usr/lib/x86_64-linux-gnu/android
build_client boringssl_client -I/usr/include/android -L$a -Wl,-rpath,$a -lssl -lcrypto
client_exchange boringssl_client boringssl
client_exchange boringssl_client boringssl peek

# The same library under a name no adapter knows, loaded with dlopen: found by what the file
# holds (its API, then BoringSSL's own function), as a statically linked copy is; the file is
# the library itself (its SONAME), so it is listed as shared.
cp "$a/libssl.so.0" "$E2E_TMP/libvendortls.so" # its RUNPATH still finds libcrypto.so.0
export TLS_LIB=$E2E_TMP/libvendortls.so
build_client boringssl_dlopen_client -ldl
client_exchange boringssl_dlopen_client boringssl
$PY - "$E2E_TMP/out.jsonl" "$TLS_LIB" <<'PY' || fail "the renamed library in the stats record"
import json, sys
stats = [json.loads(l) for l in open(sys.argv[1]) if '"type":"stats"' in l][-1]
mine = [l for l in stats["libraries"] if l["path"] == sys.argv[2]]
if len(mine) != 1 or mine[0]["lib"] != "boringssl" or mine[0]["linkage"] != "shared" \
        or not mine[0]["traced"]:
    sys.exit("FAIL: " + json.dumps(stats["libraries"]))
print("ok: found by its contents:", json.dumps({k: mine[0][k] for k in ("path", "lib", "linkage", "traced")}))
PY
echo "PASS"

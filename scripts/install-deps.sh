#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs every Debian package that building, running and testing tlsscope needs.
# Idempotent: does nothing (not even `apt-get update`) when all are present.
set -euo pipefail

packages=(
	# build
	make gcc clang llvm clang-format pkg-config libbpf-dev libelf-dev zlib1g-dev bpftool libcapstone-dev \
		libssl-dev libpcap-dev libnghttp2-dev
	# unit tests and fuzzers: sanitizer and libFuzzer runtimes
	libclang-rt-14-dev
	# end-to-end tests: real servers, clients and the tools the tests drive them with
	nginx-light curl python3 openssl iproute2 procps psmisc
	# HTTP/2 with trailers (gRPC-style): nghttp
	nghttp2-client
	# an independent HPACK decoder for the HTTP/2 redaction test, and an HTTP/2 client
	python3-h2
	# GnuTLS as a traced client (gnutls-cli)
	gnutls-bin
	# node's https client and server (OpenSSL inside the node executable)
	nodejs
	# NSS as a traced client (tstclnt)
	libnss3-tools
	# Go programs with crypto/tls (listed by --list; Go tracing is #8)
	golang-go
	# wolfSSL as a traced client: tests/e2e/clients/wolfssl_client.c, built at test time
	libwolfssl-dev
	# mbedTLS 2.x as a traced client: tests/e2e/clients/mbedtls_client.c
	libmbedtls-dev
	# BoringSSL (Android's, under android/) as a traced client: clients/boringssl_client.c,
	# and its own tool at both ends (bssl-tool client/server)
	android-libboringssl-dev android-boringssl
	# --metrics: a real scraper and the exposition linter (prometheus, promtool)
	prometheus
	# handshake tests: captures and an independent JA3 (tshark), raw packets (tcpdump)
	tshark tcpdump
	# benchmarks (bench/): the HTTP load tool
	wrk
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $status == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
	echo "install-deps: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

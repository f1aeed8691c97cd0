# SPDX-License-Identifier: MIT
# tlsscope: one non-recursive make. `make help` lists the targets.

OUT        := build
CC         ?= cc
CLANG      ?= clang
BPFTOOL    ?= bpftool
ARCH       := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
PKGS       := libbpf libelf zlib capstone libcrypto libpcap libnghttp2
CFLAGS     ?= -O2 -g
CFLAGS     += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
              -Isrc -I$(OUT) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS     += $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -lelf -lz -lcapstone -lcrypto -lpcap -lnghttp2)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(OUT) -Isrc/bpf -Wall -Werror \
              -Wno-unused-function

ifneq ($(SANITIZE),)
CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
endif

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# The file that defines the shared maps (COMMON_OWNER) must come first for the linker.
BPF_SRCS  := src/bpf/tls.bpf.c $(filter-out src/bpf/tls.bpf.c,$(wildcard src/bpf/*.bpf.c))
BPF_OBJS  := $(patsubst src/bpf/%.bpf.c,$(OUT)/bpf/%.bpf.o,$(BPF_SRCS))
# The pure core: no <bpf/...>, no skeleton. Unit tests and fuzzers link only this.
AGENT_SRCS:= src/agent.c src/attach.c src/list.c src/main.c src/tcattach.c
CORE_SRCS := $(wildcard src/util/*.c src/sink/*.c src/tls/*.c src/wire/*.c src/proto/*.c) \
             $(filter-out $(AGENT_SRCS),$(wildcard src/*.c))
CORE_OBJS := $(patsubst src/%.c,$(OUT)/obj/%.o,$(CORE_SRCS))
AGENT_OBJS:= $(patsubst src/%.c,$(OUT)/obj/%.o,$(AGENT_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))

.DEFAULT_GOAL := all
.PHONY: all help deps run test unit offline e2e check-format format clean

all: $(OUT)/tlsscope ## build the agent at build/tlsscope

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN{FS=":.*## "}{printf "  %-14s %s\n", $$1, $$2}'

deps: ## install every Debian package the build, run and tests need
	$(Q)scripts/install-deps.sh

run: deps ## install, build, trace the whole host in the live text view
	$(Q)$(MAKE) --no-print-directory all
	$(OUT)/tlsscope $(ARGS)

test: deps ## install, build, run every test (format, unit, offline, fuzz smoke, end-to-end, bench smoke)
	$(Q)$(MAKE) --no-print-directory check-format all
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory offline
	$(Q)$(MAKE) --no-print-directory fuzz-smoke
	$(Q)$(MAKE) --no-print-directory e2e
	$(Q)$(MAKE) --no-print-directory bench-smoke

unit: ## unit tests of the pure core, sanitizers on (no root)
	$(Q)$(MAKE) --no-print-directory OUT=$(OUT)/san SANITIZE=address,undefined unit-bins
	$(Q)tests/run-unit.sh $(OUT)/san/tests

unit-bins: $(UNIT_BINS)

offline: $(OUT)/tlsscope ## --read on the reference captures, checked against tshark (no root)
	$(Q)tests/offline/run.sh $(OUT)/tlsscope

e2e: $(OUT)/tlsscope ## end-to-end tests with real servers and clients (root)
	$(Q)tests/e2e/run.sh $(OUT)/tlsscope

check-format: ## fail if any source differs from .clang-format
	$(Q)clang-format --dry-run --Werror $(shell git ls-files '*.c' '*.h')

format: ## rewrite sources with .clang-format
	$(Q)clang-format -i $(shell git ls-files '*.c' '*.h')

clean: ## remove build/
	$(Q)rm -rf $(OUT)

$(OUT)/vmlinux.h:
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(OUT)/bpf/%.bpf.o: src/bpf/%.bpf.c $(OUT)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(OUT)/tlsscope.bpf.o: $(BPF_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(OUT)/tlsscope.skel.h: $(OUT)/tlsscope.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name tlsscope_bpf > $@.tmp && mv $@.tmp $@

$(OUT)/obj/%.o: src/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(AGENT_OBJS): $(OUT)/tlsscope.skel.h

$(OUT)/libcore.a: $(CORE_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/tlsscope: $(AGENT_OBJS) $(OUT)/libcore.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/tests/%: tests/unit/%.c tests/unit/check.h tests/unit/bytes.h tests/unit/tmpdir.h $(OUT)/libcore.a
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) $< $(OUT)/libcore.a $(LDLIBS) -o $@

# ---------------------------------------------------------------------------------------------
# bench: performance benchmarks (bench/, results in docs/benchmarks.md). Benchmarks are not
# tests: nothing here asserts a timing. bench-smoke only proves each benchmark still runs.
BENCH_PROGS  := sslloop syscall_loop connhold jsonl_tally null_hook tlsloop parse
BENCH_BINS   := $(addprefix $(OUT)/bench/,$(BENCH_PROGS) null_hook.bpf.o)
BENCH_CFLAGS := -O2 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE
.PHONY: bench bench-smoke bench-bins

bench: deps ## run every benchmark (root, ~15 min) and print the summary table
	$(Q)$(MAKE) --no-print-directory all bench-bins
	$(Q)bench/run.sh $(OUT)

bench-smoke: $(OUT)/tlsscope bench-bins ## run every benchmark briefly (root, < 60 s): proves they still work
	$(Q)bench/run.sh --smoke $(OUT)

bench-bins: $(BENCH_BINS)

$(OUT)/bench/%: bench/%.c bench/tlsbench.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_CFLAGS) -pthread $< -lssl -lcrypto -o $@

# the parsers' throughput: links the pure core, like the unit tests
$(OUT)/bench/parse: bench/parse.c $(OUT)/libcore.a
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(OUT)/libcore.a $(LDLIBS) -o $@

# empty BPF programs at tlsscope's hook points: the platform's floor cost of each hook
$(OUT)/bench/null_hook.bpf.o: bench/null_hook.bpf.c $(OUT)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/bench/null_hook: bench/null_hook.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_CFLAGS) $(shell pkg-config --cflags libbpf 2>/dev/null) $< $(LDLIBS) -o $@
# ---------------------------------------------------------------------------------------------

# ---------------------------------------------------------------------------------------------
# fuzz: libFuzzer targets of the pure core (fuzz/fuzz_*.c), seeds in fuzz/corpus/<target>/. A
# sub-make rebuilds the core with clang and the fuzzer's instrumentation under build/fuzz/, apart
# from the gcc objects and build/libcore.a. fuzz-smoke fails on any crash, leak or UBSan report.
FUZZ_TARGETS := $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_TIME    ?= 10

.PHONY: fuzz fuzz-bins fuzz-smoke

fuzz: ## build the libFuzzer targets into build/fuzz/ (clang)
	$(Q)$(MAKE) --no-print-directory OUT=$(OUT)/fuzz CC=$(CLANG) FUZZ_BUILD=1 \
		SANITIZE=fuzzer-no-link,address,undefined fuzz-bins

fuzz-smoke: fuzz ## run each fuzz target for FUZZ_TIME seconds (default 10) on its corpus
	$(Q)fuzz/smoke.sh $(OUT)/fuzz $(FUZZ_TIME) $(FUZZ_TARGETS)

ifeq ($(FUZZ_BUILD),1)
# UBSan findings must stop the run.
CFLAGS += -fno-sanitize-recover=undefined

fuzz-bins: $(addprefix $(OUT)/,$(FUZZ_TARGETS))

$(OUT)/fuzz_%: fuzz/fuzz_%.c $(OUT)/libcore.a
	$(call msg,FUZZ,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -fsanitize=fuzzer $(LDFLAGS) $< $(OUT)/libcore.a $(LDLIBS) -o $@

-include $(wildcard $(OUT)/fuzz_*.d)
endif
# ---------------------------------------------------------------------------------------------

-include $(wildcard $(OUT)/obj/*.d $(OUT)/obj/*/*.d $(OUT)/bpf/*.d)

#!/bin/bash
# SPDX-License-Identifier: MIT
# Bad input is refused with status 2 and a usage hint, before anything is loaded; an output
# file that cannot be created is a clear error; the output file is created with mode 0600
# (also when it already existed with a wider mode, and whatever the umask).
. "$(dirname "$0")/lib.sh"
require_root

ok=1
# expect STATUS PATTERN ARGS...: STATUS is a number or "nonzero"
expect() {
	local want=$1 pat=$2 st
	shift 2
	rm -f "$E2E_TMP/x.ready"
	timeout 20 "$TLSSCOPE" --ready-file "$E2E_TMP/x.ready" "$@" >"$E2E_TMP/x.out" 2>"$E2E_TMP/x.err" </dev/null
	st=$?
	log "tlsscope $*: status $st: $(head -c 200 "$E2E_TMP/x.err" | tr '\n' ' ')"
	if [ "$want" = nonzero ]; then
		[ $st != 0 ] && [ $st -lt 124 ] || { ok=0; echo "FAIL: tlsscope $*: status $st, expected a clean non-zero exit"; }
	else
		[ "$st" = "$want" ] || { ok=0; echo "FAIL: tlsscope $*: status $st, expected $want"; }
	fi
	grep -qE -- "$pat" "$E2E_TMP/x.err" ||
		{ ok=0; echo "FAIL: tlsscope $*: stderr does not match /$pat/:"; cat "$E2E_TMP/x.err"; }
	[ ! -e "$E2E_TMP/x.ready" ] || { ok=0; echo "FAIL: tlsscope $*: created its ready file"; }
}
usage_hint="Try .tlsscope --help' or .tlsscope --usage'"
expect 2 "unrecognized option '--bogus'" --bogus
expect 2 "$usage_hint" --bogus
expect 2 "invalid option -- 'Z'" -Z
expect 2 "invalid max-capture 'abc'" --max-capture abc
expect 2 "$usage_hint" --max-capture abc
expect 2 "invalid max-capture '-1'" --max-capture -1
expect 2 "invalid max-capture '12k'" --max-capture 12k
expect 2 "invalid format 'xml'" --format xml
expect 2 "invalid ringbuf-size '5000'" --ringbuf-size 5000
expect 2 "invalid duration 'soon'" --duration soon
expect 2 "unexpected argument 'extra'" extra
expect 2 "requires an argument" --max-capture
expect nonzero "/nonexistent-dir/x.*No such file or directory" --format json -o /nonexistent-dir/x

# not root: a clear error and status 1 before anything is loaded (a copy of the binary in a
# directory anyone can reach, run as nobody)
if command -v setpriv >/dev/null; then
	nr=$(mktemp -d /tmp/tlsscope-nonroot.XXXXXX)
	chmod 755 "$nr"
	cp "$TLSSCOPE" "$nr/tlsscope"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$nr/tlsscope" --duration 1 \
		>"$E2E_TMP/nr.out" 2>"$E2E_TMP/nr.err" </dev/null
	st=$?
	rm -rf "$nr"
	log "as nobody: status $st: $(head -c 200 "$E2E_TMP/nr.err")"
	[ $st = 1 ] || { ok=0; echo "FAIL: as nobody: status $st, expected 1"; }
	grep -q "must run as root" "$E2E_TMP/nr.err" ||
		{ ok=0; echo "FAIL: as nobody: no clear error:"; cat "$E2E_TMP/nr.err"; }
fi
[ ! -e /nonexistent-dir ] || fail "/nonexistent-dir exists"

# --help: usage on stdout, status 0
"$TLSSCOPE" --help >"$E2E_TMP/help.out" 2>&1
st=$?
[ $st = 0 ] || { ok=0; echo "FAIL: --help: status $st"; }
grep -q '^Usage: tlsscope ' "$E2E_TMP/help.out" || { ok=0; echo "FAIL: --help shows no usage line"; }
for o in --pid --comm --format --output --max-capture --duration --ready-file; do
	grep -q -- "$o" "$E2E_TMP/help.out" || { ok=0; echo "FAIL: --help does not mention $o"; }
done

# output file mode: 0600 when created (even with umask 0) and when it existed as 0666
out=$E2E_TMP/new.jsonl
umask 0
ts_start --format json -o "$out"
ts_stop
umask 022
mode=$(stat -c %a "$out")
[ "$mode" = 600 ] || { ok=0; echo "FAIL: new output file has mode $mode, expected 600"; }
$CHECK stats "$out" || ok=0

out=$E2E_TMP/old.jsonl
printf 'stale content that must go\n' >"$out"
chmod 666 "$out"
umask 0
ts_start --format json -o "$out"
ts_stop
umask 022
mode=$(stat -c %a "$out")
[ "$mode" = 600 ] || { ok=0; echo "FAIL: pre-existing output file has mode $mode after the run, expected 600"; }
grep -q 'stale content' "$out" && { ok=0; echo "FAIL: output file was not truncated"; }
$CHECK stats "$out" || ok=0

[ $ok = 1 ] || fail "bad input handling"
echo "PASS"

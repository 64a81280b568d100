#!/usr/bin/env bash
# The suite in parallel: one XCTest process per test class, DINGSYNC_TEST_JOBS (default 3) at
# a time, each slot with a throwaway MariaDB of its own.
#   scripts/test.sh            (after `swift build --build-tests`; `make test` does both)
# Why a server per slot and not `swift test --parallel`: every fixture's job is named
# wan-recharge, so two runs on one server would meet in GET_LOCK('dingsync:wan-recharge'),
# the resilience tests restart their server, and the TLS server sits at the main port + 100.
# DINGSYNC_TEST_PORT_BASE (default 33306) moves the slots, for a second checkout beside this one.
# A slot runs its classes one after another, so within a slot nothing changes from a serial
# run. Then scripts/newcomer.sh (the README's production steps against dingsim, on a MariaDB of
# its own at port 33390), counted as one more test case. Writes .build/test.log (every class's
# XCTest output and the newcomer's) and ends with "N passed, N failed".
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRIPT="$REPO/scripts/test.sh"
LOGDIR="$REPO/.build/test-logs"
TIMES="$REPO/.build/test-class-seconds"

slot_env() {
    export DINGSYNC_MARIADB_DIR="$REPO/.build/mariadb-slot$1"
    # Apart by 2 so that a slot's TLS server (its port + 100) never takes another slot's port.
    export DINGSYNC_MARIADB_PORT=$((${DINGSYNC_TEST_PORT_BASE:-33306} + 2 * $1))
}

if [[ "${1:-}" == run-class ]]; then
    # One class, in the slot xargs gave this process (DINGSYNC_TEST_SLOT).
    class="$2"
    slot_env "$DINGSYNC_TEST_SLOT"
    set -a; eval "$("$REPO/scripts/mariadb.sh" env)"; set +a
    start=$EPOCHREALTIME
    rc=0
    "$BUNDLE" "$class" >"$LOGDIR/$class.log" 2>&1 || rc=$?
    echo "$rc" >"$LOGDIR/$class.rc"
    awk -v c="$class" -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%s %.1f\n", c, b - a }' >"$LOGDIR/$class.seconds"
    echo "$class: $([[ $rc == 0 ]] && echo passed || echo "FAILED (exit $rc)") in $(cut -d' ' -f2 "$LOGDIR/$class.seconds") s"
    exit 0
fi

JOBS="${DINGSYNC_TEST_JOBS:-3}"
BUNDLE="$(ls -d "$(cd "$REPO" && swift build --show-bin-path)"/*PackageTests.xctest)"
export BUNDLE
rm -rf "$LOGDIR"
mkdir -p "$LOGDIR"

stop_all() {
    for ((s = 0; s < JOBS; s++)); do (slot_env "$s"; "$REPO/scripts/mariadb.sh" stop >/dev/null 2>&1 || true); done
}
trap stop_all EXIT
# One after another: two mariadb-install-db at once collide on their temporary tables in /tmp.
for ((s = 0; s < JOBS; s++)); do (slot_env "$s"; "$REPO/scripts/mariadb.sh" start); done

# Longest classes first (as timed by the last run), so that no slot is left with a long one
# at the end; classes not timed yet go first, in name order.
"$BUNDLE" --list-tests | sed -n 's|^\([A-Za-z0-9_]*\.[A-Za-z0-9_]*\)/.*|\1|p' | sort -u >"$LOGDIR/classes"
touch "$TIMES"
awk 'FILENAME == ARGV[1] { t[$1] = $2; next } { print (($1 in t) ? t[$1] : 1e9), $1 }' "$TIMES" "$LOGDIR/classes" |
    sort -k1,1gr -k2 | cut -d' ' -f2 |
    xargs -r -P "$JOBS" -n 1 --process-slot-var=DINGSYNC_TEST_SLOT "$SCRIPT" run-class

cat "$LOGDIR"/*.seconds >"$TIMES" 2>/dev/null || true

# The newcomer's walk through the README, after the classes (its server is its own, the slots'
# ports are apart from it); it stops what it started whatever happens.
newcomer_start=$EPOCHREALTIME
newcomer_rc=0
DINGSYNC_BIN_DIR="$(dirname "$BUNDLE")" "$REPO/scripts/newcomer.sh" >"$LOGDIR/newcomer.out" 2>&1 || newcomer_rc=$?
newcomer_secs="$(awk -v a="$newcomer_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')"
: >"$REPO/.build/test.log"
crashed=0
while read -r class; do
    cat "$LOGDIR/$class.log" >>"$REPO/.build/test.log"
    rc="$(cat "$LOGDIR/$class.rc" 2>/dev/null || echo missing)"
    if [[ "$rc" != 0 ]] && ! grep -q "^Test Case '.*' failed" "$LOGDIR/$class.log"; then
        # A crash (a trap, a fatalError) ends the process before XCTest reports the case.
        echo "Test Case '$class' failed (the process exited $rc without reporting a failure)" | tee -a "$REPO/.build/test.log"
        crashed=1
    fi
done <"$LOGDIR/classes"
cat "$LOGDIR/newcomer.out" >>"$REPO/.build/test.log"
if [[ $newcomer_rc == 0 ]]; then
    echo "scripts/newcomer.sh: passed in $newcomer_secs s"
    echo "Test Case 'scripts/newcomer.sh' passed ($newcomer_secs seconds)" >>"$REPO/.build/test.log"
else
    tail -n 40 "$LOGDIR/newcomer.out"
    echo "Test Case 'scripts/newcomer.sh' failed (exit $newcomer_rc; its output is in .build/test.log)" | tee -a "$REPO/.build/test.log"
fi
grep -h ": error: " "$LOGDIR"/*.log | head -n 50 || true
awk "/^Test Case '.*' passed/ { p++ } /^Test Case '.*' failed/ { f++ }
     END { printf \"%d passed, %d failed\\n\", p, f; exit (f > 0) }" "$REPO/.build/test.log" || exit 1
exit "$crashed"

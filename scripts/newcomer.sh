#!/usr/bin/env bash
# A newcomer's walk through the README's production steps, against the bundled DingTalk
# simulator (dingsim) and a throwaway MariaDB of its own, checking every step's exit code and a
# key line of its output. `make test` runs it (scripts/test.sh counts it as one test case).
#   scripts/newcomer.sh            (after `swift build`; `make test` builds first)
# Steps: set-up (the reference config, a secrets file in the README's format loaded the way cron
# loads it), check (no table yet: 78), fields, schema, schema --apply, check, sync --dry-run,
# sync, status, remap (after a mapping change). It fails loudly at the first broken step.
# Its MariaDB: data dir .build/mariadb-newcomer, preferred port 33390 (the test slots use
# 33306 + 2·slot and +100 for TLS); it stops only that server and the dingsim it started.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
BIN="${DINGSYNC_BIN_DIR:-$(swift build --show-bin-path)}"
WORK="$REPO/.build/newcomer"
export DINGSYNC_MARIADB_DIR="$REPO/.build/mariadb-newcomer"
export DINGSYNC_MARIADB_PORT="${NEWCOMER_MARIADB_PORT:-33390}"
SIM_PID=""
STEP="set-up"

cleanup() {
    local rc=$?
    if [[ -n "$SIM_PID" ]]; then kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; fi
    "$REPO/scripts/mariadb.sh" stop >/dev/null 2>&1 || true
    if [[ $rc != 0 ]]; then echo "newcomer: FAILED at step \"$STEP\" (exit $rc); outputs in $WORK" >&2; fi
    exit $rc
}
trap cleanup EXIT

fail() { echo "newcomer: FAIL [$STEP]: $*" >&2; exit 1; }
for b in dingsync dingsim; do [[ -x "$BIN/$b" ]] || fail "$BIN/$b is not built (run swift build)"; done
rm -rf "$WORK"
mkdir -p "$WORK"

# run STEP EXPECTED_CODE dingsync ARGS...: like the cron line of the README, in a clean
# environment (/bin/sh, the secrets file loaded with set -a), stdout and stderr kept apart.
run() {
    STEP="$1"
    local want="$2" rc=0
    shift 2
    env -i PATH="$BIN:/usr/bin:/bin" HOME="$WORK" LANG=C.UTF-8 \
        /bin/sh -c 'set -a; . "$1"; set +a; shift; exec "$@"' sh "$WORK/secrets.env" "$@" \
        >"$WORK/out" 2>"$WORK/err" || rc=$?
    for secret in "$APP_SECRET" "$MYSQL_PASSWORD_VALUE"; do
        if grep -qF -- "$secret" "$WORK/out" "$WORK/err"; then fail "a secret appeared in the output of $*"; fi
    done
    if [[ $rc != "$want" ]]; then
        echo "--- stdout"; tail -n 20 "$WORK/out"; echo "--- stderr"; tail -n 20 "$WORK/err"
        fail "\`$*\` exited $rc, expected $want"
    fi
    cp "$WORK/out" "$WORK/$STEP.out"; cp "$WORK/err" "$WORK/$STEP.err"
    echo "newcomer: ok [$STEP] exit $rc"
}
# expect FILE REGEX WHAT: a key line of the step's output.
expect() { grep -qE -- "$2" "$WORK/$1" || { echo "--- $1"; tail -n 30 "$WORK/$1"; fail "$3 (no line matching /$2/ in $1)"; }; }

# -- set-up: a throwaway MariaDB, the simulator, the reference config, the secrets file
"$REPO/scripts/mariadb.sh" start
eval "$("$REPO/scripts/mariadb.sh" env)"
SQL=(mariadb --no-defaults --protocol=socket -S "$DINGSYNC_TEST_MYSQL_SOCKET" -u "$DINGSYNC_TEST_MYSQL_USER" -p"$DINGSYNC_TEST_MYSQL_PASSWORD")
"${SQL[@]}" -e "DROP DATABASE IF EXISTS newcomer; CREATE DATABASE newcomer CHARACTER SET utf8mb4"

"$BIN/dingsim" --port 0 --count 120 --days 30 --port-file "$WORK/sim.port" >"$WORK/sim.out" 2>"$WORK/sim.err" &
SIM_PID=$!
for _ in $(seq 1 100); do [[ -s "$WORK/sim.out" ]] && break; sleep 0.1; done
START_LINE="$(head -n 1 "$WORK/sim.out")"
# What the README tells a newcomer to read from dingsim's start line.
[[ "$START_LINE" =~ ^dingsim\ listening\ on\ (http://127\.0\.0\.1:[0-9]+)\ app_key=([^ ]+)\ app_secret=([^ ]+)\ process_code=([^ ]+)$ ]] ||
    fail "dingsim's start line does not say base URL, credentials and process code: $START_LINE"
BASE_URL="${BASH_REMATCH[1]}" APP_KEY="${BASH_REMATCH[2]}" APP_SECRET="${BASH_REMATCH[3]}" PROCESS_CODE="${BASH_REMATCH[4]}"
MYSQL_PASSWORD_VALUE="$DINGSYNC_TEST_MYSQL_PASSWORD"
echo "newcomer: ok [dingsim] $BASE_URL process_code=$PROCESS_CODE"

# README step 1: copy the reference config; the secrets file: plain KEY=value lines, mode 600.
cp Config/wan-recharge.json "$WORK/job.json"
install -m 600 /dev/null "$WORK/secrets.env"
cat >>"$WORK/secrets.env" <<ENV
DINGTALK_BASE_URL=$BASE_URL
DINGTALK_APP_KEY=$APP_KEY
DINGTALK_APP_SECRET=$APP_SECRET
DINGTALK_PROCESS_CODE=$PROCESS_CODE
DINGSYNC_START=$(TZ=Asia/Shanghai date -d '31 days ago' +%F)
MYSQL_SOCKET=$DINGSYNC_TEST_MYSQL_SOCKET
MYSQL_USER=$DINGSYNC_TEST_MYSQL_USER
MYSQL_PASSWORD=$DINGSYNC_TEST_MYSQL_PASSWORD
MYSQL_DATABASE=newcomer
ENV
JOB=(--config "$WORK/job.json")

# -- check before the table exists: 78, and the line names the table
run check-before-schema 78 dingsync check "${JOB[@]}"
expect check-before-schema.out '^target table +FAIL: newcomer\.master_wan_recharge does not exist' "check names the missing target table"
expect check-before-schema.err '^dingsync: error: ' "a non-zero exit ends with the dingsync: error: line"

# -- fields: the form's components and a mapping snippet
run fields 0 dingsync fields "${JOB[@]}" --sample 5
expect fields.out '充值金额' "fields lists the form's components"
expect fields.out '"mapping"' "fields prints a mapping snippet"

# -- schema: prints the DDL, the reference table as shipped; --apply creates it
run schema 0 dingsync schema "${JOB[@]}"
expect schema.out 'CREATE TABLE IF NOT EXISTS `master_wan_recharge`' "schema prints the target table"
body="$(sed -n '/^-- Target table of job/,$p' Config/master_wan_recharge.sql)"
[[ "$(cat "$WORK/schema.out")" == "$body"* ]] || fail "Config/master_wan_recharge.sql is not what schema prints (run scripts/gen-reference-sql.sh)"
run schema-apply 0 dingsync schema "${JOB[@]}" --apply
expect schema-apply.err 'created newcomer\.master_wan_recharge' "schema --apply creates the target table"

# -- check: every line ok
run check 0 dingsync check "${JOB[@]}"
expect check.out '^target table +ok' "check finds the table"
expect check.out '^budget +ok' "check says what the job spends of its budget"
if grep -q 'FAIL' "$WORK/check.out"; then fail "check printed a FAIL line with exit 0"; fi

# -- sync --dry-run: rows printed, nothing written
run dry-run 0 dingsync sync "${JOB[@]}" --dry-run --limit 5 --format jsonl
[[ "$(grep -c '"bfn_id"' "$WORK/dry-run.out")" == 5 ]] || fail "the dry run printed $(grep -c '"bfn_id"' "$WORK/dry-run.out") rows, expected 5"
[[ "$("${SQL[@]}" -N newcomer -e 'SELECT COUNT(*) FROM master_wan_recharge')" == 0 ]] || fail "the dry run wrote rows"

# -- sync: the summary line, and the table holds what it says it wrote
run sync 0 dingsync sync "${JOB[@]}"
expect sync.err '^sync wan-recharge: listed [0-9]+, fetched [0-9]+, written [0-9]+, .*; month [0-9]+ of 2000 calls' "sync prints its summary"
written="$(sed -nE 's/^sync wan-recharge: .*written ([0-9]+),.*/\1/p' "$WORK/sync.err" | tail -n 1)"
rows="$("${SQL[@]}" -N newcomer -e 'SELECT COUNT(*) FROM master_wan_recharge')"
[[ "$written" -gt 0 && "$rows" == "$written" ]] || fail "sync said written $written, the table has $rows rows"

# -- status
run status 0 dingsync status "${JOB[@]}"
expect status.out '^watermark: +[0-9]{4}-' "status shows the watermark"
expect status.out '^calls this month: +[0-9]+ of 2000' "status shows the month's calls against the budget"

# -- remap after a mapping change: zero calls, the rows follow the new mapping
sed -i 's|"value": "{status}" }|"value": "{status}", "map": {"COMPLETED": "已完成"} }|' "$WORK/job.json"
grep -q '"已完成"' "$WORK/job.json" || fail "could not edit the mapping"
run remap 0 dingsync remap "${JOB[@]}"
expect remap.err '^remap wan-recharge: .*API calls 0,' "remap spends no DingTalk call"
[[ "$("${SQL[@]}" -N newcomer -e "SELECT COUNT(*) FROM master_wan_recharge WHERE status = 'COMPLETED'")" == 0 ]] ||
    fail "remap left rows with the old status text"
[[ "$("${SQL[@]}" -N newcomer -e "SELECT COUNT(*) FROM master_wan_recharge WHERE status = '已完成'")" -gt 0 ]] ||
    fail "remap wrote no row with the mapped status"

STEP="done"
echo "newcomer: all steps passed"

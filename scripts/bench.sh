#!/usr/bin/env bash
# make bench: performance figures of the release build, each next to the bound it is compared
# against (see docs/performance.md). Starts a throwaway MariaDB of its own
# (.build/mariadb-bench, never the test server); each scenario of dingbench starts its own
# dingsim. Everything started here is stopped on exit, whatever happens.
#   BENCH_SCENARIOS="writer cpu steady rss wall"   which scenarios, in this order
#   BENCH_QUICK=1                                   small sizes, for trying the script out
#   BENCH_SCENARIO_LIMIT=1800                       seconds allowed per scenario
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"
export DINGSYNC_MARIADB_DIR="$REPO/.build/mariadb-bench"
SCENARIOS="${BENCH_SCENARIOS:-writer cpu steady rss wall}"
LIMIT="${BENCH_SCENARIO_LIMIT:-1800}"

BIN="$(swift build -c release --show-bin-path)"
if [[ ! -x "$BIN/dingbench" || ! -x "$BIN/dingsync" || ! -x "$BIN/dingsim" ]]; then
  swift build -c release
fi

WORK="$(mktemp -d /tmp/dingsync-bench.XXXXXX)"
RUNNING=""
cleanup() {
  if [[ -n "$RUNNING" ]]; then
    kill -TERM "$RUNNING" 2>/dev/null || true   # timeout passes it on; dingbench takes its children along
    wait "$RUNNING" 2>/dev/null || true
  fi
  scripts/mariadb.sh stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ "${BENCH_QUICK:-}" == 1 ]]; then
  declare -A ARGS=([writer]="--rows 5000" [cpu]="--count 500" [steady]="--count 300 --new 5 --close 3"
                   [rss]="--small 200 --large 2000" [wall]="--count 300")
else
  declare -A ARGS=([writer]="--rows 100000 --batch 500" [cpu]="--count 5000" [steady]="--count 3000 --new 20 --close 10"
                   [rss]="--small 2000 --large 20000" [wall]="--count 3000 --latency-ms 30")
fi

scripts/mariadb.sh start
set -a; eval "$(scripts/mariadb.sh env)"; set +a

machine() {
  local os mem cpu
  os="$(. /etc/os-release && echo "$PRETTY_NAME")"
  mem="$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
  cpu="$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "$(nproc) cores ($cpu), $mem, $os, $(swift --version 2>/dev/null | head -n1 | sed 's/ (.*//'),"
  echo "MariaDB $(mariadbd --version 2>/dev/null | awk '{print $3}'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
}

echo "== dingsync benchmark, $(date -u +%FT%TZ)"
machine | sed 's/^/   /'
failed=0
for s in $SCENARIOS; do
  [[ -n "${ARGS[$s]+x}" ]] || { echo "bench.sh: unknown scenario $s" >&2; exit 64; }
  echo "-- $s ${ARGS[$s]}"
  # In the background and waited for, so a signal to this script runs the trap at once;
  # TMPDIR: dingbench's scratch files go under WORK, removed by the trap even after a kill.
  # shellcheck disable=SC2086
  TMPDIR="$WORK" timeout -s TERM "$LIMIT" "$BIN/dingbench" "$s" --bin "$BIN" --repo "$REPO" ${ARGS[$s]} \
    >"$WORK/$s.out" 2>"$WORK/$s.err" &
  RUNNING=$!
  rc=0; wait "$RUNNING" || rc=$?
  RUNNING=""
  grep '^FIGURE' "$WORK/$s.out" | cut -f2- >>"$WORK/figures.tsv" || true
  grep '^DETAIL' "$WORK/$s.out" | cut -f2- | sed 's/^/   /' || true
  if [[ $rc != 0 ]]; then
    failed=1
    printf '%s\tFAILED (exit %s)\t-\t-\t-\t-\n' "$s" "$rc" >>"$WORK/figures.tsv"
    echo "   $s failed (exit $rc):" >&2
    tail -n 20 "$WORK/$s.err" | sed 's/^/   /' >&2
  fi
done

echo
echo "== figures (ratio = measured / bound: for times, calls and RSS lower is better; for rates higher is better)"
{
  printf 'figure\tmeasured\tbound\tratio\ttarget\tverdict\n'
  cat "$WORK/figures.tsv" 2>/dev/null || true
} >"$WORK/table.tsv"
if command -v column >/dev/null 2>&1; then column -t -s $'\t' "$WORK/table.tsv"; else cat "$WORK/table.tsv"; fi

# The same table in Markdown, for docs/performance.md.
mkdir -p .build
{
  echo "Measured $(date -u +%F) on: $(machine | tr '\n' ' ')"
  echo
  awk -F'\t' 'NR == 1 { print "| " $1 " | " $2 " | " $3 " | " $4 " | " $5 " | " $6 " |"; print "|---|---|---|---|---|---|"; next }
              { print "| " $1 " | " $2 " | " $3 " | " $4 " | " $5 " | " $6 " |" }' "$WORK/table.tsv"
} >.build/bench-last.md
echo
echo "(Markdown copy: .build/bench-last.md)"
exit $failed

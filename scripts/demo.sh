#!/usr/bin/env bash
# make demo: a real sync of the reference job (万师傅充值单 → master_wan_recharge) against the
# bundled DingTalk simulator and a throwaway MariaDB. Everything it starts, it stops.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(swift build --show-bin-path)"
WORK="$(mktemp -d /tmp/dingsync-demo.XXXXXX)"
SIM_PID=""
cleanup() {
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null || true
  scripts/mariadb.sh stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

scripts/mariadb.sh start
set -a; eval "$(scripts/mariadb.sh env)"; set +a

echo "== starting the DingTalk simulator (300 instances of 万师傅充值单 over the last 40 days)"
"$BIN/dingsim" --port 0 --seed 42 --count 300 --days 40 --port-file "$WORK/port" >"$WORK/sim.log" 2>&1 &
SIM_PID=$!
for _ in $(seq 1 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
[ -s "$WORK/port" ] || { echo "simulator did not start:"; cat "$WORK/sim.log"; exit 1; }
PORT="$(cat "$WORK/port")"

SQL=(mariadb --protocol=socket -S "$DINGSYNC_TEST_MYSQL_SOCKET" -u "$DINGSYNC_TEST_MYSQL_USER" -p"$DINGSYNC_TEST_MYSQL_PASSWORD")
"${SQL[@]}" -e "DROP DATABASE IF EXISTS dingsync_demo; CREATE DATABASE dingsync_demo CHARACTER SET utf8mb4;"
"${SQL[@]}" dingsync_demo < Config/master_wan_recharge.sql

export DINGTALK_BASE_URL="http://127.0.0.1:$PORT" DINGTALK_APP_KEY=sim-app-key DINGTALK_APP_SECRET=sim-app-secret \
       DINGTALK_PROCESS_CODE=PROC-SIM-WAN-RECHARGE MYSQL_SOCKET="$DINGSYNC_TEST_MYSQL_SOCKET" \
       MYSQL_USER="$DINGSYNC_TEST_MYSQL_USER" MYSQL_PASSWORD="$DINGSYNC_TEST_MYSQL_PASSWORD" MYSQL_DATABASE=dingsync_demo \
       DINGSYNC_START="$(TZ=Asia/Shanghai date -d '41 days ago' +%F)"

echo
echo "== dingsync backfill --dry-run --format jsonl --limit 2 (prints mapped rows, writes nothing)"
"$BIN/dingsync" backfill --config Config/wan-recharge.json --from "$DINGSYNC_START" \
  --to "$(TZ=Asia/Shanghai date -d tomorrow +%F)" --dry-run --format jsonl --limit 2 -q
echo
echo "== dingsync sync (max_qps 15, as on DingTalk's standard edition)"
"$BIN/dingsync" sync --config Config/wan-recharge.json
echo
echo "== a second sync: final instances are not fetched again"
"$BIN/dingsync" sync --config Config/wan-recharge.json
echo
echo "== a sample of master_wan_recharge"
"${SQL[@]}" --table dingsync_demo -e "SELECT COUNT(*) AS \`rows\`, SUM(recharge_amount) AS total_recharge FROM master_wan_recharge;
  SELECT bfn_id, department, month, recharge_amount, status, result, create_time FROM master_wan_recharge ORDER BY create_time DESC LIMIT 8;"

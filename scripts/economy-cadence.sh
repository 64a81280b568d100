#!/usr/bin/env bash
# Reads `dingbench economy` output (the runs of `make bench-economy`) and checks the promise of
# economy.md: at one workload and budget, cron every 1, 10 and 60 minutes spend within 5 % of each
# other, every one under the budget. Prints one line per API; exits 1 when either does not hold.
set -euo pipefail
awk -F'\t' '
  $1 == "DETAIL" && $2 == "workload" {
    match($3, /^[0-9]+ approvals\/day/); perday = substr($3, RSTART, RLENGTH - 14) + 0
    match($3, /cron every [0-9]+ min/); cron = substr($3, RSTART + 11, RLENGTH - 15) + 0
    match($3, /budget [0-9]+/); budget = substr($3, RSTART + 7, RLENGTH - 7) + 0
  }
  $1 == "FIGURE" && $2 ~ /^dingsync/ {
    api = ($2 ~ /api v1/) ? "v1" : "topapi"
    match($3, /calls\/30d [0-9]+/); calls = substr($3, RSTART + 10, RLENGTH - 10) + 0
    key = api " at " perday " a day on " budget " calls"
    if (!(key in lo) || calls < lo[key]) lo[key] = calls
    if (!(key in hi) || calls > hi[key]) hi[key] = calls
    runs[key] = runs[key] sprintf("%s%d min %d", (key in runs && runs[key] != "") ? ", " : "", cron, calls)
    n[key]++; cap[key] = budget
  }
  END {
    bad = 0
    for (key in n) {
      if (n[key] < 2) continue
      spread = 100 * (hi[key] - lo[key]) / hi[key]
      ok = spread <= 5 && hi[key] <= cap[key]
      printf "cadence\t%s: calls/30d by cron step: %s; spread %.1f %% (at most 5 %%), most %d of %d: %s\n", key, runs[key], spread, hi[key], cap[key], ok ? "ok" : "FAILED"
      if (!ok) bad = 1
    }
    exit bad
  }' "$@"

# dingsync: everything a fresh Debian machine with Swift needs is one of these targets.
#   make demo   – a real sync against the bundled simulator and a throwaway MariaDB
#   make test   – the whole suite (unit + real MariaDB + real loopback HTTP through libcurl)
#   make bench  – performance figures (see README, "Performance")
SHELL := /bin/bash
SWIFT ?= swift

.PHONY: all deps build release test demo bench bench-economy check-oracle db-start db-stop clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# The suite is XCTest, one process per test class, DINGSYNC_TEST_JOBS (default 3) at a time,
# each slot on a throwaway MariaDB of its own (scripts/test.sh says why); the servers are
# stopped whatever the tests do; then scripts/newcomer.sh walks the README's production steps
# against dingsim on a MariaDB of its own. The closing line "N passed, N failed" counts test
# cases, the newcomer's walk as one.
test: deps
	$(SWIFT) build --build-tests
	@scripts/test.sh

demo: build
	@scripts/demo.sh

bench: release
	@scripts/bench.sh

# Compiles the MySQL layer against Oracle's libmysqlclient headers (downloaded from Debian
# unstable into .build/oracle-client; compile only). Not part of `test`: it needs the network.
check-oracle: deps
	@scripts/oracle-client-check.sh

db-start: deps
	@scripts/mariadb.sh start

db-stop:
	@scripts/mariadb.sh stop

clean:
	-@scripts/mariadb.sh stop
	rm -rf .build

# The API economy: cron syncs over simulated weeks (injected clock), calls and freshness
# beside the previous release's policy (see README, "API economy"): first a month of cron
# against the planner alone at several cadences (the month-long form of CadenceTests); then
# 50 a day on 4,000 calls at cron every 1, 10 and 60 minutes for both APIs, checked to move the
# spend by at most 5 %, under the budget (the other rows: every 10 minutes); then `watch` rows
# (Stream pushes: healthy, with faults, and with start events at 20 a day).
# Its own MariaDB (data dir and port), so it never shares a job lock with a test run.
bench-economy: export DINGSYNC_MARIADB_DIR = $(CURDIR)/.build/mariadb-economy
bench-economy: export DINGSYNC_MARIADB_PORT = 33316
bench-economy: release
	@scripts/mariadb.sh start
	@set -a; eval "$$(scripts/mariadb.sh env)"; set +a; rc=0; log=.build/economy.log; : > $$log; \
	  .build/release/dingbench cadence || rc=$$?; \
	  for api in topapi v1; do for cron in 1 10 60; do \
	    .build/release/dingbench economy --api $$api --per-day 50 --budget 4000 --cadence-min $$cron | tee -a $$log; \
	    [ $${PIPESTATUS[0]} = 0 ] || rc=1; done; done; \
	  .build/release/dingbench economy --per-day 20 --budget 4000 || rc=$$?; \
	  for api in topapi v1; do \
	    .build/release/dingbench economy --api $$api --watch finish,terminate --per-day 50 --budget 4000 || rc=$$?; \
	    .build/release/dingbench economy --api $$api --watch finish,terminate --faults issue --per-day 50 --budget 4000 || rc=$$?; \
	    .build/release/dingbench economy --api $$api --watch start,finish,terminate --per-day 20 --budget 2000 || rc=$$?; done; \
	  for run in 50:4500 50:5000 20:4000; do \
	    .build/release/dingbench economy --api v1 --per-day $${run%%:*} --budget $${run##*:} || rc=$$?; done; \
	  scripts/economy-cadence.sh $$log || rc=$$?; \
	  scripts/mariadb.sh stop; exit $$rc

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
# stopped whatever the tests do. The closing line "N passed, N failed" counts test cases.
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
# beside the previous release's policy (see README, "API economy"); first a month of cron
# against the planner alone at several cadences (the month-long form of CadenceTests).
# Its own MariaDB (data dir and port), so it never shares a job lock with a test run.
bench-economy: export DINGSYNC_MARIADB_DIR = $(CURDIR)/.build/mariadb-economy
bench-economy: export DINGSYNC_MARIADB_PORT = 33316
bench-economy: release
	@scripts/mariadb.sh start
	@set -a; eval "$$(scripts/mariadb.sh env)"; set +a; rc=0; \
	  .build/release/dingbench cadence || rc=$$?; \
	  for perday in 50 20; do .build/release/dingbench economy --per-day $$perday --budget 4000 || rc=$$?; done; \
	  for run in 50:4000 50:4500 50:5000 20:4000; do \
	    .build/release/dingbench economy --api v1 --per-day $${run%%:*} --budget $${run##*:} || rc=$$?; done; \
	  scripts/mariadb.sh stop; exit $$rc

# dingsync: everything a fresh Debian machine with Swift needs is one of these targets.
#   make demo   – a real sync against the bundled simulator and a throwaway MariaDB
#   make test   – the whole suite (unit + real MariaDB + real loopback HTTP through libcurl)
#   make bench  – performance figures (see README, "Performance")
SHELL := /bin/bash
SWIFT ?= swift

.PHONY: all deps build release test demo bench db-start db-stop clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# The server is stopped whatever the tests do; the suite's exit code is kept.
test: build
	@scripts/mariadb.sh start
	@set -a; eval "$$(scripts/mariadb.sh env)"; set +a; \
	  $(SWIFT) test; rc=$$?; \
	  scripts/mariadb.sh stop; exit $$rc

demo: build
	@scripts/demo.sh

bench: release
	@scripts/bench.sh

db-start: deps
	@scripts/mariadb.sh start

db-stop:
	@scripts/mariadb.sh stop

clean:
	-@scripts/mariadb.sh stop
	rm -rf .build

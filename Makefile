# Plaza: `make run` serves on the embedded SQLite default; `make test` runs
# the whole suite (installing and starting what it needs: PostgreSQL and the
# DAV clients from Debian packages), on SQLite and on PostgreSQL.
GO ?= go

.PHONY: build run test lint bench fuzz acl-model

build:
	$(GO) build -o plaza ./cmd/plaza

run: build
	./plaza serve

test:
	bash .ci/test

lint:
	bash .ci/lint

# Every fuzz target (request parsers: DAV XML bodies, If and Destination
# headers, iCalendar, vCard, CSV imports, JSON API bodies, ActivityPub)
# for FUZZTIME each: `make fuzz FUZZTIME=10m` for a long run.
FUZZTIME ?= 30s
fuzz:
	FUZZTIME=$(FUZZTIME) bash .ci/fuzz

# Benchmarks that print comparison tables (build tag "bench"); they run
# nginx (WebDAV) and Radicale side by side, installed here when missing,
# with wrk as the load client of the small-request runs.
bench:
	@test -x /usr/sbin/nginx || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-extras)
	@command -v radicale >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq radicale)
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	$(GO) test -tags bench -run '^TestBench' -count=1 -v -timeout 90m ./...

# The model-based ACL test over many seeds (make test runs seed 1 only):
# SEEDS random platforms from SEED, each on SQLite and on PostgreSQL when
# PLAZA_TEST_DATABASE_URL is set (about 30 s a seed). Run in the package's
# directory so go test shows the count it prints.
SEEDS ?= 20
SEED ?= 1
acl-model:
	cd cmd/plaza && PLAZA_ACL_MODEL_SEEDS=$(SEEDS) PLAZA_ACL_MODEL_SEED=$(SEED) $(GO) test -count=1 -run '^TestACLModel$$' -timeout 0

# Plaza: `make run` serves on the embedded SQLite default; `make test` runs
# the whole suite (installing and starting what it needs: PostgreSQL and the
# DAV clients from Debian packages), on SQLite and on PostgreSQL.
GO ?= go

.PHONY: build run test lint bench

build:
	$(GO) build -o plaza ./cmd/plaza

run: build
	./plaza serve

test:
	bash .ci/test

lint:
	bash .ci/lint

# Benchmarks that print comparison tables (build tag "bench"); they run
# nginx (WebDAV) and Radicale side by side, installed here when missing.
bench:
	@test -x /usr/sbin/nginx || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-extras)
	@command -v radicale >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq radicale)
	$(GO) test -tags bench -run '^TestBench' -count=1 -v -timeout 90m ./...

# Two commands: `make run` opens the app, `make test` runs every test.
GO ?= go
export CGO_ENABLED := 1

.PHONY: run test bench build screenshots fuzz

# The live demo: a care home on this computer, seen as ROLE (resident, family or staff).
ROLE ?= resident
run: build
	./bin/hearth -demo $(ROLE) $(ARGS)

build:
	@scripts/deps.sh build
	$(GO) build -o bin/hearth .
	$(GO) build -o bin/hearth-facility ./cmd/hearth-facility

# The photo tests that use S3 run against a real SeaweedFS (HEARTH_WEED), built once from its Go
# module by scripts/seaweedfs.sh (a failed build stops make). The facility server's suite runs
# twice: on SQLite within ./... (with -race), then on PostgreSQL
# (HEARTH_TEST_DATABASE=postgres: one PostgreSQL 15 started by the tests, a database per test).
# The second run is without -race: the Go above the database is the same code the first run
# race-checks, pgstore's own goroutines are race-checked in its package's tests, and -race would
# more than double its time (about 70 s against 170 s on two shared cores).
test:
	@scripts/deps.sh test
	$(GO) vet ./...
	$(GO) vet -tags windowtest ./windowtest
	$(GO) vet -tags webtest ./webtest
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	@if $(GO) list -deps ./cmd/hearth-facility | grep -q fyne; then echo "hearth-facility must not depend on Fyne"; exit 1; fi
	weed=$$(scripts/seaweedfs.sh) && HEARTH_WEED=$$weed $(GO) test -race -timeout 20m ./...
	HEARTH_TEST_DATABASE=postgres $(GO) test -count=1 -timeout 15m ./facility/
	@$(MAKE) --no-print-directory fuzz
	$(GO) test -tags webtest -count=1 -timeout 15m -v ./webtest/
	$(GO) test -race -tags windowtest -count=1 -timeout 45m -v ./windowtest/

# Each fuzz target of the server's request bodies and uploads for FUZZTIME: 13 targets, one
# instrumented test binary built once, about a minute and a half in all. Go 1.26's fuzzing engine
# may end a run that found nothing with a bare "context deadline exceeded" when a worker is busy
# at the end of its time (go.dev/issue/75804, fixed in Go 1.27): that alone is not a failure.
FUZZTIME ?= 5s
fuzz:
	@$(GO) test -c -fuzz . -o bin/facility.fuzz ./facility/
	@cd facility && for f in $$(../bin/facility.fuzz -test.list '^Fuzz'); do \
		echo "== $$f"; ../bin/facility.fuzz -test.run '^$$' -test.fuzz "^$$f$$" -test.fuzztime $(FUZZTIME) \
			-test.fuzzcachedir "$$($(GO) env GOCACHE)/fuzz/hearth/facility" > ../bin/fuzz.out 2>&1; rc=$$?; \
		cat ../bin/fuzz.out; [ $$rc -eq 0 ] && continue; \
		if grep -q 'Failing input written' ../bin/fuzz.out || ! grep -qx '    context deadline exceeded' ../bin/fuzz.out; then exit 1; fi; \
		echo "(no failing input: the engine's end-of-time race, go.dev/issue/75804)"; done

# Benchmarks: Go benchmarks of every package, then each bench/*.sh.
bench:
	@scripts/deps.sh bench
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...
	@for s in bench/*.sh; do [ -x "$$s" ] && { echo "== $$s"; "$$s"; }; done; true

# Refresh the README's screenshots from the last window test (make test writes out/screenshots).
screenshots:
	@test -d out/screenshots || { echo "run make test first: the window test takes the screenshots"; exit 1; }
	mkdir -p docs/screenshots
	cp out/screenshots/*.png docs/screenshots/
	rm -f docs/screenshots/failed-*.png

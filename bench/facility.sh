#!/bin/sh
# Facility server benchmarks over real HTTP on loopback, with fixed iteration counts so that
# the percentiles and rates rest on enough samples; prints the empty-pull cost ratio.
# Numbers and the machine: docs/benchmarks.md, section "Facility server".
set -eu
cd "$(dirname "$0")/.."
ulimit -n 8192 2>/dev/null || true # 1,000 long-polls need ~2,100 sockets
export CGO_ENABLED=1

echo "-- message writes, 50 concurrent writers, membership checked, synchronous=FULL"
go test -run '^$' -bench '^BenchmarkMessageWrites$' -benchtime 20000x ./facility/ | grep '^Benchmark'

echo "-- write -> delivery latency, 1,000 devices in long-poll, 50 writers at 20 msg/s each"
go test -run '^$' -bench '^BenchmarkDeliveryLatency$' -benchtime 5000x -count 3 ./facility/ | grep '^Benchmark'

echo "-- empty pull, 1,000 vs 1,000,000 changes of history"
# Five rounds: the machine is shared, and the fastest round of each is the least disturbed.
go test -run '^$' -bench '^BenchmarkEmptyPull$' -benchtime 20000x -count 5 ./facility/ | grep '^Benchmark' | tee /tmp/hearth-pull.$$
awk '/history=1000-/ {if (!a || $3 < a) a = $3} /history=1000000-/ {if (!b || $3 < b) b = $3}
	END {printf "fastest rounds: %d ns vs %d ns; ratio (1,000,000 / 1,000): %.2f (target <= 1.2)\n", a, b, b/a}' /tmp/hearth-pull.$$
rm -f /tmp/hearth-pull.$$

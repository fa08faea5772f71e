#!/usr/bin/env bash
# Hearth's facility server beside PocketBase under ../shared/tools/loadgen, alternating A B A B
# on the same box (issue 14, item 8). Each phase gets a fresh data folder and a fresh server.
#
#   bench/loadgen.sh LOADGEN HEARTH_FACILITY POCKETBASE [ROUNDS] [OUT]
#
# LOADGEN: built from ../shared/tools/loadgen (go build); HEARTH_FACILITY: go build
# ./cmd/hearth-facility; POCKETBASE: v0.39.11's examples/base built with CGO_ENABLED=0 (never
# committed here). A further HEARTH_FACILITY_B names a second Hearth build to run beside the
# first (before/after), as target "hearth-b". Results: one JSON line per phase in OUT.
set -euo pipefail
LOADGEN=$1 HF=$2 PB=$3 ROUNDS=${4:-2} OUT=${5:-/tmp/loadgen-$(date +%s).jsonl}
HFB=${HEARTH_FACILITY_B:-}
PHASES=("throughput -writers 50 -subs 1" "throughput -writers 50 -subs 50" "latency -rate 20 -subs 50")
DUR=${DURATION:-10s}
work=$(mktemp -d)
srv=""
cleanup() { [ -n "$srv" ] && kill "$srv" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

wait_http() { for _ in $(seq 100); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }

run_hearth() { # binary label phase...
	local bin=$1 label=$2; shift 2
	local d=$work/h$RANDOM
	local link
	link=$("$bin" init --data "$d" --name Bench --public-host 127.0.0.1:18443 | tail -1)
	"$bin" serve --data "$d" --addr 127.0.0.1:18443 --insecure-http --max-conns-per-address 1000 >"$d.log" 2>&1 &
	srv=$!
	wait_http http://127.0.0.1:18443/v1/info
	"$LOADGEN" -target hearth -base http://127.0.0.1:18443 -invite "$link" -pid "$srv" -duration "$DUR" -out "$OUT" -phase "$@" |
		sed "s/^/$label: /"
	kill "$srv"; wait "$srv" 2>/dev/null || true; srv=""
}

run_pb() { # phase...
	local d=$work/pb$RANDOM
	mkdir -p "$d/data" "$d/mig" "$d/hooks"
	"$PB" superuser upsert admin@example.test 'Bench-Pass-12345' --dir "$d/data" >/dev/null
	"$PB" serve --http 127.0.0.1:18090 --dir "$d/data" --automigrate=false --migrationsDir "$d/mig" --hooksDir "$d/hooks" >"$d.log" 2>&1 &
	srv=$!
	wait_http http://127.0.0.1:18090/api/health
	"$LOADGEN" -target pocketbase -base http://127.0.0.1:18090 -pid "$srv" -duration "$DUR" -out "$OUT" -phase "$@" |
		sed "s/^/pocketbase: /"
	kill "$srv"; wait "$srv" 2>/dev/null || true; srv=""
}

echo "machine: $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); results: $OUT"
for r in $(seq "$ROUNDS"); do
	for ph in "${PHASES[@]}"; do
		# shellcheck disable=SC2086
		run_hearth "$HF" hearth $ph
		if [ -n "$HFB" ]; then
			# shellcheck disable=SC2086
			run_hearth "$HFB" hearth-b $ph
		fi
		# shellcheck disable=SC2086
		run_pb $ph
	done
done

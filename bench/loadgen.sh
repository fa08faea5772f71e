#!/usr/bin/env bash
# Hearth's facility server beside PocketBase under ../shared/tools/loadgen, alternating A B A B
# on the same box (issue 14, item 8). Each phase gets a fresh data folder (and, on PostgreSQL, a
# fresh database) and fresh servers.
#
#   bench/loadgen.sh LOADGEN HEARTH_FACILITY POCKETBASE [ROUNDS] [OUT]
#
# LOADGEN: built from ../shared/tools/loadgen (go build); HEARTH_FACILITY: go build
# ./cmd/hearth-facility; POCKETBASE: v0.39.11's examples/base built with CGO_ENABLED=0 (never
# committed here). A further HEARTH_FACILITY_B names a second Hearth build to run beside the
# first (before/after), as "hearth-b" (on SQLite) or "hearth-b-pg1", "hearth-b-pg2".
#
# TARGETS chooses what runs in each round, in order (default "sqlite pocketbase"):
#   sqlite      Hearth on its SQLite data folder
#   pg1         Hearth on PostgreSQL, one server (init --database, then serve)
#   pg2         Hearth on PostgreSQL, two servers on the same database and data folder, behind
#               a splitting proxy: writers and setup go to A, the waiting devices' long-polls
#               to B, so every delivery is a cross-server wake-up. SPLITPROXY=haproxy runs
#               Debian's HAProxy (apt-get install haproxy) in HTTP mode on one thread; else
#               SPLITPROXY names bench/splitproxy built (Go's reverse proxy, about three times
#               HAProxy's CPU on the same two cores)
#   pocketbase  PocketBase
#   ceiling, ceiling-pg1, ceiling-pg2
#               bench/ceiling (CEILING names it built): the least a server can do for this
#               workload, in memory, or committing each post to PostgreSQL with one server or two
#               split as pg2; what the machine and the load generator allow at all
#               (CEILING_ARGS adds its flags, e.g. "-hold 20ms")
# WORKLOADS picks among PHASES by number (default "1 2 3"); PG_SERVE_PARAMS is added to the
# database address that serve is given (e.g. "&pool_max_conns=16"; init takes the plain one).
# pg1 and pg2 start one PostgreSQL 15 (Debian's, as the postgres user when run as root, its own
# folder, port and socket directory, fsync on, as facility/pgtest does) for the whole run.
#
# Results: one JSON line per phase in OUT, the loadgen's with label, round, load average and
# the CPU seconds of every server process (hearth_a, hearth_b, proxy, postgres) added;
# bench/loadgen-table.sh OUT prints them as a table.
set -euo pipefail
LOADGEN=$1 HF=$2 PB=$3 ROUNDS=${4:-2} OUT=${5:-/tmp/loadgen-$(date +%s).jsonl}
HFB=${HEARTH_FACILITY_B:-}
TARGETS=${TARGETS:-sqlite pocketbase}
SPLITPROXY=${SPLITPROXY:-}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PHASES=("throughput -writers 50 -subs 1" "throughput -writers 50 -subs 50" "latency -rate 20 -subs 50")
DUR=${DURATION:-10s}
work=$(mktemp -d)
runs=0
chmod 755 "$work"
srvs=() # pids to stop after a phase
pg="" pgport=""
stop_servers() {
	local p
	for p in "${srvs[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${srvs[@]}"; do wait "$p" 2>/dev/null || true; done
	srvs=()
}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
	stop_servers
	if [ -n "$pg" ]; then
		as_pg "$PGBIN/pg_ctl" stop -D "$work/pg/data" -m fast -w >/dev/null 2>&1 || kill "$pg" 2>/dev/null || true
		wait "$pg" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

wait_http() { for _ in $(seq 100); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }

# ticks PID...: CPU clock ticks (1/100 s) used by the processes so far.
ticks() {
	local t=0 p f
	for p in "$@"; do
		[ -n "$p" ] || continue # /proc//stat is /proc/stat
		f=$(cut -d')' -f2- "/proc/$p/stat" 2>/dev/null) || continue
		# shellcheck disable=SC2086
		set -- $f
		t=$((t + ${12} + ${13}))
	done
	echo "$t"
}

# pg_ticks: the postmaster's CPU, its live backends', and what its exited backends used.
pg_ticks() {
	[ -n "$pgport" ] || { echo 0; return; }
	local pm f
	pm=$(head -1 "$work/pg/data/postmaster.pid")
	f=$(cut -d')' -f2- "/proc/$pm/stat")
	# shellcheck disable=SC2086
	set -- $f
	local dead=$((${14} + ${15}))
	# shellcheck disable=SC2046
	echo $(($(ticks "$pm" $(pgrep -P "$pm" | tr '\n' ' ')) + dead))
}

start_pg() {
	mkdir -p "$work/pg"
	[ "$(id -u)" = 0 ] && chown postgres "$work/pg"
	as_pg sh -c 'mkdir -m 700 "$1/sock" && exec "$2/initdb" -D "$1/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8' \
		initdb "$work/pg" "$PGBIN" >"$work/initdb.log"
	pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	as_pg "$PGBIN/postgres" -D "$work/pg/data" -p "$pgport" -c listen_addresses=127.0.0.1 \
		-c unix_socket_directories="$work/pg/sock" -c fsync=on -c max_connections=200 >"$work/pg.log" 2>&1 &
	pg=$!
	for _ in $(seq 100); do
		as_pg "$PGBIN/pg_isready" -q -h "$work/pg/sock" -p "$pgport" && return 0
		sleep 0.1
	done
	echo "PostgreSQL did not start:" >&2
	cat "$work/pg.log" >&2
	return 1
}

new_db() { # prints the URL of a fresh, empty database (in a subshell: the name must be new by itself)
	local name
	name=bench_$(date +%s%N)
	as_pg "$PGBIN/psql" -q -h "$work/pg/sock" -p "$pgport" -U postgres -d postgres -c "CREATE DATABASE $name" >/dev/null
	echo "postgres://postgres@127.0.0.1:$pgport/$name?sslmode=disable"
}

# settle starts each phase from a quiet disk, whichever target ran before, so that none pays
# for the one before it: the last phase's dirty pages are written back now rather than under the
# next one's fsyncs, and PostgreSQL's buffers are checkpointed.
settle() {
	sync
	[ -z "$pgport" ] || as_pg "$PGBIN/psql" -q -h "$work/pg/sock" -p "$pgport" -U postgres -d postgres -c CHECKPOINT >/dev/null
}

# measure LABEL ROUND PID_A PID_B PID_PROXY LOADGEN-ARGS...: one loadgen phase; its JSON line,
# with the CPU every server process used during it, goes to OUT.
measure() {
	local label=$1 round=$2 a=$3 b=$4 px=$5
	shift 5
	local one=$work/one.jsonl t0a t0b t0p t0g load
	rm -f "$one"
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	t0a=$(ticks "$a") t0b=$(ticks "$b") t0p=$(ticks "$px") t0g=$(pg_ticks)
	"$LOADGEN" -duration "$DUR" -out "$one" "$@" | sed "s/^/$label: /"
	jq -c --arg lbl "$label" --argjson round "$round" --arg load "$load" \
		--argjson a $(($(ticks "$a") - t0a)) --argjson b $(($(ticks "$b") - t0b)) \
		--argjson px $(($(ticks "$px") - t0p)) --argjson g $(($(pg_ticks) - t0g)) \
		'. + {"label": $lbl, round: $round, load_before: $load,
		      cpu_s: {hearth_a: ($a / 100), hearth_b: ($b / 100), proxy: ($px / 100), postgres: ($g / 100)}}' \
		"$one" >>"$OUT"
}

serve_hearth() { # binary data-folder port [serve-args]: starts a server, adds it to srvs
	"$1" serve --data "$2" --addr "127.0.0.1:$3" --insecure-http --max-conns-per-address 1000 "${@:4}" >>"$2.log.$3" 2>&1 &
	srvs+=($!)
	wait_http "http://127.0.0.1:$3/v1/info"
}

# split_haproxy_cfg: HAProxy splitting as bench/splitproxy does (GET /v1/sync to the waiting
# server, everything else to the writing one), in HTTP mode on one thread: a balancer that costs
# the two cores less than Go's reverse proxy.
split_haproxy_cfg() {
	cat <<-'CFG'
	global
	    maxconn 4096
	    nbthread 1
	defaults
	    mode http
	    timeout connect 5s
	    timeout client  90s
	    timeout server  90s
	    timeout http-keep-alive 90s
	frontend split
	    bind 127.0.0.1:18440
	    use_backend waits if { method GET } { path /v1/sync }
	    default_backend writes
	backend writes
	    http-reuse always
	    server a 127.0.0.1:18443
	backend waits
	    http-reuse always
	    server b 127.0.0.1:18444
	CFG
}

start_split() { # log: the splitting proxy in front of 18443 (writes) and 18444 (waits), on 18440
	if [ "$SPLITPROXY" = haproxy ]; then
		split_haproxy_cfg >"$work/split.cfg"
		haproxy -db -f "$work/split.cfg" 2>>"$1" &
	else
		"$SPLITPROXY" -addr 127.0.0.1:18440 -writes http://127.0.0.1:18443 -waits http://127.0.0.1:18444 2>>"$1" &
	fi
	srvs+=($!)
	wait_http http://127.0.0.1:18440/v1/info
}

run_hearth() { # binary label round store phase...
	local bin=$1 label=$2 round=$3 store=$4
	shift 4
	settle
	runs=$((runs + 1)) # a new folder each phase ($RANDOM once named one twice and init refused)
	local d=$work/h$runs link a b="" px="" base=http://127.0.0.1:18443
	local db=() url serve=()
	if [ "$store" != sqlite ]; then
		url=$(new_db)
		db=(--database "$url")
		[ -z "${PG_SERVE_PARAMS:-}" ] || serve=(--database "$url$PG_SERVE_PARAMS")
	fi
	link=$("$bin" init --data "$d" --name Bench --public-host 127.0.0.1:18443 "${db[@]}" | tail -1)
	serve_hearth "$bin" "$d" 18443 "${serve[@]}"
	a=${srvs[0]}
	if [ "$store" = pg2 ]; then
		serve_hearth "$bin" "$d" 18444 "${serve[@]}"
		b=${srvs[1]}
		start_split "$d.log.proxy"
		px=${srvs[-1]}
		base=http://127.0.0.1:18440
	fi
	measure "$label" "$round" "$a" "$b" "$px" -target hearth -base "$base" -invite "$link" -pid "$a" -phase "$@"
	if grep -h 'level=ERROR' "$d".log.* >&2; then echo "$label: the server logged errors (above)" >&2; fi
	stop_servers
}

serve_ceiling() { # port log [-database URL]: starts a ceiling server, adds it to srvs
	# shellcheck disable=SC2086
	"$CEILING" -addr "127.0.0.1:$1" "${@:3}" ${CEILING_ARGS:-} >"$2" 2>&1 &
	srvs+=($!)
	wait_http "http://127.0.0.1:$1/v1/info"
}

run_ceiling() { # label round store phase...
	local label=$1 round=$2 store=$3
	shift 3
	settle
	runs=$((runs + 1))
	local d=$work/c$runs db=() a b="" px="" base=http://127.0.0.1:18443
	[ "$store" = memory ] || db=(-database "$(new_db)")
	serve_ceiling 18443 "$d.a" "${db[@]}"
	a=${srvs[-1]}
	if [ "$store" = pg2 ]; then
		serve_ceiling 18444 "$d.b" "${db[@]}"
		b=${srvs[-1]}
		start_split "$d.proxy"
		px=${srvs[-1]}
		base=http://127.0.0.1:18440
	fi
	measure "$label" "$round" "$a" "$b" "$px" -target hearth -base "$base" -invite "$(head -1 "$d.a")" -pid "$a" -phase "$@"
	stop_servers
}

run_pb() { # round phase...
	local round=$1
	shift
	settle
	runs=$((runs + 1))
	local d=$work/pb$runs
	mkdir -p "$d/data" "$d/mig" "$d/hooks"
	"$PB" superuser upsert admin@example.test 'Bench-Pass-12345' --dir "$d/data" >/dev/null
	"$PB" serve --http 127.0.0.1:18090 --dir "$d/data" --automigrate=false --migrationsDir "$d/mig" --hooksDir "$d/hooks" >"$d.log" 2>&1 &
	srvs+=($!)
	wait_http http://127.0.0.1:18090/api/health
	measure pocketbase "$round" "${srvs[0]}" "" "" -target pocketbase -base http://127.0.0.1:18090 -pid "${srvs[0]}" -phase "$@"
	stop_servers
}

case " $TARGETS " in *" ceiling"*)
	[ -x "${CEILING:-}" ] || { echo "the ceiling targets need CEILING: go build -o /tmp/ceiling ./bench/ceiling" >&2; exit 2; } ;;
esac
case " $TARGETS " in *" pg1 "* | *" pg2 "* | *" ceiling-pg1 "* | *" ceiling-pg2 "*) start_pg ;; esac
case " $TARGETS " in *" pg2 "* | *" ceiling-pg2 "*)
	if [ "$SPLITPROXY" = haproxy ]; then
		command -v haproxy >/dev/null || { echo "SPLITPROXY=haproxy needs HAProxy: apt-get install haproxy" >&2; exit 2; }
	else
		[ -x "$SPLITPROXY" ] || { echo "pg2 needs SPLITPROXY (go build ./bench/splitproxy, or the word haproxy)" >&2; exit 2; }
	fi
	;;
esac
echo "machine: $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); targets: $TARGETS; results: $OUT"
for r in $(seq "$ROUNDS"); do
	for w in ${WORKLOADS:-1 2 3}; do
		ph=${PHASES[$((w - 1))]}
		for t in $TARGETS; do
			case $t in
			# shellcheck disable=SC2086
			sqlite) run_hearth "$HF" hearth "$r" sqlite $ph ;;
			# shellcheck disable=SC2086
			pg1 | pg2) run_hearth "$HF" "hearth-$t" "$r" "$t" $ph ;;
			# shellcheck disable=SC2086
			pocketbase) run_pb "$r" $ph ;;
			# shellcheck disable=SC2086
			ceiling) run_ceiling "ceiling${CEILING_ARGS:+ $CEILING_ARGS}" "$r" memory $ph ;;
			# shellcheck disable=SC2086
			ceiling-pg1 | ceiling-pg2) run_ceiling "$t${CEILING_ARGS:+ $CEILING_ARGS}" "$r" "${t#ceiling-}" $ph ;;
			*) echo "unknown target $t" >&2; exit 2 ;;
			esac
			if [ -n "$HFB" ] && [ "$t" = sqlite ]; then
				# shellcheck disable=SC2086
				run_hearth "$HFB" hearth-b "$r" sqlite $ph
			elif [ -n "$HFB" ] && { [ "$t" = pg1 ] || [ "$t" = pg2 ]; }; then
				# shellcheck disable=SC2086
				run_hearth "$HFB" "hearth-b-$t" "$r" "$t" $ph
			fi
		done
	done
done

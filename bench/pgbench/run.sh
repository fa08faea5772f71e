#!/usr/bin/env bash
# A post's statements on PostgreSQL 15 without Hearth around them: pgbench (Debian's) runs each
# script for T seconds with C clients, alternating, in ROUNDS rounds, on a fresh cluster (fsync
# on, its own folder, port and socket directory; as the postgres user when run as root).
#
#   bench/pgbench/run.sh [SCRIPT...]      (default: post8 post1 post8x4)
#
# post8:   a post's shape as pgstore sends it beside others: BEGIN, the writers' lock, seven
#          reads in one round trip; the item's insert, the counter and the change, NOTIFY and
#          COMMIT in a second.
# post1:   the same with the seven reads as one statement and the inserts as one.
# post8x4: four posts in one transaction: their 28 reads in one round trip, their inserts,
#          changes, one NOTIFY and one COMMIT in a second. Each transaction counts four posts.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
C=${C:-4} T=${T:-10} ROUNDS=${ROUNDS:-2}
scripts=("$@")
[ ${#scripts[@]} -gt 0 ] || scripts=(post8 post1 post8x4)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
w=$(mktemp -d)
chmod 755 "$w"
mkdir "$w/pg"
[ "$(id -u)" = 0 ] && chown postgres "$w/pg"
as_pg sh -c 'mkdir -m 700 "$1/sock" && exec "$2/initdb" -D "$1/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8' \
	initdb "$w/pg" "$PGBIN" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg "$PGBIN/postgres" -D "$w/pg/data" -p "$port" -c listen_addresses=127.0.0.1 \
	-c unix_socket_directories="$w/pg/sock" -c fsync=on -c max_connections=200 >"$w/pg.log" 2>&1 &
trap 'as_pg "$PGBIN/pg_ctl" stop -D "$w/pg/data" -m fast -w >/dev/null; rm -rf "$w"' EXIT
for _ in $(seq 100); do as_pg "$PGBIN/pg_isready" -q -h "$w/pg/sock" -p "$port" && break; sleep 0.1; done
cp "$here"/*.sql "$w/"
chmod 644 "$w"/*.sql
psql() { as_pg "$PGBIN/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres "$@"; }
psql -f "$w/setup.sql"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $C clients, ${T} s a script"
for round in $(seq "$ROUNDS"); do
	for s in "${scripts[@]}"; do
		psql -c CHECKPOINT
		tps=$(as_pg "$PGBIN/pgbench" -h 127.0.0.1 -p "$port" -U postgres -n -M prepared -c "$C" -j 2 -T "$T" \
			-f "$w/$s.sql" postgres 2>/dev/null | grep -oP 'tps = \K[0-9.]+' | head -1)
		echo "round $round $s: $tps transactions/s"
	done
done

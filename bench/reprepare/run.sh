#!/usr/bin/env bash
# How often SQLite compiles a statement again, with the SQLite that go-sqlite3 bundles: prepares
# SQL_FILE once on DATABASE, runs it 300 times as go-sqlite3 does (reset, clear the bindings,
# bind six parameters, step) and prints the time a run and SQLITE_STMTSTATUS_REPREPARE.
#
#   bench/reprepare/run.sh DATABASE SQL_FILE...
#
# The amalgamation is compiled from the Go module cache (go-sqlite3's own copy, never committed
# here); the first build takes about a minute.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && go list -m -f '{{.Dir}}' github.com/mattn/go-sqlite3)
bin=${TMPDIR:-/tmp}/hearth-reprepare
if [ ! -x "$bin" ] || [ "$here/main.c" -nt "$bin" ]; then
	gcc -O2 -DSQLITE_THREADSAFE=1 -I"$src" -o "$bin" "$here/main.c" "$src/sqlite3-binding.c" -lpthread -ldl -lm
fi
db=$1
shift
for f in "$@"; do "$bin" "$db" "$f"; done

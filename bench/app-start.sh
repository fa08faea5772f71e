#!/usr/bin/env bash
# Cold start of the real app to the first frame of home, on a local store of 20,000 messages
# and 3,000 cached photos, against an empty Fyne window started the same way (target: <= 1.3x).
# A second reference, the same window with two lines of text (emptywindow -text), shows how much
# of the difference is Fyne drawing its first text at all.
# Each start is a fresh process with a fresh HOME under the same Xvfb; bench/firstframe times
# exec -> first frame by reading the screen's pixels from the X server every few ms (home:
# background with text on it; empty window: its background painted).
# RUNS=15 starts of each (plus one unmeasured warm-up each). DROP_CACHES=1 also empties the
# kernel's page cache before every start (needs root; slows other work on the machine a little).
# Numbers and the machine: docs/benchmarks.md, section "App start-up and memory".
set -euo pipefail
cd "$(dirname "$0")/.."
export CGO_ENABLED=1
RUNS=${RUNS:-15}
DROP_CACHES=${DROP_CACHES:-0}

source bench/lib/x11.sh
need_x_tools app-start
if [ "$DROP_CACHES" = 1 ] && ! { sync && echo 1 >/proc/sys/vm/drop_caches; } 2>/dev/null; then
  echo "app-start: DROP_CACHES=1 needs root (writing /proc/sys/vm/drop_caches failed)" >&2
  exit 1
fi

work=$(mktemp -d /tmp/hearth-app-start.XXXXXX)
xvfb_pid=
cleanup() {
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null && wait "$xvfb_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

echo "-- building hearth, the empty window and the tools"
go build -o "$work/hearth" .
go build -o "$work/emptywindow" ./bench/emptywindow
go build -o "$work/firstframe" ./bench/firstframe
go build -o "$work/fixture" ./bench/fixture
echo "-- building a store: 20,000 messages in 6 conversations, 3,000 photos cached"
"$work/fixture" -out "$work/store" -messages 20000 -conversations 6 -photos 3000

start_xvfb app-start "$work"

# start NAME WANT ARGS...: one cold start in a fresh HOME; prints "ms-to-frame ms-to-screen-shown".
n=0
start() {
  local name=$1 want=$2
  shift 2
  n=$((n + 1))
  local home="$work/home$n"
  mkdir -p "$home/run" "$home/.cache" && chmod 700 "$home/run"
  if [ "$DROP_CACHES" = 1 ]; then sync; echo 1 >/proc/sys/vm/drop_caches; fi
  env HOME="$home" XDG_RUNTIME_DIR="$home/run" XDG_CONFIG_HOME="$home/.config" HEARTH_DEBUG=1 \
    timeout 120 "$work/firstframe" -display "$display" -want "$want" -timeout 60s \
    -shot "$work/$name.png" -log "$work/$name.log" -- dbus-run-session -- "$@"
  rm -rf "$home"
  sleep 0.3 # the window is gone before the next start looks at the screen
}
hearth=("$work/hearth" -data "$work/store" -idle 0)

echo "-- $RUNS starts of each, alternating (after one warm-up each); page cache dropped: $([ "$DROP_CACHES" = 1 ] && echo yes || echo no)"
start hearth home "${hearth[@]}" >/dev/null
start empty paint "$work/emptywindow" >/dev/null
start text paint "$work/emptywindow" -text >/dev/null
: >"$work/hearth.ms"
: >"$work/empty.ms"
: >"$work/text.ms"
for i in $(seq "$RUNS"); do
  start hearth home "${hearth[@]}" >>"$work/hearth.ms"
  start empty paint "$work/emptywindow" >>"$work/empty.ms"
  start text paint "$work/emptywindow" -text >>"$work/text.ms"
  printf '  run %2d: hearth %s ms, empty window %s ms, window with text %s ms\n' "$i" "$(tail -1 "$work/hearth.ms" | cut -d' ' -f1)" \
    "$(tail -1 "$work/empty.ms" | cut -d' ' -f1)" "$(tail -1 "$work/text.ms" | cut -d' ' -f1)"
done

# stats FILE COLUMN: median and p90 (nearest rank).
stats() {
  cut -d' ' -f"$2" "$1" | grep -v '^-$' | sort -g | awk '{v[NR] = $1} END {
    if (NR == 0) { print "- -"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    r = int(0.9 * NR + 0.999999); printf "%.0f %.0f\n", m, v[r] }'
}
read -r hm hp < <(stats "$work/hearth.ms" 1)
read -r em ep < <(stats "$work/empty.ms" 1)
read -r tm tp < <(stats "$work/text.ms" 1)
read -r sm sp < <(stats "$work/hearth.ms" 2)
mkdir -p out/bench
cp "$work/hearth.png" out/bench/app-start-home.png
cp "$work/empty.png" out/bench/app-start-empty.png
echo "-- exec to first frame, $RUNS cold starts each (frames kept: out/bench/app-start-*.png)"
printf '  hearth home:  median %s ms, p90 %s ms (its "screen shown" log line: median %s ms)\n' "$hm" "$hp" "$sm"
printf '  empty window: median %s ms, p90 %s ms\n' "$em" "$ep"
printf '  window with two lines of text: median %s ms, p90 %s ms\n' "$tm" "$tp"
awk -v hm="$hm" -v em="$em" -v hp="$hp" -v ep="$ep" -v tm="$tm" 'BEGIN {
  printf "  ratio hearth / empty window: median %.2f, p90 %.2f (target <= 1.3): %s\n", hm / em, hp / ep, (hm / em <= 1.3) ? "PASS" : "FAIL"
  printf "  for scale: window with text / empty window %.2f; hearth / window with text %.2f\n", tm / em, hm / tm }'

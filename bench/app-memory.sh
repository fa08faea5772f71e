#!/usr/bin/env bash
# Memory of the real app while a resident pages through all 3,000 photos of the benchmark store
# (target: at most 200 MB, and not growing with the album). Under Xvfb it opens Photos and
# presses Next 2,999 times with xdotool; bench/pager waits for each photo to be drawn before the
# next press and samples VmRSS and VmHWM of the hearth process every 250 photos. For scale it
# first measures an empty Fyne window (bench/emptywindow) started the same way.
# Numbers and the machine: docs/benchmarks.md, section "App start-up and memory".
set -euo pipefail
cd "$(dirname "$0")/.."
export CGO_ENABLED=1
PHOTOS=${PHOTOS:-3000}

source bench/lib/x11.sh
need_x_tools app-memory

work=$(mktemp -d /tmp/hearth-app-memory.XXXXXX)
xvfb_pid=
app_pgid=
# stop_group PGID: end a program started with setsid, politely first, within 10 s.
stop_group() {
  kill -TERM -- "-$1" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 -- "-$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL -- "-$1" 2>/dev/null || true
}
cleanup() {
  [ -n "$app_pgid" ] && stop_group "$app_pgid"
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null && wait "$xvfb_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

echo "-- building hearth, the empty window and the tools"
go build -o "$work/hearth" .
go build -o "$work/emptywindow" ./bench/emptywindow
go build -o "$work/pager" ./bench/pager
go build -o "$work/fixture" ./bench/fixture
echo "-- building a store: 20,000 messages, $PHOTOS photos cached, none seen yet (showing one marks it seen)"
"$work/fixture" -out "$work/store" -messages 20000 -conversations 6 -photos "$PHOTOS" -unseen-photos "$PHOTOS"

start_xvfb app-memory "$work"
export DISPLAY=$display

# launch NAME ARGS...: start a program as the app starts (fresh HOME, own D-Bus session, own
# process group); sets app_pgid and app_pid (the program itself, not dbus-run-session).
launch() {
  local name=$1
  shift
  local home="$work/home-$name"
  mkdir -p "$home/run" "$home/.cache" && chmod 700 "$home/run"
  env HOME="$home" XDG_RUNTIME_DIR="$home/run" XDG_CONFIG_HOME="$home/.config" HEARTH_DEBUG=1 \
    setsid dbus-run-session -- "$@" 2>"$work/$name.log" &
  app_pgid=$!
  app_pid=
  for _ in $(seq 200); do
    app_pid=$(ps -o pid=,comm= --ppid "$app_pgid" | awk -v n="$name" '$2 == n {print $1}' || true) # ps fails until it has a child
    [ -n "$app_pid" ] && return 0
    sleep 0.05
  done
  echo "app-memory: $name did not start: $(tail -5 "$work/$name.log")" >&2
  exit 1
}
# wait_screen NAME: wait for the app to log that it shows that screen.
wait_screen() {
  for _ in $(seq 600); do
    grep -q "screen=\*app\.$1\b" "$work/hearth.log" && return 0
    sleep 0.1
  done
  echo "app-memory: the app did not show $1 within 60 s: $(tail -5 "$work/hearth.log")" >&2
  exit 1
}
rss() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

launch emptywindow "$work/emptywindow"
sleep 3
echo "-- empty Fyne window (for scale): RSS $(rss "$app_pid") MB"
stop_group "$app_pgid"
app_pgid=

launch hearth "$work/hearth" -data "$work/store" -idle 0
wait_screen home
sleep 2
echo "-- hearth on home: RSS $(rss "$app_pid") MB"
xdotool mousemove 320 200 click 1 # the Photos tile, the top-left quarter
wait_screen photos
sleep 2
echo "-- paging through $PHOTOS photos with Next"
timeout 3600 "$work/pager" -display "$display" -pid "$app_pid" -presses $((PHOTOS - 1)) -every 250
if command -v sqlite3 >/dev/null; then
  seen=$(sqlite3 -readonly "$work/store/store.db" 'SELECT count(*) FROM posts WHERE seen_by_me = 1')
  echo "  photos the app marked seen (each was loaded): $seen of $PHOTOS"
fi

# Shared by the app benchmarks (sourced, not run): the X tools they need and a private Xvfb.

# need_x_tools NAME: exit 0 with the apt-get command when Xvfb, xdotool, ImageMagick or dbus are
# missing (the benchmark NAME is then skipped, not failed).
need_x_tools() {
  local missing=()
  command -v Xvfb >/dev/null || missing+=(xvfb)
  command -v xdotool >/dev/null || missing+=(xdotool)
  command -v import >/dev/null || missing+=(imagemagick)
  command -v dbus-run-session >/dev/null || missing+=(dbus)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "$1: skipped, it needs an X server and tools. Install them with:"
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
    exit 0
  fi
}

# start_xvfb NAME DIR: a private X server of the app's size with a black root (so nothing looks
# like a frame before one), its files in DIR; sets xvfb_pid (for the caller's cleanup) and display.
start_xvfb() {
  exec 3>"$2/display"
  Xvfb -displayfd 3 -br -screen 0 1280x800x24 -nolisten tcp >"$2/xvfb.log" 2>&1 &
  xvfb_pid=$!
  exec 3>&-
  for _ in $(seq 100); do [ -s "$2/display" ] && break; sleep 0.1; done
  [ -s "$2/display" ] || { echo "$1: Xvfb did not start: $(cat "$2/xvfb.log")" >&2; exit 1; }
  display=":$(tr -d '\n' <"$2/display")"
}

#!/usr/bin/env bash
# Installs the Debian packages a target needs, or says exactly how to.
# usage: scripts/deps.sh build|test|bench
set -euo pipefail

build=(gcc libc6-dev pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev
       libxinerama-dev libxi-dev libxxf86vm-dev libwayland-dev libxkbcommon-dev)
window=(xvfb xauth imagemagick xdotool dbus tesseract-ocr tesseract-ocr-eng zbar-tools)
case "${1:-build}" in
  build) want=("${build[@]}") ;;
  test)  want=("${build[@]}" "${window[@]}" libimage-exiftool-perl libheif-examples chromium nodejs npm postgresql-15 haproxy nginx libnginx-mod-stream) ;; # chromium, node: webtest/; heif-convert: the iPhone HEIC test's reference; postgresql-15: facility/pgtest; haproxy, nginx: the guide's balancers (cmd/hearth-facility)
  bench) want=("${build[@]}" "${window[@]}" libvips-tools libheif-examples chromium nodejs npm postgresql-15 haproxy) ;; # the app benchmarks run a real window; heif-enc makes the 12 MP HEIC; webtest's benchmark a browser
  *) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

if ! command -v go >/dev/null; then
  echo "Go is not installed: install Go 1.26 or newer from https://go.dev/dl/ and run this again." >&2
  exit 1
fi

# The browser tests' npm packages (playwright-core, axe-core), pinned by webtest/package-lock.json.
# playwright-core drives Debian's chromium and downloads no browser of its own.
webtest_npm() {
  [ "${1:-}" = test ] || return 0
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/webtest"
  if [ ! -d "$dir/node_modules/playwright-core" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "Installing the browser tests' npm packages in webtest/"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

missing=()
for p in "${want[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    # node and npm may come from elsewhere than Debian's packages: what counts is that they run.
    if { [ "$p" = nodejs ] && command -v node >/dev/null; } || { [ "$p" = npm ] && command -v npm >/dev/null; }; then
      continue
    fi
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  webtest_npm "${1:-build}"
  exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "Hearth needs these Debian packages. Install them, then run make again:" >&2
  echo "  sudo apt-get update && sudo $cmd" >&2
  exit 1
fi
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
$cmd
# The tests run their own balancers and database from a temporary folder: the services these
# packages start on a machine with systemd (nginx's default site on port 80) are stopped again.
for svc in haproxy nginx postgresql; do
  case " ${missing[*]} " in *" $svc "* | *" $svc-"*)
    if [ -d /run/systemd/system ] && systemctl is-enabled --quiet "$svc" 2>/dev/null; then
      echo "Stopping and disabling the $svc service the package started (the tests run their own)"
      systemctl disable --now --quiet "$svc" || true
    fi ;;
  esac
done
webtest_npm "${1:-build}"

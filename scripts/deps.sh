#!/usr/bin/env bash
# Installs the Debian packages a target needs, or says exactly how to.
# usage: scripts/deps.sh build|test|bench
set -euo pipefail

build=(gcc libc6-dev pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev
       libxinerama-dev libxi-dev libxxf86vm-dev libwayland-dev libxkbcommon-dev)
window=(xvfb xauth imagemagick xdotool dbus tesseract-ocr tesseract-ocr-eng)
case "${1:-build}" in
  build) want=("${build[@]}") ;;
  test)  want=("${build[@]}" "${window[@]}" libimage-exiftool-perl) ;;
  bench) want=("${build[@]}" "${window[@]}" libvips-tools libheif-examples) ;; # the app benchmarks run a real window; heif-enc makes the 12 MP HEIC
  *) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

if ! command -v go >/dev/null; then
  echo "Go is not installed: install Go 1.26 or newer from https://go.dev/dl/ and run this again." >&2
  exit 1
fi

missing=()
for p in "${want[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

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

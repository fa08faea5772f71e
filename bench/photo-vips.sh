#!/usr/bin/env bash
# Hearth's photo variants against libvips on the same machine, in the same run.
#
# Both make a 2048 px display image and a 400 px thumb, upright, quality 85, no metadata,
# from the 12 MP test photo: Hearth with photo.Processor.MakeVariants (one decode for both,
# measured by BenchmarkVariants12MP), libvips with two vipsthumbnail runs (each pays a
# process start and its own decode, but shrinks on load where it can).
# Usage: bench/photo-vips.sh   (ROUNDS=20 for a longer run)
set -euo pipefail
cd "$(dirname "$0")/.."

in=photo/testdata/phone-12mp-gps-rotated.jpg
rounds=${ROUNDS:-10}

if ! command -v vipsthumbnail >/dev/null 2>&1; then
	echo "photo-vips: vipsthumbnail is not installed, so there is no comparison."
	echo "photo-vips: install it with: sudo apt-get install -y libvips-tools"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

vips_round() {
	vipsthumbnail "$in" --size 2048 -o "$tmp/display.jpg[Q=85,strip]"
	vipsthumbnail "$in" --size 400 -o "$tmp/thumb.jpg[Q=85,strip]"
}

vips_round # warm the page cache and check that it works
echo "photo-vips: vipsthumbnail $(vips --version) gives display $(vipsheader -f width "$tmp/display.jpg")x$(vipsheader -f height "$tmp/display.jpg"), thumb $(vipsheader -f width "$tmp/thumb.jpg")x$(vipsheader -f height "$tmp/thumb.jpg")"

start=$(date +%s%N)
for _ in $(seq "$rounds"); do vips_round; done
end=$(date +%s%N)
vips_ns=$(((end - start) / rounds))

# What a vipsthumbnail run costs without the work (process start, library load), from a
# 320x240 photo, so the ratio can also be given for vips as a library.
start=$(date +%s%N)
for _ in $(seq "$rounds"); do vipsthumbnail photo/testdata/small-444.jpg --size 8 -o "$tmp/tiny.jpg"; done
end=$(date +%s%N)
start_ns=$(((end - start) / rounds))

go_out=$(go test -run '^$' -bench '^BenchmarkVariants12MP$' -benchtime "${rounds}x" -count 1 ./photo)
go_ns=$(awk '/^BenchmarkVariants12MP/ { print $3 }' <<<"$go_out")
if [ -z "$go_ns" ]; then
	echo "$go_out"
	echo "photo-vips: the Go benchmark did not run" >&2
	exit 1
fi

echo "photo-vips: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $rounds rounds"
awk -v v="$vips_ns" -v s="$start_ns" -v g="$go_ns" 'BEGIN {
	printf "photo-vips: vipsthumbnail 2048 + 400 px: %7.1f ms per photo (two runs)\n", v / 1e6
	printf "photo-vips: vipsthumbnail start alone:   %7.1f ms per run\n", s / 1e6
	printf "photo-vips: hearth MakeVariants:         %7.1f ms per photo\n", g / 1e6
	printf "photo-vips: hearth / vips = %.2f (%.2f against vips without its two process starts)\n", g / v, g / (v - 2 * s)
}'

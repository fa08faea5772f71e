#!/usr/bin/env bash
# Builds SeaweedFS's weed (a real S3-compatible service: the photo tests run against it, see
# facility/blobs3/s3test) from its Go module, once per version, and prints the binary's path.
# No Debian 12 package holds an S3 server that runs alone; the Go module proxy serves this one.
# The first build takes several minutes (about 15 CPU-minutes); later runs find it in the cache.
set -euo pipefail
version=v0.0.0-20261109003541-7506e5f91cd6
dest="${XDG_CACHE_HOME:-$HOME/.cache}/hearth/seaweedfs-$version/weed"
if [ -x "$dest" ]; then
  echo "$dest"
  exit 0
fi
echo "Building SeaweedFS $version (the photo tests' S3 service) into $dest; the first time takes several minutes" >&2
# Outside any module: go mod download fetches the module and tells where it is. Its go.mod has
# replace directives, which go install pkg@version refuses, so it is built where it was put.
src=$(cd / && GOFLAGS=-mod=mod go mod download -json "github.com/seaweedfs/seaweedfs@$version" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ -z "$src" ] || [ ! -d "$src/weed" ]; then
  echo "could not download github.com/seaweedfs/seaweedfs@$version from the Go module proxy" >&2
  exit 1
fi
mkdir -p "$(dirname "$dest")"
start=$(date +%s)
(cd "$src" && go build -trimpath -o "$dest.tmp" ./weed)
mv "$dest.tmp" "$dest"
echo "Built SeaweedFS in $(( $(date +%s) - start )) s" >&2
echo "$dest"

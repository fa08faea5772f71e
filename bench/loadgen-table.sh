#!/usr/bin/env bash
# Prints bench/loadgen.sh's results (its OUT file) as a Markdown table, one row a phase:
# writes/s, push latency (post start to the waiting devices' delivery) p50 / p99 in ms,
# deliveries got of expected, failed posts, and CPU seconds: the server the loadgen was given
# (-pid: Hearth's A, or PocketBase) during the phase alone, then Hearth's B, the split proxy
# and PostgreSQL from before the loadgen's setup (pairing 51 devices) to the phase's end.
#
#   bench/loadgen-table.sh OUT
set -euo pipefail
echo '| workload | round | server | load avg before | writes/s | post p99 ms | push p50 / p99 ms | delivered | failed posts | CPU s: phase (A or PB) · with setup: B + proxy + postgres |'
echo '|---|---|---|---|---:|---:|---:|---:|---:|---|'
jq -r '
  def r: if . == null then "–" else (. * 10 | round / 10 | tostring) end;
  (if .phase == "latency" then "paced 20/s, \(.subs) waiting" else "\(.writers) writers, \(.subs) waiting" end) as $w
  | "| \($w) | \(.round) | \(.label) | \(.load_before) | \(.inserts_per_s | round) | \(.post_latency.p99_ms | r) | \(.post_to_push_latency.p50_ms | r) / \(.post_to_push_latency.p99_ms | r) | \(.deliveries_got)/\(.deliveries_expected) | \(.posts_failed) | \(.server_mem.server_cpu_s | r) · \([.cpu_s.hearth_b, .cpu_s.proxy, .cpu_s.postgres] | map(r) | join(" + ")) |"' "$1"

#!/bin/sh
# Wall time per operation against the queue depth (issue 12): one stream of 8-byte RDMA
# Writes for 10 ms simulated at depth 64, 4096 and 65536 (qp.sq_depth and rq_depth 65536),
# captures off. Prints each run's operations completed, wall time and microseconds of wall
# time per operation, and the ratio to depth 64: a per-operation cost that grows with the
# depth shows as a ratio far above 1. Results.json's wall_time_s is the figure; one run
# each, not a timed test.
# Usage: bench/depth.sh [BUILD/cli/rnicsim]
set -eu
rnicsim=${1:-build/cli/rnicsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%8s %10s %8s %10s %7s\n' depth completed wall_s us/op ratio
base=
for depth in 64 4096 65536; do
  cat >"$tmp/d.yaml" <<YAML
name: depth_$depth
stop: {after: 10ms}
hosts:
  - {name: alice, ip: 10.0.0.1/24, mac: "02:00:00:00:00:01"}
  - {name: bob, ip: 10.0.0.2/24, mac: "02:00:00:00:00:02"}
links:
  - {ends: [alice, bob], rate: 25Gbps, delay: 1us}
connections:
  - {id: c1, from: alice, to: bob, port: 5000, qp: {sq_depth: 65536, rq_depth: 65536}}
workloads:
  - {id: w1, conn: c1, op: write, size: 8B, count: 100000000, depth: $depth}
YAML
  "$rnicsim" run --pcap off -o "$tmp/out" "$tmp/d.yaml" >/dev/null
  # One line of the table; the first run's microseconds per operation are the base.
  line=$(python3 - "$tmp/out/results.json" "$depth" "$base" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
done = r["workloads"]["w1"]["completed"]
us = r["wall_time_s"] * 1e6 / max(done, 1)
base = float(sys.argv[3]) if sys.argv[3] else us
print(f'{us} {sys.argv[2]:>8} {done:>10} {r["wall_time_s"]:>8.2f} {us:>10.2f} {us / base:>7.2f}')
PY
)
  [ -n "$base" ] || base=${line%% *}
  echo "${line#* }"
done

#!/bin/sh
# Peak memory of every scenario against `rnicsim check --estimate` (issue 12): runs each
# .yaml under scenarios/ and tests/data (or the paths given) once, one at a time, and
# prints its maximum resident set size (/usr/bin/time -v) less the baseline, the estimate
# and their ratio. The baseline is the process with one host and nothing else to do (the
# program, SystemC and the C++ runtime) less that scenario's own estimate.
# Usage: bench/memory.sh [BUILD/cli/rnicsim] [PATH...]   (not a timed test)
set -eu
rnicsim=${1:-build/cli/rnicsim}
[ $# -gt 0 ] && shift
paths=${*:-scenarios tests/data}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rss_kib() {  # FILE: peak RSS in KiB of `rnicsim run FILE`; empty when the run exits 2 or 4
  st=0
  /usr/bin/time -v "$rnicsim" run -o "$tmp/out" "$1" >/dev/null 2>"$tmp/time" || st=$?
  case $st in 2|4) return 0 ;; esac  # refused before it simulates: nothing was spent
  sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time"
}
estimate() {  # FILE: the estimate in bytes
  "$rnicsim" check --estimate "$1" | sed -n 's/.*memory estimate \([0-9]*\) bytes.*/\1/p'
}

cat >"$tmp/one_host.yaml" <<'YAML'
name: one_host
hosts:
  - {name: a, ip: 10.0.0.1/24, mac: "02:00:00:00:00:01"}
YAML
base=$(( $(rss_kib "$tmp/one_host.yaml") - $(estimate "$tmp/one_host.yaml") / 1024 ))
printf 'baseline %d KiB (one host, nothing to do, less its estimate)\n' "$base"
printf '%-58s %12s %12s %7s\n' scenario "rss-base KiB" "est KiB" ratio
find $paths -name '*.yaml' | sort | while read -r f; do
  est=$(estimate "$f")
  [ -n "$est" ] || { printf '%-58s not checked\n' "$f"; continue; }
  rss=$(rss_kib "$f")
  [ -n "$rss" ] || { printf '%-58s not run (exit 2 or 4)\n' "$f"; continue; }
  net=$((rss - base))
  awk -v f="$f" -v n="$net" -v e="$((est / 1024))" 'BEGIN {
    r = e > 0 ? n / e : 0; printf "%-58s %12d %12d %7.2f%s\n", f, n, e, r, (r > 2 || r < 0.5) ? "  OUTSIDE 2x" : "" }'
done

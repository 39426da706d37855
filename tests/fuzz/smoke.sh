#!/usr/bin/env bash
# smoke.sh BINARY TARGET SECONDS: runs one fuzz target as `make test` does
# (docs/fuzzing.md). First every seed of tests/fuzz/corpus/TARGET and every input of
# tests/fuzz/regressions/TARGET once, as files (a plain regression check), then SECONDS of
# fuzzing from them into a scratch corpus. Fails on a crash, a sanitizer report or a
# missing binary (build-fuzz is built by `make test`; it needs clang-14 and libfuzzer-14-dev).
set -euo pipefail
bin=$1 target=$2 secs=$3
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "$bin" ]; then
  echo "fuzz smoke: $bin is missing: build it with \`make test\` or \`make fuzz\` (clang-14, libfuzzer-14-dev)" >&2
  exit 1
fi
inputs=("$here/corpus/$target")
[ -d "$here/regressions/$target" ] && inputs+=("$here/regressions/$target")
files=()
for d in "${inputs[@]}"; do
  for f in "$d"/*; do [ -f "$f" ] && files+=("$f"); done
done
[ ${#files[@]} -gt 0 ] || { echo "fuzz smoke: no seeds in ${inputs[*]}" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$bin" "${files[@]}" >"$scratch/seeds.log" 2>&1 || { cat "$scratch/seeds.log" >&2; exit 1; }
echo "fuzz smoke: $target: ${#files[@]} seeds and regressions pass"
mkdir "$scratch/corpus"
"$bin" -max_total_time="$secs" -timeout=10 -print_final_stats=1 -artifact_prefix="$scratch/" "$scratch/corpus" "${inputs[@]}" \
  >"$scratch/fuzz.log" 2>&1 || { tail -60 "$scratch/fuzz.log" >&2; exit 1; }
grep -E '^#[0-9]+[[:space:]]+DONE' "$scratch/fuzz.log" || tail -3 "$scratch/fuzz.log"
grep -E 'stat::(number_of_executed_units|average_exec_per_sec)' "$scratch/fuzz.log"

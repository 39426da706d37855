#!/usr/bin/env bash
# The hostile corpus (issue 12, "Done when"): `rnicsim check` and `rnicsim run` on every
# file of tests/data/hostile/ and every file its gen.py writes, each under a 20 s wall
# and a 4 GiB address-space limit. Each outcome must be exit 2 with the locations
# expect.tsv names, or an honest run (exit 0, 1 or 4, as expect.tsv allows, results.json
# present and its assertions held). Never exit 3, a signal, a timeout or 1 from check.
# Usage: test_hostile.sh RNICSIM_BIN SOURCE_DIR WORK_DIR [FILE_NAME...]
#
# A binary built with AddressSanitizer (RNICSIM_SANITIZED=1 in the environment; CMake
# sets it on the ctest entry of a -DRNICSIM_SANITIZE=ON build) reserves terabytes of
# address space for its shadow memory at start, so an address-space limit would stop it
# before main. There the limit is on the resident set instead: ASan's own watchdog
# (hard_rss_limit_mb) aborts the process once its RSS passes 4 GiB, a report the judge
# fails as a signal. Shadow memory and redzones count in that RSS, so for the memory a
# run touches it is stricter than 4 GiB of address space. The wall limit is scaled by
# RNICSIM_SANITIZED_SLOWDOWN (default 5): the sanitized -O1 build is 3.5 to 20 times
# slower than Release here, its slowest file 10 s (docs/testing.md).
set -u
bin=$1 src=$2 work=$3
shift 3
corpus=$src/tests/data/hostile
gen=$work/generated
rm -rf "$work" && mkdir -p "$gen" "$work/out" || exit 1
python3 "$corpus/gen.py" "$gen" || { echo "gen.py failed"; exit 1; }
files=("$corpus"/*.yaml "$gen"/*.yaml)
if [ $# -gt 0 ]; then
  files=()
  for n in "$@"; do [ -f "$corpus/$n" ] && files+=("$corpus/$n") || files+=("$gen/$n"); done
fi
seconds=20
if [ "${RNICSIM_SANITIZED:-0}" = 1 ]; then
  seconds=$((seconds * ${RNICSIM_SANITIZED_SLOWDOWN:-5}))
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}hard_rss_limit_mb=4096"
  limit() { timeout -k 2 "$seconds" "$@"; }
else
  limit() { prlimit --as=4294967296 -- timeout -k 2 "$seconds" "$@"; }
fi
export RNICSIM_HOSTILE_SECONDS=$seconds  # judge.py names it in a timeout
pass=0 fail=0
for f in "${files[@]}"; do
  name=$(basename "$f")
  limit "$bin" check "$f" >/dev/null 2>"$work/err"
  code=$?
  if python3 "$corpus/judge.py" "$corpus/expect.tsv" "$name" check "$code" "$work/err"; then
    pass=$((pass + 1)); else fail=$((fail + 1)); fi
  out=$work/out/${name%.yaml}
  rm -rf "$out"
  limit "$bin" run "$f" -o "$out" >/dev/null 2>"$work/err"
  code=$?
  if python3 "$corpus/judge.py" "$corpus/expect.tsv" "$name" run "$code" "$work/err" "$out/results.json"; then
    pass=$((pass + 1)); else fail=$((fail + 1)); fi
  rm -rf "$out"
done
echo "hostile corpus: ${#files[@]} files, $pass outcomes as predicted, $fail not"
[ "$fail" -eq 0 ]

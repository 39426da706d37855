#!/usr/bin/env bash
# The hostile corpus (issue 12, "Done when"): `rnicsim check` and `rnicsim run` on every
# file of tests/data/hostile/ and every file its gen.py writes, each under a 20 s wall
# and a 4 GiB address-space limit. Each outcome must be exit 2 with the locations
# expect.tsv names, or an honest run (exit 0, 1 or 4, as expect.tsv allows, results.json
# present and its assertions held). Never exit 3, a signal, a timeout or 1 from check.
# Usage: test_hostile.sh RNICSIM_BIN SOURCE_DIR WORK_DIR [FILE_NAME...]
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
limit() { prlimit --as=4294967296 -- timeout -k 2 20 "$@"; }
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

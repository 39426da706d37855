# fuzz_smoke_<target>: each libFuzzer target of tests/fuzz, built by clang in build-fuzz
# (`make test` builds it first), runs its seeds and regressions, then fuzzes for a short
# time (docs/fuzzing.md). A missing binary fails the test, it is never skipped.
set(RNICSIM_FUZZ_BUILD ${PROJECT_SOURCE_DIR}/build-fuzz CACHE PATH "Where the fuzz targets are built")
set(RNICSIM_FUZZ_SMOKE_SECONDS 25 CACHE STRING "Fuzzing time of each smoke test")
foreach(t scenario wire mpa_deframer offload_rx)
  add_test(NAME fuzz_smoke_${t}
           COMMAND ${PROJECT_SOURCE_DIR}/tests/fuzz/smoke.sh ${RNICSIM_FUZZ_BUILD}/fuzz_${t} ${t}
                   ${RNICSIM_FUZZ_SMOKE_SECONDS})
  set_tests_properties(fuzz_smoke_${t} PROPERTIES TIMEOUT 300 LABELS fuzz)
endforeach()
# The results tree the scenario target checks `expect` paths against is `rnicsim stats`.
add_test(NAME fuzz_results_schema_current
         COMMAND sh -c "$<TARGET_FILE:rnicsim> stats | diff -u ${PROJECT_SOURCE_DIR}/tests/fuzz/results_schema.txt -")

# The two commands of the README: `make run` and `make test`. Both install what is
# missing (Debian packages, as root), configure and build first.
BUILD   ?= build
TYPE    ?= Release
JOBS    ?= $(shell nproc)
REPEATS ?= 5
CMAKE_FLAGS ?=

.PHONY: all setup configure build run test test-asan bench clean fuzz fuzz-build fuzz-seeds

all: build

setup:
	@scripts/setup-deps.sh

configure: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(TYPE) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j$(JOBS)

run: build
	@$(BUILD)/cli/rnicsim run scenarios/quickstart.yaml

test: build fuzz-build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer (docs/testing.md):
# a Debug build at -O1 in build-asan. Every report, leaks at exit included, aborts the
# process, so it fails its test (the test discovery after each link runs under them too).
# The fuzz smoke tests are left out: their binaries are build-fuzz's, sanitized already
# and run by `make test`.
SANITIZER_ENV = ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1 \
                UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
test-asan:
	@$(SANITIZER_ENV) $(MAKE) --no-print-directory build BUILD=build-asan TYPE=Debug CMAKE_FLAGS=-DRNICSIM_SANITIZE=ON
	@cd build-asan && $(SANITIZER_ENV) ctest --output-on-failure -j$(JOBS) -LE fuzz

# The speed table beside ns-3 (docs/performance.md); ns-3's program is built here against
# Debian's libns3-dev, which `make test` does not need.
bench: build
	@scripts/setup-deps.sh libns3-dev
	@cmake -S bench/ns3 -B $(BUILD)/ns3 >/dev/null
	@cmake --build $(BUILD)/ns3 -j$(JOBS)
	@$(BUILD)/bench/bench_speed $(BUILD)/cli/rnicsim $(BUILD)/ns3/ns3_tcp_bulk $(REPEATS)
	@$(BUILD)/bench/bench_rtl $(BUILD)/cli/rnicsim bench/data/write_10g.yaml

# The libFuzzer targets (docs/fuzzing.md), built by clang in build-fuzz: `make test` runs
# each for a short time (ctest's fuzz_smoke_*), `make fuzz` for FUZZ_TIME seconds each,
# keeping what it finds in build-fuzz/corpus and printing each target's final cov/ft.
FUZZ_BUILD   ?= build-fuzz
FUZZ_TIME    ?= 600
FUZZ_TARGETS ?= scenario wire mpa_deframer offload_rx
fuzz-build: setup
	@CC=clang-14 CXX=clang++-14 cmake -S tests/fuzz -B $(FUZZ_BUILD) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS)

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts/$$t; \
	  echo "fuzz_$$t: $(FUZZ_TIME) s"; \
	  $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t/ $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t \
	    $$(test -d tests/fuzz/regressions/$$t && echo tests/fuzz/regressions/$$t) \
	    >$(FUZZ_BUILD)/fuzz_$$t.log 2>&1 || { tail -40 $(FUZZ_BUILD)/fuzz_$$t.log; exit 1; }; \
	  grep -E '^#[0-9]+[[:space:]]+DONE' $(FUZZ_BUILD)/fuzz_$$t.log; \
	  grep -E 'stat::(number_of_executed_units|average_exec_per_sec)' $(FUZZ_BUILD)/fuzz_$$t.log; \
	done

# Rewrites the generated seed corpora (tests/fuzz/make_seeds.cpp).
fuzz-seeds: fuzz-build
	@$(FUZZ_BUILD)/make_seeds tests/fuzz/corpus

clean:
	rm -rf $(BUILD) build-asan build-fuzz traces/runs traces/regress

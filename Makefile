# The two commands of the README: `make run` and `make test`. Both install what is
# missing (Debian packages, as root), configure and build first.
BUILD   ?= build
TYPE    ?= Release
JOBS    ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all setup configure build run test test-asan bench clean

all: build

setup:
	@scripts/setup-deps.sh

configure: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(TYPE) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j$(JOBS)

run: build
	@$(BUILD)/cli/rnicsim run scenarios/quickstart.yaml

test: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer.
test-asan:
	@$(MAKE) --no-print-directory test BUILD=build-asan TYPE=Debug CMAKE_FLAGS=-DRNICSIM_SANITIZE=ON

bench: build
	@$(BUILD)/bench/bench_quickstart $(BUILD)/cli/rnicsim scenarios/quickstart.yaml
	@$(BUILD)/bench/bench_rtl $(BUILD)/cli/rnicsim bench/data/write_10g.yaml

clean:
	rm -rf $(BUILD) build-asan traces/runs traces/regress

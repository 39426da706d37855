// The memory estimate and the resource checks (model/scenario/resources.h, issue 12):
// exact figures for known scenarios, refusals at the key that causes them.
#include <catch2/catch.hpp>

#include "model/scenario/resources.h"
#include "tests/unit/scenario/helpers.h"

using namespace rnicsim::scenario;
using namespace rnicsim::scenario::test;

namespace {
const std::string kPair = R"(name: t
hosts:
  - {name: alice, ip: 10.0.0.1/24, mac: "02:00:00:00:00:01"}
  - {name: bob,   ip: 10.0.0.2/24, mac: "02:00:00:00:00:02"}
links:
  - {ends: [alice, bob], rate: 25Gbps}
connections:
  - {id: c1, from: alice, to: bob, port: 5000}
workloads:
)";
}  // namespace

TEST_CASE("resources: the estimate of a scenario is its pages, page lists and fixed costs") {
  // quickstart: 64 x 1 MiB Writes, depth 8: source and sink 8 MiB each (2049 pages written
  // each at 4160 bytes, 2048 and 2050 pages listed at 64), a connection (48 KiB), two hosts
  // (256 KiB each), a link (16 KiB), 64 latency samples (16 bytes each), 8 operations
  // outstanding (384 bytes each).
  const LoadResult q = load_scenario_file(std::string(RNICSIM_SOURCE_DIR) + "/scenarios/quickstart.yaml", results());
  REQUIRE(q.ok());
  const MemoryEstimate e = estimate_memory(*q.scenario);
  CHECK(e.bytes == 17903872);
  CHECK(e.bytes == 2 * 2049 * 4160 + (2048 + 2050) * 64 + 48 * 1024 + 2 * 256 * 1024 + 16 * 1024 + 64 * 16 + 8 * 384);
  CHECK(e.key == "workloads[0].size");
  CHECK(e.key_bytes == 2 * 2049 * 4160 + (2048 + 2050) * 64 + 64 * 16 + 8 * 384);

  // A 1 GiB Read: the responder's source and the initiator's sink, 262145 pages each.
  const LoadResult r = load(kPair + "  - {id: w1, conn: c1, op: read, size: 1GiB}\n");
  REQUIRE(r.ok());
  CHECK(estimate_memory(*r.scenario).bytes == 2215190800 + 384);

  // 4 KiB Sends: the source slot and the receiver's slot (one Send: one slot written).
  const LoadResult s = load(kPair + "  - {id: w1, conn: c1, op: send, size: 4KiB}\n");
  REQUIRE(s.ok());
  CHECK(estimate_memory(*s.scenario).bytes == 2 * (2 * 4160) + 64 + 4 * 64 + 48 * 1024 + 2 * 256 * 1024 + 16 * 1024 + 16 + 384);
  CHECK_FALSE(check_memory(*s.scenario, kDefaultMaxMemory));
}

TEST_CASE("resources: sizes the memory cannot hold are refused at their key with the figure") {
  const LoadResult a = load(kPair + "  - {id: w1, conn: c1, op: write, size: 16GiB}\n");
  REQUIRE(a.ok());
  const auto d = check_memory(*a.scenario, kDefaultMaxMemory);
  REQUIRE(d);
  CHECK(d->format() ==
        "scen.yaml:10:35: error: workloads[0].size: the scenario needs 33.0 GiB of memory, 33.0 GiB of it by this key "
        "(limit 4 GiB, --max-memory)");
  CHECK_FALSE(check_memory(*a.scenario, 64 * rnicsim::GiB));

  const LoadResult b = load(kPair + "  - {id: w1, conn: c1, op: write, size: 256GiB, depth: 64}\n");
  REQUIRE(b.ok());
  const auto db = check_memory(*b.scenario, kDefaultMaxMemory);
  REQUIRE(db);
  CHECK(db->format().rfind("scen.yaml:10:35: error: workloads[0].size: the scenario needs 1032.0 GiB", 0) == 0);

  // 2^64-1 in a list: past the largest size, at its item; nothing overflows.
  const LoadResult c = load(kPair + "  - {id: w1, conn: c1, op: write, size: [4KiB, 18446744073709551615]}\n");
  CHECK(formatted(c) == std::vector<std::string>{"scen.yaml:10:48: error: workloads[0].size[1]: 18446744073709551615 "
                                                 "bytes is more than a workload's largest size (1 TiB)"});
  REQUIRE(c.scenario);
  CHECK(estimate_memory(*c.scenario).bytes == UINT64_MAX);
}

TEST_CASE("resources: a region table too small for the workloads is a check error at the connection") {
  std::string y = kPair;
  y.replace(y.find("port: 5000}"), 11, "port: 5000, repeat: 5000}");
  const LoadResult r = load(y + "  - {id: w1, conn: c1, op: write, size: 4KiB}\n");
  CHECK(formatted(r) ==
        std::vector<std::string>{
            "scen.yaml:8:56: error: connections[0].repeat: host 'alice' would hold 5000 memory regions by this "
            "connection's workloads, more than its RNIC's region table holds (max_regions 4096, profile generic_25g)",
            "scen.yaml:8:56: error: connections[0].repeat: host 'bob' would hold 5000 memory regions by this "
            "connection's workloads, more than its RNIC's region table holds (max_regions 4096, profile generic_25g)"});
  // 4096 of them fit.
  std::string z = kPair;
  z.replace(z.find("port: 5000}"), 11, "port: 5000, repeat: 4096}");
  CHECK(load(z + "  - {id: w1, conn: c1, op: write, size: 4KiB}\n").ok());
}

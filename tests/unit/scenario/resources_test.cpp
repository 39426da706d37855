// The memory estimate and the resource checks (model/scenario/resources.h, issue 12):
// exact figures for known scenarios, refusals at the key that causes them.
#include <catch2/catch.hpp>

#include "model/scenario/resources.h"
#include "model/scenario/topology.h"
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
  // (448 KiB each), a link (16 KiB), 64 latency samples (16 bytes each), 8 operations
  // outstanding (384 bytes each).
  const LoadResult q = load_scenario_file(std::string(RNICSIM_SOURCE_DIR) + "/scenarios/quickstart.yaml", results());
  REQUIRE(q.ok());
  const MemoryEstimate e = estimate_memory(*q.scenario);
  CHECK(e.bytes == 18297088);
  CHECK(e.bytes == 2 * 2049 * 4160 + (2048 + 2050) * 64 + 48 * 1024 + 2 * (192 + 256) * 1024 + 16 * 1024 + 64 * 16 + 8 * 384);
  CHECK(e.key == "workloads[0].size");
  CHECK(e.key_bytes == 2 * 2049 * 4160 + (2048 + 2050) * 64 + 64 * 16 + 8 * 384);

  // A 1 GiB Read: the responder's source and the initiator's sink, 262145 pages each.
  const LoadResult r = load(kPair + "  - {id: w1, conn: c1, op: read, size: 1GiB}\n");
  REQUIRE(r.ok());
  CHECK(estimate_memory(*r.scenario).bytes == 2215584400);  // 2 * 262145 * 4160 + page lists + fixed costs

  // One 4 KiB Send: the source slot (2 pages written, 1 listed) and the receiver's one
  // slot (2 pages written while the Send is unchecked, 3 listed with the guard pages).
  const LoadResult s = load(kPair + "  - {id: w1, conn: c1, op: send, size: 4KiB}\n");
  REQUIRE(s.ok());
  CHECK(estimate_memory(*s.scenario).bytes == 2 * (2 * 4160) + 64 + 3 * 64 + 48 * 1024 + 2 * (192 + 256) * 1024 + 16 * 1024 + 16 + 384);
  // 1000 Sends of 1500 bytes at depth 4: 256 slots (rq_depth), 8 live at once (2 pages
  // each), and the edge pages of slots that do not end on a page boundary (2 per slot, at
  // most the area's 96 pages).
  const LoadResult m = load(kPair + "  - {id: w1, conn: c1, op: send, size: 1500B, count: 1000, depth: 4}\n");
  REQUIRE(m.ok());
  const uint64_t area_pages = (1500 * 256 + 8192 + 4095) / 4096;
  CHECK(area_pages == 96);
  // The source: 4 slots of 1500 bytes, 2 pages listed, 3 written.
  CHECK(estimate_memory(*m.scenario).bytes == 3 * 4160 + 2 * 64 + area_pages * 64 + (8 * 2 + 96) * 4160 + 48 * 1024 +
                                                  2 * (192 + 256) * 1024 + 16 * 1024 + 1000 * 16 + 4 * 384);
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

TEST_CASE("resources: a connection whose next hop no one answers for costs its state, not its workloads") {
  // bob is off alice's prefix; alice's route to it goes by 10.0.0.253, which no port of
  // the segment holds: ARP fails, the connection ends unreachable, its 1 GiB Read never
  // allocates (bob's /8 holds alice: its way back is on its link). A neigh_update for the hop, or a redirect for bob, could make it resolve.
  const std::string off = R"(name: t
hosts:
  - {name: alice, ip: 10.0.0.1/24, mac: "02:00:00:00:00:01", routes: [{dst: 10.1.0.0/16, via: 10.0.0.253}]}
  - {name: bob,   ip: 10.1.0.2/8, mac: "02:00:00:00:00:02"}
links:
  - {ends: [alice, bob], rate: 25Gbps}
connections:
  - {id: c1, from: alice, to: bob, port: 5000}
workloads:
  - {id: w1, conn: c1, op: read, size: 1GiB}
)";
  const LoadResult d = load(off);
  REQUIRE(d.ok());
  const Segments seg(*d.scenario);
  CHECK(dead_next_hop(*d.scenario, seg, d.scenario->connections[0]) == std::optional<Ipv4>{0x0a0000fd});
  CHECK(estimate_memory(*d.scenario).bytes == 48 * 1024 + 2 * (192 + 256) * 1024 + 16 * 1024);

  for (const char* event : {"  - {at: 1ms, host: alice, kind: neigh_update, ip: 10.0.0.253, mac: \"02:00:00:00:00:09\"}\n",
                            "  - {at: 1ms, host: alice, kind: redirect, dst: 10.1.0.2, gateway: 10.0.0.9}\n"}) {
    const LoadResult e = load(off + "events:\n" + event);
    REQUIRE(e.ok());
    CHECK_FALSE(dead_next_hop(*e.scenario, Segments(*e.scenario), e.scenario->connections[0]));
    CHECK(estimate_memory(*e.scenario).bytes > rnicsim::GiB);
  }
  // On one prefix, the peer itself is the hop: alive.
  const LoadResult p = load(kPair + "  - {id: w1, conn: c1, op: read, size: 1GiB}\n");
  REQUIRE(p.ok());
  CHECK_FALSE(dead_next_hop(*p.scenario, Segments(*p.scenario), p.scenario->connections[0]));
}

TEST_CASE("topology: the next hop is the longest prefix's, and a type-3 RNIC uses gateways on its own link only") {
  HostSpec h;
  h.ip = {0x0a000001, 24};  // 10.0.0.1/24
  h.gateway = 0x0a0000fe;   // 10.0.0.254
  h.routes = {{{0x0a010000, 16}, 0x0a0000fd}, {{0x0a010200, 24}, 0x0a0000fc}, {{0x0a000080, 25}, 0x0a0000fb}};
  CHECK(next_hop(h, h.ip, 0x0a000005) == std::optional<Ipv4>{0x0a000005});  // connected
  CHECK(next_hop(h, h.ip, 0x0a000085) == std::optional<Ipv4>{0x0a0000fb});  // a /25 beats the connected /24
  CHECK(next_hop(h, h.ip, 0x0a010105) == std::optional<Ipv4>{0x0a0000fd});  // the /16
  CHECK(next_hop(h, h.ip, 0x0a010205) == std::optional<Ipv4>{0x0a0000fc});  // the /24 beats the /16
  CHECK(next_hop(h, h.ip, 0x0b000001) == std::optional<Ipv4>{0x0a0000fe});  // default
  h.gateway.reset();
  CHECK_FALSE(next_hop(h, h.ip, 0x0b000001));
  const Ipv4Prefix rnic{0x0a020001, 24};  // a type-3 RNIC's own 10.2.0.1/24: none of the host's gateways is on it
  h.gateway = 0x0a0000fe;
  CHECK_FALSE(next_hop(h, rnic, 0x0a010105));
  CHECK(next_hop(h, rnic, 0x0a020009) == std::optional<Ipv4>{0x0a020009});
}

// A link end that is a Linux TAP device (`tap:NAME`), a connection's side that is a peer
// outside the simulation (an IPv4 address in `from` or `to`), and the `sink` workload
// that reads what such a peer sends: what the loader reads and what it refuses.
#include <catch2/catch.hpp>

#include "helpers.h"

using namespace rnicsim::scenario;
using namespace rnicsim::scenario::test;

namespace {

/// Two hosts; alice's one port on a TAP device. Lines 1-6, so a connection appended to it
/// starts at line 7.
const char* kTapHosts =
    "name: t\n"
    "hosts:\n"
    "  - {name: alice, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01}\n"
    "  - {name: bob, ip: 10.0.0.2/24, mac: 02:00:00:00:00:02}\n"
    "links:\n"
    "  - {ends: [alice, \"tap:rtap0\"]}\n";

/// The hosts of kTapHosts (lines 1-4), for files that write their own links.
const char* kHostsOnly =
    "name: t\n"
    "hosts:\n"
    "  - {name: alice, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01}\n"
    "  - {name: bob, ip: 10.0.0.2/24, mac: 02:00:00:00:00:02}\n";

std::vector<std::string> errors_with(const std::string& base, const std::string& more) {
  return formatted(load(base + more));
}

}  // namespace

TEST_CASE("tap end: parsed as LinkEnd.tap with no node, and the default link name", "[keys][tap]") {
  SECTION("the TAP as the second end: <host>_tap_<NAME>") {
    const auto r = load(kTapHosts);
    INFO(all_errors(r));
    REQUIRE(r.ok());
    REQUIRE(r.scenario->links.size() == 1);
    const LinkSpec& l = r.scenario->links[0];
    CHECK(l.ends[0].node == "alice");
    CHECK(l.ends[0].iface.empty());
    CHECK(l.ends[0].tap.empty());
    CHECK(l.ends[1].node.empty());
    CHECK(l.ends[1].iface.empty());
    CHECK(l.ends[1].tap == "rtap0");
    CHECK(l.name == "alice_tap_rtap0");
  }
  SECTION("the TAP as the first end: the TAP still reads last (<end>_tap_<NAME>)") {
    const auto r = load(std::string(kHostsOnly) + "links:\n  - {ends: [\"tap:rtap0\", alice]}\n");
    INFO(all_errors(r));
    REQUIRE(r.ok());
    const LinkSpec& l = r.scenario->links[0];
    CHECK(l.ends[0].tap == "rtap0");
    CHECK(l.ends[0].node.empty());
    CHECK(l.ends[1].node == "alice");
    CHECK(l.ends[1].tap.empty());
    CHECK(l.name == "alice_tap_rtap0");
  }
  SECTION("unquoted in a flow list, on a switch and on a router interface, and a name of exactly 15") {
    const auto r = load(std::string(kHostsOnly) +
                        "switches:\n"
                        "  - {name: sw0}\n"
                        "routers:\n"
                        "  - name: r1\n"
                        "    interfaces: [{name: eth0, ip: 10.1.0.254/24, mac: 02:00:00:00:fe:01}]\n"
                        "links:\n"
                        "  - {ends: [alice, tap:rtap0]}\n"
                        "  - {ends: [sw0, \"tap:abcdefghijklmno\"]}\n"
                        "  - {ends: [r1.eth0, \"tap:t_9\"]}\n");
    INFO(all_errors(r));
    REQUIRE(r.ok());
    REQUIRE(r.scenario->links.size() == 3);
    CHECK(r.scenario->links[0].ends[1].tap == "rtap0");
    CHECK(r.scenario->links[0].name == "alice_tap_rtap0");
    CHECK(r.scenario->links[1].ends[1].tap == "abcdefghijklmno");
    CHECK(r.scenario->links[1].name == "sw0_tap_abcdefghijklmno");
    CHECK(r.scenario->links[2].ends[0].node == "r1");
    CHECK(r.scenario->links[2].ends[0].iface == "eth0");
    CHECK(r.scenario->links[2].ends[1].tap == "t_9");
    CHECK(r.scenario->links[2].name == "r1_eth0_tap_t_9");
  }
  SECTION("a written name is kept") {
    const auto r = load(std::string(kHostsOnly) + "links:\n  - {name: uplink, ends: [alice, \"tap:rtap0\"]}\n");
    INFO(all_errors(r));
    REQUIRE(r.ok());
    CHECK(r.scenario->links[0].name == "uplink");
    CHECK(r.scenario->links[0].ends[1].tap == "rtap0");
  }
}

TEST_CASE("tap end: run needs --realtime, named at the link (sim::tap_ends)", "[keys][tap]") {
  const auto r = load(std::string(kHostsOnly) +
                      "switches: [{name: sw0}]\n"              // 5
                      "links:\n"                               // 6
                      "  - {ends: [alice, sw0]}\n"             // 7
                      "  - {ends: [\"tap:rtap1\", sw0]}\n"     // 8
                      "  - {ends: [bob, sw0]}\n");             // 9
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const auto ends = rnicsim::sim::tap_ends(*r.scenario);
  REQUIRE(ends.size() == 1);
  CHECK(ends[0].first.file == "scen.yaml");
  CHECK(ends[0].first.line == 8);
  CHECK(ends[0].first.col == 5);
  CHECK(ends[0].second == "links 'sw0_tap_rtap1': tap:rtap1");
  const auto none = load(kTwoHosts);
  REQUIRE(none.ok());
  CHECK(rnicsim::sim::tap_ends(*none.scenario).empty());
}

TEST_CASE("tap end error: both ends are TAP devices", "[keys][tap]") {
  CHECK(errors_with(kHostsOnly, "links:\n  - {ends: [\"tap:rtap0\", \"tap:rtap1\"]}\n") ==
        std::vector<std::string>{
            "scen.yaml:6:12: error: links[0].ends: both ends are TAP devices: one end is a simulated port"});
}

TEST_CASE("tap end error: the same TAP device on two links", "[keys][tap]") {
  CHECK(errors_with(kTapHosts, "  - {ends: [bob, \"tap:rtap0\"]}\n") ==
        std::vector<std::string>{"scen.yaml:7:18: error: links[1].ends[1]: TAP device 'rtap0' is already the end of links[0]"});
  // As the first end of the later link, too; and a third use names the first link again.
  CHECK(errors_with(std::string(kHostsOnly) + "switches: [{name: sw0}]\n",
                    "links:\n"                                 // 6
                    "  - {ends: [alice, \"tap:rtap0\"]}\n"     // 7
                    "  - {ends: [\"tap:rtap0\", bob]}\n"       // 8
                    "  - {ends: [sw0, \"tap:rtap0\"]}\n") ==   // 9
        std::vector<std::string>{
            "scen.yaml:8:13: error: links[1].ends[0]: TAP device 'rtap0' is already the end of links[0]",
            "scen.yaml:9:18: error: links[2].ends[1]: TAP device 'rtap0' is already the end of links[0]",
        });
  // Distinct devices are fine.
  const auto r = load(std::string(kTapHosts) + "  - {ends: [bob, \"tap:rtap1\"]}\n");
  INFO(all_errors(r));
  CHECK(r.ok());
}

TEST_CASE("tap end error: a device name longer than 15 characters, or outside the name rule", "[keys][tap]") {
  CHECK(errors_with(kHostsOnly, "links:\n  - {ends: [alice, \"tap:abcdefghijklmnop\"]}\n") ==
        std::vector<std::string>{"scen.yaml:6:20: error: links[0].ends[1]: TAP device name 'abcdefghijklmnop' is "
                                 "longer than Linux's 15 characters"});
  CHECK(errors_with(kHostsOnly,
                    "links:\n"                              // 5
                    "  - {ends: [alice, \"tap:Rtap\"]}\n"   // 6
                    "  - {ends: [bob, \"tap:\"]}\n") ==     // 7
        std::vector<std::string>{
            "scen.yaml:6:20: error: links[0].ends[1] (TAP device): expected a name ([a-z][a-z0-9_]*), got 'Rtap'",
            "scen.yaml:7:18: error: links[1].ends[1] (TAP device): expected a name ([a-z][a-z0-9_]*), got ''",
        });
}

TEST_CASE("tap outside peer: an address in from connects to the simulated to, which listens", "[keys][tap][outside]") {
  const auto r = load(std::string(kTapHosts) +
                      "connections:\n"
                      "  - {id: c1, from: 10.0.0.9, to: alice, port: 5000, kind: tcp}\n");
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const ConnectionSpec& cn = r.scenario->connections[0];
  REQUIRE(cn.outside);
  CHECK(*cn.outside == ((10u << 24) | 9u));
  CHECK(cn.outside_is_client);
  CHECK(cn.from.empty());
  CHECK(cn.to == "alice");
  CHECK(cn.kind == "tcp");
  CHECK(cn.port == 5000);
}

TEST_CASE("tap outside peer: an address in to is what the simulated from connects to", "[keys][tap][outside]") {
  const auto r = load(std::string(kTapHosts) +
                      "connections:\n"
                      "  - {id: c1, from: alice, to: \"10.0.0.10\", port: 5001, kind: tcp}\n");
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const ConnectionSpec& cn = r.scenario->connections[0];
  REQUIRE(cn.outside);
  CHECK(*cn.outside == ((10u << 24) | 10u));
  CHECK_FALSE(cn.outside_is_client);
  CHECK(cn.from == "alice");
  CHECK(cn.to.empty());
  // An ordinary connection has none.
  const auto o = load(kTwoHosts);
  REQUIRE(o.ok());
  CHECK_FALSE(o.scenario->connections[0].outside);
  CHECK_FALSE(o.scenario->connections[0].outside_is_client);
}

TEST_CASE("tap outside peer error: both sides are addresses", "[keys][tap][outside]") {
  CHECK(errors_with(kTapHosts, "connections:\n  - {id: c1, from: 10.0.0.8, to: 10.0.0.9, port: 5000, kind: tcp}\n") ==
        std::vector<std::string>{
            "scen.yaml:8:34: error: connections[0].to: both sides are outside addresses: one side is a simulated host"});
}

TEST_CASE("tap outside peer error: a side that is not a valid address", "[keys][tap][outside]") {
  CHECK(errors_with(kTapHosts, "connections:\n  - {id: c1, from: alice, to: 10.0.0.300, port: 5000, kind: tcp}\n") ==
        std::vector<std::string>{"scen.yaml:8:31: error: connections[0].to: expected an IPv4 address, like 10.0.0.1, got "
                                 "'10.0.0.300' (an IPv4 address is four numbers 0..255 joined by dots, like 10.0.0.1)"});
}

TEST_CASE("tap outside peer error: no link has a tap: end", "[keys][tap][outside]") {
  CHECK(errors_with(std::string(kHostsOnly) + "links:\n  - {ends: [alice, bob]}\n",
                    "connections:\n"                                                          // 7
                    "  - {id: c1, from: alice, to: 10.0.0.9, port: 5000, kind: tcp}\n"        // 8
                    "  - {id: c2, from: 10.0.0.9, to: bob, port: 5001, kind: tcp}\n") ==      // 9
        std::vector<std::string>{
            "scen.yaml:8:31: error: connections[0].to: 10.0.0.9 is outside the simulation, which no link reaches: give "
            "a link a `tap:DEVICE` end",
            "scen.yaml:9:20: error: connections[1].from: 10.0.0.9 is outside the simulation, which no link reaches: "
            "give a link a `tap:DEVICE` end",
        });
}

TEST_CASE("tap outside peer error: the simulated host has no route to the address", "[keys][tap][outside]") {
  CHECK(errors_with(kTapHosts,
                    "connections:\n"                                                          // 7
                    "  - {id: c1, from: alice, to: 10.9.0.6, port: 5000, kind: tcp}\n"        // 8
                    "  - {id: c2, from: 10.9.0.7, to: alice, port: 5001, kind: tcp}\n") ==    // 9
        std::vector<std::string>{
            "scen.yaml:8:31: error: connections[0].to: 10.9.0.6 is not on 'alice''s prefix 10.0.0.0/24 and 'alice' has "
            "no route or gateway to it",
            "scen.yaml:9:20: error: connections[1].from: 10.9.0.7 is not on 'alice''s prefix 10.0.0.0/24 and 'alice' "
            "has no route or gateway to it",
        });
  SECTION("a route or a gateway reaches it") {
    const auto r = load(
        "name: t\n"
        "hosts:\n"
        "  - {name: alice, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01, routes: [{dst: 10.9.0.0/16, via: 10.0.0.254}]}\n"
        "  - {name: bob, ip: 10.0.0.2/24, mac: 02:00:00:00:00:02, gateway: 10.0.0.254}\n"
        "links:\n"
        "  - {ends: [alice, \"tap:rtap0\"]}\n"
        "  - {ends: [bob, \"tap:rtap1\"]}\n"
        "connections:\n"
        "  - {id: c1, from: alice, to: 10.9.0.6, port: 5000, kind: tcp}\n"
        "  - {id: c2, from: 192.168.1.7, to: bob, port: 5001, kind: tcp}\n");
    INFO(all_errors(r));
    CHECK(r.ok());
  }
  SECTION("both errors at once: no route and no TAP") {
    CHECK(errors_with(std::string(kHostsOnly) + "links:\n  - {ends: [alice, bob]}\n",
                      "connections:\n  - {id: c1, from: alice, to: 10.9.0.6, port: 5000, kind: tcp}\n") ==
          std::vector<std::string>{
              "scen.yaml:8:31: error: connections[0].to: 10.9.0.6 is not on 'alice''s prefix 10.0.0.0/24 and 'alice' "
              "has no route or gateway to it",
              "scen.yaml:8:31: error: connections[0].to: 10.9.0.6 is outside the simulation, which no link reaches: "
              "give a link a `tap:DEVICE` end",
          });
  }
}

TEST_CASE("tap outside peer: kind rdma to an outside listener loads, and is not simulated yet", "[keys][tap][outside]") {
  const auto r = load(std::string(kTapHosts) +
                      "connections:\n"                                              // 7
                      "  - {id: c1, from: alice, to: 10.0.0.9, port: 5000}\n"       // 8
                      "  - {id: c2, from: 10.0.0.9, to: alice, port: 5001, kind: tcp}\n");
  INFO(all_errors(r));
  REQUIRE(r.ok());
  CHECK(r.scenario->connections[0].kind == "rdma");
  const auto u = rnicsim::sim::unsupported_features(*r.scenario, {});
  REQUIRE(u.size() == 1);
  CHECK(u[0].loc.line == 8);
  CHECK(u[0].loc.col == 5);
  CHECK(u[0].what ==
        "connections 'c1': an RDMA connection from a simulated host to a peer outside the simulation is not simulated "
        "yet (the peer connecting is: its address in from)");
}

TEST_CASE("tap sink: accepted on a tcp connection with an outside peer", "[keys][tap][sink]") {
  const auto r = load(std::string(kTapHosts) +
                      "connections:\n"
                      "  - {id: c1, from: 10.0.0.9, to: alice, port: 5000, kind: tcp}\n"
                      "  - {id: c2, from: alice, to: 10.0.0.9, port: 5001, kind: tcp}\n"
                      "workloads:\n"
                      "  - {id: w1, conn: c1, op: sink, size: [4KiB, 64KiB], count: 3}\n"
                      "  - {id: w2, conn: c2, op: sink, size: 1MiB}\n"
                      "  - {id: w3, conn: c2, op: bulk, size: 1MiB}\n");
  INFO(all_errors(r));
  REQUIRE(r.ok());
  REQUIRE(r.scenario->workloads.size() == 3);
  CHECK(r.scenario->workloads[0].op == "sink");
  CHECK(r.scenario->workloads[0].sizes == std::vector<uint64_t>{4096, 65536});
  CHECK(r.scenario->workloads[0].count == 3);
  CHECK(rnicsim::sim::unsupported_features(*r.scenario, {}).empty());
}

TEST_CASE("tap sink error: on an ordinary tcp connection, and on an rdma one", "[keys][tap][sink]") {
  SECTION("both sides simulated, kind: tcp") {
    CHECK(errors_with(kTapHosts,
                      "connections:\n"                                                     // 7
                      "  - {id: c1, from: alice, to: bob, port: 5000, kind: tcp}\n"        // 8
                      "workloads:\n"                                                       // 9
                      "  - {id: w1, conn: c1, op: sink, size: 4KiB}\n") ==                 // 10
          std::vector<std::string>{
              "scen.yaml:10:28: error: workloads[0].op: sink reads what a peer outside the simulation sends, but both "
              "sides of c1 are simulated hosts (their bulk already checks every byte)"});
  }
  SECTION("both sides simulated, kind: rdma") {
    CHECK(errors_with(kTwoHosts, "workloads:\n  - {id: w1, conn: c1, op: sink, size: 4KiB}\n") ==
          std::vector<std::string>{"scen.yaml:10:28: error: workloads[0].op: sink on an RDMA connection serves a peer "
                                   "outside the simulation that connects: c1 needs kind: rdma and the peer's IPv4 "
                                   "address in from"});
  }
  SECTION("an outside peer the simulated host connects to, kind: rdma") {
    CHECK(errors_with(kTapHosts,
                      "connections:\n"                                              // 7
                      "  - {id: c1, from: alice, to: 10.0.0.9, port: 5000}\n"       // 8
                      "workloads:\n"                                                // 9
                      "  - {id: w1, conn: c1, op: sink, size: 4KiB}\n") ==          // 10
          std::vector<std::string>{"scen.yaml:10:28: error: workloads[0].op: sink on an RDMA connection serves a peer "
                                   "outside the simulation that connects: c1 needs kind: rdma and the peer's IPv4 "
                                   "address in from"});
  }
  SECTION("an RDMA op on an outside tcp connection") {
    CHECK(errors_with(kTapHosts,
                      "connections:\n"
                      "  - {id: c1, from: 10.0.0.9, to: alice, port: 5000, kind: tcp}\n"
                      "workloads:\n"
                      "  - {id: w1, conn: c1, op: write, size: 4KiB}\n") ==
          std::vector<std::string>{"scen.yaml:10:28: error: workloads[0].op: write runs on an RDMA connection (kind: "
                                   "rdma), but c1 is kind: tcp"});
  }
}

TEST_CASE("tap expose and sink: accepted on an rdma connection the outside peer opens", "[keys][tap][expose]") {
  const auto r = load(std::string(kTapHosts) +
                      "connections:\n"
                      "  - {id: c1, from: 10.0.0.9, to: alice, port: 5000, kind: rdma}\n"
                      "workloads:\n"
                      "  - {id: w1, conn: c1, op: expose, size: [4KiB, 1MiB], count: 3, access: write}\n"
                      "  - {id: w2, conn: c1, op: expose, size: 64KiB, access: read}\n"
                      "  - {id: w3, conn: c1, op: sink, size: 4KiB, count: 100}\n");
  INFO(all_errors(r));
  REQUIRE(r.ok());
  REQUIRE(r.scenario->workloads.size() == 3);
  CHECK(r.scenario->workloads[0].op == "expose");
  CHECK(r.scenario->workloads[0].access == "write");
  CHECK(r.scenario->workloads[0].sizes == std::vector<uint64_t>{4096, 1048576});
  CHECK(r.scenario->workloads[0].count == 3);
  CHECK(r.scenario->workloads[1].access == "read");
  CHECK(r.scenario->workloads[2].access.empty());
  CHECK(rnicsim::sim::unsupported_features(*r.scenario, {}).empty());
}

TEST_CASE("tap expose errors: access, the keys it forbids, its connection, its regions", "[keys][tap][expose]") {
  const std::string conn = std::string(kTapHosts) +
                           "connections:\n"                                                   // 7
                           "  - {id: c1, from: 10.0.0.9, to: alice, port: 5000, kind: rdma}\n"  // 8
                           "  - {id: c2, from: alice, to: bob, port: 5001}\n"                // 9
                           "workloads:\n";                                                    // 10
  SECTION("access missing, or not read or write") {
    CHECK(errors_with(conn, "  - {id: w1, conn: c1, op: expose, size: 4KiB}\n") ==
          std::vector<std::string>{"scen.yaml:11:5: error: workloads[0].access: required key missing (expected read "
                                   "or write: what the peer may do to the regions)"});
    CHECK(errors_with(conn, "  - {id: w1, conn: c1, op: expose, size: 4KiB, access: all}\n") ==
          std::vector<std::string>{
              "scen.yaml:11:56: error: workloads[0].access: expected one of read | write, got 'all'"});
  }
  SECTION("access on another op") {
    CHECK(errors_with(conn, "  - {id: w1, conn: c2, op: write, size: 4KiB, access: read}\n") ==
          std::vector<std::string>{"scen.yaml:11:47: error: workloads[0].access: not used by op: write (only by op: "
                                   "expose)"});
  }
  SECTION("depth") {
    CHECK(errors_with(conn, "  - {id: w1, conn: c1, op: expose, size: 4KiB, access: read, depth: 4}\n") ==
          std::vector<std::string>{"scen.yaml:11:62: error: workloads[0].depth: not used by op: expose (its regions "
                                   "are registered before the peer connects, every byte checked)"});
  }
  SECTION("on a connection between simulated hosts") {
    CHECK(errors_with(conn, "  - {id: w1, conn: c2, op: expose, size: 4KiB, access: read}\n") ==
          std::vector<std::string>{"scen.yaml:11:28: error: workloads[0].op: expose on an RDMA connection serves a "
                                   "peer outside the simulation that connects: c2 needs kind: rdma and the peer's "
                                   "IPv4 address in from"});
  }
  SECTION("more regions than the MPA Reply's private data describes") {
    CHECK(errors_with(conn, "  - {id: w1, conn: c1, op: expose, size: 4KiB, count: 30, access: read}\n"
                            "  - {id: w2, conn: c1, op: expose, size: [4KiB, 8KiB], access: write}\n") ==
          std::vector<std::string>{
              "scen.yaml:12:5: error: workloads[1].count: connection c1 exposes 32 regions, more than the 31 whose "
              "descriptors (16 bytes each) fit in the MPA Reply's private data"});
  }
  SECTION("a region past a 32-bit length") {
    CHECK(errors_with(conn, "  - {id: w1, conn: c1, op: expose, size: 4GiB, access: write}\n") ==
          std::vector<std::string>{"scen.yaml:11:42: error: workloads[0].size: a region the peer is told of has a "
                                   "32-bit length from 1 byte to 4 GiB - 1, got 4294967296 bytes"});
  }
  SECTION("private data of the scenario's beside the regions' descriptors") {
    CHECK(errors_with(std::string(kTapHosts) +
                          "connections:\n"
                          "  - {id: c1, from: 10.0.0.9, to: alice, port: 5000, kind: rdma, mpa: {private_data: hi}}\n"
                          "workloads:\n"
                          "  - {id: w1, conn: c1, op: expose, size: 4KiB, access: read}\n",
                      "") ==
          std::vector<std::string>{"scen.yaml:8:5: error: connections 'c1': the MPA Reply's private data carries the "
                                   "exposed regions' descriptors, so mpa.private_data (or mpa.server.private_data) "
                                   "cannot be written too"});
  }
}

TEST_CASE("tap expose: other ops toward an outside RDMA peer are not simulated yet", "[keys][tap][expose]") {
  const auto r = load(std::string(kTapHosts) +
                      "connections:\n"
                      "  - {id: c1, from: 10.0.0.9, to: alice, port: 5000, kind: rdma}\n"
                      "workloads:\n"
                      "  - {id: w1, conn: c1, op: send, size: 4KiB}\n");
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const auto u = rnicsim::sim::unsupported_features(*r.scenario, {});
  REQUIRE(u.size() == 1);
  CHECK(u[0].loc.line == 10);
  CHECK(u[0].what == "workloads 'w1': op: send toward a peer outside the simulation is not simulated yet (expose and "
                     "sink are: the peer Writes, Reads and Sends)");
}

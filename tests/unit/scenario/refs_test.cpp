// Cross-references: link ends, connection hosts, workload connections, event targets,
// unique names, op/kind pairs, violate connections, and rate conflicts.
#include <catch2/catch.hpp>

#include "helpers.h"

using namespace rnicsim::scenario;
using namespace rnicsim::scenario::test;

namespace {

using Errors = std::vector<std::string>;

/// Three hosts, a switch and a router with two interfaces: lines 1-10.
const char* kNet =
    "name: t\n"                                                                 // 1
    "hosts:\n"                                                                  // 2
    "  - {name: alice, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01}\n"              // 3
    "  - {name: bob, ip: 10.0.0.2/24, mac: 02:00:00:00:00:02}\n"                // 4
    "  - {name: carol, ip: 10.1.0.3/24, mac: 02:00:00:00:00:03}\n"              // 5
    "switches: [{name: sw0}]\n"                                                 // 6
    "routers:\n"                                                                // 7
    "  - name: r1\n"                                                            // 8
    "    interfaces: [{name: eth0, ip: 10.0.0.254/24, mac: 02:00:00:00:fe:01},\n"  // 9
    "                 {name: eth1, ip: 10.1.0.254/24, mac: 02:00:00:00:fe:02}]\n";  // 10

Errors errors_with(const std::string& more) { return formatted(load(std::string(kNet) + more)); }

}  // namespace

TEST_CASE("link ends name hosts, switches or router interfaces", "[refs]") {
  CHECK(errors_with("links:\n  - {ends: [alice, sw0]}\n  - {ends: [sw0, r1.eth0]}\n  - {ends: [r1.eth1, carol]}\n").empty());
  const auto r = load(std::string(kNet) +
                      "links:\n"                          // 11
                      "  - {ends: [alise, sw0]}\n"         // 12
                      "  - {ends: [r1, bob]}\n"            // 13
                      "  - {ends: [r1.eth2, sw0]}\n"       // 14
                      "  - {ends: [bob.eth0, sw0]}\n"      // 15
                      "  - {ends: [sw0, sw0]}\n"           // 16
                      "  - {ends: [alice, r1.eth0]}\n"     // 17
                      "  - {ends: [alice, carol]}\n"       // 18
                      "  - {ends: [sw0, r1.Eth1]}\n");     // 19
  INFO(all_errors(r));
  CHECK(formatted(r) ==
        Errors{
            "scen.yaml:12:13: error: links[0].ends[0]: 'alise' names no host, switch or router interface; did you mean "
            "'alice'?",
            "scen.yaml:13:13: error: links[1].ends[0]: 'r1' is a router: name one of its interfaces, as in r1.eth0",
            "scen.yaml:14:13: error: links[2].ends[0]: router 'r1' has no interface 'eth2'; did you mean 'eth0'? "
            "(interfaces: eth0, eth1)",
            "scen.yaml:15:13: error: links[3].ends[0]: 'bob' is a host: only a router's interfaces are named with a dot",
            "scen.yaml:16:12: error: links[4].ends: both ends are 'sw0'",
            "scen.yaml:18:13: error: links[6].ends[0]: 'alice' has one port, already linked by links[5]",
            "scen.yaml:19:18: error: links[7].ends[1] (interface): expected a name ([a-z][a-z0-9_]*), got 'Eth1'",
        });
}

TEST_CASE("a link end that names both a host and a switch is ambiguous", "[refs]") {
  const auto r = load(std::string(kNet) + "  - {name: r2, interfaces: [{name: e0, ip: 10.9.0.1/24, mac: 02:00:00:00:fe:09}]}\n"
                                          "switches: [{name: alice}]\n");
  CHECK(formatted(r) == Errors{"scen.yaml:12:1: error: switches: duplicate key (first written at 6:1)"});
  const auto amb = load(
      "name: t\n"
      "hosts: [{name: x, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01}, {name: y, ip: 10.0.0.2/24, mac: 02:00:00:00:00:02}]\n"
      "switches: [{name: x}]\n"
      "links: [{ends: [x, y]}]\n");
  CHECK(formatted(amb) == Errors{"scen.yaml:4:17: error: links[0].ends[0]: 'x' is ambiguous: it names a host and a switch"});
}

TEST_CASE("names are unique within their kind, then link names default from their ends", "[refs]") {
  const auto r = load(std::string(kNet) +
                      "  - {name: r1, interfaces: [{name: eth0, ip: 10.2.0.1/24, mac: 02:00:00:00:fe:09}]}\n"  // 11
                      "links:\n"                                                              // 12
                      "  - {ends: [alice, sw0]}\n"                                            // 13
                      "  - {name: alice_sw0, ends: [bob, sw0]}\n"                             // 14
                      "connections:\n"                                                        // 15
                      "  - {id: c1, from: alice, to: bob, port: 5000, repeat: 2}\n"           // 16
                      "  - {id: c1_1, from: alice, to: bob, port: 6000}\n"                    // 17
                      "  - {id: c1, from: bob, to: alice, port: 5000}\n"                      // 18
                      "workloads:\n"                                                          // 19
                      "  - {id: w1, conn: c1, op: send, size: 1}\n"                           // 20
                      "  - {id: w1, conn: c1_1, op: send, size: 1}\n");                       // 21
  INFO(all_errors(r));
  CHECK(formatted(r) == Errors{
                            "scen.yaml:11:12: error: routers[1].name: 'r1' is already the name of routers[0]",
                            "scen.yaml:14:12: error: links[1].name: 'alice_sw0' is already the name of links[0]",
                            "scen.yaml:16:56: error: connections[0].repeat: copy 'c1_1' has the id of connections[1]",
                            "scen.yaml:18:10: error: connections[2].id: 'c1' is already the id of connections[0]",
                            "scen.yaml:21:10: error: workloads[1].id: 'w1' is already the id of workloads[0]",
                        });
  const auto links = load(std::string(kNet) + "links:\n  - {name: alice_sw0, ends: [bob, sw0]}\n  - {ends: [alice, sw0]}\n");
  CHECK(formatted(links) == Errors{"scen.yaml:13:5: error: links[1]: 'alice_sw0' is already the default name of links[0]"});
}

TEST_CASE("connections join hosts, then workloads name connections", "[refs]") {
  const auto r = load(std::string(kNet) +
                      "connections:\n"                                                   // 11
                      "  - {id: c1, from: alice, to: sw0, port: 5000}\n"                 // 12
                      "  - {id: c2, from: carl, to: bob, port: 5000}\n"                  // 13
                      "  - {id: c3, from: alice, to: bob, port: 5000, kind: tcp}\n"      // 14
                      "  - {id: c4, from: alice, to: bob, port: 5001}\n"                 // 15
                      "workloads:\n"                                                     // 16
                      "  - {id: w1, conn: c5, op: write, size: 1}\n"                     // 17
                      "  - {id: w2, conn: c3, op: write, size: 1}\n"                     // 18
                      "  - {id: w3, conn: c4, op: bulk, size: 1MiB}\n"                   // 19
                      "  - {id: w4, conn: c3, op: bulk, size: 1MiB}\n"                   // 20
                      "  - {id: w5, op: ping, from: r1, to: 10.0.0.2}\n");               // 21
  INFO(all_errors(r));
  CHECK(formatted(r) ==
        Errors{
            "scen.yaml:12:31: error: connections[0].to: 'sw0' names no host (it is a switch)",
            "scen.yaml:13:20: error: connections[1].from: 'carl' names no host; did you mean 'carol'?",
            "scen.yaml:17:20: error: workloads[0].conn: 'c5' names no connection; did you mean 'c1'?",
            "scen.yaml:18:28: error: workloads[1].op: write runs on an RDMA connection (kind: rdma), but c3 is kind: tcp",
            "scen.yaml:19:28: error: workloads[2].op: bulk runs on a host-stack connection (kind: tcp), but c4 is kind: "
            "rdma",
            "scen.yaml:21:30: error: workloads[4].from: 'r1' names no host (it is a router)",
        });
}

TEST_CASE("a violate workload needs a connection of its own", "[refs]") {
  const std::string base = std::string(kNet) + "connections:\n  - {id: c9, from: alice, to: bob, port: 5000}\nworkloads:\n";
  CHECK(formatted(load(base + "  - {id: w6, conn: c9, op: write, size: 4KiB, violate: bounds}\n")).empty());
  const auto r = load(base +
                      "  - {id: w6, conn: c9, op: write, size: 4KiB, violate: bounds}\n"  // 14
                      "  - {id: w7, conn: c9, op: read, size: 4KiB}\n");                 // 15
  CHECK(formatted(r) == Errors{"scen.yaml:14:56: error: workloads[0].violate: a violate workload needs a connection of "
                               "its own (its Terminate ends the QP), but w7 also runs on c9"});
}

TEST_CASE("events name existing hosts and links", "[refs]") {
  const auto r = load(std::string(kNet) +
                      "links: [{ends: [bob, sw0]}, {name: wan, ends: [sw0, r1.eth0]}]\n"  // 11
                      "events:\n"                                                         // 12
                      "  - {at: 1ms, host: bobb, kind: change_mtu, mtu: 1500}\n"          // 13
                      "  - {at: 1ms, link: bob_sw1, kind: down}\n"                        // 14
                      "  - {at: 1ms, link: sw0_r1_eth0, kind: up}\n"                      // 15
                      "  - {at: 1ms, link: bob_sw0, kind: set, corrupt: {reverse: 0.5}}\n");  // 16
  INFO(all_errors(r));
  CHECK(formatted(r) == Errors{
                            "scen.yaml:13:21: error: events[0].host: 'bobb' names no host; did you mean 'bob'?",
                            "scen.yaml:14:21: error: events[1].link: 'bob_sw1' names no link; did you mean 'bob_sw0'? "
                            "(links: bob_sw0, wan)",
                            "scen.yaml:15:21: error: events[2].link: 'sw0_r1_eth0' names no link (links: bob_sw0, wan)",
                        });
  REQUIRE(r.scenario);
  CHECK(r.scenario->events[3].corrupt->reverse == 0.5);
  CHECK(r.scenario->events[3].corrupt->forward == 0.0);
}

TEST_CASE("a MAC's line rate and its link's rate agree where both are written", "[refs][rates]") {
  const std::string hosts =
      "name: t\n"                                                                           // 1
      "hosts:\n"                                                                            // 2
      "  - {name: alice, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01, rnic: {line_rate: 25Gbps}}\n"  // 3
      "  - {name: bob, ip: 10.0.0.2/24, mac: 02:00:00:00:00:02, rnic: {profile: generic_100g}}\n"  // 4
      "links:\n";                                                                           // 5
  SECTION("both written and different: one error naming both places") {
    const auto r = load(hosts + "  - {ends: [alice, bob], rate: 10Gbps}\n");
    CHECK(formatted(r) == Errors{"scen.yaml:6:32: error: links[0].rate: 10Gbps conflicts with hosts[0].rnic.line_rate "
                                 "25Gbps (written at scen.yaml:3:78): a MAC and its link run at one rate"});
  }
  SECTION("both written and equal, in another unit") {
    CHECK(load(hosts + "  - {ends: [alice, bob], rate: 25000Mbps}\n").ok());
  }
  SECTION("a profile's default does not conflict") {
    // bob's generic_100g says 100Gbps, alice writes 25Gbps: only written values count.
    CHECK(load(hosts + "  - {ends: [alice, bob], rate: 25Gbps}\n").ok());
  }
  SECTION("only one side written") {
    CHECK(load(hosts + "  - {ends: [alice, bob]}\n").ok());
  }
  SECTION("--set makes a value written") {
    const auto r = load(hosts + "  - {ends: [alice, bob]}\n", {{"links[0].rate", "40Gbps"}});
    CHECK(formatted(r) == Errors{"--set:1:15: error: links[0].rate: 40Gbps conflicts with hosts[0].rnic.line_rate 25Gbps "
                                 "(written at scen.yaml:3:78): a MAC and its link run at one rate"});
    const auto fixed = load(hosts + "  - {ends: [alice, bob], rate: 10Gbps}\n", {{"hosts[0].rnic.line_rate", "10Gbps"}});
    CHECK(fixed.ok());
  }
}

TEST_CASE("two ports on one L2 segment may not share an IP or a MAC", "[refs]") {
  const char* net =
      "name: t\n"                                                          // 1
      "hosts:\n"                                                           // 2
      "  - {name: a, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01}\n"           // 3
      "  - {name: b, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01}\n"           // 4
      "  - {name: c, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01}\n"           // 5
      "switches: [{name: sw0}]\n"                                          // 6
      "routers:\n"                                                         // 7
      "  - name: r1\n"                                                     // 8
      "    interfaces: [{name: e0, ip: 10.0.0.1/24, mac: 02:00:00:00:fe:01},\n"  // 9
      "                 {name: e1, ip: 10.1.0.1/24, mac: 02:00:00:00:00:01}]\n"  // 10
      "links:\n"                                                           // 11
      "  - {ends: [a, sw0]}\n"                                             // 12
      "  - {ends: [b, sw0]}\n"                                             // 13
      "  - {ends: [sw0, r1.e0]}\n"                                         // 14
      "  - {ends: [r1.e1, c]}\n";                                          // 15
  const auto r = load(net);
  INFO(all_errors(r));
  // a, b and r1.e0 are one segment; c and r1.e1 another (the router separates them), where
  // c's IP is free but r1.e1's MAC repeats c's.
  CHECK(formatted(r) ==
        Errors{
            "scen.yaml:4:19: error: hosts[1].ip: IP 10.0.0.1 is already that of host 'a' (hosts[0].ip, at "
            "scen.yaml:3:19) on the same L2 segment",
            "scen.yaml:4:37: error: hosts[1].mac: MAC 02:00:00:00:00:01 is already that of host 'a' (hosts[0].mac, at "
            "scen.yaml:3:37) on the same L2 segment",
            "scen.yaml:9:33: error: routers[0].interfaces[0].ip: IP 10.0.0.1 is already that of host 'a' (hosts[0].ip, "
            "at scen.yaml:3:19) on the same L2 segment",
            "scen.yaml:10:51: error: routers[0].interfaces[1].mac: MAC 02:00:00:00:00:01 is already that of host 'c' "
            "(hosts[2].mac, at scen.yaml:5:37) on the same L2 segment",
        });
  // Apart, on two links, the same addresses are legal.
  CHECK(formatted(load("name: t\nhosts:\n"
                       "  - {name: a, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01}\n"
                       "  - {name: b, ip: 10.0.0.2/24, mac: 02:00:00:00:00:02}\n"
                       "  - {name: c, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01}\n"
                       "  - {name: d, ip: 10.0.0.2/24, mac: 02:00:00:00:00:02}\n"
                       "links: [{ends: [a, b]}, {ends: [c, d]}]\n"))
            .empty());
}

TEST_CASE("more queue pairs than the RNIC holds is refused at the connection that goes past it", "[refs]") {
  const std::string net =
      "name: t\nhosts:\n"                                                               // 1-2
      "  - {name: a, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01, rnic: {max_qps: 5}}\n"   // 3
      "  - {name: b, ip: 10.0.0.2/24, mac: 02:00:00:00:00:02}\n"                       // 4
      "links: [{ends: [a, b]}]\n"                                                      // 5
      "connections:\n"                                                                 // 6
      "  - {id: c1, from: a, to: b, port: 5000, repeat: 4}\n"                          // 7
      "  - {id: t1, from: a, to: b, port: 6001, kind: tcp}\n"                          // 8
      "  - {id: c2, from: b, to: a, port: 7000}\n";                                    // 9
  // 4 + 1 = 5 RDMA ends on a; the host-stack connection holds no queue pair.
  CHECK(formatted(load(net)).empty());
  const auto r = load(net + "  - {id: c3, from: a, to: b, port: 7001}\n");  // 10
  CHECK(formatted(r) == Errors{"scen.yaml:10:5: error: connections[3]: host 'a' would hold 6 queue pairs by this "
                               "connection, more than its RNIC holds (max_qps 5, written at scen.yaml:3:72)"});
}

TEST_CASE("an expect path names a repeated connection's copies, never its base id", "[refs]") {
  const std::string net =
      "name: t\nhosts:\n"
      "  - {name: a, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01}\n"
      "  - {name: b, ip: 10.0.0.2/24, mac: 02:00:00:00:00:02}\n"
      "links: [{ends: [a, b]}]\n"
      "connections: [{id: c1, from: a, to: b, port: 5000, repeat: 3}]\n"
      "expect:\n";
  CHECK(formatted(load(net + "  - {metric: connections.c1_2.state, eq: established}\n")).empty());
  CHECK(formatted(load(net + "  - {metric: connections.c1.state, eq: established}\n")) ==
        Errors{"scen.yaml:8:14: error: expect[0].metric: 'connections.c1.state' cannot be in results.json: connection "
               "'c1' is repeated (repeat: 3): results hold its copies c1_0 .. c1_2, name one of them"});
}

TEST_CASE("a connection joins two hosts that can route to each other", "[refs][paths]") {
  const std::string head =
      "name: t\n"                                                                      // 1
      "hosts:\n"                                                                       // 2
      "  - {name: a, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01}\n"                       // 3
      "  - {name: b, ip: 10.1.0.2/24, mac: 02:00:00:00:00:02}\n"                       // 4
      "links: [{ends: [a, b]}]\n"                                                      // 5
      "connections:\n";                                                                // 6
  CHECK(formatted(load(head + "  - {id: c1, from: a, to: a, port: 5000}\n")) ==
        std::vector<std::string>{"scen.yaml:7:27: error: connections[0].to: 'a' is also the connection's from: a "
                                 "connection joins two hosts (a host's connection to itself, over loopback, is not "
                                 "part of the model)"});
  CHECK(formatted(load(head + "  - {id: c1, from: a, to: b, port: 5000}\n")) ==
        std::vector<std::string>{"scen.yaml:7:27: error: connections[0].to: 'b' (10.1.0.2) is not on 'a''s prefix "
                                 "10.0.0.0/24 and 'a' has no route or gateway to it"});
  // A gateway on a's side is a route there, and b still has none back.
  std::string gw = head;
  gw.replace(gw.find("02:00:00:00:00:01}"), 18, "02:00:00:00:00:01, gateway: 10.0.0.254}");
  CHECK(formatted(load(gw + "  - {id: c1, from: a, to: b, port: 5000}\n")) ==
        std::vector<std::string>{"scen.yaml:7:27: error: connections[0].to: 'b' has no route or gateway back to 'a' "
                                 "(10.0.0.1, not on its prefix 10.1.0.0/24)"});
  gw.replace(gw.find("02:00:00:00:00:02}"), 18, "02:00:00:00:00:02, routes: [{dst: 10.0.0.0/16, via: 10.1.0.254}]}");
  CHECK(formatted(load(gw + "  - {id: c1, from: a, to: b, port: 5000}\n")).empty());
}

// A router in a scenario: its static routes, the checks on its prefixes and gateways, and
// the `expect` paths of its figures (checked against the simulator's results tree).
#include <catch2/catch.hpp>

#include "tests/unit/scenario/helpers.h"

using namespace rnicsim::scenario;
using namespace rnicsim::scenario::test;

namespace {

using Errors = std::vector<std::string>;

/// Two hosts and a router between them: lines 1-9, so text appended starts at line 10.
const char* kNet =
    "name: t\n"                                                                       // 1
    "hosts:\n"                                                                        // 2
    "  - {name: a, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01, gateway: 10.0.0.254}\n"   // 3
    "  - {name: b, ip: 10.1.0.2/24, mac: 02:00:00:00:00:02, gateway: 10.1.0.254}\n"   // 4
    "links: [{ends: [a, r1.eth0]}, {ends: [r1.eth1, b]}]\n"                           // 5
    "routers:\n"                                                                      // 6
    "  - name: r1\n"                                                                  // 7
    "    interfaces: [{name: eth0, ip: 10.0.0.254/24, mac: 02:00:00:00:fe:01},\n"       // 8
    "                 {name: eth1, ip: 10.1.0.254/24, mac: 02:00:00:00:fe:02, mtu: 1280}]\n";  // 9

Errors errors_with(const std::string& more) { return formatted(load(std::string(kNet) + more)); }

}  // namespace

TEST_CASE("scenario: a router's static routes are read, their gateway on one of its interfaces") {
  const auto r = load(std::string(kNet) + "    routes: [{dst: 10.9.0.0/16, via: 10.1.0.9}, {dst: 0.0.0.0/0, via: 10.0.0.7}]\n");
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const RouterSpec& rt = r.scenario->routers[0];
  REQUIRE(rt.routes.size() == 2);
  CHECK(rt.routes[0].dst.addr == 0x0A090000u);
  CHECK(rt.routes[0].dst.len == 16);
  CHECK(rt.routes[0].via == 0x0A010009u);
  CHECK(rt.routes[1].dst.len == 0);
  CHECK(rt.interfaces[1].mtu == 1280);
  CHECK(errors_with("    routes: [{dst: 10.9.0.0/16, via: 10.5.0.1}, {dst: 10.8.0.0/16, via: 10.0.0.254},\n"
                    "             {via: 10.0.0.1}]\n") ==
        Errors{"scen.yaml:10:38: error: routers[0].routes[0].via: 10.5.0.1 is on none of the router's interfaces "
               "(10.0.0.0/24, 10.1.0.0/24)",
               "scen.yaml:10:73: error: routers[0].routes[1].via: 10.0.0.254 is the router's own address",
               "scen.yaml:11:14: error: routers[0].routes[2].dst: required key missing (expected an IPv4 prefix, like "
               "10.9.0.0/16)"});
}

TEST_CASE("scenario: a router's interfaces may not overlap") {
  const auto r = load(
      "name: t\n"
      "routers:\n"
      "  - name: r1\n"
      "    interfaces: [{name: eth0, ip: 10.0.0.254/16, mac: 02:00:00:00:fe:01},\n"
      "                 {name: eth1, ip: 10.0.7.254/24, mac: 02:00:00:00:fe:02}]\n");
  CHECK(formatted(r) == Errors{"scen.yaml:5:35: error: routers[0].interfaces[1].ip: 10.0.7.0/24 overlaps 10.0.0.0/16 "
                               "of interface 'eth0': a router's interfaces are on distinct prefixes"});
}

TEST_CASE("scenario: expect paths name a router's figures and its interfaces") {
  CHECK(errors_with("expect:\n"
                    "  - {metric: routers.r1.forwarded, eq: 1}\n"
                    "  - {metric: routers.r1.frag_needed, eq: 0}\n"
                    "  - {metric: routers.r1.interfaces.eth1.frames_tx, min: 1}\n")
            .empty());
  CHECK(errors_with("expect:\n"
                    "  - {metric: routers.r2.forwarded, eq: 1}\n"
                    "  - {metric: routers.r1.interfaces.eth2.frames_tx, eq: 1}\n"
                    "  - {metric: routers.r1.forwardd, eq: 1}\n") ==
        Errors{"scen.yaml:11:14: error: expect[0].metric: 'routers.r2.forwarded' cannot be in results.json: no router "
               "'r2' in this scenario; did you mean 'r1'? (routers: r1)",
               "scen.yaml:12:14: error: expect[1].metric: 'routers.r1.interfaces.eth2.frames_tx' cannot be in "
               "results.json: routers.r1.interfaces has no interface 'eth2'; did you mean 'eth0'? (interfaces: eth0, eth1)",
               "scen.yaml:13:14: error: expect[2].metric: 'routers.r1.forwardd' cannot be in results.json: routers.r1 "
               "has no field 'forwardd'; did you mean 'forwarded'? (fields: forwarded, dropped, icmp_sent, to_router, "
               "header_errors, not_forwarded, no_route, ttl_exceeded, frag_needed, too_big, arp_failed, "
               "arp_queue_drops, queue_drops, echo_replies, dest_unreachable_sent, time_exceeded_sent, redirects_sent, "
               "arp_requests_tx, arp_replies_tx, interfaces)"});
}

// Routes by longest prefix: the connected route, static routes through gateways, the
// default route; /32 over /24; equal prefixes keep the first added.
#include <catch2/catch.hpp>

#include "model/proto/netstack/routes.h"

using namespace rnicsim;
using namespace rnicsim::netstack;

namespace {

constexpr wire::Ipv4Addr ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return (uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d;
}

/// A host 10.0.0.1/24 with a default route via 10.0.0.254 and 10.1.0.0/16 via 10.0.0.253.
RouteTable host_table() {
  RouteTable t;
  t.add({ip(10, 0, 0, 1), 24, 0, 1500});  // connected
  t.add({ip(10, 1, 0, 0), 16, ip(10, 0, 0, 253), 1500});
  t.add({0, 0, ip(10, 0, 0, 254), 1500});  // default
  return t;
}

}  // namespace

TEST_CASE("routes: on link, through a gateway, and the default route") {
  const RouteTable t = host_table();
  const RouteRef on_link = t.lookup(ip(10, 0, 0, 9));
  REQUIRE(on_link);
  CHECK(on_link->len == 24);
  CHECK(on_link->dst == ip(10, 0, 0, 0));  // the prefix canonicalised
  CHECK(next_hop(on_link, ip(10, 0, 0, 9)) == ip(10, 0, 0, 9));
  const RouteRef via = t.lookup(ip(10, 1, 7, 3));
  REQUIRE(via);
  CHECK(via->len == 16);
  CHECK(next_hop(via, ip(10, 1, 7, 3)) == ip(10, 0, 0, 253));
  const RouteRef def = t.lookup(ip(192, 168, 1, 1));
  REQUIRE(def);
  CHECK(def->len == 0);
  CHECK(next_hop(def, ip(192, 168, 1, 1)) == ip(10, 0, 0, 254));
}

TEST_CASE("routes: a /32 wins over the /24 it lies in, either order of adding") {
  for (const bool host_first : {true, false}) {
    RouteTable t;
    const Route net{ip(10, 0, 0, 0), 24, 0, 1500}, host{ip(10, 0, 0, 7), 32, ip(10, 0, 0, 250), 9000};
    t.add(host_first ? host : net);
    t.add(host_first ? net : host);
    CHECK(next_hop(t.lookup(ip(10, 0, 0, 7)), ip(10, 0, 0, 7)) == ip(10, 0, 0, 250));
    CHECK(t.lookup(ip(10, 0, 0, 7))->mtu == 9000);
    CHECK(next_hop(t.lookup(ip(10, 0, 0, 8)), ip(10, 0, 0, 8)) == ip(10, 0, 0, 8));
  }
}

TEST_CASE("routes: no route covers a destination: empty, and its next hop is itself") {
  RouteTable t;
  t.add({ip(10, 0, 0, 1), 24, 0, 1500});
  const RouteRef r = t.lookup(ip(172, 16, 0, 1));
  CHECK_FALSE(r);
  CHECK(next_hop(r, ip(172, 16, 0, 1)) == ip(172, 16, 0, 1));
}

TEST_CASE("routes: equal prefixes keep the route added first, a lookup hands out the table's own entry") {
  RouteTable t;
  t.add({ip(10, 0, 0, 0), 24, 0, 1500});
  t.add({ip(10, 0, 0, 0), 24, ip(10, 0, 0, 99), 1500});
  CHECK(t.size() == 2);
  const RouteRef a = t.lookup(ip(10, 0, 0, 5)), b = t.lookup(ip(10, 0, 0, 6));
  CHECK(a->gateway == 0);
  CHECK(a == b);  // one entry, shared by every user
}

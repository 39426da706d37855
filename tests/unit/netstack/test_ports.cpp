// The host's port space: reservations, conflicts, release, and ephemeral ports from
// Linux's ip_local_port_range (32768-60999).
#include <catch2/catch.hpp>

#include "model/proto/netstack/ports.h"

using namespace rnicsim::netstack;

TEST_CASE("ports: a second reservation of a port is a conflict, a released port can be reserved again") {
  PortSpace p;
  CHECK(p.reserve(5000));
  CHECK(p.reserved(5000));
  CHECK_FALSE(p.reserve(5000));
  CHECK_FALSE(p.reserve(5000));
  CHECK(p.conflicts() == 2);
  CHECK(p.reserve(5001));
  p.release(5000);
  CHECK_FALSE(p.reserved(5000));
  CHECK(p.reserve(5000));
  CHECK(p.conflicts() == 2);
}

TEST_CASE("ports: ephemeral ports start at 32768, skip reserved ones and do not reserve") {
  PortSpace p;
  CHECK(p.ephemeral() == 32768);
  CHECK(p.reserve(32769));
  CHECK(p.reserve(32770));
  CHECK(p.ephemeral() == 32771);
  CHECK_FALSE(p.reserved(32771));
  CHECK(p.ephemeral() == 32772);
  CHECK(p.conflicts() == 0);
}

TEST_CASE("ports: the ephemeral range wraps, and a full range gives 0") {
  PortSpace p(PortConfig{60000, 60002});
  CHECK(p.ephemeral() == 60000);
  CHECK(p.ephemeral() == 60001);
  CHECK(p.ephemeral() == 60002);
  CHECK(p.ephemeral() == 60000);
  for (uint16_t port = 60000; port <= 60002; ++port) REQUIRE(p.reserve(port));
  CHECK(p.ephemeral() == 0);
  p.release(60001);
  CHECK(p.ephemeral() == 60001);
}

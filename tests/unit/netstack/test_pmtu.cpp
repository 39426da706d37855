// The PMTU cache (RFC 1191): entries learned from fragmentation-needed messages, lowered
// only, clamped at Linux's min_pmtu (552), forgotten after mtu_expires (10 min).
#include <catch2/catch.hpp>

#include "model/proto/netstack/pmtu.h"

using namespace rnicsim;
using namespace rnicsim::netstack;

namespace {
constexpr wire::Ipv4Addr kDst = 0x0A010003, kOther = 0x0A010004;
Duration s(double v) { return Duration::from_s(v); }
}  // namespace

TEST_CASE("PMTU: a learned MTU applies to its destination only, under the route's") {
  PmtuCache c;
  CHECK(c.learn(kDst, 1280, s(1)));
  CHECK(c.lookup(kDst, s(2)) == 1280u);
  CHECK_FALSE(c.lookup(kOther, s(2)));
  CHECK(c.path_mtu(kDst, 1500, s(2)) == 1280);
  CHECK(c.path_mtu(kDst, 1000, s(2)) == 1000);  // the route's MTU is lower still
  CHECK(c.path_mtu(kOther, 1500, s(2)) == 1500);
}

TEST_CASE("PMTU: an entry expires 10 minutes after it was learned, and the route's MTU is back") {
  PmtuCache c;
  REQUIRE(c.learn(kDst, 1280, s(10)));
  CHECK(c.lookup(kDst, s(10) + s(600) - Duration{1}) == 1280u);
  CHECK_FALSE(c.lookup(kDst, s(610)));
  CHECK(c.size() == 0);
  CHECK(c.path_mtu(kDst, 1500, s(611)) == 1500);
}

TEST_CASE("PMTU: a higher report is ignored, a lower one replaces and restarts the expiry, low ones clamp at 552") {
  PmtuCache c;
  REQUIRE(c.learn(kDst, 1400, s(0)));
  CHECK_FALSE(c.learn(kDst, 1450, s(1)));
  CHECK_FALSE(c.learn(kDst, 1400, s(1)));
  CHECK(c.lookup(kDst, s(1)) == 1400u);
  CHECK(c.learn(kDst, 1000, s(100)));
  CHECK(c.lookup(kDst, s(650)) == 1000u);  // past the first entry's 600 s
  CHECK_FALSE(c.lookup(kDst, s(700)));
  CHECK(c.learn(kDst, 68, s(800)));
  CHECK(c.lookup(kDst, s(800)) == 552u);
  PmtuCache custom(PmtuConfig{Duration::from_s(60), 1280});
  custom.learn(kDst, 576, s(0));
  CHECK(custom.lookup(kDst, s(59)) == 1280u);
  CHECK_FALSE(custom.lookup(kDst, s(60)));
}

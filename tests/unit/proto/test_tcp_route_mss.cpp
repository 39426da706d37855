// A connection holds its route, never a copy of its MSS: the SYN advertises the route's MTU
// less 40 bytes, and a change of the table's entry reaches the connection (here its SYN
// retransmission). Without a route, Config::mss.
#include <catch2/catch.hpp>

#include <memory>

#include "model/proto/tcp/connection.h"

using namespace rnicsim;

namespace {
struct Quiet : tcp::Upcalls {
  bool on_data(ConstByteSpan) override { return false; }
  void on_acked(uint64_t) override {}
  void on_state_change(tcp::State, tcp::State) override {}
};

uint16_t syn_mss(tcp::Connection& c, Duration now) {
  REQUIRE(c.has_output());
  const tcp::Outgoing o = c.next_output(now);
  REQUIRE(o.hdr.opts.has_mss);
  return o.hdr.opts.mss;
}
}  // namespace

TEST_CASE("tcp: the MSS comes from the route's MTU, and follows the entry when it changes", "[mss]") {
  Quiet up;
  tcp::Config cfg;
  cfg.mss = 1460;
  tcp::Connection c(cfg, 1000, 0, up);
  auto route = std::make_shared<netstack::Route>(netstack::Route{0x0A000000, 24, 0, 9000});
  c.set_route(route);
  c.open_active(Duration{});
  CHECK(syn_mss(c, Duration{}) == 8960);
  // The table changes its entry in place (a lower device MTU): the retransmitted SYN, after
  // the initial RTO, advertises the new one.
  route->mtu = 1500;
  const Duration rto = c.next_deadline();
  c.on_timer(rto);
  CHECK(syn_mss(c, rto) == 1460);
}

TEST_CASE("tcp: without a route the MSS is Config::mss", "[mss]") {
  Quiet up;
  tcp::Config cfg;
  cfg.mss = 1200;
  tcp::Connection c(cfg, 1000, 0, up);
  c.open_active(Duration{});
  CHECK(syn_mss(c, Duration{}) == 1200);
}

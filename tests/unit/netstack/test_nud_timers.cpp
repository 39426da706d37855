// NUD after resolution: REACHABLE for reachable_time (30 s base, drawn in [0.5, 1.5) x),
// then STALE, or DELAY when used within delay_first_probe_time (5 s) of the expiry;
// STALE -> DELAY on a use; DELAY -> PROBE after 5 s with a unicast probe; PROBE
// retransmits ucast_probes (3) times 1 s apart, then FAILED; an ARP confirms from DELAY
// and PROBE.
#include <catch2/catch.hpp>

#include "tests/unit/netstack/neigh_helpers.h"

using namespace rnicsim;
using namespace rnicsim::test;

namespace {

/// A table whose neighbour was confirmed at 0 s: REACHABLE until reachable_time.
struct Confirmed {
  netstack::NeighbourTable t = make_table();
  Duration rt;
  Confirmed() {
    NeighActions out;
    t.confirm(kPeer, kMacA, Duration{}, out);
    rt = t.reachable_time();
  }
  /// Takes the neighbour to STALE (its REACHABLE time ran out unused).
  void to_stale() {
    NeighActions out;
    t.on_timer(rt, out);
    REQUIRE(t.state(kPeer) == NudState::Stale);
  }
};

}  // namespace

TEST_CASE("NUD: reachable_time is base 30 s times 0.5 to 1.5, from the table's own generator, re-drawn every 300 s") {
  auto a = make_table(1), b = make_table(1), c = make_table(2);
  CHECK(a.reachable_time() == b.reachable_time());
  CHECK(a.reachable_time() != c.reachable_time());
  for (uint64_t seed = 0; seed < 200; ++seed) {
    const Duration rt = make_table(seed).reachable_time();
    CHECK(rt >= s(15));
    CHECK(rt < s(45));
  }
  NeighActions out;
  const Duration first = a.reachable_time();
  a.on_timer(s(299), out);
  CHECK(a.reachable_time() == first);
  a.on_timer(s(300), out);
  CHECK(a.reachable_time() != first);
}

TEST_CASE("NUD: REACHABLE -> STALE when reachable_time runs out unused, with no wake-up asked for") {
  Confirmed c;
  NeighActions out;
  c.t.on_timer(c.rt - Duration{1}, out);
  CHECK(out.empty());
  CHECK(c.t.state(kPeer) == NudState::Reachable);
  c.t.on_timer(c.rt, out);
  CHECK(changes(out) == std::vector<Change>{{NudState::Reachable, NudState::Stale}});
  CHECK(of(out, Kind::ArmTimer).empty());
  CHECK(of(out, Kind::Solicit).empty());
  CHECK(c.t.entry(kPeer)->mac == kMacA);
}

TEST_CASE("NUD: the REACHABLE expiry is applied at its own time when the next input comes late") {
  Confirmed c;
  NeighActions out;
  // A use long after the expiry: STALE at the expiry (used long before), then DELAY now.
  CHECK(c.t.use(kPeer, 1, c.rt + s(100), out));
  CHECK(changes(out) == std::vector<Change>{{NudState::Reachable, NudState::Stale}, {NudState::Stale, NudState::Delay}});
  CHECK(of(out, Kind::ArmTimer).at(0).when == c.rt + s(105));
}

TEST_CASE("NUD: REACHABLE -> DELAY at the expiry after a use within 5 s of it, which asks for that wake-up") {
  Confirmed c;
  NeighActions out;
  CHECK(c.t.use(kPeer, 1, c.rt - s(6), out));  // more than 5 s before: the expiry stays silent
  CHECK(out.empty());
  CHECK(c.t.use(kPeer, 2, c.rt - s(2), out));
  const auto arm = of(out, Kind::ArmTimer);
  REQUIRE(arm.size() == 1);
  CHECK(arm[0].when == c.rt);
  out.clear();
  c.t.on_timer(c.rt, out);
  CHECK(changes(out) == std::vector<Change>{{NudState::Reachable, NudState::Delay}});
  CHECK(of(out, Kind::ArmTimer).at(0).when == c.rt + s(5));
}

TEST_CASE("NUD: STALE -> DELAY on a use (sent at once), DELAY -> PROBE after 5 s with a unicast probe") {
  Confirmed c;
  c.to_stale();
  NeighActions out;
  const Duration u = c.rt + s(10);
  CHECK(c.t.use(kPeer, 1, u, out));
  CHECK(changes(out) == std::vector<Change>{{NudState::Stale, NudState::Delay}});
  CHECK(of(out, Kind::ArmTimer).at(0).when == u + s(5));
  out.clear();
  c.t.on_timer(u + s(4.9), out);
  CHECK(out.empty());
  c.t.on_timer(u + s(5), out);
  CHECK(changes(out) == std::vector<Change>{{NudState::Delay, NudState::Probe}});
  const auto sol = of(out, Kind::Solicit);
  REQUIRE(sol.size() == 1);
  CHECK(sol[0].mac == kMacA);  // unicast to the MAC it has
  CHECK(of(out, Kind::ArmTimer).at(0).when == u + s(6));
  CHECK(c.t.use(kPeer, 2, u + s(5.5), out));  // PROBE is valid: sends go on
}

TEST_CASE("NUD: PROBE sends 3 unicast probes 1 s apart, then FAILED") {
  Confirmed c;
  c.to_stale();
  NeighActions out;
  const Duration u = c.rt + s(10);
  c.t.use(kPeer, 1, u, out);
  c.t.on_timer(u + s(5), out);
  c.t.on_timer(u + s(6), out);
  c.t.on_timer(u + s(7), out);
  const auto sol = of(out, Kind::Solicit);
  REQUIRE(sol.size() == 3);
  for (const auto& a : sol) CHECK(a.mac == kMacA);
  CHECK(c.t.state(kPeer) == NudState::Probe);
  out.clear();
  c.t.on_timer(u + s(8), out);
  CHECK(changes(out) == std::vector<Change>{{NudState::Probe, NudState::Failed}});
  CHECK(of(out, Kind::Solicit).empty());
  CHECK(of(out, Kind::Fail).empty());  // nothing was queued: PROBE sends at once
}

TEST_CASE("NUD: an ARP confirms DELAY and PROBE back to REACHABLE, and their timers find nothing") {
  Confirmed c;
  c.to_stale();
  NeighActions out;
  const Duration u = c.rt + s(10);
  c.t.use(kPeer, 1, u, out);
  out.clear();
  c.t.confirm(kPeer, kMacA, u + s(1), out);
  CHECK(changes(out) == std::vector<Change>{{NudState::Delay, NudState::Reachable}});
  out.clear();
  c.t.on_timer(u + s(5), out);  // DELAY's timer
  CHECK(out.empty());

  Confirmed p;
  p.to_stale();
  p.t.use(kPeer, 1, u, out);
  p.t.on_timer(u + s(5), out);
  REQUIRE(p.t.state(kPeer) == NudState::Probe);
  out.clear();
  p.t.confirm(kPeer, kMacA, u + s(5.5), out);
  CHECK(changes(out) == std::vector<Change>{{NudState::Probe, NudState::Reachable}});
  out.clear();
  p.t.on_timer(u + s(6), out);
  CHECK(out.empty());
}

TEST_CASE("NUD: the state names are Linux's") {
  CHECK(std::string(netstack::to_string(NudState::Incomplete)) == "incomplete");
  CHECK(std::string(netstack::to_string(NudState::Reachable)) == "reachable");
  CHECK(std::string(netstack::to_string(NudState::Stale)) == "stale");
  CHECK(std::string(netstack::to_string(NudState::Delay)) == "delay");
  CHECK(std::string(netstack::to_string(NudState::Probe)) == "probe");
  CHECK(std::string(netstack::to_string(NudState::Failed)) == "failed");
  CHECK(netstack::nud_valid(NudState::Stale));
  CHECK_FALSE(netstack::nud_valid(NudState::Incomplete));
}

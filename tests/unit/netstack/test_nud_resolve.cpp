// NUD resolution: NONE -> INCOMPLETE -> REACHABLE or FAILED, with mcast_probes broadcast
// ARP requests retrans_time apart (Linux's arp_tbl defaults: 3 probes, 1 s), and the
// queue of senders released or failed.
#include <catch2/catch.hpp>

#include "tests/unit/netstack/neigh_helpers.h"

using namespace rnicsim;
using namespace rnicsim::test;

TEST_CASE("NUD: a use of an unknown neighbour starts INCOMPLETE with one broadcast probe and a 1 s timer") {
  auto t = make_table();
  NeighActions out;
  CHECK_FALSE(t.use(kPeer, 7, s(2), out));
  CHECK(t.state(kPeer) == NudState::Incomplete);
  CHECK(changes(out) == std::vector<Change>{{NudState::None, NudState::Incomplete}});
  const auto sol = of(out, Kind::Solicit);
  REQUIRE(sol.size() == 1);
  CHECK(sol[0].ip == kPeer);
  CHECK(sol[0].mac == wire::kMacBroadcast);
  const auto arm = of(out, Kind::ArmTimer);
  REQUIRE(arm.size() == 1);
  CHECK(arm[0].when == s(3));
  CHECK(t.entry(kPeer)->mac == 0);
}

TEST_CASE("NUD: INCOMPLETE probes 3 times 1 s apart, then FAILED at 3 s fails the queued senders in order") {
  auto t = make_table();
  NeighActions out;
  t.use(kPeer, 1, s(0), out);
  t.use(kPeer, 2, s(0.5), out);  // queued behind the first, no new probe
  CHECK(of(out, Kind::Solicit).size() == 1);
  out.clear();
  t.on_timer(s(0.999), out);
  CHECK(out.empty());
  t.on_timer(s(1), out);
  CHECK(of(out, Kind::Solicit).size() == 1);
  CHECK(of(out, Kind::ArmTimer).at(0).when == s(2));
  out.clear();
  t.on_timer(s(2), out);
  CHECK(of(out, Kind::Solicit).size() == 1);
  CHECK(of(out, Kind::ArmTimer).at(0).when == s(3));
  CHECK(t.state(kPeer) == NudState::Incomplete);
  out.clear();
  t.on_timer(s(3), out);
  CHECK(of(out, Kind::Solicit).empty());
  CHECK(changes(out) == std::vector<Change>{{NudState::Incomplete, NudState::Failed}});
  const auto fail = of(out, Kind::Fail);
  REQUIRE(fail.size() == 1);
  CHECK(fail[0].tokens == std::vector<uint64_t>{1, 2});
  CHECK(t.state(kPeer) == NudState::Failed);
}

TEST_CASE("NUD: an ARP for us makes INCOMPLETE REACHABLE, releases the queue with the MAC, the old timer finds nothing") {
  auto t = make_table();
  NeighActions out;
  t.use(kPeer, 4, s(0), out);
  out.clear();
  t.confirm(kPeer, kMacA, s(0.000002), out);
  CHECK(changes(out) == std::vector<Change>{{NudState::Incomplete, NudState::Reachable}});
  CHECK(of(out, Kind::StateChange).at(0).mac == kMacA);
  const auto rel = of(out, Kind::Release);
  REQUIRE(rel.size() == 1);
  CHECK(rel[0].tokens == std::vector<uint64_t>{4});
  CHECK(rel[0].mac == kMacA);
  CHECK(of(out, Kind::ArmTimer).empty());  // the REACHABLE expiry alone sends nothing
  CHECK(t.entry(kPeer)->mac == kMacA);
  out.clear();
  t.on_timer(s(1), out);  // the INCOMPLETE retransmission that was armed
  CHECK(out.empty());
  CHECK(t.state(kPeer) == NudState::Reachable);
}

TEST_CASE("NUD: FAILED starts over with a use, a valid neighbour is used at once") {
  auto t = make_table();
  NeighActions out;
  t.use(kPeer, 1, s(0), out);
  t.on_timer(s(1), out);
  t.on_timer(s(2), out);
  t.on_timer(s(3), out);
  REQUIRE(t.state(kPeer) == NudState::Failed);
  out.clear();
  CHECK_FALSE(t.use(kPeer, 9, s(10), out));
  CHECK(changes(out) == std::vector<Change>{{NudState::Failed, NudState::Incomplete}});
  CHECK(of(out, Kind::Solicit).size() == 1);
  t.confirm(kPeer, kMacA, s(10.1), out);
  out.clear();
  CHECK(t.use(kPeer, 10, s(11), out));
  CHECK(out.empty());
}

TEST_CASE("NUD: an explicit resolve re-solicits a REACHABLE neighbour from INCOMPLETE, keeping its MAC for live users") {
  auto t = make_table();
  NeighActions out;
  t.confirm(kPeer, kMacA, s(0), out);
  CHECK(changes(out) == std::vector<Change>{{NudState::None, NudState::Reachable}});
  const netstack::L2Ref handle = t.entry(kPeer);
  out.clear();
  t.resolve(kPeer, s(1), out);
  CHECK(changes(out) == std::vector<Change>{{NudState::Reachable, NudState::Incomplete}});
  REQUIRE(of(out, Kind::Solicit).size() == 1);
  CHECK(of(out, Kind::Solicit)[0].mac == wire::kMacBroadcast);
  CHECK(of(out, Kind::ArmTimer).at(0).when == s(2));
  CHECK(handle->mac == kMacA);
  out.clear();
  t.resolve(kPeer, s(1.5), out);  // being resolved: nothing more
  CHECK(out.empty());
  t.confirm(kPeer, kMacA, s(1.6), out);
  CHECK(changes(out) == std::vector<Change>{{NudState::Incomplete, NudState::Reachable}});
  CHECK_FALSE(of(out, Kind::StateChange)[0].mac_changed);
  CHECK(t.entry(kPeer) == handle);  // one entry for its whole life
}

TEST_CASE("NUD: a new MAC for a REACHABLE neighbour is a change, seen through every handle") {
  auto t = make_table();
  NeighActions out;
  t.confirm(kPeer, kMacA, s(0), out);
  const netstack::L2Ref handle = t.entry(kPeer);
  out.clear();
  t.confirm(kPeer, kMacA, s(1), out);  // the same MAC again: nothing to report
  CHECK(out.empty());
  t.confirm(kPeer, kMacB, s(2), out);
  const auto ch = of(out, Kind::StateChange);
  REQUIRE(ch.size() == 1);
  CHECK(ch[0].from == NudState::Reachable);
  CHECK(ch[0].to == NudState::Reachable);
  CHECK(ch[0].mac_changed);
  CHECK(ch[0].mac == kMacB);
  CHECK(handle->mac == kMacB);
}

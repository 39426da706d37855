// A connection holds its neighbour entry, never a copy of the MAC: once the neighbour
// table learns a new MAC, the connection's next frame (here the SYN's retransmission
// after the 1 s initial RTO) is built with it. Builds SystemC blocks: one ctest process.
#include <catch2/catch.hpp>

#include <vector>

#include "model/common/sim.h"
#include "model/hw/mac/mac.h"
#include "model/hw/toe/toe.h"
#include "model/proto/netstack/neighbour.h"

using namespace rnicsim;

TEST_CASE("TOE: the next frame of a connection goes to the MAC its neighbour entry holds now") {
  constexpr wire::Ipv4Addr kUs = 0x0A000001, kPeer = 0x0A000002;
  constexpr wire::MacAddr kOurs = 0x020000000001ull, kOld = 0x020000000002ull, kNew = 0x0200000000B2ull;
  EventQueue events;  // first: the blocks post to it
  hw::Mac mac("mac", hw::MacConfig{});
  std::vector<wire::MacAddr> dst;
  std::vector<uint8_t> flags;
  mac.set_tap([&](const Frame& f, Duration) {
    dst.push_back(load_be48(f.bytes.data()));
    flags.push_back(f.bytes[14 + 20 + 13]);
  });
  hw::Toe toe("toe", hw::ToeConfig{}, mac, kOurs, 1);
  netstack::NeighbourTable neigh(netstack::NeighConfig{}, Rng(1, "host.neigh"));
  netstack::NeighActions out;
  neigh.confirm(kPeer, kOld, Duration{}, out);
  const uint32_t id = toe.open_active(hw::FourTuple{kUs, kPeer, 40000, 5000},
                                      netstack::Path{nullptr, neigh.entry(kPeer)}, tcp::Config{}, nullptr);
  CHECK(toe.path(id).neighbour == neigh.entry(kPeer));
  sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_US));
  REQUIRE(dst == std::vector<wire::MacAddr>{kOld});
  neigh.confirm(kPeer, kNew, Duration::from_us(1), out);
  sc_core::sc_start(sc_core::sc_time(1.5, sc_core::SC_SEC));
  REQUIRE(dst == std::vector<wire::MacAddr>{kOld, kNew});
  CHECK(flags == std::vector<uint8_t>{wire::tcp_flags::kSyn, wire::tcp_flags::kSyn});
}

// libsystemc wants an sc_main; Catch2's main runs these tests, so it is never called.
int sc_main(int, char**) { return 0; }

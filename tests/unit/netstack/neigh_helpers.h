#pragma once
// Test helpers for the neighbour table: a table with a fixed seed, and filters over its
// actions.
#include <vector>

#include "model/proto/netstack/neighbour.h"

namespace rnicsim::test {

using netstack::NeighAction;
using netstack::NeighActions;
using netstack::NudState;
using Kind = NeighAction::Kind;

constexpr wire::Ipv4Addr kPeer = 0x0A000002;
constexpr wire::MacAddr kMacA = 0x020000000002ull, kMacB = 0x0200000000B2ull;

inline Duration s(double v) { return Duration::from_s(v); }

inline netstack::NeighbourTable make_table(uint64_t seed = 1) {
  return netstack::NeighbourTable(netstack::NeighConfig{}, Rng(seed, "host.neigh"));
}

inline std::vector<NeighAction> of(const NeighActions& out, Kind k) {
  std::vector<NeighAction> r;
  for (const auto& a : out)
    if (a.kind == k) r.push_back(a);
  return r;
}

/// The (from, to) of every state change, in order.
inline std::vector<std::pair<NudState, NudState>> changes(const NeighActions& out) {
  std::vector<std::pair<NudState, NudState>> r;
  for (const auto& a : of(out, Kind::StateChange)) r.emplace_back(a.from, a.to);
  return r;
}

using Change = std::pair<NudState, NudState>;

}  // namespace rnicsim::test

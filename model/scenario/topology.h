#pragma once
/// What a scenario's network looks like before it runs: its L2 segments (link ends joined
/// by links and switches), the addresses on each, and the next hop a host's routing table
/// picks toward a destination. Used by the checks (duplicate addresses, connections with
/// no route) and by the memory estimate (a connection whose next hop no one answers for
/// never comes up, so its workloads touch nothing). Plain C++, no SystemC.
#include <map>
#include <optional>
#include <string>

#include "model/scenario/scenario.h"

namespace rnicsim::scenario {

/// The L2 segments: a union of link ends (a host, a switch, `router.interface`).
class Segments {
 public:
  explicit Segments(const Scenario& s);
  /// The segment of a link end (its representative end); an end no link names is a
  /// segment of its own.
  std::string of(const std::string& end) const;
  /// True when a port on `end`'s segment holds `ip`: a host's address, a type-3 RNIC's or
  /// a router interface's.
  bool answers(const std::string& end, Ipv4 ip) const;

 private:
  mutable std::map<std::string, std::string> parent_;
  std::map<std::string, std::vector<Ipv4>> addresses_;  ///< by segment
};

/// The prefix host `h` uses for a connection of `kind`: a type-3 RNIC's own for `rdma`.
Ipv4Prefix local_prefix(const HostSpec& h, const std::string& kind);

/// The next hop host `h` sends to `dst` by from `self` (its own prefix or, for a type-3
/// RNIC's own stack, the RNIC's): the longest prefix among the connected route, the static
/// routes and the default gateway, as Linux's fib lookup picks it; a type-3 RNIC uses only
/// the routes whose gateway is on its own link. Empty when no route covers `dst`.
std::optional<Ipv4> next_hop(const HostSpec& h, const Ipv4Prefix& self, Ipv4 dst);

/// The next hop of connection `cn`'s first frames, in either direction, that no port of
/// the sender's segment answers ARP for, and that no event could make resolvable (a
/// `redirect` for the destination or a `neigh_update` for the hop on that host): such a
/// connection ends `unreachable`. Empty when both directions may resolve, or when the
/// connection's hosts are not found.
std::optional<Ipv4> dead_next_hop(const Scenario& s, const Segments& seg, const ConnectionSpec& cn);

}  // namespace rnicsim::scenario

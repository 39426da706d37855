#pragma once
/// What a connection holds of its way to the peer: handles to its route and to the
/// link-layer entry of its next hop, never copies of a MAC or an MTU, so that an update of
/// either entry reaches every live connection that uses it (as iw_cxgb4's endpoint holds
/// `dst` and `l2t`). The tables own the entries and change them in place.
#include <cstdint>
#include <memory>

#include "model/wire/eth.h"

namespace rnicsim::netstack {

/// A link-layer neighbour as a frame builder reads it: the next hop's IPv4 address and the
/// MAC last learned for it (kept through re-validation, as Linux keeps `neigh->ha`).
struct L2Entry {
  wire::Ipv4Addr ip = 0;
  wire::MacAddr mac = 0;
};
using L2Ref = std::shared_ptr<const L2Entry>;

/// One route (Linux's fib entry with its dst): `gateway` 0 means on link.
struct Route {
  wire::Ipv4Addr dst = 0;
  uint8_t len = 0;              ///< prefix length, 0..32
  wire::Ipv4Addr gateway = 0;
  uint32_t mtu = 1500;          ///< the device's MTU (Linux's dst_mtu before PMTU)
};
using RouteRef = std::shared_ptr<const Route>;

/// The next hop toward `dst` through `route`: its gateway, or `dst` itself on link (also
/// when there is no route: an unrouted destination is tried on link).
inline wire::Ipv4Addr next_hop(const RouteRef& route, wire::Ipv4Addr dst) {
  return route && route->gateway ? route->gateway : dst;
}

struct Path {
  RouteRef route;       ///< may be empty: a destination no route covers, tried on link
  L2Ref neighbour;      ///< the next hop's link-layer entry; never empty on an open connection
};

/// A path to an on-link neighbour at a fixed MAC, in an entry no table owns (a fixture
/// that wires a connection without a network stack).
inline Path fixed_path(wire::Ipv4Addr ip, wire::MacAddr mac) {
  return Path{nullptr, std::make_shared<const L2Entry>(L2Entry{ip, mac})};
}

}  // namespace rnicsim::netstack

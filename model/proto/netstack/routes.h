#pragma once
/// A host's routing table: routes by longest prefix (the connected route of each interface
/// prefix, static routes, the default route as prefix length 0). Equal prefixes keep the
/// route added first. Lookups hand out handles (RouteRef) that connections keep.
#include <vector>

#include "model/proto/netstack/path.h"

namespace rnicsim::netstack {

/// The mask of a prefix length (0..32), host byte order.
constexpr uint32_t prefix_mask(uint8_t len) { return len == 0 ? 0 : ~uint32_t{0} << (32 - len); }

class RouteTable {
 public:
  void add(const Route& r);
  /// Adds `r`, or rewrites in place the route of the same prefix (a redirect's host route,
  /// as Linux keeps it in a route exception): holders of the entry see the new gateway.
  void replace(const Route& r);
  /// The device's MTU changed: every route's MTU (one device per host).
  void set_mtu(uint32_t mtu);
  /// The longest-prefix route covering `dst`; empty when none does.
  RouteRef lookup(wire::Ipv4Addr dst) const;
  size_t size() const { return routes_.size(); }

 private:
  std::vector<std::shared_ptr<Route>> routes_;  // in the order added
};

}  // namespace rnicsim::netstack

#include "model/proto/netstack/routes.h"

namespace rnicsim::netstack {

void RouteTable::add(const Route& r) {
  auto e = std::make_shared<Route>(r);
  e->dst &= prefix_mask(r.len);  // as `ip route add` canonicalises the prefix
  routes_.push_back(std::move(e));
}

void RouteTable::replace(const Route& r) {
  const wire::Ipv4Addr dst = r.dst & prefix_mask(r.len);
  for (auto& e : routes_)
    if (e->dst == dst && e->len == r.len) {
      e->gateway = r.gateway;
      e->mtu = r.mtu;
      return;
    }
  add(r);
}

void RouteTable::set_mtu(uint32_t mtu) {
  for (auto& e : routes_) e->mtu = mtu;
}

RouteRef RouteTable::lookup(wire::Ipv4Addr dst) const {
  const Route* best = nullptr;
  RouteRef ref;
  for (const auto& r : routes_)
    if ((dst & prefix_mask(r->len)) == r->dst && (!best || r->len > best->len)) {
      best = r.get();
      ref = r;
    }
  return ref;
}

}  // namespace rnicsim::netstack

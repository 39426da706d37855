#include "model/proto/netstack/pmtu.h"

#include <algorithm>

namespace rnicsim::netstack {

bool PmtuCache::learn(wire::Ipv4Addr dst, uint32_t mtu, Duration now) {
  mtu = std::max(mtu, cfg_.min_pmtu);
  if (auto cur = lookup(dst, now); cur && *cur <= mtu) return false;
  entries_[dst] = Entry{mtu, now + cfg_.mtu_expires};
  return true;
}

std::optional<uint32_t> PmtuCache::lookup(wire::Ipv4Addr dst, Duration now) {
  auto it = entries_.find(dst);
  if (it == entries_.end()) return std::nullopt;
  if (now >= it->second.expires) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.mtu;
}

uint32_t PmtuCache::path_mtu(wire::Ipv4Addr dst, uint32_t route_mtu, Duration now) {
  const auto cached = lookup(dst, now);
  return cached ? std::min(*cached, route_mtu) : route_mtu;
}

}  // namespace rnicsim::netstack

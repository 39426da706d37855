#pragma once
/// The path MTU cache (RFC 1191): what ICMP "fragmentation needed" messages taught about
/// each destination, forgotten after mtu_expires so that a larger path MTU is found again
/// (RFC 1191 s.6.3). Linux keeps the learned MTU in a route exception (net/ipv4/route.c,
/// __ip_rt_update_pmtu). Logic only: no run feeds it yet.
#include <map>
#include <optional>

#include "model/common/units.h"
#include "model/wire/eth.h"

namespace rnicsim::netstack {

struct PmtuConfig {
  Duration mtu_expires = Duration::from_s(600);  ///< Linux's ip_rt_mtu_expires = 10 * 60 * HZ
  uint32_t min_pmtu = 552;                        ///< Linux's ip_rt_min_pmtu = 512 + 20 + 20
};

class PmtuCache {
 public:
  explicit PmtuCache(const PmtuConfig& cfg = {}) : cfg_(cfg) {}

  /// An ICMP fragmentation-needed for `dst` reported `mtu` at `now`. A value under
  /// min_pmtu is raised to it (Linux's clamp); a value not below the one cached is ignored
  /// (RFC 1191 s.6.3: a host never raises its estimate from a Datagram Too Big message).
  /// Returns true when the cached MTU changed.
  bool learn(wire::Ipv4Addr dst, uint32_t mtu, Duration now);
  /// The cached MTU toward `dst`, if an entry exists and has not expired (an expired one
  /// is dropped).
  std::optional<uint32_t> lookup(wire::Ipv4Addr dst, Duration now);
  /// The MTU to use toward `dst` over a route of MTU `route_mtu`.
  uint32_t path_mtu(wire::Ipv4Addr dst, uint32_t route_mtu, Duration now);
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    uint32_t mtu = 0;
    Duration expires{};
  };
  PmtuConfig cfg_;
  std::map<wire::Ipv4Addr, Entry> entries_;
};

}  // namespace rnicsim::netstack

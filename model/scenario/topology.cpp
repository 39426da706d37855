#include "model/scenario/topology.h"

namespace rnicsim::scenario {
namespace {

uint32_t mask(uint8_t len) { return len == 0 ? 0u : ~0u << (32 - len); }
bool on(const Ipv4Prefix& p, Ipv4 a) { return (a & mask(p.len)) == (p.addr & mask(p.len)); }
std::string end_name(const LinkEnd& e) { return e.iface.empty() ? e.node : e.node + "." + e.iface; }

const HostSpec* find_host(const Scenario& s, const std::string& name) {
  for (const auto& h : s.hosts)
    if (h.name == name) return &h;
  return nullptr;
}

}  // namespace

Segments::Segments(const Scenario& s) {
  for (const auto& l : s.links) {
    if (l.ends[0].node.empty() || l.ends[1].node.empty()) continue;
    const std::string a = of(end_name(l.ends[0])), b = of(end_name(l.ends[1]));
    if (a != b) parent_[a] = b;
  }
  for (const auto& h : s.hosts) {
    addresses_[of(h.name)].push_back(h.ip.addr);
    if (h.rnic.ip) addresses_[of(h.name)].push_back(h.rnic.ip->addr);
  }
  for (const auto& r : s.routers)
    for (const auto& f : r.interfaces) addresses_[of(r.name + "." + f.name)].push_back(f.ip.addr);
}

std::string Segments::of(const std::string& end) const {
  std::string x = end;
  for (;;) {
    const auto it = parent_.find(x);
    if (it == parent_.end() || it->second == x) break;
    x = it->second;
  }
  std::string y = end;  // path compression
  while (y != x) {
    std::string next = parent_[y];
    parent_[y] = x;
    y = next;
  }
  return x;
}

bool Segments::answers(const std::string& end, Ipv4 ip) const {
  const auto it = addresses_.find(of(end));
  if (it == addresses_.end()) return false;
  for (Ipv4 a : it->second)
    if (a == ip) return true;
  return false;
}

Ipv4Prefix local_prefix(const HostSpec& h, const std::string& kind) {
  return kind == "rdma" && h.rnic.type == 3 && h.rnic.ip ? *h.rnic.ip : h.ip;
}

std::optional<Ipv4> next_hop(const HostSpec& h, const Ipv4Prefix& self, Ipv4 dst) {
  const bool own_stack = self.addr != h.ip.addr;  // a type-3 RNIC's: gateways on its link only
  std::optional<Ipv4> hop;
  int best = -1;
  if (on(self, dst)) hop = dst, best = self.len;
  for (const auto& r : h.routes)  // equal prefixes keep the route written first
    if (on(r.dst, dst) && r.dst.len > best && (!own_stack || on(self, r.via))) hop = r.via, best = r.dst.len;
  if (best < 0 && h.gateway && (!own_stack || on(self, *h.gateway))) hop = *h.gateway;
  return hop;
}

std::optional<Ipv4> dead_next_hop(const Scenario& s, const Segments& seg, const ConnectionSpec& cn) {
  const HostSpec* a = find_host(s, cn.from);
  const HostSpec* b = find_host(s, cn.to);
  if (!a || !b || a == b) return std::nullopt;
  const Ipv4Prefix pa = local_prefix(*a, cn.kind), pb = local_prefix(*b, cn.kind);
  for (const auto& [h, self, dst] : {std::tuple{a, pa, pb.addr}, std::tuple{b, pb, pa.addr}}) {
    const std::optional<Ipv4> hop = next_hop(*h, self, dst);
    if (!hop || seg.answers(h->name, *hop)) continue;
    bool may_change = false;
    for (const auto& e : s.events)
      if (e.host == h->name && ((e.kind == "redirect" && e.dst == dst) || (e.kind == "neigh_update" && e.ip == *hop)))
        may_change = true;
    if (!may_change) return hop;
  }
  return std::nullopt;
}

}  // namespace rnicsim::scenario

// Checks across the scenario's parts: unique names, what link ends, connections,
// workloads and events refer to, rate conflicts, and the paths of `expect`.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

#include "model/common/address.h"
#include "model/scenario/profiles.h"
#include "model/scenario/resources.h"
#include "model/scenario/metrics.h"
#include "model/scenario/sections.h"
#include "model/scenario/suggest.h"
#include "model/scenario/topology.h"
#include "model/scenario/units_parse.h"

namespace rnicsim::scenario::detail {
namespace {

std::string loc_text(const Loc& l) { return fmt::format("{}:{}:{}", l.file, l.line, l.col); }

/// Reports every name that repeats an earlier one of the same kind.
template <class T, class NameOf>
void check_unique(Ctx& c, const std::vector<T>& items, const char* list, const char* key, NameOf name_of) {
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string name = name_of(items[i]);
    if (name.empty()) continue;
    const auto [it, fresh] = seen.emplace(name, i);
    if (fresh) continue;
    const std::string path = fmt::format("{}[{}].{}", list, i, key);
    c.error(c.where(path, items[i].loc),
            fmt::format("{}: '{}' is already the {} of {}[{}]", c.written(path) ? path : fmt::format("{}[{}]", list, i),
                        name, c.written(path) ? key : std::string("default ") + key, list, it->second));
  }
}

struct Nodes {
  std::vector<std::string> hosts, switches, routers;
  static bool in(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  }
};

void check_links(Ctx& c, const Scenario& s, const Nodes& nodes) {
  std::vector<std::string> end_names = nodes.hosts;
  end_names.insert(end_names.end(), nodes.switches.begin(), nodes.switches.end());
  for (const auto& r : s.routers)
    for (const auto& f : r.interfaces) end_names.push_back(r.name + "." + f.name);
  std::map<std::string, std::string> port_used;  // a host's or router interface's one port -> link path
  std::map<std::string, std::string> tap_used;   // a TAP device -> link path

  for (size_t i = 0; i < s.links.size(); ++i) {
    const LinkSpec& l = s.links[i];
    for (size_t k = 0; k < 2; ++k) {
      const LinkEnd& e = l.ends[k];
      if (!e.tap.empty() && !(k == 1 && l.ends[0].tap == e.tap)) {  // both ends one TAP: said below
        const auto [it, fresh] = tap_used.emplace(e.tap, fmt::format("links[{}]", i));
        if (!fresh)
          c.error(c.where(fmt::format("links[{}].ends[{}]", i, k), l.loc),
                  fmt::format("links[{}].ends[{}]: TAP device '{}' is already the end of {}", i, k, e.tap, it->second));
      }
      if (e.node.empty()) continue;
      const std::string path = fmt::format("links[{}].ends[{}]", i, k);
      const Loc at = c.where(path, l.loc);
      const std::string text = e.iface.empty() ? e.node : e.node + "." + e.iface;
      const bool host = Nodes::in(nodes.hosts, e.node), sw = Nodes::in(nodes.switches, e.node),
                 router = Nodes::in(nodes.routers, e.node);
      if (static_cast<int>(host) + static_cast<int>(sw) + static_cast<int>(router) > 1) {
        std::vector<std::string> kinds;
        if (host) kinds.emplace_back("a host");
        if (sw) kinds.emplace_back("a switch");
        if (router) kinds.emplace_back("a router");
        c.error(at, fmt::format("{}: '{}' is ambiguous: it names {}", path, e.node, join(kinds, " and ")));
        continue;
      }
      if (!host && !sw && !router) {
        c.error(at, fmt::format("{}: '{}' names no host, switch or router interface{}", path, text,
                                did_you_mean(text, end_names)));
        continue;
      }
      if (router) {
        const RouterSpec* r = nullptr;
        for (const auto& x : s.routers)
          if (x.name == e.node) r = &x;
        std::vector<std::string> ifs;
        for (const auto& f : r->interfaces) ifs.push_back(f.name);
        if (e.iface.empty()) {
          c.error(at, fmt::format("{}: '{}' is a router: name one of its interfaces, as in {}.{}", path, e.node, e.node,
                                  ifs.empty() ? "eth0" : ifs.front()));
          continue;
        }
        if (!Nodes::in(ifs, e.iface)) {
          c.error(at, fmt::format("{}: router '{}' has no interface '{}'{} (interfaces: {})", path, e.node, e.iface,
                                  did_you_mean(e.iface, ifs), join(ifs)));
          continue;
        }
      } else if (!e.iface.empty()) {
        c.error(at, fmt::format("{}: '{}' is a {}: only a router's interfaces are named with a dot", path, e.node,
                                host ? "host" : "switch"));
        continue;
      }
      if (!sw) {
        const auto [it, fresh] = port_used.emplace(text, fmt::format("links[{}]", i));
        if (!fresh)
          c.error(at, fmt::format("{}: '{}' has one port, already linked by {}", path, text, it->second));
      }
    }
    if (!l.ends[0].tap.empty() && !l.ends[1].tap.empty())
      c.error(c.where(fmt::format("links[{}].ends", i), l.loc),
              fmt::format("links[{}].ends: both ends are TAP devices: one end is a simulated port", i));
    if (!l.ends[0].node.empty() && l.ends[0].node == l.ends[1].node && l.ends[0].iface == l.ends[1].iface)
      c.error(c.where(fmt::format("links[{}].ends", i), l.loc),
              fmt::format("links[{}].ends: both ends are '{}'", i, l.ends[0].node));
  }
}

/// A MAC and its link run at one rate: where both are written, they must agree.
void check_rates(Ctx& c, const Scenario& s) {
  for (size_t i = 0; i < s.links.size(); ++i) {
    const LinkSpec& l = s.links[i];
    const std::string rate_path = fmt::format("links[{}].rate", i);
    if (!l.rate || !c.written(rate_path)) continue;
    for (const auto& e : l.ends) {
      for (size_t h = 0; h < s.hosts.size(); ++h) {
        if (e.node.empty() || s.hosts[h].name != e.node || !e.iface.empty()) continue;
        const std::string lr_path = fmt::format("hosts[{}].rnic.line_rate", h);
        const auto& lr = s.hosts[h].rnic.line_rate;
        if (!lr || !c.written(lr_path) || *lr == *l.rate) continue;
        c.error(c.where(rate_path, l.loc),
                fmt::format("{}: {} conflicts with {} {} (written at {}): a MAC and its link run at one rate", rate_path,
                            format_rate(*l.rate), lr_path, format_rate(*lr), loc_text(c.where(lr_path, l.loc))));
      }
    }
  }
}

/// Two ports on one L2 segment (hosts, type-3 RNICs and router interfaces joined by links
/// and switches) may not share an IP or a MAC: ARP and switch learning could not tell them
/// apart, and the simulation would deliver to whichever answered first.
void check_addresses(Ctx& c, const Scenario& s) {
  const Segments segments(s);
  auto root = [&](const std::string& end) { return segments.of(end); };
  struct Port {
    std::string segment, who, path;
    Loc loc;
  };
  std::vector<std::pair<Port, Ipv4>> ips;
  std::vector<std::pair<Port, Mac>> macs;
  for (size_t i = 0; i < s.hosts.size(); ++i) {
    const HostSpec& h = s.hosts[i];
    const std::string seg = root(h.name);
    const std::string hp = fmt::format("hosts[{}]", i);
    ips.push_back({{seg, fmt::format("host '{}'", h.name), hp + ".ip", c.where(hp + ".ip", h.loc)}, h.ip.addr});
    macs.push_back({{seg, fmt::format("host '{}'", h.name), hp + ".mac", c.where(hp + ".mac", h.loc)}, h.mac});
    const std::string who = fmt::format("the type-3 RNIC of host '{}'", h.name);
    if (h.rnic.ip)
      ips.push_back({{seg, who, hp + ".rnic.ip", c.where(hp + ".rnic.ip", h.rnic.loc)}, h.rnic.ip->addr});
    if (h.rnic.mac) macs.push_back({{seg, who, hp + ".rnic.mac", c.where(hp + ".rnic.mac", h.rnic.loc)}, *h.rnic.mac});
  }
  for (size_t i = 0; i < s.routers.size(); ++i)
    for (size_t k = 0; k < s.routers[i].interfaces.size(); ++k) {
      const RouterIfSpec& f = s.routers[i].interfaces[k];
      const std::string seg = root(s.routers[i].name + "." + f.name);
      const std::string fp = fmt::format("routers[{}].interfaces[{}]", i, k);
      const std::string who = fmt::format("router interface '{}.{}'", s.routers[i].name, f.name);
      ips.push_back({{seg, who, fp + ".ip", c.where(fp + ".ip", f.loc)}, f.ip.addr});
      if (f.mac) macs.push_back({{seg, who, fp + ".mac", c.where(fp + ".mac", f.loc)}, f.mac});
    }
  // Each port against the first one that holds its address on its segment.
  auto report = [&](const auto& list, const char* what, auto format) {
    std::map<std::pair<std::string, uint64_t>, size_t> first;
    for (size_t i = 0; i < list.size(); ++i) {
      const auto& [b, vb] = list[i];
      if (vb == 0) continue;  // the address was missing or unreadable, already reported
      const auto [it, fresh] = first.emplace(std::make_pair(b.segment, uint64_t{vb}), i);
      if (fresh) continue;
      const Port& a = list[it->second].first;
      c.error(b.loc, fmt::format("{}: {} {} is already that of {} ({}, at {}) on the same L2 segment", b.path, what,
                                 format(vb), a.who, a.path, loc_text(a.loc)));
    }
  };
  report(ips, "IP", [](Ipv4 a) { return format_ipv4(a); });
  report(macs, "MAC", [](Mac m) { return format_mac(m); });
}

/// A router's interfaces sit on prefixes that do not overlap (forwarding could not tell
/// which one a destination is on), and each static route's gateway is on one of them.
void check_routers(Ctx& c, const Scenario& s) {
  auto mask = [](uint8_t len) { return len == 0 ? 0u : ~0u << (32 - len); };
  auto prefix = [&](const Ipv4Prefix& p) { return fmt::format("{}/{}", format_ipv4(p.addr & mask(p.len)), p.len); };
  for (size_t i = 0; i < s.routers.size(); ++i) {
    const RouterSpec& r = s.routers[i];
    for (size_t k = 0; k < r.interfaces.size(); ++k)
      for (size_t j = 0; j < k; ++j) {
        const Ipv4Prefix& a = r.interfaces[j].ip;
        const Ipv4Prefix& b = r.interfaces[k].ip;
        if (a.addr == 0 || b.addr == 0) continue;  // missing or unreadable, already reported
        const uint32_t m = mask(std::min(a.len, b.len));
        if ((a.addr & m) != (b.addr & m)) continue;
        const std::string path = fmt::format("routers[{}].interfaces[{}].ip", i, k);
        c.error(c.where(path, r.interfaces[k].loc),
                fmt::format("{}: {} overlaps {} of interface '{}': a router's interfaces are on distinct prefixes",
                            path, prefix(b), prefix(a), r.interfaces[j].name));
        break;
      }
    std::vector<std::string> prefixes;
    for (const auto& f : r.interfaces) prefixes.push_back(prefix(f.ip));
    for (size_t k = 0; k < r.routes.size(); ++k) {
      const Ipv4 via = r.routes[k].via;
      bool on_link = false, own = false;
      for (const auto& f : r.interfaces) {
        on_link = on_link || (via & mask(f.ip.len)) == (f.ip.addr & mask(f.ip.len));
        own = own || via == f.ip.addr;
      }
      const std::string path = fmt::format("routers[{}].routes[{}].via", i, k);
      if (own)
        c.error(c.where(path, r.loc), fmt::format("{}: {} is the router's own address", path, format_ipv4(via)));
      else if (!on_link)
        c.error(c.where(path, r.loc),
                fmt::format("{}: {} is on none of the router's interfaces ({})", path, format_ipv4(via), join(prefixes)));
    }
  }
}

/// `rnic.notify` says how a type-7 RNIC hears of its host's neighbours; a type-3 RNIC runs
/// ARP itself and hears nothing from its host, so the key means nothing there.
void check_notify(Ctx& c, const Scenario& s) {
  for (size_t i = 0; i < s.hosts.size(); ++i) {
    const std::string path = fmt::format("hosts[{}].rnic.notify", i);
    if (s.hosts[i].rnic.type != 3 || !c.written(path)) continue;
    c.error(c.where(path, s.hosts[i].rnic.loc),
            fmt::format("{}: a type-3 RNIC runs ARP and ICMP itself and hears no netevents from its host: notify "
                        "applies to type 7 only",
                        path));
  }
}

void check_host_ref(Ctx& c, const std::string& path, const Loc& fallback, const std::string& name, const Nodes& nodes) {
  if (name.empty() || Nodes::in(nodes.hosts, name)) return;
  const char* other = Nodes::in(nodes.switches, name) ? " (it is a switch)"
                      : Nodes::in(nodes.routers, name) ? " (it is a router)"
                                                       : "";
  c.error(c.where(path, fallback),
          fmt::format("{}: '{}' names no host{}{}", path, name, other, other[0] ? "" : did_you_mean(name, nodes.hosts)));
}

void check_work(Ctx& c, const Scenario& s, const Nodes& nodes) {
  std::vector<std::string> conn_ids;
  for (size_t i = 0; i < s.connections.size(); ++i) {
    const ConnectionSpec& cn = s.connections[i];
    conn_ids.push_back(cn.id);
    check_host_ref(c, fmt::format("connections[{}].from", i), cn.loc, cn.from, nodes);
    check_host_ref(c, fmt::format("connections[{}].to", i), cn.loc, cn.to, nodes);
  }
  // Repeat copies c1_0 .. c1_<N-1> share the connections' namespace.
  std::map<std::string, std::string> names;  // id -> what holds it
  for (size_t i = 0; i < s.connections.size(); ++i)
    if (!s.connections[i].id.empty()) names.emplace(s.connections[i].id, fmt::format("connections[{}]", i));
  for (size_t i = 0; i < s.connections.size(); ++i) {
    const ConnectionSpec& cn = s.connections[i];
    if (cn.id.empty() || cn.repeat < 2) continue;
    for (uint32_t k = 0; k < cn.repeat; ++k) {
      const std::string copy = fmt::format("{}_{}", cn.id, k);
      const auto [it, fresh] = names.emplace(copy, fmt::format("connections[{}]", i));
      if (!fresh)
        c.error(c.where(fmt::format("connections[{}].repeat", i), cn.loc),
                fmt::format("connections[{}].repeat: copy '{}' has the id of {}", i, copy, it->second));
    }
  }

  for (size_t i = 0; i < s.workloads.size(); ++i) {
    const WorkloadSpec& w = s.workloads[i];
    if (w.op == "ping") {
      check_host_ref(c, fmt::format("workloads[{}].from", i), w.loc, w.from, nodes);
      continue;
    }
    if (w.conn.empty()) continue;
    const std::string conn_path = fmt::format("workloads[{}].conn", i);
    const ConnectionSpec* cn = nullptr;
    for (const auto& x : s.connections)
      if (x.id == w.conn) cn = &x;
    if (!cn) {
      c.error(c.where(conn_path, w.loc), fmt::format("{}: '{}' names no connection{}", conn_path, w.conn,
                                                     did_you_mean(w.conn, conn_ids)));
      continue;
    }
    const std::string op_path = fmt::format("workloads[{}].op", i);
    const bool stream_op = w.op == "bulk" || w.op == "sink";
    // A sink on an RDMA connection takes the outside peer's Sends; an expose's regions are
    // the outside peer's to Read or Write.
    const bool peer_op = (w.op == "sink" && cn->kind == "rdma") || w.op == "expose";
    if (peer_op && !(cn->outside && cn->outside_is_client && cn->kind == "rdma"))
      c.error(c.where(op_path, w.loc),
              fmt::format("{}: {} on an RDMA connection serves a peer outside the simulation that connects: {} needs "
                          "kind: rdma and the peer's IPv4 address in from",
                          op_path, w.op, cn->id));
    else if (stream_op && !peer_op && cn->kind != "tcp")
      c.error(c.where(op_path, w.loc),
              fmt::format("{}: {} runs on a host-stack connection (kind: tcp), but {} is kind: {}", op_path, w.op,
                          cn->id, cn->kind));
    else if (w.op == "sink" && !cn->outside && !cn->from.empty() && !cn->to.empty())
      c.error(c.where(op_path, w.loc),
              fmt::format("{}: sink reads what a peer outside the simulation sends, but both sides of {} are simulated "
                          "hosts (their bulk already checks every byte)",
                          op_path, cn->id));
    else if (!w.op.empty() && !stream_op && !peer_op && cn->kind != "rdma")
      c.error(c.where(op_path, w.loc),
              fmt::format("{}: {} runs on an RDMA connection (kind: rdma), but {} is kind: {}", op_path, w.op, cn->id,
                          cn->kind));
    if (!w.violate.empty()) {
      std::vector<std::string> others;
      for (size_t k = 0; k < s.workloads.size(); ++k)
        if (k != i && s.workloads[k].conn == w.conn)
          others.push_back(s.workloads[k].id.empty() ? fmt::format("workloads[{}]", k) : s.workloads[k].id);
      if (!others.empty())
        c.error(c.where(fmt::format("workloads[{}].violate", i), w.loc),
                fmt::format("workloads[{}].violate: a violate workload needs a connection of its own (its Terminate "
                            "ends the QP), but {} also {} on {}",
                            i, join(others), others.size() == 1 ? "runs" : "run", w.conn));
    }
  }
  // The exposed regions are told to the peer in the MPA Reply's private data: after the
  // 4-byte IRD/ORD prefix, 16 bytes per region, in 512 bytes at most.
  for (const auto& cn : s.connections) {
    uint64_t regions = 0;
    std::optional<size_t> past;  // the expose workload that goes past the limit
    for (size_t i = 0; i < s.workloads.size(); ++i) {
      const WorkloadSpec& w = s.workloads[i];
      if (w.conn != cn.id || w.op != "expose") continue;
      regions += w.count * w.sizes.size();
      if (regions > kMaxExposedRegions && !past) past = i;
    }
    if (past)
      c.error(c.where(fmt::format("workloads[{}].count", *past), s.workloads[*past].loc),
              fmt::format("workloads[{}].count: connection {} exposes {} regions, more than the {} whose descriptors "
                          "(16 bytes each) fit in the MPA Reply's private data",
                          *past, cn.id, regions, kMaxExposedRegions));
    for (size_t i = 0; i < s.workloads.size(); ++i) {
      const WorkloadSpec& w = s.workloads[i];
      if (w.conn == cn.id && w.op == "sink" && cn.kind == "rdma" && !w.sizes.empty() &&
          w.count > UINT32_MAX / w.sizes.size())
        c.error(c.where(fmt::format("workloads[{}].count", i), w.loc),
                fmt::format("workloads[{}].count: a sink takes at most 4294967295 Sends (count x sizes), got {} x {}",
                            i, w.count, w.sizes.size()));
      if (w.conn != cn.id || w.op != "expose") continue;
      for (size_t k = 0; k < w.sizes.size(); ++k)
        if (w.sizes[k] == 0 || w.sizes[k] > UINT32_MAX) {
          const std::string sp = w.size_sweep ? fmt::format("workloads[{}].size[{}]", i, k) : fmt::format("workloads[{}].size", i);
          c.error(c.where(sp, w.loc), fmt::format("{}: a region the peer is told of has a 32-bit length from 1 byte "
                                                  "to 4 GiB - 1, got {} bytes", sp, w.sizes[k]));
        }
    }
    if (regions > 0 && !cn.mpa.server.private_data.empty())
      c.error(cn.loc, fmt::format("connections '{}': the MPA Reply's private data carries the exposed regions' "
                                  "descriptors, so mpa.private_data (or mpa.server.private_data) cannot be written too",
                                  cn.id));
  }
}

/// Each end of an `rdma` connection is a queue pair on that host's RNIC: a file that asks
/// for more than the RNIC holds (`max_qps`, the profile's or the host's override) is refused
/// here, at the connection that goes past it.
void check_qps(Ctx& c, const Scenario& s) {
  for (size_t h = 0; h < s.hosts.size(); ++h) {
    const HostSpec& host = s.hosts[h];
    const Profile* prof = find_profile(host.rnic.profile);
    if (!prof) continue;  // reported where the profile is read
    std::string text;
    for (const auto& p : prof->params)
      if (p.name == "max_qps") text = p.value;
    const auto ov = host.rnic.overrides.find("max_qps");
    if (ov != host.rnic.overrides.end()) text = ov->second;
    if (text.empty()) continue;
    const uint64_t limit = std::stoull(text);
    uint64_t qps = 0;
    for (size_t i = 0; i < s.connections.size(); ++i) {
      const ConnectionSpec& cn = s.connections[i];
      if (cn.kind != "rdma") continue;
      const uint64_t ends = (cn.from == host.name ? 1u : 0u) + (cn.to == host.name ? 1u : 0u);
      if (ends == 0) continue;
      qps += ends * cn.repeat;
      if (qps <= limit) continue;
      const std::string mq = fmt::format("hosts[{}].rnic.max_qps", h);
      c.error(c.where(fmt::format("connections[{}]", i), cn.loc),
              fmt::format("connections[{}]: host '{}' would hold {} queue pairs by this connection, more than its RNIC "
                          "holds (max_qps {}, {})",
                          i, host.name, qps, limit,
                          c.written(mq) ? fmt::format("written at {}", loc_text(c.where(mq, host.rnic.loc)))
                                        : fmt::format("profile {}", host.rnic.profile)));
      break;
    }
  }
}

/// A connection joins two hosts, and each end must reach the other by its routes: its
/// own prefix, a static route, or its default gateway (Linux's fib lookup; with none of
/// them, connect() fails with ENETUNREACH before a frame leaves). A type-3 RNIC reaches what
/// its own prefix covers, and the host's routes whose gateway is on its own link. A route
/// that exists but leads nowhere (a gateway no one answers for) is the run's to find: the
/// connection ends `unreachable`.
void check_paths(Ctx& c, const Scenario& s) {
  auto mask = [](uint8_t len) { return len == 0 ? 0u : ~0u << (32 - len); };
  auto host = [&](const std::string& name) -> const HostSpec* {
    for (const auto& h : s.hosts)
      if (h.name == name) return &h;
    return nullptr;
  };
  auto routed = [](const HostSpec& h, const Ipv4Prefix& self, Ipv4 dst) { return next_hop(h, self, dst).has_value(); };
  for (size_t i = 0; i < s.connections.size(); ++i) {
    const ConnectionSpec& cn = s.connections[i];
    if (cn.outside) {
      // The simulated side must reach the outside address; the peer's own routes are its own.
      const std::string side = cn.outside_is_client ? cn.to : cn.from;
      const HostSpec* h = host(side);
      const std::string path = fmt::format("connections[{}].{}", i, cn.outside_is_client ? "from" : "to");
      if (!h) continue;
      const Ipv4Prefix self = local_prefix(*h, cn.kind);
      const HostSpec* inside = nullptr;  // the address is a simulated host's own
      for (const auto& x : s.hosts)
        if (x.ip.addr == *cn.outside || (x.rnic.ip && x.rnic.ip->addr == *cn.outside)) inside = &x;
      if (inside)
        c.error(c.where(path, cn.loc),
                fmt::format("{}: {} is host '{}''s own address: a peer outside the simulation has an address no "
                            "simulated host has (name the host to connect two simulated hosts)",
                            path, format_ipv4(*cn.outside), inside->name));
      else if (self.addr != 0 && !routed(*h, self, *cn.outside))
        c.error(c.where(path, cn.loc),
                fmt::format("{}: {} is not on '{}''s prefix {}/{} and '{}' has no route or gateway to it", path,
                            format_ipv4(*cn.outside), side, format_ipv4(self.addr & mask(self.len)), self.len, side));
      bool tap = false;
      for (const auto& l : s.links) tap = tap || !l.ends[0].tap.empty() || !l.ends[1].tap.empty();
      if (!tap)
        c.error(c.where(path, cn.loc),
                fmt::format("{}: {} is outside the simulation, which no link reaches: give a link a `tap:DEVICE` end",
                            path, format_ipv4(*cn.outside)));
      continue;
    }
    const HostSpec* a = host(cn.from);
    const HostSpec* b = host(cn.to);
    if (!a || !b) continue;  // reported by check_work
    const std::string to = fmt::format("connections[{}].to", i);
    if (a == b) {
      c.error(c.where(to, cn.loc),
              fmt::format("{}: '{}' is also the connection's from: a connection joins two hosts (a host's connection "
                          "to itself, over loopback, is not part of the model)",
                          to, cn.to));
      continue;
    }
    const Ipv4Prefix pa = local_prefix(*a, cn.kind), pb = local_prefix(*b, cn.kind);
    if (pa.addr == 0 || pb.addr == 0) continue;  // missing or unreadable, already reported
    auto text = [&](const Ipv4Prefix& p) { return fmt::format("{}/{}", format_ipv4(p.addr & mask(p.len)), p.len); };
    if (!routed(*a, pa, pb.addr))
      c.error(c.where(to, cn.loc),
              fmt::format("{}: '{}' ({}) is not on '{}''s prefix {} and '{}' has no route or gateway to it", to, cn.to,
                          format_ipv4(pb.addr), cn.from, text(pa), cn.from));
    else if (!routed(*b, pb, pa.addr))
      c.error(c.where(to, cn.loc),
              fmt::format("{}: '{}' has no route or gateway back to '{}' ({}, not on its prefix {})", to, cn.to,
                          cn.from, format_ipv4(pa.addr), text(pb)));
  }
}

void check_events(Ctx& c, const Scenario& s, const Nodes& nodes) {
  std::vector<std::string> links;
  for (const auto& l : s.links) links.push_back(l.name);
  for (size_t i = 0; i < s.events.size(); ++i) {
    const EventSpec& e = s.events[i];
    check_host_ref(c, fmt::format("events[{}].host", i), e.loc, e.host, nodes);
    if (!e.link.empty() && !Nodes::in(links, e.link)) {
      const std::string path = fmt::format("events[{}].link", i);
      c.error(c.where(path, e.loc), fmt::format("{}: '{}' names no link{} (links: {})", path, e.link,
                                                did_you_mean(e.link, links), join(links)));
    }
  }
}

}  // namespace

void check_scenario(Ctx& c, Scenario& s, const stats::Node& results) {
  auto name = [](const auto& x) { return x.name; };
  auto id = [](const auto& x) { return x.id; };
  check_unique(c, s.hosts, "hosts", "name", name);
  check_unique(c, s.switches, "switches", "name", name);
  check_unique(c, s.routers, "routers", "name", name);
  check_unique(c, s.links, "links", "name", name);
  check_unique(c, s.connections, "connections", "id", id);
  check_unique(c, s.workloads, "workloads", "id", id);

  Nodes nodes;
  for (const auto& h : s.hosts) nodes.hosts.push_back(h.name);
  for (const auto& x : s.switches) nodes.switches.push_back(x.name);
  for (const auto& r : s.routers) nodes.routers.push_back(r.name);
  check_links(c, s, nodes);
  check_rates(c, s);
  check_addresses(c, s);
  check_routers(c, s);
  check_notify(c, s);
  check_work(c, s, nodes);
  check_qps(c, s);
  check_paths(c, s);
  check_resources(c, s);  // resources.cpp: sizes and region tables
  check_events(c, s, nodes);

  for (size_t i = 0; i < s.expect.size(); ++i) {
    const Expectation& x = s.expect[i];
    if (x.metric.empty()) continue;
    std::string why;
    if (!metric_path_valid(s, results, x.metric, &why)) {
      const std::string path = fmt::format("expect[{}].metric", i);
      c.error(c.where(path, x.loc), fmt::format("{}: '{}' cannot be in results.json: {}", path, x.metric, why));
    }
  }
}

}  // namespace rnicsim::scenario::detail

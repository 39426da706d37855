// What a valid scenario may ask for that the simulator does not simulate yet (exit 4).
#include <cstdint>
#include <algorithm>
#include <functional>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "model/cosim/core.h"
#include "model/proto/tcp/congestion.h"
#include "model/scenario/profiles.h"
#include "model/scenario/units_parse.h"
#include "model/sim/model.h"

namespace rnicsim::sim {

using scenario::Scenario;

std::vector<Unsupported> unsupported_features(const Scenario& s, const RunOptions& o) {
  std::vector<Unsupported> u;
  auto add = [&](const scenario::Loc& l, std::string w) { u.push_back({l, std::move(w)}); };
  for (const auto& h : s.hosts) {
    if (!tcp::make_congestion_control(h.rnic.tcp.cc))
      add(h.rnic.loc, fmt::format("hosts '{}': rnic.tcp.cc '{}' is not simulated yet", h.name, h.rnic.tcp.cc));
    if (!tcp::make_congestion_control(h.tcp.cc))
      add(h.loc, fmt::format("hosts '{}': tcp.cc '{}' is not simulated yet", h.name, h.tcp.cc));
  }
  for (const auto& h : s.hosts) {
    // The ring formats (model/wire/verbs.h): 64-byte send-queue slots, 32-byte CQEs (in a
    // 32- or 64-byte slot), at most 448 inline bytes.
    const scenario::Profile* prof = scenario::find_profile(h.rnic.profile);
    const auto size_of = [&](const std::string& name) -> std::optional<uint64_t> {
      const auto it = h.rnic.overrides.find(name);
      if (it != h.rnic.overrides.end()) return scenario::parse_size(it->second);
      if (prof)
        for (const auto& p : prof->params)
          if (p.name == name) return scenario::parse_size(p.value);
      return std::nullopt;
    };
    if (const auto v = size_of("wqe_size"); v && *v != 64)
      add(h.rnic.loc, fmt::format("hosts '{}': rnic.wqe_size {} bytes: only 64-byte send-queue slots are simulated",
                                  h.name, *v));
    if (const auto v = size_of("cqe_size"); v && *v != 32 && *v != 64)
      add(h.rnic.loc, fmt::format("hosts '{}': rnic.cqe_size {} bytes: only 32- and 64-byte CQEs are simulated",
                                  h.name, *v));
    if (const auto v = size_of("max_inline"); v && *v > 448)
      add(h.rnic.loc, fmt::format("hosts '{}': rnic.max_inline {} bytes: a WQE holds at most 448 inline bytes",
                                  h.name, *v));
  }
  for (const auto& h : s.hosts) {
    const std::string mode = o.placement.empty() ? h.rnic.placement : o.placement;
    auto it = h.rnic.overrides.find("max_regions");
    if (mode != "model" && it != h.rnic.overrides.end() && std::stoull(it->second) > cosim::regs::kRegionEntries)
      add(h.rnic.loc, fmt::format("hosts '{}': max_regions {} in placement '{}': the RTL core's table holds {} regions",
                                  h.name, it->second, mode, cosim::regs::kRegionEntries));
  }
  // One listening socket per server port: two connections may not share one. An `rdma`
  // and a `tcp` connection listen in two stacks (the RNIC's and the host's): the second
  // bind fails (port_space: shared) or both listen and collide (split).
  // One note per shared port, not per pair: the first connection that overlaps an earlier
  // one opens a group, and every later one overlapping a member joins it.
  {
    struct Group {
      size_t first, second, more = 0;
      uint32_t port;
    };
    std::vector<Group> groups;
    std::vector<size_t> group_of(s.connections.size(), SIZE_MAX);
    for (size_t i = 0; i < s.connections.size(); ++i)
      for (size_t j = 0; j < i; ++j) {
        const auto& a = s.connections[i];
        const auto& b = s.connections[j];
        // A connection to a peer outside listens on nothing simulated.
        if ((a.outside && !a.outside_is_client) || (b.outside && !b.outside_is_client)) continue;
        if (a.to != b.to || a.kind != b.kind) continue;
        const uint32_t a0 = a.port, a1 = a.port + a.repeat - 1, b0 = b.port, b1 = b.port + b.repeat - 1;
        if (a1 < b0 || b1 < a0) continue;
        if (group_of[j] == SIZE_MAX) {
          group_of[j] = group_of[i] = groups.size();
          groups.push_back({j, i, 0, std::max(a0, b0)});
        } else {
          group_of[i] = group_of[j];
          ++groups[group_of[j]].more;
        }
        break;
      }
    for (const Group& g : groups) {
      const auto& a = s.connections[g.second];
      add(a.loc, fmt::format("connections '{}' and '{}'{} listen on {} port {}: one listening socket serving "
                             "several connections is not simulated yet",
                             s.connections[g.first].id, a.id,
                             g.more ? fmt::format(" (and {} more)", g.more) : std::string(" both"), a.to, g.port));
    }
  }
  // Switches forward without a spanning tree: a loop of switches would flood forever.
  {
    std::map<std::string, std::string> parent;
    for (const auto& sw : s.switches) parent[sw.name] = sw.name;
    std::function<std::string(const std::string&)> root = [&](const std::string& x) {
      return parent[x] == x ? x : parent[x] = root(parent[x]);
    };
    for (const auto& l : s.links) {
      if (!parent.count(l.ends[0].node) || !parent.count(l.ends[1].node)) continue;
      const std::string a = root(l.ends[0].node), b = root(l.ends[1].node);
      if (a == b)
        add(l.loc, fmt::format("links '{}': it closes a loop of switches; switches without a spanning tree are "
                               "simulated, loops are not yet", l.name));
      else
        parent[a] = b;
    }
  }
  const std::vector<std::string> ops = {"write",    "read",      "send",     "send_se",  "send_inv", "send_se_inv", "fetch_add",
                                        "cmp_swap", "write_lat", "read_lat", "send_lat", "bulk",     "sink",     "expose",   "ping"};
  for (const auto& w : s.workloads) {
    if (std::find(ops.begin(), ops.end(), w.op) == ops.end()) {
      add(w.loc, fmt::format("workloads '{}': op '{}' is not simulated yet (write, read, send, send_se, send_inv, "
                             "send_se_inv, fetch_add, cmp_swap, write_lat, read_lat, send_lat, bulk, sink, expose, ping are)", w.id, w.op));
      continue;
    }
    if (w.op != "bulk" && w.op != "sink" && w.op != "expose" && w.op != "ping") {
      // A work request's length is 32 bits (the WQE's total length, ibv_sge's length).
      for (const uint64_t sz : w.sizes)
        if (sz > UINT32_MAX) {
          add(w.loc, fmt::format("workloads '{}': a {}-byte {} is not simulated (a work request carries at most "
                                 "4294967295 bytes: the WQE's and ibv_sge's 32-bit length)",
                                 w.id, sz, w.op));
          break;
        }
    }
    if (is_latency_op(w.op)) {
      // The perftest latency tools run one operation at a time, on buffers that hold data.
      if (w.depth != 1)
        add(w.loc, fmt::format("workloads '{}': op {} with depth {} is not simulated yet (a ping-pong runs at depth 1)",
                               w.id, w.op, w.depth));
      if (std::find(w.sizes.begin(), w.sizes.end(), uint64_t{0}) != w.sizes.end())
        add(w.loc, fmt::format("workloads '{}': op {} of 0 bytes is not simulated yet (there is no last byte to poll)",
                               w.id, w.op));
    }
    if ((w.op == "bulk" || w.op == "sink") && std::find(w.sizes.begin(), w.sizes.end(), uint64_t{0}) != w.sizes.end())
      add(w.loc, fmt::format("workloads '{}': op {} of 0 bytes is not simulated yet (a transfer completes when its "
                             "last byte is acknowledged; an empty one has none)", w.id, w.op));
    if (w.op == "send_lat")
      for (const auto& other : s.workloads)
        if (&other != &w && other.conn == w.conn && other.op.rfind("send", 0) == 0) {
          // Receives are consumed in order: two workloads would take each other's.
          add(w.loc, fmt::format("workloads '{}': send_lat beside another Send workload ('{}') on connection '{}' "
                                 "is not simulated yet", w.id, other.id, w.conn));
          break;
        }
    // Send with Invalidate registers one region per operation (the table holds 4095).
    uint32_t copies = 1;
    for (const auto& c : s.connections)
      if (c.id == w.conn) copies = c.repeat;
    if ((w.op == "send_inv" || w.op == "send_se_inv") && w.count * w.sizes.size() * copies > 2048)
      add(w.loc, fmt::format("workloads '{}': more than 2048 Sends with Invalidate (one region each) are not "
                             "simulated yet", w.id));
  }
  for (const auto& c : s.connections) {
    int bulk = 0, sink = 0;
    for (const auto& w : s.workloads) {
      if (w.conn == c.id && w.op == "bulk" && ++bulk == 2)
        add(w.loc, fmt::format("workloads '{}': a second bulk workload on connection '{}' (one byte stream) is not simulated yet", w.id, c.id));
      if (w.conn == c.id && w.op == "sink" && ++sink == 2)
        add(w.loc, fmt::format("workloads '{}': a second sink workload on connection '{}' (one byte stream) is not simulated yet", w.id, c.id));
    }
    if (c.outside && c.kind == "rdma" && !c.outside_is_client)
      add(c.loc, fmt::format("connections '{}': an RDMA connection from a simulated host to a peer outside the "
                             "simulation is not simulated yet (the peer connecting is: its address in from)", c.id));
    if (c.outside && c.outside_is_client && c.kind == "rdma") {
      // The peer opens the connection, from a port of its own, and as the active side it
      // is the one to close it.
      const size_t ci = static_cast<size_t>(&c - s.connections.data());
      for (const char* key : {"at", "src_port", "disconnect"})
        if (s.written.count(fmt::format("connections[{}].{}", ci, key)))
          add(s.written.at(fmt::format("connections[{}].{}", ci, key)),
              fmt::format("connections '{}': {} on an RDMA connection the outside peer opens is not simulated yet",
                          c.id, key));
    }
    if (c.outside && c.kind == "rdma")
      for (const auto& w : s.workloads)
        if (w.conn == c.id && w.op != "expose" && w.op != "sink")
          add(w.loc, fmt::format("workloads '{}': op: {} toward a peer outside the simulation is not simulated yet "
                                 "(expose and sink are: the peer Writes, Reads and Sends)", w.id, w.op));
  }
  return u;
}

}  // namespace rnicsim::sim

#include "model/scenario/resources.h"

#include <algorithm>
#include <charconv>
#include <map>

#include <fmt/format.h>

#include "model/scenario/profiles.h"
#include "model/scenario/topology.h"
#include "model/scenario/walk.h"

namespace rnicsim::scenario {
namespace {

constexpr uint64_t kPage = 4096;
/// A page written: its 4 KiB, the heap block's header and its node in the page map.
constexpr uint64_t kPageWritten = kPage + 64;
/// A page allocated, written or not: its entry in the buffer's page list, in the region's
/// copy of it and in the allocator's map of used frames.
constexpr uint64_t kPageAllocated = 64;
/// Guard pages on each side of a target buffer (model/sim/workload.cpp).
constexpr uint64_t kGuard = 2 * kPage;
/// An `rdma` connection's state at both ends (two QPs, two offloaded TCP connections with
/// their queues, the iw_cm and firmware records, the send queue gates), measured.
constexpr uint64_t kRdmaConnection = 48 * KiB;
/// A `tcp` connection (host stacks at both ends, the bulk sink).
constexpr uint64_t kTcpConnection = 16 * KiB;
/// The stdio buffer of a host's capture file (model/sim/outputs.cpp, PcapWriter).
constexpr uint64_t kCaptureBuffer = 256 * KiB;
/// A host: its RNIC's blocks and tables, its stack, its capture writer (192 KiB,
/// measured) and that writer's buffer.
constexpr uint64_t kHost = 192 * KiB + kCaptureBuffer;
/// A switch, router or link.
constexpr uint64_t kNode = 16 * KiB;
/// One latency sample kept per operation completed (a vector that may double).
constexpr uint64_t kSample = 16;
/// An operation outstanding (posted, not yet completed): its work request in the send
/// queue, its pending events and the runner's record of it, measured at depth 65536.
constexpr uint64_t kOutstanding = 384;
/// A ping request posted and not yet answered or timed out.
constexpr uint64_t kPingRequest = 640;

uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }
uint64_t sat_mul(uint64_t a, uint64_t b) { return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b; }
uint64_t pages(uint64_t bytes) { return bytes / kPage + (bytes % kPage ? 1 : 0); }

/// A buffer of `alloc` bytes of which `written` are written (page lists for the first,
/// pages for the second; a piece not page-aligned may touch one page more).
uint64_t buffer(uint64_t alloc, uint64_t written) {
  return sat_add(sat_mul(pages(alloc), kPageAllocated), sat_mul(written ? pages(written) + 1 : 0, kPageWritten));
}

uint64_t size_of_largest(const WorkloadSpec& w) {
  return w.sizes.empty() ? 0 : std::max<uint64_t>(1, *std::max_element(w.sizes.begin(), w.sizes.end()));
}

bool is_send(const std::string& op) { return op.rfind("send", 0) == 0 && op != "send_lat"; }

/// At most as many operations complete as minimum-size frames (84 bytes on the wire with
/// preamble and gap) fit into `stop.after` at the fastest link's rate (100 Gb/s when no
/// link says): a count far beyond that posts no more than the run has time for.
uint64_t op_bound(const Scenario& s) {
  uint64_t bps = 0;
  for (const auto& l : s.links)
    if (l.rate) bps = std::max(bps, l.rate->bps);
  if (bps == 0) bps = 100'000'000'000ull;
  const double ops = static_cast<double>(s.stop_after.ps) * 1e-12 * static_cast<double>(bps) / (84.0 * 8.0);
  return ops >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(ops) + 1;
}

/// One copy of workload `w` (on one connection copy), without the receiver of its Sends;
/// `max_ops` bounds the operations that can complete in the run.
uint64_t workload_copy(const WorkloadSpec& w, uint64_t max_ops) {
  if (w.sizes.empty()) return 0;
  const uint64_t size = std::max<uint64_t>(1, *std::max_element(w.sizes.begin(), w.sizes.end()));
  const uint64_t alloc = sat_mul(size, w.depth);
  const uint64_t used = sat_mul(size, std::min<uint64_t>(w.depth, w.count));
  const uint64_t ops = std::min(sat_mul(w.count, w.sizes.size()), max_ops);
  const uint64_t samples = sat_add(sat_mul(ops, kSample), sat_mul(std::min<uint64_t>(w.depth, w.count), kOutstanding));
  uint64_t b = 0;
  if (w.op == "write" || w.op == "read") {
    b = sat_add(buffer(alloc, used), buffer(sat_add(alloc, kGuard), used));
  } else if (w.op == "fetch_add" || w.op == "cmp_swap") {
    b = sat_add(buffer(8 + kGuard, 8), buffer(8 * uint64_t{w.depth} + kGuard, 8 * std::min<uint64_t>(w.depth, w.count)));
  } else if (is_send(w.op)) {
    b = buffer(alloc, used);
    // send_inv: a page-sized region of the target's for each operation, never written.
    if (w.op == "send_inv" || w.op == "send_se_inv") b = sat_add(b, sat_mul(ops, kPageAllocated));
  } else if (w.op == "write_lat") {
    b = sat_mul(2, sat_add(buffer(size, size), buffer(size + kGuard, size)));
  } else if (w.op == "send_lat") {
    b = sat_mul(2, sat_add(buffer(size, size), buffer(2 * size + kGuard, 2 * size)));
  } else if (w.op == "read_lat") {
    b = sat_add(buffer(size, size), buffer(size + kGuard, size));
  } else if (w.op == "expose") {
    // Each region between guard pages, every byte filled (the stream, or the guard byte).
    for (uint64_t sz : w.sizes) b = sat_add(b, sat_mul(w.count, buffer(sat_add(sz, kGuard), sat_add(sz, kGuard))));
  }
  return sat_add(b, samples);
}

std::string size_path(const WorkloadSpec& w, size_t i) {
  const std::string base = fmt::format("workloads[{}].size", i);
  if (!w.size_sweep) return base;
  const auto it = std::max_element(w.sizes.begin(), w.sizes.end());
  return fmt::format("{}[{}]", base, it - w.sizes.begin());
}

Loc where(const Scenario& s, const std::string& path, const std::string& parent, const Loc& fallback) {
  for (const std::string& p : {path, parent}) {
    const auto it = s.written.find(p);
    if (it != s.written.end()) return it->second;
  }
  return fallback;
}

/// A profile parameter of host `h` as a count (its override, else the profile's).
std::optional<uint64_t> profile_count(const HostSpec& h, const std::string& name) {
  auto count = [](const std::string& t) -> std::optional<uint64_t> {
    uint64_t v = 0;
    const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
    if (r.ec != std::errc() || r.ptr != t.data() + t.size()) return std::nullopt;  // reported where it is read
    return v;
  };
  const auto ov = h.rnic.overrides.find(name);
  if (ov != h.rnic.overrides.end()) return count(ov->second);
  if (const Profile* p = find_profile(h.rnic.profile))
    for (const auto& q : p->params)
      if (q.name == name) return count(q.value);
  return std::nullopt;
}

}  // namespace

std::string format_bytes(uint64_t b) {
  for (const auto& [unit, name] : {std::pair{GiB, "GiB"}, std::pair{MiB, "MiB"}}) {
    if (b < unit) continue;
    if (b % unit == 0) return fmt::format("{} {}", b / unit, name);
    return fmt::format("{:.1f} {}", static_cast<double>(b) / static_cast<double>(unit), name);
  }
  return fmt::format("{} KiB", (b + KiB - 1) / KiB);
}

MemoryEstimate estimate_memory(const Scenario& s) {
  MemoryEstimate e;
  auto add = [&e](uint64_t bytes, const std::string& key, const Loc& loc) {
    e.bytes = sat_add(e.bytes, bytes);
    if (bytes > e.key_bytes) e = {e.bytes, key, loc, bytes};
  };
  add(sat_mul(s.hosts.size(), kHost), "hosts", s.hosts.empty() ? Loc{s.file, 1, 1} : s.hosts.front().loc);
  e.bytes = sat_add(e.bytes, sat_mul(s.switches.size() + s.routers.size() + s.links.size(), kNode));
  std::map<std::string, size_t> conn_index;
  for (size_t i = 0; i < s.connections.size(); ++i) conn_index[s.connections[i].id] = i;
  // A connection whose next hop no one answers for ends `unreachable` before its workloads
  // start: they register and write nothing.
  const Segments segments(s);
  std::vector<bool> dead(s.connections.size());
  for (size_t i = 0; i < s.connections.size(); ++i) dead[i] = dead_next_hop(s, segments, s.connections[i]).has_value();
  // Per connection: its state and the receiver of its Sends: slots of the largest Send,
  // one per Send up to rq_depth. A slot's whole pages go back to the guard byte, and cost
  // nothing, once its Send is checked (model/mem/host_memory.h): at once they hold the
  // Sends placed and not yet checked, taken as twice those outstanding (placement may lag
  // the ACKs), each the pages its bytes cover in two pieces. A slot that does not end on
  // a page boundary keeps its partial edge pages once written.
  for (size_t i = 0; i < s.connections.size(); ++i) {
    const ConnectionSpec& cn = s.connections[i];
    uint64_t slot = 0, sends = 0, outstanding = 0;
    for (const auto& w : s.workloads) {
      if (dead[i] || w.conn != cn.id || !is_send(w.op) || w.sizes.empty()) continue;
      slot = std::max(slot, *std::max_element(w.sizes.begin(), w.sizes.end()));
      sends = sat_add(sends, sat_mul(w.count, w.sizes.size()));
      outstanding = sat_add(outstanding, 2 * uint64_t{w.depth});
    }
    const uint64_t slots = std::min<uint64_t>(sends, cn.rq_depth);
    slot = std::max<uint64_t>(1, slot);
    const uint64_t area = sat_add(sat_mul(slot, slots), kGuard);
    const uint64_t live = sat_mul(std::min(slots, outstanding), pages(slot) + 1);
    const uint64_t edges = slot % kPage ? std::min(sat_mul(2, slots), pages(area)) : 0;
    const uint64_t recv = slots ? sat_add(sat_mul(pages(area), kPageAllocated), sat_mul(sat_add(live, edges), kPageWritten)) : 0;
    const uint64_t one = sat_add(cn.kind == "rdma" ? kRdmaConnection : kTcpConnection, recv);
    const std::string path = fmt::format("connections[{}]", i);
    add(sat_mul(one, cn.repeat), s.written.count(path + ".repeat") ? path + ".repeat" : path,
        where(s, path + ".repeat", path, cn.loc));
  }
  for (size_t i = 0; i < s.workloads.size(); ++i) {
    const WorkloadSpec& w = s.workloads[i];
    const auto it = conn_index.find(w.conn);
    if (it != conn_index.end() && dead[it->second]) continue;
    const uint64_t copies = it == conn_index.end() ? 1 : s.connections[it->second].repeat;
    const std::string path = size_path(w, i);
    uint64_t one = workload_copy(w, op_bound(s));
    if (w.op == "sink" && it != conn_index.end() && s.connections[it->second].kind == "rdma") {
      // The peer's Sends: one receive buffer of the largest size per receive posted at once
      // (qp.rq_depth at most), between guard pages, every byte filled.
      const uint64_t messages = sat_mul(w.count, w.sizes.size());
      const uint64_t bytes = sat_add(sat_mul(size_of_largest(w), std::min<uint64_t>(messages, s.connections[it->second].rq_depth)), kGuard);
      one = sat_add(one, buffer(bytes, bytes));
    }
    if (w.op == "bulk" && it != conn_index.end()) {
      // The sender writes as fast as its send buffer takes bytes: it stays full (a stream
      // shorter than the buffer fills it only so far).
      uint64_t stream = 0;
      for (uint64_t sz : w.sizes) stream = sat_add(stream, sat_mul(sz, w.count));
      const ConnectionSpec& cn = s.connections[it->second];
      const std::string& sender = cn.outside && cn.outside_is_client ? cn.to : cn.from;
      for (const auto& h : s.hosts)
        if (h.name == sender) one = sat_add(one, std::min(stream, h.tcp.sndbuf));
    }
    if (w.op == "ping") {
      // Each request in the host's queue (its timer, its record, the echo it waits for),
      // measured at 3,000,000 requests posted at once: as many as the interval lets be
      // posted before stop.after.
      const uint64_t requests = sat_mul(w.count, std::max<size_t>(1, w.sizes.size()));
      const uint64_t posted = w.interval.ps > 0 ? std::min<uint64_t>(requests, static_cast<uint64_t>(s.stop_after.ps / w.interval.ps) + 1)
                                                : requests;
      const std::string count_path = fmt::format("workloads[{}].count", i);
      add(sat_add(one, sat_mul(posted, kPingRequest)), count_path, where(s, count_path, path, w.loc));
      continue;
    }
    add(sat_mul(one, copies), path, where(s, path, fmt::format("workloads[{}].size", i), w.loc));
  }
  return e;
}

std::optional<Diagnostic> check_memory(const Scenario& s, uint64_t limit) {
  const MemoryEstimate e = estimate_memory(s);
  if (e.bytes <= limit) return std::nullopt;
  return Diagnostic{e.loc, fmt::format("{}: the scenario needs {} of memory, {} of it by this key (limit {}, "
                                       "--max-memory)",
                                       e.key, format_bytes(e.bytes), format_bytes(e.key_bytes), format_bytes(limit))};
}

namespace detail {

void check_resources(Ctx& c, const Scenario& s) {
  for (size_t i = 0; i < s.workloads.size(); ++i) {
    const WorkloadSpec& w = s.workloads[i];
    for (size_t k = 0; k < w.sizes.size(); ++k) {
      if (w.sizes[k] <= kMaxWorkloadSize) continue;
      const std::string path =
          w.size_sweep ? fmt::format("workloads[{}].size[{}]", i, k) : fmt::format("workloads[{}].size", i);
      c.error(c.where(path, w.loc), fmt::format("{}: {} bytes is more than a workload's largest size (1 TiB)", path,
                                                w.sizes[k]));
    }
  }
  // Regions each host registers, connection by connection in file order: on the
  // initiator a source or sink per workload, on the target its sink or source, a receive
  // area per connection with Sends, and one region per send_inv operation.
  for (size_t h = 0; h < s.hosts.size(); ++h) {
    const HostSpec& host = s.hosts[h];
    const std::optional<uint64_t> limit = profile_count(host, "max_regions");
    if (!limit) continue;
    uint64_t regions = 0;
    for (size_t i = 0; i < s.connections.size(); ++i) {
      const ConnectionSpec& cn = s.connections[i];
      if (cn.kind != "rdma" || (cn.from != host.name && cn.to != host.name)) continue;
      uint64_t per_copy = 0;
      bool sends = false;
      for (const auto& w : s.workloads) {
        if (w.conn != cn.id) continue;
        const bool lat = w.op == "write_lat" || w.op == "send_lat";
        if (cn.from == host.name) per_copy += w.op == "read_lat" ? 1 : lat ? 2 : w.op == "ping" ? 0 : 1;
        if (cn.to == host.name) {
          if (is_send(w.op)) {
            sends = true;
            if (w.op == "send_inv" || w.op == "send_se_inv") per_copy = sat_add(per_copy, sat_mul(w.count, w.sizes.size()));
          } else if (w.op != "ping") {
            per_copy += lat ? 2 : 1;
          }
        }
      }
      if (sends && cn.to == host.name) ++per_copy;
      regions = sat_add(regions, sat_mul(per_copy, cn.repeat));
      if (regions <= *limit) continue;
      const std::string mr = fmt::format("hosts[{}].rnic.max_regions", h);
      const std::string conn = fmt::format("connections[{}]", i);
      const std::string path = c.written(conn + ".repeat") ? conn + ".repeat" : conn;
      c.error(c.where(path, cn.loc),
              fmt::format("{}: host '{}' would hold {} memory regions by this connection's workloads, more than "
                          "its RNIC's region table holds (max_regions {}, {})",
                          path, host.name, regions, *limit,
                          c.written(mr) ? fmt::format("written at {}:{}:{}", c.where(mr, host.rnic.loc).file,
                                                      c.where(mr, host.rnic.loc).line, c.where(mr, host.rnic.loc).col)
                                        : fmt::format("profile {}", host.rnic.profile)));
      break;
    }
  }
}

}  // namespace detail
}  // namespace rnicsim::scenario

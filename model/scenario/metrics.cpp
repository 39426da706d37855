// metric_path_valid: which paths a results.json of a scenario can hold (results-format.md).
#include <fmt/format.h>

#include <algorithm>

#include "model/scenario/loader.h"
#include "model/scenario/suggest.h"
#include "model/scenario/walk.h"

namespace rnicsim::scenario {
namespace {

/// A key of results.json: a figure (no children), a group, or both (`terminate` is null
/// or an object).
struct Field {
  std::string name;
  std::vector<Field> children;
  bool is_value = false;  ///< a group that is also a value in itself
};

Field leaf(const char* n) { return Field{n, {}, false}; }
Field group(const char* n, std::initializer_list<const char*> names, bool is_value = false) {
  Field f{n, {}, is_value};
  for (const char* c : names) f.children.push_back(leaf(c));
  return f;
}

const std::vector<Field>& workload_fields() {
  static const std::vector<Field> f = {
      leaf("op"),           leaf("size"),         leaf("completed"),   leaf("errors"),
      leaf("bytes"),        leaf("goodput_gbps"), leaf("msg_rate_mps"), leaf("data_intact"),
      group("latency_ns", {"min", "p50", "p99", "max", "avg"}),
  };
  return f;
}

const std::vector<Field>& connection_fields() {
  static const std::initializer_list<const char*> tcp = {"segments_tx", "segments_rx", "retransmits", "fast_retransmits",
                                                         "timeouts",    "srtt_ns",     "cwnd_max_bytes", "mss",
                                                         "sack_retransmits", "rto_retransmits", "dup_acks_rx",
                                                         "ooo_segments_rx", "persist_probes", "ecn_ce_rx",
                                                         "ecn_reductions", "rack_lost", "tlp_probes", "rto_ns"};
  static const std::vector<Field> f = [] {
    Field mpa = group("mpa", {"revision", "crc", "crc_errors"});
    mpa.children.push_back(group("markers", {"to_server", "to_client"}));
    return std::vector<Field>{leaf("state"), group("qp_state", {"client", "server"}), group("tcp", tcp),
                              group("server_tcp", tcp), mpa,
                              group("terminate", {"layer", "etype", "code", "name", "sent_by"}, true)};
  }();
  return f;
}

const std::vector<Field>& host_fields() {
  static const std::vector<Field> f = [] {
    Field rnic{"rnic", {}, false};
    rnic.children = {group("mac", {"frames_tx", "frames_rx", "bytes_tx", "bytes_rx", "fcs_errors", "stale_l2_frames"}),
                     group("dma", {"read_tlps", "write_tlps", "read_bytes", "write_bytes"}),
                     [] {
                       Field p = group("placement", {"segments", "bytes", "violations", "cosim_mismatches", "rtl_cycles", "mode"});
                       p.children.push_back(group("timing_error_ns", {"count", "min", "p50", "p99", "max", "avg"}));
                       return p;
                     }(),
                     group("firmware", {"commands", "netevents_handled", "busy_ns"}),
                     group("engine", {"fpdus_tx", "fpdus_rx", "wqes", "cqes", "read_requests_rx", "read_responses_tx",
                                      "atomic_requests_rx", "atomic_responses_tx", "direct_placements", "direct_bytes",
                                      "untagged_bytes_placed", "terminates_tx", "terminates_rx"})};
    return std::vector<Field>{rnic,
                              group("host_if", {"netevents_to_rnic", "events_to_host", "port_conflicts", "netfilter_drops"})};
  }();
  return f;
}

const std::vector<Field>& link_fields() {
  static const std::vector<Field> f = {leaf("frames"), leaf("drops"), leaf("corrupted"), leaf("reordered")};
  return f;
}

const std::vector<Field>& switch_fields() {
  static const std::vector<Field> f = {leaf("frames_rx"), leaf("frames_tx"),  leaf("drops"),          leaf("ecn_marked"),
                                       leaf("fcs_errors"), leaf("flooded"),   leaf("queue_max_bytes"), leaf("ports")};
  return f;
}

const std::vector<Field>& switch_port_fields() {
  static const std::vector<Field> f = {leaf("frames_tx"), leaf("drops"), leaf("ecn_marked"), leaf("queue_max_bytes"),
                                       leaf("queue_avg_bytes")};
  return f;
}

std::vector<std::string> names_of(const std::vector<Field>& fields) {
  std::vector<std::string> out;
  for (const auto& f : fields) out.push_back(f.name);
  return out;
}

bool fail(std::string* why, std::string text) {
  if (why) *why = std::move(text);
  return false;
}

/// Checks `parts[from..]` against `fields`; `where` names the parent for messages.
bool check_fields(const std::vector<std::string>& parts, size_t from, const std::vector<Field>& fields,
                  const std::string& where, std::string* why) {
  if (from >= parts.size())
    return fail(why, fmt::format("{} is a group: name one of its fields ({})", where, detail::join(names_of(fields))));
  const std::string& name = parts[from];
  for (const auto& f : fields) {
    if (f.name != name) continue;
    if (f.children.empty()) {
      if (from + 1 == parts.size()) return true;
      return fail(why, fmt::format("{}.{} is a figure: it has no field '{}'", where, name, parts[from + 1]));
    }
    if (from + 1 == parts.size() && f.is_value) return true;
    return check_fields(parts, from + 1, f.children, where + "." + name, why);
  }
  return fail(why, fmt::format("{} has no field '{}'{} (fields: {})", where, name,
                               detail::did_you_mean(name, names_of(fields)), detail::join(names_of(fields))));
}

bool unknown_id(std::string* why, const char* kind, const std::string& id, const std::vector<std::string>& ids) {
  return fail(why, fmt::format("no {} '{}' in this scenario{}{}", kind, id, detail::did_you_mean(id, ids),
                               ids.empty() ? "" : fmt::format(" ({}s: {})", kind, detail::join(ids))));
}

}  // namespace

bool metric_path_valid(const Scenario& s, const std::string& metric, std::string* why) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = metric.find('.', start);
    parts.push_back(metric.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  for (const auto& p : parts)
    if (p.empty()) return fail(why, "a metric path is keys joined by single dots, like workloads.w1.completed");

  const std::vector<std::string> plain = {"scenario", "seed", "passed", "sim_time_ns", "wall_time_s", "events_processed"};
  const std::vector<std::string> tops = {"scenario",  "seed",      "passed",      "sim_time_ns", "wall_time_s",
                                         "events_processed", "workloads", "connections", "hosts", "links", "switches"};
  const std::string& top = parts[0];
  if (std::find(plain.begin(), plain.end(), top) != plain.end()) {
    if (parts.size() == 1) return true;
    return fail(why, fmt::format("{} is a figure: it has no field '{}'", top, parts[1]));
  }
  if (top == "expectations") return fail(why, "expectations are the outcome of these checks, not a figure to expect");
  if (std::find(tops.begin(), tops.end(), top) == tops.end())
    return fail(why, fmt::format("results.json has no '{}'{} (top level: {})", top, detail::did_you_mean(top, tops),
                                 detail::join(tops)));
  if (parts.size() < 2) return fail(why, fmt::format("{} holds one entry per id: name one, as in {}.<id>.<field>", top, top));
  const std::string& id = parts[1];
  const std::string where = top + "." + id;

  if (top == "workloads") {
    std::vector<std::string> ids;
    const WorkloadSpec* w = nullptr;
    for (const auto& x : s.workloads) {
      ids.push_back(x.id);
      if (x.id == id) w = &x;
    }
    if (!w) return unknown_id(why, "workload", id, ids);
    if (parts.size() > 2 && parts[2] == "by_size") {
      if (!w->size_sweep)
        return fail(why, fmt::format("{} has one size, so no by_size (that comes with a list of sizes)", where));
      std::vector<std::string> sizes;
      for (uint64_t b : w->sizes) sizes.push_back(std::to_string(b));
      if (parts.size() < 4)
        return fail(why, fmt::format("{}.by_size holds one entry per size in bytes ({})", where, detail::join(sizes)));
      if (std::find(sizes.begin(), sizes.end(), parts[3]) == sizes.end())
        return fail(why, fmt::format("{}.by_size has no size '{}': its sizes in bytes are {}", where, parts[3],
                                     detail::join(sizes)));
      return check_fields(parts, 4, workload_fields(), where + ".by_size." + parts[3], why);
    }
    return check_fields(parts, 2, workload_fields(), where, why);
  }
  if (top == "connections") {
    std::vector<std::string> ids;
    for (const auto& cn : s.connections) {
      // A repeated connection exists only as its copies: results.json has no entry for the
      // base id.
      if (cn.repeat > 1) {
        if (cn.id == id)
          return fail(why, fmt::format("connection '{}' is repeated (repeat: {}): results hold its copies {}_0 .. {}_{}, "
                                       "name one of them",
                                       id, cn.repeat, id, id, cn.repeat - 1));
        for (uint32_t i = 0; i < cn.repeat; ++i) ids.push_back(fmt::format("{}_{}", cn.id, i));
      } else {
        ids.push_back(cn.id);
      }
    }
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
      std::vector<std::string> base;
      for (const auto& cn : s.connections) base.push_back(cn.id);
      return unknown_id(why, "connection", id, base);
    }
    return check_fields(parts, 2, connection_fields(), where, why);
  }
  if (top == "hosts") {
    std::vector<std::string> ids;
    for (const auto& h : s.hosts) ids.push_back(h.name);
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) return unknown_id(why, "host", id, ids);
    return check_fields(parts, 2, host_fields(), where, why);
  }
  if (top == "switches") {
    std::vector<std::string> ids;
    const SwitchSpec* sw = nullptr;
    for (const auto& x : s.switches) {
      ids.push_back(x.name);
      if (x.name == id) sw = &x;
    }
    if (!sw) return unknown_id(why, "switch", id, ids);
    if (parts.size() > 2 && parts[2] == "ports") {
      // One entry per port, named by the link that ends there.
      std::vector<std::string> ports;
      for (const auto& l : s.links)
        for (const auto& e : l.ends)
          if (e.node == id) ports.push_back(l.name);
      if (parts.size() < 4)
        return fail(why, fmt::format("{}.ports holds one entry per port, named by its link ({})", where, detail::join(ports)));
      if (std::find(ports.begin(), ports.end(), parts[3]) == ports.end())
        return fail(why, fmt::format("{}.ports has no port '{}'{} (ports: {})", where, parts[3],
                                     detail::did_you_mean(parts[3], ports), detail::join(ports)));
      return check_fields(parts, 4, switch_port_fields(), where + ".ports." + parts[3], why);
    }
    return check_fields(parts, 2, switch_fields(), where, why);
  }
  std::vector<std::string> ids;
  for (const auto& l : s.links) ids.push_back(l.name);
  if (std::find(ids.begin(), ids.end(), id) == ids.end()) return unknown_id(why, "link", id, ids);
  return check_fields(parts, 2, link_fields(), where, why);
}

}  // namespace rnicsim::scenario

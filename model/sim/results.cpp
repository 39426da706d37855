// results.json's figures (results-format.md): the stats groups of every block, placed in
// one tree per run, host, link, switch, router, connection and workload. The same tree, built
// without a model, is the schema of `expect` paths and the listing of `rnicsim stats`.
#include <algorithm>
#include <cmath>
#include <optional>

#include <nlohmann/json.hpp>

#include "model/common/address.h"
#include "model/sim/model.h"

namespace rnicsim::sim {
namespace {

using stats::Absent;
using stats::Empty;
using stats::Group;
using stats::Key;
using stats::Unit;

/// The run as a whole.
struct RunView {
  const Model* m;
  const RunFigures* f;
};

// ------------------------------------------------------------------ workloads

/// A workload's figures at one size (or over all its sizes: size 0 for a list).
struct SizeView {
  std::string op;
  uint64_t size = 0;
  SizeFigures f;
};

struct WorkloadView {
  SizeView all;
  std::vector<SizeView> by_size;  ///< with a list of sizes only
};

void merge(SizeFigures& into, const SizeFigures& f) {
  into.completed += f.completed;
  into.errors += f.errors;
  into.unfinished += f.unfinished;
  into.in_flight += f.in_flight;
  into.verified += f.verified;
  into.bytes += f.bytes;
  if (f.first_post.ps >= 0 && (into.first_post.ps < 0 || f.first_post < into.first_post)) into.first_post = f.first_post;
  if (f.last_completion > into.last_completion) into.last_completion = f.last_completion;
  into.latencies_ns.insert(into.latencies_ns.end(), f.latencies_ns.begin(), f.latencies_ns.end());
  into.posts_ps.insert(into.posts_ps.end(), f.posts_ps.begin(), f.posts_ps.end());
  into.completions_ps.insert(into.completions_ps.end(), f.completions_ps.begin(), f.completions_ps.end());
  into.data_intact = into.data_intact && f.data_intact;
}

/// Every copy's figures merged, per size.
WorkloadView workload_view(const Model& m, size_t wi) {
  const auto& spec = m.s.workloads[wi];
  std::map<uint64_t, SizeFigures> by;
  for (uint64_t sz : spec.sizes) by[sz];
  for (size_t ri = 0; ri < m.runners[wi].size(); ++ri) {
    const std::map<uint64_t, SizeFigures>* figs = nullptr;
    if (m.runners[wi][ri]) figs = &m.runners[wi][ri]->figures();
    if (m.bulk[wi][ri]) figs = &m.bulk[wi][ri]->figures();
    if (!figs) {
      // The connection never came up. If it failed (refused, unreachable, timed out...),
      // every operation of this copy failed with it; if it was still opening when the run
      // ended, none was posted: they are unfinished (counted below).
      bool opening = false;
      for (const auto& c : m.conns)
        for (auto [cwi, cri] : c.runners)
          if (cwi == wi && cri == ri) opening = c.state == "connecting";
      if (!opening)
        for (uint64_t sz : spec.sizes) by[sz].errors += spec.count;
      continue;
    }
    for (const auto& [sz, f] : *figs) merge(by[sz], f);
  }
  // Every operation is accounted for: what neither completed nor failed was unfinished.
  const uint64_t per_size = spec.count * m.runners[wi].size();
  for (auto& [sz, f] : by) f.unfinished = per_size > f.completed + f.errors ? per_size - f.completed - f.errors : 0;
  WorkloadView w;
  w.all = {spec.op, spec.size_sweep ? 0 : spec.sizes[0], {}};
  for (const auto& [sz, f] : by) merge(w.all.f, f);
  if (spec.size_sweep)
    for (uint64_t sz : spec.sizes) w.by_size.push_back({spec.op, sz, by[sz]});
  return w;
}

Group<SizeView> size_group() {
  return Group<SizeView>()
      .formula("op", Unit::Text, "the workload's operation", [](const SizeView& v) { return v.op; })
      .formula("size", Unit::Bytes, "message size (0 with a list of sizes: see by_size)",
               [](const SizeView& v) { return v.size; })
      .include(SizeFigures::group(), [](const SizeView& v) -> const SizeFigures& { return v.f; });
}

Group<WorkloadView> workload_group() {
  return Group<WorkloadView>()
      .include(size_group(), [](const WorkloadView& w) -> const SizeView& { return w.all; })
      .keyed("by_size", Key::Size, "the same figures per message size, with a list of sizes", size_group(),
             [](const WorkloadView& w, const auto& visit) {
               for (const auto& v : w.by_size) visit(std::to_string(v.size), v);
             },
             Empty::Omit);
}

// ------------------------------------------------------------------ connections

struct MpaView {
  int revision = 0;
  bool crc = false;
  uint64_t crc_errors = 0;
  bool markers_to_server = false, markers_to_client = false;
};

struct TermView {
  wire::TermCode code;
  std::string sent_by;
};

struct ConnView {
  std::string state;
  std::string qp_client = "none", qp_server = "none";
  const tcp::Connection* client = nullptr;
  const tcp::Connection* server = nullptr;
  MpaView mpa;
  std::optional<TermView> term;
};

ConnView conn_view(const ConnRuntime& c) {
  ConnView v;
  std::string state = c.state;
  // The Terminate, as the side that received it reports it (or, if it never arrived, as
  // its sender recorded it).
  if (c.client_qpn != UINT32_MAX && c.server_qpn != UINT32_MAX && state == "established") {
    const auto& ct = c.client->rnic().engine().terminate(c.client_qpn);
    const auto& st = c.server->rnic().engine().terminate(c.server_qpn);
    if (ct && !ct->sent) v.term = TermView{ct->msg.code, c.server->config().name};
    else if (st && !st->sent) v.term = TermView{st->msg.code, c.client->config().name};
    else if (ct) v.term = TermView{ct->msg.code, c.client->config().name};
    else if (st) v.term = TermView{st->msg.code, c.server->config().name};
  }
  v.mpa.revision = c.spec->mpa.revision;
  if (c.spec->outside && !c.soft) {
    // An RDMA peer outside the simulation connected: the listening host's QP is all there
    // is to report (a Terminate it sent, the peer received; one it received, the peer sent).
    if (c.server_qpn == UINT32_MAX && state == "connecting") state = "listening";
    if (c.server_qpn != UINT32_MAX && state == "established") {
      auto& se = c.server->rnic().engine();
      v.qp_server = hw::to_string(se.state(c.server_qpn));
      if (se.conn_of(c.server_qpn) == UINT32_MAX || se.state(c.server_qpn) == hw::QpState::Rtr) {
        // Accepted, its stream not yet up: the QP not yet given its stream, or waiting in
        // RTR for the peer's RTR.
        v.state = "connecting";
        return v;
      }
      if (const auto& st = se.terminate(c.server_qpn))
        v.term = TermView{st->msg.code, st->sent ? c.server->config().name : format_ipv4(*c.spec->outside)};
      const auto& tc = c.server->rnic().toe().conn(se.conn_of(c.server_qpn));
      if (tc.state() != tcp::State::Established) state = tcp::to_string(tc.state());
      if (se.state(c.server_qpn) == hw::QpState::Error) state = "error";
      if (se.state(c.server_qpn) == hw::QpState::Idle) state = "closed";
      if (v.term) state = "terminated";
      v.server = &tc;
      const auto& p = se.mpa(c.server_qpn);
      // Markers: the peer is the client, so what the host sends goes to the client.
      v.mpa = {p.revision, p.crc, se.crc_errors(c.server_qpn), p.markers_rx, p.markers_tx};
    }
    v.state = state;
    return v;
  }
  if (c.soft) {
    // A listening socket for a peer outside that has not connected yet.
    if (c.spec->outside && c.spec->outside_is_client && c.server_conn == UINT32_MAX && state == "connecting")
      state = "listening";
    const tcp::Connection* ct = c.client_tcp();
    if (ct && state == "established" && ct->state() != tcp::State::Established) state = tcp::to_string(ct->state());
    v.client = ct;
    v.server = c.server_tcp();
    v.mpa.revision = 0;  // no MPA on a plain TCP stream
  } else if (c.client_qpn != UINT32_MAX && state == "established") {
    auto& e = c.client->rnic().engine();
    const auto& tc = c.client->rnic().toe().conn(e.conn_of(c.client_qpn));
    if (tc.state() != tcp::State::Established) state = tcp::to_string(tc.state());
    if (e.state(c.client_qpn) == hw::QpState::Error) state = "error";
    if (e.state(c.client_qpn) == hw::QpState::Idle) state = "closed";  // a graceful disconnect
    if (v.term) state = "terminated";
    v.qp_client = hw::to_string(e.state(c.client_qpn));
    v.client = &tc;
    if (c.server_qpn != UINT32_MAX) {
      auto& se = c.server->rnic().engine();
      v.qp_server = hw::to_string(se.state(c.server_qpn));
      v.server = &c.server->rnic().toe().conn(se.conn_of(c.server_qpn));
    }
    const auto& p = e.mpa(c.client_qpn);
    uint64_t crc_err = e.crc_errors(c.client_qpn);
    if (c.server_qpn != UINT32_MAX) crc_err += c.server->rnic().engine().crc_errors(c.server_qpn);
    v.mpa = {p.revision, p.crc, crc_err, p.markers_tx, p.markers_rx};
  }
  v.state = state;
  return v;
}

Group<tcp::Connection> tcp_group() {
  return Group<tcp::Connection>()
      .include(tcp::Stats::group(), [](const tcp::Connection& c) -> const tcp::Stats& { return c.stats(); })
      .formula("srtt_ns", Unit::Ns, "smoothed round-trip time at the end",
               [](const tcp::Connection& c) { return c.srtt().ps / 1000; })
      .formula("mss", Unit::Bytes, "the send MSS: the effective MSS plus the timestamp option when it is on",
               [](const tcp::Connection& c) { return c.emss() + (c.timestamps_on() ? 12 : 0); })
      .formula("path_mtu", Unit::Bytes, "the path MTU the connection learned (0: none, its route's MTU)",
               [](const tcp::Connection& c) { return c.path_mtu(); })
      .formula("rto_ns", Unit::Ns, "retransmission timeout at the end",
               [](const tcp::Connection& c) { return c.rto_now().ps / 1000; });
}

Group<ConnView> connection_group() {
  const auto qp = Group<ConnView>()
                      .formula("client", Unit::Text, "the client's QP state (none: no QP)",
                               [](const ConnView& v) { return v.qp_client; })
                      .formula("server", Unit::Text, "the server's QP state (none: no QP)",
                               [](const ConnView& v) { return v.qp_server; });
  const auto markers = Group<MpaView>()
                           .formula("to_server", Unit::Flag, "markers in the client's stream",
                                    [](const MpaView& m) { return m.markers_to_server; })
                           .formula("to_client", Unit::Flag, "markers in the server's stream",
                                    [](const MpaView& m) { return m.markers_to_client; });
  const auto mpa = Group<MpaView>()
                       .formula("revision", Unit::None, "MPA revision (0: a plain TCP connection)",
                                [](const MpaView& m) { return m.revision; })
                       .formula("crc", Unit::Flag, "CRC negotiated", [](const MpaView& m) { return m.crc; })
                       .formula("crc_errors", Unit::Fpdus, "FPDUs received with a bad CRC, both sides",
                                [](const MpaView& m) { return m.crc_errors; })
                       .group("markers", "markers as negotiated, per direction", markers,
                              [](const MpaView& m) -> const MpaView& { return m; });
  const auto term = Group<TermView>()
                        .formula("layer", Unit::Code, "RFC 5040 layer", [](const TermView& t) { return t.code.layer; })
                        .formula("etype", Unit::Code, "error type", [](const TermView& t) { return t.code.etype; })
                        .formula("code", Unit::Code, "error code", [](const TermView& t) { return t.code.code; })
                        .formula("name", Unit::Text, "the error's name",
                                 [](const TermView& t) { return wire::term_name(t.code); })
                        .formula("sent_by", Unit::Text, "the host that sent it (a peer outside the simulation: its IPv4 address)",
                                 [](const TermView& t) { return t.sent_by; });
  return Group<ConnView>()
      .formula("state", Unit::Text,
               "established, closed, terminated, error, refused, unreachable, timed_out, port_in_use, connecting, listening (a "
               "peer outside the simulation has not connected yet), or the TCP "
               "state it ended in",
               [](const ConnView& v) { return v.state; })
      .group("qp_state", "the QP states at the end", qp, [](const ConnView& v) -> const ConnView& { return v; })
      .optional_group("tcp", "the active side's TCP (0 when it never opened)", tcp_group(), Absent::Zeros,
                      [](const ConnView& v) { return v.client; })
      .optional_group("server_tcp", "the passive side's TCP (0 when it never opened)", tcp_group(), Absent::Zeros,
                      [](const ConnView& v) { return v.server; })
      .group("mpa", "MPA as negotiated", mpa, [](const ConnView& v) -> const MpaView& { return v.mpa; })
      .optional_group("terminate", "the Terminate, as the side that received it reports it (null: none)", term,
                      Absent::Null, [](const ConnView& v) { return v.term ? &*v.term : nullptr; });
}

// ------------------------------------------------------------------ hosts, links, switches

struct HostView {
  const Model* m;
  host::Host* h;
  hw::Rnic& rnic() const { return h->rnic(); }
};

const char* placement_mode_name(hw::PlacementMode m) {
  switch (m) {
    case hw::PlacementMode::Model: return "model";
    case hw::PlacementMode::Rtl: return "rtl";
    case hw::PlacementMode::Lockstep: return "lockstep";
  }
  return "?";
}

nlohmann::ordered_json record_json(const cosim::Record& r) {
  nlohmann::ordered_json j;
  j["refused"] = r.failed;
  if (r.failed)
    j["error"] = {{"layer", r.error.layer}, {"etype", r.error.etype}, {"code", r.error.code}};
  else
    j["error"] = nullptr;
  nlohmann::ordered_json pieces = nlohmann::ordered_json::array();
  for (const auto& p : r.pieces) pieces.push_back({{"host_address", p.addr}, {"length", p.len}, {"crc32c", p.hash}});
  j["writes"] = pieces;
  return j;
}

nlohmann::ordered_json mismatch_json(const hw::Mismatch& mm, const std::string& conn) {
  return {{"time_ns", mm.time.ps / 1000}, {"connection", conn}, {"segment", mm.segment}, {"pd", mm.pd},
          {"stag", mm.stag}, {"to", mm.to}, {"length", mm.length}, {"difference", mm.difference},
          {"model", record_json(mm.model)}, {"rtl", record_json(mm.rtl)}};
}

Group<HostView> host_group() {
  const auto placement =
      Group<HostView>()
          .include(hw::PlacementStats::group(),
                   [](const HostView& v) -> const hw::PlacementStats& { return v.rnic().placement().stats(); })
          .formula("mode", Unit::Text, "who placed tagged segments: model, rtl or lockstep",
                   [](const HostView& v) { return placement_mode_name(v.rnic().placement().mode()); })
          .record("first_mismatch", "the first lockstep divergence, both records (null: none)",
                  [](const HostView& v, nlohmann::ordered_json& slot) {
                    const auto& ps = v.rnic().placement().stats();
                    if (!ps.first_mismatch) return;
                    auto it = v.m->conn_of_stag.find({v.h, ps.first_mismatch->stag});
                    slot = mismatch_json(*ps.first_mismatch,
                                         it == v.m->conn_of_stag.end() || it->second.empty() ? "?" : it->second);
                  });
  const auto rnic =
      Group<HostView>()
          .group("mac", "the Ethernet MAC", hw::MacStats::group(),
                 [](const HostView& v) -> const hw::MacStats& { return v.rnic().mac().stats(); })
          .group("dma", "DMA over PCIe to host memory", hw::DmaStats::group(),
                 [](const HostView& v) -> const hw::DmaStats& { return v.rnic().dma().stats(); })
          .group("pcie", "the PCIe link at the TLP level, per direction", hw::pcie::PcieStats::group(),
                 [](const HostView& v) -> const hw::pcie::PcieStats& { return v.rnic().dma().pcie_stats(); })
          .group("placement", "tagged placement: checks, translation, the RTL core", placement,
                 [](const HostView& v) -> const HostView& { return v; })
          .group("engine", "the DDP/RDMAP engine", hw::EngineStats::group(),
                 [](const HostView& v) -> const hw::EngineStats& { return v.rnic().engine().stats(); })
          .group("firmware", "the embedded core", fw::FirmwareStats::group(),
                 [](const HostView& v) -> const fw::FirmwareStats& { return v.h->firmware().stats(); })
          .group("toe", "the TCP offload engine", hw::ToeStats::group(),
                 [](const HostView& v) -> const hw::ToeStats& { return v.rnic().toe().stats(); });
  const auto host_if =
      Group<HostView>()
          .include(host::HostIfStats::group(), [](const HostView& v) -> const host::HostIfStats& { return v.h->stats(); })
          .group("tcp", "the host's own TCP stack (kind: tcp connections)", hw::ToeStats::group(),
                 [](const HostView& v) -> const hw::ToeStats& { return v.h->soft_tcp().engine().stats(); })
          .group("ip", "the host's IPv4 receive (packets the RNIC did not claim)", ip::Ipv4RxStats::group(),
                 [](const HostView& v) -> const ip::Ipv4RxStats& { return v.h->ip_stats(); })
          .group("icmp", "ICMP messages that reached the host, and those it sent", host::HostIcmp::group(),
                 [](const HostView& v) -> const host::HostIcmp& { return v.h->icmp(); });
  return Group<HostView>()
      .group("rnic", "the host's RNIC", rnic, [](const HostView& v) -> const HostView& { return v; })
      .group("host_if", "the host: its driver, netdev and own stack", host_if,
             [](const HostView& v) -> const HostView& { return v; });
}

Group<hw::EthSwitch> switch_group() {
  auto over_ports = [](const hw::EthSwitch& sw, auto fold) {
    uint64_t x = 0;
    for (int p = 0; p < static_cast<int>(sw.ports()); ++p) x = fold(x, sw.port_stats(p));
    return x;
  };
  return Group<hw::EthSwitch>()
      .include(hw::SwitchStats::group(), [](const hw::EthSwitch& sw) -> const hw::SwitchStats& { return sw.stats(); })
      .formula("frames_tx", Unit::Frames, "frames sent from every port",
               [over_ports](const hw::EthSwitch& sw) {
                 return over_ports(sw, [](uint64_t x, const hw::SwitchPortStats& p) { return x + p.frames_tx; });
               })
      .formula("drops", Unit::Frames, "tail drops at every output queue",
               [over_ports](const hw::EthSwitch& sw) {
                 return over_ports(sw, [](uint64_t x, const hw::SwitchPortStats& p) { return x + p.drops; });
               })
      .formula("ecn_marked", Unit::Frames, "CE marks set at every output queue",
               [over_ports](const hw::EthSwitch& sw) {
                 return over_ports(sw, [](uint64_t x, const hw::SwitchPortStats& p) { return x + p.ecn_marked; });
               })
      .formula("queue_max_bytes", Unit::Bytes, "deepest any output queue was",
               [over_ports](const hw::EthSwitch& sw) {
                 return over_ports(
                     sw, [](uint64_t x, const hw::SwitchPortStats& p) { return std::max(x, p.queue_max_bytes); });
               })
      .keyed("ports", Key::Port, "one entry per port, named by its link", hw::SwitchPortStats::group(),
             [](const hw::EthSwitch& sw, const auto& visit) {
               for (int p = 0; p < static_cast<int>(sw.ports()); ++p) visit(sw.port_label(p), sw.port_stats(p));
             });
}

Group<hw::Router> router_group() {
  return Group<hw::Router>()
      .include(hw::RouterStats::group(), [](const hw::Router& r) -> const hw::RouterStats& { return r.stats(); })
      .keyed("interfaces", Key::Interface, "one entry per interface, by its name", hw::RouterIfStats::group(),
             [](const hw::Router& r, const auto& visit) {
               for (size_t i = 0; i < r.interfaces(); ++i) visit(r.config().interfaces[i].name, r.interface_stats(i));
             });
}

// ------------------------------------------------------------------ the run

Group<RunView> results_group() {
  return Group<RunView>()
      .formula("scenario", Unit::Text, "the scenario's name", [](const RunView& r) { return r.m->s.name; })
      .formula("seed", Unit::None, "the seed of the run", [](const RunView& r) { return r.m->s.seed; })
      .formula("passed", Unit::Flag, "every expectation held and the RTL core never diverged",
               [](const RunView& r) { return r.f->passed; })
      .formula("sim_time_ns", Unit::Ns, "simulated time at the end", [](const RunView& r) { return r.f->end.ps / 1000; })
      .formula("wall_time_s", Unit::Seconds,
               "wall-clock time from building the model to the end of the simulation (outputs excluded)",
               [](const RunView& r) { return std::round(r.f->wall_s * 1e6) / 1e6; })
      .formula("events_processed", Unit::Count, "rounds of the event queue (SystemC delta cycles with one process per block)",
               [](const RunView& r) { return r.f->events; })
      .keyed("workloads", Key::Workload, "one entry per workload", workload_group(),
             [](const RunView& r, const auto& visit) {
               for (size_t wi = 0; wi < r.m->s.workloads.size(); ++wi)
                 visit(r.m->s.workloads[wi].id, workload_view(*r.m, wi));
             })
      .keyed("connections", Key::Connection, "one entry per connection (repeat copies: <id>_<n>)",
             connection_group(),
             [](const RunView& r, const auto& visit) {
               for (const auto& c : r.m->conns) visit(c.id, conn_view(c));
             })
      .keyed("hosts", Key::Host, "one entry per host", host_group(),
             [](const RunView& r, const auto& visit) {
               for (const auto& h : r.m->hosts) visit(h->config().name, HostView{r.m, h});
             })
      .keyed("links", Key::Link, "one entry per link", hw::LinkStats::group(),
             [](const RunView& r, const auto& visit) {
               for (const auto& l : r.m->links) visit(l->config().name, l->stats());
             })
      .keyed("taps", Key::Link, "one entry per link with a TAP end, by the link's name (absent without)",
             hw::TapStats::group(),
             [](const RunView& r, const auto& visit) {
               for (const auto& [name, t] : r.m->taps) visit(name, t->stats());
             },
             Empty::Omit)
      .optional_group("realtime", "`run --realtime`: how the simulation kept pace with the wall clock (absent without)",
                      RealtimeFigures::group(), Absent::Omit,
                      [](const RunView& r) { return r.m->pacer ? &r.m->pacer->figures() : nullptr; })
      .keyed("switches", Key::Switch, "one entry per switch", switch_group(),
             [](const RunView& r, const auto& visit) {
               for (const auto& sw : r.m->switches) visit(sw->config().name, *sw);
             })
      .keyed("routers", Key::Router, "one entry per router (absent without routers)", router_group(),
             [](const RunView& r, const auto& visit) {
               for (const auto& x : r.m->routers) visit(x->config().name, *x);
             },
             Empty::Omit)
      .record("expectations", "the outcome of the `expect` checks: metric, op, want, actual, passed",
              [](const RunView&, nlohmann::ordered_json& slot) { slot = nlohmann::ordered_json::array(); });
}

}  // namespace

nlohmann::ordered_json results_json(const Model& m, const RunFigures& f) {
  nlohmann::ordered_json r = nlohmann::ordered_json::object();
  results_group().dump(RunView{&m, &f}, r);
  return r;
}

stats::Node results_schema() { return results_group().root("results.json"); }

}  // namespace rnicsim::sim

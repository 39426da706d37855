#include "model/sim/simulation.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "host_if/host.h"
#include "model/cosim/core.h"
#include "model/hw/link/link.h"
#include "model/hw/switch/switch.h"
#include "model/proto/tcp/congestion.h"
#include "model/scenario/profiles.h"
#include "model/scenario/units_parse.h"
#include "model/sim/bulk.h"
#include "model/sim/timeseries.h"
#include "model/sim/workload.h"

namespace rnicsim::sim {

using scenario::Scenario;

namespace {
bool is_latency_op(const std::string& op) { return op == "write_lat" || op == "read_lat" || op == "send_lat"; }
}  // namespace

// ------------------------------------------------------------------ what is not simulated yet

std::vector<Unsupported> unsupported_features(const Scenario& s, const RunOptions& o) {
  std::vector<Unsupported> u;
  auto add = [&](const scenario::Loc& l, std::string w) { u.push_back({l, std::move(w)}); };
  for (const auto& h : s.hosts) {
    if (h.rnic.type != 7) add(h.rnic.loc, fmt::format("hosts '{}': RNIC type {} is not simulated yet (type 7 is)", h.name, h.rnic.type));
    if (h.rnic.notify != "netevent")
      add(h.rnic.loc, fmt::format("hosts '{}': rnic.notify '{}' is not simulated yet (netevent is)", h.name, h.rnic.notify));
    if (!tcp::make_congestion_control(h.rnic.tcp.cc))
      add(h.rnic.loc, fmt::format("hosts '{}': rnic.tcp.cc '{}' is not simulated yet", h.name, h.rnic.tcp.cc));
    if (!tcp::make_congestion_control(h.tcp.cc))
      add(h.loc, fmt::format("hosts '{}': tcp.cc '{}' is not simulated yet", h.name, h.tcp.cc));
    if (!h.netfilter.empty()) add(h.netfilter.front().loc, fmt::format("hosts '{}': netfilter rules are not simulated yet", h.name));
  }
  for (const auto& h : s.hosts) {
    const std::string mode = o.placement.empty() ? h.rnic.placement : o.placement;
    auto it = h.rnic.overrides.find("max_regions");
    if (mode != "model" && it != h.rnic.overrides.end() && std::stoull(it->second) > cosim::regs::kRegionEntries)
      add(h.rnic.loc, fmt::format("hosts '{}': max_regions {} in placement '{}': the RTL core's table holds {} regions",
                                  h.name, it->second, mode, cosim::regs::kRegionEntries));
  }
  // One listening socket per server port: two connections may not share one.
  for (size_t i = 0; i < s.connections.size(); ++i)
    for (size_t j = 0; j < i; ++j) {
      const auto& a = s.connections[i];
      const auto& b = s.connections[j];
      if (a.to != b.to) continue;
      const uint32_t a0 = a.port, a1 = a.port + a.repeat - 1, b0 = b.port, b1 = b.port + b.repeat - 1;
      if (a0 <= b1 && b0 <= a1)
        add(a.loc, fmt::format("connections '{}' and '{}' both listen on {} port {}: one listening socket serving "
                               "several connections is not simulated yet",
                               b.id, a.id, a.to, std::max(a0, b0)));
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
  for (const auto& r : s.routers) add(r.loc, fmt::format("routers ('{}') are not simulated yet", r.name));
  const std::vector<std::string> ops = {"write",     "read",     "send",     "send_se", "send_inv", "send_se_inv",
                                        "fetch_add", "cmp_swap", "write_lat", "read_lat", "send_lat", "bulk"};
  for (const auto& w : s.workloads) {
    if (std::find(ops.begin(), ops.end(), w.op) == ops.end()) {
      add(w.loc, fmt::format("workloads '{}': op '{}' is not simulated yet (write, read, send, send_se, send_inv, "
                             "send_se_inv, fetch_add, cmp_swap, write_lat, read_lat, send_lat, bulk are)", w.id, w.op));
      continue;
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
    int bulk = 0;
    for (const auto& w : s.workloads)
      if (w.conn == c.id && w.op == "bulk" && ++bulk == 2)
        add(w.loc, fmt::format("workloads '{}': a second bulk workload on connection '{}' (one byte stream) is not simulated yet", w.id, c.id));
  }
  for (const auto& e : s.events) add(e.loc, fmt::format("events of kind '{}' are not simulated yet", e.kind));
  return u;
}

namespace {

// ------------------------------------------------------------------ configuration

/// A profile parameter, overridden by the host's `rnic:` key when written.
struct ProfileValues {
  const scenario::Profile* profile;
  const std::map<std::string, std::string>* overrides;
  std::string text(const std::string& name) const {
    auto it = overrides->find(name);
    if (it != overrides->end()) return it->second;
    for (const auto& p : profile->params)
      if (p.name == name) return p.value;
    throw std::runtime_error("profile parameter missing: " + name);
  }
  Duration duration(const std::string& n) const { return *scenario::parse_duration(text(n)); }
  uint64_t count(const std::string& n) const { return std::stoull(text(n)); }
  uint64_t size(const std::string& n) const { return *scenario::parse_size(text(n)); }
  Rate rate(const std::string& n) const { return *scenario::parse_rate(text(n)); }
};

/// `host_stack`: the host's software TCP (Nagle per `nodelay`); otherwise the RNIC's
/// offload engine, which sends each FPDU as soon as the windows allow (no Nagle).
tcp::Config tcp_config(const scenario::TcpSpec& t, uint32_t mtu, bool host_stack) {
  tcp::Config c;
  c.mss = static_cast<uint16_t>(mtu - 40);  // IPv4 and TCP headers without options
  c.init_cwnd = t.init_cwnd;
  c.min_rto = t.min_rto;
  c.delayed_ack = t.delayed_ack;
  c.timestamps = t.timestamps;
  c.sack = t.sack;
  c.rack = t.rack;
  c.nodelay = host_stack ? t.nodelay : true;
  c.wscale = t.wscale;
  c.rcvbuf = t.rcvbuf;
  c.sndbuf = t.sndbuf;
  c.user_timeout = t.user_timeout;
  c.cc = t.cc;
  return c;
}

hw::RnicConfig rnic_config(const scenario::HostSpec& h, Rate rate) {
  const scenario::Profile* prof = scenario::find_profile(h.rnic.profile);
  if (!prof) throw std::runtime_error("unknown profile " + h.rnic.profile);
  ProfileValues pv{prof, &h.rnic.overrides};
  const Duration clk = pv.duration("clock_period");
  hw::RnicConfig c;
  c.type = h.rnic.type;
  c.mac = h.mac;
  c.ip = h.ip.addr;
  c.mac_cfg.rate = rate;
  c.mac_cfg.latency = pv.duration("mac_latency");
  c.mac_cfg.tx_queue = static_cast<uint32_t>(pv.count("mac_tx_queue"));
  c.toe.tx_latency = c.toe.rx_latency = clk * static_cast<int64_t>(pv.count("toe_cycles_per_segment"));
  c.toe.max_conns = static_cast<uint32_t>(pv.count("max_qps"));
  c.engine.fpdu_latency = clk * static_cast<int64_t>(pv.count("engine_cycles_per_fpdu"));
  c.engine.doorbell_latency = pv.duration("doorbell_latency");
  c.engine.wqe_size = static_cast<uint32_t>(pv.size("wqe_size"));
  c.engine.cqe_size = static_cast<uint32_t>(pv.size("cqe_size"));
  c.placement.clock_period = clk;
  c.placement.cycles_per_segment = static_cast<uint32_t>(pv.count("placement_cycles_per_segment"));
  c.placement.regions = static_cast<uint32_t>(pv.count("max_regions"));
  c.dma.gen = h.rnic.pcie.gen;
  c.dma.lanes = h.rnic.pcie.lanes;
  c.dma.mps = h.rnic.pcie.mps;
  c.dma.mrrs = h.rnic.pcie.mrrs;
  c.dma.read_latency = h.rnic.pcie.read_latency;
  auto& fc = c.firmware.costs;
  fc.neigh_update = pv.duration("fw_neigh_update_cost");
  fc.connect = pv.duration("fw_connect_cost");
  fc.listen = pv.duration("fw_listen_cost");
  fc.syn = pv.duration("fw_syn_cost");
  fc.mpa = pv.duration("fw_mpa_cost");
  fc.accept = pv.duration("fw_accept_cost");
  c.firmware.max_ird = static_cast<uint32_t>(pv.count("max_ird"));
  c.firmware.rtr_types = static_cast<uint8_t>(pv.count("mpa_rtr_types"));
  return c;
}

Rate profile_rate(const scenario::HostSpec& h) {
  if (h.rnic.line_rate) return *h.rnic.line_rate;
  const scenario::Profile* prof = scenario::find_profile(h.rnic.profile);
  ProfileValues pv{prof, &h.rnic.overrides};
  return pv.rate("line_rate");
}

fw::MpaSetup mpa_setup(int revision, const scenario::MpaSideSpec& m) {
  fw::MpaSetup s;
  s.revision = revision;
  s.markers = m.markers;
  s.crc = m.crc;
  s.ird = m.ird;
  s.ord = m.ord;
  s.private_data.assign(m.private_data.begin(), m.private_data.end());
  s.reject = m.reject;
  return s;
}

// ------------------------------------------------------------------ pcap

class PcapWriter {
 public:
  PcapWriter(const std::string& path, int snaplen) : snaplen_(snaplen) {
    pcap_ = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 262144, PCAP_TSTAMP_PRECISION_NANO);
    if (!pcap_) throw std::runtime_error("pcap_open_dead failed");
    dump_ = pcap_dump_open(pcap_, path.c_str());
    if (!dump_) throw std::runtime_error(fmt::format("cannot write {}: {}", path, pcap_geterr(pcap_)));
  }
  ~PcapWriter() {
    if (dump_) pcap_dump_close(dump_);
    if (pcap_) pcap_close(pcap_);
  }
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;
  void write(const Frame& f, Duration t) {
    pcap_pkthdr h{};
    const int64_t ns = t.ps / 1000;
    h.ts.tv_sec = ns / 1000000000;
    h.ts.tv_usec = ns % 1000000000;  // nanoseconds: the file's precision is nano
    h.len = static_cast<bpf_u_int32>(f.bytes.size());
    h.caplen = std::min<bpf_u_int32>(h.len, static_cast<bpf_u_int32>(snaplen_));
    pcap_dump(reinterpret_cast<u_char*>(dump_), &h, f.bytes.data());
  }

 private:
  int snaplen_;
  pcap_t* pcap_ = nullptr;
  pcap_dumper_t* dump_ = nullptr;
};

// ------------------------------------------------------------------ the model

struct ConnRuntime {
  std::string id;
  const scenario::ConnectionSpec* spec = nullptr;
  host::Host* client = nullptr;
  host::Host* server = nullptr;
  uint16_t port = 0;
  uint32_t copy = 0;  ///< index among the `repeat` copies
  uint32_t client_qpn = UINT32_MAX;
  uint32_t server_qpn = UINT32_MAX;
  std::string state = "connecting";
  std::vector<std::pair<size_t, uint32_t>> runners;  ///< (workload index, runner index)
  // kind: tcp (the hosts' own stacks)
  bool soft = false;
  uint32_t client_conn = UINT32_MAX;  ///< in the client's SoftTcp
  uint32_t server_conn = UINT32_MAX;
  std::shared_ptr<BulkSink> sink;     ///< the server application
  const tcp::Connection* client_tcp() const {
    if (soft) return client_conn == UINT32_MAX ? nullptr : &client->soft_tcp().engine().conn(client_conn);
    if (client_qpn == UINT32_MAX || state == "connecting" || state == "refused") return nullptr;
    return &client->rnic().toe().conn(client->rnic().engine().conn_of(client_qpn));
  }
  const tcp::Connection* server_tcp() const {
    if (soft) return server_conn == UINT32_MAX ? nullptr : &server->soft_tcp().engine().conn(server_conn);
    if (server_qpn == UINT32_MAX || state == "connecting" || state == "refused") return nullptr;
    return &server->rnic().toe().conn(server->rnic().engine().conn_of(server_qpn));
  }
};

struct Model {
  EventQueue events;  // first: made before every block's Agenda, destroyed after them
  const Scenario& s;
  RunOptions opt;
  host::EventLog log;
  std::vector<std::unique_ptr<host::Host>> hosts;
  std::map<std::string, host::Host*> host_by_name;
  std::vector<std::unique_ptr<hw::Link>> links;
  std::vector<std::unique_ptr<hw::EthSwitch>> switches;
  std::vector<std::vector<std::unique_ptr<BulkRunner>>> bulk;  ///< per workload, per copy (bulk only)
  std::unique_ptr<TimeSeries> series;
  std::vector<std::unique_ptr<hw::ToeClient>> watchers;
  std::vector<std::unique_ptr<PcapWriter>> pcaps;
  std::vector<ConnRuntime> conns;
  std::vector<std::vector<std::unique_ptr<Runner>>> runners;  ///< per workload, per copy
  std::map<std::pair<host::Host*, uint32_t>, std::vector<Runner*>> runner_by_qp;
  std::vector<std::unique_ptr<Receiver>> receivers;
  std::map<std::pair<host::Host*, uint32_t>, Receiver*> receiver_by_qp;
  std::unique_ptr<Agenda> control;
  /// Lockstep reports: which connection registered each (host, STag), set while a
  /// workload registers its buffers.
  std::string registering_conn;
  std::map<std::pair<const host::Host*, uint32_t>, std::string> conn_of_stag;
  bool lockstep_stopped = false;

  Model(const Scenario& sc, const RunOptions& o) : s(sc), opt(o) {}

  size_t done_scan = 0;  ///< connections before this index have every workload finished

  bool all_done() {
    // Finished stays finished: resume the scan where it stopped (O(1) amortised per call,
    // which matters with thousands of connections).
    for (; done_scan < conns.size(); ++done_scan) {
      const auto& c = conns[done_scan];
      if (c.state == "refused") continue;  // its workloads never run
      for (auto [wi, ri] : c.runners) {
        if (c.soft ? (!bulk[wi][ri] || !bulk[wi][ri]->finished())
                   : (!runners[wi][ri] || !runners[wi][ri]->finished()))
          return false;
      }
    }
    for (const auto& c : conns) {
      if (c.soft) {
        const tcp::Connection* t = c.client_tcp();
        // A reset or timed-out connection has nothing more to deliver.
        if (c.state == "established" && t && t->state() != tcp::State::Closed && !t->all_acked()) return false;
        continue;
      }
      if (c.client_qpn == UINT32_MAX || c.state != "established") continue;
      auto& e = c.client->rnic().engine();
      // A disconnect still to come, or one under way, keeps the run going.
      if (c.spec->disconnect && sim_now() < *c.spec->disconnect) return false;
      if (e.state(c.client_qpn) == hw::QpState::Closing) return false;
      if (c.server_qpn != UINT32_MAX && c.server->rnic().engine().state(c.server_qpn) == hw::QpState::Closing)
        return false;
      if (e.state(c.client_qpn) != hw::QpState::Rts) continue;  // closed, terminated or in error: nothing more to send
      if (!c.client->rnic().toe().conn(e.conn_of(c.client_qpn)).all_acked()) return false;
      if (c.server_qpn != UINT32_MAX) {
        auto& se = c.server->rnic().engine();
        if (!c.server->rnic().toe().conn(se.conn_of(c.server_qpn)).all_acked()) return false;
      }
    }
    return true;
  }
  void check_done() {
    if (all_done()) {
      sc_core::sc_stop();
      return;
    }
    // The work is done but a stream still waits for its last ACK (a Read's responder, a
    // Terminate's FIN): look again a little later.
    const bool work_done = done_scan >= conns.size();  // all_done's scan reached the end
    if (work_done && !poll_armed) {
      poll_armed = true;
      control->after(Duration::from_us(10), [this] {
        poll_armed = false;
        check_done();
      });
    }
  }
  bool poll_armed = false;
};

Rate link_rate(const Scenario& s, const scenario::LinkSpec& l) {
  if (l.rate) return *l.rate;
  for (const auto& e : l.ends)
    for (const auto& h : s.hosts)
      if (h.name == e.node && h.rnic.line_rate) return *h.rnic.line_rate;
  for (const auto& h : s.hosts)
    if (h.name == l.ends[0].node || h.name == l.ends[1].node) return profile_rate(h);
  return Rate::from_gbps(25);
}

/// A `kind: tcp` connection: the server's stack listens from the start; the client
/// resolves its next hop, connects at `at`, and its bulk workloads start once established.
void build_soft_connection(Model& m, ConnRuntime* rt, const tcp::Config& ctcp, const tcp::Config& stcp) {
  uint64_t key = 0xcbf29ce484222325ull;  // FNV-1a of the id: the same on every platform
  for (const char ch : rt->id) key = (key ^ static_cast<uint8_t>(ch)) * 0x100000001B3ull;
  key ^= m.s.seed * 0x9E3779B97F4A7C15ull;
  rt->sink = std::make_shared<BulkSink>(key);
  rt->server->soft_tcp().listen(rt->port, stcp, [rt](uint32_t conn) -> hw::ToeClient* {
    rt->server_conn = conn;
    return rt->sink.get();
  });
  const uint32_t ssrc = rt->spec->src_port ? *rt->spec->src_port + rt->copy : 0;
  m.control->at(rt->spec->at, [&m, rt, ctcp, ssrc, key] {
    host::Host* h = rt->client;
    const wire::Ipv4Addr dst = rt->server->config().ip;
    const uint16_t sport = ssrc ? static_cast<uint16_t>(ssrc) : h->ephemeral_port();
    h->when_resolved(h->next_hop(dst), [&m, rt, ctcp, sport, dst, key](wire::MacAddr mac) {
      host::Host* hc = rt->client;
      if (mac == 0) {
        rt->state = "refused";
        m.check_done();
        return;
      }
      // The client's workloads are its socket's application.
      BulkRunner* app = nullptr;
      for (auto [wi, ri] : rt->runners) {
        auto r = std::make_unique<BulkRunner>(m.s.workloads[wi], key, hc->soft_tcp().engine());
        app = r.get();
        m.bulk[wi][ri] = std::move(r);
      }
      struct Watch : hw::ToeClient {
        Model& m;
        ConnRuntime* rt;
        BulkRunner* app;
        Watch(Model& mm, ConnRuntime* r, BulkRunner* a) : m(mm), rt(r), app(a) {}
        bool toe_data(uint32_t c, ConstByteSpan d) override { return app ? app->toe_data(c, d) : false; }
        void toe_acked(uint32_t c, uint64_t total) override {
          if (app) app->toe_acked(c, total);
          m.check_done();
        }
        void toe_state(uint32_t c, tcp::State from, tcp::State to) override {
          if (to == tcp::State::Established && rt->state == "connecting") {
            rt->state = "established";
            for (auto [wi, ri] : rt->runners) {
              BulkRunner* b = m.bulk[wi][ri].get();
              b->attach(c);
              m.control->at(std::max(m.s.workloads[wi].start, sim_now()), [b] { b->start(); });
            }
          }
          if (to == tcp::State::Closed && rt->state == "connecting") rt->state = "refused";
          if (app) app->toe_state(c, from, to);
          m.check_done();
        }
      };
      m.watchers.push_back(std::make_unique<Watch>(m, rt, app));
      const hw::FourTuple t{hc->config().ip, dst, sport, rt->port};
      rt->client_conn = hc->soft_tcp().connect(t, mac, ctcp, m.watchers.back().get());
    });
  });
}

void build(Model& m) {
  const Scenario& s = m.s;
  // Each host's MAC runs at the rate of its link.
  std::map<std::string, Rate> rate_of;
  for (const auto& l : s.links)
    for (const auto& e : l.ends) rate_of[e.node] = link_rate(s, l);
  for (const auto& h : s.hosts) {
    host::HostConfig hc;
    hc.name = h.name;
    hc.ip = h.ip.addr;
    hc.prefix_len = h.ip.len;
    hc.mac = h.mac;
    hc.mtu = h.mtu;
    for (const auto& r : h.routes) hc.routes.push_back({r.dst.addr, r.dst.len, r.via});
    if (h.gateway) hc.routes.push_back({0, 0, *h.gateway});
    hc.port_space_shared = h.rnic.port_space == "shared";
    hc.soft_tcp.segment_cost = h.tcp.segment_cost;
    const Rate rate = rate_of.count(h.name) ? rate_of[h.name] : profile_rate(h);
    hw::RnicConfig rc = rnic_config(h, rate);
    rc.placement.mode = *hw::parse_placement_mode(m.opt.placement.empty() ? h.rnic.placement : m.opt.placement);
    rc.placement.lockstep_stop_first = m.opt.lockstep_stop != "never";
    rc.placement.make_core = m.opt.rtl_core;
    if (m.opt.wave && rc.placement.mode != hw::PlacementMode::Model)
      rc.placement.wave_path = (std::filesystem::path(m.opt.out_dir) / (h.name + ".rtl.fst")).string();
    auto host = std::make_unique<host::Host>(h.name.c_str(), hc, rc, m.log, s.seed);
    m.host_by_name[h.name] = host.get();
    m.hosts.push_back(std::move(host));
  }
  std::map<std::string, hw::EthSwitch*> switch_by_name;
  for (const auto& sw : s.switches) {
    hw::SwitchConfig sc;
    sc.name = sw.name;
    sc.buffer = sw.buffer;
    sc.ecn_threshold = sw.ecn_threshold;
    sc.latency = sw.latency;
    m.switches.push_back(std::make_unique<hw::EthSwitch>(("switch_" + sw.name).c_str(), sc));
    switch_by_name[sw.name] = m.switches.back().get();
  }
  for (const auto& l : s.links) {
    hw::LinkConfig lc;
    lc.name = l.name;
    lc.rate = link_rate(s, l);
    lc.delay = l.delay;
    lc.loss[0] = l.loss.forward;
    lc.loss[1] = l.loss.reverse;
    lc.corrupt[0] = l.corrupt.forward;
    lc.corrupt[1] = l.corrupt.reverse;
    lc.reorder[0] = l.reorder.forward;
    lc.reorder[1] = l.reorder.reverse;
    auto link = std::make_unique<hw::Link>(("link_" + l.name).c_str(), lc, s.seed);
    for (int end = 0; end < 2; ++end) {
      const std::string& node = l.ends[end].node;
      if (auto sw = switch_by_name.find(node); sw != switch_by_name.end()) {
        sw->second->add_port(link.get(), end, lc.rate, l.name);
        continue;
      }
      host::Host* h = m.host_by_name.at(node);
      h->rnic().mac().connect(link.get(), end);
      link->attach(end, &h->rnic().mac());
    }
    m.links.push_back(std::move(link));
  }
  // Captures.
  if (m.opt.pcap != "off") {
    const int snap = m.opt.pcap == "headers" ? 128 : 262144;
    for (auto& h : m.hosts) {
      auto w = std::make_unique<PcapWriter>(
          (std::filesystem::path(m.opt.out_dir) / (h->config().name + ".pcap")).string(), snap);
      PcapWriter* wp = w.get();
      h->rnic().mac().set_tap([wp](const Frame& f, Duration t) { wp->write(f, t); });
      m.pcaps.push_back(std::move(w));
    }
  }
  // Lockstep: name each region's connection; report each divergence as it happens.
  for (auto& h : m.hosts) {
    host::Host* hp = h.get();
    auto& pu = hp->rnic().placement();
    if (pu.mode() != hw::PlacementMode::Lockstep) continue;
    pu.set_region_observer([&m, hp](uint32_t stag) { m.conn_of_stag[{hp, stag}] = m.registering_conn; });
    pu.set_mismatch_handler([&m, hp](const hw::Mismatch& mm) {
      auto it = m.conn_of_stag.find({hp, mm.stag});
      const std::string conn = it == m.conn_of_stag.end() || it->second.empty() ? "?" : it->second;
      fmt::print(stderr, "{}", hw::lockstep_report(hp->config().name, conn, mm));
      if (m.opt.lockstep_stop != "never" && !m.lockstep_stopped) {
        m.lockstep_stopped = true;
        sc_core::sc_stop();
      }
    });
  }
  // Stale-L2 accounting: a frame sent to a MAC other than the one the host now knows.
  for (auto& h : m.hosts) {
    host::Host* hp = h.get();
    hp->rnic().toe().set_tx_observer([hp](uint32_t conn, wire::MacAddr dst) {
      const auto& t = hp->rnic().toe().tuple(conn);
      const wire::MacAddr known = hp->neighbour_mac(hp->next_hop(t.remote_ip));
      if (known != 0 && known != dst) ++hp->rnic().mac().stats().stale_l2_frames;
    });
    hp->set_cqe_handler([&m, hp](const hw::Cqe& c) {
      auto rit = m.receiver_by_qp.find({hp, c.qpn});
      if (rit != m.receiver_by_qp.end()) rit->second->on_cqe(c, m.s.seed);
      auto it = m.runner_by_qp.find({hp, c.qpn});
      if (it == m.runner_by_qp.end()) return;
      for (Runner* r : it->second) r->on_cqe(c);
      m.check_done();
    });
    hp->set_write_placed_handler([&m, hp](uint32_t qpn, uint32_t stag, uint64_t to_end) {
      auto it = m.runner_by_qp.find({hp, qpn});
      if (it == m.runner_by_qp.end()) return;
      for (Runner* r : it->second) r->on_write_placed(hp, qpn, stag, to_end);
      m.check_done();
    });
  }
  // Connections and their workloads.
  for (const auto& c : s.connections) {
    for (uint32_t i = 0; i < c.repeat; ++i) {
      ConnRuntime rt;
      rt.id = c.repeat > 1 ? fmt::format("{}_{}", c.id, i) : c.id;
      rt.spec = &c;
      rt.client = m.host_by_name.at(c.from);
      rt.server = m.host_by_name.at(c.to);
      rt.port = static_cast<uint16_t>(c.port + i);
      rt.copy = i;
      rt.soft = c.kind == "tcp";
      m.conns.push_back(rt);
    }
  }
  m.runners.resize(s.workloads.size());
  m.bulk.resize(s.workloads.size());
  for (size_t ci = 0; ci < m.conns.size(); ++ci) {
    ConnRuntime& rt = m.conns[ci];
    for (size_t wi = 0; wi < s.workloads.size(); ++wi) {
      if (s.workloads[wi].conn != rt.spec->id) continue;
      rt.runners.push_back({wi, static_cast<uint32_t>(m.runners[wi].size())});
      m.runners[wi].push_back(nullptr);  // made when the connection is up
      m.bulk[wi].push_back(nullptr);
    }
  }
  m.control = std::make_unique<Agenda>("control");
  for (size_t ci = 0; ci < m.conns.size(); ++ci) {
    ConnRuntime* rt = &m.conns[ci];
    const scenario::HostSpec* cs = nullptr;
    const scenario::HostSpec* ss = nullptr;
    for (const auto& h : s.hosts) {
      if (h.name == rt->spec->from) cs = &h;
      if (h.name == rt->spec->to) ss = &h;
    }
    if (rt->soft) {
      build_soft_connection(m, rt, tcp_config(cs->tcp, cs->mtu, true), tcp_config(ss->tcp, ss->mtu, true));
      continue;
    }
    const tcp::Config ctcp = tcp_config(cs->rnic.tcp, cs->mtu, false);
    const tcp::Config stcp = tcp_config(ss->rnic.tcp, ss->mtu, false);
    const fw::MpaSetup cmpa = mpa_setup(rt->spec->mpa.revision, rt->spec->mpa.client);
    const fw::MpaSetup smpa = mpa_setup(rt->spec->mpa.server_revision, rt->spec->mpa.server);
    const uint32_t sq = rt->spec->sq_depth;
    // The server listens from the start; it makes a QP for the request it accepts.
    rt->server->listen(rt->port, smpa, stcp, [rt, sq] {
      rt->server_qpn = rt->server->create_qp(1, sq);
      return rt->server_qpn;
    });
    const uint32_t ssrc = rt->spec->src_port ? *rt->spec->src_port + rt->copy : 0;
    if (rt->spec->disconnect) {
      // rdma_disconnect by the client at that time, if its QP is up (a graceful close).
      m.control->at(*rt->spec->disconnect, [&m, rt] {
        if (rt->state == "established" && rt->client->rnic().engine().state(rt->client_qpn) == hw::QpState::Rts)
          rt->client->disconnect(rt->client_qpn);
        m.check_done();
      });
    }
    m.control->at(rt->spec->at, [&m, rt, ctcp, cmpa, sq, ssrc] {
      host::Host* h = rt->client;
      rt->client_qpn = h->create_qp(1, sq);
      const uint16_t sport = ssrc ? static_cast<uint16_t>(ssrc) : h->ephemeral_port();
      h->connect(rt->client_qpn, rt->server->config().ip, rt->port, sport, cmpa, ctcp,
                 [&m, rt](uint32_t, int status) {
                   if (status != 0) {
                     rt->state = "refused";
                     // Its workloads never start; results count their operations as errors.
                     m.check_done();
                     return;
                   }
                   rt->state = "established";
                   Endpoint ep{rt->client, rt->server, rt->client_qpn, rt->server_qpn};
                   // The target of Sends posts its receive buffers before any Send starts:
                   // twice as many as the Sends outstanding at once (a Send completes at its
                   // ACK, possibly before its receive is posted again: iWARP has no
                   // receiver-not-ready, a missing buffer is fatal), each as large as the
                   // largest.
                   uint64_t slot = 0;
                   uint32_t slots = 0;
                   for (auto [wi, ri] : rt->runners) {
                     const auto& spec = m.s.workloads[wi];
                     if (spec.op.rfind("send", 0) != 0 || spec.op == "send_lat") continue;
                     slot = std::max(slot, *std::max_element(spec.sizes.begin(), spec.sizes.end()));
                     slots += 2 * spec.depth;
                   }
                   Receiver* recv = nullptr;
                   if (slots) {
                     m.receivers.push_back(std::make_unique<Receiver>(ep, slot, slots));
                     recv = m.receivers.back().get();
                     m.receiver_by_qp[{rt->server, rt->server_qpn}] = recv;
                     recv->start();
                   }
                   for (auto [wi, ri] : rt->runners) {
                     const auto& spec = m.s.workloads[wi];
                     std::unique_ptr<Runner> r;
                     if (is_latency_op(spec.op)) {
                       r = std::make_unique<LatencyRunner>(spec, static_cast<uint32_t>(wi), m.s.seed, ri, ep);
                       // The server's side of the ping-pong runs on its QP.
                       m.runner_by_qp[{rt->server, rt->server_qpn}].push_back(r.get());
                     } else {
                       r = std::make_unique<OpRunner>(spec, static_cast<uint32_t>(wi), m.s.seed, ri, ep, recv);
                     }
                     Runner* rp = r.get();
                     m.runners[wi][ri] = std::move(r);
                     m.runner_by_qp[{rt->client, rt->client_qpn}].push_back(rp);
                     const Duration at = std::max(spec.start, sim_now());
                     m.control->at(at, [&m, rp, id = rt->id] {
                       m.registering_conn = id;  // its regions belong to this connection
                       rp->start();
                       m.registering_conn.clear();
                     });
                   }
                 });
    });
  }
}

// ------------------------------------------------------------------ results

/// Nearest-rank percentile of sorted, non-empty `v` (as perftest reports its percentiles).
int64_t nearest_rank(const std::vector<int64_t>& v, double p) {
  const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

nlohmann::ordered_json latency_json(std::vector<int64_t> v) {
  nlohmann::ordered_json j;
  if (v.empty()) {
    for (const char* k : {"min", "p50", "p99", "max", "avg"}) j[k] = 0;
    return j;
  }
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (auto x : v) sum += static_cast<double>(x);
  j["min"] = v.front();
  j["p50"] = nearest_rank(v, 50);
  j["p99"] = nearest_rank(v, 99);
  j["max"] = v.back();
  j["avg"] = std::round(sum / static_cast<double>(v.size()) * 1000.0) / 1000.0;
  return j;
}

double round6(double x) { return std::round(x * 1e6) / 1e6; }

const char* placement_mode_name(hw::PlacementMode m) {
  switch (m) {
    case hw::PlacementMode::Model: return "model";
    case hw::PlacementMode::Rtl: return "rtl";
    case hw::PlacementMode::Lockstep: return "lockstep";
  }
  return "?";
}

/// The model's latency error against the RTL's cycle count (model - rtl), in ns.
nlohmann::ordered_json timing_error_json(std::vector<int64_t> ps) {
  nlohmann::ordered_json j;
  j["count"] = ps.size();
  if (ps.empty()) {
    for (const char* k : {"min", "p50", "p99", "max", "avg"}) j[k] = 0;
    return j;
  }
  std::sort(ps.begin(), ps.end());
  auto ns = [](double v) { return std::round(v) / 1000.0; };
  double sum = 0;
  for (auto x : ps) sum += static_cast<double>(x);
  j["min"] = ns(static_cast<double>(ps.front()));
  j["p50"] = ns(static_cast<double>(nearest_rank(ps, 50)));
  j["p99"] = ns(static_cast<double>(nearest_rank(ps, 99)));
  j["max"] = ns(static_cast<double>(ps.back()));
  j["avg"] = ns(sum / static_cast<double>(ps.size()));
  return j;
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

nlohmann::ordered_json figures_json(const std::string& op, uint64_t size_field, const SizeFigures& f) {
  nlohmann::ordered_json j;
  j["op"] = op;
  j["size"] = size_field;
  j["completed"] = f.completed;
  j["errors"] = f.errors;
  j["bytes"] = f.bytes;
  double secs = 0;
  if (f.first_post.ps >= 0 && f.last_completion.ps > f.first_post.ps)
    secs = (f.last_completion - f.first_post).s();
  j["goodput_gbps"] = secs > 0 ? round6(static_cast<double>(f.bytes) * 8 / secs / 1e9) : 0.0;
  j["msg_rate_mps"] = secs > 0 ? round6(static_cast<double>(f.completed) / secs / 1e6) : 0.0;
  j["latency_ns"] = latency_json(f.latencies_ns);
  j["data_intact"] = f.data_intact;
  return j;
}

void merge(SizeFigures& into, const SizeFigures& f) {
  into.completed += f.completed;
  into.errors += f.errors;
  into.bytes += f.bytes;
  if (f.first_post.ps >= 0 && (into.first_post.ps < 0 || f.first_post < into.first_post)) into.first_post = f.first_post;
  if (f.last_completion > into.last_completion) into.last_completion = f.last_completion;
  into.latencies_ns.insert(into.latencies_ns.end(), f.latencies_ns.begin(), f.latencies_ns.end());
  into.data_intact = into.data_intact && f.data_intact;
}

nlohmann::ordered_json tcp_json(const tcp::Connection& c) {
  const auto& st = c.stats();
  return {{"segments_tx", st.segments_tx}, {"segments_rx", st.segments_rx},
          {"retransmits", st.retransmits}, {"fast_retransmits", st.fast_retransmits},
          {"timeouts", st.timeouts}, {"srtt_ns", c.srtt().ps / 1000},
          {"cwnd_max_bytes", st.cwnd_max}, {"mss", c.emss() + (c.timestamps_on() ? 12 : 0)},
          {"sack_retransmits", st.sack_retransmits}, {"rto_retransmits", st.rto_retransmits},
          {"dup_acks_rx", st.dup_acks_rx}, {"ooo_segments_rx", st.ooo_segments_rx},
          {"persist_probes", st.persist_probes}, {"ecn_ce_rx", st.ecn_ce_rx}, {"ecn_reductions", st.ecn_reductions},
          {"rack_lost", st.rack_lost}, {"tlp_probes", st.tlp_probes}, {"rto_ns", c.rto_now().ps / 1000}};
}

nlohmann::ordered_json empty_tcp_json() {
  return {{"segments_tx", 0}, {"segments_rx", 0}, {"retransmits", 0}, {"fast_retransmits", 0},
          {"timeouts", 0}, {"srtt_ns", 0}, {"cwnd_max_bytes", 0}, {"mss", 0}, {"sack_retransmits", 0},
          {"rto_retransmits", 0}, {"dup_acks_rx", 0}, {"ooo_segments_rx", 0}, {"persist_probes", 0},
          {"ecn_ce_rx", 0}, {"ecn_reductions", 0}, {"rack_lost", 0}, {"tlp_probes", 0}, {"rto_ns", 0}};
}

const nlohmann::ordered_json* find_metric(const nlohmann::ordered_json& root, const std::string& path) {
  const nlohmann::ordered_json* cur = &root;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t dot = path.find('.', pos);
    if (dot == std::string::npos) dot = path.size();
    const std::string key = path.substr(pos, dot - pos);
    if (!cur->is_object() || !cur->contains(key)) return nullptr;
    cur = &(*cur)[key];
    pos = dot + 1;
  }
  return cur;
}

}  // namespace

namespace {

/// The columns of timeseries.csv: per connection (the active side) cwnd, ssthresh, srtt,
/// bytes in flight and bytes acknowledged so far; per workload the goodput over the last interval; per switch port
/// the queue depth.
void add_series(Model& m) {
  m.series = std::make_unique<TimeSeries>(m.s.timeseries_interval);
  for (const auto& cr : m.conns) {
    const ConnRuntime* c = &cr;
    auto col = [&m, c](const char* what, double (*get)(const tcp::Connection&)) {
      m.series->add(fmt::format("{}.{}", c->id, what), [c, get] {
        const tcp::Connection* t = c->client_tcp();
        return t ? get(*t) : 0.0;
      });
    };
    col("cwnd_bytes", [](const tcp::Connection& t) { return static_cast<double>(t.cwnd()); });
    col("ssthresh_bytes", [](const tcp::Connection& t) { return static_cast<double>(t.ssthresh()); });
    col("srtt_ns", [](const tcp::Connection& t) { return static_cast<double>(t.srtt().ps / 1000); });
    col("in_flight_bytes", [](const tcp::Connection& t) { return static_cast<double>(t.in_flight()); });
    col("acked_bytes", [](const tcp::Connection& t) { return static_cast<double>(t.bytes_acked()); });
  }
  for (size_t wi = 0; wi < m.s.workloads.size(); ++wi) {
    // Bytes of operations completed; for bulk, bytes acknowledged on its streams (a bulk
    // transfer completes once, at its end).
    std::vector<const ConnRuntime*> streams;
    if (m.s.workloads[wi].op == "bulk")
      for (const auto& c : m.conns)
        for (auto [w, ri] : c.runners)
          if (w == wi) streams.push_back(&c);
    auto last = std::make_shared<std::pair<uint64_t, Duration>>(0, Duration{});
    m.series->add(fmt::format("{}.goodput_gbps", m.s.workloads[wi].id), [&m, wi, last, streams] {
      uint64_t bytes = 0;
      if (!streams.empty()) {
        for (const ConnRuntime* c : streams)
          if (const tcp::Connection* t = c->client_tcp()) bytes += t->bytes_acked();
      } else {
        for (size_t ri = 0; ri < m.runners[wi].size(); ++ri)
          if (m.runners[wi][ri])
            for (const auto& [sz, f] : m.runners[wi][ri]->figures()) bytes += f.bytes;
      }
      const Duration now = sim_now();
      const double secs = (now - last->second).s();  // the last row may close a shorter interval
      const double g = secs > 0 ? static_cast<double>(bytes - last->first) * 8 / secs / 1e9 : 0.0;
      *last = {bytes, now};
      return std::round(g * 1e6) / 1e6;
    });
  }
  for (auto& sw : m.switches)
    for (int p = 0; p < static_cast<int>(sw->ports()); ++p) {
      hw::EthSwitch* swp = sw.get();
      m.series->add(fmt::format("{}.{}.queue_bytes", sw->config().name, sw->port_label(p)),
                    [swp, p] { return static_cast<double>(swp->queue_bytes(p)); });
    }
  m.series->start();
}

}  // namespace

RunOutcome run(const Scenario& s, const RunOptions& o) {
  RunOutcome out;
  RunOptions opt = o;
  if (opt.out_dir.empty()) opt.out_dir = (std::filesystem::path("traces/runs") / s.name).string();
  std::filesystem::create_directories(opt.out_dir);
  out.out_dir = opt.out_dir;

  const auto wall0 = std::chrono::steady_clock::now();
  Model m(s, opt);
  build(m);
  add_series(m);
  sc_core::sc_start(to_sc(s.stop_after));
  const Duration end = sim_now();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  for (auto& w : m.runners)
    for (auto& r : w)
      if (r) r->finish_checks();
  for (const auto& c : m.conns)
    for (auto [wi, ri] : c.runners)
      if (c.soft && m.bulk[wi][ri]) m.bulk[wi][ri]->finish_checks(c.sink.get());
  m.series->write((std::filesystem::path(opt.out_dir) / "timeseries.csv").string());
  m.pcaps.clear();  // flush captures
  bool any_wave = false;
  for (auto& h : m.hosts) any_wave = any_wave || (opt.wave && h->rnic().placement().mode() != hw::PlacementMode::Model);
  if (opt.wave && !any_wave) fmt::print(stderr, "rnicsim: --wave: no host runs the RTL placement core; no waves written\n");

  nlohmann::ordered_json r;
  r["scenario"] = s.name;
  r["seed"] = s.seed;
  r["passed"] = false;
  r["sim_time_ns"] = end.ps / 1000;
  r["wall_time_s"] = std::round(wall * 1e6) / 1e6;
  r["events_processed"] = m.events.rounds();  // what sc_delta_count() was with one SC_METHOD per block

  // Workloads.
  nlohmann::ordered_json wl = nlohmann::ordered_json::object();
  for (size_t wi = 0; wi < s.workloads.size(); ++wi) {
    const auto& spec = s.workloads[wi];
    std::map<uint64_t, SizeFigures> by;
    for (uint64_t sz : spec.sizes) by[sz];
    for (size_t ri = 0; ri < m.runners[wi].size(); ++ri) {
      const std::map<uint64_t, SizeFigures>* figs = nullptr;
      if (m.runners[wi][ri]) figs = &m.runners[wi][ri]->figures();
      if (m.bulk[wi][ri]) figs = &m.bulk[wi][ri]->figures();
      if (!figs) {
        // The connection never came up: every operation of this copy failed.
        for (uint64_t sz : spec.sizes) by[sz].errors += spec.count;
        continue;
      }
      for (const auto& [sz, f] : *figs) merge(by[sz], f);
    }
    SizeFigures all;
    for (const auto& [sz, f] : by) merge(all, f);
    auto j = figures_json(spec.op, spec.size_sweep ? 0 : spec.sizes[0], all);
    if (spec.size_sweep) {
      nlohmann::ordered_json bs = nlohmann::ordered_json::object();
      for (uint64_t sz : spec.sizes) bs[std::to_string(sz)] = figures_json(spec.op, sz, by[sz]);
      j["by_size"] = bs;
    }
    wl[spec.id] = j;
  }
  r["workloads"] = wl;

  // Connections.
  nlohmann::ordered_json cj = nlohmann::ordered_json::object();
  for (const auto& c : m.conns) {
    nlohmann::ordered_json j;
    std::string state = c.state;
    // The Terminate, as the side that received it reports it (or, if it never arrived,
    // as its sender recorded it).
    nlohmann::ordered_json term = nullptr;
    if (c.client_qpn != UINT32_MAX && c.server_qpn != UINT32_MAX && state == "established") {
      const auto& ct = c.client->rnic().engine().terminate(c.client_qpn);
      const auto& st = c.server->rnic().engine().terminate(c.server_qpn);
      const hw::TermRecord* rec = nullptr;
      std::string sender;
      if (ct && !ct->sent) rec = &*ct, sender = c.server->config().name;
      else if (st && !st->sent) rec = &*st, sender = c.client->config().name;
      else if (ct) rec = &*ct, sender = c.client->config().name;
      else if (st) rec = &*st, sender = c.server->config().name;
      if (rec) {
        const wire::TermCode& k = rec->msg.code;
        term = {{"layer", k.layer}, {"etype", k.etype}, {"code", k.code}, {"name", wire::term_name(k)},
                {"sent_by", sender}};
      }
    }
    nlohmann::ordered_json mpa{{"revision", c.spec->mpa.revision}, {"crc", false}, {"crc_errors", 0},
                               {"markers", {{"to_server", false}, {"to_client", false}}}};
    if (c.soft) {
      const tcp::Connection* ct = c.client_tcp();
      if (ct && state == "established" && ct->state() != tcp::State::Established) state = tcp::to_string(ct->state());
      j["state"] = state;
      j["tcp"] = ct ? tcp_json(*ct) : empty_tcp_json();
      j["server_tcp"] = c.server_tcp() ? tcp_json(*c.server_tcp()) : empty_tcp_json();
      mpa = {{"revision", 0}, {"crc", false}, {"crc_errors", 0},
             {"markers", {{"to_server", false}, {"to_client", false}}}};
    } else if (c.client_qpn != UINT32_MAX && state == "established") {
      auto& e = c.client->rnic().engine();
      const auto& tc = c.client->rnic().toe().conn(e.conn_of(c.client_qpn));
      if (tc.state() != tcp::State::Established) state = tcp::to_string(tc.state());
      if (e.state(c.client_qpn) == hw::QpState::Error) state = "error";
      if (e.state(c.client_qpn) == hw::QpState::Idle) state = "closed";  // a graceful disconnect
      if (!term.is_null()) state = "terminated";
      j["state"] = state;
      j["qp_state"] = {{"client", hw::to_string(e.state(c.client_qpn))},
                       {"server", c.server_qpn != UINT32_MAX ? hw::to_string(c.server->rnic().engine().state(c.server_qpn))
                                                             : "none"}};
      j["tcp"] = tcp_json(tc);
      if (c.server_qpn != UINT32_MAX) {
        auto& se = c.server->rnic().engine();
        j["server_tcp"] = tcp_json(c.server->rnic().toe().conn(se.conn_of(c.server_qpn)));
      } else {
        j["server_tcp"] = empty_tcp_json();
      }
      const auto& p = e.mpa(c.client_qpn);
      uint64_t crc_err = e.crc_errors(c.client_qpn);
      if (c.server_qpn != UINT32_MAX) crc_err += c.server->rnic().engine().crc_errors(c.server_qpn);
      mpa = {{"revision", p.revision}, {"crc", p.crc}, {"crc_errors", crc_err},
             {"markers", {{"to_server", p.markers_tx}, {"to_client", p.markers_rx}}}};
    } else {
      j["state"] = state;
      j["tcp"] = empty_tcp_json();
      j["server_tcp"] = empty_tcp_json();
    }
    if (!j.contains("qp_state")) j["qp_state"] = {{"client", "none"}, {"server", "none"}};  // no QP
    j["mpa"] = mpa;
    j["terminate"] = term;
    cj[c.id] = j;
  }
  r["connections"] = cj;

  // Hosts.
  bool lockstep_ok = true;
  nlohmann::ordered_json hj = nlohmann::ordered_json::object();
  for (auto& h : m.hosts) {
    auto& rn = h->rnic();
    const auto& ms = rn.mac().stats();
    const auto& ds = rn.dma().stats();
    const auto& ps = rn.placement().stats();
    const auto& fs = rn.firmware().stats();
    const auto& hs = h->stats();
    nlohmann::ordered_json j;
    j["rnic"]["mac"] = {{"frames_tx", ms.frames_tx}, {"frames_rx", ms.frames_rx}, {"bytes_tx", ms.bytes_tx},
                        {"bytes_rx", ms.bytes_rx}, {"fcs_errors", ms.fcs_errors}, {"stale_l2_frames", ms.stale_l2_frames}};
    j["rnic"]["dma"] = {{"read_tlps", ds.read_tlps}, {"write_tlps", ds.write_tlps},
                        {"read_bytes", ds.read_bytes}, {"write_bytes", ds.write_bytes}};
    j["rnic"]["placement"] = {{"segments", ps.segments}, {"bytes", ps.bytes}, {"violations", ps.violations},
                              {"cosim_mismatches", ps.cosim_mismatches}, {"rtl_cycles", ps.rtl_cycles}};
    const auto& es = rn.engine().stats();
    j["rnic"]["engine"] = {{"fpdus_tx", es.fpdus_tx}, {"fpdus_rx", es.fpdus_rx}, {"wqes", es.wqes}, {"cqes", es.cqes},
                           {"read_requests_rx", es.read_requests_rx}, {"read_responses_tx", es.read_responses_tx},
                           {"atomic_requests_rx", es.atomic_requests_rx},
                           {"atomic_responses_tx", es.atomic_responses_tx},
                           {"direct_placements", es.direct_placements}, {"direct_bytes", es.direct_bytes},
                           {"untagged_bytes_placed", es.untagged_bytes_placed},
                           {"terminates_tx", es.terminates_tx}, {"terminates_rx", es.terminates_rx}};
    j["rnic"]["placement"]["mode"] = placement_mode_name(rn.placement().mode());
    j["rnic"]["placement"]["timing_error_ns"] = timing_error_json(ps.timing_error_ps);
    if (ps.first_mismatch) {
      auto it = m.conn_of_stag.find({h.get(), ps.first_mismatch->stag});
      j["rnic"]["placement"]["first_mismatch"] =
          mismatch_json(*ps.first_mismatch, it == m.conn_of_stag.end() || it->second.empty() ? "?" : it->second);
    } else {
      j["rnic"]["placement"]["first_mismatch"] = nullptr;
    }
    lockstep_ok = lockstep_ok && ps.cosim_mismatches == 0;
    j["rnic"]["firmware"] = {{"commands", fs.commands}, {"netevents_handled", fs.netevents_handled},
                             {"busy_ns", fs.busy.ps / 1000}};
    j["host_if"] = {{"netevents_to_rnic", hs.netevents_to_rnic}, {"events_to_host", hs.events_to_host},
                    {"port_conflicts", hs.port_conflicts}, {"netfilter_drops", hs.netfilter_drops}};
    hj[h->config().name] = j;
  }
  r["hosts"] = hj;

  nlohmann::ordered_json lj = nlohmann::ordered_json::object();
  for (auto& l : m.links)
    lj[l->config().name] = {{"frames", l->stats().frames}, {"drops", l->stats().drops},
                            {"corrupted", l->stats().corrupted}, {"reordered", l->stats().reordered}};
  r["links"] = lj;

  nlohmann::ordered_json sj = nlohmann::ordered_json::object();
  for (auto& sw : m.switches) {
    const auto& st = sw->stats();
    nlohmann::ordered_json j;
    uint64_t drops = 0, marked = 0, qmax = 0, tx = 0;
    nlohmann::ordered_json pj = nlohmann::ordered_json::object();
    for (int p = 0; p < static_cast<int>(sw->ports()); ++p) {
      const auto& ps = sw->port_stats(p);
      drops += ps.drops;
      marked += ps.ecn_marked;
      tx += ps.frames_tx;
      qmax = std::max(qmax, ps.queue_max_bytes);
      const double avg = ps.busy_ps > 0 ? ps.queue_byte_ps / static_cast<double>(ps.busy_ps) : 0.0;
      pj[sw->port_label(p)] = {{"frames_tx", ps.frames_tx}, {"drops", ps.drops}, {"ecn_marked", ps.ecn_marked},
                               {"queue_max_bytes", ps.queue_max_bytes}, {"queue_avg_bytes", std::round(avg)}};
    }
    j = {{"frames_rx", st.frames_rx}, {"frames_tx", tx}, {"drops", drops}, {"ecn_marked", marked},
         {"fcs_errors", st.fcs_errors}, {"flooded", st.flooded}, {"queue_max_bytes", qmax}, {"ports", pj}};
    sj[sw->config().name] = j;
  }
  r["switches"] = sj;

  // Expectations.
  bool passed = true;
  nlohmann::ordered_json ex = nlohmann::ordered_json::array();
  for (const auto& e : s.expect) {
    nlohmann::ordered_json j;
    j["metric"] = e.metric;
    j["op"] = e.op;
    std::visit([&](const auto& v) { j["want"] = v; }, e.want);
    const nlohmann::ordered_json* a = find_metric(r, e.metric);
    bool ok = false;
    if (a) {
      j["actual"] = *a;
      if (a->is_number() && std::holds_alternative<double>(e.want)) {
        const double av = a->get<double>();
        const double wv = std::get<double>(e.want);
        if (e.op == "eq") ok = av == wv;
        else if (e.op == "min") ok = av >= wv;
        else if (e.op == "max") ok = av <= wv;
        else if (e.op == "approx") {
          double tol = 0;
          if (e.abs) tol = std::max(tol, *e.abs);
          if (e.rel) tol = std::max(tol, *e.rel * std::fabs(wv));
          ok = std::fabs(av - wv) <= tol;
        }
      } else if (a->is_string() && std::holds_alternative<std::string>(e.want)) {
        ok = e.op == "eq" && a->get<std::string>() == std::get<std::string>(e.want);
      } else if (a->is_boolean() && std::holds_alternative<bool>(e.want)) {
        ok = e.op == "eq" && a->get<bool>() == std::get<bool>(e.want);
      }
    } else {
      j["actual"] = nullptr;
    }
    j["passed"] = ok;
    passed = passed && ok;
    ex.push_back(j);
  }
  r["expectations"] = ex;
  passed = passed && lockstep_ok;  // a lockstep divergence fails the run like an expectation
  r["passed"] = passed;

  // Files.
  {
    std::ofstream f(std::filesystem::path(opt.out_dir) / "results.json");
    f << r.dump(2) << '\n';
  }
  {
    std::ofstream f(std::filesystem::path(opt.out_dir) / "events.jsonl");
    f << m.log.text();
  }

  // Summary.
  std::string sum = fmt::format("{}: simulated {:.3f} ms in {:.2f} s wall\n", s.name, static_cast<double>(end.ps) / 1e9, wall);
  for (const auto& [id, w] : r["workloads"].items())
    sum += fmt::format("  workload {:<10} {:>6} completed {:>4} errors  goodput {:8.3f} Gb/s  latency p50 {} ns p99 {} ns  data {}\n",
                       id, w["completed"].get<uint64_t>(), w["errors"].get<uint64_t>(),
                       w["goodput_gbps"].get<double>(), w["latency_ns"]["p50"].dump(),
                       w["latency_ns"]["p99"].dump(), w["data_intact"].get<bool>() ? "intact" : "CORRUPT");
  size_t shown = 0;
  const size_t nconns = r["connections"].size();
  for (const auto& [id, c] : r["connections"].items()) {
    if (++shown > 16 && nconns > 20) {
      sum += fmt::format("  ... {} more connections in results.json\n", nconns - 16);
      break;
    }
    sum += fmt::format("  connection {:<8} {:<12} retransmits {} (server {})\n", id, c["state"].get<std::string>(),
                       c["tcp"]["retransmits"].get<uint64_t>(), c["server_tcp"]["retransmits"].get<uint64_t>());
  }
  for (const auto& e : r["expectations"])
    if (!e["passed"].get<bool>())
      sum += fmt::format("  FAILED expect {} {} {} (actual {})\n", e["metric"].get<std::string>(),
                         e["op"].get<std::string>(), e["want"].dump(), e["actual"].dump());
  for (const auto& [hn, hv] : r["hosts"].items()) {
    const auto& pl = hv["rnic"]["placement"];
    if (pl["mode"] == "model") continue;
    sum += fmt::format("  placement {:<8} {:<8} {} segments, {} RTL cycles, {} lockstep mismatches\n", hn,
                       pl["mode"].get<std::string>(), pl["segments"].get<uint64_t>(), pl["rtl_cycles"].get<uint64_t>(),
                       pl["cosim_mismatches"].get<uint64_t>());
  }
  if (!lockstep_ok) sum += "  FAILED lockstep: the RTL placement core diverged from the model\n";
  sum += fmt::format("  {} expectations {}\n", r["expectations"].size(), passed ? "held" : "FAILED");
  sum += fmt::format("  outputs: {}/{{results.json, events.jsonl, timeseries.csv{}{}}}\n", opt.out_dir,
                     opt.pcap == "off" ? "" : ", <host>.pcap", any_wave ? ", <host>.rtl.fst" : "");
  out.summary = sum;
  out.results = std::move(r);
  out.passed = passed;
  return out;
}

}  // namespace rnicsim::sim

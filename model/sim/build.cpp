// Builds the model of a scenario: hosts with their RNICs from the profiles, switches,
// routers, links, captures, the lockstep observers, connections and their workloads.
#include <algorithm>
#include <filesystem>
#include <functional>
#include <stdexcept>

#include <fmt/format.h>

#include "model/scenario/profiles.h"
#include "model/scenario/units_parse.h"
#include "model/sim/model.h"
#include "model/sim/peer_rdma.h"
#include "model/sim/ping.h"

namespace rnicsim::sim {

using scenario::Scenario;

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
  // A connection takes its MSS from its route's MTU; this is for one no route covers (tried
  // on link through the host's own device).
  c.mss = static_cast<uint16_t>(mtu - 40);  // IPv4 and TCP headers without options
  c.init_cwnd = t.init_cwnd;
  c.min_rto = t.min_rto;
  c.delayed_ack = t.delayed_ack;
  c.timestamps = t.timestamps;
  c.sack = t.sack;
  c.rack = t.rack;
  c.nodelay = host_stack ? t.nodelay : true;
  // The host's stack behaves as Linux's: Minshall's Nagle, quick-ACK mode and PSH at the
  // end of the queued data (the RNIC's offload engine acknowledges a message's last
  // segment at once, sends no Nagle and pushes every FPDU). docs/linux-interop.md.
  c.minshall = host_stack;
  c.quickack = host_stack;
  c.psh_at_end = host_stack;
  c.wscale = t.wscale;
  c.rcvbuf = t.rcvbuf;
  c.sndbuf = t.sndbuf;
  c.user_timeout = t.user_timeout;
  c.cc = t.cc;
  return c;
}

/// The RNIC's PCIe link: the scenario's `pcie` keys over the profile's link; the credits,
/// the completer's rate and the UpdateFC latency are the model's sourced defaults
/// (model/hw/pcie/link.h). `read_latency` is the completer's latency: from a read
/// request's last byte leaving the RNIC to the root complex returning its first data.
hw::pcie::PcieConfig pcie_config(const scenario::PcieSpec& p, const scenario::Profile& prof) {
  hw::pcie::PcieConfig c;
  c.gen = p.gen.value_or(prof.pcie_gen);
  c.lanes = p.lanes.value_or(prof.pcie_lanes);
  c.mps = p.mps;
  c.mrrs = p.mrrs;
  c.rcb = p.rcb;
  c.extended_tags = p.extended_tags;
  c.completer_latency = p.read_latency.value_or(prof.pcie_read_latency);
  return c;
}

/// A connection's completion queues (`qp.cq_depth`, `qp.cq_mode`, `qp.cq_moderation`).
using CqSetup = hw::CqOptions;
CqSetup cq_setup(const scenario::ConnectionSpec& c) {
  CqSetup o;
  o.depth = c.cq_depth;
  o.event = c.cq_mode == "event";
  o.moderation.count = c.cq_moderation_count;
  o.moderation.period = c.cq_moderation_period;
  return o;
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
  if (h.rnic.type == 3) {
    // Its own addresses for what it offloads, the host's beside them on the port; its TOE
    // answers segments for no connection to its address with RST (nobody else would).
    c.mac = *h.rnic.mac;
    c.ip = h.rnic.ip->addr;
    c.host_mac = h.mac;
    c.host_ip = h.ip.addr;
    c.toe.reset_unmatched = true;
  }
  c.mtu = h.mtu;
  c.mac_cfg.rate = rate;
  c.mac_cfg.latency = pv.duration("mac_latency");
  c.mac_cfg.tx_queue = static_cast<uint32_t>(pv.count("mac_tx_queue"));
  c.toe.tx_latency = c.toe.rx_latency = clk * static_cast<int64_t>(pv.count("toe_cycles_per_segment"));
  c.engine.fpdu_latency = clk * static_cast<int64_t>(pv.count("engine_cycles_per_fpdu"));
  c.engine.doorbell_latency = pv.duration("doorbell_latency");
  c.engine.wqe_size = static_cast<uint32_t>(pv.size("wqe_size"));
  c.engine.cqe_size = static_cast<uint32_t>(pv.size("cqe_size"));
  c.engine.max_inline = static_cast<uint32_t>(pv.size("max_inline"));
  c.engine.wqe_push_max = static_cast<uint32_t>(pv.size("wqe_push_max"));
  c.engine.interrupt_latency = pv.duration("interrupt_latency");
  c.engine.tx_prefetch = pv.size("tx_prefetch");
  c.placement.clock_period = clk;
  c.placement.cycles_per_segment = static_cast<uint32_t>(pv.count("placement_cycles_per_segment"));
  c.placement.regions = static_cast<uint32_t>(pv.count("max_regions"));
  c.dma.pcie = pcie_config(h.rnic.pcie, *prof);
  return c;
}

fw::FirmwareConfig firmware_config(const scenario::HostSpec& h, uint64_t seed) {
  const scenario::Profile* prof = scenario::find_profile(h.rnic.profile);
  if (!prof) throw std::runtime_error("unknown profile " + h.rnic.profile);
  ProfileValues pv{prof, &h.rnic.overrides};
  fw::FirmwareConfig c;
  auto& fc = c.costs;
  fc.neigh_update = pv.duration("fw_neigh_update_cost");
  fc.connect = pv.duration("fw_connect_cost");
  fc.listen = pv.duration("fw_listen_cost");
  fc.syn = pv.duration("fw_syn_cost");
  fc.mpa = pv.duration("fw_mpa_cost");
  fc.accept = pv.duration("fw_accept_cost");
  fc.pmtu_update = pv.duration("fw_pmtu_update_cost");
  fc.redirect = pv.duration("fw_redirect_cost");
  fc.netdev = pv.duration("fw_netdev_cost");
  fc.arp_snoop = pv.duration("fw_arp_snoop_cost");
  fc.arp = pv.duration("fw_arp_cost");
  fc.icmp = pv.duration("fw_icmp_cost");
  c.arp_snoop = h.rnic.notify == "arp_snoop";
  fc.netfilter = pv.duration("fw_netfilter_cost");
  if (h.rnic.type == 3) {
    fw::OwnStackConfig o;
    o.ip = h.rnic.ip->addr;
    o.prefix_len = h.rnic.ip->len;
    o.mac = *h.rnic.mac;
    o.mtu = h.mtu;
    for (const auto& r : h.routes) o.host_routes.push_back({r.dst.addr, r.dst.len, r.via, h.mtu});
    if (h.gateway) o.host_routes.push_back({0, 0, *h.gateway, h.mtu});
    o.seed = seed;
    o.rng_name = h.name + ".rnic.neigh";
    c.own_stack = std::move(o);
  }
  c.mpa.max_ird = static_cast<uint32_t>(pv.count("max_ird"));
  c.mpa.rtr_types = static_cast<uint8_t>(pv.count("mpa_rtr_types"));
  return c;
}

/// A hosts[].netfilter rule as the host's netfilter runs it.
netstack::NfRule nf_rule(const scenario::NetfilterRule& r) {
  using netstack::NfProto;
  using netstack::Verdict;
  netstack::NfRule n;
  n.chain = r.chain == "output" ? netstack::Chain::Output : netstack::Chain::Input;
  n.verdict = r.action == "drop" ? Verdict::Drop : r.action == "reject" ? Verdict::Reject : Verdict::Accept;
  n.proto = r.proto == "tcp" ? NfProto::Tcp : r.proto == "udp" ? NfProto::Udp : r.proto == "icmp" ? NfProto::Icmp : NfProto::Any;
  if (r.src) n.src = netstack::NfPrefix{r.src->addr, r.src->len};
  if (r.dst) n.dst = netstack::NfPrefix{r.dst->addr, r.dst->len};
  n.sport = r.sport;
  n.dport = r.dport;
  return n;
}

Rate profile_rate(const scenario::HostSpec& h) {
  if (h.rnic.line_rate) return *h.rnic.line_rate;
  const scenario::Profile* prof = scenario::find_profile(h.rnic.profile);
  ProfileValues pv{prof, &h.rnic.overrides};
  return pv.rate("line_rate");
}

mpa::Settings mpa_setup(int revision, const scenario::MpaSideSpec& m) {
  mpa::Settings s;
  s.revision = revision;
  s.markers = m.markers;
  s.crc = m.crc;
  s.ird = m.ird;
  s.ord = m.ord;
  s.private_data.assign(m.private_data.begin(), m.private_data.end());
  s.reject = m.reject;
  return s;
}

Rate link_rate(const Scenario& s, const scenario::LinkSpec& l) {
  if (l.rate) return *l.rate;
  for (const auto& e : l.ends)
    for (const auto& h : s.hosts)
      if (h.name == e.node && h.rnic.line_rate) return *h.rnic.line_rate;
  for (const auto& h : s.hosts)
    if (h.name == l.ends[0].node || h.name == l.ends[1].node) return profile_rate(h);
  return Rate::from_gbps(25);
}

/// The application of a host-stack socket: its `bulk` (sending) and `sink` (reading)
/// workloads, and the connection's state as the scenario reports it. Told of one
/// connection (`conn`, once known).
struct StreamApp : hw::ToeClient {
  Model& m;
  ConnRuntime* rt;
  uint32_t conn = UINT32_MAX;
  BulkRunner* send = nullptr;
  BulkRunner* recv = nullptr;
  StreamApp(Model& mm, ConnRuntime* r) : m(mm), rt(r) {}
  bool mine(uint32_t c) const { return conn == UINT32_MAX || c == conn; }
  bool toe_data(uint32_t c, ConstByteSpan d) override {
    if (mine(c) && recv) {
      recv->toe_data(c, d);
      m.check_done();
    }
    return false;
  }
  void toe_acked(uint32_t c, uint64_t total) override {
    if (!mine(c)) return;
    if (send) send->toe_acked(c, total);
    m.check_done();
  }
  void toe_state(uint32_t c, tcp::State from, tcp::State to) override {
    if (!mine(c)) return;
    if (to == tcp::State::Established && rt->state == "connecting") {
      rt->state = "established";
      for (auto [wi, ri] : rt->runners) {
        BulkRunner* b = m.bulk[wi][ri].get();
        b->attach(c);
        m.control->at(std::max(m.s.workloads[wi].start, sim_now()), [b] { b->start(); });
      }
    }
    if (to == tcp::State::Closed && rt->state == "connecting")
      rt->state = rt->client->soft_tcp().engine().conn(c).close_reason() == tcp::CloseReason::Timeout ? "timed_out"
                                                                                                 : "refused";
    for (BulkRunner* b : {send, recv})
      if (b) b->toe_state(c, from, to);
    m.check_done();
  }
};

/// The connection's workloads as its client's application: `bulk` sends, `sink` reads.
StreamApp* make_stream_app(Model& m, ConnRuntime* rt, uint64_t key) {
  auto app = std::make_unique<StreamApp>(m, rt);
  for (auto [wi, ri] : rt->runners) {
    const auto& spec = m.s.workloads[wi];
    const bool sink = spec.op == "sink";
    auto r = std::make_unique<BulkRunner>(spec, key, rt->client->soft_tcp().engine(),
                                          sink ? BulkRunner::Role::Receive : BulkRunner::Role::Send);
    (sink ? app->recv : app->send) = r.get();
    m.bulk[wi][ri] = std::move(r);
  }
  StreamApp* a = app.get();
  m.watchers.push_back(std::move(app));
  return a;
}

/// The client's socket: at `at` it binds its port (the host's port space: a port already
/// taken fails the bind, and the connection never starts), resolves its next hop toward
/// `dst` (EHOSTUNREACH, as Linux's connect, when it never answers) and connects to `dst`
/// at the connection's port; `app` (made then, by `make_app`) is its application.
void connect_at(Model& m, ConnRuntime* rt, wire::Ipv4Addr dst, const tcp::Config& cfg,
                std::function<StreamApp*()> make_app) {
  const uint32_t ssrc = rt->spec->src_port ? *rt->spec->src_port + rt->copy : 0;
  m.control->at(rt->spec->at, [&m, rt, dst, cfg, ssrc, make_app] {
    host::Host* h = rt->client;
    const uint16_t sport = ssrc ? static_cast<uint16_t>(ssrc) : h->ephemeral_port();
    if (!h->reserve_port(sport)) {
      rt->state = "port_in_use";
      m.check_done();
      return;
    }
    h->when_resolved(h->next_hop(dst), [&m, rt, dst, cfg, sport, make_app](wire::MacAddr mac) {
      host::Host* hc = rt->client;
      if (mac == 0) {
        rt->state = "unreachable";  // the next hop never answered ARP: EHOSTUNREACH, as Linux's connect
        m.check_done();
        return;
      }
      StreamApp* app = make_app();
      const hw::FourTuple t{hc->config().ip, dst, sport, rt->port};
      app->conn = rt->client_conn = hc->soft_tcp().connect(t, cfg, app);
    });
  });
}

/// A `kind: tcp` connection: the server's stack listens from the start; the client
/// resolves its next hop, connects at `at`, and its bulk workloads start once established.
void build_soft_connection(Model& m, ConnRuntime* rt, const tcp::Config& ctcp, const tcp::Config& stcp) {
  const uint64_t key = stream_key(rt->id, m.s.seed);
  rt->sink = std::make_shared<BulkSink>(key);
  // The host's own sockets bind in its port space: the listening one now, the client's at
  // its connect. A port already taken (by an offloaded connection under port_space: shared,
  // or another socket) fails the bind, and the connection never starts.
  if (!rt->server->reserve_port(rt->port)) {
    rt->state = "port_in_use";
    return;
  }
  rt->server->soft_tcp().listen(rt->port, stcp, [rt](uint32_t conn) -> hw::ToeClient* {
    rt->server_conn = conn;
    return rt->sink.get();
  });
  connect_at(m, rt, rt->server->config().ip, ctcp, [&m, rt, key] { return make_stream_app(m, rt, key); });
}

/// A `kind: tcp` connection to a peer outside the simulation (over a TAP end): the
/// simulated host's socket listens from the start (the peer in `from`) or connects at `at`
/// (the peer in `to`). Its `bulk` workload sends once the connection is established, its
/// `sink` workload reads; both run on the stream's pattern (`rnicsim pattern`). Only the
/// first connection the listening socket accepts is the scenario's: later ones are read
/// and discarded (counted in the host's TCP figures).
void build_outside_connection(Model& m, ConnRuntime* rt, const tcp::Config& cfg) {
  const uint64_t key = stream_key(rt->id, m.s.seed);
  const wire::Ipv4Addr peer = *rt->spec->outside;
  if (!rt->spec->outside_is_client) {
    connect_at(m, rt, peer, cfg, [&m, rt, key] { return make_stream_app(m, rt, key); });
    return;
  }
  host::Host* h = rt->server;  // client and server are the one simulated host
  if (!h->reserve_port(rt->port)) {
    rt->state = "port_in_use";
    return;
  }
  StreamApp* a = make_stream_app(m, rt, key);
  static hw::ToeClient* const discard = [] {
    struct Discard : hw::ToeClient {
      bool toe_data(uint32_t, ConstByteSpan) override { return false; }
      void toe_acked(uint32_t, uint64_t) override {}
      void toe_state(uint32_t, tcp::State, tcp::State) override {}
    };
    static Discard d;
    return &d;
  }();
  h->soft_tcp().listen(rt->port, cfg, [rt, a, peer](uint32_t conn) -> hw::ToeClient* {
    if (a->conn != UINT32_MAX || rt->server->soft_tcp().engine().tuple(conn).remote_ip != peer) return discard;
    a->conn = conn;
    rt->server_conn = conn;
    return a;
  });
}

/// A `kind: rdma` connection from a peer outside the simulation (over a TAP end): the
/// simulated host's RNIC listens on `port` from the start, with the `expose` workloads'
/// regions registered and described in the MPA Reply's private data (after the IRD/ORD
/// prefix); the first request from the peer's address is accepted on a QP whose `sink`
/// receives are posted before the Reply goes out; any other request is rejected.
void build_outside_rdma(Model& m, ConnRuntime* rt, const tcp::Config& stcp, mpa::Settings smpa) {
  host::Host* h = rt->server;  // client and server are the one simulated host
  const wire::Ipv4Addr peer = *rt->spec->outside;
  std::vector<ExposeRunner*> exposes;
  PeerSinkRunner* sink = nullptr;
  std::vector<uint8_t> descriptors;
  for (auto [wi, ri] : rt->runners) {
    const auto& spec = m.s.workloads[wi];
    if (spec.op == "expose") {
      const std::string stream = rt->spec->repeat > 1 ? fmt::format("{}_{}", spec.id, rt->copy) : spec.id;
      auto r = std::make_unique<ExposeRunner>(spec, stream_key(stream, m.s.seed), *h);
      m.registering_conn = rt->id;  // its regions belong to this connection
      r->register_regions();
      m.registering_conn.clear();
      r->describe(descriptors);
      exposes.push_back(r.get());
      m.runners[wi][ri] = std::move(r);
    } else {  // sink: the peer's Sends (the only other workload with an outside RDMA peer)
      auto r = std::make_unique<PeerSinkRunner>(spec, static_cast<uint32_t>(wi), stream_key(rt->id, m.s.seed), *h,
                                                rt->spec->rq_depth);
      sink = r.get();
      m.runners[wi][ri] = std::move(r);
    }
  }
  // The regions' descriptors are the Reply's private data (the scenario may write none
  // beside them); without regions, the scenario's own, if any.
  if (!exposes.empty()) smpa.private_data = std::move(descriptors);
  const uint32_t sq = rt->spec->sq_depth, rq = rt->spec->rq_depth;
  const CqSetup cqs = cq_setup(*rt->spec);
  const bool listening = h->listen(rt->port, smpa, stcp, [&m, rt, h, peer, sq, rq, cqs, exposes, sink](wire::Ipv4Addr remote) {
    if (rt->server_qpn != UINT32_MAX || remote != peer) return host::Host::kRejectRequest;
    rt->server_qpn = h->create_qp(1, sq, rq, cqs);
    // Accepted: results tell from the QP whether its stream came up (RTS) or is still
    // being set up (not attached yet, or in RTR awaiting the peer's RTR).
    rt->state = "established";
    auto& mine = m.runner_by_qp[{h, rt->server_qpn}];
    for (ExposeRunner* r : exposes) {
      r->attach(rt->server_qpn);
      mine.push_back(r);
    }
    if (sink) {
      m.registering_conn = rt->id;  // its receive buffers belong to this connection
      sink->attach(rt->server_qpn);
      m.registering_conn.clear();
      mine.push_back(sink);
    }
    return rt->server_qpn;
  });
  if (!listening) {
    // The port is taken in the host's port space: nothing listens, and every region and
    // message of the connection is an error.
    rt->state = "port_in_use";
    for (ExposeRunner* r : exposes) r->never_listened();
    if (sink) sink->never_listened();
  }
}

}  // namespace

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
    hc.notify = h.rnic.notify == "arp_snoop" ? host::Notify::ArpSnoop
                : h.rnic.notify == "none"    ? host::Notify::None
                                             : host::Notify::Netevent;
    for (const auto& r : h.netfilter) hc.netfilter.push_back(nf_rule(r));
    hc.netfilter_enforce = h.rnic.netfilter == "enforce";
    if (h.rnic.type == 3) {
      hc.notify = host::Notify::OwnStack;
      hc.rnic_ip = h.rnic.ip->addr;
      hc.rnic_prefix_len = h.rnic.ip->len;
      hc.rnic_mac = *h.rnic.mac;
    }
    hc.soft_tcp.segment_cost = h.tcp.segment_cost;
    const Rate rate = rate_of.count(h.name) ? rate_of[h.name] : profile_rate(h);
    hw::RnicConfig rc = rnic_config(h, rate);
    rc.placement.mode = *hw::parse_placement_mode(m.opt.placement.empty() ? h.rnic.placement : m.opt.placement);
    rc.placement.lockstep_stop_first = m.opt.lockstep_stop != "never";
    rc.placement.make_core = m.opt.rtl_core;
    if (m.opt.wave && rc.placement.mode != hw::PlacementMode::Model)
      rc.placement.wave_path = (std::filesystem::path(m.opt.out_dir) / (h.name + ".rtl.fst")).string();
    m.nodes.push_back(std::make_unique<Node>(h.name.c_str(), hc, rc, firmware_config(h, s.seed), m.log, s.seed));
    m.host_by_name[h.name] = &m.nodes.back()->host();
    m.hosts.push_back(&m.nodes.back()->host());
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
  std::map<std::string, hw::Router*> router_by_name;
  for (const auto& r : s.routers) {
    hw::RouterConfig rc;
    rc.name = r.name;
    rc.latency = r.latency;
    rc.redirects = r.redirects;
    for (const auto& f : r.interfaces) rc.interfaces.push_back({f.name, f.ip.addr, f.ip.len, f.mac, f.mtu});
    for (const auto& rt : r.routes) rc.routes.push_back({rt.dst.addr, rt.dst.len, rt.via});
    m.routers.push_back(std::make_unique<hw::Router>(("router_" + r.name).c_str(), rc, s.seed));
    router_by_name[r.name] = m.routers.back().get();
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
      if (!l.ends[end].tap.empty()) {  // the kernel's stack, through a TAP device
        std::string why;
        auto dev = hw::TapDevice::open(l.ends[end].tap, &why);
        if (!dev)
          throw BadInput{l.loc, fmt::format("links '{}': tap:{}: cannot attach: {}", l.name, l.ends[end].tap, why)};
        auto tap = std::make_unique<hw::TapPort>(("tap_" + l.ends[end].tap).c_str(), std::move(dev), link.get(), end,
                                                 lc.rate);
        link->attach(end, tap.get());
        m.taps.push_back({l.name, std::move(tap)});
        continue;
      }
      const std::string& node = l.ends[end].node;
      if (auto sw = switch_by_name.find(node); sw != switch_by_name.end()) {
        sw->second->add_port(link.get(), end, lc.rate, l.name);
        continue;
      }
      if (!l.ends[end].iface.empty()) {  // router.interface
        hw::Router* r = router_by_name.at(node);
        r->attach(static_cast<size_t>(r->interface_index(l.ends[end].iface)), link.get(), end, lc.rate);
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
    host::Host* hp = h;
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
  for (auto& h : m.hosts) {
    host::Host* hp = h;
    hp->set_cqe_handler([&m, hp](const hw::Cqe& c) {
      auto rit = m.receiver_by_qp.find({hp, c.qpn});
      if (rit != m.receiver_by_qp.end()) rit->second->on_cqe(c, m.s.seed);
      auto it = m.runner_by_qp.find({hp, c.qpn});
      if (it != m.runner_by_qp.end())
        for (Runner* r : it->second) r->on_cqe(c);
      m.check_done();  // a receive placed may be the last placement the run waits for
    });
    hp->set_write_placed_handler([&m, hp](uint32_t qpn, uint32_t stag, uint64_t to_end, uint64_t bytes) {
      bool any = false;
      for (auto* map : {&m.runner_by_qp, &m.write_sink_by_qp}) {
        auto it = map->find({hp, qpn});
        if (it == map->end()) continue;
        for (Runner* r : it->second) r->on_write_placed(hp, qpn, stag, to_end, bytes);
        any = true;
      }
      if (any) m.check_done();  // a Write placed may be the last placement the run waits for
    });
    hp->set_read_sent_handler([&m, hp](uint32_t qpn, uint32_t stag, uint64_t va, uint64_t len) {
      auto it = m.runner_by_qp.find({hp, qpn});
      if (it == m.runner_by_qp.end()) return;
      for (Runner* r : it->second) r->on_read_sent(hp, qpn, stag, va, len);
    });
  }
  // Connections and their workloads.
  for (const auto& c : s.connections) {
    for (uint32_t i = 0; i < c.repeat; ++i) {
      ConnRuntime rt;
      rt.id = c.repeat > 1 ? fmt::format("{}_{}", c.id, i) : c.id;
      rt.spec = &c;
      // With a peer outside the simulation, both name the simulated host.
      rt.client = m.host_by_name.at(c.outside && c.outside_is_client ? c.to : c.from);
      rt.server = m.host_by_name.at(c.outside && !c.outside_is_client ? c.from : c.to);
      rt.port = static_cast<uint16_t>(c.port + i);
      rt.copy = i;
      rt.soft = c.kind == "tcp";
      m.conns.push_back(std::move(rt));
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
  // ping workloads: no connection, one runner on their host from `start`.
  for (size_t wi = 0; wi < s.workloads.size(); ++wi) {
    const auto& w = s.workloads[wi];
    if (w.op != "ping") continue;
    auto r = std::make_unique<PingRunner>(w, static_cast<uint32_t>(wi), *m.host_by_name.at(w.from), *m.control,
                                          [&m] { m.check_done(); });
    r->start();
    m.runners[wi].push_back(std::move(r));
    m.bulk[wi].push_back(nullptr);
  }
  for (size_t ci = 0; ci < m.conns.size(); ++ci) {
    ConnRuntime* rt = &m.conns[ci];
    const scenario::HostSpec* cs = nullptr;
    const scenario::HostSpec* ss = nullptr;
    for (const auto& h : s.hosts) {
      if (h.name == rt->client->config().name) cs = &h;
      if (h.name == rt->server->config().name) ss = &h;
    }
    if (rt->spec->outside && !rt->soft) {  // the peer connects (one that listens is refused as not simulated yet)
      build_outside_rdma(m, rt, tcp_config(ss->rnic.tcp, ss->mtu, false),
                         mpa_setup(rt->spec->mpa.server_revision, rt->spec->mpa.server));
      continue;
    }
    if (rt->spec->outside) {
      build_outside_connection(m, rt, tcp_config(cs->tcp, cs->mtu, true));
      continue;
    }
    if (rt->soft) {
      build_soft_connection(m, rt, tcp_config(cs->tcp, cs->mtu, true), tcp_config(ss->tcp, ss->mtu, true));
      continue;
    }
    const tcp::Config ctcp = tcp_config(cs->rnic.tcp, cs->mtu, false);
    const tcp::Config stcp = tcp_config(ss->rnic.tcp, ss->mtu, false);
    const mpa::Settings cmpa = mpa_setup(rt->spec->mpa.revision, rt->spec->mpa.client);
    const mpa::Settings smpa = mpa_setup(rt->spec->mpa.server_revision, rt->spec->mpa.server);
    const uint32_t sq = rt->spec->sq_depth, rq = rt->spec->rq_depth;
    // The server listens from the start; it makes a QP for the request it accepts.
    // The target of Sends posts its receive buffers before it accepts (rdma_accept wants
    // them posted: a Send that finds none is fatal, RFC 5040 7.2), each as large as the
    // largest: one per Send the connection will carry, up to qp.rq_depth (the Receiver's
    // bound). A Send completes at its TCP ACK, while its receive completes only once
    // placement has caught up, which on a bus slower than the wire runs far behind: an
    // application that kept only a few receives posted would see its Sends consume them
    // faster than it can post them again (iWARP has no receiver-not-ready).
    uint64_t slot = 0, sends = 0;
    for (auto [wi, ri] : rt->runners) {
      const auto& spec = m.s.workloads[wi];
      if (spec.op.rfind("send", 0) != 0 || spec.op == "send_lat") continue;
      slot = std::max(slot, *std::max_element(spec.sizes.begin(), spec.sizes.end()));
      const uint64_t n = std::min<uint64_t>(spec.count, UINT32_MAX) * spec.sizes.size();
      sends = std::min<uint64_t>(sends + n, UINT32_MAX);
    }
    const auto slots = static_cast<uint32_t>(std::min<uint64_t>(sends, UINT32_MAX));
    const CqSetup cqs = cq_setup(*rt->spec);
    const bool listening = rt->server->listen(rt->port, smpa, stcp, [&m, rt, sq, rq, slot, slots, cqs](wire::Ipv4Addr) {
      rt->server_qpn = rt->server->create_qp(1, sq, rq, cqs);
      if (slots && !rt->receiver) {
        Endpoint ep{rt->client, rt->server, rt->client_qpn, rt->server_qpn, nullptr, nullptr, rt->spec->rq_depth};
        m.receivers.push_back(std::make_unique<Receiver>(ep, slot, slots));
        rt->receiver = m.receivers.back().get();
        m.receiver_by_qp[{rt->server, rt->server_qpn}] = rt->receiver;
        m.registering_conn = rt->id;  // its regions belong to this connection
        rt->receiver->start();
        m.registering_conn.clear();
      }
      return rt->server_qpn;
    });
    if (!listening) {
      // The server port is taken in the host's port space: nothing listens, the client
      // never connects and its workloads count as errors.
      rt->state = "port_in_use";
      continue;
    }
    const uint32_t ssrc = rt->spec->src_port ? *rt->spec->src_port + rt->copy : 0;
    if (rt->spec->disconnect) {
      // rdma_disconnect by the client at that time, if its QP is up (a graceful close).
      m.control->at(*rt->spec->disconnect, [&m, rt] {
        if (rt->state == "established" && rt->client->rnic().engine().state(rt->client_qpn) == hw::QpState::Rts)
          rt->client->disconnect(rt->client_qpn);
        m.check_done();
      });
    }
    m.control->at(rt->spec->at, [&m, rt, ctcp, cmpa, ssrc] {
      host::Host* h = rt->client;
      rt->client_qpn = h->create_qp(1, rt->spec->sq_depth, rt->spec->rq_depth, cq_setup(*rt->spec));
      const uint16_t sport = ssrc ? static_cast<uint16_t>(ssrc) : h->offload_ephemeral_port();
      h->connect(rt->client_qpn, rt->server->config().rdma_ip(), rt->port, sport, cmpa, ctcp,
                 [&m, rt](uint32_t, int status) {
                   if (status != 0) {
                     // EHOSTUNREACH: the next hop never answered ARP; ENETUNREACH or
                     // ENETDOWN: the netdev was down.
                     const bool unreachable = status == fw::kEhostunreach || status == host::Host::kEnetunreach ||
                                              status == fw::kEnetdown;
                     rt->state = status == host::Host::kEaddrinuse ? "port_in_use"
                                 : unreachable                     ? "unreachable"
                                                                   : "refused";
                     // Its workloads never start; results count their operations as errors.
                     m.check_done();
                     return;
                   }
                   rt->state = "established";
                   rt->client_sq = std::make_unique<SendQueueGate>(rt->spec->sq_depth);
                   rt->server_sq = std::make_unique<SendQueueGate>(rt->spec->sq_depth);
                   Endpoint ep{rt->client,         rt->server,         rt->client_qpn,    rt->server_qpn,
                               rt->client_sq.get(), rt->server_sq.get(), rt->spec->rq_depth};
                   Receiver* recv = rt->receiver;
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
                     if (spec.op == "write") m.write_sink_by_qp[{rt->server, rt->server_qpn}].push_back(rp);
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
  schedule_events(m);
}

}  // namespace rnicsim::sim

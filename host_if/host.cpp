#include "host_if/host.h"

#include <fmt/format.h>

#include "model/common/address.h"
#include "model/wire/eth.h"
#include "model/wire/ipv4.h"
#include "model/wire/tcp.h"

namespace rnicsim::host {

Host::Host(const HostConfig& cfg, HostMemory& mem, hw::Rnic& rnic, fw::Firmware& firmware, EventLog& log,
           uint64_t seed)
    : cfg_(cfg),
      log_(log),
      mem_(mem),
      rnic_(&rnic),
      firmware_(&firmware),
      agenda_(cfg.name.c_str()),
      neigh_(cfg.neigh, Rng(seed, cfg.name + ".neigh")),
      icmp_(cfg.ip,
            [this](wire::Ipv4Addr dst, ConstByteSpan m, std::function<void(bool)> done) {
              send_ipv4(dst, wire::kIpProtoIcmp, m, std::move(done));
            },
            [] { return sim_now(); }),
      ipv4_rx_(cfg.ip, icmp_in_) {
  // ICMP's news for the host events: fragmentation needed feeds the PMTU cache (a
  // message without a next-hop MTU, RFC 1191 s.5's old routers, teaches nothing here), a
  // redirect the route exceptions.
  icmp_.on_frag_needed = [this](wire::Ipv4Addr dst, uint16_t mtu) {
    if (mtu != 0) learn_pmtu(dst, mtu);
  };
  icmp_.on_redirect = [this](wire::Ipv4Addr dst, wire::Ipv4Addr gw, wire::Ipv4Addr from) { take_redirect(dst, gw, from); };
  // The connected route of the interface's prefix first: among equal prefixes the first
  // added wins, so a static route of the same prefix never hides the link.
  routes_.add({cfg.ip, cfg.prefix_len, 0, cfg.mtu});
  for (const auto& r : cfg.routes) routes_.add({r.dst, r.len, r.via, cfg.mtu});
  firmware_->set_host(make_upcalls());
  soft_tcp_ = std::make_unique<SoftTcp>(cfg.soft_tcp, rnic_->mac(), cfg.mac, static_cast<SoftTcpNet&>(*this), seed);
  rnic_->set_host_rx([this](FramePtr f) { on_frame(std::move(f)); },
                     [this](FramePtr f, const wire::Ipv4Header& ip, const wire::TcpHeader& tcp, size_t off,
                            size_t len, wire::MacAddr src) { tcp_input(std::move(f), ip, tcp, off, len, src); });
  wire_netfilter();
  // A type-3 RNIC is a second netdev of its own address (NETDEV_REGISTER as its driver
  // loads): the host sees it, and sends it nothing.
  if (cfg.notify == Notify::OwnStack)
    log_.emit(sim_now(), cfg.name, "to_host", "netdev_register",
              {{"netdev", "rnic0"},
               {"ip", fmt::format("{}/{}", format_ipv4(cfg.rnic_ip), cfg.rnic_prefix_len)},
               {"mac", format_mac(cfg.rnic_mac)}});
  rnic_->engine().set_cqe_sink([this](const hw::Cqe& c) {
    if (on_cqe_) on_cqe_(c);
  });
  // The iw_cm events of a graceful close: DISCONNECT when the peer closed first, CLOSE
  // when the connection is gone.
  // A QP that leaves for TERMINATE or ERROR is reported as the verbs' asynchronous events
  // are (IB_EVENT_QP_FATAL); the Terminate itself with its code.
  rnic_->engine().set_qp_event_sink([this](uint32_t qpn, hw::QpState from, hw::QpState to) {
    if (to == hw::QpState::Closing && !disconnecting_.count(qpn)) to_host_event("disconnect", {{"qpn", qpn}});
    if (from == hw::QpState::Closing && to == hw::QpState::Idle) to_host_event("close", {{"qpn", qpn}, {"status", 0}});
    if (to == hw::QpState::Terminate) {
      nlohmann::ordered_json f{{"qpn", qpn}};
      if (const auto& t = rnic_->engine().terminate(qpn)) {
        f["layer"] = static_cast<int>(t->msg.code.layer);
        f["etype"] = static_cast<int>(t->msg.code.etype);
        f["code"] = static_cast<int>(t->msg.code.code);
        f["sent"] = t->sent;
      }
      to_host_event("terminate", std::move(f));
    }
    if (to == hw::QpState::Error) to_host_event("qp_error", {{"qpn", qpn}, {"from", rdmap::to_string(from)}});
  });
}

void Host::disconnect(uint32_t qpn) {
  disconnecting_.insert(qpn);
  log_.emit(sim_now(), cfg_.name, "to_rnic", "disconnect", {{"qpn", qpn}});
  rnic_->engine().disconnect(qpn);
}

void Host::to_host_event(const char* kind, nlohmann::ordered_json fields) {
  ++stats_.events_to_host;
  log_.emit(sim_now(), cfg_.name, "to_host", kind, std::move(fields));
}

fw::HostUpcalls Host::make_upcalls() {
  fw::HostUpcalls up;
  up.route = [this](wire::Ipv4Addr dst) { return routes_.lookup(dst); };
  up.netdev_done = [this](fw::NetdevEvent ev) {
    if (ev != fw::NetdevEvent::GoingDown || !going_down_) return;
    going_down_done_ = true;
    if (down_pending_) stop_port();
  };
  up.netfilter = offload_netfilter();
  up.resolve = [this](wire::Ipv4Addr ip) { resolve(ip); };
  up.connect_request = [this](uint32_t handle, uint16_t port, wire::Ipv4Addr remote, const wire::MpaReqRep& req) {
    to_host_event("connect_request",
                  {{"port", port},
                   {"mpa_revision", req.revision},
                   {"ird", req.enhanced ? req.ird_ord.ird : 0},
                   {"ord", req.enhanced ? req.ird_ord.ord : 0},
                   {"private_data_len", req.private_data.size()}});
    auto it = listeners_.find(port);
    if (it == listeners_.end()) return;
    if (it->second.mpa.reject) {
      firmware_->cmd_reject(handle);
      return;
    }
    const uint32_t qpn = it->second.make_qp(remote);
    if (qpn == kRejectRequest) {
      firmware_->cmd_reject(handle, /*with_private_data=*/false);  // what it holds is for the one accepted
      return;
    }
    firmware_->cmd_accept(handle, qpn);
  };
  up.established = [this](uint32_t qpn) { to_host_event("established", {{"qpn", qpn}}); };
  up.connect_reply = [this](uint32_t qpn, int status, const wire::MpaReqRep* rep) {
    nlohmann::ordered_json f{{"qpn", qpn}, {"status", status}};
    if (rep) f["mpa_revision"] = rep->revision;
    to_host_event("connect_reply", f);
    auto it = connecting_.find(qpn);
    if (it != connecting_.end()) {
      auto done = std::move(it->second);
      connecting_.erase(it);
      done(qpn, status);
    }
  };
  return up;
}

// ------------------------------------------------------------------ network stack

wire::Ipv4Addr Host::next_hop(wire::Ipv4Addr dst) const { return netstack::next_hop(routes_.lookup(dst), dst); }

netstack::Path Host::path(wire::Ipv4Addr dst) const {
  netstack::Path p;
  p.route = routes_.lookup(dst);
  p.neighbour = neigh_.entry(netstack::next_hop(p.route, dst));
  return p;
}

wire::MacAddr Host::neighbour_mac(wire::Ipv4Addr ip) const {
  return netstack::nud_valid(neigh_.state(ip)) ? neigh_.entry(ip)->mac : 0;
}

void Host::resolve(wire::Ipv4Addr ip) {
  const netstack::NudState st = neigh_.state(ip);
  if (cfg_.notify != Notify::Netevent) {
    // No notifier: the RNIC's request is answered once, when the neighbour is valid or
    // has failed (as iw_cxgb4 reads the neighbour at setup).
    if (netstack::nud_valid(st)) {
      reply_neigh(ip, neigh_.entry(ip)->mac, st);
      return;
    }
    rnic_asked_.insert(ip);
    netstack::NeighActions out;
    neigh_.resolve(ip, sim_now(), out);
    apply(out);
    return;
  }
  if (netstack::nud_valid(st)) notify_neigh_update(ip, neigh_.entry(ip)->mac, st);
  netstack::NeighActions out;
  neigh_.resolve(ip, sim_now(), out);
  apply(out);
}

void Host::when_resolved(wire::Ipv4Addr ip, std::function<void(wire::MacAddr)> cb) {
  netstack::NeighActions out;
  const uint64_t token = next_token_++;
  if (neigh_.use(ip, token, sim_now(), out)) {
    apply(out);
    cb(neigh_.entry(ip)->mac);
    return;
  }
  waiters_.emplace(token, std::move(cb));
  apply(out);
}

void Host::apply(const netstack::NeighActions& actions) {
  using Kind = netstack::NeighAction::Kind;
  for (const auto& a : actions) {
    switch (a.kind) {
      case Kind::Solicit:
        send_arp(wire::ArpOp::Request, a.mac, 0, a.ip);
        break;
      case Kind::StateChange:
        if (cfg_.notify != Notify::Netevent) {
          if (rnic_asked_.count(a.ip) && (netstack::nud_valid(a.to) || a.to == netstack::NudState::Failed)) {
            rnic_asked_.erase(a.ip);
            reply_neigh(a.ip, netstack::nud_valid(a.to) ? a.mac : 0, a.to);
          }
          break;
        }
        // The RNIC hears of the changes that give its L2 entry a (new) MAC and of a
        // resolution that failed, the ones cxgb4's t4_l2t_update acts on; other changes
        // of state within validity (REACHABLE to STALE and back) are not passed on.
        if (netstack::nud_valid(a.to) && (!netstack::nud_valid(a.from) || a.mac_changed))
          notify_neigh_update(a.ip, a.mac, a.to);
        else if (a.to == netstack::NudState::Failed)
          notify_neigh_update(a.ip, 0, a.to);
        break;
      case Kind::Release:
        wake(a.tokens, a.mac);
        break;
      case Kind::Fail:
        wake(a.tokens, 0);
        break;
      case Kind::ArmTimer:
        agenda_.at(a.when, [this] {
          netstack::NeighActions out;
          neigh_.on_timer(sim_now(), out);
          apply(out);
        });
        break;
    }
  }
}

void Host::wake(const std::vector<uint64_t>& tokens, wire::MacAddr mac) {
  for (const uint64_t t : tokens) {  // in the order they asked
    auto it = waiters_.find(t);
    auto cb = std::move(it->second);
    waiters_.erase(it);
    cb(mac);
  }
}

void Host::send_arp(wire::ArpOp op, wire::MacAddr dst_mac, wire::MacAddr tha,
                    wire::Ipv4Addr tpa) {
  if (own_netdev_down()) return;
  FramePtr f = agenda_.frames().make();
  f->bytes.resize(wire::kEthHeaderLen + wire::kArpLen);
  wire::encode_eth(f->bytes.data(), {dst_mac, cfg_.mac, wire::kEtherTypeArp});
  wire::encode_arp(f->bytes.data() + wire::kEthHeaderLen, {op, cfg_.mac, cfg_.ip, tha, tpa});
  if (op == wire::ArpOp::Request) ++stats_.arp_requests_tx;
  rnic_->host_send(std::move(f));
}

void Host::notify_neigh_update(wire::Ipv4Addr ip, wire::MacAddr mac, netstack::NudState state) {
  // The netevent notifier: NEIGH_UPDATE goes to every registered driver, the RNIC's too;
  // a type-3 RNIC's driver registers none (its firmware has its own neighbours).
  if (cfg_.notify == Notify::OwnStack) return;
  ++stats_.netevents_to_rnic;
  log_.emit(sim_now(), cfg_.name, "to_rnic", "neigh_update",
            {{"ip", format_ipv4(ip)}, {"mac", format_mac(mac)}, {"state", netstack::to_string(state)}});
  firmware_->netevent_neigh_update(ip, mac, state);
}

void Host::reply_neigh(wire::Ipv4Addr ip, wire::MacAddr mac, netstack::NudState state) {
  if (cfg_.notify == Notify::OwnStack) return;  // a type-3 RNIC never asks
  ++stats_.netevents_to_rnic;
  log_.emit(sim_now(), cfg_.name, "to_rnic", "neigh_reply",
            {{"ip", format_ipv4(ip)}, {"mac", format_mac(mac)}, {"state", netstack::to_string(state)}});
  firmware_->neigh_reply(ip, mac);
}

void Host::on_frame(FramePtr f) {
  // TCP segments for this host reach its stack straight from the RNIC's demux (decoded
  // once); everything else the RNIC did not claim comes here.
  if (own_netdev_down()) return;
  auto eth = wire::decode_eth(f->bytes.data(), f->bytes.size());
  if (!eth) return;
  const uint8_t* l3 = f->bytes.data() + eth.length;
  const size_t l3_len = f->bytes.size() - eth.length;
  if (eth.value.ethertype == wire::kEtherTypeIpv4) {
    if (nf_input(l3, l3_len, eth.value.src)) ipv4_rx_.receive(l3, l3_len);  // ICMP to its input; the rest counted
    return;
  }
  if (eth.value.ethertype != wire::kEtherTypeArp) return;
  auto arp = wire::decode_arp(l3, l3_len);
  if (!arp) return;
  const wire::ArpPacket& a = arp.value;
  if (a.tpa != cfg_.ip) {
    // A gratuitous ARP (sender and target one address) of a neighbour we know: its new
    // MAC, as Linux's arp_process takes it.
    if (a.spa == a.tpa && a.spa != cfg_.ip) {
      netstack::NeighActions out;
      neigh_.learn_unsolicited(a.spa, a.sha, sim_now(), out);
      apply(out);
    }
    return;
  }
  // RFC 826: merge the sender, then answer a request for our address.
  netstack::NeighActions out;
  neigh_.confirm(a.spa, a.sha, sim_now(), out);
  apply(out);
  if (a.op == wire::ArpOp::Request) send_arp(wire::ArpOp::Reply, a.sha, a.sha, a.spa);
}

bool Host::map_port(uint16_t port, const char* use) {
  // The iWARP port mapper's answer to the driver (iwpmd's socket + bind): a crossing of
  // the boundary, with its status (0, or -EADDRINUSE when a host socket holds the port).
  const bool ok = reserve_port(port);
  ++stats_.netevents_to_rnic;
  log_.emit(sim_now(), cfg_.name, "to_rnic", "port_mapping", {{"port", port}, {"use", use}, {"status", ok ? 0 : kEaddrinuse}});
  return ok;
}

bool Host::reserve_port(uint16_t port) {
  const bool ok = ports_.reserve(port);
  if (!ok) ++stats_.port_conflicts;
  return ok;
}

uint16_t Host::ephemeral_port() { return ports_.ephemeral(); }

// ---- ICMP: the host's own IPv4 output and ping (host_icmp.h) -------------------------

void Host::send_ipv4(wire::Ipv4Addr dst, uint8_t protocol, ConstByteSpan payload, std::function<void(bool)> done) {
  if (own_netdev_down()) {
    if (done) done(false);
    return;
  }
  FramePtr f = agenda_.frames().make();
  f->bytes.resize(wire::kEthHeaderLen + wire::kIpv4HeaderLen + payload.size());
  uint8_t* l3 = f->bytes.data() + wire::kEthHeaderLen;
  // The identification is taken at output, before the neighbour resolves (Linux's
  // ip_select_ident in __ip_make_skb), so a packet dropped for its next hop uses one too.
  ipv4_tx_.write(l3, cfg_.ip, dst, protocol, payload.size());
  std::copy(payload.begin(), payload.end(), l3 + wire::kIpv4HeaderLen);
  if (dst == cfg_.ip) {
    // Loopback: received at the present instant, after the sender's own step.
    agenda_.at(sim_now(), [this, f] {
      ipv4_rx_.receive(f->bytes.data() + wire::kEthHeaderLen, f->bytes.size() - wire::kEthHeaderLen);
    });
    if (done) done(true);
    return;
  }
  when_resolved(next_hop(dst), [this, f, done = std::move(done)](wire::MacAddr mac) mutable {
    if (mac == 0) {
      if (done) done(false);
      return;
    }
    wire::encode_eth(f->bytes.data(), {mac, cfg_.mac, wire::kEtherTypeIpv4});
    rnic_->host_send(std::move(f));
    if (done) done(true);
  });
}

void Host::ping(wire::Ipv4Addr dst, uint16_t id, uint16_t seq, size_t payload_len, Duration timeout,
                HostIcmp::EchoDone done) {
  // The host's ICMP sets DF and does not fragment (ping -M do): a request larger than the
  // path MTU fails at once, as sendmsg's EMSGSIZE ("message too long, mtu=...").
  constexpr size_t kIpv4IcmpHeaders = 20 + 8;
  if (dst != cfg_.ip && payload_len + kIpv4IcmpHeaders > path_mtu(dst)) {
    EchoResult r;
    r.outcome = EchoResult::Outcome::TooLong;
    r.dst = dst;
    r.id = id;
    r.seq = seq;
    r.payload_len = payload_len;
    done(r);
    return;
  }
  const uint64_t n = icmp_.send_echo(dst, id, seq, payload_len, std::move(done));
  agenda_.after(timeout, [this, dst, id, seq, n] { icmp_.expire(dst, id, seq, n); });
}

// ------------------------------------------------------------------ verbs

VirtBuffer Host::alloc_buffer(uint64_t length) {
  VirtBuffer b;
  b.va = next_va_;
  b.length = length;
  const uint64_t pages = (length + HostMemory::kPage - 1) / HostMemory::kPage;
  b.pages = mem_.alloc_pages(pages);
  next_va_ += (pages + 16) * HostMemory::kPage;  // a gap between buffers
  return b;
}

uint32_t Host::reg_mr(const VirtBuffer& b, uint32_t pd, uint32_t access) {
  placement::Region r;
  r.pd = pd;
  r.access = access;
  r.base_va = b.va;
  r.length = b.length;
  r.pages = b.pages;
  auto stag = firmware_->cmd_reg_mr(std::move(r));
  if (!stag) throw std::runtime_error(fmt::format("{}: RNIC region table full", cfg_.name));
  return *stag;
}

uint32_t Host::create_qp(uint32_t pd, uint32_t sq_depth, uint32_t rq_depth, const hw::CqOptions& cq) {
  return rnic_->engine().create_qp(pd, sq_depth, rq_depth, cq);
}

void Host::post_send(uint32_t qpn, const hw::Wqe& w) { rnic_->engine().post_send(qpn, w); }

bool Host::post_recv(uint32_t qpn, const hw::Rqe& r) { return rnic_->engine().post_recv(qpn, r); }

bool Host::invalidate_stag(uint32_t stag) { return firmware_->cmd_invalidate(stag); }

// ------------------------------------------------------------------ connection manager

bool Host::listen(uint16_t port, const mpa::Settings& mpa, const tcp::Config& tcp,
                  std::function<uint32_t(wire::Ipv4Addr)> make_qp) {
  // The port mapper binds a host socket for the offloaded port, which fails when the port
  // is taken.
  // A type-3 RNIC has an address of its own, so its ports are its own.
  if (cfg_.port_space_shared && cfg_.notify != Notify::OwnStack && !map_port(port, "listen")) return false;
  listeners_[port] = Listener{mpa, std::move(make_qp)};
  firmware_->cmd_listen(port, mpa, tcp);
  return true;
}

void Host::connect(uint32_t qpn, wire::Ipv4Addr dst, uint16_t dport, uint16_t sport,
                   const mpa::Settings& mpa, const tcp::Config& tcp,
                   std::function<void(uint32_t, int)> done) {
  if (cfg_.port_space_shared && cfg_.notify != Notify::OwnStack && !map_port(sport, "connect")) {
    done(qpn, kEaddrinuse);
    return;
  }
  if ((!up_ || going_down_) && cfg_.notify != Notify::OwnStack) {
    // rdma_resolve_route finds no usable route through a device that is down (a type-3
    // RNIC connects through its own).
    done(qpn, kEnetunreach);
    return;
  }
  connecting_[qpn] = std::move(done);
  // RDMA CM: route lookup, then the neighbour (ARP when unknown; the RNIC learns it from
  // the NEIGH_UPDATE netevent); the firmware waits for its L2 entry. A type-3 RNIC
  // resolves it with its own ARP, from its own address.
  if (cfg_.notify != Notify::OwnStack) resolve(next_hop(dst));
  firmware_->cmd_connect(qpn, hw::FourTuple{cfg_.rdma_ip(), dst, sport, dport}, mpa, tcp);
}

}  // namespace rnicsim::host

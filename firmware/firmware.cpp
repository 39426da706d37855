#include "firmware/firmware.h"

#include <algorithm>

namespace rnicsim::fw {

namespace {
constexpr int kConnRefused = kEconnrefused;  // iw_cm's status for a refused connect
constexpr int kNotPermitted = -1;   // -EPERM: what nf_hook_slow returns for a dropped packet
}  // namespace

const char* to_string(L2State s) {
  switch (s) {
    case L2State::Valid: return "VALID";
    case L2State::Stale: return "STALE";
    case L2State::Resolving: return "RESOLVING";
    case L2State::SyncWrite: return "SYNC_WRITE";
    case L2State::Switching: return "SWITCHING";
    case L2State::NoArp: return "NOARP";
    case L2State::Unused: return "UNUSED";
  }
  return "?";
}

const char* to_string(NetdevEvent e) {
  switch (e) {
    case NetdevEvent::Up: return "NETDEV_UP";
    case NetdevEvent::Down: return "NETDEV_DOWN";
    case NetdevEvent::GoingDown: return "NETDEV_GOING_DOWN";
    case NetdevEvent::ChangeMtu: return "NETDEV_CHANGEMTU";
    case NetdevEvent::ChangeAddr: return "NETDEV_CHANGEADDR";
  }
  return "?";
}

Firmware::Firmware(sc_core::sc_module_name name, const FirmwareConfig& cfg, hw::RnicRegisters& rnic)
    : sc_module(name), cfg_(cfg), rnic_(rnic), agenda_(basename()) {
  rnic_.set_notifications(this);
  rnic_.snoop_arp(cfg.arp_snoop);
  if (!cfg.own_stack) return;
  OwnStack::Hooks h;
  h.send = [this](FramePtr f) { rnic_.send_frame(std::move(f)); };
  h.arm = [this](Duration when) {
    agenda_.at(when, [this] { run(cfg_.costs.arp, [this] { own_->on_timer(sim_now()); }); });
  };
  // What the host's notifier would have said (netevent_neigh_update), from its own table.
  h.neigh = [this](wire::Ipv4Addr ip, wire::MacAddr mac, netstack::NudState state) {
    if (!netstack::nud_valid(state))
      unreachable(ip);
    else
      learn(ip, mac, state == netstack::NudState::Reachable ? L2State::Valid : L2State::Stale);
  };
  h.pmtu = [this](wire::Ipv4Addr dst, uint32_t mtu) { path_mtu(dst, mtu); };
  own_ = std::make_unique<OwnStack>(*cfg.own_stack, agenda_.frames(), std::move(h));
}

netstack::RouteRef Firmware::route(wire::Ipv4Addr dst) const { return own_ ? own_->route(dst) : up_.route(dst); }

void Firmware::resolve(wire::Ipv4Addr next_hop) {
  if (own_)
    own_->resolve(next_hop, sim_now());
  else
    up_.resolve(next_hop);
}

void Firmware::own_frame(FramePtr f) {
  if (!own_) return;
  const Duration cost = OwnStack::is_arp(*f) ? cfg_.costs.arp : cfg_.costs.icmp;
  run(cost, [this, f = std::move(f)] { own_->receive(*f, sim_now()); });
}

std::optional<uint32_t> Firmware::cmd_reg_mr(placement::Region r) {
  ++stats_.commands;
  return rnic_.add_region(std::move(r));
}

bool Firmware::cmd_invalidate(uint32_t stag) {
  ++stats_.commands;
  return rnic_.invalidate(stag);
}

void Firmware::run(Duration cost, std::function<void()> fn) {
  const Duration start = std::max(sim_now(), busy_until_);
  busy_until_ = start + cost;
  stats_.busy = stats_.busy + cost;
  agenda_.at(busy_until_, std::move(fn));
}

// ------------------------------------------------------------------ commands

void Firmware::cmd_listen(uint16_t port, const mpa::Settings& mpa, const tcp::Config& tcp) {
  ++stats_.commands;
  run(cfg_.costs.listen, [this, port, mpa, tcp] {
    listeners_[port] = {mpa, tcp};
    rnic_.listen(port);
  });
}

void Firmware::cmd_connect(uint32_t qpn, const hw::FourTuple& t, const mpa::Settings& mpa, const tcp::Config& tcp) {
  ++stats_.commands;
  run(cfg_.costs.connect, [this, qpn, t, mpa, tcp] {
    if (!netdev_up_) {  // the device is going down or down: nothing new starts
      if (up_.connect_reply) up_.connect_reply(qpn, kEnetdown, nullptr);
      return;
    }
    Setup s;
    s.active = true;
    s.qpn = qpn;
    s.tuple = t;
    s.mpa = mpa;
    s.tcp = tcp;
    start_open(s);
  });
}

bool Firmware::l2_valid(wire::Ipv4Addr next_hop) {
  auto it = l2_.find(next_hop);
  // A STALE entry still has its MAC: cxgb4 sends on it (and asks the neighbour to be
  // confirmed); connections open on it.
  if (it != l2_.end() && (it->second.state == L2State::Valid || it->second.state == L2State::Stale)) return true;
  if (it == l2_.end()) l2_[next_hop] = L2Slot{};
  return false;
}

void Firmware::start_open(Setup& s) {
  const netstack::RouteRef route = this->route(s.tuple.remote_ip);
  const wire::Ipv4Addr hop = netstack::next_hop(route, s.tuple.remote_ip);
  if (!l2_valid(hop)) {
    s.phase = Phase::AwaitL2;
    waiting_l2_.push_back(s);
    resolve(hop);
    return;
  }
  s.phase = Phase::Handshake;
  if (!up_.netfilter) {
    open_active(s, route, hop);
    return;
  }
  // rnic.netfilter: enforce: the host's OUTPUT chain judges the SYN before it goes out, at
  // one check's cost. The firmware asks once per open, not per SYN retransmission, so a
  // refusal fails the connect at once: DROP with -EPERM (nf_hook_slow's error, which
  // Linux's TCP would ignore and retransmit into until ETIMEDOUT), REJECT with
  // -ECONNREFUSED (the port unreachable REJECT sends ends a SYN_SENT socket so).
  run(cfg_.costs.netfilter, [this, s, route, hop] {
    const netstack::NfPacket p{wire::kIpProtoTcp, s.tuple.local_ip, s.tuple.remote_ip, s.tuple.local_port,
                               s.tuple.remote_port};
    const netstack::Verdict v = up_.netfilter(p, netstack::Chain::Output);
    if (v == netstack::Verdict::Accept) {
      open_active(s, route, hop);
      return;
    }
    if (up_.connect_reply) up_.connect_reply(s.qpn, v == netstack::Verdict::Drop ? kNotPermitted : kConnRefused, nullptr);
  });
}

void Firmware::open_active(Setup s, const netstack::RouteRef& route, wire::Ipv4Addr hop) {
  const uint32_t conn = rnic_.open_active(s.tuple, route, hop, s.tcp);
  s.conn = conn;
  s.hop = hop;
  setups_[conn] = s;
}

void Firmware::learn(wire::Ipv4Addr ip, wire::MacAddr mac, L2State state) {
  L2Slot& e = l2_[ip];
  const bool waiting = e.state == L2State::Resolving;
  if (e.mac != mac || waiting) {
    // A RESOLVING entry with opens queued is written synchronously (SYNC_WRITE), then
    // VALID; a live one is rewritten in place (t4_l2t_update's write_l2e).
    if (waiting) e.state = L2State::SyncWrite;
    e.mac = mac;
    rnic_.set_l2_entry(ip, mac);
    ++stats_.l2_writes;
  }
  e.state = state;
  std::vector<Setup> opens;
  opens.swap(waiting_l2_);
  for (auto& s : opens) {
    if (netstack::next_hop(route(s.tuple.remote_ip), s.tuple.remote_ip) == ip)
      start_open(s);
    else
      waiting_l2_.push_back(s);
  }
  std::vector<hw::SynInfo> syns;
  syns.swap(syns_waiting_l2_);
  for (auto& syn : syns) syn_received(syn);  // handled again, at its cost
  // Connections a redirect sent toward this next hop move now.
  auto [b, e2] = moves_waiting_.equal_range(ip);
  for (auto it = b; it != e2; ++it) {
    auto sit = setups_.find(it->second);
    if (sit == setups_.end() || !rnic_.connection_live(it->second)) continue;
    rnic_.move_connection(it->second, ip);
    sit->second.hop = ip;
    ++stats_.connections_moved;
  }
  moves_waiting_.erase(b, e2);
}

void Firmware::unreachable(wire::Ipv4Addr ip) {
  // t4_l2t_update: a RESOLVING entry whose neighbour failed runs the ARP-failure handlers
  // of what waits on it; a live entry keeps its MAC, no longer confirmed (STALE).
  auto it = l2_.find(ip);
  if (it == l2_.end()) return;
  if (it->second.state != L2State::Resolving) {
    it->second.state = L2State::Stale;
    return;
  }
  std::vector<Setup> opens;
  opens.swap(waiting_l2_);
  for (auto& s : opens) {
    if (netstack::next_hop(route(s.tuple.remote_ip), s.tuple.remote_ip) != ip) {
      waiting_l2_.push_back(s);
      continue;
    }
    ++stats_.unreachable;
    if (up_.connect_reply) up_.connect_reply(s.qpn, kEhostunreach, nullptr);
  }
  // A SYN whose peer cannot be resolved is not answered (the peer retries).
  std::vector<hw::SynInfo> syns;
  syns.swap(syns_waiting_l2_);
  for (auto& syn : syns)
    if (netstack::next_hop(route(syn.tuple.remote_ip), syn.tuple.remote_ip) != ip) syns_waiting_l2_.push_back(syn);
  moves_waiting_.erase(ip);
}

void Firmware::netevent_neigh_update(wire::Ipv4Addr ip, wire::MacAddr mac, netstack::NudState state) {
  run(cfg_.costs.neigh_update, [this, ip, mac, state] {
    ++stats_.netevents_handled;
    if (!netstack::nud_valid(state)) {
      unreachable(ip);
      return;
    }
    // NUD_CONNECTED (REACHABLE) makes the entry VALID, any other valid state STALE.
    learn(ip, mac, state == netstack::NudState::Reachable ? L2State::Valid : L2State::Stale);
  });
}

void Firmware::neigh_reply(wire::Ipv4Addr ip, wire::MacAddr mac) {
  run(cfg_.costs.neigh_update, [this, ip, mac] {
    if (mac == 0)
      unreachable(ip);
    else
      learn(ip, mac, L2State::Valid);
  });
}

void Firmware::arp_seen(const wire::ArpPacket& arp) {
  // The old RDMA CM's way: every ARP frame at the port teaches its sender's MAC, to the
  // entries the table already has (an entry is made only by a connection that needs it).
  if (!l2_.count(arp.spa) || arp.sha == 0) return;
  run(cfg_.costs.arp_snoop, [this, arp] {
    ++stats_.arp_snooped;
    learn(arp.spa, arp.sha, L2State::Valid);
  });
}

void Firmware::netevent_pmtu_update(wire::Ipv4Addr dst, uint32_t mtu) {
  run(cfg_.costs.pmtu_update, [this, dst, mtu] {
    ++stats_.netevents_handled;
    path_mtu(dst, mtu);
  });
}

void Firmware::path_mtu(wire::Ipv4Addr dst, uint32_t mtu) {
  for (auto& [conn, s] : setups_) {
    if (s.tuple.remote_ip != dst || !rnic_.connection_live(conn)) continue;
    rnic_.set_path_mtu(conn, mtu);
    ++stats_.mtu_changes;
  }
}

void Firmware::netevent_redirect(wire::Ipv4Addr dst, wire::Ipv4Addr old_gw, wire::Ipv4Addr new_gw) {
  (void)old_gw;
  run(cfg_.costs.redirect, [this, dst, new_gw] {
    ++stats_.netevents_handled;
    // cxgb3's cxgb_redirect: each connection toward `dst` takes the new next hop's L2
    // entry; one still being resolved takes it when it has a MAC.
    const bool ready = l2_valid(new_gw);
    bool asked = false;
    for (auto& [conn, s] : setups_) {
      if (s.tuple.remote_ip != dst || s.hop == new_gw || !rnic_.connection_live(conn)) continue;
      if (ready) {
        rnic_.move_connection(conn, new_gw);
        s.hop = new_gw;
        ++stats_.connections_moved;
        continue;
      }
      moves_waiting_.emplace(new_gw, conn);
      if (!asked) resolve(new_gw);
      asked = true;
    }
  });
}

void Firmware::netdev_event(NetdevEvent ev, uint32_t mtu, wire::MacAddr mac) {
  run(cfg_.costs.netdev, [this, ev, mtu, mac] {
    ++stats_.netevents_handled;
    switch (ev) {
      case NetdevEvent::GoingDown:
        // siw's emergency close: every QP on the device to ERROR while the port still
        // sends, so each stream's reset reaches its peer; setups in progress end.
        netdev_up_ = false;
        for (auto& [conn, s] : setups_) {
          if (!rnic_.connection_live(conn)) continue;
          if (s.phase == Phase::Done) {
            rnic_.qp_to_error(s.qpn);
            ++stats_.qps_flushed;
            continue;
          }
          if (s.phase == Phase::Failed) continue;
          fail(s, kEnetdown);
        }
        for (auto& s : waiting_l2_)
          if (up_.connect_reply) up_.connect_reply(s.qpn, kEnetdown, nullptr);
        waiting_l2_.clear();
        syns_waiting_l2_.clear();
        break;
      case NetdevEvent::Down: netdev_up_ = false; break;
      case NetdevEvent::Up: netdev_up_ = true; break;
      case NetdevEvent::ChangeMtu:
        rnic_.set_device_mtu(mtu);
        for (auto& [conn, s] : setups_)
          if (rnic_.connection_live(conn)) ++stats_.mtu_changes;
        break;
      case NetdevEvent::ChangeAddr: rnic_.set_source_mac(mac); break;
    }
    if (up_.netdev_done) up_.netdev_done(ev);
  });
}

std::vector<Firmware::L2View> Firmware::l2_table() const {
  std::vector<L2View> v;
  for (const auto& [ip, e] : l2_) {
    uint32_t users = 0;
    for (const auto& [conn, s] : setups_)
      if (s.hop == ip && s.conn != UINT32_MAX && rnic_.connection_live(conn)) ++users;
    // An entry no connection holds any more is UNUSED (cxgb4 frees it at refcount 0).
    const bool held = users > 0 || e.state == L2State::Resolving;
    v.push_back({ip, held ? e.state : L2State::Unused, e.mac, users});
  }
  return v;
}

void Firmware::syn_received(const hw::SynInfo& syn) {
  ++stats_.commands;
  run(cfg_.costs.syn, [this, syn] {
    auto lit = listeners_.find(syn.tuple.local_port);
    if (lit == listeners_.end()) return;
    const netstack::RouteRef route = this->route(syn.tuple.remote_ip);
    const wire::Ipv4Addr hop = netstack::next_hop(route, syn.tuple.remote_ip);
    if (!l2_valid(hop)) {
      syns_waiting_l2_.push_back(syn);
      resolve(hop);
      return;
    }
    if (!up_.netfilter) {
      open_passive(syn, route, hop);
      return;
    }
    // rnic.netfilter: enforce: the host's INPUT chain judges the SYN before the firmware
    // answers it, at one check's cost. DROP: nothing is opened (the peer retransmits);
    // REJECT: a RST, the refusal the TOE can send (the firmware has no ICMP output of its
    // own; the peer's connect fails with ECONNREFUSED either way).
    run(cfg_.costs.netfilter, [this, syn, route, hop] {
      const netstack::NfPacket p{wire::kIpProtoTcp, syn.tuple.remote_ip, syn.tuple.local_ip, syn.tuple.remote_port,
                                 syn.tuple.local_port};
      switch (up_.netfilter(p, netstack::Chain::Input)) {
        case netstack::Verdict::Accept: open_passive(syn, route, hop); return;
        case netstack::Verdict::Drop: return;
        case netstack::Verdict::Reject: rnic_.refuse(syn); return;
      }
    });
  });
}

void Firmware::open_passive(const hw::SynInfo& syn, const netstack::RouteRef& route, wire::Ipv4Addr hop) {
  const auto& l = listeners_.at(syn.tuple.local_port);
  Setup s;
  s.active = false;
  s.tuple = syn.tuple;
  s.mpa = l.first;
  s.tcp = l.second;
  s.phase = Phase::AwaitRequest;
  const uint32_t conn = rnic_.open_passive(syn, route, hop, s.tcp);
  s.conn = conn;
  s.hop = hop;
  setups_[conn] = s;
}

// ------------------------------------------------------------------ MPA exchange

void Firmware::send_frame(uint32_t conn, const wire::MpaReqRep& f) {
  const std::vector<uint8_t> bytes = wire::encode_mpa_reqrep(f);
  rnic_.send(conn, ConstByteSpan(bytes.data(), bytes.size()));
}

void Firmware::connection_established(uint32_t conn) {
  auto it = setups_.find(conn);
  if (it == setups_.end()) return;
  Setup& s = it->second;
  if (!s.active || s.phase != Phase::Handshake) return;
  s.phase = Phase::AwaitReply;
  run(cfg_.costs.mpa, [this, conn] { send_frame(conn, mpa::make_request(setups_.at(conn).mpa, cfg_.mpa)); });
}

void Firmware::connection_closed(uint32_t conn) {
  auto it = setups_.find(conn);
  if (it == setups_.end()) return;
  Setup& s = it->second;
  if (s.phase == Phase::Done) return;
  const Phase was = s.phase;
  s.phase = Phase::Failed;
  if (s.active && up_.connect_reply && was != Phase::Failed) up_.connect_reply(s.qpn, kConnRefused, nullptr);
}

void Firmware::bytes_received(uint32_t conn, ConstByteSpan data) {
  auto it = setups_.find(conn);
  if (it == setups_.end()) return;
  Setup& s = it->second;
  const bool idle = s.rx.empty();
  s.rx.insert(s.rx.end(), data.begin(), data.end());
  if (idle) run(cfg_.costs.mpa, [this, conn] { parse_setup(conn); });
}

void Firmware::fail(Setup& s, int status) {
  s.phase = Phase::Failed;
  rnic_.close(s.conn);
  if (s.active && up_.connect_reply) up_.connect_reply(s.qpn, status, nullptr);
}

void Firmware::parse_setup(uint32_t conn) {
  Setup& s = setups_.at(conn);
  if (s.phase != Phase::AwaitRequest && s.phase != Phase::AwaitReply) return;
  mpa::PeerFrame f = mpa::read_peer_frame(s.rx.data(), s.rx.size(), /*expect_reply=*/s.active);
  switch (f.status) {
    case mpa::FrameStatus::NeedMore:
      return;
    case mpa::FrameStatus::Invalid:
      fail(s);  // RFC 5044 s.7.1: an invalid Request/Reply ends the connection
      return;
    case mpa::FrameStatus::Ok:
      break;
  }
  s.peer = std::move(f.frame);
  s.rx.erase(s.rx.begin(), s.rx.begin() + static_cast<std::ptrdiff_t>(f.length));
  if (s.active) {
    on_reply(s);
    return;
  }
  s.phase = Phase::AwaitAccept;
  if (up_.connect_request) up_.connect_request(conn, s.tuple.local_port, s.tuple.remote_ip, s.peer);
}

void Firmware::on_reply(Setup& s) {
  const mpa::ReplyResult r = mpa::read_reply(s.mpa, cfg_.mpa, s.peer);
  switch (r.outcome) {
    case mpa::ReplyOutcome::Invalid:
      fail(s);
      return;
    case mpa::ReplyOutcome::Rejected:
      s.phase = Phase::Failed;
      if (up_.connect_reply) up_.connect_reply(s.qpn, kConnRefused, &s.peer);
      rnic_.close(s.conn);
      return;
    case mpa::ReplyOutcome::Accepted:
      s.phase = Phase::Done;
      rnic_.hand_to_engine(s.qpn, s.conn, r.params, std::move(s.rx));
      s.rx.clear();
      if (up_.connect_reply) up_.connect_reply(s.qpn, 0, &s.peer);
      return;
  }
}

void Firmware::cmd_accept(uint32_t handle, uint32_t qpn) {
  ++stats_.commands;
  run(cfg_.costs.accept, [this, handle, qpn] {
    Setup& s = setups_.at(handle);
    if (s.phase != Phase::AwaitAccept) return;
    s.qpn = qpn;
    const mpa::Accepted a = mpa::accept_request(s.mpa, cfg_.mpa, s.peer);
    send_frame(handle, a.reply);
    s.phase = Phase::Done;
    rnic_.hand_to_engine(qpn, handle, a.params, std::move(s.rx));
    s.rx.clear();
    if (up_.established) up_.established(qpn);
  });
}

void Firmware::cmd_reject(uint32_t handle, bool with_private_data) {
  ++stats_.commands;
  run(cfg_.costs.accept, [this, handle, with_private_data] {
    Setup& s = setups_.at(handle);
    mpa::Settings local = s.mpa;
    if (!with_private_data) local.private_data.clear();
    send_frame(handle, mpa::reject_request(local, s.peer));
    s.phase = Phase::Failed;
    rnic_.close(handle);  // RFC 5044 s.7.1.5: the responder closes after a reject
  });
}

}  // namespace rnicsim::fw

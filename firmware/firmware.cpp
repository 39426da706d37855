#include "firmware/firmware.h"

#include <algorithm>

namespace rnicsim::fw {

namespace {
constexpr int kConnRefused = -111;  // -ECONNREFUSED, iw_cm's status for a failed connect
constexpr int kNotPermitted = -1;   // -EPERM: what nf_hook_slow returns for a dropped packet
}  // namespace

Firmware::Firmware(sc_core::sc_module_name name, const FirmwareConfig& cfg, hw::RnicRegisters& rnic)
    : sc_module(name), cfg_(cfg), rnic_(rnic), agenda_(basename()) {
  rnic_.set_notifications(this);
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
  if (it != l2_.end() && it->second == L2State::Valid) return true;
  if (it == l2_.end()) l2_[next_hop] = L2State::Resolving;
  return false;
}

void Firmware::start_open(Setup& s) {
  const netstack::RouteRef route = up_.route(s.tuple.remote_ip);
  const wire::Ipv4Addr hop = netstack::next_hop(route, s.tuple.remote_ip);
  if (!l2_valid(hop)) {
    s.phase = Phase::AwaitL2;
    waiting_l2_.push_back(s);
    up_.resolve(hop);
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
  setups_[conn] = s;
}

void Firmware::netevent_neigh_update(wire::Ipv4Addr ip, wire::MacAddr mac) {
  run(cfg_.costs.neigh_update, [this, ip, mac] {
    ++stats_.netevents_handled;
    l2_[ip] = L2State::Valid;
    rnic_.set_l2_entry(ip, mac);
    std::vector<Setup> waiting;
    waiting.swap(waiting_l2_);
    for (auto& s : waiting) {
      if (netstack::next_hop(up_.route(s.tuple.remote_ip), s.tuple.remote_ip) == ip)
        start_open(s);
      else
        waiting_l2_.push_back(s);
    }
    std::vector<hw::SynInfo> syns;
    syns.swap(syns_waiting_l2_);
    for (auto& syn : syns) syn_received(syn);  // handled again, at its cost
  });
}

void Firmware::syn_received(const hw::SynInfo& syn) {
  ++stats_.commands;
  run(cfg_.costs.syn, [this, syn] {
    auto lit = listeners_.find(syn.tuple.local_port);
    if (lit == listeners_.end()) return;
    const netstack::RouteRef route = up_.route(syn.tuple.remote_ip);
    const wire::Ipv4Addr hop = netstack::next_hop(route, syn.tuple.remote_ip);
    if (!l2_valid(hop)) {
      syns_waiting_l2_.push_back(syn);
      up_.resolve(hop);
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

void Firmware::fail(Setup& s) {
  s.phase = Phase::Failed;
  rnic_.close(s.conn);
  if (s.active && up_.connect_reply) up_.connect_reply(s.qpn, kConnRefused, nullptr);
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
  if (up_.connect_request) up_.connect_request(conn, s.tuple.local_port, s.peer);
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

void Firmware::cmd_reject(uint32_t handle) {
  ++stats_.commands;
  run(cfg_.costs.accept, [this, handle] {
    Setup& s = setups_.at(handle);
    send_frame(handle, mpa::reject_request(s.mpa, s.peer));
    s.phase = Phase::Failed;
    rnic_.close(handle);  // RFC 5044 s.7.1.5: the responder closes after a reject
  });
}

}  // namespace rnicsim::fw

#include "firmware/firmware.h"

#include <algorithm>

namespace rnicsim::fw {

Firmware::Firmware(sc_core::sc_module_name name, const FirmwareConfig& cfg, hw::Toe& toe,
                   hw::RdmaEngine& engine, hw::PlacementUnit& placement, HostUpcalls up)
    : sc_module(name), cfg_(cfg), toe_(toe), engine_(engine), placement_(placement), up_(std::move(up)),
      agenda_(basename()) {
  toe_.set_syn_handler([this](const hw::SynInfo& s) { on_syn(s); });
}

std::optional<uint32_t> Firmware::cmd_reg_mr(placement::Region r) {
  ++stats_.commands;
  return placement_.add_region(std::move(r));
}

bool Firmware::cmd_invalidate(uint32_t stag) {
  ++stats_.commands;
  return placement_.invalidate(stag);
}

void Firmware::run(Duration cost, std::function<void()> fn) {
  const Duration start = std::max(sim_now(), busy_until_);
  busy_until_ = start + cost;
  stats_.busy = stats_.busy + cost;
  agenda_.at(busy_until_, std::move(fn));
}

// ------------------------------------------------------------------ commands

void Firmware::cmd_listen(uint16_t port, const MpaSetup& mpa, const tcp::Config& tcp) {
  ++stats_.commands;
  run(cfg_.costs.listen, [this, port, mpa, tcp] {
    listeners_[port] = {mpa, tcp};
    toe_.listen(port);
  });
}

void Firmware::cmd_connect(uint32_t qpn, const hw::FourTuple& t, const MpaSetup& mpa,
                           const tcp::Config& tcp) {
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

Firmware::L2Slot& Firmware::l2_slot(wire::Ipv4Addr ip) {
  L2Slot& slot = l2_[ip];
  if (!slot.entry) slot.entry = std::make_shared<netstack::L2Entry>(netstack::L2Entry{ip, 0});
  return slot;
}

netstack::Path Firmware::path_to(wire::Ipv4Addr dst) {
  netstack::Path p;
  p.route = up_.route(dst);
  const wire::Ipv4Addr hop = netstack::next_hop(p.route, dst);
  const L2Slot& slot = l2_slot(hop);
  if (slot.state == L2State::Valid) {
    p.neighbour = slot.entry;
    return p;
  }
  up_.resolve(hop);
  return p;
}

void Firmware::start_open(Setup& s) {
  netstack::Path path = path_to(s.tuple.remote_ip);
  if (!path.neighbour) {
    s.phase = Phase::AwaitL2;
    waiting_l2_.push_back(s);
    return;
  }
  s.phase = Phase::Handshake;
  const uint32_t conn = toe_.open_active(s.tuple, std::move(path), s.tcp, this);
  s.conn = conn;
  setups_[conn] = s;
}

void Firmware::netevent_neigh_update(wire::Ipv4Addr ip, wire::MacAddr mac) {
  run(cfg_.costs.neigh_update, [this, ip, mac] {
    ++stats_.netevents_handled;
    L2Slot& slot = l2_slot(ip);
    slot.state = L2State::Valid;
    slot.entry->mac = mac;  // in place: live connections use it from their next frame
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
    for (auto& syn : syns) on_syn(syn);
  });
}

void Firmware::on_syn(const hw::SynInfo& syn) {
  ++stats_.commands;
  run(cfg_.costs.syn, [this, syn] {
    auto lit = listeners_.find(syn.tuple.local_port);
    if (lit == listeners_.end()) return;
    netstack::Path path = path_to(syn.tuple.remote_ip);
    if (!path.neighbour) {
      syns_waiting_l2_.push_back(syn);
      return;
    }
    Setup s;
    s.active = false;
    s.tuple = syn.tuple;
    s.mpa = lit->second.first;
    s.tcp = lit->second.second;
    s.phase = Phase::AwaitRequest;
    const uint32_t conn = toe_.open_passive(syn, std::move(path), s.tcp, this);
    s.conn = conn;
    setups_[conn] = s;
  });
}

// ------------------------------------------------------------------ MPA exchange

void Firmware::send_frame(uint32_t conn, const wire::MpaReqRep& f) {
  const std::vector<uint8_t> bytes = wire::encode_mpa_reqrep(f);
  toe_.conn(conn).send_buffer().append(bytes.data(), bytes.size(), /*record_end=*/true);
  toe_.kick(conn);
}

void Firmware::toe_state(uint32_t conn, tcp::State, tcp::State to) {
  auto it = setups_.find(conn);
  if (it == setups_.end()) return;
  Setup& s = it->second;
  if (to == tcp::State::Established && s.active && s.phase == Phase::Handshake) {
    s.phase = Phase::AwaitReply;
    run(cfg_.costs.mpa, [this, conn] {
      Setup& st = setups_.at(conn);
      wire::MpaReqRep req;
      req.reply = false;
      req.markers = st.mpa.markers;
      req.crc = st.mpa.crc;
      req.revision = static_cast<uint8_t>(st.mpa.revision);
      req.enhanced = st.mpa.revision == 2;
      req.ird_ord.ird = static_cast<uint16_t>(std::min(st.mpa.ird, cfg_.max_ird));
      req.ird_ord.ord = static_cast<uint16_t>(std::min(st.mpa.ord, cfg_.max_ird));
      if (req.enhanced && cfg_.rtr_types != 0) {
        // Peer-to-peer mode: offer every RTR type this RNIC can send.
        req.ird_ord.peer_to_peer = true;
        req.ird_ord.zero_write_rtr = (cfg_.rtr_types & mpa::kRtrWrite) != 0;
        req.ird_ord.zero_read_rtr = (cfg_.rtr_types & mpa::kRtrRead) != 0;
        req.ird_ord.zero_send_rtr = (cfg_.rtr_types & mpa::kRtrSend) != 0;
      }
      req.private_data = st.mpa.private_data;
      send_frame(conn, req);
    });
    return;
  }
  if (to == tcp::State::Closed && s.phase != Phase::Done) {
    const Phase was = s.phase;
    s.phase = Phase::Failed;
    if (s.active && up_.connect_reply && was != Phase::Failed)
      up_.connect_reply(s.qpn, -111 /* -ECONNREFUSED */, nullptr);
  }
}

bool Firmware::toe_data(uint32_t conn, ConstByteSpan data) {
  auto it = setups_.find(conn);
  if (it == setups_.end()) return false;
  Setup& s = it->second;
  const bool idle = s.rx.empty();
  s.rx.insert(s.rx.end(), data.begin(), data.end());
  if (idle) run(cfg_.costs.mpa, [this, conn] { parse_setup(conn); });
  return false;
}

void Firmware::parse_setup(uint32_t conn) {
  Setup& s = setups_.at(conn);
  if (s.phase != Phase::AwaitRequest && s.phase != Phase::AwaitReply) return;
  auto d = wire::decode_mpa_reqrep(s.rx.data(), s.rx.size());
  if (d.status == wire::DecodeStatus::Truncated) return;  // the next bytes re-run the parse
  if (!d || d.value.reply != s.active || d.value.revision < 1) {
    // RFC 5044 s.7.1: an invalid Request/Reply ends the connection.
    s.phase = Phase::Failed;
    toe_.close(conn);
    if (s.active && up_.connect_reply) up_.connect_reply(s.qpn, -111, nullptr);
    return;
  }
  s.peer = d.value;
  s.rx.erase(s.rx.begin(), s.rx.begin() + static_cast<std::ptrdiff_t>(d.length));
  if (!s.active) {
    s.phase = Phase::AwaitAccept;
    if (up_.connect_request) up_.connect_request(conn, s.tuple.local_port, s.peer);
    return;
  }
  // Active side: the Reply. Its revision is ours or lower (a revision-2 initiator speaks
  // revision 1 to a revision-1 responder, RFC 6581 s.5); higher is an invalid Reply.
  const wire::MpaReqRep& rep = s.peer;
  if (rep.revision < 1 || rep.revision > s.mpa.revision) {
    s.phase = Phase::Failed;
    toe_.close(conn);
    if (up_.connect_reply) up_.connect_reply(s.qpn, -111, nullptr);
    return;
  }
  if (rep.reject) {
    s.phase = Phase::Failed;
    if (up_.connect_reply) up_.connect_reply(s.qpn, -111, &rep);
    toe_.close(conn);
    return;
  }
  hw::MpaParams p;
  p.revision = rep.revision;
  p.crc = s.mpa.crc || rep.crc;
  p.markers_tx = rep.markers;
  p.markers_rx = s.mpa.markers;
  if (rep.enhanced) {
    p.ird = std::min<uint32_t>(s.mpa.ird, rep.ird_ord.ord);
    p.ord = std::min<uint32_t>(s.mpa.ord, rep.ird_ord.ird);
    if (rep.ird_ord.peer_to_peer) {
      // The responder names exactly one RTR type, one that was offered (RFC 6581 s.8).
      const uint8_t chosen = static_cast<uint8_t>(
          (rep.ird_ord.zero_write_rtr ? mpa::kRtrWrite : 0) |
          (rep.ird_ord.zero_read_rtr ? mpa::kRtrRead : 0) |
          (rep.ird_ord.zero_send_rtr ? mpa::kRtrSend : 0));
      const mpa::RtrType t = mpa::pick_rtr(chosen, cfg_.rtr_types);
      if (t == mpa::RtrType::None || mpa::rtr_mask(t) != chosen) {
        s.phase = Phase::Failed;  // an invalid Reply (LLP code 0x04)
        toe_.close(conn);
        if (up_.connect_reply) up_.connect_reply(s.qpn, -111, nullptr);
        return;
      }
      p.rtr = t;
      p.rtr_initiator = true;
    }
  } else {
    p.ird = s.mpa.ird;
    p.ord = s.mpa.ord;
  }
  s.phase = Phase::Done;
  engine_.attach(s.qpn, conn, p, std::move(s.rx));
  s.rx.clear();
  if (up_.connect_reply) up_.connect_reply(s.qpn, 0, &rep);
}

void Firmware::cmd_accept(uint32_t handle, uint32_t qpn) {
  ++stats_.commands;
  run(cfg_.costs.accept, [this, handle, qpn] {
    Setup& s = setups_.at(handle);
    if (s.phase != Phase::AwaitAccept) return;
    const wire::MpaReqRep& req = s.peer;
    s.qpn = qpn;
    hw::MpaParams p;
    // RFC 6581: a revision-1 peer gets a revision-1 Reply.
    p.revision = std::min<int>(req.revision, s.mpa.revision);
    p.crc = s.mpa.crc || req.crc;  // CRC both ways if either side asks (RFC 5044 s.7.1)
    p.markers_tx = req.markers;
    p.markers_rx = s.mpa.markers;
    if (p.revision == 2 && req.enhanced) {
      // Responder: local ORD = peer IRD, local IRD = peer ORD, clipped to the device.
      p.ord = std::min<uint32_t>({static_cast<uint32_t>(req.ird_ord.ird), s.mpa.ord, cfg_.max_ird});
      p.ird = std::min<uint32_t>({static_cast<uint32_t>(req.ird_ord.ord), s.mpa.ird, cfg_.max_ird});
    } else {
      p.ird = s.mpa.ird;
      p.ord = s.mpa.ord;
    }
    wire::MpaReqRep rep;
    rep.reply = true;
    rep.markers = s.mpa.markers;
    rep.crc = p.crc;
    rep.revision = static_cast<uint8_t>(p.revision);
    rep.enhanced = p.revision == 2 && req.enhanced;
    rep.ird_ord.ird = static_cast<uint16_t>(p.ird);
    rep.ird_ord.ord = static_cast<uint16_t>(p.ord);
    if (rep.enhanced && req.ird_ord.peer_to_peer) {
      // Peer-to-peer mode: pick one RTR type the initiator offered and we accept; with none
      // in common the Reply leaves P clear and no RTR is exchanged.
      const uint8_t offered = static_cast<uint8_t>(
          (req.ird_ord.zero_write_rtr ? mpa::kRtrWrite : 0) |
          (req.ird_ord.zero_read_rtr ? mpa::kRtrRead : 0) |
          (req.ird_ord.zero_send_rtr ? mpa::kRtrSend : 0));
      p.rtr = mpa::pick_rtr(offered, cfg_.rtr_types);
      if (p.rtr != mpa::RtrType::None) {
        rep.ird_ord.peer_to_peer = true;
        rep.ird_ord.zero_write_rtr = p.rtr == mpa::RtrType::Write;
        rep.ird_ord.zero_read_rtr = p.rtr == mpa::RtrType::Read;
        rep.ird_ord.zero_send_rtr = p.rtr == mpa::RtrType::Send;
      }
    }
    rep.private_data = s.mpa.private_data;
    send_frame(handle, rep);
    s.phase = Phase::Done;
    engine_.attach(qpn, handle, p, std::move(s.rx));
    s.rx.clear();
    if (up_.established) up_.established(qpn);
  });
}

void Firmware::cmd_reject(uint32_t handle) {
  ++stats_.commands;
  run(cfg_.costs.accept, [this, handle] {
    Setup& s = setups_.at(handle);
    wire::MpaReqRep rep;
    rep.reply = true;
    rep.reject = true;
    rep.crc = s.mpa.crc;
    rep.revision = static_cast<uint8_t>(std::min<int>(s.peer.revision, s.mpa.revision));
    rep.enhanced = rep.revision == 2 && s.peer.enhanced;
    rep.private_data = s.mpa.private_data;
    send_frame(handle, rep);
    s.phase = Phase::Failed;
    toe_.close(handle);  // RFC 5044 s.7.1.5: the responder closes after a reject
  });
}

}  // namespace rnicsim::fw

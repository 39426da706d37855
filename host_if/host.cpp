#include "host_if/host.h"

#include <fmt/format.h>

#include "model/scenario/units_parse.h"
#include "model/wire/eth.h"
#include "model/wire/ipv4.h"
#include "model/wire/tcp.h"

namespace rnicsim::host {
namespace {

uint32_t prefix_mask(uint8_t len) { return len == 0 ? 0 : ~uint32_t{0} << (32 - len); }

}  // namespace

Host::Host(sc_core::sc_module_name name, const HostConfig& cfg, const hw::RnicConfig& rnic_cfg,
           EventLog& log, uint64_t seed)
    : sc_module(name), cfg_(cfg), log_(log), mem_(seed, cfg.name), agenda_(basename()) {
  rnic_ = std::make_unique<hw::Rnic>("rnic", rnic_cfg, mem_, make_upcalls(), seed);
  soft_tcp_ = std::make_unique<SoftTcp>(cfg.soft_tcp, rnic_->mac(), cfg.mac, seed);
  rnic_->set_host_rx([this](FramePtr f) { on_frame(std::move(f)); },
                     [this](FramePtr f, const wire::Ipv4Header& ip, const wire::TcpHeader& tcp, size_t off,
                            size_t len, wire::MacAddr src) { soft_tcp_->receive(std::move(f), ip, tcp, off, len, src); });
  rnic_->engine().set_cqe_sink([this](const hw::Cqe& c) {
    if (on_cqe_) on_cqe_(c);
  });
  // The iw_cm events of a graceful close: DISCONNECT when the peer closed first, CLOSE
  // when the connection is gone.
  rnic_->engine().set_qp_event_sink([this](uint32_t qpn, hw::QpState from, hw::QpState to) {
    if (to == hw::QpState::Closing && !disconnecting_.count(qpn)) to_host_event("disconnect", {{"qpn", qpn}});
    if (from == hw::QpState::Closing && to == hw::QpState::Idle) to_host_event("close", {{"qpn", qpn}, {"status", 0}});
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
  up.next_hop = [this](wire::Ipv4Addr dst) { return next_hop(dst); };
  up.resolve = [this](wire::Ipv4Addr ip) { resolve(ip); };
  up.connect_request = [this](uint32_t handle, uint16_t port, const wire::MpaReqRep& req) {
    to_host_event("connect_request",
                  {{"port", port},
                   {"mpa_revision", req.revision},
                   {"ird", req.enhanced ? req.ird_ord.ird : 0},
                   {"ord", req.enhanced ? req.ird_ord.ord : 0},
                   {"private_data_len", req.private_data.size()}});
    auto it = listeners_.find(port);
    if (it == listeners_.end()) return;
    if (it->second.mpa.reject) {
      rnic_->firmware().cmd_reject(handle);
      return;
    }
    const uint32_t qpn = it->second.make_qp();
    rnic_->firmware().cmd_accept(handle, qpn);
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

wire::Ipv4Addr Host::next_hop(wire::Ipv4Addr dst) const {
  const uint32_t mask = prefix_mask(cfg_.prefix_len);
  if ((dst & mask) == (cfg_.ip & mask)) return dst;  // on link
  const RouteEntry* best = nullptr;
  for (const auto& r : cfg_.routes)
    if ((dst & prefix_mask(r.len)) == (r.dst & prefix_mask(r.len)) && (!best || r.len > best->len))
      best = &r;
  return best ? best->via : dst;
}

wire::MacAddr Host::neighbour_mac(wire::Ipv4Addr ip) const {
  auto it = neigh_.find(ip);
  return it != neigh_.end() && it->second.state == NeighState::Reachable ? it->second.mac : 0;
}

void Host::resolve(wire::Ipv4Addr ip) {
  auto it = neigh_.find(ip);
  if (it != neigh_.end()) {
    // Already known: tell the RNIC again (it asked because its L2 entry is missing).
    if (it->second.state == NeighState::Reachable) notify_neigh_update(ip, it->second.mac);
    if (it->second.state == NeighState::Incomplete) return;
  }
  neigh_[ip] = Neigh{NeighState::Incomplete, 0};
  arp_retry(ip, cfg_.arp_tries);
}

void Host::arp_retry(wire::Ipv4Addr ip, uint32_t tries) {
  auto it = neigh_.find(ip);
  if (it == neigh_.end() || it->second.state != NeighState::Incomplete) return;
  if (tries == 0) {
    it->second.state = NeighState::Failed;
    wake_waiters(ip, 0);
    return;
  }
  send_arp(wire::ArpOp::Request, wire::kMacBroadcast, 0, ip);
  agenda_.after(cfg_.arp_retrans, [this, ip, tries] { arp_retry(ip, tries - 1); });
}

void Host::send_arp(wire::ArpOp op, wire::MacAddr dst_mac, wire::MacAddr tha,
                    wire::Ipv4Addr tpa) {
  FramePtr f = agenda_.frames().make();
  f->bytes.resize(wire::kEthHeaderLen + wire::kArpLen);
  wire::encode_eth(f->bytes.data(), {dst_mac, cfg_.mac, wire::kEtherTypeArp});
  wire::encode_arp(f->bytes.data() + wire::kEthHeaderLen, {op, cfg_.mac, cfg_.ip, tha, tpa});
  if (op == wire::ArpOp::Request) ++stats_.arp_requests_tx;
  rnic_->host_send(std::move(f));
}

void Host::learn(wire::Ipv4Addr ip, wire::MacAddr mac) {
  Neigh& n = neigh_[ip];
  const bool changed = n.state != NeighState::Reachable || n.mac != mac;
  n.state = NeighState::Reachable;
  n.mac = mac;
  if (changed) notify_neigh_update(ip, mac);
  wake_waiters(ip, mac);
}

void Host::wake_waiters(wire::Ipv4Addr ip, wire::MacAddr mac) {
  auto [b, e] = resolve_waiters_.equal_range(ip);
  std::vector<std::function<void(wire::MacAddr)>> cbs;  // in the order they asked
  for (auto w = b; w != e; ++w) cbs.push_back(std::move(w->second));
  resolve_waiters_.erase(b, e);
  for (auto& cb : cbs) cb(mac);
}

void Host::when_resolved(wire::Ipv4Addr ip, std::function<void(wire::MacAddr)> cb) {
  if (const wire::MacAddr mac = neighbour_mac(ip)) {
    cb(mac);
    return;
  }
  resolve_waiters_.emplace(ip, std::move(cb));
  resolve(ip);
}

void Host::notify_neigh_update(wire::Ipv4Addr ip, wire::MacAddr mac) {
  // The netevent notifier: NEIGH_UPDATE goes to every registered driver, the RNIC's too.
  ++stats_.netevents_to_rnic;
  log_.emit(sim_now(), cfg_.name, "to_rnic", "neigh_update",
            {{"ip", scenario::format_ipv4(ip)}, {"mac", scenario::format_mac(mac)}, {"state", "reachable"}});
  rnic_->firmware().netevent_neigh_update(ip, mac);
}

void Host::on_frame(FramePtr f) {
  auto eth = wire::decode_eth(f->bytes.data(), f->bytes.size());
  // TCP segments reach the host's stack straight from the RNIC's demux (decoded once).
  if (!eth || eth.value.ethertype != wire::kEtherTypeArp) return;
  auto arp = wire::decode_arp(f->bytes.data() + eth.length, f->bytes.size() - eth.length);
  if (!arp) return;
  const wire::ArpPacket& a = arp.value;
  if (a.tpa != cfg_.ip) return;
  // RFC 826: merge the sender, then answer a request for our address.
  learn(a.spa, a.sha);
  if (a.op == wire::ArpOp::Request) send_arp(wire::ArpOp::Reply, a.sha, a.sha, a.spa);
}

bool Host::reserve_port(uint16_t port) {
  if (!ports_.insert(port).second) {
    ++stats_.port_conflicts;
    return false;
  }
  return true;
}

uint16_t Host::ephemeral_port() {
  while (ports_.count(next_ephemeral_)) ++next_ephemeral_;
  return next_ephemeral_++;
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
  auto stag = rnic_->firmware().cmd_reg_mr(std::move(r));
  if (!stag) throw std::runtime_error(fmt::format("{}: RNIC region table full", cfg_.name));
  return *stag;
}

uint32_t Host::create_qp(uint32_t pd, uint32_t sq_depth) {
  return rnic_->engine().create_qp(pd, sq_depth);
}

void Host::post_send(uint32_t qpn, const hw::Wqe& w) { rnic_->engine().post_send(qpn, w); }

void Host::post_recv(uint32_t qpn, const hw::Rqe& r) { rnic_->engine().post_recv(qpn, r); }

bool Host::invalidate_stag(uint32_t stag) { return rnic_->firmware().cmd_invalidate(stag); }

// ------------------------------------------------------------------ connection manager

void Host::listen(uint16_t port, const fw::MpaSetup& mpa, const tcp::Config& tcp,
                  std::function<uint32_t()> make_qp) {
  if (cfg_.port_space_shared) reserve_port(port);  // the port mapper binds a host socket
  listeners_[port] = Listener{mpa, std::move(make_qp)};
  rnic_->firmware().cmd_listen(port, mpa, tcp);
}

void Host::connect(uint32_t qpn, wire::Ipv4Addr dst, uint16_t dport, uint16_t sport,
                   const fw::MpaSetup& mpa, const tcp::Config& tcp,
                   std::function<void(uint32_t, int)> done) {
  if (cfg_.port_space_shared) reserve_port(sport);
  connecting_[qpn] = std::move(done);
  // RDMA CM: route lookup, then the neighbour (ARP when unknown; the RNIC learns it from
  // the NEIGH_UPDATE netevent); the firmware waits for its L2 entry.
  resolve(next_hop(dst));
  rnic_->firmware().cmd_connect(qpn, hw::FourTuple{cfg_.ip, dst, sport, dport}, mpa, tcp);
}

}  // namespace rnicsim::host

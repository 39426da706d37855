#include "model/hw/rnic/rnic.h"

#include <stdexcept>

#include <fmt/format.h>

#include "model/common/address.h"
#include "model/wire/tcp.h"

namespace rnicsim::hw {

Rnic::Rnic(sc_core::sc_module_name name, const RnicConfig& cfg, host::HostMemory& mem, uint64_t seed)
    : sc_module(name),
      cfg_(cfg),
      mac_("mac", cfg.mac_cfg),
      dma_("dma", cfg.dma),
      toe_("toe", cfg.toe, mac_, cfg.mac, seed),
      placement_("placement", cfg.placement, dma_, mem),
      engine_("engine", cfg.engine, toe_, dma_, placement_, mem) {
  if (cfg_.type != 3) {  // type 7: one address for the host and the RNIC
    cfg_.host_mac = cfg_.mac;
    cfg_.host_ip = cfg_.ip;
  }
  mac_.set_upper(this);
  mac_.set_addresses(port_addresses());
  toe_.set_syn_handler([this](const SynInfo& s) {
    if (notify_) notify_->syn_received(s);
  });
  // Stale-L2 accounting: the MAC compares each offloaded segment's destination with the
  // host's current view of that neighbour.
  toe_.set_tx_observer([this](uint32_t conn, wire::MacAddr dst) { mac_.count_l2_use(toe_.tuple(conn).remote_ip, dst); });
}

void Rnic::receive(FramePtr f) {
  const uint8_t* p = f->bytes.data();
  const size_t n = f->bytes.size();
  auto eth = wire::decode_eth(p, n);
  if (eth && eth.value.ethertype == wire::kEtherTypeIpv4) {
    auto ip = wire::decode_ipv4(p + eth.length, n - eth.length);
    // TCP to the RNIC's address goes to the TOE first; what it leaves, and TCP to the
    // host's address (type 3: another one), to the host's stack.
    if (ip && ip.value.protocol == wire::kIpProtoTcp && (ip.value.dst == cfg_.ip || ip.value.dst == cfg_.host_ip)) {
      const size_t l4 = eth.length + ip.value.header_length;
      const size_t l4_len = ip.value.total_length - ip.value.header_length;
      auto tcp = wire::decode_tcp(p + l4, l4_len);
      if (tcp) {
        const size_t off = l4 + tcp.length, len = l4_len - tcp.length;
        if (ip.value.dst == cfg_.ip && toe_.receive(f, ip.value, tcp.value, off, len, eth.value.src)) {
          if (claimed_) claimed_(FourTuple{ip.value.dst, ip.value.src, tcp.value.dport, tcp.value.sport});
          return;
        }
        if (ip.value.dst == cfg_.host_ip && host_tcp_rx_)
          host_tcp_rx_(std::move(f), ip.value, tcp.value, off, len, eth.value.src);
        return;
      }
    }
  }
  if (eth && cfg_.type == 3 && own_stack_frame(f, eth.value, eth.length)) return;
  if (snoop_arp_ && notify_ && eth && eth.value.ethertype == wire::kEtherTypeArp) {
    auto arp = wire::decode_arp(p + eth.length, n - eth.length);
    if (arp) notify_->arp_seen(arp.value);
  }
  if (host_rx_) host_rx_(std::move(f));
}

bool Rnic::own_stack_frame(const FramePtr& f, const wire::EthHeader& eth, size_t l3_off) {
  const uint8_t* p = f->bytes.data() + l3_off;
  const size_t n = f->bytes.size() - l3_off;
  if (eth.ethertype == wire::kEtherTypeIpv4) {
    auto ip = wire::decode_ipv4(p, n);
    if (!ip || ip.value.dst != cfg_.ip) return false;
    if (notify_) notify_->own_frame(f);  // ICMP (and any other protocol) to the RNIC's address
    return true;
  }
  if (eth.ethertype != wire::kEtherTypeArp) return false;
  auto arp = wire::decode_arp(p, n);
  if (!arp) return false;
  // ARP for the RNIC's address, broadcast or not, is its firmware's alone.
  if (arp.value.tpa == cfg_.ip) {
    if (notify_) notify_->own_frame(f);
    return true;
  }
  // A gratuitous ARP (sender and target one address) is news for both stacks on the port.
  if (arp.value.spa == arp.value.tpa && notify_) notify_->own_frame(f);
  return false;
}

std::vector<wire::MacAddr> Rnic::port_addresses() const {
  std::vector<wire::MacAddr> a{cfg_.host_mac};
  if (cfg_.mac != cfg_.host_mac) a.push_back(cfg_.mac);
  return a;
}

void Rnic::set_port_mac(wire::MacAddr mac) {
  cfg_.host_mac = mac;
  if (cfg_.type != 3) cfg_.mac = mac;
  mac_.set_addresses(port_addresses());
}

// ------------------------------------------------------------------ registers

void Rnic::set_l2_entry(wire::Ipv4Addr next_hop, wire::MacAddr mac) {
  auto& e = l2_[next_hop];
  if (!e) e = std::make_shared<netstack::L2Entry>(netstack::L2Entry{next_hop, 0});
  e->mac = mac;  // in place: live connections use it from their next frame
}

std::shared_ptr<netstack::L2Entry> Rnic::l2_of(wire::Ipv4Addr next_hop) const {
  auto it = l2_.find(next_hop);
  if (it == l2_.end())
    throw std::logic_error(fmt::format("{}: a connection toward {} with no L2 entry", name(), format_ipv4(next_hop)));
  return it->second;
}

netstack::Path Rnic::path(netstack::RouteRef route, wire::Ipv4Addr next_hop, wire::Ipv4Addr dst) {
  // A destination no route covers is tried on link through the port.
  auto own = route ? std::make_shared<netstack::Route>(*route)
                   : std::make_shared<netstack::Route>(netstack::Route{dst, 32, 0, cfg_.mtu});
  pending_route_ = own;
  return netstack::Path{std::move(own), l2_of(next_hop)};
}

uint32_t Rnic::keep_route(uint32_t conn) {
  if (routes_.size() <= conn) routes_.resize(conn + 1);
  routes_[conn] = std::move(pending_route_);
  return conn;
}

void Rnic::move_connection(uint32_t conn, wire::Ipv4Addr next_hop) {
  std::shared_ptr<netstack::Route>& r = routes_.at(conn);
  // The redirect is a host route to the peer through the new gateway (Linux's route
  // exception); the device's MTU stays.
  auto moved = std::make_shared<netstack::Route>();
  moved->dst = toe_.tuple(conn).remote_ip;
  moved->len = 32;
  moved->gateway = next_hop == moved->dst ? 0 : next_hop;
  moved->mtu = r->mtu;
  r = moved;
  toe_.set_path(conn, netstack::Path{r, l2_of(next_hop)});
}

void Rnic::set_device_mtu(uint32_t mtu) {
  cfg_.mtu = mtu;
  for (uint32_t c = 0; c < routes_.size(); ++c) {
    if (!routes_[c]) continue;  // a connection of the host's (none today) or not yet kept
    routes_[c]->mtu = mtu;
    toe_.kick(c);
  }
}

bool Rnic::connection_live(uint32_t conn) const { return toe_.state(conn) != tcp::State::Closed; }

uint32_t Rnic::open_active(const FourTuple& t, netstack::RouteRef route, wire::Ipv4Addr next_hop,
                           const tcp::Config& cfg) {
  return keep_route(toe_.open_active(t, path(std::move(route), next_hop, t.remote_ip), cfg, &setup_client_));
}

uint32_t Rnic::open_passive(const SynInfo& syn, netstack::RouteRef route, wire::Ipv4Addr next_hop,
                            const tcp::Config& cfg) {
  return keep_route(toe_.open_passive(syn, path(std::move(route), next_hop, syn.tuple.remote_ip), cfg, &setup_client_));
}

void Rnic::send(uint32_t conn, ConstByteSpan bytes) {
  tcp::SendBuffer& buf = toe_.conn(conn).send_buffer();
  // The scenario check keeps an RNIC's sndbuf above the largest MPA frame; past it the
  // ring would be overrun, so this stops the run instead.
  if (bytes.size() > buf.space())
    throw std::logic_error(fmt::format("{}: {} bytes to send with {} free in the send buffer", name(), bytes.size(),
                                       buf.space()));
  buf.append(bytes.data(), bytes.size(), /*record_end=*/true);
  toe_.kick(conn);
}

void Rnic::hand_to_engine(uint32_t qpn, uint32_t conn, const mpa::Params& mpa, std::vector<uint8_t> leftover) {
  // The engine's QP records the negotiated fields in its own struct.
  MpaParams p;
  p.revision = mpa.revision;
  p.crc = mpa.crc;
  p.markers_tx = mpa.markers_tx;
  p.markers_rx = mpa.markers_rx;
  p.ird = mpa.ird;
  p.ord = mpa.ord;
  p.rtr = mpa.rtr;
  p.rtr_initiator = mpa.rtr_initiator;
  engine_.attach(qpn, conn, p, std::move(leftover));
}

bool Rnic::SetupClient::toe_data(uint32_t conn, ConstByteSpan data) {
  if (rnic_.notify_) rnic_.notify_->bytes_received(conn, data);
  return false;  // setup frames never ask for an immediate ACK
}

void Rnic::SetupClient::toe_state(uint32_t conn, tcp::State, tcp::State to) {
  if (!rnic_.notify_) return;
  if (to == tcp::State::Established) rnic_.notify_->connection_established(conn);
  if (to == tcp::State::Closed) rnic_.notify_->connection_closed(conn);
}

}  // namespace rnicsim::hw

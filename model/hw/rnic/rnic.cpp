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
  mac_.set_upper(this);
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
    if (ip && ip.value.protocol == wire::kIpProtoTcp && ip.value.dst == cfg_.ip) {
      const size_t l4 = eth.length + ip.value.header_length;
      const size_t l4_len = ip.value.total_length - ip.value.header_length;
      auto tcp = wire::decode_tcp(p + l4, l4_len);
      if (tcp) {
        const size_t off = l4 + tcp.length, len = l4_len - tcp.length;
        if (toe_.receive(f, ip.value, tcp.value, off, len, eth.value.src)) {
          if (claimed_) claimed_(FourTuple{ip.value.dst, ip.value.src, tcp.value.dport, tcp.value.sport});
          return;
        }
        if (host_tcp_rx_) host_tcp_rx_(std::move(f), ip.value, tcp.value, off, len, eth.value.src);
        return;
      }
    }
  }
  if (host_rx_) host_rx_(std::move(f));
}

// ------------------------------------------------------------------ registers

void Rnic::set_l2_entry(wire::Ipv4Addr next_hop, wire::MacAddr mac) {
  auto& e = l2_[next_hop];
  if (!e) e = std::make_shared<netstack::L2Entry>(netstack::L2Entry{next_hop, 0});
  e->mac = mac;  // in place: live connections use it from their next frame
}

netstack::Path Rnic::path(netstack::RouteRef route, wire::Ipv4Addr next_hop) const {
  auto it = l2_.find(next_hop);
  if (it == l2_.end())
    throw std::logic_error(fmt::format("{}: open toward {} with no L2 entry", name(), format_ipv4(next_hop)));
  return netstack::Path{std::move(route), it->second};
}

uint32_t Rnic::open_active(const FourTuple& t, netstack::RouteRef route, wire::Ipv4Addr next_hop,
                           const tcp::Config& cfg) {
  return toe_.open_active(t, path(std::move(route), next_hop), cfg, &setup_client_);
}

uint32_t Rnic::open_passive(const SynInfo& syn, netstack::RouteRef route, wire::Ipv4Addr next_hop,
                            const tcp::Config& cfg) {
  return toe_.open_passive(syn, path(std::move(route), next_hop), cfg, &setup_client_);
}

void Rnic::send(uint32_t conn, ConstByteSpan bytes) {
  toe_.conn(conn).send_buffer().append(bytes.data(), bytes.size(), /*record_end=*/true);
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

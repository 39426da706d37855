#include "host_if/host_tcp.h"

namespace rnicsim::host {

SoftTcp::SoftTcp(const SoftTcpConfig& cfg, hw::Mac& mac, wire::MacAddr mac_addr, uint64_t seed) {
  hw::ToeConfig tc;
  tc.tx_latency = tc.rx_latency = Duration{};
  tc.tx_interval = tc.rx_interval = cfg.segment_cost;
  tc.shared_pipeline = true;   // one CPU for both directions
  tc.reset_unmatched = true;   // the host's stack owns the port space left over
  toe_ = std::make_unique<hw::Toe>("host_tcp", tc, mac, mac_addr, seed);
  toe_->set_syn_handler([this](const hw::SynInfo& syn) {
    auto it = listeners_.find(syn.tuple.local_port);
    if (it == listeners_.end()) return;
    const uint32_t id = toe_->open_passive(syn, syn.peer_mac, it->second.cfg, nullptr);
    toe_->set_client(id, it->second.accept(id));
  });
}

void SoftTcp::listen(uint16_t port, const tcp::Config& cfg,
                     std::function<hw::ToeClient*(uint32_t)> accept) {
  listeners_[port] = Listener{cfg, std::move(accept)};
  toe_->listen(port);
}

uint32_t SoftTcp::connect(const hw::FourTuple& t, wire::MacAddr next_hop_mac, const tcp::Config& cfg,
                          hw::ToeClient* client) {
  return toe_->open_active(t, next_hop_mac, cfg, client);
}

void SoftTcp::receive(FramePtr f, const wire::Ipv4Header& ip, const wire::TcpHeader& tcp,
                      size_t payload_off, size_t payload_len, wire::MacAddr src_mac) {
  toe_->receive(std::move(f), ip, tcp, payload_off, payload_len, src_mac);
}

}  // namespace rnicsim::host

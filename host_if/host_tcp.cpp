#include "host_if/host_tcp.h"

#include <cassert>

namespace rnicsim::host {

SoftTcp::SoftTcp(const SoftTcpConfig& cfg, hw::Mac& mac, wire::MacAddr mac_addr, SoftTcpNet& net, uint64_t seed)
    : net_(net) {
  hw::ToeConfig tc;
  tc.tx_latency = tc.rx_latency = Duration{};
  tc.tx_interval = tc.rx_interval = cfg.segment_cost;
  tc.shared_pipeline = true;   // one CPU for both directions
  tc.reset_unmatched = true;   // the host's stack owns the port space left over
  toe_ = std::make_unique<hw::Toe>("host_tcp", tc, mac, mac_addr, seed);
  toe_->set_syn_handler([this](const hw::SynInfo& syn) {
    if (!listeners_.count(syn.tuple.local_port)) return;
    netstack::Path path = net_.path(syn.tuple.remote_ip);
    if (path.neighbour && path.neighbour->mac != 0) {
      accept(syn, std::move(path));
      return;
    }
    // The next hop was never learned (a SYN through a gateway not yet resolved): the
    // SYN-ACK waits for it, as Linux queues it on the neighbour.
    const wire::Ipv4Addr hop = netstack::next_hop(path.route, syn.tuple.remote_ip);
    net_.when_resolved(hop, [this, syn](wire::MacAddr hop_mac) {
      if (hop_mac) accept(syn, net_.path(syn.tuple.remote_ip));
    });
  });
}

void SoftTcp::accept(const hw::SynInfo& syn, netstack::Path path) {
  const Listener& l = listeners_.at(syn.tuple.local_port);
  const uint32_t id = toe_->open_passive(syn, std::move(path), l.cfg, nullptr);
  toe_->set_client(id, l.accept(id));
}

void SoftTcp::listen(uint16_t port, const tcp::Config& cfg,
                     std::function<hw::ToeClient*(uint32_t)> accept) {
  listeners_[port] = Listener{cfg, std::move(accept)};
  toe_->listen(port);
}

uint32_t SoftTcp::connect(const hw::FourTuple& t, const tcp::Config& cfg, hw::ToeClient* client) {
  netstack::Path path = net_.path(t.remote_ip);
  assert(path.neighbour && path.neighbour->mac != 0 && "connect after the next hop is resolved");
  return toe_->open_active(t, std::move(path), cfg, client);
}

void SoftTcp::receive(FramePtr f, const wire::Ipv4Header& ip, const wire::TcpHeader& tcp,
                      size_t payload_off, size_t payload_len, wire::MacAddr src_mac) {
  toe_->receive(std::move(f), ip, tcp, payload_off, payload_len, src_mac);
}

}  // namespace rnicsim::host

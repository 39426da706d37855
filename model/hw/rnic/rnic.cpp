#include "model/hw/rnic/rnic.h"

#include "model/wire/tcp.h"

namespace rnicsim::hw {

Rnic::Rnic(sc_core::sc_module_name name, const RnicConfig& cfg, host::HostMemory& mem,
           fw::HostUpcalls up, uint64_t seed)
    : sc_module(name),
      cfg_(cfg),
      mac_("mac", cfg.mac_cfg),
      dma_("dma", cfg.dma),
      toe_("toe", cfg.toe, mac_, cfg.mac, seed),
      placement_("placement", cfg.placement, dma_, mem),
      engine_("engine", cfg.engine, toe_, dma_, placement_, mem),
      firmware_("firmware", cfg.firmware, toe_, engine_, placement_, std::move(up)) {
  mac_.set_upper(this);
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
        if (toe_.receive(f, ip.value, tcp.value, off, len, eth.value.src)) return;
        if (host_tcp_rx_) host_tcp_rx_(std::move(f), ip.value, tcp.value, off, len, eth.value.src);
        return;
      }
    }
  }
  if (host_rx_) host_rx_(std::move(f));
}

}  // namespace rnicsim::hw

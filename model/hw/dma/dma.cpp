#include "model/hw/dma/dma.h"

#include <algorithm>

namespace rnicsim::hw {

Dma::Dma(sc_core::sc_module_name name, const DmaConfig& cfg) : sc_module(name), cfg_(cfg), link_(cfg.pcie) {}

Duration Dma::write(uint64_t pa, uint64_t bytes) {
  const pcie::Transfer t = link_.write(sim_now(), pa, bytes);
  stats_.write_tlps += t.tlps;
  stats_.write_bytes += bytes;
  return t.end + cfg_.write_latency;
}

Duration Dma::read(uint64_t pa, uint64_t bytes) {
  const pcie::Transfer t = link_.read(sim_now(), pa, bytes);
  stats_.read_tlps += t.tlps;
  stats_.completion_tlps += t.completions;
  stats_.read_bytes += bytes;
  return t.end;
}

Duration Dma::host_write(uint64_t offset, uint64_t bytes, Duration at) {
  return link_.host_write(std::max(at, sim_now()), offset, bytes).end;
}

}  // namespace rnicsim::hw

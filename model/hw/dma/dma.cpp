#include "model/hw/dma/dma.h"

#include <algorithm>

namespace rnicsim::hw {
namespace {

/// Per-lane transfer rate after line coding: 8b/10b for gens 1-2, 128b/130b from gen 3.
Rate pcie_rate(int gen, int lanes) {
  double gtps = 8.0;
  double coding = 128.0 / 130.0;
  switch (gen) {
    case 1: gtps = 2.5; coding = 0.8; break;
    case 2: gtps = 5.0; coding = 0.8; break;
    case 3: gtps = 8.0; break;
    case 4: gtps = 16.0; break;
    default: gtps = 32.0; break;
  }
  return Rate{static_cast<uint64_t>(gtps * 1e9 * coding * lanes)};
}

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

}  // namespace

Dma::Dma(sc_core::sc_module_name name, const DmaConfig& cfg)
    : sc_module(name), cfg_(cfg), rate_(pcie_rate(cfg.gen, cfg.lanes)) {}

Duration Dma::write(uint64_t bytes) {
  const uint64_t tlps = std::max<uint64_t>(1, ceil_div(bytes, cfg_.mps));
  stats_.write_tlps += tlps;
  stats_.write_bytes += bytes;
  const Duration start = std::max(sim_now(), up_free_);
  up_free_ = start + rate_.time_for_bytes(bytes + tlps * cfg_.tlp_write_overhead);
  return up_free_ + cfg_.write_latency;
}

Duration Dma::read(uint64_t bytes) {
  const uint64_t reqs = std::max<uint64_t>(1, ceil_div(bytes, cfg_.mrrs));
  const uint64_t cpls = std::max<uint64_t>(1, ceil_div(bytes, cfg_.mps));
  stats_.read_tlps += reqs;
  stats_.completion_tlps += cpls;
  stats_.read_bytes += bytes;
  const Duration req_start = std::max(sim_now(), up_free_);
  up_free_ = req_start + rate_.time_for_bytes(reqs * cfg_.tlp_write_overhead);
  const Duration first_data = req_start + cfg_.read_latency;
  const Duration start = std::max(first_data, down_free_);
  down_free_ = start + rate_.time_for_bytes(bytes + cpls * cfg_.tlp_completion_overhead);
  return down_free_;
}

}  // namespace rnicsim::hw

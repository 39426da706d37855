#pragma once
/// The RNIC's DMA engine: its PCIe link to the host (pcie::Link, at the TLP level: MPS,
/// MRRS and read completion boundary splits, DLLP overheads, flow-control credits, tags
/// and completion buffer space; docs/architecture.md, "PCIe at the TLP level"), driven at
/// the simulation's current time. Every access names the bus address it touches: host
/// physical addresses for the RNIC's reads and writes of host memory, BAR offsets for the
/// host's MMIO writes (doorbells). Data moves in host memory functionally; the caller acts
/// on it when the time returned here has come.
#include <cstdint>

#include "model/common/sim.h"
#include "model/common/units.h"
#include "model/hw/pcie/link.h"
#include "model/stats/stats.h"

namespace rnicsim::hw {

struct DmaConfig {
  pcie::PcieConfig pcie;
  /// From a posted write's last TLP at the root port to its data being visible in host
  /// memory (the root complex's write into the memory system).
  Duration write_latency = Duration::from_ns(250);
};

/// The contract's `rnic.dma` figures (results-format.md), by operation; the TLP-level
/// figures are `rnic.pcie` (pcie::PcieStats).
struct DmaStats {
  uint64_t read_tlps = 0, write_tlps = 0, completion_tlps = 0;
  uint64_t read_bytes = 0, write_bytes = 0;

  static stats::Group<DmaStats> group() {
    using stats::Unit;
    return stats::Group<DmaStats>()
        .counter("read_tlps", &DmaStats::read_tlps, Unit::Tlps, "read request TLPs to host memory")
        .counter("write_tlps", &DmaStats::write_tlps, Unit::Tlps, "memory write TLPs to host memory")
        .counter("completion_tlps", &DmaStats::completion_tlps, Unit::Tlps,
                 "completion TLPs with data that answered the read requests")
        .counter("read_bytes", &DmaStats::read_bytes, Unit::Bytes, "bytes read from host memory")
        .counter("write_bytes", &DmaStats::write_bytes, Unit::Bytes, "bytes written to host memory");
  }
};

class Dma : public sc_core::sc_module {
 public:
  /// `cfg.pcie` must pass its check() (the scenario's checks report what it names).
  Dma(sc_core::sc_module_name name, const DmaConfig& cfg);
  /// The rate each direction gives TLPs (line coding, DLLPs and SKP taken off).
  Rate link_rate() const { return link_.tlp_rate(); }
  /// Writes [pa, pa + bytes) of host memory now; returns when the data is visible there.
  Duration write(uint64_t pa, uint64_t bytes);
  /// Reads [pa, pa + bytes) of host memory now; returns when its last completion arrived.
  Duration read(uint64_t pa, uint64_t bytes);
  /// The host writes [offset, offset + bytes) of the RNIC's BAR (an MMIO write, a
  /// doorbell), leaving the root port at `at` (not before now); returns when it has
  /// reached the RNIC.
  Duration host_write(uint64_t offset, uint64_t bytes, Duration at);
  const DmaStats& stats() const { return stats_; }
  const pcie::PcieStats& pcie_stats() const { return link_.stats(); }
  const DmaConfig& config() const { return cfg_; }

 private:
  DmaConfig cfg_;
  pcie::Link link_;
  DmaStats stats_;
};

}  // namespace rnicsim::hw

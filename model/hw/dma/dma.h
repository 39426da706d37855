#pragma once
/// The DMA engine and its PCIe link to host memory: TLP-level bandwidth and latency.
/// A write of N bytes goes as ceil(N/MPS) posted memory-write TLPs, each with 24 bytes of
/// header, framing and LCRC; a read as ceil(N/MRRS) read requests (24 bytes each, upstream)
/// answered by completions of at most MPS bytes with 20 bytes of overhead (downstream),
/// after the read latency. Both directions are pipelined: a transfer occupies its
/// direction for its wire time only. Data moves in host memory functionally when the
/// caller is told the transfer is done.
#include <cstdint>

#include "model/common/sim.h"
#include "model/common/units.h"
#include "model/stats/stats.h"

namespace rnicsim::hw {

struct DmaConfig {
  int gen = 3;                 ///< PCIe generation 1..5
  int lanes = 8;
  uint64_t mps = 256;          ///< max payload size, bytes
  uint64_t mrrs = 512;         ///< max read request size, bytes
  Duration read_latency = Duration::from_ns(500);  ///< request to first completion
  Duration write_latency = Duration::from_ns(250); ///< posted write to memory visibility
  uint32_t tlp_write_overhead = 24;  ///< bytes per memory write/read request TLP (64-bit address)
  uint32_t tlp_completion_overhead = 20;  ///< bytes per completion TLP
};

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
  Dma(sc_core::sc_module_name name, const DmaConfig& cfg);
  /// Raw link rate in one direction, after line coding.
  Rate link_rate() const { return rate_; }
  /// Schedules a host-memory write; returns when its data is visible in host memory.
  Duration write(uint64_t bytes);
  /// Schedules a host-memory read; returns when its last completion has arrived.
  Duration read(uint64_t bytes);
  const DmaStats& stats() const { return stats_; }
  const DmaConfig& config() const { return cfg_; }

 private:
  DmaConfig cfg_;
  Rate rate_;
  Duration up_free_{};    ///< device -> host direction (writes, read requests)
  Duration down_free_{};  ///< host -> device direction (completions)
  DmaStats stats_;
};

}  // namespace rnicsim::hw

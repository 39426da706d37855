#pragma once
/// The placement unit (SystemC model): checks each tagged segment against the region
/// table in the protocol-facts order and, when it passes, translates it page by page and
/// issues the DMA writes. It is the reference the RTL core is compared with.
#include <optional>

#include "host_if/host_memory.h"
#include "model/common/bytes.h"
#include "model/common/sim.h"
#include "model/hw/dma/dma.h"
#include "model/proto/placement/regions.h"

namespace rnicsim::hw {

struct PlacementConfig {
  Duration clock_period = Duration::from_ps(3105);
  uint32_t cycles_per_segment = 4;  ///< lookup and checks
  uint32_t beat_bytes = 64;         ///< datapath width: one beat per cycle
  uint32_t regions = 32768;         ///< region table entries
};

struct PlacementStats {
  uint64_t segments = 0;    ///< tagged segments checked
  uint64_t bytes = 0;       ///< bytes placed
  uint64_t violations = 0;  ///< segments refused
  uint64_t cosim_mismatches = 0;
  uint64_t rtl_cycles = 0;
};

struct PlaceResult {
  wire::TermCode error;     ///< layer/etype/code; meaningful when failure != None
  placement::CheckFailure failure = placement::CheckFailure::None;
  Duration done{};          ///< when the data is visible in host memory
};

class PlacementUnit : public sc_core::sc_module {
 public:
  PlacementUnit(sc_core::sc_module_name name, const PlacementConfig& cfg, Dma& dma,
                host::HostMemory& mem);
  /// The region table is changed only through these two calls (the firmware's register
  /// writes when memory is registered or invalidated), so every twin of the table (the RTL
  /// core's) sees the same writes.
  std::optional<uint32_t> add_region(placement::Region r);
  bool invalidate(uint32_t stag);
  const placement::RegionTable& regions() const { return table_; }
  /// Checks and places one tagged segment for a QP of protection domain `pd`.
  PlaceResult place(uint32_t pd, uint32_t stag, uint64_t to, ConstByteSpan payload,
                    placement::TaggedUse use);
  const PlacementStats& stats() const { return stats_; }

 private:
  PlacementConfig cfg_;
  Dma& dma_;
  host::HostMemory& mem_;
  placement::RegionTable table_;
  Duration busy_until_{};
  PlacementStats stats_;
};

}  // namespace rnicsim::hw

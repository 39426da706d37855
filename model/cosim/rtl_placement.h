#pragma once
/// The RTL placement core as a SystemC module: it owns one Verilated core and clocks it
/// only while it has work (a register write or a segment), so idle simulated time costs
/// nothing. Each call runs the core cycle by cycle to completion and reports what it
/// emitted and how many cycles it took. Waves (FST) are written only when asked.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/common/bytes.h"
#include "model/common/rng.h"
#include "model/common/sim.h"
#include "model/cosim/core.h"
#include "model/cosim/record.h"

namespace rnicsim::cosim {

/// One DMA write command as the core emitted it, with its bytes.
struct DmaWrite {
  uint64_t addr = 0;
  std::vector<uint8_t> data;
};

struct RtlSegment {
  Record record;
  std::vector<DmaWrite> writes;
  uint64_t cycles = 0;            ///< from the descriptor's cycle to the status's, inclusive
  bool assertion_failed = false;  ///< an RTL assertion fired during the segment
  std::string protocol_error;     ///< the core broke its own interface (empty when not)
};

/// Back-pressure for tests: the percentage of cycles each side holds off.
struct Stalls {
  uint32_t payload_gap_pct = 0;  ///< payload valid low
  uint32_t dma_stall_pct = 0;    ///< DMA ready low
  uint32_t status_stall_pct = 0; ///< status ready low
  uint64_t seed = 1;
};

class RtlPlacement : public sc_core::sc_module {
 public:
  RtlPlacement(sc_core::sc_module_name name, Duration clock_period,
               std::unique_ptr<Core> core = make_placement_core());
  ~RtlPlacement() override;
  /// Starts an FST wave of every cycle the core is clocked, from now on.
  void open_wave(const std::string& path);
  uint32_t beat_bytes() const { return beat_bytes_; }

  /// Writes a region into table entry `index` and its pages into the page list.
  void write_region(uint32_t index, uint8_t key, uint32_t pd, uint32_t access, uint64_t base_va,
                    uint64_t length, const std::vector<uint64_t>& pages);
  void invalidate(uint32_t index);
  /// Runs one tagged segment through the core.
  RtlSegment place(uint32_t stag, uint64_t to, ConstByteSpan payload, uint32_t pd,
                   uint32_t access, bool source);

  uint64_t cycles() const { return cycles_; }
  void set_stalls(const Stalls& s);

 private:
  void cycle();
  void reg_write(uint8_t addr, uint64_t data);

  std::unique_ptr<Core> core_;
  Duration period_;
  uint32_t beat_bytes_;
  CoreInputs in_;
  CoreOutputs out_;
  uint64_t cycles_ = 0;
  int64_t time_ps_ = 0;  ///< wave time of the next cycle
  uint32_t next_page_ = 0;  ///< page-list allocation (a bump pointer: entries are never reused)
  bool assertion_ = false;
  Stalls stalls_;
  std::unique_ptr<Rng> stall_rng_;
};

}  // namespace rnicsim::cosim

#pragma once
/// The Verilated placement core (rtl/placement_core.sv) seen from C++: its ports grouped
/// in small bundles, one virtual interface over the Verilated class so that the real core
/// and a test copy share one driver, and the register map read from the Verilated
/// SystemVerilog package (rtl/placement_pkg.sv), its one definition.
#include <array>
#include <cstdint>
#include <memory>
#include <string>

namespace rnicsim::cosim {

/// Register map and geometry, from placement_pkg (see rtl_core.cpp).
namespace regs {
extern const uint8_t kRegionIndex, kRegionBase, kRegionLength, kRegionAttr, kRegionPages,
    kRegionCommit, kRegionInval, kPageIndex, kPageData;
extern const uint32_t kAttrKeyLsb, kAttrAccessLsb, kAttrPdLsb;
extern const uint32_t kDataWidth, kRegionEntries, kPageEntries, kPipeDepth, kPageBytes;
}  // namespace regs

constexpr uint32_t kMaxBeatBytes = 128;  ///< widest DataWidth the core allows (1024 bits)

struct RegPorts {
  bool we = false;
  uint8_t addr = 0;
  uint64_t wdata = 0;
};
struct DescPorts {
  bool valid = false;
  uint32_t stag = 0;
  uint64_t to = 0;
  uint16_t len = 0;
  uint32_t pd = 0;
  uint8_t access = 0;
  bool source = false;
};
struct PayPorts {
  bool valid = false;
  bool last = false;
  const uint8_t* data = nullptr;  ///< `bytes` bytes of the beat; the lanes above are zero
  uint32_t bytes = 0;
};
struct CoreInputs {
  bool rst_n = true;
  RegPorts reg;
  DescPorts desc;
  PayPorts pay;
  bool dma_ready = false;
  bool sts_ready = false;
};
struct CoreOutputs {
  bool desc_ready = false, pay_ready = false;
  bool dma_valid = false, dma_sop = false, dma_eop = false;
  uint64_t dma_addr = 0;
  uint32_t dma_len = 0;
  std::array<uint8_t, kMaxBeatBytes> dma_data{};
  std::array<uint8_t, kMaxBeatBytes> dma_strb{};  ///< 1 per lane that carries a byte
  bool sts_valid = false, sts_error = false;
  uint8_t sts_layer = 0, sts_etype = 0, sts_code = 0;
};

/// One Verilated placement core in its own VerilatedContext.
class Core {
 public:
  virtual ~Core() = default;
  virtual uint32_t beat_bytes() const = 0;
  /// Drives the inputs, sets the clock level and evaluates.
  virtual void eval(const CoreInputs& in, bool clk) = 0;
  virtual void outputs(CoreOutputs& out) const = 0;
  virtual void trace_open(const std::string& path) = 0;
  virtual void trace_dump(uint64_t time_ps) = 0;
  virtual void trace_close() = 0;
  /// True when an assertion failed since the last call (Verilator's report is on stdout).
  virtual bool take_assertion_failure() = 0;
};

/// The real core, as the model uses it.
std::unique_ptr<Core> make_placement_core();

}  // namespace rnicsim::cosim

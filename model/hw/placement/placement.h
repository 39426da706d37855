#pragma once
/// The placement unit (SystemC model): checks each tagged segment against the region
/// table in the protocol-facts order and, when it passes, translates it page by page and
/// issues the DMA writes. It is the reference the RTL core is compared with: with
/// placement `rtl` the RTL core places instead of the model, with `lockstep` both see
/// every segment and their records are compared (docs/rtl.md).
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/mem/host_memory.h"
#include "model/common/bytes.h"
#include "model/common/sim.h"
#include "model/cosim/record.h"
#include "model/cosim/rtl_placement.h"
#include "model/hw/dma/dma.h"
#include "model/proto/placement/regions.h"
#include "model/stats/stats.h"

namespace rnicsim::hw {

/// Who places tagged segments: the model, the RTL core, or both compared in lockstep.
enum class PlacementMode { Model, Rtl, Lockstep };
/// "model" | "rtl" | "lockstep"; nullopt for anything else.
std::optional<PlacementMode> parse_placement_mode(const std::string& s);

struct PlacementConfig {
  Duration clock_period = Duration::from_ps(3105);
  uint32_t cycles_per_segment = 4;  ///< lookup and checks
  uint32_t beat_bytes = 64;         ///< datapath width: one beat per cycle
  uint32_t regions = 4096;          ///< region table entries (profile: max_regions)
  PlacementMode mode = PlacementMode::Model;
  std::string wave_path;            ///< non-empty: FST waves of the RTL core there
  bool lockstep_stop_first = true;  ///< stop comparing (and the run) at the first divergence
  /// The RTL core to run; empty: the real core. Set only by C++ callers (tests).
  std::function<std::unique_ptr<cosim::Core>()> make_core;
};

/// A lockstep divergence: the segment and both records.
struct Mismatch {
  Duration time{};
  uint64_t segment = 0;  ///< 1-based index among this unit's tagged segments
  uint32_t pd = 0, stag = 0;
  uint64_t to = 0;
  uint32_t length = 0;
  cosim::Record model, rtl;
  std::string difference;  ///< the first field that differs, in words
};

/// The divergence report on stderr (docs/rtl.md): time, host, connection, segment, the
/// first difference and both records.
std::string lockstep_report(const std::string& host, const std::string& conn, const Mismatch& m);

struct PlacementStats {
  uint64_t segments = 0, bytes = 0, violations = 0, cosim_mismatches = 0, rtl_cycles = 0;
  /// Per segment the RTL ran: model latency - RTL latency, ps (the model's calibration error).
  std::vector<int64_t> timing_error_ps;
  /// A record, not a figure: the simulation writes it with the connection that owns the
  /// region, which only it knows.
  std::optional<Mismatch> first_mismatch;

  static stats::Group<PlacementStats> group() {
    using stats::Unit;
    return stats::Group<PlacementStats>()
        .counter("segments", &PlacementStats::segments, Unit::Segments, "tagged segments checked")
        .counter("bytes", &PlacementStats::bytes, Unit::Bytes, "bytes placed in host memory")
        .counter("violations", &PlacementStats::violations, Unit::Segments, "tagged segments refused by a check")
        .counter("cosim_mismatches", &PlacementStats::cosim_mismatches, Unit::Segments,
                 "lockstep records where the RTL core and the model differed")
        .counter("rtl_cycles", &PlacementStats::rtl_cycles, Unit::Cycles,
                 "cycles the RTL core was clocked, register writes included (0 unless it ran)")
        .distribution("timing_error_ns", Unit::Ns, "per segment the RTL ran, model latency - RTL latency",
                      stats::Dist::Thousandths, [](const PlacementStats& s) -> const std::vector<int64_t>& {
                        return s.timing_error_ps;
                      });
  }
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
  /// With a given RTL core (a test copy); `cfg.mode` must not be Model.
  PlacementUnit(sc_core::sc_module_name name, const PlacementConfig& cfg, Dma& dma,
                host::HostMemory& mem, std::unique_ptr<cosim::Core> core);
  ~PlacementUnit() override;
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
  PlacementMode mode() const { return cfg_.mode; }
  /// Called at each lockstep divergence that is counted.
  void set_mismatch_handler(std::function<void(const Mismatch&)> f) { on_mismatch_ = std::move(f); }
  /// Called with the STag of every region added (to name a divergence's connection).
  void set_region_observer(std::function<void(uint32_t stag)> f) { on_region_ = std::move(f); }

 private:
  cosim::Record model_record(placement::CheckFailure f, wire::TermCode e, uint32_t stag,
                             uint64_t to, ConstByteSpan payload) const;
  PlacementConfig cfg_;
  Dma& dma_;
  host::HostMemory& mem_;
  placement::RegionTable table_;
  Duration busy_until_{};
  PlacementStats stats_;
  std::unique_ptr<cosim::RtlPlacement> rtl_;
  bool comparing_ = true;
  std::function<void(const Mismatch&)> on_mismatch_;
  std::function<void(uint32_t)> on_region_;
};

}  // namespace rnicsim::hw

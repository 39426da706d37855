#pragma once
/// A full-duplex link between two ports: propagation delay, and per-direction loss,
/// corruption and reordering drawn from the link's own seeded generator. Serialisation belongs to the
/// sending MAC; the link adds the delay and delivers the frame when its last bit arrives.
#include <array>
#include <string>

#include "model/common/frame.h"
#include "model/common/rng.h"
#include "model/common/sim.h"
#include "model/common/units.h"
#include "model/stats/stats.h"

namespace rnicsim::hw {

struct LinkConfig {
  std::string name;
  Rate rate = Rate::from_gbps(25);  ///< both MACs run at it
  Duration delay{};                 ///< propagation, each direction
  double loss[2] = {0, 0};          ///< per frame, [0]: end 0 -> end 1 (forward)
  double corrupt[2] = {0, 0};       ///< per frame; a corrupted frame fails its FCS
  /// Per frame: the frame is held back by twice its time on the link (serialisation and
  /// the sender's MAC latency), so the frames sent right behind it overtake it: two
  /// full-size frames up to 100 Gb/s (fewer than TCP's three duplicate ACKs), more at
  /// higher rates or behind short frames.
  double reorder[2] = {0, 0};
};

struct LinkStats {
  uint64_t frames = 0, drops = 0, corrupted = 0, reordered = 0, down_drops = 0;

  static stats::Group<LinkStats> group() {
    using stats::Unit;
    return stats::Group<LinkStats>()
        .counter("frames", &LinkStats::frames, Unit::Frames, "frames sent onto the link, both directions")
        .counter("drops", &LinkStats::drops, Unit::Frames, "frames lost on the link")
        .counter("corrupted", &LinkStats::corrupted, Unit::Frames, "frames delivered with a flipped bit")
        .counter("reordered", &LinkStats::reordered, Unit::Frames, "frames held back behind later frames")
        .counter("down_drops", &LinkStats::down_drops, Unit::Frames,
                 "of the drops, frames sent while the link was down (a `down` event)");
  }
};

class Link : public sc_core::sc_module {
 public:
  Link(sc_core::sc_module_name name, const LinkConfig& cfg, uint64_t seed);
  void attach(int end, FrameSink* sink) { ends_[end] = sink; }
  /// A frame from `end`'s MAC whose first bit goes out now and whose serialisation takes
  /// `serialisation`.
  void transmit(int end, FramePtr f, Duration serialisation);
  const LinkConfig& config() const { return cfg_; }
  /// The link is cut (false) or restored (true): while cut, every frame sent onto it is
  /// lost; frames already on it arrive.
  void set_up(bool up) { up_ = up; }
  bool up() const { return up_; }
  /// New fault probabilities (a `set` event), per direction as in LinkConfig.
  void set_faults(const double loss[2], const double reorder[2], const double corrupt[2]);
  const LinkStats& stats() const { return stats_; }

 private:
  LinkConfig cfg_;
  std::array<FrameSink*, 2> ends_{{nullptr, nullptr}};
  Rng rng_;
  Agenda agenda_;
  LinkStats stats_;
  bool up_ = true;
};

}  // namespace rnicsim::hw

#pragma once
/// `run --realtime`: simulated time paced to the wall clock, and the TAP devices read.
///
/// The pacer runs once per `quantum` of simulated time (a slice). At the start of a slice
/// it waits, in ppoll(2) on every TAP device, until the wall clock reaches the slice's
/// simulated time (counted from the start of the loop); frames Linux sends meanwhile are
/// read as they come and go onto their links at the slice's time, so a frame from outside
/// is late by at most one quantum. A slice that starts with the wall clock already past
/// its time by more than a quantum is late; a run that was ever more than 10 ms behind, or
/// ends more than 1 ms behind, could not keep up. Neither is hidden: the results say in how many slices, by how much at
/// most, and how far behind at the end, and so does the summary.
#include <chrono>
#include <vector>

#include "model/common/sim.h"
#include "model/hw/tap/tap.h"
#include "model/stats/stats.h"

namespace rnicsim::sim {

struct RealtimeFigures {
  uint64_t quantum_ns = 0;
  uint64_t slices = 0;         ///< slices run
  uint64_t slices_behind = 0;  ///< of them, those that began more than a quantum late
  uint64_t max_behind_ns = 0;  ///< the latest any slice began
  uint64_t end_behind_ns = 0;  ///< how late the last slice began
  uint64_t waits = 0;          ///< slices that waited for the wall clock

  bool interrupted = false;     ///< ended by SIGINT before stop.after

  /// The simulation kept pace: it was never more than 10 ms behind the wall clock and ended
  /// within 1 ms of it (a slice late now and then, the machine busy elsewhere for a moment,
  /// is counted, not a failure).
  bool kept_up() const { return max_behind_ns <= kMaxBehindNs && end_behind_ns <= kEndBehindNs; }
  static constexpr uint64_t kMaxBehindNs = 10000000, kEndBehindNs = 1000000;
  static stats::Group<RealtimeFigures> group() {
    using stats::Unit;
    return stats::Group<RealtimeFigures>()
        .counter("quantum_ns", &RealtimeFigures::quantum_ns, Unit::Ns, "simulated time per slice of the pacing")
        .counter("slices", &RealtimeFigures::slices, Unit::Count, "slices run")
        .counter("slices_behind", &RealtimeFigures::slices_behind, Unit::Count,
                 "slices that began more than a quantum after their time on the wall clock (late)")
        .counter("max_behind_ns", &RealtimeFigures::max_behind_ns, Unit::Ns,
                 "the furthest the simulation fell behind the wall clock at a slice's start")
        .counter("end_behind_ns", &RealtimeFigures::end_behind_ns, Unit::Ns,
                 "how far behind the wall clock the last slice began")
        .counter("waits", &RealtimeFigures::waits, Unit::Count, "slices that waited for the wall clock")
        .formula("interrupted", Unit::Flag, "the run was ended by SIGINT (Ctrl-C) before stop.after",
                 [](const RealtimeFigures& f) { return f.interrupted; })
        .formula("kept_up", Unit::Flag,
                 "never more than 10 ms behind the wall clock and within 1 ms of it at the end (false: it could not keep up)", [](const RealtimeFigures& f) { return f.kept_up(); });
  }
};

class Pacer {
 public:
  static constexpr Duration kQuantum = Duration::from_us(10);
  /// `stop` is asked at each slice whether to end the run (SIGINT, say).
  Pacer(std::vector<hw::TapPort*> taps, bool (*stop)());
  /// Starts pacing now: the current simulated time is the wall clock's now.
  void start();
  const RealtimeFigures& figures() const { return fig_; }

 private:
  void slice();
  void drain_all();
  std::vector<hw::TapPort*> taps_;
  bool (*stop_)();
  Agenda agenda_;
  std::chrono::steady_clock::time_point wall0_;
  Duration sim0_{};
  RealtimeFigures fig_;
};

}  // namespace rnicsim::sim

#pragma once
/// An Ethernet switch: store and forward with a fixed forwarding latency, MAC learning
/// (unknown and broadcast destinations are flooded), and one FIFO output queue per port
/// serialised at that port's link rate. A queue drops a frame that would take it past
/// `buffer` bytes (tail drop) and marks CE (RFC 3168) on an ECN-capable IPv4 packet that
/// arrives while the queue holds more than `ecn_threshold` bytes (DCTCP's instantaneous
/// marking, RFC 8257 section 3.1). Frames with a bad FCS are dropped at ingress.
#include <cmath>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/common/frame.h"
#include "model/common/sim.h"
#include "model/common/units.h"
#include "model/stats/stats.h"
#include "model/wire/eth.h"

namespace rnicsim::hw {

class Link;

struct SwitchConfig {
  std::string name;
  uint64_t buffer = 1 * MiB;           ///< per output queue, frame bytes (FCS included)
  uint64_t ecn_threshold = 200 * KiB;  ///< mark CE past this queue depth
  Duration latency = Duration::from_ns(300);  ///< ingress to egress queue, per frame
};

struct SwitchPortStats {
  uint64_t frames_tx = 0, bytes_tx = 0, drops = 0, ecn_marked = 0;
  /// Depths count the frames waiting, not the one being serialised (the drop and marking
  /// decisions see the same figure).
  uint64_t queue_max_bytes = 0;
  /// Integral of the queue depth over time while the port was transmitting (byte x ps),
  /// and that time: their ratio is the average depth seen by the port's traffic.
  double queue_byte_ps = 0;
  int64_t busy_ps = 0;

  static stats::Group<SwitchPortStats> group() {
    using stats::Unit;
    return stats::Group<SwitchPortStats>()
        .counter("frames_tx", &SwitchPortStats::frames_tx, Unit::Frames, "frames sent from this port")
        .counter("bytes_tx", &SwitchPortStats::bytes_tx, Unit::Bytes, "bytes of the frames sent, FCS included")
        .counter("drops", &SwitchPortStats::drops, Unit::Frames, "tail drops at this output queue")
        .counter("ecn_marked", &SwitchPortStats::ecn_marked, Unit::Frames, "CE marks set at this output queue")
        .counter("queue_max_bytes", &SwitchPortStats::queue_max_bytes, Unit::Bytes,
                 "deepest this output queue was (frames waiting, FCS included)")
        .formula("queue_avg_bytes", Unit::Bytes, "mean depth of this output queue while it was sending",
                 [](const SwitchPortStats& s) {
                   return std::round(s.busy_ps > 0 ? s.queue_byte_ps / static_cast<double>(s.busy_ps) : 0.0);
                 });
  }
};

struct SwitchStats {
  uint64_t frames_rx = 0, fcs_errors = 0, flooded = 0;

  static stats::Group<SwitchStats> group() {
    using stats::Unit;
    return stats::Group<SwitchStats>()
        .counter("frames_rx", &SwitchStats::frames_rx, Unit::Frames, "good frames received on every port")
        .counter("fcs_errors", &SwitchStats::fcs_errors, Unit::Frames, "frames dropped at ingress for a bad FCS")
        .counter("flooded", &SwitchStats::flooded, Unit::Frames,
                 "frames sent to every other port (unknown or broadcast destination)");
  }
};

class EthSwitch : public sc_core::sc_module {
 public:
  EthSwitch(sc_core::sc_module_name name, const SwitchConfig& cfg);
  ~EthSwitch() override;

  /// Adds a port on `end` of `link`, running at `rate`; returns the port index. The
  /// port's name (the link's name) labels its figures.
  int add_port(Link* link, int end, Rate rate, const std::string& label);

  const SwitchConfig& config() const { return cfg_; }
  const SwitchStats& stats() const { return stats_; }
  size_t ports() const { return ports_.size(); }
  const std::string& port_label(int p) const;
  const SwitchPortStats& port_stats(int p) const;
  uint64_t queue_bytes(int p) const;

 private:
  class Port;
  void ingress(int port, FramePtr f);
  void forward(int in_port, FramePtr f);
  void enqueue(int out_port, const FramePtr& f);

  SwitchConfig cfg_;
  std::vector<std::unique_ptr<Port>> ports_;
  std::unordered_map<wire::MacAddr, int> fdb_;  ///< learned MAC -> port (lookups only)
  Agenda agenda_;
  SwitchStats stats_;
};

}  // namespace rnicsim::hw

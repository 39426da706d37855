#pragma once
/// An Ethernet switch: store and forward with a fixed forwarding latency, MAC learning
/// (unknown and broadcast destinations are flooded), and one FIFO output queue per port
/// serialised at that port's link rate. A queue drops a frame that would take it past
/// `buffer` bytes (tail drop) and marks CE (RFC 3168) on an ECN-capable IPv4 packet that
/// arrives while the queue holds more than `ecn_threshold` bytes (DCTCP's instantaneous
/// marking, RFC 8257 section 3.1). Frames with a bad FCS are dropped at ingress.
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/common/frame.h"
#include "model/common/sim.h"
#include "model/common/units.h"
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
  uint64_t frames_tx = 0;
  uint64_t bytes_tx = 0;
  uint64_t drops = 0;        ///< tail drops at this output queue
  uint64_t ecn_marked = 0;   ///< CE marks set at this output queue
  /// Depths count the frames waiting, not the one being serialised (the drop and marking
  /// decisions see the same figure).
  uint64_t queue_max_bytes = 0;
  /// Integral of the queue depth over time while the port was transmitting (byte x ps),
  /// and that time: their ratio is the average depth seen by the port's traffic.
  double queue_byte_ps = 0;
  int64_t busy_ps = 0;
};

struct SwitchStats {
  uint64_t frames_rx = 0;
  uint64_t fcs_errors = 0;
  uint64_t flooded = 0;      ///< frames sent to every other port (unknown destination)
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

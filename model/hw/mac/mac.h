#pragma once
/// The Ethernet MAC: a transmit queue serialised at line rate with preamble, inter-frame
/// gap, padding to the minimum frame and a real FCS (ISA-L); on receive, the FCS check
/// (bad frames are counted and dropped, never captured), then the destination filter: a
/// unicast frame for none of the port's addresses is dropped after the capture (a capture
/// is promiscuous, as tcpdump's default). A port that is down sends and receives nothing.
#include <deque>
#include <functional>
#include <vector>

#include "model/common/frame.h"
#include "model/common/sim.h"
#include "model/common/units.h"
#include "model/wire/eth.h"
#include "model/stats/stats.h"

namespace rnicsim::hw {

class Link;

struct MacConfig {
  Rate rate = Rate::from_gbps(25);  ///< line rate
  Duration latency = Duration::from_ns(20);  ///< MAC/PHY pipeline, each direction
  uint32_t tx_queue = 4;            ///< frames queued before senders are held back
};

struct MacStats {
  uint64_t frames_tx = 0, frames_rx = 0;
  uint64_t bytes_tx = 0, bytes_rx = 0;
  uint64_t fcs_errors = 0;
  uint64_t stale_l2_frames = 0;
  uint64_t rx_filtered = 0, tx_dropped_down = 0, rx_dropped_down = 0;

  static stats::Group<MacStats> group() {
    using stats::Unit;
    return stats::Group<MacStats>()
        .counter("frames_tx", &MacStats::frames_tx, Unit::Frames, "frames sent")
        .counter("frames_rx", &MacStats::frames_rx, Unit::Frames, "good frames received")
        .counter("bytes_tx", &MacStats::bytes_tx, Unit::Bytes, "bytes of the frames sent, without preamble, gap and FCS")
        .counter("bytes_rx", &MacStats::bytes_rx, Unit::Bytes, "bytes of the good frames received, without FCS")
        .counter("fcs_errors", &MacStats::fcs_errors, Unit::Frames, "frames received with a bad FCS, dropped")
        .counter("stale_l2_frames", &MacStats::stale_l2_frames, Unit::Frames,
                 "frames sent to a MAC the host already knew to be out of date")
        .counter("rx_filtered", &MacStats::rx_filtered, Unit::Frames,
                 "good frames received for a unicast address that is not the port's, dropped")
        .counter("tx_dropped_down", &MacStats::tx_dropped_down, Unit::Frames, "frames not sent: the port was down")
        .counter("rx_dropped_down", &MacStats::rx_dropped_down, Unit::Frames,
                 "frames that arrived while the port was down, dropped");
  }
};

class Mac : public sc_core::sc_module, public FrameSink {
 public:
  using Tap = std::function<void(const Frame&, Duration when)>;
  Mac(sc_core::sc_module_name name, const MacConfig& cfg);

  void connect(Link* link, int end) {
    link_ = link;
    end_ = end;
  }
  void set_upper(FrameSink* upper) { upper_ = upper; }
  /// Called for every frame sent (at its first bit) and every good frame received.
  void set_tap(Tap t) { tap_ = std::move(t); }
  /// Called when queue space frees up.
  void on_tx_space(std::function<void()> cb) { tx_space_cbs_.push_back(std::move(cb)); }
  /// The MAC the host now knows for the next hop toward an address (0: none): the
  /// reference for stale-L2 accounting.
  using L2Reference = std::function<wire::MacAddr(wire::Ipv4Addr dst)>;
  void set_l2_reference(L2Reference r) { l2_reference_ = std::move(r); }
  /// A frame of an offloaded connection toward `dst_ip` was addressed to `used`: counted
  /// in stale_l2_frames when the reference knows another MAC.
  void count_l2_use(wire::Ipv4Addr dst_ip, wire::MacAddr used) {
    if (!l2_reference_) return;
    const wire::MacAddr known = l2_reference_(dst_ip);
    if (known != 0 && known != used) ++stats_.stale_l2_frames;
  }

  /// The unicast addresses the port accepts (the host's, and a type-3 RNIC's own); none
  /// set: every frame.
  void set_addresses(std::vector<wire::MacAddr> a) { addresses_ = std::move(a); }
  const std::vector<wire::MacAddr>& addresses() const { return addresses_; }
  /// The port's administrative state (the host's netdev up or down): down, it takes no new
  /// frame to send (what is queued drains) and drops what arrives.
  void set_up(bool up);
  bool up() const { return up_; }

  bool tx_space() const { return queue_.size() < cfg_.tx_queue; }
  /// Queues a frame that is ready to serialise at `ready_at` (>= now).
  void send(FramePtr f, Duration ready_at);
  /// From the link: the last bit of `f` has arrived.
  void receive(FramePtr f) override;

  MacStats& stats() { return stats_; }
  const MacConfig& config() const { return cfg_; }
  /// Time on the wire of a frame of `len` bytes (without FCS): padding, FCS, preamble, gap.
  Duration wire_time(size_t len) const;

 private:
  void start_next();
  MacConfig cfg_;
  Link* link_ = nullptr;
  int end_ = 0;
  FrameSink* upper_ = nullptr;
  Tap tap_;
  L2Reference l2_reference_;
  std::vector<wire::MacAddr> addresses_;
  bool up_ = true;
  std::vector<std::function<void()>> tx_space_cbs_;
  std::deque<std::pair<FramePtr, Duration>> queue_;
  bool busy_ = false;
  Agenda agenda_;
  MacStats stats_;
};

}  // namespace rnicsim::hw

#pragma once
/// A link end on a Linux TAP device: the simulated port at the link's other end talks to the
/// kernel's own network stack. Frames the link delivers to this end are written to the
/// device as they are (a TAP takes a frame without its FCS); frames the kernel sends are
/// read when the pacer (model/sim/realtime.h) finds the simulated time caught up with the
/// wall clock, and go onto the link as a MAC at the link's rate sends them: padded to the
/// minimum frame, sealed with their FCS, one after another. Frames the model does not
/// simulate (anything but ARP and IPv4 ICMP or TCP: IPv6 neighbour discovery, IGMP and
/// mDNS reports) are counted and dropped here.
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "model/common/frame.h"
#include "model/common/sim.h"
#include "model/common/units.h"
#include "model/stats/stats.h"

namespace rnicsim::hw {

class Link;

/// An open TAP device (IFF_TAP, IFF_NO_PI): the file descriptor, non-blocking.
class TapDevice {
 public:
  /// Attaches to the existing device `name` (made by `ip tuntap add NAME mode tap`); null
  /// with the system's reason in `why` when it cannot.
  static std::unique_ptr<TapDevice> open(const std::string& name, std::string* why);
  ~TapDevice();
  TapDevice(const TapDevice&) = delete;
  TapDevice& operator=(const TapDevice&) = delete;
  int fd() const { return fd_; }
  const std::string& name() const { return name_; }

 private:
  TapDevice(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  int fd_;
  std::string name_;
};

struct TapStats {
  uint64_t frames_in = 0, bytes_in = 0;    ///< from Linux onto the link
  uint64_t frames_out = 0, bytes_out = 0;  ///< from the link to Linux
  uint64_t unsupported = 0;                ///< from Linux, of a kind the model does not simulate: dropped
  uint64_t write_errors = 0;               ///< frames the device refused (it was down, or its queue full)
  uint64_t fcs_errors = 0;                 ///< frames the link corrupted: dropped, as a NIC's MAC drops them
  uint64_t queue_drops = 0;                ///< from Linux, beyond kMaxQueue waiting for the link: dropped
  uint64_t read_errors = 0;                ///< reads of the device that failed (it went away)

  static stats::Group<TapStats> group() {
    using stats::Unit;
    return stats::Group<TapStats>()
        .counter("frames_in", &TapStats::frames_in, Unit::Frames, "frames Linux sent, put onto the link")
        .counter("bytes_in", &TapStats::bytes_in, Unit::Bytes, "bytes of those frames, without padding and FCS")
        .counter("frames_out", &TapStats::frames_out, Unit::Frames, "frames the link delivered, written to the TAP")
        .counter("bytes_out", &TapStats::bytes_out, Unit::Bytes, "bytes of those frames, without FCS")
        .counter("unsupported", &TapStats::unsupported, Unit::Frames,
                 "frames Linux sent that the model does not simulate (not ARP, IPv4 ICMP or TCP): dropped")
        .counter("write_errors", &TapStats::write_errors, Unit::Frames,
                 "frames the TAP device refused (down, or its queue full): lost")
        .counter("fcs_errors", &TapStats::fcs_errors, Unit::Frames,
                 "frames the link corrupted (a bad FCS): dropped before Linux, as a NIC drops them")
        .counter("queue_drops", &TapStats::queue_drops, Unit::Frames,
                 "frames from Linux dropped with 1000 already waiting for the link (a full transmit queue)")
        .counter("read_errors", &TapStats::read_errors, Unit::Count,
                 "reads of the TAP device that failed other than for want of a frame (the device went away)");
  }
};

/// Which frames from Linux the model takes: ARP, and IPv4 carrying ICMP or TCP.
bool tap_frame_supported(const uint8_t* frame, size_t len);

class TapPort : public sc_core::sc_module, public FrameSink {
 public:
  TapPort(sc_core::sc_module_name name, std::unique_ptr<TapDevice> dev, Link* link, int end, Rate rate);
  /// A frame the link delivers: written to the device.
  void receive(FramePtr f) override;
  /// Reads every frame waiting on the device and sends it onto the link now (or behind the
  /// frames still serialising); returns how many were read.
  size_t drain();
  int fd() const { return dev_->fd(); }
  /// False once the device has failed (read error, hang-up): no longer polled.
  bool alive() const { return alive_; }
  void set_dead() { alive_ = false; }
  static constexpr size_t kMaxQueue = 1000;  ///< Linux's default txqueuelen
  static constexpr size_t kMaxRead = 65536;  ///< the largest frame a TAP hands over (64 KiB)
  const std::string& device() const { return dev_->name(); }
  const TapStats& stats() const { return stats_; }

 private:
  void send_next();
  std::unique_ptr<TapDevice> dev_;
  Link* link_;
  int end_;
  Rate rate_;
  Agenda agenda_;
  std::deque<FramePtr> queue_;
  std::vector<uint8_t> read_buf_ = std::vector<uint8_t>(kMaxRead);
  bool busy_ = false;
  bool alive_ = true;
  TapStats stats_;
};

}  // namespace rnicsim::hw

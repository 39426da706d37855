#pragma once
/// Congestion control, one object per connection (Config::cc). The connection's loss
/// recovery (RFC 5681/6582 NewReno, RFC 6675 SACK) calls these hooks; the algorithm owns
/// cwnd and ssthresh. Implementations: NewReno (newreno.h), CUBIC (cubic.h), DCTCP (dctcp.h).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

#include "model/common/units.h"

namespace rnicsim::tcp {

/// One ACK that advanced SND.UNA.
struct AckEvent {
  uint32_t acked = 0;        ///< bytes newly acknowledged (cumulatively)
  uint32_t smss = 0;         ///< sender MSS (EMSS)
  uint32_t flight = 0;       ///< bytes outstanding before this ACK
  uint32_t snd_una = 0;      ///< after this ACK
  uint32_t snd_nxt = 0;      ///< highest sequence sent (SND.MAX)
  Duration now{};
  Duration srtt{};           ///< smoothed RTT (zero before the first sample)
  bool ece = false;          ///< the ACK carried ECN-Echo
  bool in_recovery = false;  ///< fast recovery: no window growth
};

class CongestionControl {
 public:
  virtual ~CongestionControl() = default;
  virtual const char* name() const = 0;
  /// Every ACK that advances SND.UNA; grows cwnd unless `ev.in_recovery`.
  virtual void on_ack(const AckEvent& ev) = 0;
  /// Loss detected by duplicate ACKs or SACK (entering fast recovery): sets ssthresh and
  /// cwnd = ssthresh (the caller adds NewReno's 3*SMSS inflation, RFC 5681 3.2 step 4).
  virtual void on_loss(uint32_t flight, uint32_t smss, Duration now) = 0;
  /// An ECN-Echo, at most once per window (RFC 3168 6.1.2): reduce without retransmitting.
  virtual void on_ecn(uint32_t flight, uint32_t smss, Duration now) { on_loss(flight, smss, now); }
  /// Leaving fast recovery on the ACK that covers the recovery point (RFC 6582 3.2 step 3).
  virtual void on_recovery_exit(uint32_t /*smss*/) { cwnd = ssthresh; }
  /// Retransmission timeout: loss window of one segment (RFC 5681 3.1 eq. 4).
  virtual void on_timeout(uint32_t flight, uint32_t smss, Duration now) = 0;
  uint32_t cwnd = 0;
  uint32_t ssthresh = 0x7FFFFFFF;
};

/// The algorithm named by `tcp.cc` (newreno, cubic, dctcp), or nullptr when unknown.
std::unique_ptr<CongestionControl> make_congestion_control(const std::string& name);

}  // namespace rnicsim::tcp

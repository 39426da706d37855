#pragma once
/// Congestion control, one object per connection: the sender's loss-recovery logic calls
/// these hooks; the algorithm owns cwnd and ssthresh. NewReno (RFC 5681/6582) here; CUBIC
/// and DCTCP implement the same interface.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

namespace rnicsim::tcp {

class CongestionControl {
 public:
  virtual ~CongestionControl() = default;
  virtual const char* name() const = 0;
  /// New data acknowledged outside recovery.
  virtual void on_ack(uint32_t acked_bytes, uint32_t smss, uint32_t in_flight) = 0;
  /// Entering fast recovery (third duplicate ACK).
  virtual void on_fast_retransmit(uint32_t in_flight, uint32_t smss) = 0;
  /// Leaving fast recovery on the ACK that covers the recovery point.
  virtual void on_recovery_exit(uint32_t smss) = 0;
  /// Retransmission timeout.
  virtual void on_timeout(uint32_t in_flight, uint32_t smss) = 0;
  uint32_t cwnd = 0;
  uint32_t ssthresh = 0x7FFFFFFF;
};

class NewReno : public CongestionControl {
 public:
  const char* name() const override { return "newreno"; }
  void on_ack(uint32_t acked, uint32_t smss, uint32_t) override {
    if (cwnd < ssthresh) {
      cwnd += acked;  // slow start, counting bytes as Linux counts packets (RFC 3465 L unbounded)
    } else {
      // Congestion avoidance: one SMSS per window (RFC 5681 eq. 3, byte counted).
      ca_acc_ += acked;
      if (ca_acc_ >= cwnd) {
        ca_acc_ -= cwnd;
        cwnd += smss;
      }
    }
  }
  void on_fast_retransmit(uint32_t in_flight, uint32_t smss) override {
    ssthresh = std::max(in_flight / 2, 2 * smss);  // RFC 5681 eq. 4
    cwnd = ssthresh + 3 * smss;
  }
  void on_recovery_exit(uint32_t) override { cwnd = ssthresh; }  // RFC 6582 3.2 step 3
  void on_timeout(uint32_t in_flight, uint32_t smss) override {
    ssthresh = std::max(in_flight / 2, 2 * smss);
    cwnd = smss;  // RFC 5681: loss window
    ca_acc_ = 0;
  }

 private:
  uint32_t ca_acc_ = 0;
};

/// The algorithm named by `tcp.cc`, or nullptr when it is not implemented.
std::unique_ptr<CongestionControl> make_congestion_control(const std::string& name);

}  // namespace rnicsim::tcp

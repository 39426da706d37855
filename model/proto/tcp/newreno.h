#pragma once
/// NewReno (RFC 5681 slow start and congestion avoidance, RFC 6582 fast recovery; the
/// recovery itself lives in the connection).
#include "model/proto/tcp/congestion.h"

namespace rnicsim::tcp {

class NewReno : public CongestionControl {
 public:
  const char* name() const override { return "newreno"; }
  void on_ack(const AckEvent& ev) override;
  void on_loss(uint32_t flight, uint32_t smss, Duration now) override;
  void on_timeout(uint32_t flight, uint32_t smss, Duration now) override;

 protected:
  /// Slow start (byte counted, as Linux counts packets) or congestion avoidance
  /// (SMSS*SMSS/cwnd per ACK, RFC 5681 eq. 3).
  void grow(uint32_t acked, uint32_t smss);
  uint64_t ca_acc_ = 0;
};

}  // namespace rnicsim::tcp

#pragma once
/// DCTCP (RFC 8257): the fraction of ECN-marked bytes per observation window (about one
/// RTT) feeds alpha = (1-g)*alpha + g*F with g = 1/16; an ECN-Echo reduces the window once
/// per window to cwnd*(1-alpha/2). Loss and timeouts behave as NewReno (3.5).
#include "model/proto/tcp/newreno.h"

namespace rnicsim::tcp {

class Dctcp : public NewReno {
 public:
  static constexpr double kG = 1.0 / 16.0;
  const char* name() const override { return "dctcp"; }
  void on_ack(const AckEvent& ev) override;
  void on_ecn(uint32_t flight, uint32_t smss, Duration now) override;
  double alpha() const { return alpha_; }

 private:
  double alpha_ = 1.0;        ///< RFC 8257 3.3: initialized to 1 (as Linux)
  uint64_t bytes_acked_ = 0;  ///< in the current observation window
  uint64_t bytes_marked_ = 0;
  uint32_t window_end_ = 0;
  bool window_open_ = false;
};

}  // namespace rnicsim::tcp

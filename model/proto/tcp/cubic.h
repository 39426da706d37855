#pragma once
/// CUBIC (RFC 9438): W_cubic(t) = C*(t-K)^3 + W_max with C = 0.4 and beta_cubic = 0.7,
/// the Reno-friendly estimate W_est (4.3), fast convergence (4.7), slow start below ssthresh.
/// Windows in the formulas are in segments of SMSS, time in seconds.
#include "model/proto/tcp/newreno.h"

namespace rnicsim::tcp {

class Cubic : public CongestionControl {
 public:
  static constexpr double kC = 0.4;
  static constexpr double kBeta = 0.7;
  const char* name() const override { return "cubic"; }
  void on_ack(const AckEvent& ev) override;
  void on_loss(uint32_t flight, uint32_t smss, Duration now) override;
  void on_timeout(uint32_t flight, uint32_t smss, Duration now) override;

  /// W_cubic(t) in segments, t in seconds since the epoch started (RFC 9438 eq. 1).
  double w_cubic(double t) const;
  double w_max() const { return w_max_; }
  double k() const { return k_; }
  double w_est() const { return w_est_; }
  bool fast_convergence = true;

 private:
  void reduce(uint32_t smss);
  double w_max_ = 0;        ///< segments
  double k_ = 0;            ///< seconds
  double w_est_ = 0;        ///< segments
  double cwnd_acc_ = 0;     ///< fractional growth carried between ACKs, bytes
  bool epoch_open_ = false;
  Duration epoch_start_{};
};

}  // namespace rnicsim::tcp

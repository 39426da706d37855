#include "model/proto/tcp/cubic.h"

#include <cmath>

namespace rnicsim::tcp {

double Cubic::w_cubic(double t) const {
  const double d = t - k_;
  return kC * d * d * d + w_max_;
}

void Cubic::reduce(uint32_t smss) {
  const double w = static_cast<double>(cwnd) / smss;
  // Fast convergence (4.7): a flow that lost below its previous W_max releases bandwidth.
  w_max_ = (fast_convergence && w < w_max_) ? w * (1.0 + kBeta) / 2.0 : w;
  ssthresh = std::max<uint32_t>(static_cast<uint32_t>(cwnd * kBeta), 2 * smss);  // 4.6
  epoch_open_ = false;
  cwnd_acc_ = 0;
}

void Cubic::on_loss(uint32_t, uint32_t smss, Duration) {
  reduce(smss);
  cwnd = ssthresh;
}

void Cubic::on_timeout(uint32_t, uint32_t smss, Duration) {
  reduce(smss);
  cwnd = smss;  // 4.8: the loss window, then slow start up to ssthresh
}

void Cubic::on_ack(const AckEvent& ev) {
  if (ev.in_recovery) return;
  const double smss = ev.smss;
  if (cwnd < ssthresh) {
    cwnd += ev.acked;  // slow start (4.10)
    return;
  }
  const double cw = cwnd / smss;
  if (!epoch_open_) {
    // A congestion-avoidance epoch starts (4.2): K from the window the epoch starts with.
    epoch_open_ = true;
    epoch_start_ = ev.now;
    if (w_max_ < cw) w_max_ = cw;  // no loss yet (or grown past W_max): plateau here
    k_ = std::cbrt((w_max_ - cw) / kC);
    w_est_ = cw;
  }
  const double t = static_cast<double>((ev.now - epoch_start_).ps) * 1e-12;
  const double rtt = static_cast<double>(ev.srtt.ps) * 1e-12;
  // Reno-friendly estimate (4.3); alpha_cubic becomes 1 once W_est passes W_max.
  const double alpha = w_est_ >= w_max_ ? 1.0 : 3.0 * (1.0 - kBeta) / (1.0 + kBeta);
  w_est_ += alpha * (ev.acked / smss) / cw;
  double target = w_cubic(t + rtt);
  target = std::min(std::max(target, cw), 1.5 * cw);  // 4.4 target clamp
  double next;
  if (w_cubic(t) < w_est_) {
    next = w_est_;  // Reno-friendly region (4.3)
  } else {
    next = cw + (target - cw) / cw * (ev.acked / smss);  // concave / convex (4.4, 4.5)
  }
  cwnd_acc_ += next * smss - cwnd;
  if (cwnd_acc_ >= 1.0) {
    const double inc = std::floor(cwnd_acc_);
    cwnd += static_cast<uint32_t>(inc);
    cwnd_acc_ -= inc;
  }
}

}  // namespace rnicsim::tcp

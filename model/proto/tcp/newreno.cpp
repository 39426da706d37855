#include "model/proto/tcp/newreno.h"

namespace rnicsim::tcp {

void NewReno::grow(uint32_t acked, uint32_t smss) {
  if (cwnd < ssthresh) {
    cwnd += acked;
    return;
  }
  // Congestion avoidance: SMSS*SMSS/cwnd per ACK of new data (RFC 5681 eq. 3), the
  // remainder carried so the growth is exact. Per ACK, not per byte: with delayed ACKs
  // (b segments per ACK) the window grows by SMSS/b per round trip, as the models of
  // Mathis et al. and Padhye et al. assume.
  (void)acked;
  ca_acc_ += static_cast<uint64_t>(smss) * smss;
  cwnd += static_cast<uint32_t>(ca_acc_ / cwnd);
  ca_acc_ %= cwnd;
}

void NewReno::on_ack(const AckEvent& ev) {
  if (!ev.in_recovery) grow(ev.acked, ev.smss);
}

void NewReno::on_loss(uint32_t flight, uint32_t smss, Duration) {
  ssthresh = std::max(flight / 2, 2 * smss);  // RFC 5681 eq. 4
  cwnd = ssthresh;
  ca_acc_ = 0;
}

void NewReno::on_timeout(uint32_t flight, uint32_t smss, Duration) {
  ssthresh = std::max(flight / 2, 2 * smss);
  cwnd = smss;
  ca_acc_ = 0;
}

}  // namespace rnicsim::tcp

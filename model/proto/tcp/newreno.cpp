#include "model/proto/tcp/newreno.h"

namespace rnicsim::tcp {

void NewReno::grow(uint32_t acked, uint32_t smss) {
  if (cwnd < ssthresh) {
    cwnd += acked;
    return;
  }
  ca_acc_ += acked;
  if (ca_acc_ >= cwnd) {
    ca_acc_ -= cwnd;
    cwnd += smss;
  }
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

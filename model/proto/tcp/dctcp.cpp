#include "model/proto/tcp/dctcp.h"

#include "model/proto/tcp/seq.h"

namespace rnicsim::tcp {

void Dctcp::on_ack(const AckEvent& ev) {
  if (!window_open_) {
    window_open_ = true;
    window_end_ = ev.snd_nxt;
  }
  bytes_acked_ += ev.acked;
  if (ev.ece) bytes_marked_ += ev.acked;
  if (seq_geq(ev.snd_una, window_end_)) {
    // End of the observation window (RFC 8257 3.3 steps 6-8).
    const double f = bytes_acked_ ? static_cast<double>(bytes_marked_) / bytes_acked_ : 0.0;
    alpha_ = (1.0 - kG) * alpha_ + kG * f;
    bytes_acked_ = bytes_marked_ = 0;
    window_end_ = ev.snd_nxt;
  }
  NewReno::on_ack(ev);
}

void Dctcp::on_ecn(uint32_t, uint32_t smss, Duration) {
  const uint32_t reduced = static_cast<uint32_t>(cwnd * (1.0 - alpha_ / 2.0));  // 3.3 step 9
  cwnd = std::max(reduced, 2 * smss);
  ssthresh = cwnd;
  ca_acc_ = 0;
}

}  // namespace rnicsim::tcp

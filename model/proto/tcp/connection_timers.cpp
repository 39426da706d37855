// tcp::Connection, timers (RFC 9293 3.10.8): the RTT estimate and the RTO (RFC 6298 2, 5.5
// back-off kept until a valid measurement, Karn; 5.7 after a retransmitted SYN; the echoed
// TSval measures where Karn leaves nothing timed, RFC 7323 4.1), the persist timer (RFC 9293 3.8.6.1, RFC 1122
// 4.2.2.17), the earliest deadline, and their expiries: TIME_WAIT's 2 MSL, the delayed
// ACK (RFC 9293 3.8.6.3, RFC 5681 4.2), zero-window probes, RACK's reordering timer and the
// probe timeout (RFC 8985 6.2 step 5, 7.3), and the retransmission timeout: the user
// timeout or retry limit (RFC 9293 3.8.3, RFC 1122 4.2.3.5), the SYN again, or the loss
// window and resending from SND.UNA (RFC 6298 5.4-5.6, RFC 5681 3.1, RFC 6675 5.1).

#include "model/proto/tcp/connection.h"
#include "model/proto/tcp/seq.h"

#include <algorithm>
#include <cstdlib>

namespace rnicsim::tcp {

void Connection::update_persist(Duration now) {
  if (!data_state()) return;
  if (snd_wnd_ == 0) {
    if (!persist_on_ && snd_una_ == snd_max_) {
      // The peer closed its window with nothing in flight: probe it (RFC 9293 3.8.6.1).
      persist_on_ = true;
      persist_backoff_ = 0;
      rto_deadline_ = tlp_deadline_ = Duration{-1};
      persist_deadline_ = now + rto();
    }
  } else if (persist_on_) {
    persist_on_ = false;
    persist_backoff_ = 0;
    persist_deadline_ = Duration{-1};
    probe_pending_ = false;
    if (snd_una_ != snd_max_) arm_rto(now);
  }
}

void Connection::rtt_sample(Duration r) {
  // RFC 6298 2.2 / 2.3: alpha 1/8, beta 1/4.
  if (!have_rtt_) {
    srtt_ = r;
    rttvar_ = Duration{r.ps / 2};
    have_rtt_ = true;
  } else {
    const int64_t err = std::abs(srtt_.ps - r.ps);
    rttvar_ = Duration{(3 * rttvar_.ps + err) / 4};
    srtt_ = Duration{(7 * srtt_.ps + r.ps) / 8};
  }
  backoff_ = 0;
  rtt_karn_ = false;
}

void Connection::rtt_on_advance(const wire::TcpHeader& h, uint32_t ack, Duration now) {
  if (rtt_timing_ && seq_gt(ack, rtt_seq_)) {
    rtt_sample(now - rtt_start_);
    rtt_timing_ = false;
    return;
  }
  if (!rtt_karn_ || !ts_on_ || !h.opts.has_timestamps || h.opts.ts_ecr == 0) return;
  // TSval is a 1 ms clock offset by ts_offset_ (base_header): the echo of one we sent is
  // at most now; anything later is not ours and measures nothing.
  const uint32_t now_ts = static_cast<uint32_t>(now.ps / 1000000000) + ts_offset_;
  const int32_t ms = static_cast<int32_t>(now_ts - h.opts.ts_ecr);
  if (ms < 0) return;
  if (ms == 0) {
    // Less than one tick: the path is far faster than any RTO (min_rto is 200 ticks), so
    // the backoff ends, but there is no figure to average: a zero would pull SRTT, and the
    // probe timeout 2 x SRTT, to nothing (Linux floors both; the timed estimate is finer).
    backoff_ = 0;
    rtt_karn_ = false;
    return;
  }
  rtt_sample(Duration{static_cast<int64_t>(ms) * 1000000000});
}

Duration Connection::rto() const {
  // RFC 6298 5.7: after a retransmitted SYN (or SYN-ACK) without an RTT sample, data
  // starts with an RTO of 3 s.
  const bool handshaking = state_ == State::SynSent || state_ == State::SynReceived;
  const Duration initial = syn_retransmitted_ && !handshaking ? std::max(cfg_.initial_rto, Duration::from_s(3)) : cfg_.initial_rto;
  Duration base = have_rtt_ ? srtt_ + Duration{std::max<int64_t>(4 * rttvar_.ps, 1000)}  // G = 1 ns
                            : initial;
  base = std::max(base, cfg_.min_rto);
  for (int i = 0; i < backoff_ && base < cfg_.max_rto; ++i) base = base * 2;  // RFC 6298 5.5
  return std::min(base, cfg_.max_rto);
}

void Connection::arm_rto(Duration now) {
  Duration t = rto();
  // Linux's tcp_clamp_rto_to_user_timeout (4.19): retransmitting under a user timeout, the
  // timer fires no later than the timeout itself, so the connection gives up on time.
  if (cfg_.user_timeout.ps > 0 && first_retransmit_at_.ps >= 0) {
    const Duration left = first_retransmit_at_ + cfg_.user_timeout - now;
    if (left < t) t = left.ps > 0 ? left : Duration{1};
  }
  rto_deadline_ = now + t;
}

Duration Connection::next_deadline() const {
  Duration d{-1};
  for (Duration t : {rto_deadline_, delack_deadline_, timewait_deadline_, persist_deadline_, rack_deadline_,
                     tlp_deadline_, held_deadline_})
    if (t.ps >= 0 && (d.ps < 0 || t < d)) d = t;
  return d;
}

void Connection::on_timer(Duration now) {
  if (timewait_deadline_.ps >= 0 && timewait_deadline_ <= now) {
    timewait_deadline_ = Duration{-1};
    close_reason_ = CloseReason::Normal;
    set_state(State::Closed);
    return;
  }
  if (delack_deadline_.ps >= 0 && delack_deadline_ <= now) {
    delack_deadline_ = Duration{-1};
    ack_now_ = true;
  }
  if (held_deadline_.ps >= 0 && held_deadline_ <= now) {
    // Held bytes drained: announce the window when it opens by min(rcvbuf / 2, MSS) past
    // the edge offered (receiver SWS avoidance, RFC 9293 3.8.6.2.2).
    release_held(now);
    const uint64_t edge = rcv64_ + free_window();
    if (data_state() && edge >= rcv_adv64_ + std::min<uint64_t>(cfg_.rcvbuf / 2, local_mss())) ack_now_ = true;
    // The reader drained a pushed segment (tcp_cleanup_rbuf, as on arrival).
    if (cfg_.quickack && ack_pushed_ && held_.empty() && delack_deadline_.ps >= 0) ack_now_ = true;
    arm_held();
  }
  if (persist_on_ && persist_deadline_.ps >= 0 && persist_deadline_ <= now) {
    // Zero-window probe when data waits, then back off as the RTO does (RFC 9293 3.8.6.1,
    // RFC 1122 4.2.2.17); with nothing to send the timer only runs on.
    if (sndbuf_.size() > snd_max_ - snd_una_) {
      probe_pending_ = true;
      ++persist_backoff_;
    }
    Duration next = rto();
    for (int i = 0; i < persist_backoff_ && next < cfg_.max_rto; ++i) next = next * 2;
    persist_deadline_ = now + std::min(next, cfg_.max_rto);
  }
  if (rack_deadline_.ps >= 0 && rack_deadline_ <= now) {
    // RACK's reordering timer (RFC 8985 6.2 step 5).
    rack_deadline_ = Duration{-1};
    if (data_state()) {
      rack_detect_loss(now);
      rack_maybe_recover(now);
    }
  }
  if (tlp_deadline_.ps >= 0 && tlp_deadline_ <= now) {
    // The probe timeout (RFC 8985 7.3): a probe goes now, and the RTO restarts.
    tlp_deadline_ = Duration{-1};
    if (tlp_allowed()) {
      tlp_pending_ = true;
      arm_rto(now);
    }
  }
  if (rto_deadline_.ps >= 0 && rto_deadline_ <= now) {
    rto_deadline_ = Duration{-1};
    rack_deadline_ = Duration{-1};
    on_rto(now);
  }
}

void Connection::on_rto(Duration now) {
  ++stats_.timeouts;
  ++retries_;
  if (first_retransmit_at_.ps < 0) first_retransmit_at_ = now;
  const bool give_up = cfg_.user_timeout.ps > 0 ? now - first_retransmit_at_ >= cfg_.user_timeout
                                                 : retries_ > cfg_.max_retries;
  if (give_up) {
    rst_pending_ = state_ != State::SynSent;
    rst_seq_ = snd_max_;
    fail(CloseReason::Timeout, now);
    return;
  }
  ++backoff_;
  rtt_timing_ = false;  // Karn
  rtt_karn_ = true;
  if (state_ == State::SynSent || state_ == State::SynReceived) {
    syn_pending_ = true;
    syn_retransmitted_ = true;
    snd_nxt_ = iss_;
    return;
  }
  // RFC 6298 5.4-5.6 and RFC 5681 3.1: loss window, then resend from SND.UNA what the
  // scoreboard does not hold (RFC 6675 5.1), slow-starting up to the new ssthresh.
  cc_->on_timeout(snd_max_ - snd_una_, emss(), now);
  tlp_in_flight_ = tlp_pending_ = false;
  tlp_deadline_ = Duration{-1};
  recovery_ = Recovery::Loss;
  recover_ = snd_max_;
  if (rack_on_) rack_on_rto(now);
  rxt_next64_ = una64_;
  first_rxt_pending_ = true;
  dupacks_ = 0;
  arm_rto(now);
}

}  // namespace rnicsim::tcp

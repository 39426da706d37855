#include "model/proto/tcp/connection.h"

#include <algorithm>
#include <cassert>

#include "model/proto/tcp/seq.h"

namespace rnicsim::tcp {

using namespace wire::tcp_flags;

const char* to_string(State s) {
  switch (s) {
    case State::Closed: return "CLOSED";
    case State::Listen: return "LISTEN";
    case State::SynSent: return "SYN_SENT";
    case State::SynReceived: return "SYN_RECEIVED";
    case State::Established: return "ESTABLISHED";
    case State::FinWait1: return "FIN_WAIT_1";
    case State::FinWait2: return "FIN_WAIT_2";
    case State::CloseWait: return "CLOSE_WAIT";
    case State::Closing: return "CLOSING";
    case State::LastAck: return "LAST_ACK";
    case State::TimeWait: return "TIME_WAIT";
  }
  return "?";
}

const char* to_string(CloseReason r) {
  switch (r) {
    case CloseReason::None: return "none";
    case CloseReason::Normal: return "normal";
    case CloseReason::Reset: return "reset";
    case CloseReason::Timeout: return "timeout";
    case CloseReason::Refused: return "refused";
  }
  return "?";
}

std::unique_ptr<CongestionControl> make_congestion_control(const std::string& name) {
  if (name == "newreno") return std::make_unique<NewReno>();
  return nullptr;
}

Connection::Connection(const Config& cfg, uint32_t isn, uint32_t ts_offset, Upcalls& up)
    : cfg_(cfg),
      up_(up),
      cc_(make_congestion_control(cfg.cc)),
      iss_(isn),
      snd_una_(isn),
      snd_nxt_(isn),
      snd_max_(isn),
      sndbuf_(cfg.sndbuf),
      recover_(isn),  // RFC 6582 3.2 step 1: recover starts at the initial send sequence
      ts_offset_(ts_offset) {
  assert(cc_ && "congestion control must be one the loader accepted");
}

void Connection::set_state(State s) {
  if (s == state_) return;
  const State from = state_;
  state_ = s;
  up_.on_state_change(from, s);
}

uint32_t Connection::emss() const {
  const uint32_t mss = std::min<uint32_t>(peer_mss_, cfg_.mss);
  return mss - (ts_on_ ? 12u : 0u);
}

// ---------------------------------------------------------------- opening and closing

void Connection::open_active(Duration now) {
  (void)now;
  snd_nxt_ = iss_;
  syn_pending_ = true;
  set_state(State::SynSent);
}

void Connection::open_passive(const wire::TcpHeader& syn, Duration now) {
  (void)now;
  state_ = State::Listen;
  irs_ = syn.seq;
  rcv_nxt_ = syn.seq + 1;
  take_syn_options(syn);
  snd_wnd_ = syn.window;  // never scaled in a SYN (RFC 7323 2.2)
  syn_pending_ = true;
  set_state(State::SynReceived);
}

void Connection::take_syn_options(const wire::TcpHeader& h) {
  if (h.opts.has_mss) peer_mss_ = h.opts.mss;
  if (h.opts.has_wscale && cfg_.wscale > 0) {
    snd_wscale_ = std::min<uint8_t>(h.opts.wscale, 14);  // RFC 7323 2.3: clamp to 14
    rcv_wscale_ = cfg_.wscale;
  } else {
    snd_wscale_ = rcv_wscale_ = 0;
  }
  ts_on_ = cfg_.timestamps && h.opts.has_timestamps;
  if (ts_on_) ts_recent_ = h.opts.ts_val;
  sack_on_ = cfg_.sack && h.opts.sack_permitted;
  cc_->cwnd = cfg_.init_cwnd * emss();
}

void Connection::close(Duration now) {
  (void)now;
  switch (state_) {
    case State::Closed:
    case State::Listen:
    case State::SynSent:
      set_state(State::Closed);
      close_reason_ = CloseReason::Normal;
      return;
    case State::SynReceived:
    case State::Established:
    case State::CloseWait:
      fin_queued_ = true;
      return;
    case State::FinWait1:
    case State::FinWait2:
    case State::Closing:
    case State::LastAck:
    case State::TimeWait:
      return;
  }
}

void Connection::abort(Duration now) {
  (void)now;
  if (state_ == State::Closed || state_ == State::Listen) return;
  if (state_ != State::SynSent && state_ != State::TimeWait) {
    rst_pending_ = true;
    rst_seq_ = snd_nxt_;
  }
  fail(CloseReason::Reset, now);
}

void Connection::fail(CloseReason r, Duration) {
  close_reason_ = r;
  rto_deadline_ = delack_deadline_ = timewait_deadline_ = Duration{-1};
  syn_pending_ = ack_now_ = retransmit_pending_ = false;
  set_state(State::Closed);
}

void Connection::enter_time_wait(Duration now) {
  rto_deadline_ = Duration{-1};
  timewait_deadline_ = now + cfg_.msl * 2;
  set_state(State::TimeWait);
}

// ---------------------------------------------------------------- input

void Connection::on_segment(const wire::TcpHeader& h, ConstByteSpan payload, Duration now, bool /*ce*/) {
  ++stats_.segments_rx;
  if (state_ == State::Closed) return;  // the owner answers segments for no connection

  if (state_ == State::SynSent) {
    // RFC 9293 3.10.7.3
    if ((h.flags & kAck) && (seq_leq(h.ack, iss_) || seq_gt(h.ack, snd_max_))) {
      if (!(h.flags & kRst)) {
        rst_pending_ = true;
        rst_seq_ = h.ack;
      }
      return;
    }
    if (h.flags & kRst) {
      if (h.flags & kAck) fail(CloseReason::Refused, now);
      return;
    }
    if (!(h.flags & kSyn)) return;
    irs_ = h.seq;
    rcv_nxt_ = h.seq + 1;
    take_syn_options(h);
    if (h.flags & kAck) {
      snd_una_ = h.ack;
      syn_acked_ = true;
      syn_pending_ = false;
      rto_deadline_ = Duration{-1};
      backoff_ = 0;
      retries_ = 0;
      if (rtt_timing_) {
        rtt_sample(now - rtt_start_);
        rtt_timing_ = false;
      }
      snd_wnd_ = h.window;  // never scaled in a SYN-ACK (RFC 7323 2.2)
      snd_wl1_ = h.seq;
      snd_wl2_ = h.ack;
      ack_now_ = true;
      set_state(State::Established);
    } else {
      // Simultaneous open: SYN_SENT -> SYN_RECEIVED, send SYN-ACK.
      snd_wnd_ = h.window;
      syn_pending_ = true;
      snd_nxt_ = iss_;
      set_state(State::SynReceived);
    }
    return;
  }

  // Timestamps: remember the peer's TSval for echo, PAWS (RFC 7323 5).
  if (ts_on_ && h.opts.has_timestamps && !(h.flags & kRst)) {
    if (static_cast<int32_t>(h.opts.ts_val - ts_recent_) < 0 && payload.size() > 0) {
      ack_now_ = true;  // PAWS: an old duplicate; acknowledge and drop
      return;
    }
    if (seq_leq(h.seq, rcv_nxt_)) ts_recent_ = h.opts.ts_val;
  }

  // Acceptability (RFC 9293 3.10.7.4, first check).
  const uint32_t wnd = rcv_window();
  const uint32_t seg_len = static_cast<uint32_t>(payload.size()) + ((h.flags & kSyn) ? 1 : 0) +
                           ((h.flags & kFin) ? 1 : 0);
  bool acceptable;
  if (seg_len == 0)
    acceptable = wnd == 0 ? h.seq == rcv_nxt_
                          : seq_leq(rcv_nxt_, h.seq) && seq_lt(h.seq, rcv_nxt_ + wnd);
  else
    acceptable = wnd > 0 && ((seq_leq(rcv_nxt_, h.seq) && seq_lt(h.seq, rcv_nxt_ + wnd)) ||
                             (seq_leq(rcv_nxt_, h.seq + seg_len - 1) &&
                              seq_lt(h.seq + seg_len - 1, rcv_nxt_ + wnd)));
  if (!acceptable) {
    if (!(h.flags & kRst)) ack_now_ = true;  // old duplicate: re-ACK
    return;
  }

  if (h.flags & kRst) {
    // RFC 5961 3.2: only an exact match resets; others get a challenge ACK.
    if (h.seq != rcv_nxt_) {
      ack_now_ = true;
      return;
    }
    fail(state_ == State::SynReceived ? CloseReason::Refused : CloseReason::Reset, now);
    return;
  }
  if (h.flags & kSyn) {
    // RFC 5961 4.2: a SYN in a synchronized state gets a challenge ACK.
    ack_now_ = true;
    return;
  }
  if (!(h.flags & kAck)) return;

  if (state_ == State::SynReceived) {
    if (seq_gt(h.ack, snd_una_) && seq_leq(h.ack, snd_max_)) {
      syn_pending_ = false;
      snd_wnd_ = static_cast<uint32_t>(h.window) << snd_wscale_;
      snd_wl1_ = h.seq;
      snd_wl2_ = h.ack;
      set_state(State::Established);
    } else {
      rst_pending_ = true;
      rst_seq_ = h.ack;
      return;
    }
  }
  process_ack(h, now);
  if (state_ == State::Closed) return;
  if (!payload.empty()) process_data(h, payload, now);
  // The FIN counts once every byte before it has arrived.
  if ((h.flags & kFin) && !peer_fin_ && h.seq + static_cast<uint32_t>(payload.size()) == rcv_nxt_) {
    process_fin(now);
  }
}

void Connection::process_ack(const wire::TcpHeader& h, Duration now) {
  const uint32_t ack = h.ack;
  if (seq_gt(ack, snd_max_)) {
    ack_now_ = true;  // acknowledges something not yet sent
    return;
  }
  const uint32_t new_wnd = static_cast<uint32_t>(h.window) << snd_wscale_;
  const bool window_update = new_wnd != snd_wnd_;
  if (seq_lt(snd_wl1_, h.seq) || (snd_wl1_ == h.seq && seq_leq(snd_wl2_, ack))) {
    snd_wnd_ = new_wnd;
    snd_wl1_ = h.seq;
    snd_wl2_ = ack;
  }

  if (seq_gt(ack, snd_una_)) {
    uint32_t acked = ack - snd_una_;
    const uint32_t flight_before = snd_max_ - snd_una_;
    // FIN occupies a sequence number but no buffer byte.
    uint32_t data_acked = acked;
    if (!syn_acked_) {
      syn_acked_ = true;  // the SYN occupies one sequence number and no buffer byte
      data_acked -= 1;
    }
    if (fin_sent_ && seq_geq(ack, fin_seq_ + 1)) data_acked -= 1;
    data_acked = std::min<uint32_t>(data_acked, static_cast<uint32_t>(sndbuf_.size()));
    sndbuf_.consume(data_acked);
    bytes_acked_ += data_acked;
    snd_una_ = ack;
    if (seq_lt(snd_nxt_, snd_una_)) snd_nxt_ = snd_una_;
    retries_ = 0;
    first_retransmit_at_ = Duration{-1};
    backoff_ = 0;
    // RTT (Karn: only segments never retransmitted are timed).
    if (rtt_timing_ && seq_gt(ack, rtt_seq_)) {
      rtt_sample(now - rtt_start_);
      rtt_timing_ = false;
    }
    if (in_recovery_) {
      if (seq_geq(ack, recover_)) {
        in_recovery_ = false;
        cc_->on_recovery_exit(emss());
      } else {
        // NewReno partial ACK (RFC 6582 3.2 step 4): resend the next hole, deflate.
        retransmit_pending_ = true;
        retransmit_next_ = snd_una_;
        cc_->cwnd = cc_->cwnd > acked ? cc_->cwnd - acked + emss() : emss();
      }
    } else {
      cc_->on_ack(data_acked, emss(), flight_before);
    }
    stats_.cwnd_max = std::max(stats_.cwnd_max, cc_->cwnd);
    dupacks_ = 0;
    if (snd_una_ == snd_max_)
      rto_deadline_ = Duration{-1};
    else
      arm_rto(now);
    if (data_acked) up_.on_acked(bytes_acked_);

    if (fin_sent_ && seq_geq(ack, fin_seq_ + 1)) {
      switch (state_) {
        case State::FinWait1: set_state(State::FinWait2); break;
        case State::Closing: enter_time_wait(now); break;
        case State::LastAck:
          close_reason_ = CloseReason::Normal;
          rto_deadline_ = Duration{-1};
          set_state(State::Closed);
          break;
        default: break;
      }
    }
  } else if (ack == snd_una_ && snd_una_ != snd_max_ && !window_update &&
             h.flags == kAck) {
    // A duplicate ACK (RFC 5681 2): no data, same window, outstanding data.
    ++stats_.dup_acks_rx;
    ++dupacks_;
    if (in_recovery_) {
      cc_->cwnd += emss();  // inflate
    } else if (dupacks_ == 3 && seq_gt(ack, recover_)) {  // RFC 6582 3.2 step 2
      in_recovery_ = true;
      recover_ = snd_max_;
      cc_->on_fast_retransmit(snd_max_ - snd_una_, emss());
      retransmit_pending_ = true;
      retransmit_next_ = snd_una_;
      ++stats_.fast_retransmits;
    }
  }
}

void Connection::process_data(const wire::TcpHeader& h, ConstByteSpan payload, Duration now) {
  if (state_ != State::Established && state_ != State::FinWait1 && state_ != State::FinWait2)
    return;
  uint32_t seq = h.seq;
  // Trim what we already have.
  if (seq_lt(seq, rcv_nxt_)) {
    const uint32_t dup = rcv_nxt_ - seq;
    if (dup >= payload.size()) {
      ack_now_ = true;
      return;
    }
    payload = payload.subspan(dup);
    seq = rcv_nxt_;
  }
  if (seq != rcv_nxt_) {
    // Out of order: keep it, ACK at once (RFC 5681 4.2) so the sender sees the duplicate.
    ++stats_.ooo_segments_rx;
    auto it = ooo_.find(seq);
    if (it == ooo_.end() || it->second.size() < payload.size()) {
      if (it != ooo_.end()) ooo_bytes_ -= it->second.size();
      ooo_[seq].assign(payload.begin(), payload.end());
      ooo_bytes_ += payload.size();
    }
    ack_now_ = true;
    return;
  }
  bool ack_hint = up_.on_data(payload);
  rcv_nxt_ += static_cast<uint32_t>(payload.size());
  const bool filled_hole = !ooo_.empty();
  // Drain the out-of-order queue.
  while (!ooo_.empty()) {
    auto it = ooo_.begin();
    const uint32_t s = it->first;
    if (seq_gt(s, rcv_nxt_)) break;
    std::vector<uint8_t> bytes = std::move(it->second);
    ooo_bytes_ -= bytes.size();
    ooo_.erase(it);
    const uint32_t end = s + static_cast<uint32_t>(bytes.size());
    if (seq_leq(end, rcv_nxt_)) continue;
    const uint32_t skip = rcv_nxt_ - s;
    ack_hint |= up_.on_data(ConstByteSpan(bytes.data() + skip, bytes.size() - skip));
    rcv_nxt_ = end;
  }
  if (ack_hint || filled_hole) {
    ack_now_ = true;
  } else if (payload.size() >= emss()) {
    // ACK at least every second full-sized segment (RFC 5681 4.2; RFC 9293 3.8.6.3).
    if (++unacked_full_segments_ >= 2) ack_now_ = true;
  }
  if (!ack_now_ && delack_deadline_.ps < 0) delack_deadline_ = now + cfg_.delayed_ack;
}

void Connection::process_fin(Duration now) {
  peer_fin_ = true;
  rcv_nxt_ += 1;
  ack_now_ = true;
  up_.on_peer_fin();
  switch (state_) {
    case State::SynReceived:
    case State::Established: set_state(State::CloseWait); break;
    case State::FinWait1:
      // Our FIN not yet acknowledged: simultaneous close.
      set_state(State::Closing);
      break;
    case State::FinWait2: enter_time_wait(now); break;
    default: break;
  }
}

// ---------------------------------------------------------------- timers

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
}

Duration Connection::rto() const {
  Duration base = have_rtt_ ? srtt_ + Duration{std::max<int64_t>(4 * rttvar_.ps, 1000)}  // G = 1 ns
                            : cfg_.initial_rto;
  base = std::max(base, cfg_.min_rto);
  for (int i = 0; i < backoff_ && base < cfg_.max_rto; ++i) base = base * 2;  // RFC 6298 5.5
  return std::min(base, cfg_.max_rto);
}

void Connection::arm_rto(Duration now) { rto_deadline_ = now + rto(); }

Duration Connection::next_deadline() const {
  Duration d{-1};
  for (Duration t : {rto_deadline_, delack_deadline_, timewait_deadline_})
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
  if (rto_deadline_.ps >= 0 && rto_deadline_ <= now) {
    rto_deadline_ = Duration{-1};
    ++stats_.timeouts;
    ++retries_;
    if (first_retransmit_at_.ps < 0) first_retransmit_at_ = now;
    const bool give_up = cfg_.user_timeout.ps > 0
                             ? now - first_retransmit_at_ >= cfg_.user_timeout
                             : retries_ > cfg_.max_retries;
    if (give_up) {
      rst_pending_ = state_ != State::SynSent;
      rst_seq_ = snd_nxt_;
      fail(CloseReason::Timeout, now);
      return;
    }
    ++backoff_;
    rtt_timing_ = false;  // Karn
    if (state_ == State::SynSent || state_ == State::SynReceived) {
      syn_pending_ = true;
      snd_nxt_ = iss_;
      return;
    }
    cc_->on_timeout(snd_max_ - snd_una_, emss());
    in_recovery_ = false;
    dupacks_ = 0;
    recover_ = snd_max_;
    snd_nxt_ = snd_una_;  // go back: resend from the first unacknowledged byte
    fin_sent_ = false;  // unacknowledged (snd_una < snd_max): it goes again after the data
    arm_rto(now);
  }
}

// ---------------------------------------------------------------- output

uint32_t Connection::rcv_window() const {
  // In-order bytes go straight up, so only out-of-order bytes occupy the buffer, and they
  // lie inside the window already offered: subtracting them would move the right edge
  // left (RFC 9293 3.8.6.2.2: do not shrink the window) and change the window field of
  // every duplicate ACK, which then no longer counts as one (RFC 5681 2, condition e).
  return static_cast<uint32_t>(std::min<uint64_t>(cfg_.rcvbuf, uint64_t{0xFFFF} << rcv_wscale_));
}

size_t Connection::sendable_len() const {
  if (state_ != State::Established && state_ != State::CloseWait && state_ != State::FinWait1 &&
      state_ != State::Closing && state_ != State::LastAck)
    return 0;
  const size_t off = snd_nxt_ - snd_una_;
  if (off >= sndbuf_.size()) return 0;
  const uint32_t flight = snd_nxt_ - snd_una_;
  const uint32_t wnd = std::min(cc_->cwnd, snd_wnd_);
  if (flight >= wnd) return 0;
  const size_t limit = std::min<size_t>(emss(), wnd - flight);
  size_t len = sndbuf_.record_aligned(off, limit);
  if (len == 0) {
    // A record longer than a segment is split at EMSS; one that only the window holds
    // back waits for the window.
    const size_t rec = sndbuf_.next_record_len(off);
    if (rec > emss()) len = limit;
  }
  return len;
}

bool Connection::has_output() const {
  if (rst_pending_ || ack_now_ || syn_pending_ || retransmit_pending_) return true;
  if (sendable_len() > 0) return true;
  return fin_ready();
}

bool Connection::fin_ready() const {
  if (!fin_queued_ || fin_sent_ || snd_nxt_ - snd_una_ != sndbuf_.size()) return false;
  switch (state_) {
    case State::Established:
    case State::CloseWait:
    case State::FinWait1:  // FIN resent after a timeout
    case State::Closing:
    case State::LastAck: return true;
    case State::Closed:
    case State::Listen:
    case State::SynSent:
    case State::SynReceived:
    case State::FinWait2:
    case State::TimeWait: return false;
  }
  return false;
}

wire::TcpHeader Connection::base_header(uint8_t flags, uint32_t seq, Duration now) {
  wire::TcpHeader h;
  h.seq = seq;
  h.flags = flags;
  if (flags & kAck) h.ack = rcv_nxt_;
  const uint32_t wnd = rcv_window();
  h.window = (flags & kSyn) ? static_cast<uint16_t>(std::min<uint32_t>(wnd, 0xFFFF))
                            : static_cast<uint16_t>(std::min<uint32_t>(wnd >> rcv_wscale_, 0xFFFF));
  const bool syn_only = (flags & kSyn) && !(flags & kAck);
  if (syn_only ? cfg_.timestamps : ts_on_) {
    h.opts.has_timestamps = true;
    h.opts.ts_val = static_cast<uint32_t>(now.ps / 1000000000) + ts_offset_;  // 1 ms clock
    h.opts.ts_ecr = (flags & kSyn) && !(flags & kAck) ? 0 : ts_recent_;
  }
  return h;
}

void Connection::fill_syn_options(wire::TcpHeader& h) const {
  h.opts.has_mss = true;
  h.opts.mss = cfg_.mss;
  const bool synack = h.flags & kAck;
  if (synack ? rcv_wscale_ > 0 : cfg_.wscale > 0) {
    h.opts.has_wscale = true;
    h.opts.wscale = synack ? rcv_wscale_ : cfg_.wscale;
  }
  h.opts.sack_permitted = synack ? sack_on_ : cfg_.sack;
}

Outgoing Connection::next_output(Duration now) {
  Outgoing out;
  if (rst_pending_) {
    rst_pending_ = false;
    out.hdr = base_header(kRst | kAck, rst_seq_, now);
    out.hdr.opts = {};
    ++stats_.segments_tx;
    return out;
  }
  if (syn_pending_) {
    syn_pending_ = false;
    const bool synack = state_ == State::SynReceived;
    out.hdr = base_header(synack ? (kSyn | kAck) : kSyn, iss_, now);
    fill_syn_options(out.hdr);
    if (snd_max_ != iss_) {
      ++stats_.retransmits;
    } else {
      rtt_timing_ = true;
      rtt_seq_ = iss_;
      rtt_start_ = now;
    }
    snd_nxt_ = iss_ + 1;
    snd_max_ = iss_ + 1;
    if (rto_deadline_.ps < 0) arm_rto(now);
    ++stats_.segments_tx;
    return out;
  }
  // Data: a pending retransmission first, then new data.
  if (retransmit_pending_) {
    retransmit_pending_ = false;
    const size_t off = retransmit_next_ - snd_una_;
    size_t len = std::min<size_t>(sndbuf_.record_aligned(off, emss()), sndbuf_.size() - off);
    if (len == 0) len = std::min<size_t>(emss(), sndbuf_.size() - off);
    if (len > 0) {
      out.hdr = base_header(kAck | kPsh, retransmit_next_, now);
      out.offset = off;
      out.len = len;
      ++stats_.retransmits;
      ++stats_.segments_tx;
      stats_.bytes_tx += len;
      ack_now_ = false;
      delack_deadline_ = Duration{-1};
      unacked_full_segments_ = 0;
      arm_rto(now);
      return out;
    }
  }
  if (const size_t len = sendable_len(); len > 0) {
    const size_t off = snd_nxt_ - snd_una_;
    out.hdr = base_header(kAck | kPsh, snd_nxt_, now);
    out.offset = off;
    out.len = len;
    if (seq_lt(snd_nxt_, snd_max_)) {
      ++stats_.retransmits;  // resent after a timeout
    } else if (!rtt_timing_) {
      rtt_timing_ = true;
      rtt_seq_ = snd_nxt_;
      rtt_start_ = now;
    }
    snd_nxt_ += static_cast<uint32_t>(len);
    if (seq_gt(snd_nxt_, snd_max_)) snd_max_ = snd_nxt_;
    if (rto_deadline_.ps < 0) arm_rto(now);
    ++stats_.segments_tx;
    stats_.bytes_tx += len;
    ack_now_ = false;
    delack_deadline_ = Duration{-1};
    unacked_full_segments_ = 0;
    return out;
  }
  if (fin_ready()) {
    if (fin_seq_ == snd_nxt_ && fin_ever_sent_) ++stats_.retransmits;
    fin_ever_sent_ = true;
    out.hdr = base_header(kFin | kAck, snd_nxt_, now);
    fin_sent_ = true;
    fin_seq_ = snd_nxt_;
    snd_nxt_ += 1;
    if (seq_gt(snd_nxt_, snd_max_)) snd_max_ = snd_nxt_;
    if (rto_deadline_.ps < 0) arm_rto(now);
    if (state_ == State::Established) set_state(State::FinWait1);
    if (state_ == State::CloseWait) set_state(State::LastAck);
    ++stats_.segments_tx;
    ack_now_ = false;
    return out;
  }
  // A pure ACK.
  out.hdr = base_header(kAck, snd_nxt_, now);
  ack_now_ = false;
  delack_deadline_ = Duration{-1};
  unacked_full_segments_ = 0;
  ++stats_.segments_tx;
  return out;
}

}  // namespace rnicsim::tcp

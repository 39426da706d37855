#include "model/proto/tcp/connection.h"

#include <algorithm>
#include <cassert>
#include <cstring>

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

const char* to_string(Recovery r) {
  switch (r) {
    case Recovery::Open: return "open";
    case Recovery::Fast: return "fast";
    case Recovery::Loss: return "loss";
  }
  return "?";
}

namespace {
constexpr uint64_t kBase64 = uint64_t{1} << 33;  // unwrapped positions start here
}  // namespace

Connection::Connection(const Config& cfg, uint32_t isn, uint32_t ts_offset, Upcalls& up)
    : cfg_(cfg),
      up_(up),
      cc_(make_congestion_control(cfg.cc)),
      iss_(isn),
      snd_una_(isn),
      snd_nxt_(isn),
      snd_max_(isn),
      una64_(kBase64),
      sndbuf_(cfg.sndbuf),
      recover_(isn),  // RFC 6582 3.2 step 1: recover starts at the initial send sequence
      ts_offset_(ts_offset),
      ecn_high_(isn),
      rxt_next64_(kBase64) {
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

bool Connection::ecn_wanted() const { return cfg_.ecn || cfg_.cc == "dctcp"; }

bool Connection::data_state() const {
  return state_ == State::Established || state_ == State::CloseWait || state_ == State::FinWait1 ||
         state_ == State::Closing || state_ == State::LastAck;
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
  rcv64_ = kBase64;
  take_syn_options(syn);
  peer_syn_ecn_ = (syn.flags & (kEce | kCwr)) == (kEce | kCwr);  // RFC 3168 6.1.1
  ecn_on_ = ecn_wanted() && peer_syn_ecn_;
  dctcp_rx_ = ecn_on_ && cfg_.cc == "dctcp";
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
  rack_on_ = sack_on_ && cfg_.rack;  // RACK needs SACK (RFC 8985 2)
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
  if (state_ == State::Closed || state_ == State::Listen) return;
  if (state_ != State::SynSent && state_ != State::TimeWait) {
    rst_pending_ = true;
    rst_seq_ = snd_max_;
  }
  fail(CloseReason::Reset, now);
}

void Connection::fail(CloseReason r, Duration) {
  close_reason_ = r;
  rto_deadline_ = delack_deadline_ = timewait_deadline_ = persist_deadline_ = rack_deadline_ = Duration{-1};
  tlp_deadline_ = Duration{-1};
  syn_pending_ = ack_now_ = first_rxt_pending_ = probe_pending_ = pre_ack_pending_ = tlp_pending_ = false;
  persist_on_ = false;
  recovery_ = Recovery::Open;
  set_state(State::Closed);
}

void Connection::enter_time_wait(Duration now) {
  rto_deadline_ = persist_deadline_ = rack_deadline_ = tlp_deadline_ = Duration{-1};
  tlp_pending_ = false;
  persist_on_ = false;
  timewait_deadline_ = now + cfg_.msl * 2;
  set_state(State::TimeWait);
}

// ---------------------------------------------------------------- input

void Connection::on_segment(const wire::TcpHeader& h, ConstByteSpan payload, Duration now, bool ce) {
  ++stats_.segments_rx;
  if (state_ == State::Closed) return;  // the owner answers segments for no connection
  if (ce) ++stats_.ecn_ce_rx;

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
    rcv64_ = kBase64;
    take_syn_options(h);
    if (h.flags & kAck) {
      // RFC 3168 6.1.1: an ECN-setup SYN-ACK carries ECE without CWR.
      ecn_on_ = ecn_wanted() && (h.flags & kEce) && !(h.flags & kCwr);
      dctcp_rx_ = ecn_on_ && cfg_.cc == "dctcp";
      snd_una_ = h.ack;
      una64_ += 1;
      rxt_next64_ = una64_;
      syn_acked_ = true;
      syn_pending_ = false;
      rto_deadline_ = Duration{-1};
      backoff_ = 0;
      retries_ = 0;
      first_retransmit_at_ = Duration{-1};
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
      // Simultaneous open (RFC 9293 3.5 figure 7): SYN_SENT -> SYN_RECEIVED, send SYN-ACK.
      peer_syn_ecn_ = (h.flags & (kEce | kCwr)) == (kEce | kCwr);
      ecn_on_ = ecn_wanted() && peer_syn_ecn_;
      dctcp_rx_ = ecn_on_ && cfg_.cc == "dctcp";
      snd_wnd_ = h.window;
      syn_pending_ = true;
      snd_nxt_ = iss_;
      set_state(State::SynReceived);
    }
    return;
  }

  // A SYN again in SYN_RECEIVED: our SYN-ACK was lost; send it again at once.
  if (state_ == State::SynReceived && (h.flags & kSyn) && !(h.flags & kAck) && h.seq == irs_) {
    syn_pending_ = true;
    syn_retransmitted_ = true;
    rtt_timing_ = false;  // Karn
    arm_rto(now);         // the SYN-ACK goes now: its timer restarts
    return;
  }

  // Simultaneous open (RFC 9293 figure 8 line 7): the peer's SYN-ACK repeats the SYN we
  // already have; only its new part (the ACK) is processed (3.10.7.4: trim the old part).
  // Its window stays unscaled (RFC 7323 2.2).
  if (state_ == State::SynReceived && (h.flags & (kSyn | kAck)) == (kSyn | kAck) && h.seq == irs_) {
    wire::TcpHeader trimmed = h;
    trimmed.flags = static_cast<uint8_t>(trimmed.flags & ~kSyn);
    trimmed.seq = irs_ + 1;
    on_synchronized_segment(trimmed, payload, now, ce, true);
    return;
  }
  on_synchronized_segment(h, payload, now, ce, false);
}

void Connection::on_synchronized_segment(const wire::TcpHeader& h, ConstByteSpan payload, Duration now,
                                         bool ce, bool unscaled_window) {
  // PAWS (RFC 7323 5.3 R1): a TSval older than TS.Recent marks an old duplicate.
  if (ts_on_ && h.opts.has_timestamps && !(h.flags & kRst) &&
      static_cast<int32_t>(h.opts.ts_val - ts_recent_) < 0) {
    ++stats_.paws_drops;
    ack_now_ = true;
    return;
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
    if (!(h.flags & kRst)) {
      ack_now_ = true;  // old duplicate: re-ACK
      if (seg_len > 0 && seq_lt(h.seq, rcv_nxt_)) {
        ++stats_.dup_segments_rx;
        if (!payload.empty()) note_dsack(h.seq, payload.size());
      }
      // A FIN again in TIME_WAIT: our ACK was lost; restart the 2MSL timer (RFC 9293 3.10.7.4).
      if (state_ == State::TimeWait && (h.flags & kFin)) timewait_deadline_ = now + cfg_.msl * 2;
    }
    return;
  }
  // RFC 7323 4.3: remember the TSval of a segment that covers the last ACK we sent.
  if (ts_on_ && h.opts.has_timestamps && seq_leq(h.seq, last_ack_sent_)) ts_recent_ = h.opts.ts_val;

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
      snd_wnd_ = static_cast<uint32_t>(h.window) << (unscaled_window ? 0 : snd_wscale_);
      snd_wl1_ = h.seq;
      snd_wl2_ = h.ack;
      set_state(State::Established);
    } else {
      rst_pending_ = true;
      rst_seq_ = h.ack;
      return;
    }
  }
  process_ack(h, payload.size(), now, unscaled_window);
  if (state_ == State::Closed) return;

  // ECN receiver (RFC 3168 6.1.3; DCTCP RFC 8257 3.2).
  if (ecn_on_) {
    if (dctcp_rx_) {
      if (!payload.empty() && ce != ece_echo_) {
        if (delack_deadline_.ps >= 0) {
          // Acknowledge what came before the change with the old CE state, at once.
          pre_ack_pending_ = true;
          pre_ack_seq_ = rcv_nxt_;
          pre_ack_ece_ = ece_echo_;
          delack_deadline_ = Duration{-1};
          unacked_full_segments_ = 0;
        }
        ece_echo_ = ce;
      }
    } else {
      if (h.flags & kCwr) ece_echo_ = false;
      if (ce) ece_echo_ = true;
    }
  }

  if (!payload.empty()) process_data(h, payload, now);
  if (state_ == State::Closed) return;
  if (h.flags & kFin) {
    const uint32_t fin_at = h.seq + static_cast<uint32_t>(payload.size());
    if (!peer_fin_ && fin_at == rcv_nxt_) {
      process_fin(now);
    } else if (!peer_fin_ && seq_gt(fin_at, rcv_nxt_)) {
      ooo_fin_ = true;  // a FIN beyond a hole counts once the hole is filled
      ooo_fin_pos_ = r64(fin_at);
    }
  }
}

void Connection::take_sack(const wire::TcpHeader& h, bool& new_sack) {
  const uint8_t n = std::min<uint8_t>(h.opts.sack_count, 4);
  for (uint8_t i = 0; i < n; ++i) {
    uint32_t l = h.opts.sack[i].left;
    const uint32_t r = h.opts.sack[i].right;
    if (!seq_lt(l, r) || seq_leq(r, snd_una_) || seq_leq(r, h.ack) || seq_gt(r, snd_max_))
      continue;  // D-SACK (below the cumulative ACK) or bogus
    if (seq_lt(l, snd_una_)) l = snd_una_;
    const uint64_t bl = s64(l), br = s64(r);
    if (rack_on_) {
      // The parts of the block the scoreboard does not hold yet.
      uint64_t x = bl;
      for (size_t k = sacked_.first_ending_after(bl); x < br;) {
        if (k < sacked_.count() && sacked_[k].left <= x) {
          x = std::max(x, sacked_[k].right);
          ++k;
          continue;
        }
        const uint64_t gap_end = k < sacked_.count() ? std::min(br, sacked_[k].left) : br;
        sack_gaps_.push_back(Range{x, gap_end});
        x = gap_end;
      }
    }
    if (sacked_.insert(bl, br) > 0) new_sack = true;
  }
}

bool Connection::lost(uint64_t above_ranges, uint64_t above_bytes) const {
  // RFC 6675 IsLost: DupThresh discontiguous SACKed ranges, or more than
  // (DupThresh - 1) * SMSS bytes SACKed, above the sequence.
  return above_ranges >= cfg_.dupthresh || above_bytes > uint64_t{cfg_.dupthresh - 1} * emss();
}

void Connection::enter_fast_recovery(Duration now) {
  // A probe's episode ends here: the recovery answers the loss (RFC 8985 7.4).
  tlp_in_flight_ = tlp_pending_ = false;
  tlp_deadline_ = Duration{-1};
  recovery_ = Recovery::Fast;
  recover_ = snd_max_;
  cc_->on_loss(snd_max_ - snd_una_, emss(), now);
  if (!sack_on_) cc_->cwnd += 3 * emss();  // RFC 5681 3.2 step 4: inflate by the 3 dup ACKs
  rxt_next64_ = una64_;
  first_rxt_pending_ = true;
  ++stats_.fast_retransmits;
}

void Connection::process_ack(const wire::TcpHeader& h, size_t payload_len, Duration now,
                             bool unscaled_window) {
  const uint32_t ack = h.ack;
  if (seq_gt(ack, snd_max_)) {
    ack_now_ = true;  // acknowledges something not yet sent
    return;
  }
  const uint32_t new_wnd = static_cast<uint32_t>(h.window) << (unscaled_window ? 0 : snd_wscale_);
  const bool window_update = new_wnd != snd_wnd_;
  if (seq_lt(snd_wl1_, h.seq) || (snd_wl1_ == h.seq && seq_leq(snd_wl2_, ack))) {
    snd_wnd_ = new_wnd;
    snd_wl1_ = h.seq;
    snd_wl2_ = ack;
  }
  bool new_sack = false;
  rack_new_.clear();
  sack_gaps_.clear();
  if (sack_on_ && h.opts.sack_count) take_sack(h, new_sack);
  if (rack_on_ && !sack_gaps_.empty()) rack_take_sacked();
  const bool advanced = seq_gt(ack, snd_una_);
  // RFC 2883 4: a first block below the cumulative ACK, or inside the second, is a D-SACK.
  bool dsack = false;
  if (sack_on_ && h.opts.sack_count > 0) {
    const wire::SackBlock& b0 = h.opts.sack[0];
    dsack = seq_leq(b0.right, ack) ||
            (h.opts.sack_count > 1 && seq_geq(b0.left, h.opts.sack[1].left) && seq_leq(b0.right, h.opts.sack[1].right));
    if (dsack) ++stats_.dsacks_rx;
  }
  tlp_on_ack(ack, now, dsack, dsack ? h.opts.sack[0].left : 0, dsack ? h.opts.sack[0].right : 0);
  const bool ece = ecn_on_ && (h.flags & kEce);
  if (ece) ++stats_.ecn_ece_rx;

  if (seq_gt(ack, snd_una_)) {
    const uint32_t acked = ack - snd_una_;
    const uint32_t flight_before = snd_max_ - snd_una_;
    uint32_t data_acked = acked;
    if (!syn_acked_) {
      syn_acked_ = true;  // the SYN occupies one sequence number and no buffer byte
      data_acked -= 1;
    }
    if (fin_sent_ && seq_geq(ack, fin_seq_ + 1)) data_acked -= 1;  // so does the FIN
    data_acked = std::min<uint32_t>(data_acked, static_cast<uint32_t>(sndbuf_.size()));
    sndbuf_.consume(data_acked);
    bytes_acked_ += data_acked;
    snd_una_ = ack;
    una64_ += acked;
    if (seq_lt(snd_nxt_, snd_una_)) snd_nxt_ = snd_una_;
    sacked_.trim_below(una64_);
    if (rack_on_) {
      while (!segs_.empty() && segs_.front().end <= una64_) {
        SegRec& f = segs_.front();
        if (!f.sacked)
          rack_new_.push_back(Delivered{f.xmit, f.order, f.end, f.retransmitted});
        else
          --segs_sacked_;
        if (f.linked) tl_unlink(seg_base_);
        segs_.pop_front();
        ++seg_base_;
      }
      if (!segs_.empty() && segs_.front().start < una64_) segs_.front().start = una64_;
      lost_.trim_below(una64_);
    }
    rxt_next64_ = std::max(rxt_next64_, una64_);
    retries_ = 0;
    first_retransmit_at_ = Duration{-1};
    backoff_ = 0;
    // RTT (Karn: only segments never retransmitted are timed).
    if (rtt_timing_ && seq_gt(ack, rtt_seq_)) {
      rtt_sample(now - rtt_start_);
      rtt_timing_ = false;
    }
    AckEvent ev;
    ev.acked = data_acked;
    ev.smss = emss();
    ev.flight = flight_before;
    ev.snd_una = snd_una_;
    ev.snd_nxt = snd_max_;
    ev.now = now;
    ev.srtt = srtt_;
    ev.ece = ece;
    ev.in_recovery = recovery_ == Recovery::Fast;
    cc_->on_ack(ev);
    if (recovery_ == Recovery::Fast) {
      if (seq_geq(ack, recover_)) {
        recovery_ = Recovery::Open;
        first_rxt_pending_ = false;
        cc_->on_recovery_exit(emss());
      } else {
        ++stats_.partial_acks;
        if (!sack_on_) {
          // NewReno partial ACK (RFC 6582 3.2 step 4): resend the next hole, deflate.
          first_rxt_pending_ = true;
          cc_->cwnd = cc_->cwnd > acked ? cc_->cwnd - acked + emss() : emss();
        }
      }
    } else if (recovery_ == Recovery::Loss && seq_geq(ack, recover_)) {
      recovery_ = Recovery::Open;
      first_rxt_pending_ = false;
    }
    // ECN-Echo: reduce at most once per window (RFC 3168 6.1.2), not while repairing loss.
    if (ece && recovery_ == Recovery::Open && seq_gt(ack, ecn_high_)) {
      cc_->on_ecn(flight_before, emss(), now);
      ecn_high_ = snd_max_;
      cwr_pending_ = true;
      ++stats_.ecn_reductions;
    }
    stats_.cwnd_max = std::max(stats_.cwnd_max, cc_->cwnd);
    dupacks_ = 0;
    if (snd_una_ == snd_max_)
      rto_deadline_ = Duration{-1};
    else if (!persist_on_)
      arm_rto(now);  // RFC 6298 5.3
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
  } else if (ack == snd_una_ && snd_una_ != snd_max_) {
    // A duplicate ACK: with SACK, one that SACKs new data (RFC 6675 2); without, RFC 5681 2
    // (no data, same window, outstanding data, no SYN/FIN).
    const bool dup = sack_on_ ? new_sack
                              : payload_len == 0 && !window_update && !(h.flags & (kSyn | kFin));
    if (dup) {
      ++stats_.dup_acks_rx;
      ++dupacks_;
      if (recovery_ == Recovery::Fast) {
        if (!sack_on_) cc_->cwnd += emss();  // inflate (RFC 5681 3.2 step 5)
      } else if (recovery_ == Recovery::Open) {
        bool trigger;
        if (rack_on_) {
          trigger = false;  // RACK marks losses by time (below), not by counting duplicates
        } else if (sack_on_) {
          // RFC 6675 5: DupThresh duplicates, or the first unSACKed byte is lost.
          trigger = dupacks_ >= cfg_.dupthresh ||
                    (!sacked_.empty() && lost(sacked_.count(), sacked_.bytes()));
        } else {
          trigger = dupacks_ == cfg_.dupthresh && seq_gt(ack, recover_);  // RFC 6582 3.2 step 2
        }
        if (trigger) enter_fast_recovery(now);
      }
    }
  }
  if (rack_on_ && data_state()) {
    rack_update(now, h.opts.ts_ecr, h.opts.has_timestamps);
    rack_detect_loss(now);
    rack_maybe_recover(now);
    if (advanced)
      arm_tlp(now);  // RFC 8985 7.2: on an ACK of new data
    else if (!tlp_allowed())
      tlp_deadline_ = Duration{-1};
  }
  update_persist(now);
}

// ---------------------------------------------------------------- RACK (RFC 8985)

namespace {
/// RFC 8985 RACK_sent_after. Segments sent at one simulated instant are told apart by
/// their rank of transmission, not by sequence (a retransmission may follow new data sent
/// at the same instant).
bool sent_after(Duration t1, uint64_t order1, Duration t2, uint64_t order2) {
  return t1 > t2 || (t1 == t2 && order1 > order2);
}
}  // namespace

uint64_t Connection::rec_at(uint64_t x) const {
  auto it = std::upper_bound(segs_.begin(), segs_.end(), x,
                             [](uint64_t v, const SegRec& r) { return v < r.start; });
  if (it == segs_.begin()) return kNil;
  --it;
  if (x >= it->end) return kNil;
  return seg_base_ + static_cast<uint64_t>(it - segs_.begin());
}

void Connection::tl_link_tail(uint64_t id) {
  SegRec& r = rec(id);
  r.prev = tl_tail_;
  r.next = kNil;
  if (tl_tail_ != kNil)
    rec(tl_tail_).next = id;
  else
    tl_head_ = id;
  tl_tail_ = id;
  r.linked = true;
}

void Connection::tl_unlink(uint64_t id) {
  SegRec& r = rec(id);
  if (r.prev != kNil)
    rec(r.prev).next = r.next;
  else
    tl_head_ = r.next;
  if (r.next != kNil)
    rec(r.next).prev = r.prev;
  else
    tl_tail_ = r.prev;
  r.prev = r.next = kNil;
  r.linked = false;
}

void Connection::rack_record_sent(uint64_t start, uint64_t end, Duration now) {
  if (!rack_on_) return;
  SegRec r;
  r.start = start;
  r.end = end;
  r.xmit = now;
  r.order = ++xmit_count_;
  segs_.push_back(r);
  tl_link_tail(seg_base_ + segs_.size() - 1);
}

void Connection::rack_record_retransmitted(uint64_t start, uint64_t end, Duration now) {
  if (!rack_on_) return;
  lost_.erase(start, end);
  const uint64_t id = rec_at(start);
  if (id == kNil) return;
  SegRec& r = rec(id);
  r.xmit = now;
  r.order = ++xmit_count_;
  r.retransmitted = true;
  r.lost = false;
  if (r.sacked) return;
  if (r.linked) tl_unlink(id);
  tl_link_tail(id);  // the newest transmission: last in time order
}

void Connection::rack_take_sacked() {
  // Records wholly covered by the scoreboard now, among those the ACK's blocks newly cover.
  for (const Range& g : sack_gaps_) {
    for (uint64_t id = rec_at(g.left); id != kNil && id - seg_base_ < segs_.size(); ++id) {
      SegRec& r = rec(id);
      if (r.start >= g.right) break;
      if (r.sacked) continue;
      const long k = sacked_.find(r.start);
      if (k < 0 || sacked_[static_cast<size_t>(k)].right < r.end) continue;
      r.sacked = true;
      ++segs_sacked_;
      if (r.linked) tl_unlink(id);
      if (r.lost) {
        r.lost = false;
        lost_.erase(r.start, r.end);
      }
      rack_new_.push_back(Delivered{r.xmit, r.order, r.end, r.retransmitted});
    }
  }
}

void Connection::rack_update(Duration now, uint32_t ts_ecr, bool has_ts) {
  if (rack_new_.empty()) return;
  std::sort(rack_new_.begin(), rack_new_.end(), [](const Delivered& x, const Delivered& y) {
    return x.xmit < y.xmit || (x.xmit == y.xmit && x.order < y.order);
  });
  for (const Delivered& d : rack_new_) {
    // Step 2: the most recently sent segment delivered, and its RTT.
    const Duration rtt = now - d.xmit;
    bool usable = true;
    if (d.retransmitted) {
      // The ACK may be for the original transmission: its echoed timestamp predates the
      // retransmission, or the RTT is below the minimum ever seen.
      const uint32_t tsval = static_cast<uint32_t>(d.xmit.ps / 1000000000) + ts_offset_;
      if (ts_on_ && has_ts && static_cast<int32_t>(ts_ecr - tsval) < 0) usable = false;
      if (min_rtt_.ps >= 0 && rtt < min_rtt_) usable = false;
    } else if (min_rtt_.ps < 0 || rtt < min_rtt_) {
      min_rtt_ = rtt;
    }
    if (usable) {
      rack_rtt_ = rtt;
      if (rack_xmit_.ps < 0 || sent_after(d.xmit, d.order, rack_xmit_, rack_order_)) {
        rack_xmit_ = d.xmit;
        rack_order_ = d.order;
      }
    }
    // Step 3: reordering, a segment never retransmitted delivered below one delivered before.
    if (d.end > rack_fack_)
      rack_fack_ = d.end;
    else if (d.end < rack_fack_ && !d.retransmitted)
      reordering_seen_ = true;
  }
  rack_new_.clear();
}

Duration Connection::reo_wnd() const {
  // Step 4 (no D-SACK here, so the multiplier stays 1): before any reordering is seen, no
  // window once recovery is under way or DupThresh segments are SACKed.
  if (!reordering_seen_ && (recovery_ != Recovery::Open || segs_sacked_ >= cfg_.dupthresh)) return Duration{};
  if (min_rtt_.ps < 0) return Duration{};
  return std::min(Duration{min_rtt_.ps / 4}, srtt_);
}

void Connection::rack_mark_lost(uint64_t id) {
  SegRec& r = rec(id);
  if (r.linked) tl_unlink(id);
  r.lost = true;
  // Only the bytes not SACKed (a record may be SACKed in part).
  uint64_t x = r.start;
  for (size_t k = sacked_.first_ending_after(r.start); x < r.end;) {
    if (k < sacked_.count() && sacked_[k].left <= x) {
      x = std::max(x, sacked_[k].right);
      ++k;
      continue;
    }
    const uint64_t e = k < sacked_.count() ? std::min(r.end, sacked_[k].left) : r.end;
    lost_.insert(x, e);
    x = e;
  }
}

void Connection::rack_detect_loss(Duration now) {
  rack_deadline_ = Duration{-1};
  if (rack_xmit_.ps < 0) return;
  const Duration reo = reo_wnd();
  Duration timeout{};
  // The time-ordered list holds what is neither delivered nor marked lost: the oldest first,
  // up to the most recently sent segment delivered.
  for (uint64_t id = tl_head_; id != kNil;) {
    SegRec& r = rec(id);
    const uint64_t next = r.next;
    if (!sent_after(rack_xmit_, rack_order_, r.xmit, r.order)) break;
    const Duration remaining = r.xmit + rack_rtt_ + reo - now;
    if (remaining.ps <= 0) {
      rack_mark_lost(id);
      ++stats_.rack_lost;
    } else {
      timeout = std::max(timeout, remaining);
    }
    id = next;
  }
  if (timeout.ps > 0) rack_deadline_ = now + timeout;
}

void Connection::rack_maybe_recover(Duration now) {
  if (lost_.empty() || recovery_ != Recovery::Open) return;
  enter_fast_recovery(now);
}

void Connection::rack_on_rto(Duration now) {
  // RFC 8985 6.3: the first segment outstanding is lost (sent an RTO ago); the others when
  // sent at least RACK.rtt + RACK.reo_wnd ago.
  const Duration reo = reo_wnd();
  bool first = true;
  for (uint64_t id = seg_base_; id - seg_base_ < segs_.size(); ++id) {
    SegRec& r = rec(id);
    if (r.sacked) continue;
    if (!r.lost && (first || r.xmit + rack_rtt_ + reo <= now)) rack_mark_lost(id);
    first = false;
  }
  rack_deadline_ = Duration{-1};
}

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

void Connection::deliver(ConstByteSpan data, bool& ack_hint) {
  ack_hint |= up_.on_data(data);
  rcv_nxt_ += static_cast<uint32_t>(data.size());
  rcv64_ += data.size();
}

void Connection::process_data(const wire::TcpHeader& h, ConstByteSpan payload, Duration now) {
  if (state_ != State::Established && state_ != State::FinWait1 && state_ != State::FinWait2)
    return;
  uint32_t seq = h.seq;
  // Trim what we already have (duplicates, overlaps).
  if (seq_lt(seq, rcv_nxt_)) {
    const uint32_t dup = rcv_nxt_ - seq;
    if (dup >= payload.size()) {
      ++stats_.dup_segments_rx;
      note_dsack(seq, payload.size());
      ack_now_ = true;
      return;
    }
    payload = payload.subspan(dup);
    seq = rcv_nxt_;
  }
  // Trim what lies beyond the window (RFC 9293 3.10.7.4).
  const uint32_t wnd = rcv_window();
  const uint32_t room = wnd - (seq - rcv_nxt_);
  if (payload.size() > room) payload = payload.subspan(0, room);
  if (payload.empty()) {
    ack_now_ = true;
    return;
  }
  if (seq != rcv_nxt_) {
    // Out of order: keep it, ACK at once (RFC 5681 4.2) so the sender sees the duplicate.
    ++stats_.ooo_segments_rx;
    if (ooo_ring_.empty()) ooo_ring_.resize(wnd);
    const uint64_t p = r64(seq);
    const size_t cap = ooo_ring_.size();
    const size_t at = static_cast<size_t>(p % cap);
    const size_t first = std::min(payload.size(), cap - at);
    std::memcpy(ooo_ring_.data() + at, payload.data(), first);
    if (first < payload.size()) std::memcpy(ooo_ring_.data(), payload.data() + first, payload.size() - first);
    ooo_.insert(p, p + payload.size());
    up_.on_out_of_order(p, payload);
    // RFC 2018 4: the first SACK block reports the range holding this segment, then the
    // most recently reported ones.
    const uint64_t left = ooo_[static_cast<size_t>(ooo_.find(p))].left;
    std::array<uint64_t, 4> next{};
    uint8_t n = 0;
    next[n++] = left;
    for (uint8_t i = 0; i < sack_recent_n_ && n < next.size(); ++i) {
      const long k = ooo_.find(sack_recent_[i]);
      if (k < 0) continue;
      const uint64_t l = ooo_[static_cast<size_t>(k)].left;
      if (std::find(next.begin(), next.begin() + n, l) == next.begin() + n) next[n++] = l;
    }
    sack_recent_ = next;
    sack_recent_n_ = n;
    ack_now_ = true;
    return;
  }
  bool ack_hint = false;
  deliver(payload, ack_hint);
  const bool filled_hole = !ooo_.empty();
  // Drain the out-of-order ranges the segment joined.
  while (!ooo_.empty() && ooo_[0].left <= rcv64_) {
    const Range r = ooo_[0];
    if (r.right > rcv64_) {
      const size_t cap = ooo_ring_.size();
      const size_t n = static_cast<size_t>(r.right - rcv64_);
      const size_t at = static_cast<size_t>(rcv64_ % cap);
      const size_t first = std::min(n, cap - at);
      deliver(ConstByteSpan(ooo_ring_.data() + at, first), ack_hint);
      if (first < n) deliver(ConstByteSpan(ooo_ring_.data(), n - first), ack_hint);
    }
    ooo_.trim_below(rcv64_);
  }
  if (ooo_fin_ && rcv64_ == ooo_fin_pos_) {
    ooo_fin_ = false;
    process_fin(now);
  }
  if (ack_hint || filled_hole) {
    ack_now_ = true;  // RFC 5681 4.2: at once when a segment fills (part of) a gap
  } else if (payload.size() >= emss()) {
    // ACK at least every second full-sized segment (RFC 5681 4.2; RFC 9293 3.8.6.3).
    if (++unacked_full_segments_ >= 2) ack_now_ = true;
  }
  if (!ack_now_ && delack_deadline_.ps < 0) delack_deadline_ = now + cfg_.delayed_ack;
}

void Connection::process_fin(Duration now) {
  peer_fin_ = true;
  rcv_nxt_ += 1;
  rcv64_ += 1;
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

void Connection::arm_rto(Duration now) { rto_deadline_ = now + rto(); }

Duration Connection::next_deadline() const {
  Duration d{-1};
  for (Duration t : {rto_deadline_, delack_deadline_, timewait_deadline_, persist_deadline_, rack_deadline_,
                     tlp_deadline_})
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

// ---------------------------------------------------------------- output

uint32_t Connection::rcv_window() const {
  // In-order bytes go straight up, so only out-of-order bytes occupy the buffer, and they
  // lie inside the window already offered: subtracting them would move the right edge
  // left (RFC 9293 3.8.6.2.2: do not shrink the window) and change the window field of
  // every duplicate ACK, which then no longer counts as one (RFC 5681 2, condition e).
  return static_cast<uint32_t>(std::min<uint64_t>(cfg_.rcvbuf, uint64_t{0xFFFF} << rcv_wscale_));
}

uint32_t Connection::pipe() const {
  if (recovery_ == Recovery::Open) return snd_max_ - snd_una_;
  if (rack_on_) {
    // RFC 6675 pipe with RACK's loss marks: what is neither SACKed nor marked lost (a lost
    // segment retransmitted counts again until marked lost once more).
    const uint64_t out = snd_max_ - snd_una_;
    const uint64_t gone = sacked_.bytes() + lost_.bytes();
    return static_cast<uint32_t>(out > gone ? out - gone : 0);
  }
  // RFC 6675 SetPipe, by ranges: each unSACKed byte not lost counts once, and once more
  // when it was retransmitted.
  const uint64_t hi = s64(snd_max_);
  const uint64_t rec = s64(recover_);
  const size_t n = sacked_.count();
  uint64_t pipe = 0;
  uint64_t above_bytes = 0;
  for (size_t i = n + 1; i-- > 0;) {
    const uint64_t a = i > 0 ? sacked_[i - 1].right : una64_;
    const uint64_t b = i < n ? sacked_[i].left : hi;
    if (i < n) above_bytes += sacked_[i].size();
    if (a >= b) continue;
    uint64_t lost_len;
    if (recovery_ == Recovery::Loss)
      lost_len = rec > a ? std::min(b, rec) - a : 0;
    else
      lost_len = lost(n - i, above_bytes) ? b - a : 0;
    pipe += (b - a) - lost_len;
    if (rxt_next64_ > a) pipe += std::min(b, rxt_next64_) - a;
  }
  return static_cast<uint32_t>(std::min<uint64_t>(pipe, 0xFFFFFFFFu));
}

bool Connection::can_send_in_recovery() const {
  return uint64_t{pipe()} + emss() <= cc_->cwnd;
}

bool Connection::next_retransmission(uint32_t& seq, uint32_t& len, bool rule3) const {
  if (!data_state()) return false;
  const uint64_t hi = s64(snd_max_);
  const uint64_t rec = s64(recover_);
  uint64_t start = 0, end = 0;
  if (rack_on_) {
    // The lowest range marked lost, one record at most.
    if (rule3 || lost_.empty()) return false;
    if (!first_rxt_pending_ && recovery_ == Recovery::Open) return false;
    start = lost_[0].left;
    end = lost_[0].right;
    const uint64_t id = rec_at(start);
    if (id != kNil) end = std::min(end, segs_[static_cast<size_t>(id - seg_base_)].end);
  } else if (first_rxt_pending_) {
    start = una64_;
    end = sacked_.empty() ? hi : sacked_[0].left;
  } else {
    if (recovery_ == Recovery::Open || (recovery_ == Recovery::Fast && !sack_on_)) return false;
    const size_t n = sacked_.count();
    uint64_t above_bytes = sacked_.bytes();
    bool found = false;
    for (size_t i = 0; i <= n && !found; ++i) {
      const uint64_t a = std::max(i > 0 ? sacked_[i - 1].right : una64_, rxt_next64_);
      const uint64_t b = i < n ? sacked_[i].left : hi;
      const uint64_t above_ranges = n - i;
      if (a < b) {
        if (recovery_ == Recovery::Loss) {
          if (a < rec) {
            start = a;
            end = std::min(b, rec);
            found = true;
          }
        } else if (rule3 ? !lost(above_ranges, above_bytes) : lost(above_ranges, above_bytes)) {
          start = a;
          end = b;
          found = true;
        }
      }
      if (i < n) above_bytes -= sacked_[i].size();
    }
    if (!found) return false;
  }
  if (start >= end) return false;
  seq = snd_una_ + static_cast<uint32_t>(start - una64_);
  const size_t off = static_cast<size_t>(start - una64_);
  if (off >= sndbuf_.size()) {
    // Only the FIN is left there.
    if (!(fin_sent_ && seq == fin_seq_)) return false;
    len = 0;
    return true;
  }
  const size_t limit = std::min<uint64_t>({uint64_t{emss()}, end - start, sndbuf_.size() - off});
  size_t l = sndbuf_.record_aligned(off, limit);
  if (l == 0) l = limit;
  len = static_cast<uint32_t>(l);
  return true;
}

size_t Connection::sendable_len() const {
  if (!data_state() || persist_on_) return 0;
  const size_t off = snd_nxt_ - snd_una_;
  if (off >= sndbuf_.size()) return 0;
  const uint32_t flight = snd_nxt_ - snd_una_;
  if (flight >= snd_wnd_) return 0;
  const uint32_t wnd_room = snd_wnd_ - flight;
  uint32_t cwnd_room;
  if (recovery_ == Recovery::Open || (recovery_ == Recovery::Fast && !sack_on_)) {
    if (flight >= cc_->cwnd) return 0;
    cwnd_room = cc_->cwnd - flight;
  } else {
    if (!can_send_in_recovery()) return 0;  // RFC 6675 NextSeg rule 2 under cwnd - pipe
    cwnd_room = cc_->cwnd - pipe();
  }
  const size_t limit = std::min<size_t>({emss(), wnd_room, cwnd_room});
  size_t len = sndbuf_.record_aligned(off, limit);
  if (len == 0) {
    // A record longer than a segment is split at EMSS; one that only the window holds
    // back waits for the window.
    const size_t rec = sndbuf_.next_record_len(off);
    if (rec > emss()) len = limit;
  }
  if (len > 0 && len < emss() && flight > 0) {
    const size_t queued = sndbuf_.size() - off;
    // Sender silly-window avoidance (RFC 9293 3.8.6.2.1): a segment cut short by the
    // windows waits for the ACK that widens them.
    if (limit < std::min<size_t>(queued, emss())) return 0;
    // Nagle (RFC 9293 3.7.4, RFC 896): with data unacknowledged, less than a full segment
    // of data waits until it is all acknowledged or a full segment can go.
    if (!cfg_.nodelay) return 0;
  }
  return len;
}

bool Connection::retransmission_ready(uint32_t& seq, uint32_t& len, bool rule3) const {
  if (first_rxt_pending_) return next_retransmission(seq, len, false);
  if (recovery_ == Recovery::Open || (recovery_ == Recovery::Fast && !sack_on_)) return false;
  if (rule3 && recovery_ != Recovery::Fast) return false;
  if (!can_send_in_recovery()) return false;
  return next_retransmission(seq, len, rule3);
}

bool Connection::has_output() const {
  if (rst_pending_ || ack_now_ || syn_pending_ || pre_ack_pending_ || probe_pending_ || tlp_pending_) return true;
  uint32_t seq, len;
  if (retransmission_ready(seq, len, false)) return true;
  if (sendable_len() > 0) return true;
  if (retransmission_ready(seq, len, true)) return true;
  return fin_ready();
}

bool Connection::fin_ready() const {
  if (!fin_queued_ || fin_sent_ || snd_nxt_ - snd_una_ != sndbuf_.size()) return false;
  switch (state_) {
    case State::Established:
    case State::CloseWait:
    case State::FinWait1:
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
  if ((flags & kAck) && !(flags & kSyn) && ecn_on_ && ece_echo_) flags |= kEce;
  h.flags = flags;
  if (flags & kAck) {
    h.ack = rcv_nxt_;
    last_ack_sent_ = rcv_nxt_;
  }
  const uint32_t wnd = rcv_window();
  h.window = (flags & kSyn) ? static_cast<uint16_t>(std::min<uint32_t>(wnd, 0xFFFF))
                            : static_cast<uint16_t>(std::min<uint32_t>(wnd >> rcv_wscale_, 0xFFFF));
  const bool syn_only = (flags & kSyn) && !(flags & kAck);
  if (syn_only ? cfg_.timestamps : ts_on_) {
    h.opts.has_timestamps = true;
    h.opts.ts_val = static_cast<uint32_t>(now.ps / 1000000000) + ts_offset_;  // 1 ms clock
    h.opts.ts_ecr = syn_only ? 0 : ts_recent_;
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

void Connection::note_dsack(uint32_t seq, size_t len) {
  if (!sack_on_) return;
  dsack_pending_ = true;
  dsack_left_ = seq;
  dsack_right_ = seq + static_cast<uint32_t>(len);
  if (seq_gt(dsack_right_, rcv_nxt_)) dsack_right_ = rcv_nxt_;
}

void Connection::fill_sack_blocks(wire::TcpHeader& h) {
  if (!sack_on_) return;
  // RFC 2018 3: up to the option space left (three blocks beside timestamps, else four).
  const uint8_t max = h.opts.has_timestamps ? 3 : 4;
  uint8_t n = 0;
  if (dsack_pending_) {
    // RFC 2883 4: the duplicate first, in this ACK only.
    h.opts.sack[n++] = wire::SackBlock{dsack_left_, dsack_right_};
    dsack_pending_ = false;
  }
  for (uint8_t i = 0; i < sack_recent_n_ && n < max; ++i) {
    const long k = ooo_.find(sack_recent_[i]);
    if (k < 0) continue;
    const Range& r = ooo_[static_cast<size_t>(k)];
    const uint32_t left = rcv_nxt_ + static_cast<uint32_t>(r.left - rcv64_);
    const uint32_t right = rcv_nxt_ + static_cast<uint32_t>(r.right - rcv64_);
    bool dup = false;
    for (uint8_t j = 0; j < n; ++j) dup |= h.opts.sack[j].left == left;
    if (dup) continue;
    h.opts.sack[n++] = wire::SackBlock{left, right};
  }
  h.opts.sack_count = n;
}

Outgoing Connection::emit_retransmission(uint32_t seq, uint32_t len, Duration now) {
  Outgoing out;
  const bool first = first_rxt_pending_;
  first_rxt_pending_ = false;
  if (len == 0) {
    out.hdr = base_header(kFin | kAck, seq, now);  // the FIN again
    rxt_next64_ = std::max(rxt_next64_, s64(seq) + 1);
  } else {
    out.hdr = base_header(kAck | kPsh, seq, now);
    out.offset = seq - snd_una_;
    out.len = len;
    rxt_next64_ = std::max(rxt_next64_, s64(seq) + len);
    stats_.bytes_tx += len;
  }
  rack_record_retransmitted(s64(seq), s64(seq) + std::max<uint32_t>(len, 1), now);
  if (rtt_timing_ && seq_geq(rtt_seq_, seq) && seq_lt(rtt_seq_, seq + std::max<uint32_t>(len, 1)))
    rtt_timing_ = false;  // Karn: a retransmitted segment is not timed
  ++stats_.retransmits;
  ++stats_.segments_tx;
  if (recovery_ == Recovery::Loss)
    ++stats_.rto_retransmits;
  else if (sack_on_ && !first && recovery_ == Recovery::Fast)
    ++stats_.sack_retransmits;
  ack_now_ = false;
  delack_deadline_ = Duration{-1};
  unacked_full_segments_ = 0;
  if (first || rto_deadline_.ps < 0) arm_rto(now);
  return out;
}

Outgoing Connection::emit_new_data(size_t len, Duration now) {
  Outgoing out;
  const size_t off = snd_nxt_ - snd_una_;
  out.hdr = base_header(kAck | kPsh, snd_nxt_, now);
  if (cwr_pending_) {
    out.hdr.flags |= kCwr;  // RFC 3168 6.1.2: the window was reduced
    cwr_pending_ = false;
  }
  out.offset = off;
  out.len = len;
  out.ect = ecn_on_;
  if (!rtt_timing_) {
    rtt_timing_ = true;
    rtt_seq_ = snd_nxt_;
    rtt_start_ = now;
  }
  rack_record_sent(s64(snd_nxt_), s64(snd_nxt_) + len, now);
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

// ---------------------------------------------------------------- tail loss probe (RFC 8985 7)

bool Connection::tlp_allowed() const {
  return rack_on_ && data_state() && !tlp_in_flight_ && recovery_ == Recovery::Open && sacked_.empty() &&
         snd_una_ != snd_max_ && !persist_on_;
}

void Connection::arm_tlp(Duration now) {
  tlp_deadline_ = Duration{-1};
  if (!tlp_allowed()) return;
  // 7.2: PTO = 2 SRTT, plus the worst-case delayed ACK (200 ms) when a single segment is
  // in flight (its ACK may be delayed); 1 s before any RTT sample; never after the RTO.
  Duration pto = Duration::from_s(1);
  if (have_rtt_) {
    pto = srtt_ * 2;
    if (snd_max_ - snd_una_ <= emss()) pto = pto + Duration::from_ms(200);
  }
  tlp_deadline_ = now + pto;
  if (rto_deadline_.ps >= 0 && rto_deadline_ < tlp_deadline_) tlp_deadline_ = rto_deadline_;
}

Outgoing Connection::emit_tlp(Duration now) {
  tlp_pending_ = false;
  // 7.3: new data if the peer's window allows it (whatever cwnd says), else the highest
  // segment sent again.
  Outgoing out;
  bool sent = false;
  const uint32_t flight = snd_nxt_ - snd_una_;
  const size_t off = flight;
  if (off < sndbuf_.size() && flight < snd_wnd_) {
    const size_t limit = std::min<size_t>(emss(), snd_wnd_ - flight);
    size_t len = sndbuf_.record_aligned(off, limit);
    if (len == 0 && sndbuf_.next_record_len(off) > emss()) len = limit;
    if (len > 0) {
      out = emit_new_data(len, now);
      tlp_is_retrans_ = false;
      sent = true;
    }
  }
  if (!sent) {
    if (segs_.empty()) return emit_ack(now);  // nothing to probe with (not reached: data is in flight)
    const SegRec& last = segs_.back();
    const uint32_t seq = snd_una_ + static_cast<uint32_t>(last.start - una64_);
    const bool fin_only = fin_sent_ && seq == fin_seq_;
    out = emit_retransmission(seq, fin_only ? 0 : static_cast<uint32_t>(last.end - last.start), now);
    tlp_is_retrans_ = true;
    tlp_rxt_seq_ = seq;
  }
  tlp_in_flight_ = true;
  tlp_end_ = snd_max_;
  ++stats_.tlp_probes;
  arm_rto(now);  // 7.3: the RTO, not the PTO, runs after a probe
  return out;
}

void Connection::tlp_on_ack(uint32_t ack, Duration now, bool dsack, uint32_t dl, uint32_t dr) {
  if (!tlp_in_flight_ || seq_lt(ack, tlp_end_)) return;
  tlp_in_flight_ = false;
  // 7.4.2: a probe that resent the last segment repaired a loss unless a D-SACK for it
  // shows both copies arrived; the loss is then answered as fast recovery would (a probe
  // of new data leaves any loss to RACK).
  if (dsack && seq_leq(dl, tlp_rxt_seq_) && seq_lt(tlp_rxt_seq_, dr)) return;
  if (tlp_is_retrans_ && recovery_ == Recovery::Open) {
    cc_->on_loss(snd_max_ - snd_una_, emss(), now);
    cc_->on_recovery_exit(emss());
    ++stats_.tlp_recoveries;
  }
}

Outgoing Connection::emit_ack(Duration now) {
  Outgoing out;
  out.hdr = base_header(kAck, snd_max_, now);
  fill_sack_blocks(out.hdr);
  ack_now_ = false;
  delack_deadline_ = Duration{-1};
  unacked_full_segments_ = 0;
  ++stats_.segments_tx;
  return out;
}

Outgoing Connection::next_output(Duration now) {
  Outgoing out;
  if (rst_pending_) {
    rst_pending_ = false;
    out.hdr = base_header(kRst | kAck, rst_seq_, now);
    out.hdr.flags = kRst | kAck;
    out.hdr.opts = {};
    ++stats_.segments_tx;
    return out;
  }
  if (syn_pending_) {
    syn_pending_ = false;
    const bool synack = state_ == State::SynReceived;
    uint8_t flags = synack ? (kSyn | kAck) : kSyn;
    // RFC 3168 6.1.1: ECN-setup SYN carries ECE and CWR, the SYN-ACK ECE alone.
    if (!synack && ecn_wanted()) flags |= kEce | kCwr;
    if (synack && ecn_on_) flags |= kEce;
    out.hdr = base_header(flags, iss_, now);
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
  if (pre_ack_pending_) {
    // DCTCP (RFC 8257 3.2): the bytes before a CE change are acknowledged with the old state.
    pre_ack_pending_ = false;
    out.hdr = base_header(kAck, snd_max_, now);
    out.hdr.ack = pre_ack_seq_;
    out.hdr.flags = pre_ack_ece_ ? (kAck | kEce) : kAck;
    fill_sack_blocks(out.hdr);
    ++stats_.segments_tx;
    return out;
  }
  if (probe_pending_) {
    probe_pending_ = false;
    if (persist_on_ && sndbuf_.size() > 0) {
      out.hdr = base_header(kAck, snd_una_, now);
      out.offset = 0;
      out.len = 1;
      if (snd_max_ == snd_una_) {
        rack_record_sent(una64_, una64_ + 1, now);
        snd_nxt_ = snd_max_ = snd_una_ + 1;
      }
      ++stats_.persist_probes;
      ++stats_.segments_tx;
      stats_.bytes_tx += 1;
      ack_now_ = false;
      delack_deadline_ = Duration{-1};
      return out;
    }
  }
  uint32_t rseq = 0, rlen = 0;
  if (retransmission_ready(rseq, rlen, false)) return emit_retransmission(rseq, rlen, now);
  if (tlp_pending_) return emit_tlp(now);
  if (const size_t len = sendable_len(); len > 0) {
    out = emit_new_data(len, now);
    arm_tlp(now);  // RFC 8985 7.2: after new data that is not itself a probe
    return out;
  }
  if (retransmission_ready(rseq, rlen, true)) return emit_retransmission(rseq, rlen, now);
  if (fin_ready()) {
    out.hdr = base_header(kFin | kAck, snd_nxt_, now);
    fin_sent_ = true;
    fin_seq_ = snd_nxt_;
    rack_record_sent(s64(snd_nxt_), s64(snd_nxt_) + 1, now);
    snd_nxt_ += 1;
    if (seq_gt(snd_nxt_, snd_max_)) snd_max_ = snd_nxt_;
    if (rto_deadline_.ps < 0) arm_rto(now);
    if (state_ == State::Established) set_state(State::FinWait1);
    if (state_ == State::CloseWait) set_state(State::LastAck);
    ++stats_.segments_tx;
    ack_now_ = false;
    return out;
  }
  return emit_ack(now);
}

}  // namespace rnicsim::tcp

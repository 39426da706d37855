// tcp::Connection, ACK processing and loss recovery: the send window update (RFC 9293
// 3.10.7.4, SND.WL1/WL2), the SACK scoreboard (RFC 2018; D-SACK, RFC 2883 4), the
// cumulative ACK (RTT by Karn's rule, RFC 6298 3; congestion control, RFC 5681 3; FIN
// acknowledged), duplicate ACKs (RFC 5681 2, RFC 6675 2), fast recovery (NewReno, RFC 6582
// 3.2; SACK-based, RFC 6675 5), ECN-Echo (RFC 3168 6.1.2), and the recovery queries the
// output asks: IsLost, SetPipe and NextSeg (RFC 6675 4), and after a timeout every
// unSACKed byte below the recovery point (RFC 6675 5.1).

#include "model/proto/tcp/connection.h"

#include <algorithm>

#include "model/proto/tcp/seq.h"

namespace rnicsim::tcp {

using namespace wire::tcp_flags;

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
    rtt_on_advance(h, ack, now);
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

// ---------------------------------------------------------------- what recovery resends

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

bool Connection::retransmission_ready(uint32_t& seq, uint32_t& len, bool rule3) const {
  if (first_rxt_pending_) return next_retransmission(seq, len, false);
  if (recovery_ == Recovery::Open || (recovery_ == Recovery::Fast && !sack_on_)) return false;
  if (rule3 && recovery_ != Recovery::Fast) return false;
  if (!can_send_in_recovery()) return false;
  return next_retransmission(seq, len, rule3);
}

}  // namespace rnicsim::tcp

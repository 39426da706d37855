// tcp::Connection, RACK-TLP (RFC 8985): the per-segment transmission records and their
// time-ordered list, RACK's update on each ACK (6.2 steps 2-3), the reordering window
// (step 4), loss detection and the reordering timer (step 5), the marks after a timeout
// (6.3); the tail loss probe: when one may be scheduled and its timeout (7.2), the probe
// itself (7.3), and the ACK that ends its episode (7.4).

#include "model/proto/tcp/connection.h"

#include <algorithm>

#include "model/proto/tcp/seq.h"

namespace rnicsim::tcp {

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

}  // namespace rnicsim::tcp

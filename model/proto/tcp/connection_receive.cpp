// tcp::Connection, receive: the window offered (RFC 9293 3.8.6.2.2: never shrunk), the
// data of an acceptable segment trimmed to RCV.NXT and the window (RFC 9293 3.10.7.4),
// out-of-order bytes held and shown to the layer above, in-order delivery draining the
// holes it fills, the FIN (RFC 9293 3.10.7.4 eighth step), and the ACKs this side owes:
// at once for an out-of-order segment or a filled hole, every second full segment,
// otherwise delayed (RFC 5681 4.2, RFC 9293 3.8.6.3), with SACK blocks (RFC 2018 4) and a
// D-SACK first for a duplicate (RFC 2883 4).

#include "model/proto/tcp/connection.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "model/proto/tcp/seq.h"

namespace rnicsim::tcp {

uint32_t Connection::full_window() const {
  return static_cast<uint32_t>(std::min<uint64_t>(cfg_.rcvbuf, uint64_t{0xFFFF} << rcv_wscale_));
}

uint32_t Connection::free_window() const {
  // Out-of-order bytes lie inside the window already offered and are not counted:
  // subtracting them would change the window field of every duplicate ACK, which then no
  // longer counts as one (RFC 5681 2, condition e). In-order bytes count while the layer
  // above holds them (held_until).
  const uint64_t free = cfg_.rcvbuf > held_bytes_ ? cfg_.rcvbuf - held_bytes_ : 0;
  if (2 * free >= cfg_.rcvbuf) return full_window();
  // Whole segments only, so the edge moves by at least an MSS (receiver SWS avoidance,
  // RFC 9293 3.8.6.2.2; Linux rounds the same way), in the window scale's unit.
  const uint64_t mss = local_mss(), unit = uint64_t{1} << rcv_wscale_;
  return static_cast<uint32_t>(std::min<uint64_t>(full_window(), free / mss * mss / unit * unit));
}

uint32_t Connection::rcv_window() const {
  // Never shrunk (RFC 9293 3.8.6.2.2): the right edge offered stays where it was.
  const uint64_t offered = rcv_adv64_ > rcv64_ ? rcv_adv64_ - rcv64_ : 0;
  return static_cast<uint32_t>(std::max<uint64_t>(free_window(), offered));
}

void Connection::deliver(ConstByteSpan data, bool& ack_hint, Duration now) {
  ack_hint |= up_.on_data(data);
  rcv_nxt_ += static_cast<uint32_t>(data.size());
  rcv64_ += data.size();
  const Duration until = up_.held_until();
  if (until <= now || data.empty()) return;
  if (!held_.empty() && held_.back().first >= until) held_.back().second += data.size();  // leaves with it
  else held_.emplace_back(until, data.size());
  held_bytes_ += data.size();
}

void Connection::release_held(Duration now) {
  while (!held_.empty() && held_.front().first <= now) {
    held_bytes_ -= held_.front().second;
    held_.pop_front();
  }
}

void Connection::arm_held() {
  held_deadline_ = !held_.empty() && free_window() < full_window() ? held_.front().first : Duration{-1};
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
    const uint64_t p = r64(seq);
    ooo_bytes_.put(p, payload);
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
  deliver(payload, ack_hint, now);
  const bool filled_hole = !ooo_.empty();
  // Drain the out-of-order ranges the segment joined.
  while (!ooo_.empty() && ooo_[0].left <= rcv64_) {
    const Range r = ooo_[0];
    if (r.right > rcv64_)
      ooo_bytes_.read(rcv64_, r.right - rcv64_, [&](ConstByteSpan piece) { deliver(piece, ack_hint, now); });
    ooo_.trim_below(rcv64_);
  }
  if (filled_hole) ooo_bytes_.release_below(rcv64_);
  if (!held_.empty()) arm_held();
  if (ooo_fin_ && rcv64_ == ooo_fin_pos_) {
    ooo_fin_ = false;
    process_fin(now);
  }
  if (ack_hint || filled_hole) {
    ack_now_ = true;  // RFC 5681 4.2: at once when a segment fills (part of) a gap
  } else {
    // ACK at least every second full-sized segment (RFC 5681 4.2; RFC 9293 3.8.6.3), as
    // Linux's __tcp_ack_snd_check counts it: at once when more than one receive MSS has
    // come since the last ACK, the receive MSS being the size the sender's segments are
    // measured to have (tcp_measure_rcv_mss), not this side's own send MSS.
    measure_rcv_mss(payload.size());
    if (cfg_.quickack) {
      // Linux's tcp_event_data_recv (after measuring the receive MSS, as it does): quick-ACK
      // mode at the first data and after the receive side was idle longer than the RTO.
      if (!rcv_started_ || (last_rcv_.ps >= 0 && now - last_rcv_ > rto())) incr_quickack();
      rcv_started_ = true;
      last_rcv_ = now;
    }
    unacked_bytes_ += payload.size();
    if (unacked_bytes_ > rcv_mss_ || quick_acks_ > 0) ack_now_ = true;
    // Linux's tcp_cleanup_rbuf: a reader that took everything queued, a short (pushed)
    // segment among it, sends the ACK now rather than at the delayed-ACK timer (ping-pong
    // mode, which would wait, needs data sent back: the host stack's streams run one way).
    if (cfg_.quickack && ack_pushed_ && held_.empty()) ack_now_ = true;
  }
  if (!ack_now_ && delack_deadline_.ps < 0) delack_deadline_ = now + cfg_.delayed_ack;
}

void Connection::incr_quickack() {
  // rcv_wnd / (2 * rcv_mss), at least 2, at most TCP_MAX_QUICKACKS (16).
  const uint64_t wnd = rcv_window();
  uint64_t q = rcv_mss_ ? wnd / (2 * uint64_t{rcv_mss_}) : 0;
  if (q == 0) q = 2;
  q = std::min<uint64_t>(q, 16);
  if (q > quick_acks_) quick_acks_ = static_cast<uint32_t>(q);
}

void Connection::measure_rcv_mss(size_t len) {
  // Linux's tcp_measure_rcv_mss: a segment at least as long as the estimate raises it (up
  // to the MSS advertised); two in a row of one shorter length, not below the default
  // 536, lower it to that length (a sender whose path MTU shrank).
  // A shorter segment that does not lower it marks the ACK owed as pushed (ICSK_ACK_PUSHED,
  // and PUSHED2 the second time): the reader that drains it then sends the ACK at once.
  const uint32_t l = static_cast<uint32_t>(len);
  const uint32_t last = last_seg_size_;
  last_seg_size_ = 0;
  if (l >= rcv_mss_) {
    rcv_mss_ = std::min(l, local_mss());
    return;
  }
  if (l >= kDefaultMss) {
    last_seg_size_ = l;
    if (l == last) {
      rcv_mss_ = l;
      return;
    }
  }
  ack_pushed_ |= (ack_pushed_ & 1) ? 3 : 1;
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

}  // namespace rnicsim::tcp

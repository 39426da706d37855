// tcp::Connection, output: what may go now and the segment built for it. New data under
// the peer's window and cwnd (RFC 5681 3; cwnd - pipe in recovery, RFC 6675 5 NextSeg rule
// 2), split at record (FPDU) boundaries and held back by sender silly-window avoidance
// (RFC 9293 3.8.6.2.1) and Nagle (RFC 9293 3.7.4, RFC 896); retransmissions (Karn, RFC
// 6298 3; the timer started, 5.1); the header with its window (RFC 7323 2.3), timestamps
// (RFC 7323 3) and ECN flags (RFC 3168 6.1); SYN options. next_output's order: RST, SYN or
// SYN-ACK, DCTCP's ACK of the old CE state (RFC 8257 3.2), a zero-window probe (RFC 9293
// 3.8.6.1), a retransmission, a tail loss probe, new data, a retransmission by NextSeg
// rule 3, the FIN, a pure ACK.

#include "model/proto/tcp/connection.h"

#include <algorithm>

#include "model/proto/tcp/seq.h"

namespace rnicsim::tcp {

using namespace wire::tcp_flags;

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
    // of data waits until it is all acknowledged or a full segment can go. Minshall's
    // variant (Linux): only while an earlier short segment is unacknowledged.
    const bool short_unacked = sml_sent_ && seq_gt(snd_sml_, snd_una_) && seq_leq(snd_sml_, snd_nxt_);
    if (!cfg_.nodelay && (!cfg_.minshall || short_unacked)) return 0;
  }
  return len;
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
  uint32_t field = (flags & kSyn) ? wnd : wnd >> rcv_wscale_;
  // The edge already offered, when it is what the window keeps, is rounded up to the
  // scale's unit so that the field does not move it left (Linux's tcp_select_window).
  const uint64_t offered = rcv_adv64_ > rcv64_ ? rcv_adv64_ - rcv64_ : 0;
  if (!(flags & kSyn) && offered > free_window() && (uint64_t{field} << rcv_wscale_) < offered) ++field;
  h.window = static_cast<uint16_t>(std::min<uint32_t>(field, 0xFFFF));
  if (!(flags & kSyn)) rcv_adv64_ = std::max(rcv_adv64_, rcv64_ + (uint64_t{h.window} << rcv_wscale_));
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
  h.opts.mss = static_cast<uint16_t>(local_mss());
  const bool synack = h.flags & kAck;
  if (synack ? rcv_wscale_ > 0 : cfg_.wscale > 0) {
    h.opts.has_wscale = true;
    h.opts.wscale = synack ? rcv_wscale_ : cfg_.wscale;
  }
  h.opts.sack_permitted = synack ? sack_on_ : cfg_.sack;
}

Outgoing Connection::emit_retransmission(uint32_t seq, uint32_t len, Duration now) {
  Outgoing out;
  const bool first = first_rxt_pending_;
  first_rxt_pending_ = false;
  if (len == 0) {
    out.hdr = base_header(kFin | kAck, seq, now);  // the FIN again
    rxt_next64_ = std::max(rxt_next64_, s64(seq) + 1);
  } else {
    const bool push = !cfg_.psh_at_end || (seq - snd_una_) + len >= sndbuf_.size();
    out.hdr = base_header(push ? kAck | kPsh : kAck, seq, now);
    out.offset = seq - snd_una_;
    out.len = len;
    rxt_next64_ = std::max(rxt_next64_, s64(seq) + len);
    stats_.bytes_tx += len;
  }
  rack_record_retransmitted(s64(seq), s64(seq) + std::max<uint32_t>(len, 1), now);
  if (rtt_timing_ && seq_geq(rtt_seq_, seq) && seq_lt(rtt_seq_, seq + std::max<uint32_t>(len, 1)))
    rtt_timing_ = false;  // Karn: a retransmitted segment is not timed
  rtt_karn_ = true;
  ++stats_.retransmits;
  ++stats_.segments_tx;
  if (recovery_ == Recovery::Loss)
    ++stats_.rto_retransmits;
  else if (sack_on_ && !first && recovery_ == Recovery::Fast)
    ++stats_.sack_retransmits;
  ack_sent();
  if (first || rto_deadline_.ps < 0) arm_rto(now);
  return out;
}

void Connection::ack_sent() {
  // A quick ACK is used only by an ACK that was owed (Linux's tcp_dec_quickack_mode counts
  // one only when an ACK was scheduled): data sent with nothing to acknowledge keeps them.
  const bool owed = ack_now_ || delack_deadline_.ps >= 0 || unacked_bytes_ > 0;
  if (quick_acks_ > 0 && owed) --quick_acks_;
  ack_now_ = false;
  delack_deadline_ = Duration{-1};
  unacked_bytes_ = 0;
  ack_pushed_ = 0;
}

Outgoing Connection::emit_new_data(size_t len, Duration now) {
  Outgoing out;
  const size_t off = snd_nxt_ - snd_una_;
  const bool push = !cfg_.psh_at_end || off + len >= sndbuf_.size();  // the end of what is queued
  out.hdr = base_header(push ? kAck | kPsh : kAck, snd_nxt_, now);
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
  if (len < emss()) {  // tcp_minshall_update
    snd_sml_ = snd_nxt_ + static_cast<uint32_t>(len);
    sml_sent_ = true;
  }
  snd_nxt_ += static_cast<uint32_t>(len);
  if (seq_gt(snd_nxt_, snd_max_)) snd_max_ = snd_nxt_;
  if (rto_deadline_.ps < 0) arm_rto(now);
  ++stats_.segments_tx;
  stats_.bytes_tx += len;
  ack_sent();
  return out;
}

Outgoing Connection::emit_ack(Duration now) {
  Outgoing out;
  out.hdr = base_header(kAck, snd_max_, now);
  fill_sack_blocks(out.hdr);
  ack_sent();
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

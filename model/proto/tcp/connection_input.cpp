// tcp::Connection, input: the steps a segment takes on arrival, by state (RFC 9293 3.10.7).
// SYN_SENT (3.10.7.3: the ACK check, RST only with an acceptable ACK, SYN-ACK to
// ESTABLISHED, a bare SYN for simultaneous open, 3.5 figure 7); SYN_RECEIVED after a
// passive open from LISTEN (a repeated SYN resends the SYN-ACK; the peer's SYN-ACK of a
// simultaneous open is trimmed to its ACK, figure 8 and 3.10.7.4); the synchronized
// states: PAWS (RFC 7323 5.3), acceptability (3.10.7.4), TS.Recent (RFC 7323 4.3), RST
// and SYN with challenge ACKs (RFC 5961 3.2 and 4.2), then the ACK, the ECN receiver
// (RFC 3168 6.1.3; DCTCP, RFC 8257 3.2), the data and the FIN, in that order.

#include "model/proto/tcp/connection.h"

#include "model/proto/tcp/seq.h"

namespace rnicsim::tcp {

using namespace wire::tcp_flags;

void Connection::on_segment(const wire::TcpHeader& h, ConstByteSpan payload, Duration now, bool ce) {
  ++stats_.segments_rx;
  if (state_ == State::Closed) return;  // the owner answers segments for no connection
  if (!held_.empty()) {
    release_held(now);
    arm_held();
  }
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
      retries_ = 0;
      first_retransmit_at_ = Duration{-1};
      rtt_on_advance(h, h.ack, now);
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
    rtt_karn_ = true;
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
          unacked_bytes_ = 0;
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

}  // namespace rnicsim::tcp

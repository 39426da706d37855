// tcp::Connection: construction, state changes and what every concern shares (EMSS, the
// data states), opening and closing: active and passive open with the SYN's options
// (RFC 9293 3.5; MSS, RFC 9293 3.7.1; window scale and timestamps, RFC 7323 2.2-2.3 and
// 3.2; SACK-permitted, RFC 2018 2; RACK needs SACK, RFC 8985 2; ECN setup, RFC 3168
// 6.1.1), the user's CLOSE and ABORT (RFC 9293 3.10.4-3.10.5), and TIME_WAIT's entry
// (2 MSL, RFC 9293 3.10.7.4). The member functions of the other concerns live in the
// connection_*.cpp files beside this one.

#include "model/proto/tcp/connection.h"

#include <algorithm>
#include <cassert>

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

uint32_t Connection::local_mss() const {
  constexpr uint32_t kIpv4TcpHeaders = 20 + 20;  // without options
  return route_ ? route_->mtu - kIpv4TcpHeaders : cfg_.mss;
}

uint32_t Connection::emss() const {
  constexpr uint32_t kIpv4TcpHeaders = 20 + 20;
  uint32_t mss = std::min<uint32_t>(peer_mss_, local_mss());
  if (path_mtu_ != 0) mss = std::min(mss, path_mtu_ - kIpv4TcpHeaders);
  return mss - (ts_on_ ? 12u : 0u);
}

void Connection::set_path_mtu(uint32_t mtu, Duration now) {
  const uint32_t before = emss();
  path_mtu_ = mtu;
  const uint32_t after = emss();
  if (after >= before || !data_state() || snd_una_ == snd_max_) return;
  // Linux's tcp_simple_retransmit: the segments longer than the new MSS are lost; the
  // window is not touched (the loss is the path's, not congestion's).
  // Without RACK's records the segments' sizes are not kept: everything in flight is resent.
  bool any = !rack_on_;
  for (uint64_t id = seg_base_; id - seg_base_ < segs_.size(); ++id) {
    SegRec& r = rec(id);
    if (r.sacked || r.lost || r.end - r.start <= after) continue;
    if (rack_on_) rack_mark_lost(id);
    any = true;
  }
  if (!any) return;
  if (recovery_ != Recovery::Loss) {
    recovery_ = Recovery::Loss;
    recover_ = snd_max_;
  }
  tlp_in_flight_ = tlp_pending_ = false;
  tlp_deadline_ = Duration{-1};
  rxt_next64_ = una64_;
  first_rxt_pending_ = true;
  dupacks_ = 0;
  arm_rto(now);
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

}  // namespace rnicsim::tcp

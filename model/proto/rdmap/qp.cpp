// The QP's states and queues: attach and close, posting, completions in work-request
// order, and the error paths (Terminate sent, flushes). Transmit is in qp_tx.cpp, receive
// in qp_rx.cpp.
#include "model/proto/rdmap/qp.h"

#include <cassert>

namespace rnicsim::rdmap {

namespace {
/// Work whose completion waits for the peer's response, not for the TCP acknowledgement.
bool awaits_response(const Wqe& w) {
  return w.opcode == wire::RdmapOpcode::RdmaReadRequest || w.opcode == wire::RdmapOpcode::AtomicRequest;
}
}  // namespace

Qp::Qp(uint32_t qpn, uint32_t pd, uint32_t sq_depth, uint32_t rq_depth, const placement::RegionTable& regions,
       Port& port, Counters& counters)
    : qpn_(qpn), pd_(pd), sq_depth_(sq_depth), rq_depth_(rq_depth), regions_(regions), port_(port), n_(counters) {}

bool Qp::active() const {
  switch (state_) {
    case QpState::Rts:
    case QpState::Closing: return true;
    case QpState::Idle:
    case QpState::Rtr:
    case QpState::Terminate:
    case QpState::Error: return false;
  }
  return false;
}

void Qp::set_state(Transition t) {
  const QpState to = target(t);
  if (state_ == to) return;
  assert(allowed(t, state_) && "QP transition from a state it does not leave");
  const QpState from = state_;
  state_ = to;
  port_.state_changed(from, to, t);
}

const Qp::TxOp* Qp::find_op(uint64_t seq) const {
  // The send queue is in seq order and loses only its front: the op is at seq - front.
  if (sq_.empty() || seq < sq_.front().seq || seq - sq_.front().seq >= sq_.size()) return nullptr;
  return &sq_[seq - sq_.front().seq];
}

bool Qp::is_work_request(wire::RdmapOpcode op) {
  const OpcodeInfo* i = opcode_info(static_cast<uint8_t>(op));
  return i && i->work_request;
}

bool Qp::attach(const MpaParams& mpa) {
  mpa_ = mpa;
  set_state(Transition::MpaDone);
  set_state(Transition::Ready);
  if (mpa.rtr == mpa::RtrType::None) return true;
  if (!mpa.rtr_initiator) {
    rtr_wait_ = true;
    return true;
  }
  // The RTR is the first FPDU of the stream (RFC 6581 s.8).
  rtr_reply_wait_ = mpa.rtr == mpa::RtrType::Read;
  const std::vector<uint8_t> u = mpa::rtr_ulpdu(mpa.rtr);
  return write_control(ConstByteSpan(u.data(), u.size()));
}

void Qp::disconnect() {
  if (state_ != QpState::Rts) return;
  set_state(Transition::Disconnect);
  try_close();
}

void Qp::fatal() {
  if (!allowed(Transition::Fatal, state_)) return;
  set_state(Transition::Fatal);
  fail_work(WcStatus::FlushError);
  flush_receives();
  port_.abort_stream();
}

void Qp::on_peer_closed() {
  if (state_ != QpState::Rts) return;
  // The peer disconnected: this side closes too once its own posted work is done (iw_cm's
  // DISCONNECT; the ULP answers with a graceful disconnect).
  set_state(Transition::PeerDisconnect);
  try_close();
}

void Qp::on_stream_closed() {
  switch (state_) {
    case QpState::Closing:
      if (sq_.empty()) {
        // A graceful close: nothing was outstanding; posted receives are flushed.
        flush_receives();
        set_state(Transition::Closed);
        return;
      }
      to_error(Transition::LlpClosed);
      return;
    case QpState::Rts: to_error(Transition::LlpClosed); return;
    case QpState::Terminate: set_state(Transition::TerminateDone); return;  // the stream is gone
    case QpState::Idle:
    case QpState::Rtr:
    case QpState::Error: return;
  }
}

void Qp::try_close() {
  // CLOSING: the work already posted runs to its end; then the stream is closed (FIN).
  if (state_ != QpState::Closing || fin_requested_ || fetching_ != 0 || !sq_.empty() || !tx_.empty() ||
      fpdus_pending_ != 0)
    return;
  fin_requested_ = true;
  port_.close_stream();
}

bool Qp::ring_doorbell() {
  if (state_ != QpState::Rts) return false;
  ++fetching_;
  return true;
}

void Qp::post_send(const Wqe& w) {
  // A work request whose doorbell rang while the QP was in RTS was posted before any
  // disconnect: it runs in CLOSING too (the work already posted completes). One that
  // rang later, or never, is flushed.
  const bool rung = fetching_ > 0;
  if (rung) --fetching_;
  post_fetched(w, rung);
}

void Qp::doorbell_fetched() {
  if (fetching_ > 0) --fetching_;
  try_close();
}

void Qp::post_fetched(const Wqe& w, bool rung) {
  if (state_ != QpState::Rts && !(rung && state_ == QpState::Closing && !fin_requested_)) {
    port_.completion(Cqe{w.wr_id, qpn_, WcStatus::FlushError, 0, wc_opcode(w)});
    return;
  }
  if (awaits_response(w) && mpa_.ord == 0) {
    // No Read or atomic may ever be outstanding (ORD 0 as negotiated): refused at once.
    port_.completion(Cqe{w.wr_id, qpn_, WcStatus::LocalQpOperationError, 0, wc_opcode(w)});
    return;
  }
  TxOp op;
  op.w = w;
  op.seq = next_seq_++;
  sq_.push_back(op);
  port_.tx_ready();
}

bool Qp::reserve_receive() {
  if (recv_slots_ >= rq_depth_) {
    ++n_.rq_overflows;
    return false;
  }
  ++recv_slots_;
  return true;
}

void Qp::post_recv(const Rqe& r) {
  if (state_ == QpState::Error || state_ == QpState::Terminate) {
    recv_completion(Cqe{r.wr_id, qpn_, WcStatus::FlushError, 0, WcOpcode::Recv});
    return;
  }
  rq_.push_back(r);
}

void Qp::recv_completion(const Cqe& c) {
  if (recv_slots_ > 0) --recv_slots_;  // its slot of the receive queue is free again
  port_.completion(c);
}

void Qp::complete() {
  if (!active()) return;
  // From the first op not yet acknowledged: an op awaiting its response is done when the
  // response lands (response_done); the rest in stream order, as far as the ACKs reach.
  if (!sq_.empty() && acked_seq_ < sq_.front().seq) acked_seq_ = sq_.front().seq;
  for (TxOp* op = find_op(acked_seq_); op; op = find_op(++acked_seq_)) {
    if (awaits_response(op->w)) continue;
    if (!op->written || op->stream_end > acked_) break;
    op->done = true;
  }
  // Completions in work-request order (RFC 5040 s.5.5 for the send queue).
  while (!sq_.empty() && sq_.front().done) {
    const TxOp op = sq_.front();
    sq_.pop_front();
    port_.completion(Cqe{op.w.wr_id, qpn_, WcStatus::Success, op.w.length, wc_opcode(op.w)});
  }
  port_.tx_ready();
  try_close();
}

void Qp::response_done(uint64_t op) {
  // The op may have been flushed meanwhile: then it is no longer in the queue.
  if (TxOp* o = find_op(op)) o->done = true;
  complete();
}

void Qp::fail_work(WcStatus first) {
  bool first_done = false;
  while (!sq_.empty()) {
    const TxOp op = sq_.front();
    sq_.pop_front();
    port_.completion(Cqe{op.w.wr_id, qpn_, first_done ? WcStatus::FlushError : first, 0, wc_opcode(op.w)});
    first_done = true;
  }
  tx_.clear();
  reads_out_.clear();
}

void Qp::flush_receives() {
  while (!rq_.empty()) {
    const uint64_t wr_id = rq_.front().wr_id;
    rq_.pop_front();
    recv_completion(Cqe{wr_id, qpn_, WcStatus::FlushError, 0, WcOpcode::Recv});
  }
}

void Qp::to_error(Transition why) {
  if (state_ == QpState::Error) return;
  // A QP in TERMINATE stays there until its stream is closed.
  if (active()) set_state(why);
  flush_and_close();
}

void Qp::flush_and_close() {
  // Flush what is still queued (RFC 5040 s.6.2.1: work completes in error), then the
  // graceful close (FIN) starts.
  fail_work(WcStatus::FlushError);
  flush_receives();
  port_.close_stream();
}

bool Qp::write_control(ConstByteSpan ulpdu) {
  // Only sent on an idle stream (at attach, by a responder that has sent nothing yet) or
  // as a Terminate, ahead of everything not yet written.
  if (port_.write_control(ulpdu)) return true;
  to_error(Transition::NoRoom);
  return false;
}

void Qp::send_terminate(wire::TermCode code, ConstByteSpan ddp_hdr, uint16_t seg_len, ConstByteSpan rdmap_hdr) {
  if (!active()) return;
  wire::TerminateMessage msg;
  msg.code = code;
  if (!ddp_hdr.empty()) {
    msg.has_ddp = true;
    msg.ddp_segment_length = seg_len;
    msg.ddp_header.assign(ddp_hdr.begin(), ddp_hdr.end());
  }
  msg.rdmap_header.assign(rdmap_hdr.begin(), rdmap_hdr.end());
  TermRecord rec;
  rec.msg = msg;
  rec.sent = true;
  term_ = rec;
  ++n_.terminates_tx;
  set_state(Transition::TerminateSent);
  // RFC 5040 s.5.4: untagged QN 2, the queue's next MSN (1: a stream carries one), MO 0, L.
  wire::DdpHeader h;
  h.last = true;
  h.opcode = static_cast<uint8_t>(wire::RdmapOpcode::Terminate);
  h.qn = wire::kQnTerminate;
  h.msn = msn_tx_.take(wire::kQnTerminate);
  h.mo = 0;
  std::vector<uint8_t> ulpdu(wire::kDdpUntaggedHeaderLen);
  wire::encode_ddp(ulpdu.data(), h);
  const std::vector<uint8_t> body = wire::encode_terminate_message(msg);
  ulpdu.insert(ulpdu.end(), body.begin(), body.end());
  write_control(ConstByteSpan(ulpdu.data(), ulpdu.size()));
  fail_work(WcStatus::FatalError);
  flush_and_close();
}

}  // namespace rnicsim::rdmap

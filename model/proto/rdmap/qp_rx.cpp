// The QP's receive path: the RFC 6581 RTR, the DDP checks (version, then tagged or
// untagged), dispatch through the opcode table, and each opcode's handler with the
// responder's checks; every failure ends in the Terminate its RFC names.
#include <array>

#include "model/common/bytes.h"
#include "model/proto/rdmap/qp.h"

namespace rnicsim::rdmap {

using wire::RdmapOpcode;

const OpcodeInfo* opcode_info(uint8_t opcode) {
  using O = RdmapOpcode;
  constexpr uint32_t T = wire::kDdpTaggedHeaderLen, U = wire::kDdpUntaggedHeaderLen;
  // opcode, tagged, QN, header bytes, work request, send, invalidate, solicited, handler
  static const OpcodeInfo kTable[] = {
      {O::RdmaWrite, true, 0, T, true, false, false, false, &Qp::on_write},
      {O::RdmaReadRequest, false, wire::kQnReadRequest, U + wire::kReadRequestLen, true, false, false, false,
       &Qp::on_read_request},
      {O::RdmaReadResponse, true, 0, T, false, false, false, false, &Qp::on_read_response},
      {O::Send, false, wire::kQnSend, U, true, true, false, false, &Qp::on_send},
      {O::SendWithInvalidate, false, wire::kQnSend, U, true, true, true, false, &Qp::on_send},
      {O::SendWithSe, false, wire::kQnSend, U, true, true, false, true, &Qp::on_send},
      {O::SendWithSeInvalidate, false, wire::kQnSend, U, true, true, true, true, &Qp::on_send},
      {O::Terminate, false, wire::kQnTerminate, U + wire::kTerminateHeaderLen, false, false, false, false,
       &Qp::on_terminate},
      {O::AtomicRequest, false, wire::kQnAtomicRequest, U + wire::kAtomicRequestLen, true, false, false, false,
       &Qp::on_atomic_request},
      {O::AtomicResponse, false, wire::kQnAtomicResponse, U + wire::kAtomicResponseLen, false, false, false, false,
       &Qp::on_atomic_response},
  };
  static const std::array<const OpcodeInfo*, 16> kByOpcode = [] {
    std::array<const OpcodeInfo*, 16> a{};
    for (const OpcodeInfo& e : kTable) a[static_cast<uint8_t>(e.opcode)] = &e;
    return a;
  }();
  return opcode < kByOpcode.size() ? kByOpcode[opcode] : nullptr;
}

bool Qp::on_fpdu(ConstByteSpan ulpdu, mpa::FpduStatus st) {
  if (rtr_hook(ulpdu, st)) return false;
  return receive(ulpdu, st);
}

bool Qp::rtr_hook(ConstByteSpan ulpdu, mpa::FpduStatus st) {
  if (st != mpa::FpduStatus::Ok) {
    llp_error_ = mpa::llp_error_code(st);
    return false;
  }
  if (!rtr_wait_ && !rtr_reply_wait_) return false;
  ++n_.fpdus_rx;
  const bool ok = rtr_wait_ ? mpa::is_rtr(mpa_.rtr, ulpdu) : mpa::is_rtr_read_response(ulpdu);
  if (!ok) {
    llp_error_ = mpa::llp_code::kNoMatchingRtr;
    rtr_wait_ = rtr_reply_wait_ = false;
    send_terminate(wire::term::MpaNoMatchingRtr);
    return true;
  }
  if (rtr_reply_wait_) {
    rtr_reply_wait_ = false;
    return true;
  }
  rtr_wait_ = false;
  if (mpa_.rtr == mpa::RtrType::Read) {
    const std::vector<uint8_t> resp = mpa::rtr_read_response(ulpdu);
    if (!write_control(ConstByteSpan(resp.data(), resp.size()))) return true;
  }
  port_.tx_ready();
  return true;
}

bool Qp::receive(ConstByteSpan ulpdu, mpa::FpduStatus st) {
  if (!active()) return false;
  ++n_.fpdus_rx;
  if (st != mpa::FpduStatus::Ok) {
    // An LLP error: the stream can no longer be trusted (RFC 5044 s.8); no header attached.
    if (st == mpa::FpduStatus::CrcError) ++n_.crc_errors;
    send_terminate(st == mpa::FpduStatus::CrcError ? wire::term::MpaCrcError : wire::term::MpaMarkerMismatch);
    return false;
  }
  auto d = wire::decode_ddp(ulpdu.data(), ulpdu.size());
  if (!d) {
    send_terminate(wire::term::RdmapCatastrophicStream);
    return false;
  }
  const wire::DdpHeader& h = d.value;
  const Segment s{h, ulpdu.subspan(0, d.length), ulpdu.subspan(d.length)};
  if (const auto bad = ddp::check_version(h)) {
    send_terminate(*bad, s);
    return false;
  }
  if (h.rdmap_version != wire::kRdmapVersion) {
    send_terminate(wire::term::RdmapBadVersion, s);
    return false;
  }
  if (h.tagged) {
    const OpcodeInfo* info = opcode_info(h.opcode);
    if (info && info->tagged)
      (this->*info->rx)(s);
    else
      send_terminate(wire::term::RdmapUnexpectedOpcode, s);
  } else {
    on_untagged(s);
  }
  return h.last;
}

void Qp::on_untagged(const Segment& s) {
  if (s.h.qn >= ddp::kQueues) {
    send_terminate(wire::term::DdpUntaggedInvalidQn, s);
    return;
  }
  // The opcode must belong to its queue (RFC 5040 s.5.1).
  const OpcodeInfo* info = opcode_info(s.h.opcode);
  if (!info || info->tagged || info->qn != s.h.qn) {
    send_terminate(wire::term::RdmapUnexpectedOpcode, s);
    return;
  }
  (this->*info->rx)(s);
}

bool Qp::accept_untagged(const Segment& s, const ddp::UntaggedBuffers& b) {
  const auto v = ddp::check_untagged(s.h, s.payload.size(), rxq_[s.h.qn], b);
  if (!v.ok) send_terminate(v.error, s);
  return v.ok;
}

void Qp::on_write(const Segment& s) {
  const ddp::TaggedVerdict v = port_.place(pd_, s.h.stag, s.h.to, s.payload, placement::TaggedUse::WriteSink);
  if (!v.ok()) {
    send_terminate(v.error, s);
    return;
  }
  // The message's extent, for its owner: the payload of its segments since the last one
  // that ended a Write (RFC 5040 s.5: a message's segments are sent in order).
  if (write_bytes_ > 0 && s.h.stag != write_stag_) write_mixed_ = true;
  write_stag_ = s.h.stag;
  write_bytes_ += s.payload.size();
  if (s.h.last) {
    port_.write_placed(s.h.stag, s.h.to + s.payload.size(), write_mixed_ ? 0 : write_bytes_);
    write_bytes_ = 0;
    write_mixed_ = false;
  }
}

void Qp::on_read_response(const Segment& s) {
  // Responses come back in request order: the oldest outstanding must be a Read.
  const TxOp* op = reads_out_.empty() ? nullptr : find_op(reads_out_.front());
  if (!op || op->w.opcode != RdmapOpcode::RdmaReadRequest) {
    send_terminate(wire::term::RdmapUnexpectedOpcode, s);
    return;
  }
  const uint64_t seq = op->seq;
  const ddp::TaggedVerdict v =
      port_.place(pd_, s.h.stag, s.h.to, s.payload, placement::TaggedUse::ReadResponseSink);
  if (!v.ok()) {
    send_terminate(v.error, s);
    return;
  }
  if (s.h.last) {
    // The Read completes when its last response byte is placed.
    reads_out_.pop_front();
    port_.response_landed(seq);
  }
}

void Qp::on_send(const Segment& s) {
  const wire::DdpHeader& h = s.h;
  ddp::UntaggedBuffers b;
  b.available = static_cast<uint32_t>(rq_.size());
  if (!rq_.empty()) b.length = rq_.front().length();
  if (!accept_untagged(s, b)) return;  // an empty receive queue: DDP 1/2/0x02, no buffer
  const OpcodeInfo& info = *opcode_info(h.opcode);
  if (info.invalidate && h.mo == 0) {
    // RFC 5040 s.6.6: the STag to invalidate must be valid and of this QP's PD, before
    // anything of the message is placed (protocol-facts.md: 0/1/0x09).
    const placement::Region* r = regions_.find(h.stag);
    if (!r || r->key != placement::stag_key(h.stag) || r->invalidated || r->pd != pd_) {
      send_terminate(wire::term::RdmapProtStagCannotInvalidate, s);
      return;
    }
  }
  ddp::advance(rxq_[wire::kQnSend], h, s.payload.size());
  // Scatter the payload into the receive buffer's list at offset MO.
  const Rqe& rqe = rq_.front();
  uint64_t skip = h.mo, done = 0;
  for (const Sge& g : rqe.sgl) {
    if (done == s.payload.size()) break;
    if (skip >= g.length) {
      skip -= g.length;
      continue;
    }
    const uint64_t n = std::min<uint64_t>(g.length - skip, s.payload.size() - done);
    port_.write_host(*g.buf, g.va + skip, s.payload.data() + done, n);
    done += n;
    skip = 0;
  }
  n_.untagged_bytes_placed += s.payload.size();
  if (!h.last) return;
  Cqe c{rqe.wr_id, qpn_, WcStatus::Success, uint64_t{h.mo} + s.payload.size(), WcOpcode::Recv};
  c.solicited = info.solicited;
  if (info.invalidate) {
    port_.invalidate(h.stag);
    c.invalidated_stag = h.stag;
  }
  rq_.pop_front();
  recv_completion(c);
}

void Qp::on_read_request(const Segment& s) {
  ++n_.read_requests_rx;
  ddp::UntaggedBuffers b;
  b.available = reads_in_ < mpa_.ird ? mpa_.ird - reads_in_ : 0;  // IRD full: no buffer
  b.length = wire::kReadRequestLen;
  if (!accept_untagged(s, b)) return;
  auto rr = wire::decode_read_request(s.payload.data(), s.payload.size());
  if (!rr || !s.h.last) {
    send_terminate(wire::term::RdmapCatastrophicStream, s);
    return;
  }
  ddp::advance(rxq_[wire::kQnReadRequest], s.h, s.payload.size());
  const wire::ReadRequest& r = rr.value;
  // The source is checked here, by the responder, in the protocol-facts order.
  const ddp::TaggedVerdict v =
      ddp::check_tagged(regions_, r.src_stag, r.src_to, r.size, pd_, placement::TaggedUse::ReadSource);
  if (!v.ok()) {
    send_terminate(v.error, s.hdr, s.length(), s.payload.subspan(0, wire::kReadRequestLen));
    return;
  }
  ++reads_in_;
  // The Read Response is the responder's own work: no host involvement.
  TxMsg m;
  m.hdr.tagged = true;
  m.hdr.opcode = static_cast<uint8_t>(RdmapOpcode::RdmaReadResponse);
  m.hdr.stag = r.sink_stag;
  m.hdr.to = r.sink_to;
  m.src_stag = r.src_stag;
  m.src_va = r.src_to;
  m.length = r.size;
  m.kind = TxFpdu::Kind::ReadResponse;
  tx_.push_back(std::move(m));
  port_.tx_ready();
}

void Qp::on_atomic_request(const Segment& s) {
  ++n_.atomic_requests_rx;
  // Atomics share the IRD with Reads (RFC 7306); each is one whole segment.
  ddp::UntaggedBuffers b;
  b.available = reads_in_ < mpa_.ird ? mpa_.ird - reads_in_ : 0;
  b.length = wire::kAtomicRequestLen;
  if (!accept_untagged(s, b)) return;
  auto ar = wire::decode_atomic_request(s.payload.data(), s.payload.size());
  if (!ar || !s.h.last) {
    send_terminate(wire::term::RdmapCatastrophicStream, s);
    return;
  }
  ddp::advance(rxq_[wire::kQnAtomicRequest], s.h, s.payload.size());
  const wire::AtomicRequest& r = ar.value;
  // A request this responder cannot run (an AOpCode it does not know, reserved bits set,
  // a target not 8-byte aligned) is a remote operation error (docs/iwarp.md).
  const bool known = r.aop == static_cast<uint8_t>(wire::AtomicOp::FetchAdd) ||
                     r.aop == static_cast<uint8_t>(wire::AtomicOp::CmpSwap);
  if (!known || r.reserved != 0 || r.to % 8 != 0) {
    send_terminate(wire::term::RdmapOpUnspecified, s);
    return;
  }
  // The target is checked like a Read's source, with the remote atomic right.
  const ddp::TaggedVerdict v = ddp::check_tagged(regions_, r.stag, r.to, 8, pd_, placement::access::kRemoteAtomic,
                                                 placement::TaggedUse::ReadSource);
  if (!v.ok()) {
    send_terminate(v.error, s);
    return;
  }
  ++reads_in_;
  const OpcodeInfo& info = opcode_info(RdmapOpcode::AtomicResponse);
  TxMsg m;
  m.hdr.opcode = static_cast<uint8_t>(RdmapOpcode::AtomicResponse);
  m.hdr.qn = info.qn;
  m.hdr.msn = msn_tx_.take(info.qn);
  m.body.resize(info.hdr_len - wire::kDdpUntaggedHeaderLen);  // made when the response is issued
  m.kind = TxFpdu::Kind::AtomicResponse;
  m.atomic = r;
  tx_.push_back(std::move(m));
  port_.tx_ready();
}

void Qp::on_atomic_response(const Segment& s) {
  // Responses come back in request order: the oldest outstanding must be this atomic.
  const TxOp* op = reads_out_.empty() ? nullptr : find_op(reads_out_.front());
  if (!op || op->w.opcode != RdmapOpcode::AtomicRequest) {
    send_terminate(wire::term::RdmapUnexpectedOpcode, s);
    return;
  }
  if (!accept_untagged(s, ddp::UntaggedBuffers{1, wire::kAtomicResponseLen})) return;
  auto resp = wire::decode_atomic_response(s.payload.data(), s.payload.size());
  if (!resp || !s.h.last || resp.value.request_id != op->request_id) {
    send_terminate(wire::term::RdmapOpUnspecified, s);
    return;
  }
  ddp::advance(rxq_[wire::kQnAtomicResponse], s.h, s.payload.size());
  reads_out_.pop_front();
  // The original value lands in the initiator's buffer (little-endian host memory); the
  // atomic completes when it is there.
  uint8_t bytes[8];
  store_le64(bytes, resp.value.original);
  port_.write_host(*op->w.local, op->w.local_va, bytes, 8);
  port_.response_landed(op->seq);
}

void Qp::on_terminate(const Segment& s) {
  // Terminate: one buffer, whole in one segment.
  const ddp::UntaggedBuffers b{1, wire::kTerminateHeaderLen + 2 + wire::kDdpUntaggedHeaderLen + wire::kReadRequestLen};
  if (!accept_untagged(s, b)) return;
  ddp::advance(rxq_[wire::kQnTerminate], s.h, s.payload.size());
  auto t = wire::decode_terminate_message(s.payload.data(), s.payload.size());
  ++n_.terminates_rx;
  TermRecord rec;
  rec.sent = false;
  if (t) rec.msg = t.value;
  term_ = rec;
  set_state(Transition::TerminateReceived);
  fail_work(status_of(rec.msg.code));
  // The peer closes the stream after its Terminate; this side closes too.
  flush_and_close();
}

bool Qp::may_place_early() const { return active() && mpa_.crc && !rtr_wait_ && !rtr_reply_wait_; }

std::optional<EarlyPlacement> Qp::early_placement(ConstByteSpan ulpdu) const {
  auto d = wire::decode_ddp(ulpdu.data(), ulpdu.size());
  if (!d) return std::nullopt;
  const wire::DdpHeader& h = d.value;
  if (!h.tagged || h.ddp_version != wire::kDdpVersion || h.rdmap_version != wire::kRdmapVersion) return std::nullopt;
  EarlyPlacement e;
  if (h.opcode == static_cast<uint8_t>(RdmapOpcode::RdmaWrite)) {
    e.use = placement::TaggedUse::WriteSink;
  } else if (h.opcode == static_cast<uint8_t>(RdmapOpcode::RdmaReadResponse) && !reads_out_.empty() &&
             find_op(reads_out_.front())->w.opcode == RdmapOpcode::RdmaReadRequest) {
    e.use = placement::TaggedUse::ReadResponseSink;
  } else {
    return std::nullopt;  // anything else waits for its turn in the stream
  }
  e.stag = h.stag;
  e.to = h.to;
  e.payload = ulpdu.subspan(d.length);
  // A segment that fails a check places nothing; the in-order pass sends its Terminate.
  if (!ddp::check_tagged(regions_, e.stag, e.to, e.payload.size(), pd_, e.use).ok()) return std::nullopt;
  return e;
}

}  // namespace rnicsim::rdmap

// The QP's transmit queue: work requests become messages in order (ORD and the read fence
// hold Reads and atomics back), and each message is cut into FPDUs of at most MULPDU ULPDU
// bytes, the same MSN on every segment, L on the last, TO or MO advancing by the payload
// sent before (RFC 5041 s.5).
#include <algorithm>

#include "model/proto/rdmap/qp.h"

namespace rnicsim::rdmap {

using wire::RdmapOpcode;

bool Qp::issue_work() {
  if (!active() || rtr_wait_) return false;
  if (!sq_.empty() && issue_seq_ < sq_.front().seq) issue_seq_ = sq_.front().seq;
  for (TxOp* next = find_op(issue_seq_); next; next = find_op(issue_seq_)) {
    TxOp& op = *next;
    const OpcodeInfo& info = opcode_info(op.w.opcode);
    const bool read = op.w.opcode == RdmapOpcode::RdmaReadRequest;
    const bool atomic = op.w.opcode == RdmapOpcode::AtomicRequest;
    if ((read || atomic) && (reads_out_.size() >= mpa_.ord || (op.w.fence && !reads_out_.empty()))) break;
    op.issued = true;
    ++issue_seq_;
    TxMsg m;
    m.op = op.seq;
    m.hdr.opcode = static_cast<uint8_t>(op.w.opcode);
    m.hdr.tagged = info.tagged;
    m.body.resize(info.hdr_len - wire::ddp_header_length(info.tagged));
    if (info.tagged) {  // an RDMA Write: to the sink the peer advertised
      m.hdr.stag = op.w.rkey;
      m.hdr.to = op.w.remote_va;
      m.buf = op.w.local;
      m.inline_data = op.w.inline_data;
      m.src_va = op.w.inline_data ? 0 : op.w.local_va;
      m.length = op.w.length;
    } else if (read) {
      m.hdr.qn = info.qn;
      m.hdr.msn = msn_tx_.take(info.qn);
      wire::ReadRequest rr;
      rr.sink_stag = op.w.local_stag;
      rr.sink_to = op.w.local_va;
      rr.size = static_cast<uint32_t>(op.w.length);
      rr.src_stag = op.w.rkey;
      rr.src_to = op.w.remote_va;
      wire::encode_read_request(m.body.data(), rr);
      reads_out_.push_back(op.seq);
    } else if (atomic) {
      m.hdr.qn = info.qn;
      m.hdr.msn = msn_tx_.take(info.qn);
      wire::AtomicRequest ar;
      ar.aop = static_cast<uint8_t>(op.w.atomic_op);
      ar.request_id = op.request_id = next_request_id_++;
      ar.stag = op.w.rkey;
      ar.to = op.w.remote_va;
      ar.add_swap = op.w.atomic_operand;
      if (op.w.atomic_op == wire::AtomicOp::CmpSwap) {
        // The verbs compare-and-swap: every bit compared, every bit swapped.
        ar.add_swap_mask = ~uint64_t{0};
        ar.compare = op.w.atomic_compare;
        ar.compare_mask = ~uint64_t{0};
      }
      wire::encode_atomic_request(m.body.data(), ar);
      reads_out_.push_back(op.seq);
    } else {  // a Send
      m.hdr.qn = info.qn;
      m.hdr.msn = msn_tx_.take(info.qn);
      m.hdr.stag = info.invalidate ? op.w.invalidate_stag : 0;
      m.buf = op.w.local;
      m.inline_data = op.w.inline_data;
      m.src_va = op.w.inline_data ? 0 : op.w.local_va;
      m.length = op.w.length;
    }
    tx_.push_back(std::move(m));
  }
  return true;
}

bool Qp::next_fpdu(uint32_t mulpdu, uint64_t room, TxFpdu& out) {
  if (tx_.empty()) return false;
  TxMsg& m = tx_.front();
  const size_t dlen = wire::ddp_header_length(m.hdr.tagged);
  const size_t hlen = dlen + m.body.size();
  const uint64_t max_payload = mulpdu - hlen;
  const uint64_t offset = m.issued;
  const auto len = static_cast<uint32_t>(std::min<uint64_t>(m.length - offset, max_payload));
  size_t fpdu = mpa::fpdu_stream_length(hlen + len);
  // With markers the FPDU's place in the stream is known only when it is written: reserve
  // for the worst alignment.
  if (mpa_.markers_tx) fpdu += mpa::kMarkerLen * mpa::markers_max(fpdu);
  if (room < fpdu) return false;  // wait for ACKs
  m.issued += len;
  const bool last = m.issued == m.length;
  wire::DdpHeader h = m.hdr;
  h.last = last;
  if (h.tagged)
    h.to = m.hdr.to + offset;
  else
    h.mo = static_cast<uint32_t>(offset);
  out = TxFpdu{};
  wire::encode_ddp(out.hdr.data(), h);
  if (m.kind == TxFpdu::Kind::AtomicResponse) {
    // The operation runs now, after every earlier Read Response was issued (RFC 7306:
    // atomics and Reads are answered in order).
    wire::AtomicResponse resp;
    resp.request_id = m.atomic.request_id;
    resp.original = port_.run_atomic(m.atomic);
    wire::encode_atomic_response(m.body.data(), resp);
  }
  std::copy(m.body.begin(), m.body.end(), out.hdr.begin() + static_cast<std::ptrdiff_t>(dlen));
  out.hdr_len = static_cast<uint32_t>(hlen);
  out.buf = m.buf;
  out.src_stag = m.src_stag;
  out.inline_data = m.inline_data;
  out.va = m.src_va + offset;
  out.len = len;
  out.reserve = fpdu;
  out.last = last;
  out.kind = m.kind;
  out.op = m.op;
  if (last) tx_.pop_front();
  ++fpdus_pending_;
  return true;
}

void Qp::fpdu_written(const TxFpdu& f, uint64_t stream_end) {
  --fpdus_pending_;
  if (!f.last) return;
  if (f.kind != TxFpdu::Kind::Request && reads_in_ > 0) --reads_in_;  // the IRD slot is free again
  if (TxOp* op = f.op ? find_op(f.op) : nullptr) {
    op->written = true;
    op->stream_end = stream_end;
  }
}

}  // namespace rnicsim::rdmap

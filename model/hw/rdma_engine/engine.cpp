#include "model/hw/rdma_engine/engine.h"

#include <array>

#include <algorithm>

#include "model/common/bytes.h"
#include "model/wire/mpa.h"

namespace rnicsim::hw {

using wire::RdmapOpcode;

const char* to_string(QpState s) {
  switch (s) {
    case QpState::Idle: return "idle";
    case QpState::Rtr: return "rtr";
    case QpState::Rts: return "rts";
    case QpState::Closing: return "closing";
    case QpState::Terminate: return "terminate";
    case QpState::Error: return "error";
  }
  return "?";
}

const char* to_string(WcStatus s) {
  switch (s) {
    case WcStatus::Success: return "success";
    case WcStatus::LocalProtectionError: return "local_protection_error";
    case WcStatus::LocalQpOperationError: return "local_qp_operation_error";
    case WcStatus::RemoteAccessError: return "remote_access_error";
    case WcStatus::RemoteOperationError: return "remote_operation_error";
    case WcStatus::RemoteInvalidRequest: return "remote_invalid_request";
    case WcStatus::FatalError: return "fatal_error";
    case WcStatus::FlushError: return "flush_error";
  }
  return "?";
}

const char* to_string(WcOpcode o) {
  switch (o) {
    case WcOpcode::RdmaWrite: return "rdma_write";
    case WcOpcode::RdmaRead: return "rdma_read";
    case WcOpcode::Send: return "send";
    case WcOpcode::Recv: return "recv";
    case WcOpcode::FetchAdd: return "fetch_add";
    case WcOpcode::CmpSwap: return "cmp_swap";
  }
  return "?";
}

namespace {

bool is_send(uint8_t op) {
  return op == static_cast<uint8_t>(RdmapOpcode::Send) || op == static_cast<uint8_t>(RdmapOpcode::SendWithInvalidate) ||
         op == static_cast<uint8_t>(RdmapOpcode::SendWithSe) ||
         op == static_cast<uint8_t>(RdmapOpcode::SendWithSeInvalidate);
}
bool with_invalidate(uint8_t op) {
  return op == static_cast<uint8_t>(RdmapOpcode::SendWithInvalidate) ||
         op == static_cast<uint8_t>(RdmapOpcode::SendWithSeInvalidate);
}
bool with_se(uint8_t op) {
  return op == static_cast<uint8_t>(RdmapOpcode::SendWithSe) ||
         op == static_cast<uint8_t>(RdmapOpcode::SendWithSeInvalidate);
}
WcOpcode wc_opcode(const Wqe& w) {
  switch (w.opcode) {
    case RdmapOpcode::RdmaWrite: return WcOpcode::RdmaWrite;
    case RdmapOpcode::RdmaReadRequest: return WcOpcode::RdmaRead;
    case RdmapOpcode::RdmaReadResponse:
    case RdmapOpcode::Send:
    case RdmapOpcode::SendWithInvalidate:
    case RdmapOpcode::SendWithSe:
    case RdmapOpcode::SendWithSeInvalidate:
    case RdmapOpcode::AtomicRequest:
      return w.atomic_op == wire::AtomicOp::CmpSwap ? WcOpcode::CmpSwap : WcOpcode::FetchAdd;
    case RdmapOpcode::Terminate:
    case RdmapOpcode::AtomicResponse: return WcOpcode::Send;
  }
  return WcOpcode::Send;
}
/// Work whose completion waits for the peer's response, not for the TCP acknowledgement.
bool awaits_response(const Wqe& w) {
  return w.opcode == RdmapOpcode::RdmaReadRequest || w.opcode == RdmapOpcode::AtomicRequest;
}
/// RTS or CLOSING: the stream carries data both ways and work in progress completes.
bool active_state(QpState s) { return s == QpState::Rts || s == QpState::Closing; }

/// The status the initiator's work gets from a Terminate the peer sent.
WcStatus status_of(wire::TermCode c) {
  if (c.layer == wire::term::kLayerRdmap && c.etype == 1) return WcStatus::RemoteAccessError;
  if (c.layer == wire::term::kLayerDdp && c.etype == 1) return WcStatus::RemoteAccessError;
  if (c.layer == wire::term::kLayerDdp && c.etype == 2) return WcStatus::RemoteInvalidRequest;
  return WcStatus::RemoteOperationError;
}

}  // namespace

RdmaEngine::RdmaEngine(sc_core::sc_module_name name, const EngineConfig& cfg, Toe& toe, Dma& dma,
                       PlacementUnit& placement, host::HostMemory& mem)
    : sc_module(name), cfg_(cfg), toe_(toe), dma_(dma), placement_(placement), mem_(mem),
      agenda_(basename()) {}

uint32_t RdmaEngine::create_qp(uint32_t pd, uint32_t sq_depth) {
  auto qp = std::make_unique<Qp>();
  qp->qpn = static_cast<uint32_t>(qps_.size());
  qp->pd = pd;
  qp->sq_depth = sq_depth;
  qps_.push_back(std::move(qp));
  return qps_.back()->qpn;
}

bool RdmaEngine::active(const Qp& qp) { return active_state(qp.state); }

void RdmaEngine::set_state(Qp& qp, QpState to) {
  if (qp.state == to) return;
  const QpState from = qp.state;
  qp.state = to;
  if (qp_event_sink_) qp_event_sink_(qp.qpn, from, to);
}

void RdmaEngine::disconnect(uint32_t qpn) {
  // The verbs call reaches the RNIC like a doorbell.
  agenda_.after(cfg_.doorbell_latency, [this, qpn] {
    Qp& qp = *qps_[qpn];
    if (qp.state != QpState::Rts) return;
    set_state(qp, QpState::Closing);
    try_close(qp);
  });
}

void RdmaEngine::try_close(Qp& qp) {
  // CLOSING: the work already posted runs to its end; then the stream is closed (FIN).
  if (qp.state != QpState::Closing || qp.fin_requested || !qp.sq.empty() || !qp.tx.empty() || qp.reserved != 0)
    return;
  qp.fin_requested = true;
  toe_.close(qp.conn);
}

void RdmaEngine::attach(uint32_t qpn, uint32_t conn, const MpaParams& mpa,
                        std::vector<uint8_t> leftover) {
  Qp& qp = *qps_[qpn];
  qp.conn = conn;
  qp.mpa = mpa;
  set_state(qp, QpState::Rtr);  // MPA done: the QP may receive ...
  set_state(qp, QpState::Rts);  // ... and send (an RFC 6581 RTR, if any, is the first FPDU)
  if (qp_of_conn_.size() <= conn) qp_of_conn_.resize(conn + 1, UINT32_MAX);
  qp_of_conn_[conn] = qpn;
  Qp* q = &qp;
  qp.deframer = std::make_unique<mpa::Deframer>(
      mpa.crc,
      [this, q](ConstByteSpan u, mpa::FpduStatus st) {
        q->cur_fpdu = q->deframer->fpdu_start();
        if (!rtr_hook(*q, u, st)) on_fpdu(*q, u, st);
      },
      mpa.markers_rx);
  {
    tcp::Connection& c = toe_.conn(conn);
    qp.tx_s0 = c.bytes_acked() + c.send_buffer().size();  // markers count from here
    qp.rx_s0 = c.bytes_received() - leftover.size();      // the leftover bytes begin at S0
  }
  toe_.set_client(conn, this);
  if (mpa.rtr != mpa::RtrType::None) {
    if (mpa.rtr_initiator) {
      // The RTR is the first FPDU of the stream (RFC 6581 s.8).
      qp.rtr_reply_wait = mpa.rtr == mpa::RtrType::Read;
      if (!write_control(qp, mpa::rtr_ulpdu(mpa.rtr))) return;
    } else {
      qp.rtr_wait = true;
    }
  }
  if (!leftover.empty()) {
    qp.deframer->feed(ConstByteSpan(leftover.data(), leftover.size()));
  }
  tx_pump(qp);
}

void RdmaEngine::emit(Qp& qp, const Cqe& c, Duration when) {
  ++stats_.cqes;
  Cqe cqe = c;
  cqe.qpn = qp.qpn;
  agenda_.at(std::max(when, sim_now()), [this, cqe] {
    if (cqe_sink_) cqe_sink_(cqe);
  });
}

void RdmaEngine::post_send(uint32_t qpn, const Wqe& w) {
  // Doorbell (MMIO write) reaches the RNIC, then the WQE is fetched from host memory.
  agenda_.after(cfg_.doorbell_latency, [this, qpn, w] {
    const Duration fetched = dma_.read(cfg_.wqe_size);
    agenda_.at(fetched, [this, qpn, w] {
      Qp& qp = *qps_[qpn];
      ++stats_.wqes;
      if (qp.state != QpState::Rts) {
        emit(qp, Cqe{w.wr_id, qpn, WcStatus::FlushError, 0, wc_opcode(w)}, sim_now());
        return;
      }
      if (awaits_response(w) && qp.mpa.ord == 0) {
        // No Read or atomic may ever be outstanding (ORD 0 as negotiated): refused at once.
        emit(qp, Cqe{w.wr_id, qpn, WcStatus::LocalQpOperationError, 0, wc_opcode(w)}, sim_now());
        return;
      }
      qp.sq.push_back(TxOp{w});
      tx_pump(qp);
    });
  });
}

void RdmaEngine::post_recv(uint32_t qpn, const Rqe& r) {
  agenda_.after(cfg_.doorbell_latency, [this, qpn, r] {
    Qp& qp = *qps_[qpn];
    if (qp.state == QpState::Error || qp.state == QpState::Terminate) {
      emit(qp, Cqe{r.wr_id, qpn, WcStatus::FlushError, 0, WcOpcode::Recv}, sim_now());
      return;
    }
    qp.rq.push_back(r);
  });
}

void RdmaEngine::tx_pump(Qp& qp) {
  if (!active(qp) || qp.rtr_wait) return;
  // Hand fetched work requests to the transmit queue, in order; a Read waits for a free
  // ORD slot, a fenced Read for every earlier Read to complete.
  for (TxOp& op : qp.sq) {
    if (op.issued) continue;
    const bool read = op.w.opcode == RdmapOpcode::RdmaReadRequest;
    const bool atomic = op.w.opcode == RdmapOpcode::AtomicRequest;
    if ((read || atomic) && (qp.reads_out.size() >= qp.mpa.ord || (op.w.fence && !qp.reads_out.empty()))) break;
    op.issued = true;
    TxMsg m;
    m.op = &op;
    m.hdr.opcode = static_cast<uint8_t>(op.w.opcode);
    if (op.w.opcode == RdmapOpcode::RdmaWrite) {
      m.hdr.tagged = true;
      m.hdr.stag = op.w.rkey;
      m.hdr.to = op.w.remote_va;
      m.buf = op.w.local;
      m.src_va = op.w.local_va;
      m.length = op.w.length;
    } else if (read) {
      m.hdr.qn = wire::kQnReadRequest;
      m.hdr.msn = qp.msn_tx[wire::kQnReadRequest]++;
      wire::ReadRequest rr;
      rr.sink_stag = op.w.local_stag;
      rr.sink_to = op.w.local_va;
      rr.size = static_cast<uint32_t>(op.w.length);
      rr.src_stag = op.w.rkey;
      rr.src_to = op.w.remote_va;
      m.body.resize(wire::kReadRequestLen);
      wire::encode_read_request(m.body.data(), rr);
      qp.reads_out.push_back(&op);
    } else if (atomic) {
      m.hdr.qn = wire::kQnAtomicRequest;
      m.hdr.msn = qp.msn_tx[wire::kQnAtomicRequest]++;
      wire::AtomicRequest ar;
      ar.aop = static_cast<uint8_t>(op.w.atomic_op);
      ar.request_id = op.request_id = qp.next_request_id++;
      ar.stag = op.w.rkey;
      ar.to = op.w.remote_va;
      ar.add_swap = op.w.atomic_operand;
      if (op.w.atomic_op == wire::AtomicOp::CmpSwap) {
        // The verbs compare-and-swap: every bit compared, every bit swapped.
        ar.add_swap_mask = ~uint64_t{0};
        ar.compare = op.w.atomic_compare;
        ar.compare_mask = ~uint64_t{0};
      }
      m.body.resize(wire::kAtomicRequestLen);
      wire::encode_atomic_request(m.body.data(), ar);
      qp.reads_out.push_back(&op);
    } else {
      m.hdr.qn = wire::kQnSend;
      m.hdr.msn = qp.msn_tx[wire::kQnSend]++;
      m.hdr.stag = with_invalidate(m.hdr.opcode) ? op.w.invalidate_stag : 0;
      m.buf = op.w.local;
      m.src_va = op.w.local_va;
      m.length = op.w.length;
    }
    qp.tx.push_back(std::move(m));
  }

  tcp::Connection& c = toe_.conn(qp.conn);
  const uint32_t mulpdu = wire::mpa_mulpdu(c.emss(), qp.mpa.markers_tx);
  while (!qp.tx.empty()) {
    TxMsg& m = qp.tx.front();
    const size_t dlen = wire::ddp_header_length(m.hdr.tagged);
    const size_t hlen = dlen + m.body.size();  // the body is a request's or an Atomic Response's, or empty
    const uint64_t max_payload = mulpdu - hlen;
    const uint64_t offset = m.issued;
    const uint32_t len = static_cast<uint32_t>(std::min<uint64_t>(m.length - offset, max_payload));
    size_t fpdu = mpa::fpdu_stream_length(hlen + len);
    // With markers the FPDU's place in the stream is known when it is written: reserve for
    // the worst alignment.
    if (qp.mpa.markers_tx) fpdu += mpa::kMarkerLen * mpa::markers_max(fpdu);
    if (c.send_buffer().space() < qp.reserved + fpdu) return;  // wait for ACKs
    qp.reserved += fpdu;
    m.issued += len;
    const bool last = m.issued == m.length;
    // The segment's header: L on the last; TO or MO advance by the payload sent before.
    wire::DdpHeader h = m.hdr;
    h.last = last;
    if (h.tagged)
      h.to = m.hdr.to + offset;
    else
      h.mo = static_cast<uint32_t>(offset);
    // The header travels with the FPDU to its DMA completion: a fixed array, no allocation.
    std::array<uint8_t, wire::kDdpUntaggedHeaderLen + std::max(wire::kReadRequestLen, wire::kAtomicRequestLen)> hdr{};
    wire::encode_ddp(hdr.data(), h);
    Duration atomic_read{};
    if (m.is_atomic_response) {
      // The operation runs now, after every earlier Read Response was issued (RFC 7306:
      // atomics and Reads are answered in order).
      wire::AtomicResponse resp;
      resp.request_id = m.atomic.request_id;
      resp.original = run_atomic(m.atomic, atomic_read);
      m.body.resize(wire::kAtomicResponseLen);
      wire::encode_atomic_response(m.body.data(), resp);
    }
    std::copy(m.body.begin(), m.body.end(), hdr.begin() + static_cast<std::ptrdiff_t>(dlen));
    const host::VirtBuffer* src = m.buf;
    const uint32_t src_stag = m.src_stag;
    const uint64_t va = m.src_va + offset;
    TxOp* op = m.op;
    const bool read_response = m.is_read_response;
    const bool atomic_response = m.is_atomic_response;
    if (last) qp.tx.pop_front();
    // The payload comes from host memory by DMA; the FPDU is written when it has arrived,
    // and FPDUs enter the stream in the order they were issued.
    Duration ready = (atomic_response ? atomic_read : len ? dma_.read(len) : sim_now()) + cfg_.fpdu_latency;
    ready = std::max(ready, qp.tx_ready);
    qp.tx_ready = ready;
    Qp* q = &qp;
    agenda_.at(ready, [this, q, op, hdr, hlen, src, src_stag, va, len, last, fpdu, read_response, atomic_response] {
      Qp& p = *q;
      if (!active(p)) return;
      tcp::Connection& conn = toe_.conn(p.conn);
      const auto gather = [this, src, src_stag, va, len](mpa::RingWriter& w) {
        if (src) {
          // Gather from the source buffer's physical pages, straight into the ring.
          for (uint64_t done = 0; done < len;) {
            const uint64_t a = va + done;
            const uint64_t n = std::min<uint64_t>(len - done, host::HostMemory::kPage - a % host::HostMemory::kPage);
            w.write(mem_.view(src->pa(a)), n);
            done += n;
          }
        } else if (len) {
          // A Read Response: the source region's pages, checked when the request came.
          placement_.regions().translate(src_stag, va, len, [&](uint64_t pa, uint64_t n, uint64_t) {
            w.write(mem_.view(pa), n);
          });
        }
      };
      const ConstByteSpan header(hdr.data(), hlen);
      if (p.mpa.markers_tx) {
        const uint64_t pos = conn.bytes_acked() + conn.send_buffer().size() - p.tx_s0;
        mpa::write_fpdu(conn.send_buffer(), header, len, gather, p.mpa.crc, pos);
      } else {
        mpa::write_fpdu(conn.send_buffer(), header, len, gather, p.mpa.crc);
      }
      p.reserved -= fpdu;
      ++stats_.fpdus_tx;
      if (last && (read_response || atomic_response)) {
        ++(read_response ? stats_.read_responses_tx : stats_.atomic_responses_tx);
        if (p.reads_in > 0) --p.reads_in;  // the IRD slot is free again
      }
      if (last && op) {
        op->written = true;
        op->stream_end = conn.bytes_acked() + conn.send_buffer().size();
      }
      toe_.kick(p.conn);
    });
  }
}

void RdmaEngine::toe_acked(uint32_t conn, uint64_t total) {
  if (conn >= qp_of_conn_.size() || qp_of_conn_[conn] == UINT32_MAX) return;
  Qp& qp = *qps_[qp_of_conn_[conn]];
  qp.acked = total;
  // Completions are decided after the rest of this segment (its data may be a Terminate
  // that fails the work the ACK covers).
  schedule_completion(qp);
  tx_pump(qp);
}

void RdmaEngine::schedule_completion(Qp& qp) {
  if (qp.completion_scheduled) return;
  qp.completion_scheduled = true;
  Qp* q = &qp;
  agenda_.at(sim_now(), [this, q] {
    q->completion_scheduled = false;
    complete(*q);
  });
}

void RdmaEngine::complete(Qp& qp) {
  if (!active(qp)) return;
  for (TxOp& op : qp.sq) {
    if (!awaits_response(op.w) && op.written && op.stream_end <= qp.acked) op.done = true;
  }
  // Completions in work-request order (RFC 5040 s.5.5 for the send queue).
  while (!qp.sq.empty() && qp.sq.front().done) {
    const TxOp op = qp.sq.front();
    qp.sq.pop_front();
    // The CQE goes to host memory by DMA; the host sees it when it lands.
    emit(qp, Cqe{op.w.wr_id, qp.qpn, WcStatus::Success, op.w.length, wc_opcode(op.w)},
         dma_.write(cfg_.cqe_size));
  }
  tx_pump(qp);
  try_close(qp);
}

bool RdmaEngine::toe_data(uint32_t conn, ConstByteSpan data) {
  Qp& qp = *qps_[qp_of_conn_[conn]];
  if (!active(qp)) return false;
  qp.last_seen = false;
  qp.deframer->feed(data);
  // A segment that ends a message is acknowledged at once; after a Terminate the ACK
  // rides on it.
  return qp.last_seen && active(qp);
}

void RdmaEngine::on_fpdu(Qp& qp, ConstByteSpan ulpdu, mpa::FpduStatus st) {
  if (!active(qp)) return;
  ++stats_.fpdus_rx;
  if (st != mpa::FpduStatus::Ok) {
    // An LLP error: the stream can no longer be trusted (RFC 5044 s.8); no header attached.
    if (st == mpa::FpduStatus::CrcError) ++stats_.crc_errors;
    send_terminate(qp, st == mpa::FpduStatus::CrcError ? wire::term::MpaCrcError : wire::term::MpaMarkerMismatch, {}, 0, {});
    return;
  }
  auto d = wire::decode_ddp(ulpdu.data(), ulpdu.size());
  if (!d) {
    send_terminate(qp, wire::term::RdmapCatastrophicStream, {}, 0, {});
    return;
  }
  const wire::DdpHeader& h = d.value;
  const ConstByteSpan hdr = ulpdu.subspan(0, d.length);
  const ConstByteSpan payload = ulpdu.subspan(d.length);
  const auto seg_len = static_cast<uint16_t>(ulpdu.size());
  if (h.ddp_version != wire::kDdpVersion) {
    send_terminate(qp, h.tagged ? wire::term::DdpTaggedBadVersion : wire::term::DdpUntaggedBadVersion, hdr, seg_len, {});
    return;
  }
  if (h.rdmap_version != wire::kRdmapVersion) {
    send_terminate(qp, wire::term::RdmapBadVersion, hdr, seg_len, {});
    return;
  }
  if (h.last) qp.last_seen = true;
  if (h.tagged)
    on_tagged(qp, h, hdr, payload);
  else
    on_untagged(qp, h, hdr, payload);
}

void RdmaEngine::on_tagged(Qp& qp, const wire::DdpHeader& h, ConstByteSpan hdr, ConstByteSpan payload) {
  const auto seg_len = static_cast<uint16_t>(hdr.size() + payload.size());
  if (h.opcode == static_cast<uint8_t>(RdmapOpcode::RdmaWrite)) {
    const PlaceResult r = place_in_order(qp, h, payload, placement::TaggedUse::WriteSink);
    if (r.failure != placement::CheckFailure::None) {
      send_terminate(qp, r.error, hdr, seg_len, {});
      return;
    }
    qp.write_done = std::max(qp.write_done, r.done);
    if (h.last) {
      // The whole message is in memory once its last DMA write is done.
      const Duration at = std::max(qp.write_done, sim_now());
      qp.write_done = Duration{};
      if (write_placed_sink_) {
        const uint32_t qpn = qp.qpn, stag = h.stag;
        const uint64_t to_end = h.to + payload.size();
        agenda_.at(at, [this, qpn, stag, to_end] { write_placed_sink_(qpn, stag, to_end); });
      }
    }
    return;
  }
  if (h.opcode == static_cast<uint8_t>(RdmapOpcode::RdmaReadResponse)) {
    // Responses come back in request order: the oldest outstanding must be a Read.
    if (qp.reads_out.empty() || qp.reads_out.front()->w.opcode != RdmapOpcode::RdmaReadRequest) {
      send_terminate(qp, wire::term::RdmapUnexpectedOpcode, hdr, seg_len, {});
      return;
    }
    TxOp* op = qp.reads_out.front();
    const PlaceResult r = place_in_order(qp, h, payload, placement::TaggedUse::ReadResponseSink);
    if (r.failure != placement::CheckFailure::None) {
      send_terminate(qp, r.error, hdr, seg_len, {});
      return;
    }
    op->placed += payload.size();
    if (h.last) {
      // The Read completes when its last response byte is placed.
      qp.reads_out.pop_front();
      Qp* q = &qp;
      agenda_.at(r.done, [this, q, op] {
        // The op may have been flushed meanwhile: find it without trusting the pointer.
        for (TxOp& o : q->sq)
          if (&o == op) o.done = true;
        complete(*q);
      });
    }
    return;
  }
  send_terminate(qp, wire::term::RdmapUnexpectedOpcode, hdr, seg_len, {});
}

PlaceResult RdmaEngine::place_in_order(Qp& qp, const wire::DdpHeader& h, ConstByteSpan payload,
                                       placement::TaggedUse use) {
  // Nearly always nothing was placed early: one test, no lookup, on the per-FPDU path.
  const auto it = qp.direct.empty() ? qp.direct.end() : qp.direct.find(qp.cur_fpdu);
  if (it == qp.direct.end()) return placement_.place(qp.pd, h.stag, h.to, payload, use);
  PlaceResult r;
  r.done = it->second;
  qp.direct.erase(it);
  r.failure = placement_.regions().check(h.stag, h.to, payload.size(), qp.pd, placement::required_access(use));
  r.error = placement::to_term_code(r.failure, use);
  return r;
}

void RdmaEngine::toe_out_of_order(uint32_t conn, uint64_t pos, ConstByteSpan data) {
  if (conn >= qp_of_conn_.size() || qp_of_conn_[conn] == UINT32_MAX) return;
  Qp& qp = *qps_[qp_of_conn_[conn]];
  // Only with CRCs: a CRC that holds is what tells an FPDU that begins the segment from a
  // guess that does not (RFC 5044 s.4: FPDUs aligned with segments).
  if (!active(qp) || !qp.mpa.crc || qp.rtr_wait || qp.rtr_reply_wait || !qp.deframer ||
      qp.deframer->failed() || pos < qp.rx_s0 || pos - qp.rx_s0 < qp.deframer->position())
    return;
  Qp* q = &qp;
  const mpa::Deframer* dp = nullptr;
  mpa::Deframer d(
      true,
      [this, q, &dp](ConstByteSpan u, mpa::FpduStatus st) {
        if (st == mpa::FpduStatus::Ok) direct_place(*q, dp->fpdu_start(), u);
      },
      qp.mpa.markers_rx, pos - qp.rx_s0);
  dp = &d;
  d.feed(data);
}

void RdmaEngine::direct_place(Qp& qp, uint64_t key, ConstByteSpan ulpdu) {
  if (qp.direct.count(key)) return;  // bytes already held, sent again
  auto d = wire::decode_ddp(ulpdu.data(), ulpdu.size());
  if (!d) return;
  const wire::DdpHeader& h = d.value;
  if (!h.tagged || h.ddp_version != wire::kDdpVersion || h.rdmap_version != wire::kRdmapVersion) return;
  placement::TaggedUse use;
  if (h.opcode == static_cast<uint8_t>(RdmapOpcode::RdmaWrite)) {
    use = placement::TaggedUse::WriteSink;
  } else if (h.opcode == static_cast<uint8_t>(RdmapOpcode::RdmaReadResponse) && !qp.reads_out.empty() &&
             qp.reads_out.front()->w.opcode == RdmapOpcode::RdmaReadRequest) {
    use = placement::TaggedUse::ReadResponseSink;
  } else {
    return;  // anything else waits for its turn in the stream
  }
  const ConstByteSpan payload = ulpdu.subspan(d.length);
  // A segment that fails a check places nothing; the in-order pass sends its Terminate.
  if (placement_.regions().check(h.stag, h.to, payload.size(), qp.pd, placement::required_access(use)) !=
      placement::CheckFailure::None)
    return;
  qp.direct[key] = placement_.place(qp.pd, h.stag, h.to, payload, use).done;
  ++stats_.direct_placements;
  stats_.direct_bytes += payload.size();
}

void RdmaEngine::on_untagged(Qp& qp, const wire::DdpHeader& h, ConstByteSpan hdr, ConstByteSpan payload) {
  const auto seg_len = static_cast<uint16_t>(hdr.size() + payload.size());
  if (h.qn >= ddp::kQueues) {
    send_terminate(qp, wire::term::DdpUntaggedInvalidQn, hdr, seg_len, {});
    return;
  }
  // The opcode must belong to its queue (RFC 5040 s.5.1).
  const bool fits = (h.qn == wire::kQnSend && is_send(h.opcode)) ||
                    (h.qn == wire::kQnReadRequest && h.opcode == static_cast<uint8_t>(RdmapOpcode::RdmaReadRequest)) ||
                    (h.qn == wire::kQnTerminate && h.opcode == static_cast<uint8_t>(RdmapOpcode::Terminate)) ||
                    (h.qn == wire::kQnAtomicRequest && h.opcode == static_cast<uint8_t>(RdmapOpcode::AtomicRequest)) ||
                    (h.qn == wire::kQnAtomicResponse && h.opcode == static_cast<uint8_t>(RdmapOpcode::AtomicResponse));
  if (!fits) {
    send_terminate(qp, wire::term::RdmapUnexpectedOpcode, hdr, seg_len, {});
    return;
  }
  if (h.qn == wire::kQnSend) return on_send(qp, h, hdr, payload);
  if (h.qn == wire::kQnReadRequest) return on_read_request(qp, h, hdr, payload);
  if (h.qn == wire::kQnAtomicRequest) return on_atomic_request(qp, h, hdr, payload);
  if (h.qn == wire::kQnAtomicResponse) return on_atomic_response(qp, h, hdr, payload);
  // Terminate: one buffer, whole in one segment.
  ddp::UntaggedBuffers b{1, wire::kTerminateHeaderLen + 2 + wire::kDdpUntaggedHeaderLen + wire::kReadRequestLen};
  const auto v = ddp::check_untagged(h, payload.size(), qp.rxq[wire::kQnTerminate], b);
  if (!v.ok) {
    send_terminate(qp, v.error, hdr, seg_len, {});
    return;
  }
  ddp::advance(qp.rxq[wire::kQnTerminate], h, payload.size());
  on_terminate(qp, payload);
}

Duration RdmaEngine::write_host(const host::VirtBuffer& buf, uint64_t va, const uint8_t* src, uint64_t n) {
  Duration landed{};
  for (uint64_t k = 0; k < n;) {
    const uint64_t a = va + k;
    const uint64_t piece = std::min<uint64_t>(n - k, host::HostMemory::kPage - a % host::HostMemory::kPage);
    mem_.write(buf.pa(a), src + k, piece);
    landed = std::max(landed, dma_.write(piece));
    k += piece;
  }
  return landed;
}

void RdmaEngine::on_send(Qp& qp, const wire::DdpHeader& h, ConstByteSpan hdr, ConstByteSpan payload) {
  const auto seg_len = static_cast<uint16_t>(hdr.size() + payload.size());
  ddp::UntaggedQueue& q = qp.rxq[wire::kQnSend];
  ddp::UntaggedBuffers b;
  b.available = static_cast<uint32_t>(qp.rq.size());
  if (!qp.rq.empty()) b.length = qp.rq.front().length();
  const auto v = ddp::check_untagged(h, payload.size(), q, b);
  if (!v.ok) {
    send_terminate(qp, v.error, hdr, seg_len, {});
    return;
  }
  const bool invalidate = with_invalidate(h.opcode);
  if (invalidate && h.mo == 0) {
    // RFC 5040 s.6.6: the STag to invalidate must be valid and of this QP's PD, before
    // anything of the message is placed (protocol-facts.md: 0/1/0x09).
    const placement::Region* r = placement_.regions().find(h.stag);
    if (!r || r->key != placement::stag_key(h.stag) || r->invalidated || r->pd != qp.pd) {
      send_terminate(qp, wire::term::RdmapProtStagCannotInvalidate, hdr, seg_len, {});
      return;
    }
  }
  ddp::advance(q, h, payload.size());
  // Scatter the payload into the receive buffer's list at offset MO.
  Rqe& rqe = qp.rq.front();
  Duration landed = sim_now();
  uint64_t skip = h.mo, done = 0;
  for (const Sge& s : rqe.sgl) {
    if (done == payload.size()) break;
    if (skip >= s.length) {
      skip -= s.length;
      continue;
    }
    const uint64_t n = std::min<uint64_t>(s.length - skip, payload.size() - done);
    landed = std::max(landed, write_host(*s.buf, s.va + skip, payload.data() + done, n));
    done += n;
    skip = 0;
  }
  stats_.untagged_bytes_placed += payload.size();
  if (!h.last) return;
  Cqe c{rqe.wr_id, qp.qpn, WcStatus::Success, uint64_t{h.mo} + payload.size(), WcOpcode::Recv};
  c.solicited = with_se(h.opcode);
  if (invalidate) {
    placement_.invalidate(h.stag);
    c.invalidated_stag = h.stag;
  }
  qp.rq.pop_front();
  emit(qp, c, std::max(landed, dma_.write(cfg_.cqe_size)));
}

void RdmaEngine::on_read_request(Qp& qp, const wire::DdpHeader& h, ConstByteSpan hdr, ConstByteSpan payload) {
  const auto seg_len = static_cast<uint16_t>(hdr.size() + payload.size());
  ++stats_.read_requests_rx;
  ddp::UntaggedBuffers b;
  b.available = qp.reads_in < qp.mpa.ird ? qp.mpa.ird - qp.reads_in : 0;
  b.length = wire::kReadRequestLen;
  const auto v = ddp::check_untagged(h, payload.size(), qp.rxq[wire::kQnReadRequest], b);
  if (!v.ok) {
    send_terminate(qp, v.error, hdr, seg_len, {});
    return;
  }
  auto rr = wire::decode_read_request(payload.data(), payload.size());
  if (!rr || !h.last) {
    send_terminate(qp, wire::term::RdmapCatastrophicStream, hdr, seg_len, {});
    return;
  }
  ddp::advance(qp.rxq[wire::kQnReadRequest], h, payload.size());
  const wire::ReadRequest& r = rr.value;
  // The source is checked here, by the responder, in the protocol-facts order.
  const auto f = placement_.regions().check(r.src_stag, r.src_to, r.size, qp.pd, placement::access::kRemoteRead);
  if (f != placement::CheckFailure::None) {
    send_terminate(qp, placement::to_term_code(f, placement::TaggedUse::ReadSource), hdr, seg_len,
                   payload.subspan(0, wire::kReadRequestLen));
    return;
  }
  ++qp.reads_in;
  // The Read Response is the responder engine's own work: no host involvement.
  TxMsg m;
  m.hdr.tagged = true;
  m.hdr.opcode = static_cast<uint8_t>(RdmapOpcode::RdmaReadResponse);
  m.hdr.stag = r.sink_stag;
  m.hdr.to = r.sink_to;
  m.src_stag = r.src_stag;
  m.src_va = r.src_to;
  m.length = r.size;
  m.is_read_response = true;
  qp.tx.push_back(std::move(m));
  tx_pump(qp);
}

void RdmaEngine::on_atomic_request(Qp& qp, const wire::DdpHeader& h, ConstByteSpan hdr, ConstByteSpan payload) {
  const auto seg_len = static_cast<uint16_t>(hdr.size() + payload.size());
  ++stats_.atomic_requests_rx;
  // Atomics share the IRD with Reads (RFC 7306); each is one whole segment.
  ddp::UntaggedBuffers b;
  b.available = qp.reads_in < qp.mpa.ird ? qp.mpa.ird - qp.reads_in : 0;
  b.length = wire::kAtomicRequestLen;
  const auto v = ddp::check_untagged(h, payload.size(), qp.rxq[wire::kQnAtomicRequest], b);
  if (!v.ok) {
    send_terminate(qp, v.error, hdr, seg_len, {});
    return;
  }
  auto ar = wire::decode_atomic_request(payload.data(), payload.size());
  if (!ar || !h.last) {
    send_terminate(qp, wire::term::RdmapCatastrophicStream, hdr, seg_len, {});
    return;
  }
  ddp::advance(qp.rxq[wire::kQnAtomicRequest], h, payload.size());
  const wire::AtomicRequest& r = ar.value;
  // A request this responder cannot run (an AOpCode it does not know, reserved bits set,
  // a target not 8-byte aligned) is a remote operation error (docs/iwarp.md).
  const bool known = r.aop == static_cast<uint8_t>(wire::AtomicOp::FetchAdd) ||
                     r.aop == static_cast<uint8_t>(wire::AtomicOp::CmpSwap);
  if (!known || r.reserved != 0 || r.to % 8 != 0) {
    send_terminate(qp, wire::term::RdmapOpUnspecified, hdr, seg_len, {});
    return;
  }
  // The target is checked like a Read's source, with the remote atomic right.
  const auto f = placement_.regions().check(r.stag, r.to, 8, qp.pd, placement::access::kRemoteAtomic);
  if (f != placement::CheckFailure::None) {
    send_terminate(qp, placement::to_term_code(f, placement::TaggedUse::ReadSource), hdr, seg_len, {});
    return;
  }
  ++qp.reads_in;
  TxMsg m;
  m.hdr.opcode = static_cast<uint8_t>(RdmapOpcode::AtomicResponse);
  m.hdr.qn = wire::kQnAtomicResponse;
  m.hdr.msn = qp.msn_tx[wire::kQnAtomicResponse]++;
  m.body.resize(wire::kAtomicResponseLen);  // made when the response is issued
  m.is_atomic_response = true;
  m.atomic = r;
  qp.tx.push_back(std::move(m));
  tx_pump(qp);
}

uint64_t RdmaEngine::run_atomic(const wire::AtomicRequest& r, Duration& read_done) {
  // Eight aligned bytes lie in one page. Host memory is little-endian (x86).
  uint64_t pa = 0;
  placement_.regions().translate(r.stag, r.to, 8, [&](uint64_t a, uint64_t, uint64_t) { pa = a; });
  uint8_t b[8];
  mem_.read(pa, b, 8);
  const uint64_t original = load_le64(b);
  store_le64(b, wire::atomic_apply(r, original));
  // The read-modify-write: a DMA read of the 8 bytes, then the write back.
  read_done = dma_.read(8);
  mem_.write(pa, b, 8);
  dma_.write(8);
  return original;
}

void RdmaEngine::on_atomic_response(Qp& qp, const wire::DdpHeader& h, ConstByteSpan hdr, ConstByteSpan payload) {
  const auto seg_len = static_cast<uint16_t>(hdr.size() + payload.size());
  // Responses come back in request order: the oldest outstanding must be this atomic.
  TxOp* op = qp.reads_out.empty() ? nullptr : qp.reads_out.front();
  if (!op || op->w.opcode != RdmapOpcode::AtomicRequest) {
    send_terminate(qp, wire::term::RdmapUnexpectedOpcode, hdr, seg_len, {});
    return;
  }
  ddp::UntaggedBuffers b{1, wire::kAtomicResponseLen};
  const auto v = ddp::check_untagged(h, payload.size(), qp.rxq[wire::kQnAtomicResponse], b);
  if (!v.ok) {
    send_terminate(qp, v.error, hdr, seg_len, {});
    return;
  }
  auto resp = wire::decode_atomic_response(payload.data(), payload.size());
  if (!resp || !h.last || resp.value.request_id != op->request_id) {
    send_terminate(qp, wire::term::RdmapOpUnspecified, hdr, seg_len, {});
    return;
  }
  ddp::advance(qp.rxq[wire::kQnAtomicResponse], h, payload.size());
  qp.reads_out.pop_front();
  // The original value lands in the initiator's buffer (little-endian host memory).
  uint8_t bytes[8];
  store_le64(bytes, resp.value.original);
  const Duration landed = std::max(sim_now(), write_host(*op->w.local, op->w.local_va, bytes, 8));
  // The atomic completes when its response arrives and the value is in memory.
  Qp* q = &qp;
  agenda_.at(landed, [this, q, op] {
    for (TxOp& o : q->sq)
      if (&o == op) o.done = true;
    complete(*q);
  });
}

void RdmaEngine::on_terminate(Qp& qp, ConstByteSpan payload) {
  auto t = wire::decode_terminate_message(payload.data(), payload.size());
  ++stats_.terminates_rx;
  TermRecord rec;
  rec.sent = false;
  if (t) rec.msg = t.value;
  qp.term = rec;
  set_state(qp, QpState::Terminate);
  fail_work(qp, status_of(rec.msg.code));
  // The peer closes the stream after its Terminate; this side closes too.
  to_error(qp);
}

bool RdmaEngine::write_control(Qp& qp, const std::vector<uint8_t>& ulpdu) {
  tcp::Connection& c = toe_.conn(qp.conn);
  const uint64_t pos = c.bytes_acked() + c.send_buffer().size() - qp.tx_s0;
  const size_t need = qp.mpa.markers_tx ? mpa::fpdu_stream_length(ulpdu.size(), pos)
                                        : mpa::fpdu_stream_length(ulpdu.size());
  // Only sent on an idle stream (at attach, or by a responder that has sent nothing yet).
  if (c.send_buffer().space() < qp.reserved + need) {
    to_error(qp);
    return false;
  }
  const ConstByteSpan u(ulpdu.data(), ulpdu.size());
  const auto none = [](mpa::RingWriter&) {};
  if (qp.mpa.markers_tx)
    mpa::write_fpdu(c.send_buffer(), u, 0, none, qp.mpa.crc, pos);
  else
    mpa::write_fpdu(c.send_buffer(), u, 0, none, qp.mpa.crc);
  ++stats_.fpdus_tx;
  toe_.kick(qp.conn);
  return true;
}

bool RdmaEngine::rtr_hook(Qp& qp, ConstByteSpan ulpdu, mpa::FpduStatus st) {
  if (st != mpa::FpduStatus::Ok) {
    qp.llp_error = mpa::llp_error_code(st);
    return false;
  }
  if (!qp.rtr_wait && !qp.rtr_reply_wait) return false;
  ++stats_.fpdus_rx;
  const bool ok = qp.rtr_wait ? mpa::is_rtr(qp.mpa.rtr, ulpdu) : mpa::is_rtr_read_response(ulpdu);
  if (!ok) {
    qp.llp_error = mpa::llp_code::kNoMatchingRtr;
    qp.rtr_wait = qp.rtr_reply_wait = false;
    send_terminate(qp, wire::term::MpaNoMatchingRtr, {}, 0, {});
    return true;
  }
  if (qp.rtr_reply_wait) {
    qp.rtr_reply_wait = false;
    return true;
  }
  qp.rtr_wait = false;
  if (qp.mpa.rtr == mpa::RtrType::Read && !write_control(qp, mpa::rtr_read_response(ulpdu)))
    return true;
  tx_pump(qp);
  return true;
}

void RdmaEngine::send_terminate(Qp& qp, wire::TermCode code, ConstByteSpan ddp_hdr, uint16_t seg_len,
                                ConstByteSpan rdmap_hdr) {
  if (!active(qp)) return;
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
  qp.term = rec;
  ++stats_.terminates_tx;
  set_state(qp, QpState::Terminate);
  // The Terminate goes out at once, ahead of anything not yet written (RFC 5040 s.5.4:
  // untagged QN 2, MSN 1, MO 0, L).
  wire::DdpHeader h;
  h.last = true;
  h.opcode = static_cast<uint8_t>(RdmapOpcode::Terminate);
  h.qn = wire::kQnTerminate;
  h.msn = qp.msn_tx[wire::kQnTerminate]++;
  h.mo = 0;
  std::vector<uint8_t> ulpdu(wire::kDdpUntaggedHeaderLen);
  wire::encode_ddp(ulpdu.data(), h);
  const std::vector<uint8_t> body = wire::encode_terminate_message(msg);
  ulpdu.insert(ulpdu.end(), body.begin(), body.end());
  qp.reserved = 0;  // FPDUs still waiting for their DMA are dropped: the QP left RTS
  write_control(qp, ulpdu);
  fail_work(qp, WcStatus::FatalError);
  to_error(qp);
}

void RdmaEngine::fail_work(Qp& qp, WcStatus first) {
  bool first_done = false;
  while (!qp.sq.empty()) {
    const TxOp op = qp.sq.front();
    qp.sq.pop_front();
    emit(qp, Cqe{op.w.wr_id, qp.qpn, first_done ? WcStatus::FlushError : first, 0, wc_opcode(op.w)},
         sim_now());
    first_done = true;
  }
  qp.tx.clear();
  qp.reads_out.clear();
}

void RdmaEngine::to_error(Qp& qp) {
  if (qp.state == QpState::Error) return;
  if (active(qp)) set_state(qp, QpState::Error);
  // Flush what is still queued (RFC 5040 s.6.2.1: work completes in error).
  fail_work(qp, WcStatus::FlushError);
  while (!qp.rq.empty()) {
    emit(qp, Cqe{qp.rq.front().wr_id, qp.qpn, WcStatus::FlushError, 0, WcOpcode::Recv}, sim_now());
    qp.rq.pop_front();
  }
  // A QP in TERMINATE stays there until its stream is closed; the graceful close (FIN)
  // starts now.
  toe_.close(qp.conn);
  if (qp.state != QpState::Terminate) set_state(qp, QpState::Error);
}

void RdmaEngine::toe_state(uint32_t conn, tcp::State, tcp::State to) {
  if (conn >= qp_of_conn_.size() || qp_of_conn_[conn] == UINT32_MAX) return;
  Qp& qp = *qps_[qp_of_conn_[conn]];
  if (to == tcp::State::CloseWait && qp.state == QpState::Rts) {
    // The peer disconnected (its FIN, after all its data): this side closes too, once
    // its own posted work is done (iw_cm's DISCONNECT; the ULP answers with a graceful
    // disconnect).
    set_state(qp, QpState::Closing);
    try_close(qp);
    return;
  }
  if (to == tcp::State::Closed || to == tcp::State::TimeWait) {
    if (qp.state == QpState::Closing && qp.sq.empty()) {
      // A graceful close: nothing was outstanding; posted receives are flushed.
      while (!qp.rq.empty()) {
        emit(qp, Cqe{qp.rq.front().wr_id, qp.qpn, WcStatus::FlushError, 0, WcOpcode::Recv}, sim_now());
        qp.rq.pop_front();
      }
      set_state(qp, QpState::Idle);
    } else if (active(qp)) {
      to_error(qp);
    } else if (qp.state == QpState::Terminate) {
      set_state(qp, QpState::Error);  // the stream is gone: TERMINATE -> ERROR
    }
  }
}

}  // namespace rnicsim::hw

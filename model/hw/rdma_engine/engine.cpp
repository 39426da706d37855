#include "model/hw/rdma_engine/engine.h"

#include <algorithm>

#include "model/wire/mpa.h"

namespace rnicsim::hw {

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
    case WcStatus::RemoteAccessError: return "remote_access_error";
    case WcStatus::FlushError: return "flush_error";
  }
  return "?";
}

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

void RdmaEngine::attach(uint32_t qpn, uint32_t conn, const MpaParams& mpa,
                        std::vector<uint8_t> leftover) {
  Qp& qp = *qps_[qpn];
  qp.conn = conn;
  qp.mpa = mpa;
  qp.state = QpState::Rts;
  if (qp_of_conn_.size() <= conn) qp_of_conn_.resize(conn + 1, UINT32_MAX);
  qp_of_conn_[conn] = qpn;
  Qp* q = &qp;
  qp.deframer = std::make_unique<mpa::Deframer>(
      mpa.crc,
      [this, q](ConstByteSpan u, mpa::FpduStatus st) {
        if (!rtr_hook(*q, u, st)) on_fpdu(*q, u, st);
      },
      mpa.markers_rx);
  {
    tcp::Connection& c = toe_.conn(conn);
    qp.tx_s0 = c.bytes_acked() + c.send_buffer().size();  // markers count from here
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

void RdmaEngine::post_send(uint32_t qpn, const Wqe& w) {
  // Doorbell (MMIO write) reaches the RNIC, then the WQE is fetched from host memory.
  agenda_.after(cfg_.doorbell_latency, [this, qpn, w] {
    const Duration fetched = dma_.read(cfg_.wqe_size);
    agenda_.at(fetched, [this, qpn, w] {
      Qp& qp = *qps_[qpn];
      ++stats_.wqes;
      if (qp.state != QpState::Rts) {
        ++stats_.cqes;
        if (cqe_sink_) cqe_sink_(Cqe{w.wr_id, qpn, WcStatus::FlushError, 0});
        return;
      }
      qp.sq.push_back(TxOp{w});
      tx_pump(qp);
    });
  });
}

void RdmaEngine::tx_pump(Qp& qp) {
  if (qp.state != QpState::Rts || qp.rtr_wait) return;
  tcp::Connection& c = toe_.conn(qp.conn);
  const uint32_t mulpdu = wire::mpa_mulpdu(c.emss(), qp.mpa.markers_tx);
  const uint32_t max_payload = mulpdu - static_cast<uint32_t>(wire::kDdpTaggedHeaderLen);
  while (qp.issue < qp.sq.size()) {
    TxOp& op = qp.sq[qp.issue];
    const uint64_t remaining = op.w.length - op.issued;
    const uint32_t len = static_cast<uint32_t>(std::min<uint64_t>(remaining, max_payload));
    size_t fpdu = mpa::fpdu_stream_length(wire::kDdpTaggedHeaderLen + len);
    // With markers the FPDU's place in the stream is known when it is written: reserve for
    // the worst alignment.
    if (qp.mpa.markers_tx) fpdu += mpa::kMarkerLen * mpa::markers_max(fpdu);
    if (c.send_buffer().space() < qp.reserved + fpdu) return;  // wait for ACKs
    qp.reserved += fpdu;
    const uint64_t offset = op.issued;
    op.issued += len;
    const bool last = op.issued == op.w.length;
    if (last) ++qp.issue;
    // The payload comes from host memory by DMA; the FPDU is written when it has arrived.
    const Duration ready = dma_.read(len) + cfg_.fpdu_latency;
    // The op stays in the deque until it completes, which needs this FPDU written first;
    // deque::push_back keeps references valid, and a flush (to_error) leaves RTS first.
    TxOp* opp = &op;
    Qp* q = &qp;
    agenda_.at(ready, [this, q, opp, offset, len, last, fpdu] {
      Qp& p = *q;
      if (p.state != QpState::Rts) return;
      TxOp& o = *opp;
      wire::DdpHeader h;
      h.tagged = true;
      h.last = last;
      h.opcode = static_cast<uint8_t>(wire::RdmapOpcode::RdmaWrite);
      h.stag = o.w.rkey;
      h.to = o.w.remote_va + offset;
      uint8_t hdr[wire::kDdpTaggedHeaderLen];
      wire::encode_ddp(hdr, h);
      const host::VirtBuffer* src = o.w.local;
      const uint64_t va = o.w.local_va + offset;
      tcp::Connection& conn = toe_.conn(p.conn);
      const auto gather = [this, src, va, len](mpa::RingWriter& w) {
        // Gather from the source buffer's physical pages, straight into the ring.
        for (uint64_t done = 0; done < len;) {
          const uint64_t a = va + done;
          const uint64_t n = std::min<uint64_t>(len - done, host::HostMemory::kPage - a % host::HostMemory::kPage);
          w.write(mem_.view(src->pa(a)), n);
          done += n;
        }
      };
      if (p.mpa.markers_tx) {
        const uint64_t pos = conn.bytes_acked() + conn.send_buffer().size() - p.tx_s0;
        mpa::write_fpdu(conn.send_buffer(), ConstByteSpan(hdr, sizeof hdr), len, gather,
                        p.mpa.crc, pos);
      } else {
        mpa::write_fpdu(conn.send_buffer(), ConstByteSpan(hdr, sizeof hdr), len, gather,
                        p.mpa.crc);
      }
      p.reserved -= fpdu;
      ++stats_.fpdus_tx;
      if (last) {
        o.written = true;
        o.stream_end = conn.bytes_acked() + conn.send_buffer().size();
      }
      toe_.kick(p.conn);
    });
  }
}

void RdmaEngine::toe_acked(uint32_t conn, uint64_t total) {
  if (conn >= qp_of_conn_.size() || qp_of_conn_[conn] == UINT32_MAX) return;
  Qp& qp = *qps_[qp_of_conn_[conn]];
  complete(qp, total);
  tx_pump(qp);
}

void RdmaEngine::complete(Qp& qp, uint64_t acked) {
  while (!qp.sq.empty() && qp.sq.front().written && qp.sq.front().stream_end <= acked) {
    const TxOp op = qp.sq.front();
    qp.sq.pop_front();
    --qp.issue;
    // The CQE goes to host memory by DMA; the host sees it when it lands.
    const Duration landed = dma_.write(cfg_.cqe_size);
    ++stats_.cqes;
    const Cqe cqe{op.w.wr_id, qp.qpn, WcStatus::Success, op.w.length};
    agenda_.at(landed, [this, cqe] {
      if (cqe_sink_) cqe_sink_(cqe);
    });
  }
}

bool RdmaEngine::toe_data(uint32_t conn, ConstByteSpan data) {
  Qp& qp = *qps_[qp_of_conn_[conn]];
  if (qp.state != QpState::Rts) return false;
  qp.last_seen = false;
  qp.deframer->feed(data);
  return qp.last_seen;
}

void RdmaEngine::on_fpdu(Qp& qp, ConstByteSpan ulpdu, mpa::FpduStatus st) {
  ++stats_.fpdus_rx;
  if (st != mpa::FpduStatus::Ok) {
    ++stats_.crc_errors;
    to_error(qp);
    return;
  }
  auto d = wire::decode_ddp(ulpdu.data(), ulpdu.size());
  if (!d) {
    to_error(qp);
    return;
  }
  const wire::DdpHeader& h = d.value;
  if (h.last) qp.last_seen = true;
  const ConstByteSpan payload = ulpdu.subspan(d.length);
  if (h.tagged && h.opcode == static_cast<uint8_t>(wire::RdmapOpcode::RdmaWrite)) {
    const PlaceResult r =
        placement_.place(qp.pd, h.stag, h.to, payload, placement::TaggedUse::WriteSink);
    if (r.failure != placement::CheckFailure::None) to_error(qp);
    return;
  }
  // Only RDMA Write is sent by this engine; anything else ends the stream.
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
    to_error(qp);
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

void RdmaEngine::to_error(Qp& qp) {
  if (qp.state == QpState::Error) return;
  qp.state = QpState::Error;
  // Flush what is still queued (RFC 5040 s.6.2.1: work completes in error).
  while (!qp.sq.empty()) {
    const TxOp op = qp.sq.front();
    qp.sq.pop_front();
    ++stats_.cqes;
    if (cqe_sink_) cqe_sink_(Cqe{op.w.wr_id, qp.qpn, WcStatus::FlushError, 0});
  }
  qp.issue = 0;
  toe_.close(qp.conn);
}

void RdmaEngine::toe_state(uint32_t conn, tcp::State, tcp::State to) {
  if (conn >= qp_of_conn_.size() || qp_of_conn_[conn] == UINT32_MAX) return;
  Qp& qp = *qps_[qp_of_conn_[conn]];
  if (to == tcp::State::Closed && qp.state == QpState::Rts) to_error(qp);
}

}  // namespace rnicsim::hw

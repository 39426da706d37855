#include "model/hw/rdma_engine/engine.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "model/common/bytes.h"
#include "model/proto/ddp/tagged.h"
#include "model/wire/mpa.h"

namespace rnicsim::hw {
namespace {

/// The deepest queue a QP has (the scenario's qp.sq_depth and qp.rq_depth bound): a QP
/// created with an unbounded receive queue gets a completion queue this much deeper.
constexpr uint32_t kMaxQueueDepth = 65536;

}  // namespace

/// A queue's ring in host memory: `depth` slots of `slot` bytes on pages the driver
/// allocated when it created the QP, filled in order and wrapping. Its pages are
/// scattered, so a slot that runs into the next page is read or written piece by piece.
struct RdmaEngine::Ring {
  Ring(host::HostMemory& mem, uint32_t slot_bytes, uint32_t slots)
      : slot(slot_bytes), depth(std::max<uint32_t>(1, slots)),
        pages(mem.alloc_pages((uint64_t{depth} * slot + host::HostMemory::kPage - 1) / host::HostMemory::kPage)) {}
  /// Calls `fn(pa, bytes)` for each piece of slot `i` (mod depth) that lies in one page.
  template <class F>
  void each_piece(uint64_t i, F fn) const {
    const uint64_t start = (i % depth) * slot;
    for (uint64_t off = start; off < start + slot;) {
      const uint64_t n = std::min<uint64_t>(start + slot - off, host::HostMemory::kPage - off % host::HostMemory::kPage);
      fn(pages[off / host::HostMemory::kPage] + off % host::HostMemory::kPage, n);
      off += n;
    }
  }
  /// DMA of the next slot (a WQE fetched, a CQE written): when it is done.
  Duration read_next(Dma& dma) {
    Duration done{};
    each_piece(next++, [&](uint64_t pa, uint64_t n) { done = std::max(done, dma.read(pa, n)); });
    return done;
  }
  Duration write_next(Dma& dma) {
    Duration done{};
    each_piece(next++, [&](uint64_t pa, uint64_t n) { done = std::max(done, dma.write(pa, n)); });
    return done;
  }
  uint32_t slot, depth;
  std::vector<uint64_t> pages;
  uint64_t next = 0;  ///< the next slot to use
};

/// The QP's Port: what the protocol asks becomes DMA, placement and stream work here, with
/// its timing; the times the protocol never sees live here too.
struct RdmaEngine::Slot : rdmap::Port {
  Slot(RdmaEngine& engine, uint32_t qpn, uint32_t pd, uint32_t sq_depth, uint32_t rq_depth)
      : e(engine),
        qp(qpn, pd, sq_depth, rq_depth, engine.placement_.regions(), *this, engine.stats_),
        sq(engine.mem_, engine.cfg_.wqe_size, sq_depth),
        cq(engine.mem_, engine.cfg_.cqe_size,
           sq_depth + std::min<uint32_t>(rq_depth, kMaxQueueDepth)) {}

  RdmaEngine& e;
  rdmap::Qp qp;
  uint32_t conn = UINT32_MAX;
  std::unique_ptr<mpa::Deframer> deframer;
  uint64_t tx_s0 = 0;          ///< stream offset of S0 (after our MPA frame) when sending
  uint64_t rx_s0 = 0;          ///< TCP stream position of S0 in the direction we receive
  uint64_t reserved = 0;       ///< send-buffer bytes promised to FPDUs waiting for their DMA
  Duration tx_free{};          ///< FPDUs are written in issue order: none before this
  bool completion_scheduled = false;
  bool last_seen = false;      ///< an FPDU with the L bit ended in the current feed
  Duration write_done{};       ///< inbound RDMA Write: when its bytes so far are visible
  uint64_t cur_fpdu = UINT64_MAX;  ///< Deframer::fpdu_start of the FPDU being handled in order
  std::map<uint64_t, Duration> direct;  ///< FPDUs placed out of order (by fpdu_start): when visible
  Duration last_visible{};     ///< when the data of the last placement or host write is visible
  Duration atomic_read{};      ///< when the last atomic's read of its word returned
  Ring sq, cq;                 ///< the send queue's WQEs and the completion queue's CQEs

  ddp::TaggedVerdict place(uint32_t pd, uint32_t stag, uint64_t to, ConstByteSpan payload,
                           placement::TaggedUse use) override {
    // Nearly always nothing was placed early: one test, no lookup, on the per-FPDU path.
    const auto it = direct.empty() ? direct.end() : direct.find(cur_fpdu);
    ddp::TaggedVerdict v;
    if (it == direct.end()) {
      const PlaceResult r = e.placement_.place(pd, stag, to, payload, use);
      v.failure = r.failure;
      v.error = r.error;
      last_visible = r.done;
    } else {
      // Placed out of order already: checked again (an earlier message may have
      // invalidated its STag), not placed twice.
      last_visible = it->second;
      direct.erase(it);
      v = ddp::check_tagged(e.placement_.regions(), stag, to, payload.size(), pd, use);
    }
    if (v.ok() && use == placement::TaggedUse::WriteSink) write_done = std::max(write_done, last_visible);
    return v;
  }

  void write_host(const host::VirtBuffer& buf, uint64_t va, const uint8_t* src, uint64_t n) override {
    // Page by page, by DMA: visible when the last write is.
    Duration landed{};
    for (uint64_t k = 0; k < n;) {
      const uint64_t a = va + k;
      const uint64_t piece = std::min<uint64_t>(n - k, host::HostMemory::kPage - a % host::HostMemory::kPage);
      e.mem_.write(buf.pa(a), src + k, piece);
      landed = std::max(landed, e.dma_.write(buf.pa(a), piece));
      k += piece;
    }
    last_visible = std::max(landed, sim_now());
  }

  uint64_t run_atomic(const wire::AtomicRequest& r) override {
    // Eight aligned bytes lie in one page. Host memory is little-endian (x86).
    uint64_t pa = 0;
    e.placement_.regions().translate(r.stag, r.to, 8, [&](uint64_t a, uint64_t, uint64_t) { pa = a; });
    uint8_t b[8];
    e.mem_.read(pa, b, 8);
    const uint64_t original = load_le64(b);
    store_le64(b, wire::atomic_apply(r, original));
    // The read-modify-write: a DMA read of the 8 bytes, then the write back.
    atomic_read = e.dma_.read(pa, 8);
    e.mem_.write(pa, b, 8);
    e.dma_.write(pa, 8);
    return original;
  }

  void invalidate(uint32_t stag) override { e.placement_.invalidate(stag); }

  bool write_control(ConstByteSpan ulpdu) override {
    tcp::Connection& c = e.toe_.conn(conn);
    const uint64_t pos = c.bytes_acked() + c.send_buffer().size() - tx_s0;
    const bool markers = qp.mpa().markers_tx;
    const size_t need = markers ? mpa::fpdu_stream_length(ulpdu.size(), pos) : mpa::fpdu_stream_length(ulpdu.size());
    if (c.send_buffer().space() < reserved + need) return false;
    const auto none = [](mpa::RingWriter&) {};
    if (markers)
      mpa::write_fpdu(c.send_buffer(), ulpdu, 0, none, qp.mpa().crc, pos);
    else
      mpa::write_fpdu(c.send_buffer(), ulpdu, 0, none, qp.mpa().crc);
    ++e.stats_.fpdus_tx;
    e.toe_.kick(conn);
    return true;
  }

  void close_stream() override { e.toe_.close(conn); }
  void abort_stream() override { e.toe_.abort(conn); }
  void tx_ready() override { e.tx_pump(*this); }

  void completion(const Cqe& c) override {
    // A successful completion's CQE goes to host memory by DMA (after the data it reports,
    // DMA writes being in order); the host sees it when it lands. Errors and flushes are
    // reported at once.
    if (c.status != WcStatus::Success) {
      e.emit(c, sim_now());
      return;
    }
    e.emit(c, cq.write_next(e.dma_));
  }

  void response_landed(uint64_t op) override {
    e.agenda_.at(last_visible, [this, op] { qp.response_done(op); });
  }

  void write_placed(uint32_t stag, uint64_t to_end) override {
    // The whole message is in memory once its last DMA write is done.
    const Duration at = std::max(write_done, sim_now());
    write_done = Duration{};
    if (!e.write_placed_sink_) return;
    const uint32_t qpn = qp.qpn();
    e.agenda_.at(at, [this, qpn, stag, to_end] { e.write_placed_sink_(qpn, stag, to_end); });
  }

  void state_changed(QpState from, QpState to, rdmap::Transition) override {
    // A Terminate goes out ahead of everything not yet written: the FPDUs waiting for
    // their DMA are dropped (they find the QP out of RTS), and their room with them.
    if (to == QpState::Terminate) reserved = 0;
    if (e.qp_event_sink_) e.qp_event_sink_(qp.qpn(), from, to);
  }
};

RdmaEngine::RdmaEngine(sc_core::sc_module_name name, const EngineConfig& cfg, Toe& toe, Dma& dma,
                       PlacementUnit& placement, host::HostMemory& mem)
    : sc_module(name), cfg_(cfg), toe_(toe), dma_(dma), placement_(placement), mem_(mem),
      agenda_(basename()) {}

RdmaEngine::~RdmaEngine() = default;

uint32_t RdmaEngine::create_qp(uint32_t pd, uint32_t sq_depth, uint32_t rq_depth) {
  const auto qpn = static_cast<uint32_t>(qps_.size());
  qps_.push_back(std::make_unique<Slot>(*this, qpn, pd, sq_depth, rq_depth));
  return qpn;
}

QpState RdmaEngine::state(uint32_t qpn) const { return qps_[qpn]->qp.state(); }
uint32_t RdmaEngine::pd_of(uint32_t qpn) const { return qps_[qpn]->qp.pd(); }
uint32_t RdmaEngine::sq_depth(uint32_t qpn) const { return qps_[qpn]->qp.sq_depth(); }
uint32_t RdmaEngine::rq_depth(uint32_t qpn) const { return qps_[qpn]->qp.rq_depth(); }
const std::optional<TermRecord>& RdmaEngine::terminate(uint32_t qpn) const { return qps_[qpn]->qp.terminate(); }
uint32_t RdmaEngine::conn_of(uint32_t qpn) const { return qps_[qpn]->conn; }
const MpaParams& RdmaEngine::mpa(uint32_t qpn) const { return qps_[qpn]->qp.mpa(); }
uint8_t RdmaEngine::llp_error(uint32_t qpn) const { return qps_[qpn]->qp.llp_error(); }
uint64_t RdmaEngine::crc_errors(uint32_t qpn) const {
  const Slot& s = *qps_[qpn];
  return s.deframer ? s.deframer->crc_errors() : 0;
}

void RdmaEngine::receive_ulpdu(uint32_t qpn, ConstByteSpan ulpdu) {
  Slot& s = *qps_[qpn];
  s.cur_fpdu = UINT64_MAX;
  s.qp.receive(ulpdu);
}

RdmaEngine::Slot* RdmaEngine::slot_of_conn(uint32_t conn) {
  if (conn >= qp_of_conn_.size() || qp_of_conn_[conn] == UINT32_MAX) return nullptr;
  return qps_[qp_of_conn_[conn]].get();
}

void RdmaEngine::qp_to_error(uint32_t qpn) { qps_[qpn]->qp.fatal(); }

void RdmaEngine::disconnect(uint32_t qpn) {
  // The verbs call reaches the RNIC like a doorbell.
  agenda_.after(cfg_.doorbell_latency, [this, qpn] { qps_[qpn]->qp.disconnect(); });
}

void RdmaEngine::attach(uint32_t qpn, uint32_t conn, const MpaParams& mpa, std::vector<uint8_t> leftover) {
  Slot& s = *qps_[qpn];
  s.conn = conn;
  if (qp_of_conn_.size() <= conn) qp_of_conn_.resize(conn + 1, UINT32_MAX);
  qp_of_conn_[conn] = qpn;
  Slot* sp = &s;
  s.deframer = std::make_unique<mpa::Deframer>(
      mpa.crc,
      [sp](ConstByteSpan u, mpa::FpduStatus st) {
        sp->cur_fpdu = sp->deframer->fpdu_start();
        if (sp->qp.on_fpdu(u, st)) sp->last_seen = true;
      },
      mpa.markers_rx);
  {
    tcp::Connection& c = toe_.conn(conn);
    s.tx_s0 = c.bytes_acked() + c.send_buffer().size();  // markers count from here
    s.rx_s0 = c.bytes_received() - leftover.size();      // the leftover bytes begin at S0
  }
  toe_.set_client(conn, this);
  if (!s.qp.attach(mpa)) return;  // IDLE -> RTR -> RTS, and the RTR if this side sends it
  if (!leftover.empty()) s.deframer->feed(ConstByteSpan(leftover.data(), leftover.size()));
  tx_pump(s);
}

void RdmaEngine::emit(const Cqe& c, Duration when) {
  ++stats_.cqes;
  agenda_.at(std::max(when, sim_now()), [this, c] {
    if (cqe_sink_) cqe_sink_(c);
  });
}

void RdmaEngine::post_send(uint32_t qpn, const Wqe& w) {
  if (!rdmap::Qp::is_work_request(w.opcode))
    throw std::invalid_argument(std::string("post_send: no work request carries ") + wire::to_string(w.opcode));
  // Doorbell (MMIO write) reaches the RNIC, then the WQE is fetched from host memory.
  agenda_.at(ring_doorbell(qpn), [this, qpn, w] {
    if (!qps_[qpn]->qp.ring_doorbell()) {
      qps_[qpn]->qp.post_send(w);  // not in RTS: flushed at once, nothing to fetch
      return;
    }
    const Duration fetched = qps_[qpn]->sq.read_next(dma_);
    agenda_.at(fetched, [this, qpn, w] {
      ++stats_.wqes;
      qps_[qpn]->qp.post_send(w);
    });
  });
}

Duration RdmaEngine::ring_doorbell(uint32_t qpn) {
  // The CPU's store leaves for the root port (doorbell_latency), then crosses the link
  // as a posted memory write to the QP's doorbell in the RNIC's BAR.
  return dma_.host_write(kDoorbellBase + uint64_t{qpn} * kDoorbellBytes, kDoorbellBytes,
                         sim_now() + cfg_.doorbell_latency);
}

bool RdmaEngine::post_recv(uint32_t qpn, const Rqe& r) {
  // The driver knows the ring's occupancy: a full receive queue refuses the post at once.
  if (!qps_[qpn]->qp.reserve_receive()) return false;
  agenda_.at(ring_doorbell(qpn), [this, qpn, r] { qps_[qpn]->qp.post_recv(r); });
  return true;
}

void RdmaEngine::tx_pump(Slot& s) {
  if (!s.qp.issue_work()) return;
  tcp::Connection& c = toe_.conn(s.conn);
  const uint32_t mulpdu = wire::mpa_mulpdu(c.emss(), s.qp.mpa().markers_tx);
  const auto room = [&c, &s] {
    const uint64_t space = c.send_buffer().space();
    return space > s.reserved ? space - s.reserved : 0;
  };
  rdmap::TxFpdu f;
  while (s.qp.next_fpdu(mulpdu, room(), f)) {
    s.reserved += f.reserve;
    // The payload comes from host memory by DMA (an Atomic Response waits for its word's
    // read instead); the FPDU is written when it has arrived, in issue order.
    const Duration fetched = f.kind == rdmap::TxFpdu::Kind::AtomicResponse ? s.atomic_read
                             : f.len                                        ? read_source(f)
                                                                            : sim_now();
    const Duration ready = std::max(fetched + cfg_.fpdu_latency, s.tx_free);
    s.tx_free = ready;
    Slot* sp = &s;
    agenda_.at(ready, [this, sp, f] { write_fpdu(*sp, f); });
  }
}

Duration RdmaEngine::read_source(const rdmap::TxFpdu& f) {
  // One DMA read per physical page of the payload: its pages are scattered.
  Duration done = sim_now();
  if (f.buf) {
    for (uint64_t k = 0; k < f.len;) {
      const uint64_t a = f.va + k;
      const uint64_t n = std::min<uint64_t>(f.len - k, host::HostMemory::kPage - a % host::HostMemory::kPage);
      done = std::max(done, dma_.read(f.buf->pa(a), n));
      k += n;
    }
  } else {
    placement_.regions().translate(f.src_stag, f.va, f.len,
                                   [&](uint64_t pa, uint64_t n, uint64_t) { done = std::max(done, dma_.read(pa, n)); });
  }
  return done;
}

void RdmaEngine::write_fpdu(Slot& s, const rdmap::TxFpdu& f) {
  if (!s.qp.active()) return;
  tcp::Connection& conn = toe_.conn(s.conn);
  const auto gather = [this, &f](mpa::RingWriter& w) {
    if (f.buf) {
      // Gather from the source buffer's physical pages, straight into the ring.
      for (uint64_t done = 0; done < f.len;) {
        const uint64_t a = f.va + done;
        const uint64_t n = std::min<uint64_t>(f.len - done, host::HostMemory::kPage - a % host::HostMemory::kPage);
        w.write(mem_.view(f.buf->pa(a)), n);
        done += n;
      }
    } else if (f.len) {
      // A Read Response: the source region's pages, checked when the request came.
      placement_.regions().translate(f.src_stag, f.va, f.len,
                                     [&](uint64_t pa, uint64_t n, uint64_t) { w.write(mem_.view(pa), n); });
    }
  };
  const ConstByteSpan header(f.hdr.data(), f.hdr_len);
  const rdmap::MpaParams& mpa = s.qp.mpa();
  if (mpa.markers_tx) {
    const uint64_t pos = conn.bytes_acked() + conn.send_buffer().size() - s.tx_s0;
    mpa::write_fpdu(conn.send_buffer(), header, f.len, gather, mpa.crc, pos);
  } else {
    mpa::write_fpdu(conn.send_buffer(), header, f.len, gather, mpa.crc);
  }
  s.reserved -= f.reserve;
  ++stats_.fpdus_tx;
  if (f.last && f.kind == rdmap::TxFpdu::Kind::ReadResponse) ++stats_.read_responses_tx;
  if (f.last && f.kind == rdmap::TxFpdu::Kind::AtomicResponse) ++stats_.atomic_responses_tx;
  s.qp.fpdu_written(f, conn.bytes_acked() + conn.send_buffer().size());
  toe_.kick(s.conn);
}

void RdmaEngine::toe_acked(uint32_t conn, uint64_t total) {
  Slot* s = slot_of_conn(conn);
  if (!s) return;
  s->qp.on_acked(total);
  // Completions are decided after the rest of this segment (its data may be a Terminate
  // that fails the work the ACK covers).
  schedule_completion(*s);
  tx_pump(*s);
}

void RdmaEngine::schedule_completion(Slot& s) {
  if (s.completion_scheduled) return;
  s.completion_scheduled = true;
  Slot* sp = &s;
  agenda_.at(sim_now(), [sp] {
    sp->completion_scheduled = false;
    sp->qp.complete();
  });
}

bool RdmaEngine::toe_data(uint32_t conn, ConstByteSpan data) {
  Slot& s = *qps_[qp_of_conn_[conn]];
  if (!s.qp.active()) return false;
  s.last_seen = false;
  s.deframer->feed(data);
  // A segment that ends a message is acknowledged at once; after a Terminate the ACK
  // rides on it.
  return s.last_seen && s.qp.active();
}

Duration RdmaEngine::toe_held_until(uint32_t conn) const {
  // The segment's bytes stay in the RNIC until the data they carried is in host memory:
  // the last placement or host write its FPDUs started (placement runs in stream order).
  if (conn >= qp_of_conn_.size() || qp_of_conn_[conn] == UINT32_MAX) return Duration{-1};
  return qps_[qp_of_conn_[conn]]->last_visible;
}

void RdmaEngine::toe_out_of_order(uint32_t conn, uint64_t pos, ConstByteSpan data) {
  Slot* sp = slot_of_conn(conn);
  if (!sp) return;
  Slot& s = *sp;
  if (!s.qp.may_place_early() || !s.deframer || s.deframer->failed() || pos < s.rx_s0 ||
      pos - s.rx_s0 < s.deframer->position())
    return;
  const mpa::Deframer* dp = nullptr;
  mpa::Deframer d(
      true,
      [this, sp, &dp](ConstByteSpan u, mpa::FpduStatus st) {
        if (st == mpa::FpduStatus::Ok) direct_place(*sp, dp->fpdu_start(), u);
      },
      s.qp.mpa().markers_rx, pos - s.rx_s0);
  dp = &d;
  d.feed(data);
}

void RdmaEngine::direct_place(Slot& s, uint64_t key, ConstByteSpan ulpdu) {
  if (s.direct.count(key)) return;  // bytes already held, sent again
  const auto e = s.qp.early_placement(ulpdu);
  if (!e) return;
  s.direct[key] = placement_.place(s.qp.pd(), e->stag, e->to, e->payload, e->use).done;
  ++stats_.direct_placements;
  stats_.direct_bytes += e->payload.size();
}

void RdmaEngine::toe_state(uint32_t conn, tcp::State, tcp::State to) {
  Slot* s = slot_of_conn(conn);
  if (!s) return;
  if (to == tcp::State::CloseWait) {
    s->qp.on_peer_closed();
    return;
  }
  if (to == tcp::State::Closed || to == tcp::State::TimeWait) s->qp.on_stream_closed();
}

}  // namespace rnicsim::hw

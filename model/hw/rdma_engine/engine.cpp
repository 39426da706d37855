#include "model/hw/rdma_engine/engine.h"

#include <algorithm>
#include <array>
#include <deque>
#include <stdexcept>
#include <string>

#include "model/common/bytes.h"
#include "model/proto/ddp/tagged.h"
#include "model/proto/verbs/convert.h"
#include "model/proto/verbs/cq.h"
#include "model/proto/verbs/ring.h"
#include "model/wire/mpa.h"

namespace rnicsim::hw {
namespace {

/// The deepest queue a QP has (the scenario's qp.sq_depth and qp.rq_depth bound): a QP
/// created with an unbounded receive queue gets a completion queue this much deeper.
constexpr uint32_t kMaxQueueDepth = 65536;
/// The driver's local keys (lkeys) count up from here, apart from the placement unit's STags.
constexpr uint32_t kLocalKeyBase = 0x80000000u;

/// An FPDU whose payload the engine reads from host memory by DMA (not inline data, not
/// an Atomic Response's word).
bool dma_payload(const rdmap::TxFpdu& f) {
  return f.len && !f.inline_data && f.kind != rdmap::TxFpdu::Kind::AtomicResponse;
}

uint64_t pages_for(uint64_t bytes) { return (bytes + host::HostMemory::kPage - 1) / host::HostMemory::kPage; }

/// The ring of `slots` slots of `slot` bytes, on contiguous pages of its own.
verbs::Ring make_ring(host::HostMemory& mem, uint32_t slots, uint32_t slot) {
  return verbs::Ring(mem.alloc_contiguous(pages_for(uint64_t{slots} * slot)), slots, slot);
}

/// What a doorbell's producer index announced, and whether the QP took it (RTS).
struct DoorbellRecord {
  uint64_t end = 0;
  bool rung = false;
};

}  // namespace

/// The QP's Port: what the protocol asks becomes DMA, placement and stream work here, with
/// its timing; the times the protocol never sees live here too.
struct RdmaEngine::Slot : rdmap::Port {
  Slot(RdmaEngine& engine, uint32_t qpn, uint32_t pd, uint32_t sq_depth, uint32_t rq_depth, const CqOptions& cqo)
      : e(engine),
        qp(qpn, pd, sq_depth, rq_depth, engine.placement_.regions(), *this, engine.stats_),
        sq(make_ring(engine.mem_, std::max<uint32_t>(1, sq_depth) *
                                      static_cast<uint32_t>(wire::sq_wqe_slots(engine.cfg_.max_inline)),
                     wire::kSqSlotLen)),
        rq(make_ring(engine.mem_, std::max<uint32_t>(1, std::min(rq_depth, kMaxQueueDepth)), wire::kRqSlotLen)),
        cq([&] {
          const uint32_t d = cqo.depth ? cqo.depth : std::max<uint32_t>(1, sq_depth) + std::min(rq_depth, kMaxQueueDepth);
          return verbs::CqRing(engine.mem_.alloc_contiguous(pages_for(uint64_t{d} * engine.cfg_.cqe_size)), d,
                              engine.cfg_.cqe_size);
        }()),
        event(cqo.event),
        irq(cqo.moderation) {
    if (event) irq.arm(false);  // ibv_req_notify_cq before the first completion
  }

  RdmaEngine& e;
  rdmap::Qp qp;
  uint32_t conn = UINT32_MAX;
  std::unique_ptr<mpa::Deframer> deframer;
  uint64_t tx_s0 = 0;          ///< stream offset of S0 (after our MPA frame) when sending
  uint64_t rx_s0 = 0;          ///< TCP stream position of S0 in the direction we receive
  uint64_t reserved = 0;       ///< send-buffer bytes promised to FPDUs waiting for their DMA
  uint64_t prefetched = 0;     ///< payload bytes read by DMA (or reading) and not yet framed
  Duration tx_free{};          ///< FPDUs are written in issue order: none before this
  bool completion_scheduled = false;
  bool last_seen = false;      ///< an FPDU with the L bit ended in the current feed
  Duration write_done{};       ///< inbound RDMA Write: when its bytes so far are visible
  uint64_t cur_fpdu = UINT64_MAX;  ///< Deframer::fpdu_start of the FPDU being handled in order
  std::map<uint64_t, Duration> direct;  ///< FPDUs placed out of order (by fpdu_start): when visible
  Duration last_visible{};     ///< when the data of the last placement or host write is visible
  Duration atomic_read{};      ///< when the last atomic's read of its word returned
  // The rings. The verbs::Ring indices are the RNIC's (producer from the doorbells,
  // consumer as it fetches); the driver's own producers are sq_pi and rq_pi.
  verbs::Ring sq, rq;
  verbs::CqRing cq;
  uint64_t sq_pi = 0, rq_pi = 0;   ///< the driver's producer indices (slots)
  uint64_t sq_outstanding = 0;     ///< the driver's count of WQEs posted and not completed
  std::deque<DoorbellRecord> sq_doorbells;  ///< SQ doorbells whose WQEs are not all fetched
  bool sq_fetching = false;
  uint64_t cq_polled = 0;          ///< the application's CQ consumer index
  uint64_t cq_reported = 0;        ///< the last consumer index it wrote in a doorbell
  bool event;                      ///< the application waits for interrupts
  verbs::InterruptModerator irq;
  Duration timer_at{-1};           ///< the moderation timer set (none: -1)
  /// The driver's own CQEs (errors, flushes) waiting for the CQEs written before them to
  /// be polled: (the CQ producer when it was made, the CQE), so the application sees a
  /// QP's completions in order.
  std::deque<std::pair<uint64_t, Cqe>> sw_pending;
  bool cq_failed = false;          ///< the CQ overflowed: its QP went to ERROR

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
    // DMA writes being in order); the application sees it when it polls it there. Errors
    // and flushes are the driver's own CQEs (as cxgb4 flushes in software): seen at once.
    if (c.opcode != WcOpcode::Recv && sq_outstanding > 0) --sq_outstanding;
    if (c.status != WcStatus::Success || cq_failed) {
      // After an overflow the CQ takes nothing: what completes before the QP's move to
      // ERROR is reported lost too.
      Cqe f = c;
      if (cq_failed && f.status == WcStatus::Success) f.status = WcStatus::FatalError;
      e.emit_sw(*this, f);
      return;
    }
    e.write_cqe(*this, c);
  }

  void response_landed(uint64_t op) override {
    e.agenda_.at(last_visible, [this, op] { qp.response_done(op); });
  }

  void write_placed(uint32_t stag, uint64_t to_end, uint64_t bytes) override {
    // The whole message is in memory once its last DMA write is done.
    const Duration at = std::max(write_done, sim_now());
    write_done = Duration{};
    if (!e.write_placed_sink_) return;
    const uint32_t qpn = qp.qpn();
    e.agenda_.at(at, [this, qpn, stag, to_end, bytes] { e.write_placed_sink_(qpn, stag, to_end, bytes); });
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

uint32_t RdmaEngine::create_qp(uint32_t pd, uint32_t sq_depth, uint32_t rq_depth, const CqOptions& cq) {
  if (cfg_.wqe_size != wire::kSqSlotLen) throw std::invalid_argument("create_qp: wqe_size must be 64 bytes");
  if (cfg_.cqe_size != wire::kCqeLen && cfg_.cqe_size != 64) throw std::invalid_argument("create_qp: cqe_size must be 32 or 64 bytes");
  if (cfg_.max_inline > wire::kSqMaxInline) throw std::invalid_argument("create_qp: max_inline over 448 bytes");
  const auto qpn = static_cast<uint32_t>(qps_.size());
  qps_.push_back(std::make_unique<Slot>(*this, qpn, pd, sq_depth, rq_depth, cq));
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

// --- The verbs path through host memory (docs/architecture.md, "Verbs rings in host
// memory"). The driver's half (post_send, post_recv, the application's polls and its
// interrupt handler) writes rings and rings doorbells; the RNIC's half (on_doorbell and
// what follows) sees only doorbell TLPs and the bytes it reads by DMA.

uint32_t RdmaEngine::lkey_of(const host::VirtBuffer* buf) {
  const auto it = lkey_of_.find(buf);
  if (it != lkey_of_.end()) return it->second;
  const auto key = static_cast<uint32_t>(kLocalKeyBase + lkey_of_.size());
  lkey_of_.emplace(buf, key);
  lkeys_.emplace(key, buf);
  return key;
}

RdmaEngine::RingInfo RdmaEngine::rings(uint32_t qpn) const {
  const Slot& s = *qps_.at(qpn);
  return RingInfo{s.sq.base(),     s.rq.base(),     s.cq.base(),     s.sq.depth(),    s.rq.depth(),
                  s.cq.depth(),    cfg_.cqe_size,   s.sq_pi,         s.sq.consumer(), s.rq_pi,
                  s.rq.consumer(), s.cq.producer(), s.cq_polled};
}

void RdmaEngine::ring(uint64_t offset, const wire::Doorbell& db, uint64_t bytes, bool push) {
  // The CPU's store leaves for the root port (doorbell_latency), then crosses the link as
  // a posted memory write to the RNIC's BAR; the RNIC decodes its bytes when it arrives.
  std::array<uint8_t, wire::kDoorbellLen> b{};
  wire::encode_doorbell(b.data(), db);
  const Duration at = dma_.host_write(offset, bytes, sim_now() + cfg_.doorbell_latency);
  agenda_.at(at, [this, offset, b, push] { on_doorbell(offset, b.data(), push); });
}

void RdmaEngine::post_send(uint32_t qpn, const Wqe& w) {
  if (!rdmap::Qp::is_work_request(w.opcode))
    throw std::invalid_argument(std::string("post_send: no work request carries ") + wire::to_string(w.opcode));
  Slot& s = *qps_.at(qpn);
  wire::SqWqe q = verbs::to_wire(w, true);
  const bool sendlike = q.opcode == wire::SqOpcode::RdmaWrite || q.opcode == wire::SqOpcode::Send ||
                        q.opcode == wire::SqOpcode::SendWithInvalidate;
  if (sendlike && w.length > 0 && w.length <= cfg_.max_inline && w.local) {
    // Inline: the CPU copies the bytes into the WQE now (the buffer is free at once).
    q.is_inline = true;
    q.num_sge = 0;
    q.sge = {};
    q.inline_data.resize(w.length);
    for (uint64_t k = 0; k < w.length;) {
      const uint64_t a = w.local_va + k;
      const uint64_t n = std::min<uint64_t>(w.length - k, host::HostMemory::kPage - a % host::HostMemory::kPage);
      mem_.read(w.local->pa(a), q.inline_data.data() + k, n);
      k += n;
    }
  } else if (w.local || q.opcode == wire::SqOpcode::RdmaRead) {
    // One SGE whenever there is a local buffer, a zero-length one too: a Read's sink STag
    // travels in its Read Request whatever its length.
    q.num_sge = 1;
    q.sge = wire::VerbsSge{w.local_va, q.total_length, 0};
    if (q.opcode == wire::SqOpcode::RdmaRead) {
      q.sge.lkey = w.local_stag;  // the sink's STag names it (the Read Request carries it)
      read_sinks_[w.local_stag] = w.local;
    } else {
      q.sge.lkey = lkey_of(w.local);
    }
  }
  std::array<uint8_t, wire::kSqMaxSlots * wire::kSqSlotLen> bytes{};
  const size_t len = wire::encode_sq_wqe(bytes.data(), q);
  const auto n = static_cast<uint32_t>(len / wire::kSqSlotLen);
  if (s.sq_pi + n - s.sq.consumer() > s.sq.depth())
    throw std::logic_error("post_send: the send queue is full (more than qp.sq_depth WQEs posted)");
  for (uint32_t k = 0; k < n; ++k)
    mem_.write(s.sq.slot_address(s.sq_pi + k), bytes.data() + k * wire::kSqSlotLen, wire::kSqSlotLen);
  s.sq_pi += n;
  // On an empty send queue a small WQE rides in the doorbell (write-combined push).
  const bool push = cfg_.wqe_push_max && len <= cfg_.wqe_push_max && s.sq_outstanding == 0;
  ++s.sq_outstanding;
  const wire::Doorbell db{qpn, static_cast<uint32_t>(s.sq_pi)};
  if (push)
    ring(kSqPushOffset, db, wire::kDoorbellLen + len, true);
  else
    ring(wire::kSqDoorbellOffset, db, wire::kDoorbellLen);
}

bool RdmaEngine::post_recv(uint32_t qpn, const Rqe& r) {
  Slot& s = *qps_.at(qpn);
  if (r.sgl.size() > wire::kRqMaxSge) throw std::invalid_argument("post_recv: more than 3 SGEs");
  for (const Sge& g : r.sgl)
    if (g.length > UINT32_MAX) throw std::invalid_argument("post_recv: an SGE over 4 GiB");
  // The driver knows the ring's occupancy: a full receive queue refuses the post at once.
  if (!s.qp.reserve_receive()) return false;
  // The RNIC takes RQEs when their doorbell arrives, before they can complete, so a ring of
  // rq_depth slots always has room for a receive the QP reserved.
  if (s.rq_pi + 1 - s.rq.consumer() > s.rq.depth()) throw std::logic_error("post_recv: the receive queue's ring is full");
  wire::RqWqe q;
  q.wr_id = r.wr_id;
  for (const Sge& g : r.sgl)
    q.sgl.push_back(wire::VerbsSge{g.va, static_cast<uint32_t>(g.length), lkey_of(g.buf)});
  std::array<uint8_t, wire::kRqSlotLen> bytes{};
  wire::encode_rq_wqe(bytes.data(), q);
  mem_.write(s.rq.slot_address(s.rq_pi), bytes.data(), bytes.size());
  ++s.rq_pi;
  ring(wire::kRqDoorbellOffset, wire::Doorbell{qpn, static_cast<uint32_t>(s.rq_pi)}, wire::kDoorbellLen);
  return true;
}

void RdmaEngine::on_doorbell(uint64_t offset, const uint8_t* bytes, bool push) {
  ++stats_.doorbells;
  const auto d = wire::decode_doorbell(bytes, wire::kDoorbellLen);
  if (!static_cast<bool>(d) || d.value.qpn >= qps_.size()) {
    ++stats_.bad_doorbells;
    return;
  }
  Slot& s = *qps_[d.value.qpn];
  const uint32_t index = d.value.index;
  switch (offset) {
    case kSqPushOffset:
    case wire::kSqDoorbellOffset: {
      const uint64_t start = s.sq.producer();
      const uint64_t p = verbs::extend_index(index, start);
      if (p == start) return;  // nothing new (a doorbell rung again): nothing to take
      if (!s.sq.set_producer(p)) {
        ++stats_.bad_doorbells;
        return;
      }
      s.sq_doorbells.push_back(DoorbellRecord{s.sq.producer(), s.qp.ring_doorbell()});
      if (push && !s.sq_fetching && s.sq.consumer() == start) {
        // The WQE came in the TLP: the RNIC has its bytes (the same the ring holds).
        ++stats_.wqes_pushed;
        take_wqe(s);
      }
      fetch_wqes(s);
      return;
    }
    case wire::kRqDoorbellOffset:
      if (!s.rq.set_producer(verbs::extend_index(index, s.rq.producer()))) {
        ++stats_.bad_doorbells;
        return;
      }
      fetch_rqes(s);
      return;
    case wire::kCqConsumerDoorbellOffset:
    case wire::kCqArmDoorbellOffset:
    case wire::kCqArmSolicitedDoorbellOffset: {
      const uint64_t c = verbs::extend_index(index, s.cq.consumer());
      if (c != s.cq.consumer() && !s.cq.set_consumer(c)) {
        ++stats_.bad_doorbells;
        return;
      }
      if (offset == wire::kCqConsumerDoorbellOffset) return;
      s.irq.arm(offset == wire::kCqArmSolicitedDoorbellOffset);
      // CQEs written past the index the arm carries: the application has not seen them, so
      // the interrupt comes at once (as mlx5 raises the event when armed on a non-empty CQ).
      if (s.cq.producer() > c && s.irq.raise_pending()) raise_interrupt(s);
      arm_timer(s);
      return;
    }
    default: ++stats_.bad_doorbells; return;
  }
}

void RdmaEngine::fetch_wqes(Slot& s) {
  if (s.sq_fetching || s.sq.empty()) return;
  // Every slot queued together, in as few reads as MRRS allows (split at the ring's end).
  Duration done = sim_now();
  for (const verbs::ByteRange& r : s.sq.fetch_plan(s.sq.consumer(), s.sq.producer(), dma_.config().pcie.mrrs)) {
    done = std::max(done, dma_.read(r.addr, r.len));
    ++stats_.wqe_reads;
  }
  s.sq_fetching = true;
  const uint64_t upto = s.sq.producer();
  Slot* sp = &s;
  agenda_.at(done, [this, sp, upto] {
    sp->sq_fetching = false;
    while (sp->sq.consumer() < upto && !sp->sq_doorbells.empty()) take_wqe(*sp);
    fetch_wqes(*sp);
  });
}

void RdmaEngine::take_wqe(Slot& s) {
  // The base slot says how many slots the WQE has; a WQE may wrap the ring's end.
  std::array<uint8_t, wire::kSqMaxSlots * wire::kSqSlotLen> b{};
  mem_.read(s.sq.slot_address(s.sq.consumer()), b.data(), wire::kSqSlotLen);
  const auto slots = wire::peek_sq_wqe_slots(b.data(), wire::kSqSlotLen);
  const uint64_t avail = s.sq.used();
  const DoorbellRecord rec = s.sq_doorbells.front();
  std::optional<Wqe> w;
  uint32_t n = 1;
  if (static_cast<bool>(slots) && slots.value <= avail) {
    n = static_cast<uint32_t>(slots.value);
    for (uint32_t k = 1; k < n; ++k)
      mem_.read(s.sq.slot_address(s.sq.consumer() + k), b.data() + k * wire::kSqSlotLen, wire::kSqSlotLen);
    auto q = wire::decode_sq_wqe(b.data(), n * wire::kSqSlotLen);
    if (static_cast<bool>(q)) {
      const auto& t = q.value;
      if (t.is_inline) {
        wire::SqWqe c = t;
        c.is_inline = false;
        c.inline_data.clear();
        c.total_length = 0;
        w = verbs::from_wire(c, nullptr);
        w->length = t.inline_data.size();
        w->inline_data = std::make_shared<const std::vector<uint8_t>>(t.inline_data);
      } else {
        const auto& keys = t.opcode == wire::SqOpcode::RdmaRead ? read_sinks_ : lkeys_;
        const auto it = t.num_sge ? keys.find(t.sge.lkey) : keys.end();
        if (!t.num_sge || it != keys.end()) w = verbs::from_wire(t, t.num_sge ? it->second : nullptr);
      }
    }
  }
  s.sq.consume(std::min<uint32_t>(n, static_cast<uint32_t>(avail)));
  ++stats_.wqes;
  if (w) {
    s.qp.post_fetched(*w, rec.rung);
  } else {
    // Bytes no driver of ours writes: the QP cannot go on (a local QP operation error).
    ++stats_.bad_wqes;
    s.completion(Cqe{load_le64(b.data()), s.qp.qpn(), WcStatus::LocalQpOperationError, 0, WcOpcode::Send});
    Slot* sp = &s;
    agenda_.at(sim_now(), [sp] { sp->qp.fatal(); });
  }
  while (!s.sq_doorbells.empty() && s.sq_doorbells.front().end <= s.sq.consumer()) {
    const bool rung = s.sq_doorbells.front().rung;
    s.sq_doorbells.pop_front();
    if (rung) s.qp.doorbell_fetched();
  }
}

void RdmaEngine::fetch_rqes(Slot& s) {
  // The RQEs are read by DMA (one read per range, as for WQEs) and taken at once: an RNIC
  // that knows from the doorbell that they are there fetches them ahead of the Sends that
  // need them, so a Send's placement never waits for its RQE (nor is one refused for want
  // of a receive whose doorbell has arrived).
  for (const verbs::ByteRange& r : s.rq.fetch_plan(s.rq.consumer(), s.rq.producer(), dma_.config().pcie.mrrs)) {
    dma_.read(r.addr, r.len);
    ++stats_.rqe_reads;
  }
  while (s.rq.consumer() < s.rq.producer()) {
    std::array<uint8_t, wire::kRqSlotLen> b{};
    mem_.read(s.rq.slot_address(s.rq.consumer()), b.data(), b.size());
    s.rq.consume(1);
    ++stats_.rqes;
    const auto q = wire::decode_rq_wqe(b.data(), b.size());
    Rqe r;
    r.wr_id = q ? q.value.wr_id : load_le64(b.data());
    bool good = static_cast<bool>(q);
    if (good) {
      for (const wire::VerbsSge& g : q.value.sgl) {
        const auto it = lkeys_.find(g.lkey);
        if (it == lkeys_.end()) {
          good = false;
          break;
        }
        r.sgl.push_back(Sge{it->second, g.addr, g.length});
      }
    }
    if (!good) {
      // Bytes no driver of ours writes: a local QP operation error, the QP to ERROR.
      ++stats_.bad_wqes;
      s.completion(Cqe{r.wr_id, s.qp.qpn(), WcStatus::LocalQpOperationError, 0, WcOpcode::Recv});
      Slot* sp = &s;
      agenda_.at(sim_now(), [sp] { sp->qp.fatal(); });
      continue;
    }
    s.qp.post_recv(r);
  }
}

void RdmaEngine::emit_sw(Slot& s, const Cqe& c) {
  ++stats_.sw_cqes;
  s.sw_pending.emplace_back(s.cq.producer(), c);
  if (s.cq_polled >= s.cq.producer()) {
    // Nothing written before it is still unseen: the application sees it now.
    Slot* sp = &s;
    agenda_.at(sim_now(), [this, sp] { release_sw(*sp); });
  }
}

void RdmaEngine::release_sw(Slot& s) {
  while (!s.sw_pending.empty() && s.sw_pending.front().first <= s.cq_polled) {
    const Cqe c = s.sw_pending.front().second;
    s.sw_pending.pop_front();
    if (cqe_sink_) cqe_sink_(c);
  }
}

void RdmaEngine::write_cqe(Slot& s, const Cqe& c) {
  const verbs::CqRing::Produced p = s.cq.produce();
  if (p.status == verbs::CqRing::Status::Overflow) {
    // A full CQ (IBV_EVENT_CQ_ERR): the CQE is lost to the ring, so the driver reports the
    // work in error, and the QP goes to ERROR (every later completion flushed).
    ++stats_.cq_overflows;
    s.cq_failed = true;
    Cqe f = c;
    f.status = WcStatus::FatalError;
    emit_sw(s, f);
    Slot* sp = &s;
    agenda_.at(sim_now(), [sp] { sp->qp.fatal(); });
    return;
  }
  ++stats_.cqes;
  std::array<uint8_t, 64> bytes{};
  wire::encode_cqe(bytes.data(), verbs::to_wire(c, p.phase));
  const Duration landed = dma_.write(p.addr, cfg_.cqe_size);
  Slot* sp = &s;
  const uint64_t addr = p.addr;
  const uint32_t len = cfg_.cqe_size;
  const bool solicited = c.solicited;
  agenda_.at(std::max(landed, sim_now()), [this, sp, addr, bytes, len, solicited] {
    mem_.write(addr, bytes.data(), len);
    if (!sp->event) {
      poll_cq(*sp);  // the application busy-polls: it sees the CQE as it lands
      return;
    }
    cq_event(*sp, solicited, true);
  });
}

void RdmaEngine::cq_event(Slot& s, bool solicited, bool success) {
  // The RNIC's side of a CQE written on an event-driven CQ: moderation decides.
  if (s.irq.on_cqe(sim_now(), solicited, success)) raise_interrupt(s);
  arm_timer(s);
}

void RdmaEngine::arm_timer(Slot& s) {
  const auto d = s.irq.deadline();
  if (!d || *d == s.timer_at) return;
  s.timer_at = *d;
  Slot* sp = &s;
  agenda_.at(*d, [this, sp] {
    if (sp->irq.on_timer(sim_now())) raise_interrupt(*sp);
  });
}

void RdmaEngine::raise_interrupt(Slot& s) {
  // The MSI-X message: a 4-byte posted write to the APIC's address; the handler runs
  // interrupt_latency after it lands, polls every CQE there and re-arms the CQ.
  ++stats_.interrupts;
  s.timer_at = Duration{-1};
  const Duration landed = dma_.write(kMsixAddress, 4);
  Slot* sp = &s;
  agenda_.at(landed + cfg_.interrupt_latency, [this, sp] {
    poll_cq(*sp);
    ring(wire::kCqArmDoorbellOffset, wire::Doorbell{sp->qp.qpn(), static_cast<uint32_t>(sp->cq_polled)},
         wire::kDoorbellLen);
    sp->cq_reported = sp->cq_polled;
  });
}

void RdmaEngine::poll_cq(Slot& s) {
  // ibv_poll_cq: CQEs in order while the slot's phase says new.
  for (;;) {
    std::array<uint8_t, wire::kCqeLen> b{};
    mem_.read(s.cq.slot_address(s.cq_polled), b.data(), b.size());
    const auto q = wire::decode_cqe(b.data(), b.size());
    if (!static_cast<bool>(q) || !s.cq.is_new(s.cq_polled, q.value.phase)) break;
    ++s.cq_polled;
    if (cqe_sink_) cqe_sink_(verbs::from_wire(q.value));
    release_sw(s);
  }
  release_sw(s);
  // The consumer index goes back to the RNIC every sixteenth of the ring (as cxgb4's
  // CIDX updates), so the RNIC's view of the free slots lags by at most that much.
  const uint64_t every = std::max<uint32_t>(1, s.cq.depth() / 16);
  if (!s.event && s.cq_polled - s.cq_reported >= every) {
    ring(wire::kCqConsumerDoorbellOffset, wire::Doorbell{s.qp.qpn(), static_cast<uint32_t>(s.cq_polled)},
         wire::kDoorbellLen);
    s.cq_reported = s.cq_polled;
  }
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
  // Payload is read ahead of the stream up to tx_prefetch bytes per QP (the engine's
  // transmit buffer), not for the whole send buffer's room at once.
  while ((s.prefetched == 0 || s.prefetched < cfg_.tx_prefetch) && s.qp.next_fpdu(mulpdu, room(), f)) {
    s.reserved += f.reserve;
    if (dma_payload(f)) s.prefetched += f.len;
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
  if (f.inline_data) return done;  // came with its WQE
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
  const bool refill = dma_payload(f) && s.prefetched >= cfg_.tx_prefetch;
  if (dma_payload(f)) s.prefetched -= f.len;
  if (!s.qp.active()) return;
  tcp::Connection& conn = toe_.conn(s.conn);
  const auto gather = [this, &f](mpa::RingWriter& w) {
    if (f.inline_data) {
      w.write(f.inline_data->data() + f.va, f.len);
    } else if (f.buf) {
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
  if (f.kind == rdmap::TxFpdu::Kind::ReadResponse && read_sent_sink_) read_sent_sink_(s.qp.qpn(), f.src_stag, f.va, f.len);
  if (f.last && f.kind == rdmap::TxFpdu::Kind::AtomicResponse) ++stats_.atomic_responses_tx;
  s.qp.fpdu_written(f, conn.bytes_acked() + conn.send_buffer().size());
  toe_.kick(s.conn);
  if (refill) tx_pump(s);
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

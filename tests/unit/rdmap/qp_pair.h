#pragma once
// Test fixture: two rdmap::Qp joined at the DDP level, without SystemC or time. Each side
// has plain host memory and a region table, and is its QP's Port: placements and host
// writes go straight into memory, every ULPDU a QP sends (the FPDUs it hands out and the
// control FPDUs it writes) is logged and queued, in stream order, for the peer's on_fpdu.
// Work the engine would do later (an FPDU written after its DMA, a completion pass, a
// response becoming visible, a delivery) runs from one FIFO, so the order of the protocol's
// calls is kept and nothing re-enters the QP. The peer's ACK follows each delivery unless
// `auto_ack` is off. A close of the stream is a FIN in the same queue; when both sides have
// sent theirs, both streams are closed. The fixture never changes what the QPs decide.
//
// Why the DDP level and not through the MPA framer and deframer: the QP's input is the
// deframer's output (one ULPDU and its status), and framing has its own tests
// (tests/unit/proto/test_mpa_*); here a test can forge, change or drop a segment field by
// field, and an LLP error is a status handed in with the ULPDU.
#include <catch2/catch.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "model/mem/host_memory.h"
#include "model/common/bytes.h"
#include "model/proto/mpa/fpdu.h"
#include "model/proto/rdmap/qp.h"
#include "model/wire/mpa.h"

namespace rnicsim::test {

class QpPair;

struct StateChange {
  rdmap::QpState from, to;
  rdmap::Transition why;
};

/// One ULPDU as a side sent it.
struct SentUlpdu {
  int from = 0;
  std::vector<uint8_t> bytes;
  bool control = false;  ///< written at once (Terminate, RTR), not pulled from the transmit queue
  wire::DdpHeader hdr() const { return wire::decode_ddp(bytes.data(), bytes.size()).value; }
};

class QpSide : public rdmap::Port {
 public:
  QpSide(QpPair& pair, int id, uint32_t pd, uint32_t sq_depth, uint32_t rq_depth)
      : mem(20260000 + id, id ? "b" : "a"), qp(1 + id, pd, sq_depth, rq_depth, regions, *this, counters),
        pair_(pair), id_(id) {}

  /// A buffer of `len` bytes at `va` in scattered pages, every byte `fill`.
  host::VirtBuffer alloc(uint64_t va, uint64_t len, uint8_t fill = 0) {
    host::VirtBuffer b;
    b.va = va;
    b.length = len;
    const uint64_t first = va & ~uint64_t{4095};
    b.pages = mem.alloc_pages((va + len - first + 4095) / 4096);
    const std::vector<uint8_t> bytes(len, fill);
    put(b, 0, bytes);
    return b;
  }
  /// Registers `b` (its pages) for `access` in protection domain `pd`; returns the STag.
  uint32_t reg(const host::VirtBuffer& b, uint32_t access, uint32_t pd = 1) {
    placement::Region r;
    r.pd = pd;
    r.access = access;
    r.base_va = b.va;
    r.length = b.length;
    r.pages = b.pages;
    return *regions.add(r);
  }
  void put(const host::VirtBuffer& b, uint64_t off, const std::vector<uint8_t>& bytes) {
    for (uint64_t k = 0; k < bytes.size(); ++k) mem.write(b.pa(b.va + off + k), &bytes[k], 1);
  }
  std::vector<uint8_t> get(const host::VirtBuffer& b, uint64_t off, uint64_t n) {
    std::vector<uint8_t> out(n);
    for (uint64_t k = 0; k < n; ++k) mem.read(b.pa(b.va + off + k), &out[k], 1);
    return out;
  }
  uint64_t word(const host::VirtBuffer& b, uint64_t off = 0) {
    const auto v = get(b, off, 8);
    return load_le64(v.data());
  }
  void set_word(const host::VirtBuffer& b, uint64_t off, uint64_t value) {
    std::vector<uint8_t> v(8);
    store_le64(v.data(), value);
    put(b, off, v);
  }
  /// Posts a receive of one piece (its doorbell and its arrival); false when refused.
  bool post_recv(uint64_t wr_id, const host::VirtBuffer& b, uint64_t off, uint64_t len) {
    rdmap::Rqe r;
    r.wr_id = wr_id;
    r.sgl.push_back(rdmap::Sge{&b, b.va + off, len});
    return post_recv(r);
  }
  bool post_recv(const rdmap::Rqe& r) {
    if (!qp.reserve_receive()) return false;
    qp.post_recv(r);
    return true;
  }
  std::vector<rdmap::Cqe> cqes_of(rdmap::WcOpcode op) const {
    std::vector<rdmap::Cqe> out;
    for (const auto& c : cqes)
      if (c.opcode == op) out.push_back(c);
    return out;
  }

  // rdmap::Port
  ddp::TaggedVerdict place(uint32_t pd, uint32_t stag, uint64_t to, ConstByteSpan payload,
                           placement::TaggedUse use) override {
    ++placements;
    const ddp::TaggedVerdict v = ddp::check_tagged(regions, stag, to, payload.size(), pd, use);
    if (v.ok())
      regions.translate(stag, to, payload.size(),
                        [&](uint64_t pa, uint64_t n, uint64_t off) { mem.write(pa, payload.data() + off, n); });
    return v;
  }
  void write_host(const host::VirtBuffer& buf, uint64_t va, const uint8_t* src, uint64_t n) override {
    for (uint64_t k = 0; k < n; ++k) mem.write(buf.pa(va + k), src + k, 1);
  }
  uint64_t run_atomic(const wire::AtomicRequest& r) override {
    uint64_t pa = 0;
    regions.translate(r.stag, r.to, 8, [&](uint64_t a, uint64_t, uint64_t) { pa = a; });
    uint8_t b[8];
    mem.read(pa, b, 8);
    const uint64_t original = load_le64(b);
    store_le64(b, wire::atomic_apply(r, original));
    mem.write(pa, b, 8);
    return original;
  }
  void invalidate(uint32_t stag) override { regions.invalidate(stag); }
  bool write_control(ConstByteSpan ulpdu) override;
  void close_stream() override;
  /// A reset reaches the peer as its stream closing under it (on_stream_closed).
  void abort_stream() override;
  int aborts = 0;
  void tx_ready() override;
  void completion(const rdmap::Cqe& c) override { cqes.push_back(c); }
  void response_landed(uint64_t op) override;
  void write_placed(uint32_t stag, uint64_t to_end, uint64_t bytes) override {
    writes_placed.push_back({stag, to_end});
    write_bytes.push_back(bytes);
  }
  void state_changed(rdmap::QpState from, rdmap::QpState to, rdmap::Transition why) override {
    transitions.push_back({from, to, why});
  }

  host::HostMemory mem;
  placement::RegionTable regions{64};
  rdmap::Counters counters;
  rdmap::Qp qp;
  std::vector<rdmap::Cqe> cqes;
  std::vector<StateChange> transitions;
  std::vector<std::pair<uint32_t, uint64_t>> writes_placed;  ///< (STag, TO past the end)
  std::vector<uint64_t> write_bytes;  ///< each placed Write's payload bytes (0: unknown)
  int placements = 0;
  int closes = 0;
  bool control_room = true;    ///< false: write_control finds no room
  uint64_t send_room = UINT64_MAX;  ///< send-buffer room offered to each FPDU (0: the buffer is full)
  uint32_t mulpdu = wire::mpa_mulpdu(1448, false);
  uint64_t stream_out = 0;     ///< stream bytes written (FPDU lengths, as MPA frames them)

 private:
  void write_now(const rdmap::TxFpdu& f);
  QpPair& pair_;
  int id_;
};

class QpPair {
 public:
  static constexpr int A = 0, B = 1;
  explicit QpPair(uint32_t rq_depth = 64, uint32_t pd = 1)
      : a(*this, A, pd, 64, rq_depth), b(*this, B, pd, 64, rq_depth) {}

  QpSide& side(int i) { return i == A ? a : b; }
  QpSide& peer(int i) { return i == A ? b : a; }

  /// Both QPs attached (RTS) with `pa`, `pb`.
  void connect(const rdmap::MpaParams& pa = {}, const rdmap::MpaParams& pb = {}) {
    REQUIRE(a.qp.attach(pa));
    REQUIRE(b.qp.attach(pb));
    run();
  }
  /// Posts a work request on side i (as the engine does once the WQE is fetched) and runs.
  void post(int i, const rdmap::Wqe& w) {
    side(i).qp.post_send(w);
    run();
  }
  /// Feeds side i a forged ULPDU (below MPA) and runs.
  void inject(int i, const std::vector<uint8_t>& ulpdu, mpa::FpduStatus st = mpa::FpduStatus::Ok) {
    side(i).qp.on_fpdu(ConstByteSpan(ulpdu.data(), ulpdu.size()), st);
    run();
  }
  /// Acknowledges everything side i's peer has received of side i's stream.
  void ack(int i) {
    side(i).qp.on_acked(delivered_[i]);
    later([this, i] { side(i).qp.complete(); });
    side(i).tx_ready();
  }
  /// The stream is lost under both QPs (TCP gave up): both see it closed.
  void lose_stream() {
    a.qp.on_stream_closed();
    b.qp.on_stream_closed();
    run();
  }
  void later(std::function<void()> f) { tasks_.push_back(std::move(f)); }
  /// Runs queued work and deliveries until none is left.
  void run() {
    for (int guard = 0; guard < 1000000 && !tasks_.empty(); ++guard) {
      auto f = std::move(tasks_.front());
      tasks_.pop_front();
      f();
    }
  }

  // Called by the sides.
  void send(int from, std::vector<uint8_t> ulpdu, bool control) {
    const uint64_t len = mpa::fpdu_stream_length(ulpdu.size());
    side(from).stream_out += len;
    log.push_back(SentUlpdu{from, ulpdu, control});
    if (hold[from]) {
      held[from].push_back(std::move(ulpdu));
      return;
    }
    later([this, from, u = std::move(ulpdu), len] { deliver(from, u, len); });
  }
  void fin(int from) {
    later([this, from] {
      fin_[from] = true;
      peer(from).qp.on_peer_closed();
      if (fin_[A] && fin_[B]) {
        a.qp.on_stream_closed();
        b.qp.on_stream_closed();
      }
    });
  }
  /// Sends on the ULPDUs held from side i (optionally changed on the way).
  void release(int from, const std::function<void(std::vector<uint8_t>&)>& change = {}) {
    hold[from] = false;
    for (auto& u : held[from]) {
      if (change) change(u);
      const uint64_t len = mpa::fpdu_stream_length(u.size());
      later([this, from, u, len] { deliver(from, u, len); });
    }
    held[from].clear();
    run();
  }
  /// ULPDUs of the log sent by side i.
  std::vector<SentUlpdu> sent_by(int i) const {
    std::vector<SentUlpdu> out;
    for (const auto& s : log)
      if (s.from == i) out.push_back(s);
    return out;
  }

  bool auto_ack = true;
  bool hold[2] = {false, false};  ///< keep side i's ULPDUs back (release sends them on)
  std::vector<std::vector<uint8_t>> held[2];
  std::vector<SentUlpdu> log;
  QpSide a, b;

 private:
  void deliver(int from, const std::vector<uint8_t>& u, uint64_t len) {
    peer(from).qp.on_fpdu(ConstByteSpan(u.data(), u.size()), mpa::FpduStatus::Ok);
    delivered_[from] += len;
    if (auto_ack) ack(from);
  }
  std::deque<std::function<void()>> tasks_;
  uint64_t delivered_[2] = {0, 0};
  bool fin_[2] = {false, false};
};

inline bool QpSide::write_control(ConstByteSpan ulpdu) {
  if (!control_room) return false;
  pair_.send(id_, std::vector<uint8_t>(ulpdu.begin(), ulpdu.end()), true);
  return true;
}
inline void QpSide::close_stream() {
  if (closes++ == 0) pair_.fin(id_);
}
inline void QpSide::abort_stream() { ++aborts; }
inline void QpSide::tx_ready() {
  if (!qp.issue_work()) return;
  rdmap::TxFpdu f;
  while (qp.next_fpdu(mulpdu, send_room, f)) pair_.later([this, f] { write_now(f); });
}
inline void QpSide::write_now(const rdmap::TxFpdu& f) {
  if (!qp.active()) return;  // the QP left RTS before this FPDU's turn: dropped
  std::vector<uint8_t> u(f.hdr.begin(), f.hdr.begin() + f.hdr_len);
  std::vector<uint8_t> payload(f.len);
  if (f.buf) {
    for (uint32_t k = 0; k < f.len; ++k) mem.read(f.buf->pa(f.va + k), &payload[k], 1);
  } else if (f.len) {
    regions.translate(f.src_stag, f.va, f.len,
                      [&](uint64_t pa, uint64_t n, uint64_t off) { mem.read(pa, payload.data() + off, n); });
  }
  u.insert(u.end(), payload.begin(), payload.end());
  pair_.send(id_, std::move(u), false);
  qp.fpdu_written(f, stream_out);
}
inline void QpSide::response_landed(uint64_t op) {
  pair_.later([this, op] { qp.response_done(op); });
}

// --- forged segments

inline std::vector<uint8_t> ulpdu(const wire::DdpHeader& h, const std::vector<uint8_t>& payload = {}) {
  std::vector<uint8_t> out(wire::ddp_header_length(h.tagged));
  wire::encode_ddp(out.data(), h);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}
inline wire::DdpHeader untagged(uint32_t qn, uint32_t msn, uint8_t op, bool last = true, uint32_t mo = 0) {
  wire::DdpHeader h;
  h.last = last;
  h.opcode = op;
  h.qn = qn;
  h.msn = msn;
  h.mo = mo;
  return h;
}
inline wire::DdpHeader tagged(uint8_t op, uint32_t stag, uint64_t to, bool last = true) {
  wire::DdpHeader h;
  h.tagged = true;
  h.last = last;
  h.opcode = op;
  h.stag = stag;
  h.to = to;
  return h;
}
/// The Terminate among side i's sent ULPDUs (the last one), decoded; checks its DDP header.
inline wire::TerminateMessage terminate_sent(const QpPair& p, int i) {
  const SentUlpdu* t = nullptr;
  for (const auto& s : p.log)
    if (s.from == i && s.hdr().opcode == static_cast<uint8_t>(wire::RdmapOpcode::Terminate)) t = &s;
  REQUIRE(t);
  const wire::DdpHeader h = t->hdr();
  CHECK(!h.tagged);
  CHECK(h.last);
  CHECK(h.qn == wire::kQnTerminate);
  CHECK(h.msn == 1);
  CHECK(h.mo == 0);
  CHECK(t->control);
  auto m = wire::decode_terminate_message(t->bytes.data() + 18, t->bytes.size() - 18);
  REQUIRE(m);
  return m.value;
}
inline std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t k = 0; k < n; ++k) v[k] = static_cast<uint8_t>(seed + k * 7 + (k >> 8));
  return v;
}

}  // namespace rnicsim::test

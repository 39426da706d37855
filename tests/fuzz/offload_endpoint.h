#pragma once
// The offload receive path of one RNIC connection, as the RDMA engine wires it
// (model/hw/rdma_engine/engine.cpp) but without SystemC or time: a tcp::Connection,
// established, whose in-order bytes go to an mpa::Deframer and its ULPDUs to an
// rdmap::Qp in RTS, and whose out-of-order bytes are parsed for early placement. The QP's
// Port writes into host memory where every byte that no region, receive buffer or atomic
// target lets the peer write holds a guard pattern, checked by guards_intact(). Shared by
// fuzz_offload_rx.cpp and make_seeds.cpp (which needs the STags it registers).
#include <cstdint>
#include <deque>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "model/mem/host_memory.h"
#include "model/proto/ddp/tagged.h"
#include "model/proto/mpa/fpdu.h"
#include "model/proto/rdmap/qp.h"
#include "model/proto/tcp/connection.h"
#include "model/wire/mpa.h"
#include "model/wire/tcp.h"
#include "tests/fuzz/fuzz_check.h"

namespace rnicsim::fuzz {

constexpr uint8_t kGuard = 0xA5;
constexpr uint32_t kPeerIsn = 7000, kIsn = 1000;

class Endpoint : public rdmap::Port, public tcp::Upcalls {
 public:
  /// `crc`: CRCs on; `markers`: the stream we receive carries markers.
  Endpoint(bool crc, bool markers)
      : mem_(1, "fuzz"), regions_(16), conn_(tcp_config(), kIsn, 0, *this),
        qp_(1, 1, 16, 16, regions_, *this, counters_) {
    // Regions: [0] remote write, [1] remote read only, [2] remote atomic, [3] the sink of
    // our Read (local write), [4] remote write in another PD, [5] remote write, invalidated.
    write_ = region(0x10064, 5000, placement::access::kRemoteWrite, 1, true);
    read_ = region(0x20008, 3000, placement::access::kRemoteRead, 1, false);
    atomic_ = region(0x30000, 64, placement::access::kRemoteAtomic | placement::access::kRemoteRead, 1, true);
    sink_ = region(0x4000c, 4000, placement::access::kLocalWrite, 1, true);
    other_pd_ = region(0x50010, 100, placement::access::kRemoteWrite, 2, false);
    dead_ = region(0x60000, 100, placement::access::kRemoteWrite, 1, false);
    regions_.invalidate(dead_);
    recv_ = buffer(0x70003, 2000, true);
    result_ = buffer(0x80000, 8, true);

    // The handshake: the peer's SYN, our SYN-ACK, the peer's ACK.
    wire::TcpHeader syn;
    syn.sport = 4000;
    syn.dport = 5000;
    syn.seq = kPeerIsn;
    syn.flags = wire::tcp_flags::kSyn;
    syn.window = 65535;
    syn.opts.has_mss = true;
    syn.opts.mss = 1460;
    syn.opts.sack_permitted = true;
    syn.opts.has_wscale = true;
    syn.opts.wscale = 7;
    conn_.open_passive(syn, now_);
    drain();
    peer_seq_ = kPeerIsn + 1;
    segment(wire::tcp_flags::kAck, peer_seq_, {});
    FUZZ_CHECK(conn_.state() == tcp::State::Established);

    rdmap::MpaParams mpa;
    mpa.crc = crc;
    mpa.markers_rx = markers;
    markers_ = markers;
    crc_ = crc;
    rx_s0_ = conn_.bytes_received();
    deframer_ = std::make_unique<mpa::Deframer>(
        crc,
        [this](ConstByteSpan u, mpa::FpduStatus st) {
          cur_fpdu_ = deframer_->fpdu_start();
          if (qp_.on_fpdu(u, st)) last_seen_ = true;
        },
        markers);
    FUZZ_CHECK(qp_.attach(mpa));
    // Two receives, a Read into the sink and a Fetch-and-Add whose result lands in result_.
    for (uint64_t k = 0; k < 2; ++k) {
      rdmap::Rqe r;
      r.wr_id = 100 + k;
      r.sgl.push_back(rdmap::Sge{&recv_, recv_.va + 1000 * k, 1000});
      FUZZ_CHECK(qp_.reserve_receive());
      qp_.post_recv(r);
    }
    rdmap::Wqe rd;
    rd.wr_id = 1;
    rd.opcode = wire::RdmapOpcode::RdmaReadRequest;
    rd.local = &sink_buf_;
    rd.local_stag = sink_;
    rd.local_va = sink_buf_.va;
    rd.remote_va = 0x9000;
    rd.rkey = 0x1234;
    rd.length = 4000;
    qp_.post_send(rd);
    rdmap::Wqe fa;
    fa.wr_id = 2;
    fa.opcode = wire::RdmapOpcode::AtomicRequest;
    fa.local = &result_;
    fa.local_va = result_.va;
    fa.remote_va = 0x8000;
    fa.rkey = 0x4321;
    fa.length = 8;
    fa.atomic_operand = 3;
    qp_.post_send(fa);
    run();
  }

  uint32_t write_stag() const { return write_; }
  uint32_t read_stag() const { return read_; }
  uint32_t atomic_stag() const { return atomic_; }
  uint32_t sink_stag() const { return sink_; }
  uint32_t other_pd_stag() const { return other_pd_; }
  uint32_t dead_stag() const { return dead_; }
  tcp::Connection& conn() { return conn_; }
  const rdmap::Qp& qp() const { return qp_; }

  /// The peer's next in-order segments carrying `bytes` (cut at 1460).
  void send_stream(const std::vector<uint8_t>& bytes) {
    for (size_t off = 0; off < bytes.size(); off += 1460) {
      const size_t n = std::min<size_t>(1460, bytes.size() - off);
      segment(wire::tcp_flags::kAck | wire::tcp_flags::kPsh, peer_seq_,
              std::vector<uint8_t>(bytes.begin() + off, bytes.begin() + off + n));
      peer_seq_ += static_cast<uint32_t>(n);
      peer_pos_ += n;
    }
  }
  /// One FPDU carrying `ulpdu`, framed as the peer's transmit path frames it.
  std::vector<uint8_t> frame(const std::vector<uint8_t>& ulpdu, uint64_t at) const {
    tcp::SendBuffer sb(1 << 20);
    const auto none = [](mpa::RingWriter&) {};
    const ConstByteSpan h(ulpdu.data(), ulpdu.size());
    if (markers_)
      mpa::write_fpdu(sb, h, 0, none, crc_, at);
    else
      mpa::write_fpdu(sb, h, 0, none, crc_);
    std::vector<uint8_t> out(sb.size());
    sb.copy_out(0, out.size(), out.data());
    return out;
  }
  void send_fpdu(const std::vector<uint8_t>& ulpdu) { send_stream(frame(ulpdu, peer_pos_)); }
  /// A segment with the given flags at `seq_delta` from the peer's next sequence number,
  /// acknowledging `ack_delta` from what we sent; in order with data, the stream advances.
  void send_segment(uint8_t flags, int32_t seq_delta, int32_t ack_delta, uint16_t window,
                    const std::vector<uint8_t>& payload) {
    const uint32_t seq = peer_seq_ + static_cast<uint32_t>(seq_delta);
    segment(flags, seq, payload, static_cast<uint32_t>(ack_delta), window);
    if (seq_delta == 0 && !payload.empty() && conn_.rcv_nxt() == seq + payload.size()) {
      peer_seq_ += static_cast<uint32_t>(payload.size());
      peer_pos_ += payload.size();
    }
  }
  /// A segment whose header is whatever `h` decodes to.
  void send_raw(const wire::TcpHeader& h, const std::vector<uint8_t>& payload) {
    conn_.on_segment(h, ConstByteSpan(payload.data(), payload.size()), now_);
    after_input();
  }
  /// Time passes (timers fire).
  void advance(Duration d) {
    now_ = now_ + d;
    const Duration due = conn_.next_deadline();
    if (due.ps >= 0 && due <= now_) conn_.on_timer(now_);
    after_input();
  }

  /// Every guard byte still holds the pattern, and no page was written that was not
  /// allocated.
  void check_guards() {
    FUZZ_CHECK(mem_.pages_touched() == pages_.size());
    for (const auto& [pa, allowed] : pages_) {
      uint8_t b[host::HostMemory::kPage];
      mem_.read(pa, b, sizeof b);
      for (size_t k = 0; k < sizeof b; ++k)
        if (!allowed[k] && b[k] != kGuard) {
          std::fprintf(stderr, "byte %zu of page 0x%llx written outside every writable range\n", k,
                       static_cast<unsigned long long>(pa));
          FUZZ_CHECK(false);
        }
    }
  }

  // rdmap::Port
  ddp::TaggedVerdict place(uint32_t pd, uint32_t stag, uint64_t to, ConstByteSpan payload,
                           placement::TaggedUse use) override {
    const auto it = direct_.find(cur_fpdu_);
    const ddp::TaggedVerdict v = ddp::check_tagged(regions_, stag, to, payload.size(), pd, use);
    if (it != direct_.end()) {
      direct_.erase(it);  // placed out of order already: checked again, not placed twice
      return v;
    }
    if (v.ok()) write_region(stag, to, payload);
    return v;
  }
  void write_host(const host::VirtBuffer& buf, uint64_t va, const uint8_t* src, uint64_t n) override {
    FUZZ_CHECK(va >= buf.va && n <= buf.length && va - buf.va <= buf.length - n);
    for (uint64_t k = 0; k < n; ++k) mem_.write(buf.pa(va + k), src + k, 1);
  }
  uint64_t run_atomic(const wire::AtomicRequest& r) override {
    FUZZ_CHECK(r.to % 8 == 0);
    FUZZ_CHECK(regions_.check(r.stag, r.to, 8, 1, placement::access::kRemoteAtomic) == placement::CheckFailure::None);
    uint64_t pa = 0;
    regions_.translate(r.stag, r.to, 8, [&](uint64_t a, uint64_t, uint64_t) { pa = a; });
    uint8_t b[8];
    mem_.read(pa, b, 8);
    const uint64_t original = load_le64(b);
    store_le64(b, wire::atomic_apply(r, original));
    mem_.write(pa, b, 8);
    return original;
  }
  void invalidate(uint32_t stag) override { regions_.invalidate(stag); }
  bool write_control(ConstByteSpan ulpdu) override {
    const auto f = std::vector<uint8_t>(ulpdu.begin(), ulpdu.end());
    if (conn_.send_buffer().space() < mpa::fpdu_stream_length(f.size()) + 64) return false;
    conn_.send_buffer().append(f.data(), f.size(), true);
    return true;
  }
  void close_stream() override { conn_.close(now_); }
  void abort_stream() override { conn_.abort(now_); }
  void tx_ready() override {
    if (!qp_.issue_work()) return;
    rdmap::TxFpdu f;
    while (qp_.next_fpdu(wire::mpa_mulpdu(conn_.emss(), false), conn_.send_buffer().space(), f))
      later([this, f] { write_fpdu(f); });
  }
  void completion(const rdmap::Cqe&) override { ++completions_; }
  void response_landed(uint64_t op) override {
    later([this, op] { qp_.response_done(op); });
  }
  void write_placed(uint32_t, uint64_t, uint64_t) override {}
  void state_changed(rdmap::QpState, rdmap::QpState, rdmap::Transition) override {}

  // tcp::Upcalls
  bool on_data(ConstByteSpan d) override {
    if (!qp_.active()) return false;
    last_seen_ = false;
    deframer_->feed(d);
    return last_seen_ && qp_.active();
  }
  void on_acked(uint64_t total) override {
    qp_.on_acked(total);
    later([this] { qp_.complete(); });
    tx_ready();
  }
  void on_state_change(tcp::State, tcp::State to) override {
    if (to == tcp::State::CloseWait) later([this] { qp_.on_peer_closed(); });
    if (to == tcp::State::Closed || to == tcp::State::TimeWait) later([this] { qp_.on_stream_closed(); });
  }
  void on_out_of_order(uint64_t pos, ConstByteSpan data) override {
    // As the engine's toe_out_of_order: a guess that an FPDU starts at the segment.
    if (!qp_.may_place_early() || deframer_->failed() || pos < rx_s0_ || pos - rx_s0_ < deframer_->position())
      return;
    const mpa::Deframer* dp = nullptr;
    mpa::Deframer d(
        true,
        [this, &dp](ConstByteSpan u, mpa::FpduStatus st) {
          if (st != mpa::FpduStatus::Ok || direct_.count(dp->fpdu_start())) return;
          const auto e = qp_.early_placement(u);
          if (!e) return;
          const ddp::TaggedVerdict v = ddp::check_tagged(regions_, e->stag, e->to, e->payload.size(), qp_.pd(), e->use);
          FUZZ_CHECK(v.ok());  // early_placement hands out only what passes the checks
          write_region(e->stag, e->to, e->payload);
          direct_.insert(dp->fpdu_start());
        },
        markers_, pos - rx_s0_);
    dp = &d;
    d.feed(data);
  }

 private:
  static tcp::Config tcp_config() {
    tcp::Config c;
    c.timestamps = false;
    c.rcvbuf = 256 * 1024;
    c.sndbuf = 256 * 1024;
    return c;
  }
  host::VirtBuffer buffer(uint64_t va, uint64_t len, bool writable) {
    host::VirtBuffer b;
    b.va = va;
    b.length = len;
    const uint64_t first = va & ~uint64_t{4095};
    b.pages = mem_.alloc_pages((va + len - first + 4095) / 4096);
    for (uint64_t p = 0; p < b.pages.size(); ++p) {
      auto& allowed = pages_[b.pages[p]];
      if (allowed.empty()) {
        allowed.assign(host::HostMemory::kPage, false);
        std::vector<uint8_t> g(host::HostMemory::kPage, kGuard);
        mem_.write(b.pages[p], g.data(), g.size());
      }
      if (!writable) continue;
      for (uint64_t k = 0; k < host::HostMemory::kPage; ++k) {
        const uint64_t a = first + p * 4096 + k;
        if (a >= va && a < va + len) allowed[k] = true;
      }
    }
    return b;
  }
  uint32_t region(uint64_t va, uint64_t len, uint32_t access, uint32_t pd, bool writable) {
    host::VirtBuffer b = buffer(va, len, writable);
    if (access == placement::access::kLocalWrite) sink_buf_ = b;
    placement::Region r;
    r.pd = pd;
    r.access = access;
    r.base_va = b.va;
    r.length = b.length;
    r.pages = b.pages;
    return *regions_.add(r);
  }
  void write_region(uint32_t stag, uint64_t to, ConstByteSpan payload) {
    regions_.translate(stag, to, payload.size(),
                       [&](uint64_t pa, uint64_t n, uint64_t off) { mem_.write(pa, payload.data() + off, n); });
  }
  void write_fpdu(const rdmap::TxFpdu& f) {
    if (!qp_.active()) return;
    std::vector<uint8_t> u(f.hdr.begin(), f.hdr.begin() + f.hdr_len);
    std::vector<uint8_t> payload(f.len);
    if (f.buf) {
      for (uint32_t k = 0; k < f.len; ++k) mem_.read(f.buf->pa(f.va + k), &payload[k], 1);
    } else if (f.len) {
      FUZZ_CHECK(regions_.check(f.src_stag, f.va, f.len, 1, placement::access::kRemoteRead) ==
                 placement::CheckFailure::None);
      regions_.translate(f.src_stag, f.va, f.len,
                         [&](uint64_t pa, uint64_t n, uint64_t off) { mem_.read(pa, payload.data() + off, n); });
    }
    u.insert(u.end(), payload.begin(), payload.end());
    conn_.send_buffer().append(u.data(), u.size(), true);
    qp_.fpdu_written(f, conn_.bytes_acked() + conn_.send_buffer().size());
  }
  void segment(uint8_t flags, uint32_t seq, const std::vector<uint8_t>& payload, uint32_t ack_delta = 0,
               uint16_t window = 65535) {
    wire::TcpHeader h;
    h.sport = 4000;
    h.dport = 5000;
    h.seq = seq;
    h.ack = conn_.snd_max() + ack_delta;
    h.flags = flags;
    h.window = window;
    conn_.on_segment(h, ConstByteSpan(payload.data(), payload.size()), now_);
    after_input();
  }
  void after_input() {
    run();
    drain();
    run();
  }
  /// Pulls what the connection sends (the peer reads nothing of it).
  void drain() {
    for (int guard = 0; guard < 10000 && conn_.has_output(); ++guard) (void)conn_.next_output(now_);
  }
  void later(std::function<void()> f) { tasks_.push_back(std::move(f)); }
  void run() {
    for (int guard = 0; guard < 100000 && !tasks_.empty(); ++guard) {
      auto f = std::move(tasks_.front());
      tasks_.pop_front();
      f();
    }
  }

  host::HostMemory mem_;
  placement::RegionTable regions_;
  std::map<uint64_t, std::vector<bool>> pages_;  ///< each allocated page: the bytes the peer may write
  rdmap::Counters counters_;
  tcp::Connection conn_;
  rdmap::Qp qp_;
  std::unique_ptr<mpa::Deframer> deframer_;
  host::VirtBuffer sink_buf_, recv_, result_;
  uint32_t write_ = 0, read_ = 0, atomic_ = 0, sink_ = 0, other_pd_ = 0, dead_ = 0;
  bool markers_ = false, crc_ = true;
  uint64_t rx_s0_ = 0;
  uint32_t peer_seq_ = 0;
  uint64_t peer_pos_ = 0;  ///< the peer's stream position relative to S0
  uint64_t cur_fpdu_ = UINT64_MAX;
  std::set<uint64_t> direct_;
  bool last_seen_ = false;
  uint64_t completions_ = 0;
  Duration now_{};
  std::deque<std::function<void()>> tasks_;
};

}  // namespace rnicsim::fuzz

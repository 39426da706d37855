// The verbs path through host memory on one RNIC (hw::RdmaEngine with SystemC time): the
// WQE, RQE and CQE bytes in the rings at each step, decoded with the project's codecs;
// doorbells and fetches counted exactly; inline data and WQE push; a full CQ; interrupts
// under moderation. The QP runs on a TCP connection that never opens, so nothing is
// acknowledged: receive completions come from Sends fed below MPA (receive_ulpdu).
// Builds SystemC blocks: one ctest process per test case.
#include <catch2/catch.hpp>

#include <vector>

#include "model/common/bytes.h"
#include "model/common/sim.h"
#include "model/hw/rnic/rnic.h"
#include "model/mem/host_memory.h"
#include "model/wire/verbs.h"

using namespace rnicsim;

namespace {

constexpr uint32_t kFirstLkey = 0x80000000u;

struct Bench {
  EventQueue events;  // first: the RNIC's blocks post to it
  host::HostMemory mem{11, "rings"};
  std::unique_ptr<hw::Rnic> rnic;
  uint32_t qpn = 0, conn = 0;
  host::VirtBuffer buf;  ///< 2 pages at VA 0x20000, bytes 0, 1, 2, ... (mod 251)
  std::vector<hw::Cqe> seen;
  std::vector<Duration> seen_at;

  explicit Bench(hw::EngineConfig ec = {}, hw::CqOptions cq = {}, uint32_t rq_depth = 16) {
    hw::RnicConfig cfg;
    cfg.mac = 0x020000000002ull;
    cfg.ip = 0x0A000002;
    cfg.engine = ec;
    rnic = std::make_unique<hw::Rnic>("rings_rnic", cfg, mem, 1);
    conn = rnic->toe().open_active(hw::FourTuple{0x0A000002, 0x0A000001, 5000, 40000},
                                   netstack::fixed_path(0x0A000001, 0x020000000001ull), tcp::Config{}, nullptr);
    qpn = rnic->engine().create_qp(1, 16, rq_depth, cq);
    rnic->engine().attach(qpn, conn, hw::MpaParams{}, {});
    REQUIRE(rnic->engine().state(qpn) == hw::QpState::Rts);
    rnic->engine().set_cqe_sink([this](const hw::Cqe& c) {
      seen.push_back(c);
      seen_at.push_back(sim_now());
    });
    buf.va = 0x20000;
    buf.length = 2 * host::HostMemory::kPage;
    buf.pages = mem.alloc_pages(2);
    for (uint64_t i = 0; i < buf.length; ++i) {
      const auto b = static_cast<uint8_t>(i % 251);
      mem.write(buf.pa(buf.va + i), &b, 1);
    }
  }
  void run(Duration d) { sc_core::sc_start(to_sc(d)); }
  hw::Wqe write(uint64_t wr_id, uint64_t len, uint64_t off = 0) const {
    hw::Wqe w;
    w.wr_id = wr_id;
    w.opcode = wire::RdmapOpcode::RdmaWrite;
    w.local = &buf;
    w.local_va = buf.va + off;
    w.length = len;
    w.rkey = 0x1234;
    w.remote_va = 0x9000;
    return w;
  }
  std::vector<uint8_t> bytes(uint64_t pa, size_t n) {
    std::vector<uint8_t> b(n);
    mem.read(pa, b.data(), n);
    return b;
  }
  const hw::EngineStats& st() const { return rnic->engine().stats(); }
  const hw::pcie::PcieStats& pcie() const { return rnic->dma().pcie_stats(); }
  /// A Send of `n` bytes of `v` (MSN msn) below MPA.
  void feed_send(uint32_t msn, size_t n, uint8_t v) {
    wire::DdpHeader h;
    h.last = true;
    h.opcode = static_cast<uint8_t>(wire::RdmapOpcode::Send);
    h.qn = 0;
    h.msn = msn;
    std::vector<uint8_t> u(wire::ddp_header_length(false));
    wire::encode_ddp(u.data(), h);
    u.insert(u.end(), n, v);
    rnic->engine().receive_ulpdu(qpn, ConstByteSpan(u.data(), u.size()));
  }
  void post_recv(uint64_t wr_id, uint64_t off, uint64_t len) {
    hw::Rqe r;
    r.wr_id = wr_id;
    r.sgl.push_back({&buf, buf.va + off, len});
    REQUIRE(rnic->engine().post_recv(qpn, r));
  }
  wire::Cqe cqe_at(uint64_t i) {
    const auto ri = rnic->engine().rings(qpn);
    const auto b = bytes(ri.cq_base + (i % ri.cq_depth) * ri.cqe_size, wire::kCqeLen);
    const auto d = wire::decode_cqe(b.data(), b.size());
    REQUIRE(d);
    return d.value;
  }
};

}  // namespace

TEST_CASE("rings: post_send writes the WQE's bytes and one doorbell; the RNIC fetches and decodes them") {
  Bench t;
  t.rnic->engine().post_send(t.qpn, t.write(77, 8));
  const auto ri = t.rnic->engine().rings(t.qpn);
  CHECK(ri.sq_slots == 16);  // sq_depth WQEs of one slot (no inline data)
  CHECK(ri.sq_producer == 1);
  CHECK(ri.sq_consumer == 0);
  // The slot's bytes, as model/wire/verbs.h lays them out (little-endian).
  const auto b = t.bytes(ri.sq_base, 64);
  CHECK(load_le64(b.data()) == 77);
  CHECK(b[8] == 0);     // RdmaWrite
  CHECK(b[9] == 0x01);  // signaled
  CHECK((b[10] | b[11] << 8) == 1);  // one SGE
  CHECK(load_le32(b.data() + 12) == 0x1234);
  CHECK(load_le64(b.data() + 16) == 0x9000);
  CHECK(load_le32(b.data() + 24) == 8);
  CHECK(load_le64(b.data() + 48) == 0x20000);
  CHECK(load_le32(b.data() + 56) == 8);
  CHECK(load_le32(b.data() + 60) == kFirstLkey);
  const auto d = wire::decode_sq_wqe(b.data(), b.size());
  REQUIRE(d);
  CHECK(d.value.sge == wire::VerbsSge{0x20000, 8, kFirstLkey});
  // Nothing has reached the RNIC yet.
  CHECK(t.st().doorbells == 0);
  t.run(Duration::from_us(2));
  CHECK(t.st().doorbells == 1);
  CHECK(t.st().bad_doorbells == 0);
  CHECK(t.st().wqe_reads == 1);
  CHECK(t.st().wqes == 1);
  CHECK(t.rnic->engine().rings(t.qpn).sq_consumer == 1);
  // One doorbell TLP down; the WQE's 64 bytes and the payload's 8 read.
  CHECK(t.pcie().host_writes == 1);
  CHECK(t.pcie().down.posted_tlps == 1);
  CHECK(t.pcie().down.link_bytes >= 20 + 8);
  CHECK(t.pcie().reads == 2);
  CHECK(t.pcie().down.payload_bytes == 8 + 64 + 8);  // doorbell, WQE, payload
}

TEST_CASE("rings: four WQEs posted together: four doorbells, and the three behind the first in one read") {
  Bench t;
  for (uint64_t i = 0; i < 4; ++i) t.rnic->engine().post_send(t.qpn, t.write(i, 100, i * 100));
  t.run(Duration::from_us(5));
  CHECK(t.st().doorbells == 4);
  // The first doorbell starts a fetch of its slot; the other three arrive while it runs
  // and are fetched together when it is done (one 192-byte read, under MRRS 512).
  CHECK(t.st().wqe_reads == 2);
  CHECK(t.st().wqes == 4);
  CHECK(t.rnic->engine().rings(t.qpn).sq_consumer == 4);
  CHECK(t.pcie().reads == 2 + 4);  // two WQE fetches, four payloads of 100 bytes
  CHECK(t.pcie().down.payload_bytes == 4 * 8 + 4 * 64 + 4 * 100);
}

TEST_CASE("rings: inline data: the payload is copied into the WQE at post time and never read by DMA") {
  hw::EngineConfig ec;
  ec.max_inline = 64;
  Bench t(ec);
  t.rnic->engine().post_send(t.qpn, t.write(5, 8, 16));
  const auto ri = t.rnic->engine().rings(t.qpn);
  CHECK(ri.sq_slots == 16 * 2);  // room for sq_depth WQEs of two slots
  const auto b = t.bytes(ri.sq_base, 128);
  CHECK(b[9] == (0x01 | 0x08));          // signaled, inline
  CHECK((b[10] | b[11] << 8) == 8);  // the inline bytes' count
  CHECK(load_le64(b.data() + 48) == 0);  // no SGE
  for (int i = 0; i < 8; ++i) CHECK(b[64 + i] == 16 + i);
  for (int i = 8; i < 64; ++i) CHECK(b[64 + i] == 0);
  const auto d = wire::decode_sq_wqe(b.data(), b.size());
  REQUIRE(d);
  CHECK(d.value.is_inline);
  CHECK(d.value.inline_data == std::vector<uint8_t>{16, 17, 18, 19, 20, 21, 22, 23});
  // The application may reuse its buffer at once: the FPDU carries the posted bytes.
  const std::vector<uint8_t> junk(8, 0xEE);
  t.mem.write(t.buf.pa(t.buf.va + 16), junk.data(), 8);
  t.run(Duration::from_us(2));
  CHECK(t.st().wqes == 1);
  CHECK(t.pcie().reads == 1);                      // the WQE's two slots alone
  CHECK(t.pcie().down.payload_bytes == 8 + 128);  // doorbell, WQE
  auto& sb = t.rnic->toe().conn(t.conn).send_buffer();
  // MPA length (2), tagged DDP/RDMAP header (14), 8 payload bytes, pad 0, CRC (4).
  REQUIRE(sb.size() == 2 + 14 + 8 + 4);
  std::vector<uint8_t> fpdu(sb.size());
  sb.copy_out(0, fpdu.size(), fpdu.data());
  CHECK(std::vector<uint8_t>(fpdu.begin() + 16, fpdu.begin() + 24) ==
        std::vector<uint8_t>{16, 17, 18, 19, 20, 21, 22, 23});
}

TEST_CASE("rings: WQE push: a small WQE on an empty send queue rides in its doorbell, the next one is fetched") {
  hw::EngineConfig ec;
  ec.max_inline = 64;
  ec.wqe_push_max = 128;
  Bench t(ec);
  t.rnic->engine().post_send(t.qpn, t.write(1, 8));
  t.run(Duration::from_us(2));
  CHECK(t.st().wqes_pushed == 1);
  CHECK(t.st().wqe_reads == 0);
  CHECK(t.st().wqes == 1);
  CHECK(t.pcie().reads == 0);  // neither the WQE nor its inline payload
  CHECK(t.pcie().host_writes == 1);
  CHECK(t.pcie().down.payload_bytes == 8 + 128);  // the doorbell, then the WQE's two slots
  // The first is still outstanding (never acknowledged): the second is not pushed.
  t.rnic->engine().post_send(t.qpn, t.write(2, 8));
  t.run(Duration::from_us(2));
  CHECK(t.st().wqes_pushed == 1);
  CHECK(t.st().wqe_reads == 1);
  CHECK(t.st().wqes == 2);
  CHECK(t.pcie().down.payload_bytes == 2 * 8 + 128 + 128);
}

TEST_CASE("rings: a receive's RQE bytes, its fetch, and the CQE of the Send it takes, polled by its phase") {
  Bench t;
  t.post_recv(5, 0, 100);
  const auto ri = t.rnic->engine().rings(t.qpn);
  CHECK(ri.rq_producer == 1);
  const auto b = t.bytes(ri.rq_base, 64);
  CHECK(load_le64(b.data()) == 5);
  CHECK(b[8] == 1);  // one SGE
  CHECK(load_le64(b.data() + 16) == 0x20000);
  CHECK(load_le32(b.data() + 24) == 100);
  CHECK(load_le32(b.data() + 28) == kFirstLkey);
  t.run(Duration::from_us(2));
  CHECK(t.st().doorbells == 1);
  CHECK(t.st().rqe_reads == 1);
  CHECK(t.st().rqes == 1);
  // Before any CQE the ring is zero: slot 0's phase (0) is not the first pass's (1).
  CHECK(t.bytes(ri.cq_base, 32) == std::vector<uint8_t>(32, 0));
  t.feed_send(1, 100, 0x5A);
  t.run(Duration::from_us(2));
  REQUIRE(t.seen.size() == 1);
  CHECK(t.seen[0].wr_id == 5);
  CHECK(t.seen[0].opcode == hw::WcOpcode::Recv);
  CHECK(t.seen[0].status == hw::WcStatus::Success);
  CHECK(t.seen[0].byte_len == 100);
  const wire::Cqe c = t.cqe_at(0);
  CHECK(c.wr_id == 5);
  CHECK(c.qpn == t.qpn);
  CHECK(c.byte_len == 100);
  CHECK(c.opcode == wire::CqeOpcode::Recv);
  CHECK(c.status == wire::CqeStatus::Success);
  CHECK(c.phase);
  CHECK(t.bytes(ri.cq_base + 31, 1)[0] == 0x01);  // the owner byte, last
  CHECK(t.st().cqes == 1);
  CHECK(t.rnic->engine().rings(t.qpn).cq_polled == 1);
  CHECK(t.bytes(t.buf.pa(t.buf.va), 100) == std::vector<uint8_t>(100, 0x5A));
}

TEST_CASE("rings: a CQE that finds its CQ full is an overflow: that work fails and the QP goes to ERROR") {
  hw::CqOptions cq;
  cq.depth = 2;
  Bench t({}, cq);
  for (uint64_t i = 0; i < 3; ++i) t.post_recv(10 + i, i * 200, 100);
  t.run(Duration::from_us(2));
  // Three Sends at one instant: three CQEs before any consumer doorbell can come back.
  for (uint32_t m = 1; m <= 3; ++m) t.feed_send(m, 100, static_cast<uint8_t>(m));
  t.run(Duration::from_us(5));
  CHECK(t.st().cqes == 2);
  CHECK(t.st().cq_overflows == 1);
  REQUIRE(t.seen.size() == 3);
  // The two written are polled when they land; the driver reports the lost one after
  // them, so the QP's completions stay in order.
  CHECK(t.seen[0].wr_id == 10);
  CHECK(t.seen[0].status == hw::WcStatus::Success);
  CHECK(t.seen[1].wr_id == 11);
  CHECK(t.seen[1].status == hw::WcStatus::Success);
  CHECK(t.seen[2].wr_id == 12);
  CHECK(t.seen[2].status == hw::WcStatus::FatalError);
  CHECK(t.seen_at[2] == t.seen_at[1]);
  CHECK(t.st().sw_cqes == 1);
  CHECK(t.rnic->engine().state(t.qpn) == hw::QpState::Error);
}

TEST_CASE("rings: event mode: interrupts by count and by period, each an MSI-X write, the handler polling") {
  hw::EngineConfig ec;
  ec.interrupt_latency = Duration::from_us(5);
  hw::CqOptions cq;
  cq.event = true;
  cq.moderation.count = 4;
  cq.moderation.period = Duration::from_us(10);
  Bench t(ec, cq);
  for (uint64_t i = 0; i < 9; ++i) t.post_recv(i, i * 100, 100);
  t.run(Duration::from_us(2));
  const uint64_t writes0 = t.pcie().writes;
  // Eight Sends at once: the 4th CQE reaches the count; the handler polls all eight.
  for (uint32_t m = 1; m <= 8; ++m) t.feed_send(m, 100, static_cast<uint8_t>(m));
  const Duration t0 = sim_now();
  t.run(Duration::from_us(20));
  CHECK(t.st().interrupts == 1);
  REQUIRE(t.seen.size() == 8);
  for (size_t i = 0; i < 8; ++i) CHECK(t.seen[i].wr_id == i);
  // Seen together, after the interrupt's latency.
  CHECK(t.seen_at.front() == t.seen_at.back());
  CHECK(t.seen_at.front() - t0 >= Duration::from_us(5));
  CHECK(t.seen_at.front() - t0 < Duration::from_us(7));
  // One more: the window's period ends it (only one CQE in it).
  t.feed_send(9, 100, 9);
  const Duration t1 = sim_now();
  t.run(Duration::from_us(30));
  CHECK(t.st().interrupts == 2);
  REQUIRE(t.seen.size() == 9);
  CHECK(t.seen_at[8] - t1 >= Duration::from_us(15));
  CHECK(t.seen_at[8] - t1 < Duration::from_us(17));
  // Data writes, nine CQEs and two MSI-X messages went up as posted writes.
  CHECK(t.pcie().writes - writes0 == 9 + 9 + 2);
  // The two arms rang as doorbells (with the nine RQ doorbells).
  CHECK(t.st().doorbells == 9 + 2);
}

TEST_CASE("rings: 64-byte CQEs: slots 64 bytes apart, the padding zero, the phase flipping at each pass") {
  hw::EngineConfig ec;
  ec.cqe_size = 64;
  hw::CqOptions cq;
  cq.depth = 2;  // the application polls each CQE as it lands: the ring wraps twice
  Bench t(ec, cq);
  for (uint64_t i = 0; i < 5; ++i) t.post_recv(i, i * 200, 100);
  t.run(Duration::from_us(2));
  const auto ri = t.rnic->engine().rings(t.qpn);
  CHECK(ri.cqe_size == 64);
  for (uint32_t m = 1; m <= 5; ++m) {
    t.feed_send(m, 100, static_cast<uint8_t>(m));
    t.run(Duration::from_us(3));  // the consumer doorbell is back before the next CQE
    const uint64_t i = m - 1;
    const auto b = t.bytes(ri.cq_base + (i % 2) * 64, 64);
    const auto d = wire::decode_cqe(b.data(), 32);
    REQUIRE(d);
    CHECK(d.value.wr_id == i);
    CHECK(d.value.phase == ((i / 2) % 2 == 0));
    CHECK(std::vector<uint8_t>(b.begin() + 32, b.end()) == std::vector<uint8_t>(32, 0));
  }
  REQUIRE(t.seen.size() == 5);
  for (size_t i = 0; i < 5; ++i) {
    CHECK(t.seen[i].wr_id == i);
    CHECK(t.seen[i].status == hw::WcStatus::Success);
  }
  CHECK(t.st().cq_overflows == 0);
  CHECK(t.st().bad_doorbells == 0);
  CHECK(t.rnic->engine().rings(t.qpn).cq_polled == 5);
}

// RFC 7306 atomics: the Atomic Request and Response codecs byte for byte (the layout
// tshark decodes), the operations' arithmetic, and the responder's checks, each failure
// named by its Terminate (docs/iwarp.md) with the DDP header attached and nothing changed
// in host memory. No simulated time passes: a request that passes runs on host memory at
// once (its response waits for the DMA read of the 8 bytes).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "model/common/bytes.h"
#include "model/hw/rnic/rnic.h"
#include "model/mem/host_memory.h"
#include "model/proto/mpa/fpdu.h"
#include "model/wire/ddp_rdmap.h"
#include "tests/unit/wire/hex.h"

using namespace rnicsim;
using rnicsim::test::hex;

TEST_CASE("atomic codec: a Fetch-and-Add request is QN 3 with a 52-byte body in network order") {
  wire::AtomicRequest r;
  r.aop = static_cast<uint8_t>(wire::AtomicOp::FetchAdd);
  r.request_id = 7;
  r.stag = 0x0000015a;
  r.to = 0x7f0000001008ull;
  r.add_swap = 0x0102030405060708ull;
  std::vector<uint8_t> b(wire::kAtomicRequestLen);
  CHECK(wire::encode_atomic_request(b.data(), r) == 52);
  CHECK(b == hex("00 00 00 00  00 00 00 07  00 00 01 5a  00 00 7f 00 00 00 10 08"
                 "01 02 03 04 05 06 07 08  00 00 00 00 00 00 00 00"
                 "00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00"));
  auto d = wire::decode_atomic_request(b.data(), b.size());
  REQUIRE(d);
  CHECK(d.length == 52);
  CHECK(d.value.aop == 0);
  CHECK(d.value.request_id == 7);
  CHECK(d.value.stag == 0x15a);
  CHECK(d.value.to == 0x7f0000001008ull);
  CHECK(d.value.add_swap == 0x0102030405060708ull);
  CHECK(!wire::decode_atomic_request(b.data(), 51));
}

TEST_CASE("atomic codec: Compare-and-Swap carries AOpCode 2, swap data and mask, compare data and mask") {
  wire::AtomicRequest r;
  r.aop = static_cast<uint8_t>(wire::AtomicOp::CmpSwap);
  r.request_id = 0x01020304;
  r.stag = 0xAABBCCDD;
  r.to = 8;
  r.add_swap = 0x1111111111111111ull;
  r.add_swap_mask = ~uint64_t{0};
  r.compare = 0x2222222222222222ull;
  r.compare_mask = 0x00000000FFFFFFFFull;
  std::vector<uint8_t> b(wire::kAtomicRequestLen);
  wire::encode_atomic_request(b.data(), r);
  CHECK(b == hex("00 00 00 02  01 02 03 04  aa bb cc dd  00 00 00 00 00 00 00 08"
                 "11 11 11 11 11 11 11 11  ff ff ff ff ff ff ff ff"
                 "22 22 22 22 22 22 22 22  00 00 00 00 ff ff ff ff"));
  // The 28 bits above the AOpCode are reserved; the decoder reports them.
  b[0] = 0x10;
  auto d = wire::decode_atomic_request(b.data(), b.size());
  REQUIRE(d);
  CHECK(d.value.aop == 2);
  CHECK(d.value.reserved == 0x1000000);
  CHECK(d.value.compare_mask == 0xFFFFFFFFull);
}

TEST_CASE("atomic codec: the Atomic Response is QN 4: request identifier and the original value") {
  std::vector<uint8_t> b(wire::kAtomicResponseLen);
  CHECK(wire::encode_atomic_response(b.data(), wire::AtomicResponse{9, 0xFEDCBA9876543210ull}) == 12);
  CHECK(b == hex("00 00 00 09  fe dc ba 98 76 54 32 10"));
  auto d = wire::decode_atomic_response(b.data(), b.size());
  REQUIRE(d);
  CHECK(d.value.request_id == 9);
  CHECK(d.value.original == 0xFEDCBA9876543210ull);
  CHECK(!wire::decode_atomic_response(b.data(), 11));
}

TEST_CASE("atomic arithmetic: 64-bit add wraps, a mask cuts the carry, compare and swap under masks") {
  wire::AtomicRequest fa;
  fa.add_swap = 1;
  CHECK(wire::atomic_apply(fa, ~uint64_t{0}) == 0);
  fa.add_swap = 0x0000000100000001ull;
  CHECK(wire::atomic_apply(fa, 0x00000001FFFFFFFFull) == 0x0000000300000000ull);
  // Two 32-bit fields: the carry out of bit 31 is cut.
  fa.add_swap_mask = 0x8000000080000000ull;
  CHECK(wire::atomic_apply(fa, 0x00000001FFFFFFFFull) == 0x0000000200000000ull);
  CHECK(wire::atomic_apply(fa, 0xFFFFFFFF00000005ull) == 0x0000000000000006ull);

  wire::AtomicRequest cs;
  cs.aop = static_cast<uint8_t>(wire::AtomicOp::CmpSwap);
  cs.compare = 42;
  cs.compare_mask = ~uint64_t{0};
  cs.add_swap = 99;
  cs.add_swap_mask = ~uint64_t{0};
  CHECK(wire::atomic_apply(cs, 42) == 99);
  CHECK(wire::atomic_apply(cs, 43) == 43);
  // Only the low byte compared, only the high byte swapped.
  cs.compare = 0xAB;
  cs.compare_mask = 0xFF;
  cs.add_swap = 0x7700000000000000ull;
  cs.add_swap_mask = 0xFF00000000000000ull;
  CHECK(wire::atomic_apply(cs, 0x11223344556677ABull) == 0x77223344556677ABull);
  CHECK(wire::atomic_apply(cs, 0x11223344556677ACull) == 0x11223344556677ACull);
}

namespace {

/// An RNIC with one QP in RTS and a page registered for remote atomics at VA 0x5000 (the
/// word there holds `kStart`), PD 1.
struct Responder {
  static constexpr uint64_t kStart = 0x0123456789ABCDEFull;
  EventQueue events;  // first: the RNIC's blocks post to it
  host::HostMemory mem{7, "responder"};
  std::unique_ptr<hw::Rnic> rnic;
  uint32_t qpn = 0, conn = 0, stag = 0;
  uint64_t page = 0;
  explicit Responder(uint32_t ird = 4, uint32_t access = placement::access::kRemoteAtomic, uint32_t pd = 1) {
    static int n = 0;
    hw::RnicConfig cfg;
    cfg.mac = 0x020000000002ull;
    cfg.ip = 0x0A000002;
    rnic = std::make_unique<hw::Rnic>(("atomic_rnic" + std::to_string(n++)).c_str(), cfg, mem, 1);
    conn = rnic->toe().open_active(hw::FourTuple{0x0A000002, 0x0A000001, 5000, 40000},
                                   netstack::fixed_path(0x0A000001, 0x020000000001ull), tcp::Config{},
                                   nullptr);
    qpn = rnic->engine().create_qp(1, 16);
    hw::MpaParams p;
    p.ird = ird;
    rnic->engine().attach(qpn, conn, p, {});
    placement::Region r;
    r.pd = pd;
    r.access = access;
    r.base_va = 0x5000;
    r.length = 4096;
    r.pages = mem.alloc_pages(1);
    page = r.pages[0];
    stag = *rnic->placement().add_region(r);
    uint8_t b[8];
    store_le64(b, kStart);
    mem.write(page, b, 8);
  }
  uint64_t word(uint64_t off = 0) {
    uint8_t b[8];
    mem.read(page + off, b, 8);
    return load_le64(b);
  }
  std::vector<uint8_t> request(const wire::AtomicRequest& r, uint32_t msn = 1, bool last = true, uint8_t op = 0xA) {
    wire::DdpHeader h;
    h.last = last;
    h.opcode = op;
    h.qn = 3;
    h.msn = msn;
    std::vector<uint8_t> u(18 + wire::kAtomicRequestLen);
    wire::encode_ddp(u.data(), h);
    wire::encode_atomic_request(u.data() + 18, r);
    return u;
  }
  void feed(const std::vector<uint8_t>& u) { rnic->engine().receive_ulpdu(qpn, ConstByteSpan(u.data(), u.size())); }
  /// The Terminate in the send buffer (the only FPDU there).
  wire::TerminateMessage terminate() {
    auto& sb = rnic->toe().conn(conn).send_buffer();
    std::vector<uint8_t> b(sb.size());
    sb.copy_out(0, b.size(), b.data());
    REQUIRE(b.size() > 2 + 18);
    const size_t len = (size_t{b[0]} << 8) | b[1];
    REQUIRE(b.size() == mpa::fpdu_stream_length(len));
    auto h = wire::decode_ddp(b.data() + 2, len);
    REQUIRE(h);
    CHECK(h.value.opcode == 7);
    CHECK(h.value.qn == 2);
    auto m = wire::decode_terminate_message(b.data() + 2 + 18, len - 18);
    REQUIRE(m);
    CHECK(rnic->engine().state(qpn) != hw::QpState::Rts);
    return m.value;
  }
  wire::AtomicRequest fetch_add(uint64_t add, uint64_t to = 0x5000) const {
    wire::AtomicRequest r;
    r.request_id = 1;
    r.stag = stag;
    r.to = to;
    r.add_swap = add;
    return r;
  }
};

void check_refused(Responder& t, const std::vector<uint8_t>& u, wire::TermCode want) {
  t.feed(u);
  const auto m = t.terminate();
  CHECK(m.code == want);
  CHECK(m.has_ddp);
  CHECK(m.ddp_segment_length == u.size());
  CHECK(m.ddp_header == std::vector<uint8_t>(u.begin(), u.begin() + 18));
  CHECK(m.rdmap_header.empty());
  CHECK(t.word() == Responder::kStart);
}

}  // namespace

TEST_CASE("atomic responder: a request that passes runs on host memory at once and holds an IRD slot") {
  Responder t(2);
  t.feed(t.request(t.fetch_add(5)));
  CHECK(t.word() == Responder::kStart + 5);
  wire::AtomicRequest cs = t.fetch_add(0);
  cs.aop = 2;
  cs.compare = Responder::kStart + 5;
  cs.compare_mask = ~uint64_t{0};
  cs.add_swap = 77;
  cs.add_swap_mask = ~uint64_t{0};
  cs.request_id = 2;
  t.feed(t.request(cs, 2));
  CHECK(t.word() == 77);
  CHECK(t.rnic->engine().state(t.qpn) == hw::QpState::Rts);
  CHECK(t.rnic->engine().stats().atomic_requests_rx == 2);
  // Both IRD slots are held until the responses are written: a third is no buffer.
  const auto u = t.request(t.fetch_add(1), 3);
  t.feed(u);
  const auto m = t.terminate();
  CHECK(m.code == wire::term::DdpUntaggedNoBuffer);
  CHECK(t.word() == 77);
}

TEST_CASE("atomic responder: each protection failure is its RDMAP 0/1 code, the word unchanged") {
  {
    Responder t;
    auto r = t.fetch_add(1);
    r.stag = placement::make_stag(99, 0x12);
    check_refused(t, t.request(r), wire::term::RdmapInvalidStag);
  }
  {
    Responder t(4, placement::access::kRemoteAtomic, 2);  // region of another PD
    check_refused(t, t.request(t.fetch_add(1)), wire::term::RdmapStagNotAssociated);
  }
  {
    Responder t(4, placement::access::kRemoteRead | placement::access::kRemoteWrite);
    check_refused(t, t.request(t.fetch_add(1)), wire::term::RdmapAccessRights);
  }
  {
    Responder t;
    check_refused(t, t.request(t.fetch_add(1, 0x6000)), wire::term::RdmapBaseBounds);
  }
  {
    // The last aligned word below 2^64 ends exactly at 2^64: no TO wrap (an aligned 8-byte
    // operand never wraps), but far outside the region.
    Responder t;
    check_refused(t, t.request(t.fetch_add(1, 0xFFFFFFFFFFFFFFF8ull)), wire::term::RdmapBaseBounds);
  }
  {
    Responder t;
    t.rnic->placement().invalidate(t.stag);
    check_refused(t, t.request(t.fetch_add(1)), wire::term::RdmapInvalidStag);
  }
}

TEST_CASE("atomic responder: a request it cannot run is a remote operation error 0/2") {
  {
    Responder t;  // not 8-byte aligned
    check_refused(t, t.request(t.fetch_add(1, 0x5004)), wire::term::RdmapOpUnspecified);
  }
  {
    Responder t;  // AOpCode 1 is not one this responder runs
    auto r = t.fetch_add(1);
    r.aop = 1;
    check_refused(t, t.request(r), wire::term::RdmapOpUnspecified);
  }
  {
    Responder t;  // reserved bits set
    auto r = t.fetch_add(1);
    r.reserved = 1;
    check_refused(t, t.request(r), wire::term::RdmapOpUnspecified);
  }
  {
    Responder t;  // a Send opcode on the Atomic Request queue
    check_refused(t, t.request(t.fetch_add(1), 1, true, 0x3), wire::term::RdmapUnexpectedOpcode);
  }
  {
    Responder t;  // an Atomic Request must be one whole segment
    check_refused(t, t.request(t.fetch_add(1), 1, false), wire::term::RdmapCatastrophicStream);
  }
  {
    Responder t;  // MSN 2 first on QN 3
    check_refused(t, t.request(t.fetch_add(1), 2), wire::term::DdpUntaggedMsnRange);
  }
  {
    Responder t;  // an Atomic Response with no atomic outstanding
    wire::DdpHeader h;
    h.last = true;
    h.opcode = 0xB;
    h.qn = 4;
    h.msn = 1;
    std::vector<uint8_t> u(18 + 12);
    wire::encode_ddp(u.data(), h);
    wire::encode_atomic_response(u.data() + 18, wire::AtomicResponse{1, 5});
    check_refused(t, u, wire::term::RdmapUnexpectedOpcode);
  }
}

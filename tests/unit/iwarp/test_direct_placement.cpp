// Direct placement (RFC 5041 s.3) in the engine: a segment held out of order whose first
// byte begins an FPDU is parsed at once; each tagged FPDU whose CRC and checks pass is
// placed then, and the in-order pass checks it again without placing it twice. Bytes are
// fed straight to the engine's TOE client entries; no simulated time passes.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "model/hw/rnic/rnic.h"
#include "model/mem/host_memory.h"
#include "model/proto/mpa/fpdu.h"
#include "model/wire/ddp_rdmap.h"

using namespace rnicsim;

namespace {

struct Sink {
  EventQueue events;  // first: the RNIC's blocks post to it
  host::HostMemory mem{9, "sink"};
  std::unique_ptr<hw::Rnic> rnic;
  uint32_t qpn = 0, conn = 0, stag = 0;
  std::vector<uint64_t> pages;
  explicit Sink(bool crc = true) {
    static int n = 0;
    hw::RnicConfig cfg;
    cfg.mac = 0x020000000002ull;
    cfg.ip = 0x0A000002;
    rnic = std::make_unique<hw::Rnic>(("dp_rnic" + std::to_string(n++)).c_str(), cfg, mem, 1);
    conn = rnic->toe().open_active(hw::FourTuple{0x0A000002, 0x0A000001, 5000, 40000},
                                   netstack::fixed_path(0x0A000001, 0x020000000001ull), tcp::Config{},
                                   nullptr);
    qpn = rnic->engine().create_qp(1, 16);
    hw::MpaParams p;
    p.crc = crc;
    rnic->engine().attach(qpn, conn, p, {});
    placement::Region r;
    r.pd = 1;
    r.access = placement::access::kRemoteWrite;
    r.base_va = 0x10000;
    r.length = 3 * 4096;
    r.pages = pages = mem.alloc_pages(3);
    stag = *rnic->placement().add_region(r);
  }
  /// One Write FPDU (framed, CRC per the QP) of `n` bytes of value `v` at TO `to`.
  std::vector<uint8_t> write_fpdu(uint64_t to, size_t n, uint8_t v, bool last, bool crc = true) const {
    wire::DdpHeader h;
    h.tagged = true;
    h.last = last;
    h.opcode = 0;
    h.stag = stag;
    h.to = to;
    std::vector<uint8_t> hdr(14);
    wire::encode_ddp(hdr.data(), h);
    const std::vector<uint8_t> payload(n, v);
    tcp::SendBuffer sb(8192);
    mpa::write_fpdu(sb, ConstByteSpan(hdr.data(), hdr.size()), n,
                    [&](mpa::RingWriter& w) { w.write(payload.data(), n); }, crc);
    std::vector<uint8_t> out(sb.size());
    sb.copy_out(0, out.size(), out.data());
    return out;
  }
  void ooo(uint64_t pos, const std::vector<uint8_t>& b) {
    rnic->engine().toe_out_of_order(conn, pos, ConstByteSpan(b.data(), b.size()));
  }
  void in_order(const std::vector<uint8_t>& b) { rnic->engine().toe_data(conn, ConstByteSpan(b.data(), b.size())); }
  uint8_t at(uint64_t va) {
    uint8_t x = 0;
    mem.read(pages[(va - 0x10000) / 4096] + va % 4096, &x, 1);
    return x;
  }
  const hw::EngineStats& es() const { return rnic->engine().stats(); }
  const hw::PlacementStats& ps() const { return rnic->placement().stats(); }
};

}  // namespace

TEST_CASE("direct placement: the FPDU after a hole is placed at once, and not again when the hole fills") {
  Sink t;
  const auto f0 = t.write_fpdu(0x10000, 1000, 0x11, false);
  const auto f1 = t.write_fpdu(0x10000 + 1000, 1000, 0x22, true);
  t.ooo(f0.size(), f1);  // f0 is the hole
  CHECK(t.es().direct_placements == 1);
  CHECK(t.es().direct_bytes == 1000);
  CHECK(t.ps().segments == 1);
  CHECK(t.at(0x10000 + 1000) == 0x22);
  CHECK(t.at(0x10000 + 1999) == 0x22);
  CHECK(t.at(0x10000) == 0);  // the hole's bytes are not there yet
  // The same bytes again (a retransmission of the held segment): nothing new.
  t.ooo(f0.size(), f1);
  CHECK(t.es().direct_placements == 1);
  std::vector<uint8_t> all = f0;
  all.insert(all.end(), f1.begin(), f1.end());
  t.in_order(all);
  CHECK(t.ps().segments == 2);  // f0 placed now, f1 only checked
  CHECK(t.ps().bytes == 2000);
  CHECK(t.at(0x10000) == 0x11);
  CHECK(t.at(0x10000 + 999) == 0x11);
  CHECK(t.rnic->engine().state(t.qpn) == hw::QpState::Rts);
  CHECK(t.es().terminates_tx == 0);
}

TEST_CASE("direct placement: not on a guess that fails the CRC, not without CRC, not for a failing check") {
  {
    Sink t;  // a segment that begins inside an FPDU: no CRC holds, nothing placed
    const auto f0 = t.write_fpdu(0x10000, 1000, 0x11, false);
    const auto f1 = t.write_fpdu(0x10000 + 1000, 1000, 0x22, true);
    std::vector<uint8_t> tail(f1.begin() + 100, f1.end());
    t.ooo(f0.size() + 100, tail);
    CHECK(t.es().direct_placements == 0);
    CHECK(t.mem.pages_touched() == 0);  // not one byte of host memory written
    CHECK(t.ps().segments == 0);
  }
  {
    Sink t(false);  // MPA without CRC: an FPDU boundary cannot be told from a guess
    const auto f0 = t.write_fpdu(0x10000, 1000, 0x11, false, false);
    const auto f1 = t.write_fpdu(0x10000 + 1000, 1000, 0x22, true, false);
    t.ooo(f0.size(), f1);
    CHECK(t.es().direct_placements == 0);
    CHECK(t.at(0x10000 + 1000) == 0);
  }
  {
    Sink t;  // past the region's end: refused out of order silently, Terminated in order
    const auto f0 = t.write_fpdu(0x10000, 1000, 0x11, false);
    const auto f1 = t.write_fpdu(0x10000 + 3 * 4096 - 8, 1000, 0x22, true);
    t.ooo(f0.size(), f1);
    CHECK(t.es().direct_placements == 0);
    CHECK(t.ps().segments == 0);
    CHECK(t.ps().violations == 0);
    CHECK(t.at(0x10000 + 3 * 4096 - 8) == 0);
    std::vector<uint8_t> all = f0;
    all.insert(all.end(), f1.begin(), f1.end());
    t.in_order(all);
    CHECK(t.es().terminates_tx == 1);
    REQUIRE(t.rnic->engine().terminate(t.qpn));
    CHECK(t.rnic->engine().terminate(t.qpn)->msg.code == wire::term::DdpTaggedBaseBounds);
    CHECK(t.ps().violations == 1);
    CHECK(t.at(0x10000 + 3 * 4096 - 8) == 0);
  }
}

TEST_CASE("direct placement: the in-order pass checks again: an STag invalidated meanwhile ends in a Terminate") {
  Sink t;
  const auto f0 = t.write_fpdu(0x10000, 1000, 0x11, false);
  const auto f1 = t.write_fpdu(0x10000 + 1000, 1000, 0x22, true);
  t.ooo(f0.size(), f1);
  CHECK(t.es().direct_placements == 1);
  t.rnic->placement().invalidate(t.stag);
  t.in_order(f0);  // f0 itself now fails
  CHECK(t.es().terminates_tx == 1);
  REQUIRE(t.rnic->engine().terminate(t.qpn));
  CHECK(t.rnic->engine().terminate(t.qpn)->msg.code == wire::term::DdpTaggedInvalidStag);
}

// The engine's receive path, one forged ULPDU (or FPDU) at a time on a QP in RTS: each
// failed check writes the Terminate of its code into the TCP send buffer, with the
// offending headers attached, and the QP leaves RTS. The bytes are read back from the
// send buffer and decoded with the project's codecs. No simulated time passes.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "model/hw/rnic/rnic.h"
#include "model/mem/host_memory.h"
#include "model/proto/mpa/fpdu.h"
#include "model/wire/ddp_rdmap.h"

using namespace rnicsim;

namespace {

struct Target {
  EventQueue events;  // first: the RNIC's blocks post to it
  host::HostMemory mem{5, "target"};
  std::unique_ptr<hw::Rnic> rnic;
  uint32_t qpn = 0, conn = 0;
  explicit Target(uint32_t ird = 4) {
    static int n = 0;
    hw::RnicConfig cfg;
    cfg.mac = 0x020000000002ull;
    cfg.ip = 0x0A000002;
    rnic = std::make_unique<hw::Rnic>(("rnic" + std::to_string(n++)).c_str(), cfg, mem, 1);
    tcp::Config tc;
    conn = rnic->toe().open_active(hw::FourTuple{0x0A000002, 0x0A000001, 5000, 40000}, netstack::fixed_path(0x0A000001, 0x020000000001ull), tc, nullptr);
    qpn = rnic->engine().create_qp(1, 16);
    hw::MpaParams p;
    p.ird = ird;
    p.ord = 4;
    rnic->engine().attach(qpn, conn, p, {});
    REQUIRE(rnic->engine().state(qpn) == hw::QpState::Rts);
  }
  /// Feeds one ULPDU; returns the Terminate found in the send buffer.
  wire::TerminateMessage feed(const std::vector<uint8_t>& ulpdu) {
    rnic->engine().receive_ulpdu(qpn, ConstByteSpan(ulpdu.data(), ulpdu.size()));
    return sent();
  }
  wire::TerminateMessage sent() {
    auto& sb = rnic->toe().conn(conn).send_buffer();
    std::vector<uint8_t> b(sb.size());
    sb.copy_out(0, b.size(), b.data());
    REQUIRE(b.size() >= 2 + 18 + 4 + 4);
    const size_t len = (size_t{b[0]} << 8) | b[1];
    REQUIRE(b.size() == mpa::fpdu_stream_length(len));
    auto h = wire::decode_ddp(b.data() + 2, len);
    REQUIRE(h);
    CHECK(!h.value.tagged);
    CHECK(h.value.last);
    CHECK(h.value.opcode == 7);
    CHECK(h.value.qn == 2);
    CHECK(h.value.msn == 1);
    CHECK(h.value.mo == 0);
    auto m = wire::decode_terminate_message(b.data() + 2 + 18, len - 18);
    REQUIRE(m);
    CHECK(rnic->engine().state(qpn) != hw::QpState::Rts);
    REQUIRE(rnic->engine().terminate(qpn));
    CHECK(rnic->engine().terminate(qpn)->sent);
    return m.value;
  }
};

std::vector<uint8_t> ulpdu(const wire::DdpHeader& h, const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> out(wire::ddp_header_length(h.tagged));
  wire::encode_ddp(out.data(), h);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}
wire::DdpHeader send_hdr(uint32_t qn, uint32_t msn, uint8_t op = 3) {
  wire::DdpHeader h;
  h.last = true;
  h.opcode = op;
  h.qn = qn;
  h.msn = msn;
  return h;
}
void check_attached(const wire::TerminateMessage& m, const std::vector<uint8_t>& u, size_t rdmap_len = 0) {
  CHECK(m.has_ddp);
  CHECK(m.ddp_segment_length == u.size());
  const size_t hlen = wire::ddp_header_length((u[0] & 0x80) != 0);
  CHECK(m.ddp_header == std::vector<uint8_t>(u.begin(), u.begin() + static_cast<std::ptrdiff_t>(hlen)));
  CHECK(m.rdmap_header.size() == rdmap_len);
}

}  // namespace

TEST_CASE("engine: a Send with no receive posted: DDP untagged no buffer 1/2/0x02") {
  Target t;
  const auto u = ulpdu(send_hdr(0, 1), std::vector<uint8_t>(100, 7));
  const auto m = t.feed(u);
  CHECK(m.code == wire::term::DdpUntaggedNoBuffer);
  check_attached(m, u);
  CHECK(t.mem.pages_touched() == 0);
}

TEST_CASE("engine: untagged MSN range, invalid QN, DDP and RDMAP versions, unexpected opcodes") {
  {
    Target t;
    const auto u = ulpdu(send_hdr(0, 9), {1, 2, 3});
    auto m = t.feed(u);
    CHECK(m.code == wire::term::DdpUntaggedMsnRange);
    check_attached(m, u);
  }
  {
    Target t;
    auto m = t.feed(ulpdu(send_hdr(5, 1), {}));  // QNs 0-4 exist (RFC 5040, RFC 7306)
    CHECK(m.code == wire::term::DdpUntaggedInvalidQn);
  }
  {
    Target t;
    auto h = send_hdr(0, 1);
    h.ddp_version = 2;
    CHECK(t.feed(ulpdu(h, {})).code == wire::term::DdpUntaggedBadVersion);
  }
  {
    Target t;
    wire::DdpHeader h;
    h.tagged = true;
    h.ddp_version = 0;
    CHECK(t.feed(ulpdu(h, {9})).code == wire::term::DdpTaggedBadVersion);
  }
  {
    Target t;
    auto h = send_hdr(0, 1);
    h.rdmap_version = 2;
    CHECK(t.feed(ulpdu(h, {})).code == wire::term::RdmapBadVersion);
  }
  {
    Target t;  // a Send opcode on the Read Request queue
    CHECK(t.feed(ulpdu(send_hdr(1, 1, 3), {})).code == wire::term::RdmapUnexpectedOpcode);
  }
  {
    Target t;  // a Read Response with no Read outstanding
    wire::DdpHeader h;
    h.tagged = true;
    h.last = true;
    h.opcode = 2;
    h.stag = 0x100;
    CHECK(t.feed(ulpdu(h, {1, 2})).code == wire::term::RdmapUnexpectedOpcode);
  }
  {
    Target t;  // a tagged Send
    wire::DdpHeader h;
    h.tagged = true;
    h.opcode = 3;
    CHECK(t.feed(ulpdu(h, {})).code == wire::term::RdmapUnexpectedOpcode);
  }
}

TEST_CASE("engine: a Write to an unknown STag: DDP tagged 1/1/0x00, nothing placed") {
  Target t;
  wire::DdpHeader h;
  h.tagged = true;
  h.opcode = 0;
  h.stag = 0x00123456;
  h.to = 0x1000;
  const auto u = ulpdu(h, std::vector<uint8_t>(1000, 0xEE));
  const auto m = t.feed(u);
  CHECK(m.code == wire::term::DdpTaggedInvalidStag);
  check_attached(m, u);
  CHECK(t.mem.pages_touched() == 0);
  CHECK(t.rnic->placement().stats().bytes == 0);
}

TEST_CASE("engine: Read Requests: IRD full is no buffer on QN 1, a bad source attaches the RDMAP header") {
  {
    Target t(0);  // IRD 0: no inbound Read may be accepted
    std::vector<uint8_t> rr(28);
    wire::encode_read_request(rr.data(), wire::ReadRequest{0x101, 0x2000, 64, 0x202, 0x3000});
    const auto u = ulpdu(send_hdr(1, 1, 1), rr);
    const auto m = t.feed(u);
    CHECK(m.code == wire::term::DdpUntaggedNoBuffer);
    check_attached(m, u);
  }
  {
    Target t;
    placement::Region r;
    r.pd = 1;
    r.access = placement::access::kRemoteRead;
    r.base_va = 0x3000;
    r.length = 4096;
    r.pages = t.mem.alloc_pages(1);
    const uint32_t stag = *t.rnic->placement().add_region(r);
    std::vector<uint8_t> rr(28);
    wire::encode_read_request(rr.data(), wire::ReadRequest{0x101, 0x2000, 4097, stag, 0x3000});
    const auto u = ulpdu(send_hdr(1, 1, 1), rr);
    const auto m = t.feed(u);
    CHECK(m.code == wire::term::RdmapBaseBounds);
    check_attached(m, u, 28);
    CHECK(m.rdmap_header == rr);
  }
}

TEST_CASE("engine: an FPDU with a bad CRC: LLP 2/0/0x02, nothing attached") {
  Target t;
  // A zero-length Send framed with CRC, its CRC's last byte flipped.
  std::vector<uint8_t> f = {0x00, 0x12, 0x41, 0x43, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0x58, 0x7b, 0xe8, 0xc5};
  t.rnic->engine().toe_data(t.conn, ConstByteSpan(f.data(), f.size()));
  const auto m = t.sent();
  CHECK(m.code == wire::term::MpaCrcError);
  CHECK(!m.has_ddp);
  CHECK(m.rdmap_header.empty());
}

TEST_CASE("engine: create_qp's rq_depth: a post past it is refused at once and counted") {
  EventQueue events;  // first: the RNIC's blocks post to it
  host::HostMemory mem{5, "rq"};
  hw::RnicConfig cfg;
  cfg.mac = 0x020000000002ull;
  cfg.ip = 0x0A000002;
  hw::Rnic rnic("rq_rnic", cfg, mem, 1);
  const uint32_t qpn = rnic.engine().create_qp(1, 16, 2);
  CHECK(rnic.engine().sq_depth(qpn) == 16);
  CHECK(rnic.engine().rq_depth(qpn) == 2);
  host::VirtBuffer b;
  b.va = 0x1000;
  b.length = 64;
  b.pages = mem.alloc_pages(1);
  hw::Rqe r;
  r.sgl.push_back(hw::Sge{&b, b.va, 64});
  CHECK(rnic.engine().post_recv(qpn, r));
  CHECK(rnic.engine().post_recv(qpn, r));
  CHECK(!rnic.engine().post_recv(qpn, r));
  CHECK(rnic.engine().stats().rq_overflows == 1);
  // Without a depth the queue is not bounded (the default of callers that model no ring).
  const uint32_t q2 = rnic.engine().create_qp(1, 16);
  for (int k = 0; k < 1000; ++k) REQUIRE(rnic.engine().post_recv(q2, r));
  CHECK(rnic.engine().stats().rq_overflows == 1);
}

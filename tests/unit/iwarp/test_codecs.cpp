// DDP/RDMAP codecs of every message the engine sends: exact bytes (RFC 5040 s.4, RFC 5041
// s.4, the zero-length Send of protocol-facts.md), and Terminate messages with their
// attached headers.
#include <catch2/catch.hpp>

#include <vector>

#include "model/proto/mpa/fpdu.h"
#include "model/wire/ddp_rdmap.h"
#include "tests/unit/wire/hex.h"

using namespace rnicsim;
using rnicsim::test::hex;

namespace {
std::vector<uint8_t> enc(const wire::DdpHeader& h) {
  std::vector<uint8_t> out(wire::ddp_header_length(h.tagged));
  REQUIRE(wire::encode_ddp(out.data(), h) == out.size());
  return out;
}
wire::DdpHeader untagged(wire::RdmapOpcode op, uint32_t qn, uint32_t msn, uint32_t mo, bool last, uint32_t inv = 0) {
  wire::DdpHeader h;
  h.opcode = static_cast<uint8_t>(op);
  h.qn = qn;
  h.msn = msn;
  h.mo = mo;
  h.last = last;
  h.stag = inv;
  return h;
}
}  // namespace

TEST_CASE("codec: a zero-length Send, MSN 1, framed with CRC, is the protocol-facts bytes") {
  const auto h = enc(untagged(wire::RdmapOpcode::Send, 0, 1, 0, true));
  tcp::SendBuffer sb(256);
  mpa::write_fpdu(sb, ConstByteSpan(h.data(), h.size()), 0, [](mpa::RingWriter&) {}, true);
  std::vector<uint8_t> wire_bytes(sb.size());
  sb.copy_out(0, sb.size(), wire_bytes.data());
  CHECK(wire_bytes == hex("00 12 41 43 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00 00 58 7b e8 c4"));
}

TEST_CASE("codec: every Send variant sets its opcode, QN 0, the invalidate STag and L only on the last") {
  CHECK(enc(untagged(wire::RdmapOpcode::SendWithInvalidate, 0, 7, 1428, false, 0x0001025a)) ==
        hex("01 44 00 01 02 5a 00 00 00 00 00 00 00 07 00 00 05 94"));
  CHECK(enc(untagged(wire::RdmapOpcode::SendWithSe, 0, 2, 0, true)) ==
        hex("41 45 00 00 00 00 00 00 00 00 00 00 00 02 00 00 00 00"));
  CHECK(enc(untagged(wire::RdmapOpcode::SendWithSeInvalidate, 0, 3, 0, true, 0xdeadbeef)) ==
        hex("41 46 de ad be ef 00 00 00 00 00 00 00 03 00 00 00 00"));
}

TEST_CASE("codec: RDMA Write and Read Response are tagged: STag and 64-bit TO") {
  wire::DdpHeader h;
  h.tagged = true;
  h.last = true;
  h.opcode = static_cast<uint8_t>(wire::RdmapOpcode::RdmaReadResponse);
  h.stag = 0x0000015a;
  h.to = 0x00007f0000001000ull;
  CHECK(enc(h) == hex("c1 42 00 00 01 5a 00 00 7f 00 00 00 10 00"));
  h.last = false;
  h.opcode = 0;
  CHECK(enc(h) == hex("81 40 00 00 01 5a 00 00 7f 00 00 00 10 00"));
  auto d = wire::decode_ddp(enc(h).data(), 14);
  REQUIRE(d);
  CHECK(d.value.tagged);
  CHECK(!d.value.last);
  CHECK(d.value.to == 0x00007f0000001000ull);
}

TEST_CASE("codec: a Read Request is untagged QN 1 with a 28-byte body") {
  auto h = untagged(wire::RdmapOpcode::RdmaReadRequest, 1, 1, 0, true);
  CHECK(enc(h) == hex("41 41 00 00 00 00 00 00 00 01 00 00 00 01 00 00 00 00"));
  wire::ReadRequest r{0x0000015a, 0x7f0000001000ull, 65536, 0x0000025f, 0x7f0000200000ull};
  std::vector<uint8_t> b(wire::kReadRequestLen);
  CHECK(wire::encode_read_request(b.data(), r) == 28);
  CHECK(b == hex("00 00 01 5a 00 00 7f 00 00 00 10 00 00 01 00 00 00 00 02 5f 00 00 7f 00 00 20 00 00"));
  auto d = wire::decode_read_request(b.data(), b.size());
  REQUIRE(d);
  CHECK(d.value.size == 65536);
  CHECK(d.value.src_to == 0x7f0000200000ull);
  CHECK(!wire::decode_read_request(b.data(), 27));
}

TEST_CASE("codec: a Terminate with a tagged DDP header attached (M and D set, the segment length first)") {
  wire::TerminateMessage m;
  m.code = wire::term::DdpTaggedInvalidStag;
  m.has_ddp = true;
  m.ddp_segment_length = 1442;
  m.ddp_header = hex("81 40 00 ff ff 5a 00 00 7f 00 00 00 10 00");
  const auto b = wire::encode_terminate_message(m);
  CHECK(b == hex("11 00 c0 00 05 a2 81 40 00 ff ff 5a 00 00 7f 00 00 00 10 00"));
  auto d = wire::decode_terminate_message(b.data(), b.size());
  REQUIRE(d);
  CHECK(d.value.code == wire::term::DdpTaggedInvalidStag);
  CHECK(d.value.ddp_segment_length == 1442);
  CHECK(d.value.ddp_header == m.ddp_header);
  CHECK(d.value.rdmap_header.empty());
  CHECK(std::string(wire::term_name(d.value.code)) == "DDP tagged: invalid STag");
}

TEST_CASE("codec: a Terminate for a Read Request carries the untagged header and the 28-byte RDMAP header") {
  wire::TerminateMessage m;
  m.code = wire::term::RdmapStagNotAssociated;
  m.has_ddp = true;
  m.ddp_segment_length = 46;
  m.ddp_header = hex("41 41 00 00 00 00 00 00 00 01 00 00 00 01 00 00 00 00");
  m.rdmap_header = hex("00 00 01 5a 00 00 7f 00 00 00 10 00 00 00 40 00 00 00 02 5f 00 00 7f 00 00 20 00 00");
  const auto b = wire::encode_terminate_message(m);
  REQUIRE(b.size() == 4 + 2 + 18 + 28);
  CHECK(b[0] == 0x01);  // layer RDMAP, etype remote protection
  CHECK(b[1] == 0x03);  // STag not associated with RDMAP stream
  CHECK(b[2] == 0xE0);  // M D R
  auto d = wire::decode_terminate_message(b.data(), b.size());
  REQUIRE(d);
  CHECK(d.value.ddp_header.size() == 18);
  CHECK(d.value.rdmap_header == m.rdmap_header);
}

TEST_CASE("codec: an LLP Terminate has no header attached") {
  wire::TerminateMessage m;
  m.code = wire::term::MpaCrcError;
  CHECK(wire::encode_terminate_message(m) == hex("20 02 00 00"));
  m.code = wire::term::MpaMarkerMismatch;
  CHECK(wire::encode_terminate_message(m) == hex("20 03 00 00"));
}

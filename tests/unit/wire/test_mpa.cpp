#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "model/common/bytes.h"
#include "model/wire/crc.h"
#include "model/wire/ddp_rdmap.h"
#include "model/wire/mpa.h"
#include "tests/unit/wire/hex.h"

using namespace rnicsim;
using namespace rnicsim::wire;
using rnicsim::test::hex;

namespace {
void check_same(const MpaReqRep& a, const MpaReqRep& b) {
  CHECK(a.reply == b.reply);
  CHECK(a.markers == b.markers);
  CHECK(a.crc == b.crc);
  CHECK(a.reject == b.reject);
  CHECK(a.enhanced == b.enhanced);
  CHECK(a.revision == b.revision);
  if (a.enhanced) {
    CHECK(a.ird_ord.peer_to_peer == b.ird_ord.peer_to_peer);
    CHECK(a.ird_ord.zero_send_rtr == b.ird_ord.zero_send_rtr);
    CHECK(a.ird_ord.zero_write_rtr == b.ird_ord.zero_write_rtr);
    CHECK(a.ird_ord.zero_read_rtr == b.ird_ord.zero_read_rtr);
    CHECK(a.ird_ord.ird == b.ird_ord.ird);
    CHECK(a.ird_ord.ord == b.ird_ord.ord);
  }
  CHECK(a.private_data == b.private_data);
}
}  // namespace

TEST_CASE("MPA Request bytes: revision 2, enhanced, CRC", "[wire][mpa]") {
  MpaReqRep f;
  f.crc = true;
  f.enhanced = true;
  f.revision = 2;
  f.ird_ord.peer_to_peer = true;
  f.ird_ord.zero_write_rtr = true;
  f.ird_ord.ird = 16;
  f.ird_ord.ord = 0x3FFF;
  f.private_data = {0xAB, 0xCD};
  const auto b = encode_mpa_reqrep(f);
  CHECK(b == hex("4d 50 41 20 49 44 20 52 65 71 20 46 72 61 6d 65"  // "MPA ID Req Frame"
                 "50 02 00 06"                                      // C|enhanced, rev 2, 6
                 "80 10 bf ff"                                      // P|IRD 16, W|ORD 0x3fff
                 "ab cd"));
  const auto d = decode_mpa_reqrep(b.data(), b.size());
  REQUIRE(d.status == DecodeStatus::Ok);
  CHECK(d.length == b.size());
  check_same(d.value, f);
}

TEST_CASE("MPA Request/Reply round trips", "[wire][mpa]") {
  SECTION("revision 1 Reply, markers and reject, no private data") {
    MpaReqRep f;
    f.reply = true;
    f.markers = true;
    f.reject = true;
    f.revision = 1;
    const auto b = encode_mpa_reqrep(f);
    REQUIRE(b.size() == kMpaReqRepHeaderLen);
    CHECK(std::memcmp(b.data(), "MPA ID Rep Frame", 16) == 0);
    CHECK(b[16] == 0xA0);
    const auto d = decode_mpa_reqrep(b.data(), b.size());
    REQUIRE(d.status == DecodeStatus::Ok);
    check_same(d.value, f);
  }
  SECTION("revision 2 Reply, every enhanced bit, 508 bytes of private data (512 in all)") {
    MpaReqRep f;
    f.reply = true;
    f.markers = true;
    f.crc = true;
    f.enhanced = true;
    f.ird_ord = {false, true, false, true, 0x2AAA, 1};
    f.private_data.resize(508);
    for (size_t i = 0; i < f.private_data.size(); ++i) f.private_data[i] = static_cast<uint8_t>(i);
    const auto b = encode_mpa_reqrep(f);
    CHECK(load_be16(b.data() + 18) == 512);
    const auto d = decode_mpa_reqrep(b.data(), b.size());
    REQUIRE(d.status == DecodeStatus::Ok);
    CHECK(d.length == 20 + 512);
    check_same(d.value, f);
  }
  SECTION("a stream parser sees the frame followed by FPDU bytes") {
    MpaReqRep f;
    f.private_data = {1, 2, 3};
    auto b = encode_mpa_reqrep(f);
    const size_t frame = b.size();
    b.insert(b.end(), {0x00, 0x12, 0x41});
    const auto d = decode_mpa_reqrep(b.data(), b.size());
    REQUIRE(d.status == DecodeStatus::Ok);
    CHECK(d.length == frame);
    CHECK(d.value.private_data == std::vector<uint8_t>{1, 2, 3});
  }
}

TEST_CASE("MPA Request/Reply truncated and malformed", "[wire][mpa]") {
  MpaReqRep f;
  f.enhanced = true;
  f.private_data = {9, 8, 7};
  const auto good = encode_mpa_reqrep(f);
  for (size_t n = 0; n < good.size(); ++n) {
    INFO("length " << n);
    CHECK(decode_mpa_reqrep(good.data(), n).status == DecodeStatus::Truncated);
  }
  SECTION("bad key") {
    auto b = good;
    b[15] = 'X';
    CHECK(decode_mpa_reqrep(b.data(), b.size()).status == DecodeStatus::Malformed);
    b = good;
    b[0] = 'm';
    CHECK(decode_mpa_reqrep(b.data(), b.size()).status == DecodeStatus::Malformed);
  }
  SECTION("private data over 512 bytes: Malformed as soon as the header is in") {
    auto b = good;
    store_be16(b.data() + 18, 513);
    CHECK(decode_mpa_reqrep(b.data(), kMpaReqRepHeaderLen).status == DecodeStatus::Malformed);
    MpaReqRep big;
    big.private_data.resize(513);
    const auto bb = encode_mpa_reqrep(big);
    CHECK(decode_mpa_reqrep(bb.data(), bb.size()).status == DecodeStatus::Malformed);
  }
  SECTION("enhanced frame shorter than its IRD/ORD prefix") {
    auto b = good;
    store_be16(b.data() + 18, 3);
    CHECK(decode_mpa_reqrep(b.data(), b.size()).status == DecodeStatus::Malformed);
  }
  SECTION("the enhanced bit of a revision 1 frame is a reserved bit") {
    auto b = good;
    b[17] = 1;
    const auto d = decode_mpa_reqrep(b.data(), b.size());
    REQUIRE(d.status == DecodeStatus::Ok);
    CHECK_FALSE(d.value.enhanced);
    CHECK(d.value.private_data.size() == 7);  // the prefix stays in the private data
  }
}

TEST_CASE("MPA pad, FPDU length, MULPDU", "[wire][mpa]") {
  const size_t pads[] = {2, 1, 0, 3, 2, 1, 0, 3};
  for (size_t n = 0; n < 8; ++n) {
    CHECK(mpa_pad(n) == pads[n]);
    CHECK((kMpaLenField + n + mpa_pad(n)) % 4 == 0);
  }
  CHECK(mpa_fpdu_length(0) == 8);
  CHECK(mpa_fpdu_length(1) == 8);
  CHECK(mpa_fpdu_length(2) == 8);
  CHECK(mpa_fpdu_length(3) == 12);
  CHECK(mpa_fpdu_length(18) == 24);  // the zero-length Send
  CHECK(mpa_fpdu_length(1442) == 1448);

  // EMSS 1448 = 1500 - 20 (IPv4) - 20 (TCP) - 12 (timestamps).
  CHECK(mpa_mulpdu(1448, false) == 1442);
  // With markers: 1448 - (6 + 4 * ceil(1448 / 512) + 1448 mod 4) = 1448 - 18 = 1430.
  CHECK(mpa_mulpdu(1448, true) == 1430);
  // protocol-facts.md's table: RDMA Write payload per 1500-MTU frame with timestamps is
  // 1428 (MULPDU - 14-byte tagged header), 1416 with markers.
  CHECK(mpa_mulpdu(1448, false) - kDdpTaggedHeaderLen == 1428);
  CHECK(mpa_mulpdu(1448, true) - kDdpTaggedHeaderLen == 1416);
  // 9000 MTU: 8948 EMSS -> 8928 payload.
  CHECK(mpa_mulpdu(8948, false) - kDdpTaggedHeaderLen == 8928);

  // For every EMSS: the MULPDU's FPDU fits (with its markers) and one byte more would not.
  for (uint32_t emss = 8; emss <= 9000; ++emss) {
    INFO("emss " << emss);
    const uint32_t m = mpa_mulpdu(emss, false);
    REQUIRE(mpa_fpdu_length(m) <= emss);
    REQUIRE(mpa_fpdu_length(m + 1) > emss);
    if (emss >= 32) {
      const uint32_t mk = mpa_mulpdu(emss, true);
      REQUIRE(mpa_pad(mk) == 0);
      REQUIRE(mpa_fpdu_length(mk) + 4 * ((emss + 511) / 512) <= emss);
    }
  }
  CHECK(mpa_mulpdu(7, false) == 0);
  CHECK(mpa_mulpdu(10, true) == 0);
}

TEST_CASE("Zero-length Send FPDU, byte for byte", "[wire][mpa][ddp]") {
  // protocol-facts.md: zero-length Send, MSN 1, CRC on.
  const auto expected =
      hex("00 12 41 43 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00 00 58 7b e8 c4");
  DdpHeader h;
  h.tagged = false;
  h.last = true;
  h.opcode = static_cast<uint8_t>(RdmapOpcode::Send);
  h.qn = kQnSend;
  h.msn = 1;
  h.mo = 0;
  std::vector<uint8_t> fpdu(mpa_fpdu_length(kDdpUntaggedHeaderLen), 0xEE);
  REQUIRE(fpdu.size() == 24);
  const size_t ulpdu = encode_ddp(fpdu.data() + kMpaLenField, h);
  REQUIRE(ulpdu == 18);
  store_be16(fpdu.data(), static_cast<uint16_t>(ulpdu));
  const size_t pad = mpa_pad(ulpdu);
  CHECK(pad == 0);  // 2 + 18 is already a multiple of 4
  const size_t crc_at = kMpaLenField + ulpdu + pad;
  store_le32(fpdu.data() + crc_at, crc32c(fpdu.data(), crc_at));
  CHECK(fpdu == expected);

  // And back: the receiver's view of the same bytes.
  CHECK(load_be16(expected.data()) == 0x0012);
  const auto d = decode_ddp(expected.data() + 2, 18);
  REQUIRE(d.status == DecodeStatus::Ok);
  CHECK_FALSE(d.value.tagged);
  CHECK(d.value.last);
  CHECK(d.value.opcode == 3);
  CHECK(d.value.msn == 1);
  CHECK(load_le32(expected.data() + 20) == crc32c(expected.data(), 20));
  // Incremental CRC over header pieces gives the same register.
  uint32_t reg = crc32c_update(kCrc32cInit, expected.data(), 2);
  reg = crc32c_update(reg, expected.data() + 2, 18);
  CHECK(crc32c_final(reg) == 0xC4E87B58u);
}

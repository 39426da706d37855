#include <catch2/catch.hpp>

#include <vector>

#include "model/wire/icmp.h"
#include "tests/unit/wire/hex.h"

using namespace rnicsim::wire;
using rnicsim::test::hex;

TEST_CASE("ICMP echo bytes and round trip", "[wire][icmp]") {
  // Echo request id 1 seq 1 with "abcd".
  std::vector<uint8_t> b(8 + 4);
  b[8] = 'a';
  b[9] = 'b';
  b[10] = 'c';
  b[11] = 'd';
  REQUIRE(encode_icmp_echo(b.data(), {kIcmpEchoRequest, 0, 1, 1}, 4) == kIcmpEchoHeaderLen);
  // Checksum by hand: 0x0800 + 0x0001 + 0x0001 + 0x6162 + 0x6364 = 0xccc8; ~ = 0x3337.
  CHECK(b == hex("08 00 33 37 00 01 00 01 61 62 63 64"));
  const auto d = decode_icmp_echo(b.data(), b.size());
  REQUIRE(d.status == DecodeStatus::Ok);
  CHECK(d.value.type == kIcmpEchoRequest);
  CHECK(d.value.code == 0);
  CHECK(d.value.id == 1);
  CHECK(d.value.seq == 1);
  CHECK(d.length == kIcmpEchoHeaderLen);

  encode_icmp_echo(b.data(), {kIcmpEchoReply, 0, 0x1234, 0xFFFF}, 4);
  const auto r = decode_icmp_echo(b.data(), b.size());
  REQUIRE(r.status == DecodeStatus::Ok);
  CHECK(r.value.type == kIcmpEchoReply);
  CHECK(r.value.id == 0x1234);
  CHECK(r.value.seq == 0xFFFF);

  for (size_t n = 0; n < kIcmpEchoHeaderLen; ++n) {
    CHECK(decode_icmp_echo(b.data(), n).status == DecodeStatus::Truncated);
  }
  auto bad = b;
  bad[11] ^= 1;
  CHECK(decode_icmp_echo(bad.data(), bad.size()).status == DecodeStatus::BadChecksum);
  bad = b;
  bad[0] = 3;  // destination unreachable
  CHECK(decode_icmp_echo(bad.data(), bad.size()).status == DecodeStatus::Malformed);
}

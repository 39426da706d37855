#include <catch2/catch.hpp>

#include <array>
#include <vector>

#include "model/common/bytes.h"
#include "model/wire/crc.h"
#include "model/wire/ipv4.h"
#include "tests/unit/wire/hex.h"

using namespace rnicsim;
using namespace rnicsim::wire;
using rnicsim::test::hex;

TEST_CASE("IPv4 header matches a known vector", "[wire][ipv4]") {
  // A UDP packet 192.168.0.1 -> 192.168.0.199, length 0x73, DF, TTL 64: checksum 0xb861
  // (the textbook example of the IPv4 header checksum).
  Ipv4Header h;
  h.total_length = 0x73;
  h.id = 0;
  h.ttl = 64;
  h.protocol = kIpProtoUdp;
  h.src = 0xC0A80001u;
  h.dst = 0xC0A800C7u;
  std::array<uint8_t, kIpv4HeaderLen> b{};
  REQUIRE(encode_ipv4(b.data(), h) == kIpv4HeaderLen);
  CHECK(std::vector<uint8_t>(b.begin(), b.end()) ==
        hex("45 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7"));
}

TEST_CASE("IPv4 round trip of every field", "[wire][ipv4]") {
  Ipv4Header h;
  h.dscp = 46;  // EF
  h.ecn = 3;
  h.total_length = 40;
  h.id = 0xBEEF;
  h.df = false;
  h.mf = true;
  h.frag_offset = 0x1ABC;
  h.ttl = 7;
  h.protocol = kIpProtoTcp;
  h.src = 0x0A000001u;
  h.dst = 0x0A0000FEu;
  std::vector<uint8_t> b(40);
  encode_ipv4(b.data(), h);
  const auto d = decode_ipv4(b.data(), b.size());
  REQUIRE(d.status == DecodeStatus::Ok);
  CHECK(d.length == 20);
  const Ipv4Header& g = d.value;
  CHECK(g.dscp == h.dscp);
  CHECK(g.ecn == h.ecn);
  CHECK(g.total_length == h.total_length);
  CHECK(g.id == h.id);
  CHECK(g.df == h.df);
  CHECK(g.mf == h.mf);
  CHECK(g.frag_offset == h.frag_offset);
  CHECK(g.ttl == h.ttl);
  CHECK(g.protocol == h.protocol);
  CHECK(g.src == h.src);
  CHECK(g.dst == h.dst);
  CHECK(g.header_length == 20);
  CHECK(b[6] == 0x3A);  // MF 0x20 | offset high bits 0x1A; DF clear

  // Defaults: DF set, TTL 64.
  Ipv4Header dflt;
  dflt.total_length = 20;
  encode_ipv4(b.data(), dflt);
  CHECK(b[6] == 0x40);
  CHECK(b[8] == 64);
}

TEST_CASE("IPv4 truncated and malformed input", "[wire][ipv4]") {
  Ipv4Header h;
  h.total_length = 28;
  h.protocol = kIpProtoIcmp;
  h.src = 1;
  h.dst = 2;
  std::vector<uint8_t> good(28);
  encode_ipv4(good.data(), h);
  for (size_t n = 0; n < kIpv4HeaderLen; ++n) {
    CHECK(decode_ipv4(good.data(), n).status == DecodeStatus::Truncated);
  }
  // total_length beyond the buffer: the tail is missing.
  CHECK(decode_ipv4(good.data(), 27).status == DecodeStatus::Truncated);
  // Ethernet padding after the packet is fine.
  std::vector<uint8_t> padded = good;
  padded.resize(46);
  CHECK(decode_ipv4(padded.data(), padded.size()).status == DecodeStatus::Ok);

  auto refill = [](std::vector<uint8_t>& b, size_t ihl) {
    store_be16(b.data() + 10, 0);
    store_be16(b.data() + 10, inet_fold(inet_sum(b.data(), ihl)));
  };
  SECTION("version 6") {
    auto b = good;
    b[0] = 0x65;
    refill(b, 20);
    CHECK(decode_ipv4(b.data(), b.size()).status == DecodeStatus::Malformed);
  }
  SECTION("IHL 4") {
    auto b = good;
    b[0] = 0x44;
    refill(b, 20);
    CHECK(decode_ipv4(b.data(), b.size()).status == DecodeStatus::Malformed);
  }
  SECTION("total_length below the header") {
    auto b = good;
    store_be16(b.data() + 2, 19);
    refill(b, 20);
    CHECK(decode_ipv4(b.data(), b.size()).status == DecodeStatus::Malformed);
  }
  SECTION("checksum") {
    auto b = good;
    b[10] ^= 0x01;
    CHECK(decode_ipv4(b.data(), b.size()).status == DecodeStatus::BadChecksum);
    b = good;
    b[15] ^= 0x80;  // a source address bit
    CHECK(decode_ipv4(b.data(), b.size()).status == DecodeStatus::BadChecksum);
  }
  SECTION("options are skipped: IHL 6") {
    std::vector<uint8_t> b(32, 0);
    encode_ipv4(b.data(), h);
    b[0] = 0x46;
    store_be16(b.data() + 2, 32);
    b[20] = 0x01;  // NOP NOP NOP NOP
    b[21] = b[22] = b[23] = 0x01;
    refill(b, 24);
    for (size_t n = 20; n < 24; ++n) {
      CHECK(decode_ipv4(b.data(), n).status == DecodeStatus::Truncated);
    }
    const auto d = decode_ipv4(b.data(), b.size());
    REQUIRE(d.status == DecodeStatus::Ok);
    CHECK(d.length == 24);
    CHECK(d.value.header_length == 24);
  }
}

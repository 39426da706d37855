#include <catch2/catch.hpp>

#include <array>
#include <vector>

#include "model/wire/eth.h"
#include "tests/unit/wire/hex.h"

using namespace rnicsim::wire;
using rnicsim::test::hex;

TEST_CASE("Ethernet header bytes and round trip", "[wire][eth]") {
  const EthHeader h{0x0A0B0C0D0E0Full, 0x021122334455ull, kEtherTypeIpv4};
  std::array<uint8_t, kEthHeaderLen> b{};
  REQUIRE(encode_eth(b.data(), h) == kEthHeaderLen);
  CHECK(std::vector<uint8_t>(b.begin(), b.end()) ==
        hex("0a 0b 0c 0d 0e 0f 02 11 22 33 44 55 08 00"));
  const auto d = decode_eth(b.data(), b.size());
  REQUIRE(d.status == DecodeStatus::Ok);
  CHECK(d.length == kEthHeaderLen);
  CHECK(d.value.dst == h.dst);
  CHECK(d.value.src == h.src);
  CHECK(d.value.ethertype == h.ethertype);
  for (size_t n = 0; n < kEthHeaderLen; ++n) {
    CHECK(decode_eth(b.data(), n).status == DecodeStatus::Truncated);
  }
}

TEST_CASE("ARP bytes and round trip", "[wire][arp]") {
  const ArpPacket a{ArpOp::Reply, 0x021122334455ull, 0xC0A80002u, 0x02AABBCCDDEEull, 0xC0A80001u};
  std::array<uint8_t, kArpLen> b{};
  REQUIRE(encode_arp(b.data(), a) == kArpLen);
  CHECK(std::vector<uint8_t>(b.begin(), b.end()) ==
        hex("00 01 08 00 06 04 00 02 02 11 22 33 44 55 c0 a8 00 02"
            "02 aa bb cc dd ee c0 a8 00 01"));
  const auto d = decode_arp(b.data(), b.size());
  REQUIRE(d.status == DecodeStatus::Ok);
  CHECK(d.length == kArpLen);
  CHECK(d.value.op == ArpOp::Reply);
  CHECK(d.value.sha == a.sha);
  CHECK(d.value.spa == a.spa);
  CHECK(d.value.tha == a.tha);
  CHECK(d.value.tpa == a.tpa);

  ArpPacket req = a;
  req.op = ArpOp::Request;
  encode_arp(b.data(), req);
  CHECK(decode_arp(b.data(), b.size()).value.op == ArpOp::Request);

  for (size_t n = 0; n < kArpLen; ++n) {
    CHECK(decode_arp(b.data(), n).status == DecodeStatus::Truncated);
  }
}

TEST_CASE("ARP malformed fields", "[wire][arp]") {
  std::array<uint8_t, kArpLen> good{};
  encode_arp(good.data(), {ArpOp::Request, 1, 2, 3, 4});
  struct Case {
    size_t offset;
    uint8_t value;
    const char* what;
  };
  const Case cases[] = {
      {1, 0x06, "htype 6 (IEEE 802)"}, {2, 0x86, "ptype 0x86dd"}, {4, 8, "hlen 8"},
      {5, 16, "plen 16"},              {7, 0, "op 0"},            {7, 3, "op 3 (RARP)"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    auto b = good;
    b[c.offset] = c.value;
    CHECK(decode_arp(b.data(), b.size()).status == DecodeStatus::Malformed);
  }
}

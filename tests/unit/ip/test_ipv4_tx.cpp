// IPv4 output: every header byte of what the offload engine and the host's stack send:
// version and IHL, ECN, total length, an identification counted per sender from 1, DF,
// TTL 64, the protocol, the RFC 1071 checksum (computed here independently), addresses.
#include <catch2/catch.hpp>

#include <array>
#include <vector>

#include "model/proto/ip/frame.h"
#include "model/proto/ip/ipv4.h"
#include "tests/unit/wire/hex.h"

using namespace rnicsim;
using rnicsim::test::hex;

namespace {

/// RFC 1071: the one's complement of the one's complement sum of the 16-bit words.
uint16_t rfc1071(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2) sum += static_cast<uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

std::vector<uint8_t> header(ip::Ipv4Sender& tx, uint8_t proto, size_t payload, uint8_t ecn = 0) {
  std::array<uint8_t, 20> b{};
  REQUIRE(tx.write(b.data(), 0x0A000001, 0x0A000002, proto, payload, ecn) == 20);
  return {b.begin(), b.end()};
}

}  // namespace

TEST_CASE("IPv4 out: the first TCP packet is ID 1, DF, TTL 64, with its checksum") {
  ip::Ipv4Sender tx;
  const auto b = header(tx, wire::kIpProtoTcp, 1480);
  // Total length 1500 = 0x05dc; the words sum to 0xdee6, so the checksum is 0x2119.
  CHECK(b == hex("45 00 05 dc 00 01 40 00 40 06 21 19 0a 00 00 01 0a 00 00 02"));
  std::vector<uint8_t> zeroed = b;
  zeroed[10] = zeroed[11] = 0;
  CHECK(rfc1071(zeroed.data(), zeroed.size()) == 0x2119);
  CHECK(rfc1071(b.data(), b.size()) == 0);  // a good header sums to zero
}

TEST_CASE("IPv4 out: the identification counts per sender, wraps at 16 bits, and ECT(0) sets ECN 2") {
  ip::Ipv4Sender a, b;
  CHECK(header(a, wire::kIpProtoTcp, 0)[5] == 1);
  CHECK(header(a, wire::kIpProtoTcp, 0)[5] == 2);
  CHECK(header(b, wire::kIpProtoTcp, 0)[5] == 1);  // another stack, its own counter
  CHECK(a.next_id() == 3);
  for (int i = 3; i < 0x10000; ++i) header(a, wire::kIpProtoTcp, 0);
  CHECK(a.next_id() == 0);
  const auto w = header(a, wire::kIpProtoIcmp, 8, 2);
  CHECK(w[4] == 0x00);
  CHECK(w[5] == 0x00);
  CHECK(w[1] == 0x02);
  CHECK(w[9] == wire::kIpProtoIcmp);
  CHECK(rfc1071(w.data(), w.size()) == 0);
}

TEST_CASE("IPv4 out: TTL and DF come from the sender's config") {
  ip::Ipv4Sender tx(ip::Ipv4TxConfig{1, false});
  const auto b = header(tx, wire::kIpProtoUdp, 100);
  CHECK(b[6] == 0x00);
  CHECK(b[7] == 0x00);
  CHECK(b[8] == 1);
  CHECK(rfc1071(b.data(), b.size()) == 0);
}

TEST_CASE("TCP frame: Ethernet to the given MAC, IPv4 through the sender, the TCP checksum over the payload") {
  ip::Ipv4Sender tx;
  wire::TcpHeader h;
  h.sport = 5000;
  h.dport = 40000;
  h.seq = 1;
  h.flags = wire::tcp_flags::kAck;
  const ip::TcpFrameAddrs a{0x020000000001ull, 0x020000000002ull, 0x0A000001, 0x0A000002};
  uint8_t* payload = nullptr;
  FramePool pool;
  FramePtr f = ip::build_tcp_frame(pool, tx, a, h, 4, true, &payload);
  REQUIRE(f->bytes.size() == 14 + 20 + 20 + 4);
  std::copy_n("abcd", 4, payload);
  ip::fill_tcp_checksum(*f, a);
  const auto& b = f->bytes;
  CHECK(std::vector<uint8_t>(b.begin(), b.begin() + 14) == hex("02 00 00 00 00 02 02 00 00 00 00 01 08 00"));
  CHECK(b[14 + 1] == 0x02);  // ECT(0)
  CHECK(b[14 + 2] == 0x00);
  CHECK(b[14 + 3] == 44);
  CHECK(b[14 + 5] == 1);
  CHECK(rfc1071(b.data() + 14, 20) == 0);
  // The TCP checksum with its pseudo-header sums to zero.
  std::vector<uint8_t> pseudo = hex("0a 00 00 01 0a 00 00 02 00 06 00 18");
  pseudo.insert(pseudo.end(), b.begin() + 34, b.end());
  CHECK(rfc1071(pseudo.data(), pseudo.size()) == 0);
  CHECK(std::vector<uint8_t>(b.end() - 4, b.end()) == hex("61 62 63 64"));
}

#include <catch2/catch.hpp>

#include <array>
#include <cstring>
#include <vector>

#include "model/common/bytes.h"
#include "model/wire/crc.h"
#include "model/wire/eth.h"
#include "tests/unit/wire/hex.h"

using namespace rnicsim;
using namespace rnicsim::wire;
using rnicsim::test::hex;

namespace {
const uint8_t* u8(const char* s) { return reinterpret_cast<const uint8_t*>(s); }

// The CRC as it goes on the wire: least significant byte first.
std::vector<uint8_t> wire_crc(const std::vector<uint8_t>& data) {
  std::vector<uint8_t> out(4);
  store_le32(out.data(), crc32c(data.data(), data.size()));
  return out;
}
}  // namespace

TEST_CASE("CRC32c check value of \"123456789\"", "[wire][crc]") {
  CHECK(crc32c(u8("123456789"), 9) == 0xE3069283u);
  CHECK(crc32c(nullptr, 0) == 0u);  // init and final XOR cancel
}

TEST_CASE("CRC32c RFC 3720 B.4 vectors, as wire bytes", "[wire][crc]") {
  std::vector<uint8_t> zeros(32, 0x00), ones(32, 0xFF), up(32), down(32);
  for (size_t i = 0; i < 32; ++i) {
    up[i] = static_cast<uint8_t>(i);
    down[i] = static_cast<uint8_t>(31 - i);
  }
  CHECK(wire_crc(zeros) == hex("aa 36 91 8a"));
  CHECK(wire_crc(ones) == hex("43 ab a8 62"));
  CHECK(wire_crc(up) == hex("4e 79 dd 46"));
  CHECK(wire_crc(down) == hex("5c db 3f 11"));
}

TEST_CASE("CRC32c over pieces equals one shot", "[wire][crc]") {
  std::vector<uint8_t> data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + 3);
  const uint32_t whole = crc32c(data.data(), data.size());
  for (size_t cut1 : {size_t{0}, size_t{1}, size_t{3}, size_t{17}, size_t{512}}) {
    for (size_t cut2 : {cut1, cut1 + 1, cut1 + 5, size_t{999}, size_t{1000}}) {
      if (cut2 < cut1 || cut2 > data.size()) continue;
      uint32_t reg = kCrc32cInit;
      reg = crc32c_update(reg, data.data(), cut1);
      reg = crc32c_update(reg, data.data() + cut1, cut2 - cut1);
      reg = crc32c_update(reg, data.data() + cut2, data.size() - cut2);
      CHECK(crc32c_final(reg) == whole);
    }
  }
}

TEST_CASE("Ethernet FCS", "[wire][crc]") {
  // The reflected IEEE CRC-32 check value (zlib's crc32("123456789")).
  CHECK(ethernet_fcs(u8("123456789"), 9) == 0xCBF43926u);

  // A broadcast ARP request padded to 60 bytes; FCS from Python's zlib.crc32 of the same
  // bytes, an independent implementation.
  std::array<uint8_t, kEthMinFrame> frame{};
  size_t n = encode_eth(frame.data(), {kMacBroadcast, 0x020000000001ull, kEtherTypeArp});
  n += encode_arp(frame.data() + n, {ArpOp::Request, 0x020000000001ull, 0xC0A80001u, 0, 0xC0A80002u});
  REQUIRE(n == 42);
  const uint32_t fcs = ethernet_fcs(frame.data(), frame.size());
  CHECK(fcs == 0x40888DADu);

  // The receiver's check: CRC over frame + FCS (LSB first) leaves the CRC-32 residue.
  std::array<uint8_t, kEthMinFrame + kEthFcsLen> with_fcs{};
  std::memcpy(with_fcs.data(), frame.data(), frame.size());
  store_le32(with_fcs.data() + frame.size(), fcs);
  CHECK(with_fcs[60] == 0xAD);
  CHECK(ethernet_fcs(with_fcs.data(), with_fcs.size()) == 0x2144DF1Cu);
}

TEST_CASE("Internet checksum, RFC 1071 example", "[wire][crc]") {
  // RFC 1071 s.3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (after folding).
  const auto b = hex("00 01 f2 03 f4 f5 f6 f7");
  CHECK(inet_fold(inet_sum(b.data(), b.size())) == static_cast<uint16_t>(~0xddf2u));
  // Chained in even pieces it is the same.
  CHECK(inet_fold(inet_sum(b.data() + 4, 4, inet_sum(b.data(), 4))) == 0x220d);
  // An odd trailing byte is the high byte of a word.
  const auto odd = hex("00 01 f2");
  CHECK(inet_fold(inet_sum(odd.data(), odd.size())) == static_cast<uint16_t>(~0xf201u));
  // A buffer holding its own checksum folds to 0.
  auto c = hex("00 01 f2 03 f4 f5 f6 f7 22 0d");
  CHECK(inet_fold(inet_sum(c.data(), c.size())) == 0);
}

TEST_CASE("Internet checksum, word-wide sum equals RFC 1071's word-by-word loop", "[wire][crc]") {
  // The reference: big-endian 16-bit words one at a time (RFC 1071 4.1).
  const auto reference = [](const uint8_t* d, size_t n, uint32_t sum) {
    uint64_t acc = sum;
    size_t i = 0;
    for (; i + 1 < n; i += 2) acc += (uint64_t{d[i]} << 8) | d[i + 1];
    if (i < n) acc += uint64_t{d[i]} << 8;
    while (acc >> 16) acc = (acc & 0xFFFFu) + (acc >> 16);
    return static_cast<uint16_t>(~acc);
  };
  uint64_t x = 12345;
  const auto next = [&x] {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return x;
  };
  std::vector<uint8_t> buf(1600);
  size_t checked = 0;
  for (int fill = 0; fill < 3; ++fill)
    for (size_t n = 0; n <= 80; ++n)
      for (int rep = 0; rep < 20; ++rep) {
        for (auto& b : buf) b = fill == 0 ? static_cast<uint8_t>(next()) : fill == 1 ? 0x00 : 0xFF;
        const uint32_t start = rep % 3 == 0 ? 0 : static_cast<uint32_t>(next());
        INFO("n " << n << " fill " << fill << " start " << start);
        REQUIRE(inet_fold(inet_sum(buf.data(), n, start)) == reference(buf.data(), n, start));
        ++checked;
      }
  // Frame-sized buffers, and an all-zero one (its sum is zero: 0xFFFF, not 0).
  for (size_t n : {1460u, 1500u, 1501u}) {
    for (auto& b : buf) b = static_cast<uint8_t>(next());
    CHECK(inet_fold(inet_sum(buf.data(), n)) == reference(buf.data(), n, 0));
    ++checked;
  }
  std::fill(buf.begin(), buf.end(), 0);
  CHECK(inet_fold(inet_sum(buf.data(), 64)) == 0xFFFF);
  CHECK(checked == 3 * 81 * 20 + 3);
}

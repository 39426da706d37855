#include <catch2/catch.hpp>

#include <vector>

#include "model/common/bytes.h"
#include "model/wire/tcp.h"
#include "tests/unit/wire/hex.h"

using namespace rnicsim;
using namespace rnicsim::wire;
using rnicsim::test::hex;

namespace {
std::vector<uint8_t> encode(const TcpHeader& h) {
  std::vector<uint8_t> b(60, 0xEE);
  const size_t n = encode_tcp(b.data(), h);
  REQUIRE(n == tcp_header_length(h.opts));
  b.resize(n);
  return b;
}

std::vector<uint8_t> options_of(const std::vector<uint8_t>& seg) {
  return std::vector<uint8_t>(seg.begin() + 20, seg.end());
}

TcpHeader linux_syn() {
  TcpHeader h;
  h.sport = 40000;
  h.dport = 4791;
  h.seq = 0x11223344u;
  h.flags = tcp_flags::kSyn;
  h.window = 64240;
  h.opts.has_mss = true;
  h.opts.mss = 1460;
  h.opts.sack_permitted = true;
  h.opts.has_timestamps = true;
  h.opts.ts_val = 0xA1B2C3D4u;
  h.opts.ts_ecr = 0;
  h.opts.has_wscale = true;
  h.opts.wscale = 7;
  return h;
}

void check_same(const TcpHeader& a, const TcpHeader& b) {
  CHECK(a.sport == b.sport);
  CHECK(a.dport == b.dport);
  CHECK(a.seq == b.seq);
  CHECK(a.ack == b.ack);
  CHECK(a.flags == b.flags);
  CHECK(a.window == b.window);
  CHECK(a.urgent == b.urgent);
  CHECK(a.opts.has_mss == b.opts.has_mss);
  CHECK(a.opts.mss == b.opts.mss);
  CHECK(a.opts.has_wscale == b.opts.has_wscale);
  CHECK(a.opts.wscale == b.opts.wscale);
  CHECK(a.opts.sack_permitted == b.opts.sack_permitted);
  CHECK(a.opts.has_timestamps == b.opts.has_timestamps);
  CHECK(a.opts.ts_val == b.opts.ts_val);
  CHECK(a.opts.ts_ecr == b.opts.ts_ecr);
  REQUIRE(a.opts.sack_count == b.opts.sack_count);
  for (size_t i = 0; i < a.opts.sack_count; ++i) {
    CHECK(a.opts.sack[i].left == b.opts.sack[i].left);
    CHECK(a.opts.sack[i].right == b.opts.sack[i].right);
  }
}
}  // namespace

TEST_CASE("TCP SYN options in Linux's layout", "[wire][tcp]") {
  TcpHeader h = linux_syn();
  auto b = encode(h);
  REQUIRE(b.size() == 40);
  CHECK(b[12] == 0xA0);  // data offset 10
  CHECK(b[13] == 0x02);
  CHECK(load_be16(b.data() + 16) == 0);  // checksum left zero
  // Linux's 20-byte SYN options: MSS, SACK-permitted, timestamps, NOP, window scale.
  CHECK(options_of(b) == hex("02 04 05 b4 04 02 08 0a a1 b2 c3 d4 00 00 00 00 01 03 03 07"));

  SECTION("timestamps without SACK: NOP NOP before them") {
    h.opts.sack_permitted = false;
    CHECK(options_of(encode(h)) ==
          hex("02 04 05 b4 01 01 08 0a a1 b2 c3 d4 00 00 00 00 01 03 03 07"));
  }
  SECTION("SACK without timestamps: NOP NOP SACK-permitted") {
    h.opts.has_timestamps = false;
    CHECK(options_of(encode(h)) == hex("02 04 05 b4 01 01 04 02 01 03 03 07"));
  }
  SECTION("MSS only") {
    h.opts.has_timestamps = false;
    h.opts.sack_permitted = false;
    h.opts.has_wscale = false;
    CHECK(options_of(encode(h)) == hex("02 04 05 b4"));
  }
}

TEST_CASE("TCP options after the SYN", "[wire][tcp]") {
  TcpHeader h;
  h.flags = tcp_flags::kAck;
  h.opts.has_timestamps = true;
  h.opts.ts_val = 1;
  h.opts.ts_ecr = 2;
  CHECK(options_of(encode(h)) == hex("01 01 08 0a 00 00 00 01 00 00 00 02"));

  h.opts.sack_count = 1;
  h.opts.sack[0] = {0x100, 0x200};
  CHECK(options_of(encode(h)) ==
        hex("01 01 08 0a 00 00 00 01 00 00 00 02 01 01 05 0a 00 00 01 00 00 00 02 00"));

  // Four blocks do not fit beside timestamps: three are sent, as Linux does.
  h.opts.sack_count = 4;
  CHECK(tcp_header_length(h.opts) == 60);
  auto b = encode(h);
  CHECK(b[20 + 12 + 3] == 26);

  h.opts.has_timestamps = false;
  CHECK(tcp_header_length(h.opts) == 56);
  CHECK(options_of(encode(h)).size() == 36);

  h.opts.sack_count = 0;
  CHECK(tcp_header_length(h.opts) == 20);
}

TEST_CASE("TCP SACK blocks beside a SYN's options: only those that fit in 40 bytes", "[wire][tcp]") {
  // A header the decoder can meet (the wire fuzzer's regression tcp_syn_options_with_sack_blocks):
  // MSS, SACK-permitted with timestamps and window scale take 20 option bytes, leaving room
  // for 2 blocks (4 + 2 x 8); encoding all 4 made a 76-byte header.
  TcpHeader h;
  h.flags = tcp_flags::kSyn | tcp_flags::kAck;
  h.opts.has_mss = true;
  h.opts.mss = 1460;
  h.opts.sack_permitted = true;
  h.opts.has_timestamps = true;
  h.opts.has_wscale = true;
  h.opts.wscale = 7;
  h.opts.sack_count = 4;
  for (int i = 0; i < 4; ++i) h.opts.sack[i] = {0x1000u * (i + 1), 0x1000u * (i + 1) + 0x100};
  CHECK(tcp_header_length(h.opts) == 60);
  const auto b = encode(h);
  REQUIRE(b.size() == 60);
  const auto d = decode_tcp(b.data(), b.size());
  REQUIRE(d);
  CHECK(d.value.opts.sack_count == 2);
  CHECK(d.value.opts.sack[1].left == 0x2000u);
  // Without timestamps 8 bytes go: 3 blocks.
  h.opts.has_timestamps = false;
  CHECK(tcp_header_length(h.opts) == 20 + 12 + 28);
}

TEST_CASE("TCP round trip of every field", "[wire][tcp]") {
  SECTION("SYN") {
    const TcpHeader h = linux_syn();
    const auto b = encode(h);
    const auto d = decode_tcp(b.data(), b.size());
    REQUIRE(d.status == DecodeStatus::Ok);
    CHECK(d.length == 40);
    CHECK(d.value.header_length == 40);
    check_same(d.value, h);
  }
  SECTION("data segment with SACK blocks") {
    TcpHeader h;
    h.sport = 1;
    h.dport = 65535;
    h.seq = 0xFFFFFFFFu;
    h.ack = 0x80000001u;
    h.flags = tcp_flags::kAck | tcp_flags::kPsh | tcp_flags::kFin | tcp_flags::kEce |
              tcp_flags::kCwr | tcp_flags::kUrg | tcp_flags::kRst;
    h.window = 0x1234;
    h.urgent = 0x5678;
    h.opts.has_timestamps = true;
    h.opts.ts_val = 0xDEADBEEFu;
    h.opts.ts_ecr = 0x01020304u;
    h.opts.sack_count = 3;
    h.opts.sack[0] = {10, 20};
    h.opts.sack[1] = {30, 40};
    h.opts.sack[2] = {0xFFFFFF00u, 0x10u};
    const auto b = encode(h);
    const auto d = decode_tcp(b.data(), b.size());
    REQUIRE(d.status == DecodeStatus::Ok);
    CHECK(d.length == 60);
    check_same(d.value, h);
  }
  SECTION("no options") {
    TcpHeader h;
    h.sport = 80;
    h.dport = 8080;
    h.flags = tcp_flags::kRst;
    const auto b = encode(h);
    REQUIRE(b.size() == 20);
    const auto d = decode_tcp(b.data(), b.size());
    REQUIRE(d.status == DecodeStatus::Ok);
    check_same(d.value, h);
  }
}

TEST_CASE("TCP checksum with the IPv4 pseudo-header", "[wire][tcp]") {
  TcpHeader h = linux_syn();
  std::vector<uint8_t> seg(40 + 5);
  encode_tcp(seg.data(), h);
  for (size_t i = 40; i < seg.size(); ++i) seg[i] = static_cast<uint8_t>(i);  // odd payload
  const Ipv4Addr src = 0xC0A80001u, dst = 0xC0A80002u;
  tcp_fill_checksum(seg.data(), seg.size(), src, dst);
  CHECK(load_be16(seg.data() + 16) != 0);
  CHECK(tcp_checksum_ok(seg.data(), seg.size(), src, dst));
  CHECK_FALSE(tcp_checksum_ok(seg.data(), seg.size(), src, dst + 1));
  CHECK_FALSE(tcp_checksum_ok(seg.data(), seg.size() - 1, src, dst));
  seg.back() ^= 0x10;
  CHECK_FALSE(tcp_checksum_ok(seg.data(), seg.size(), src, dst));
  // Refilling over a stale checksum gives a good one again.
  tcp_fill_checksum(seg.data(), seg.size(), src, dst);
  CHECK(tcp_checksum_ok(seg.data(), seg.size(), src, dst));
}

TEST_CASE("TCP truncated and malformed input", "[wire][tcp]") {
  const auto good = encode(linux_syn());
  for (size_t n = 0; n < good.size(); ++n) {
    INFO("length " << n);
    CHECK(decode_tcp(good.data(), n).status == DecodeStatus::Truncated);
  }
  auto expect = [](std::vector<uint8_t> b, DecodeStatus s) {
    CHECK(decode_tcp(b.data(), b.size()).status == s);
  };
  SECTION("data offset below 5") {
    for (uint8_t doff = 0; doff < 5; ++doff) {
      auto b = good;
      b[12] = static_cast<uint8_t>(doff << 4);
      expect(b, DecodeStatus::Malformed);
    }
  }
  SECTION("option length 0 or 1") {
    auto b = good;
    b[21] = 0;
    expect(b, DecodeStatus::Malformed);
    b[21] = 1;
    expect(b, DecodeStatus::Malformed);
  }
  SECTION("known option with the wrong length") {
    auto b = good;
    b[21] = 3;  // MSS of length 3
    expect(b, DecodeStatus::Malformed);
    b = good;
    b[27] = 9;  // timestamps of length 9
    expect(b, DecodeStatus::Malformed);
  }
  SECTION("option running past the header") {
    auto b = good;
    b[38] = 4;  // window scale (at 37) of length 4 ends one byte past the header
    expect(b, DecodeStatus::Malformed);
    b = good;
    b[36] = 30;  // the NOP becomes an unknown kind whose length (3, at 37) runs past too
    b[37] = 5;
    expect(b, DecodeStatus::Malformed);
  }
  SECTION("kind without its length byte at the end") {
    auto b = good;
    b[36] = 0x01;
    b[37] = 0x01;
    b[38] = 0x01;
    b[39] = 0x03;  // window scale kind, no length
    expect(b, DecodeStatus::Malformed);
  }
  SECTION("SACK with a partial block") {
    std::vector<uint8_t> b(32, 0);
    b[12] = 0x80;
    b[20] = 1;
    b[21] = 1;
    b[22] = 5;
    b[23] = 6;  // 4 bytes of blocks
    b[28] = 0;  // EOL
    expect(b, DecodeStatus::Malformed);
  }
  SECTION("unknown options are skipped, EOL ends the list") {
    std::vector<uint8_t> b(32, 0);
    b[12] = 0x80;
    b[20] = 30;  // an unknown kind (MPTCP), length 4
    b[21] = 4;
    b[24] = 2;   // MSS 536
    b[25] = 4;
    b[26] = 0x02;
    b[27] = 0x18;
    b[28] = 0;   // EOL; what follows is ignored
    b[29] = 0xFF;
    const auto d = decode_tcp(b.data(), b.size());
    REQUIRE(d.status == DecodeStatus::Ok);
    CHECK(d.value.opts.has_mss);
    CHECK(d.value.opts.mss == 536);
    CHECK(d.length == 32);
  }
}

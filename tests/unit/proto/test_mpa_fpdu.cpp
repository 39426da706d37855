// MPA FPDU framing (RFC 5044 4.1-4.3): write_fpdu into the TCP send buffer (length, pad,
// CRC32c least significant byte first) and the resumable Deframer.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <vector>

#include "model/proto/mpa/fpdu.h"
#include "model/wire/crc.h"
#include "model/wire/ddp_rdmap.h"
#include "model/wire/mpa.h"
#include "tests/unit/wire/hex.h"

using namespace rnicsim;
using rnicsim::mpa::FpduStatus;
using rnicsim::test::hex;

namespace {

// An independent bitwise CRC32c (reflected poly 0x82F63B78, init/final XOR 0xFFFFFFFF), so
// the framer is not only checked against the library it calls.
uint32_t ref_crc32c(const uint8_t* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
  }
  return ~c;
}

std::vector<uint8_t> tagged_header(uint32_t stag, uint64_t to, bool last) {
  wire::DdpHeader h;
  h.tagged = true;
  h.last = last;
  h.opcode = static_cast<uint8_t>(wire::RdmapOpcode::RdmaWrite);
  h.stag = stag;
  h.to = to;
  std::vector<uint8_t> out(wire::kDdpTaggedHeaderLen);
  REQUIRE(wire::encode_ddp(out.data(), h) == 14);
  return out;
}

/// Writes one FPDU into `sb` and returns the bytes it added to the stream.
std::vector<uint8_t> frame(tcp::SendBuffer& sb, const std::vector<uint8_t>& header,
                           const std::vector<uint8_t>& payload, bool crc) {
  const size_t before = sb.size();
  mpa::write_fpdu(sb, ConstByteSpan(header.data(), header.size()), payload.size(),
                  [&](mpa::RingWriter& w) { w.write(payload.data(), payload.size()); }, crc);
  std::vector<uint8_t> out(sb.size() - before);
  sb.copy_out(before, out.size(), out.data());
  return out;
}

std::vector<uint8_t> bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& x : v) x = static_cast<uint8_t>(rng());
  return v;
}

}  // namespace

TEST_CASE("Reference CRC32c matches the check value", "[mpa][crc]") {
  const char* s = "123456789";
  CHECK(ref_crc32c(reinterpret_cast<const uint8_t*>(s), 9) == 0xE3069283u);
}

TEST_CASE("write_fpdu: tagged header + payload, length, pad, CRC32c", "[mpa][fpdu]") {
  const auto hdr = tagged_header(0x12345678, 0x1122334455667788ull, true);
  std::vector<size_t> lens = {0, 1, 2, 3, 4, 5, 6, 7, 1428};
  for (size_t len : lens) {
    INFO("payload " << len);
    tcp::SendBuffer sb(4096);
    const auto payload = bytes(len, static_cast<uint32_t>(len) + 1);
    const auto f = frame(sb, hdr, payload, true);

    const size_t ulpdu = 14 + len;
    const size_t pad = (4 - ((ulpdu + 2) % 4)) % 4;  // (-(ULPDU_Length + 2)) mod 4
    CHECK(pad == (len == 1428 ? 0u : (4 - (len % 4)) % 4));
    REQUIRE(f.size() == 2 + ulpdu + pad + 4);
    CHECK(f.size() == wire::mpa_fpdu_length(ulpdu));
    CHECK(f.size() == mpa::fpdu_stream_length(ulpdu));
    CHECK(f.size() % 4 == 0);
    CHECK(load_be16(f.data()) == ulpdu);
    CHECK(std::memcmp(f.data() + 2, hdr.data(), 14) == 0);
    if (len > 0) CHECK(std::memcmp(f.data() + 16, payload.data(), len) == 0);
    for (size_t i = 0; i < pad; ++i) CHECK(f[16 + len + i] == 0);
    // CRC over length field, ULPDU and pad; on the wire least significant byte first.
    const uint32_t crc = ref_crc32c(f.data(), 2 + ulpdu + pad);
    const size_t c = 2 + ulpdu + pad;
    CHECK(f[c + 0] == static_cast<uint8_t>(crc));
    CHECK(f[c + 1] == static_cast<uint8_t>(crc >> 8));
    CHECK(f[c + 2] == static_cast<uint8_t>(crc >> 16));
    CHECK(f[c + 3] == static_cast<uint8_t>(crc >> 24));
    CHECK(sb.size() == f.size());
  }
  // The largest FPDU of a 1448-byte EMSS segment: 1428 payload bytes (protocol-facts table).
  tcp::SendBuffer sb(4096);
  CHECK(frame(sb, hdr, bytes(1428, 9), true).size() == 1448);
}

TEST_CASE("write_fpdu: zero-length Send, MSN 1, CRC on: the bytes of protocol-facts", "[mpa][fpdu]") {
  wire::DdpHeader h;
  h.tagged = false;
  h.last = true;
  h.opcode = static_cast<uint8_t>(wire::RdmapOpcode::Send);
  h.qn = 0;
  h.msn = 1;
  h.mo = 0;
  std::vector<uint8_t> hdr(18);
  REQUIRE(wire::encode_ddp(hdr.data(), h) == 18);
  tcp::SendBuffer sb(256);
  CHECK(frame(sb, hdr, {}, true) ==
        hex("00 12 41 43 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00 00 58 7b e8 c4"));
}

TEST_CASE("write_fpdu without CRC sends four zero bytes", "[mpa][fpdu]") {
  const auto hdr = tagged_header(1, 2, false);
  tcp::SendBuffer sb(256);
  const auto f = frame(sb, hdr, bytes(5, 1), false);
  REQUIRE(f.size() == 2 + 19 + 3 + 4);
  CHECK(std::vector<uint8_t>(f.end() - 4, f.end()) == std::vector<uint8_t>{0, 0, 0, 0});
}

TEST_CASE("write_fpdu wraps the send-buffer ring at every offset", "[mpa][fpdu][ring]") {
  const auto hdr = tagged_header(0xABCDEF01, 0x1000, true);
  const auto payload = bytes(23, 3);  // ULPDU 37, pad 1, FPDU 44
  tcp::SendBuffer flat(256);
  const auto expect = frame(flat, hdr, payload, true);
  REQUIRE(expect.size() == 44);
  const size_t cap = 64;
  for (size_t head = 0; head < cap; ++head) {
    INFO("ring head at " << head);
    tcp::SendBuffer sb(cap);
    const std::vector<uint8_t> filler(head, 0xEE);
    sb.append(filler.data(), filler.size(), false);
    sb.consume(head);  // the ring's head now sits at `head`: the FPDU wraps when head > 20
    CHECK(frame(sb, hdr, payload, true) == expect);
    CHECK(sb.record_aligned(0, 1448) == 44);  // one whole record
  }
}

TEST_CASE("Deframer hands out the same ULPDUs for every way the stream is split", "[mpa][deframer]") {
  // A stream of FPDUs: payloads 0..7, 1428, and some longer ones.
  std::vector<std::vector<uint8_t>> ulpdus;
  std::vector<uint8_t> stream;
  tcp::SendBuffer sb(64 * 1024);
  const std::vector<size_t> lens = {0, 1, 2, 3, 4, 5, 6, 7, 1428, 100, 4000, 9, 0, 1428};
  for (size_t i = 0; i < lens.size(); ++i) {
    const auto hdr = tagged_header(0x100 + static_cast<uint32_t>(i), i * 4096, i % 2 == 0);
    const auto payload = bytes(lens[i], 100 + static_cast<uint32_t>(i));
    const auto f = frame(sb, hdr, payload, true);
    stream.insert(stream.end(), f.begin(), f.end());
    std::vector<uint8_t> u = hdr;
    u.insert(u.end(), payload.begin(), payload.end());
    ulpdus.push_back(u);
  }

  auto run = [&](const std::vector<size_t>& chunks) {
    std::vector<std::vector<uint8_t>> got;
    int bad = 0;
    mpa::Deframer d(true, [&](ConstByteSpan u, FpduStatus st) {
      if (st != FpduStatus::Ok) ++bad;
      got.emplace_back(u.begin(), u.end());
    });
    size_t off = 0;
    for (size_t n : chunks) {
      d.feed(ConstByteSpan(stream.data() + off, n));
      off += n;
    }
    REQUIRE(off == stream.size());
    CHECK(bad == 0);
    CHECK(d.pending() == 0);
    CHECK(d.fpdus() == lens.size());
    CHECK_FALSE(d.failed());
    CHECK(got == ulpdus);
  };

  SECTION("whole") { run({stream.size()}); }
  SECTION("byte by byte") { run(std::vector<size_t>(stream.size(), 1)); }
  SECTION("random chunks") {
    std::mt19937 rng(2024);
    for (int round = 0; round < 20; ++round) {
      std::vector<size_t> chunks;
      size_t left = stream.size();
      while (left) {
        const size_t n = std::min<size_t>(left, 1 + rng() % 2000);
        chunks.push_back(n);
        left -= n;
      }
      run(chunks);
    }
  }
  SECTION("split after the first length byte of each FPDU") {
    std::vector<size_t> chunks;
    size_t pos = 0;
    for (size_t l : lens) {
      const size_t total = wire::mpa_fpdu_length(14 + l);
      chunks.push_back(1);
      chunks.push_back(total - 1);
      pos += total;
    }
    REQUIRE(pos == stream.size());
    run(chunks);
  }
}

TEST_CASE("Deframer: a flipped byte gives CrcError and stops the stream", "[mpa][deframer][crc]") {
  tcp::SendBuffer sb(16 * 1024);
  std::vector<uint8_t> stream;
  std::vector<size_t> starts;
  for (int i = 0; i < 3; ++i) {
    starts.push_back(stream.size());
    const auto f = frame(sb, tagged_header(0x200, 0, true), bytes(100, 7 + i), true);
    stream.insert(stream.end(), f.begin(), f.end());
  }
  REQUIRE(stream.size() == 3 * 120);  // 2 + 114 + pad 0 + 4
  stream[starts[1] + 50] ^= 0x01;     // a payload byte of the second FPDU

  for (size_t chunk : {stream.size(), size_t{1}, size_t{7}}) {
    INFO("chunk " << chunk);
    std::vector<FpduStatus> st;
    mpa::Deframer d(true, [&](ConstByteSpan u, FpduStatus s) {
      CHECK(u.size() == 114);
      st.push_back(s);
    });
    for (size_t off = 0; off < stream.size(); off += chunk)
      d.feed(ConstByteSpan(stream.data() + off, std::min(chunk, stream.size() - off)));
    REQUIRE(st.size() == 2);  // nothing after the bad FPDU is parsed
    CHECK(st[0] == FpduStatus::Ok);
    CHECK(st[1] == FpduStatus::CrcError);
    CHECK(d.failed());
    CHECK(d.crc_errors() == 1);
    CHECK(d.fpdus() == 2);
  }

  // The same stream without CRC checking passes (the CRC field is not looked at).
  std::vector<FpduStatus> st;
  mpa::Deframer d(false, [&](ConstByteSpan, FpduStatus s) { st.push_back(s); });
  d.feed(ConstByteSpan(stream.data(), stream.size()));
  CHECK(st == std::vector<FpduStatus>(3, FpduStatus::Ok));
  CHECK_FALSE(d.failed());
}

// MPA markers (RFC 5044 s.5): a marker at every 512th stream position from S0, FPDUPTR
// back to the ULPDU_Length field (0 for the marker an FPDU starts with), markers inside the
// CRC; the framer at every alignment and the deframer fed in every kind of piece. The
// reference decoder in this file (strip_markers) is the project's own check of one-way
// marker streams, which tshark 4.0 cannot decode.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <vector>

#include "model/proto/mpa/fpdu.h"
#include "model/wire/ddp_rdmap.h"
#include "model/wire/mpa.h"
#include "tests/unit/wire/hex.h"

using namespace rnicsim;
using rnicsim::mpa::FpduStatus;
using rnicsim::test::hex;

namespace {

uint32_t ref_crc32c(const uint8_t* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
  }
  return ~c;
}

std::vector<uint8_t> slice(const std::vector<uint8_t>& v, size_t off, size_t n) {
  return std::vector<uint8_t>(v.begin() + static_cast<std::ptrdiff_t>(off),
                              v.begin() + static_cast<std::ptrdiff_t>(off + n));
}

std::vector<uint8_t> bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& x : v) x = static_cast<uint8_t>(rng());
  return v;
}

/// An untagged Send header (18 bytes) with the given MSN.
std::vector<uint8_t> send_header(uint32_t msn) {
  wire::DdpHeader h;
  h.tagged = false;
  h.last = true;
  h.opcode = static_cast<uint8_t>(wire::RdmapOpcode::Send);
  h.qn = 0;
  h.msn = msn;
  h.mo = 0;
  std::vector<uint8_t> out(wire::kDdpUntaggedHeaderLen);
  REQUIRE(wire::encode_ddp(out.data(), h) == wire::kDdpUntaggedHeaderLen);
  return out;
}

/// Writes one FPDU with markers at stream position `pos`; returns its stream bytes.
std::vector<uint8_t> frame_at(uint64_t pos, const std::vector<uint8_t>& hdr,
                              const std::vector<uint8_t>& payload, bool crc) {
  tcp::SendBuffer sb(8192);
  const size_t n =
      mpa::write_fpdu(sb, ConstByteSpan(hdr.data(), hdr.size()), payload.size(),
                      [&](mpa::RingWriter& w) { w.write(payload.data(), payload.size()); }, crc,
                      pos);
  REQUIRE(n == sb.size());
  std::vector<uint8_t> out(n);
  sb.copy_out(0, n, out.data());
  return out;
}

/// Reference decoder for one FPDU starting at stream position `pos`: checks each marker
/// (reserved 0, FPDUPTR per the documented rule) and returns the FPDU without markers.
struct Stripped {
  std::vector<uint8_t> clean;
  size_t markers = 0;
  bool markers_ok = true;
};
Stripped strip_markers(uint64_t pos, const std::vector<uint8_t>& raw) {
  Stripped s;
  const uint64_t len_field = pos % 512 == 0 ? pos + 4 : pos;
  for (size_t i = 0; i < raw.size();) {
    if ((pos + i) % 512 == 0) {
      const uint16_t rsvd = static_cast<uint16_t>(raw[i] << 8 | raw[i + 1]);
      const uint16_t ptr = static_cast<uint16_t>(raw[i + 2] << 8 | raw[i + 3]);
      const uint64_t want = (pos + i == pos) ? 0 : pos + i - len_field;
      if (rsvd != 0 || ptr != want) s.markers_ok = false;
      ++s.markers;
      i += 4;
      continue;
    }
    s.clean.push_back(raw[i++]);
  }
  return s;
}

}  // namespace

TEST_CASE("markers_in counts the 512-byte positions an FPDU covers", "[mpa][markers]") {
  CHECK(mpa::markers_in(0, 24) == 1);      // the marker at S0 itself
  CHECK(mpa::markers_in(4, 508) == 0);     // [4, 512)
  CHECK(mpa::markers_in(4, 512) == 1);     // [4, 520) holds 512
  CHECK(mpa::markers_in(508, 4) == 0);     // [508, 512): the marker belongs to the next FPDU
  CHECK(mpa::markers_in(508, 8) == 1);     // [508, 520)
  CHECK(mpa::markers_in(0, 508) == 1);     // [0, 512)
  CHECK(mpa::markers_in(0, 512) == 2);     // [0, 520): 0 and 512
  CHECK(mpa::markers_in(1024 + 100, 1436) == 3);  // 1536, 2048, 2560 in [1124, 2572)
  CHECK(mpa::markers_max(1436) == 3);
  CHECK(mpa::markers_max(1436 - 4) == 3);
  CHECK(mpa::markers_max(16) == 1);
}

TEST_CASE("An FPDU at S0 starts with a zero marker that the CRC covers: exact bytes",
          "[mpa][markers][bytes]") {
  // The zero-length Send of protocol-facts.md (MSN 1) as the first FPDU of a marked stream.
  const auto f = frame_at(0, send_header(1), {}, true);
  REQUIRE(f.size() == 28);
  const std::vector<uint8_t> body = {0x00, 0x00, 0x00, 0x00,  // marker, FPDUPTR 0
                                     0x00, 0x12, 0x41, 0x43, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                     0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00};
  CHECK(slice(f, 0, 24) == body);
  const uint32_t crc = ref_crc32c(f.data(), 24);
  const std::vector<uint8_t> le = {uint8_t(crc), uint8_t(crc >> 8), uint8_t(crc >> 16),
                                   uint8_t(crc >> 24)};
  CHECK(slice(f, 24, 4) == le);
  // Without the marker the CRC would be protocol-facts.md's 58 7b e8 c4: the marker counts.
  CHECK(slice(f, 24, 4) != hex("58 7b e8 c4"));
}

TEST_CASE("A marker inside an FPDU points back to its ULPDU_Length field: exact bytes",
          "[mpa][markers][bytes]") {
  // The same Send at position 504, CRC off: the marker at 512 falls 8 bytes in (after the
  // length field and 6 bytes of DDP header), FPDUPTR 8.
  const auto f = frame_at(504, send_header(1), {}, false);
  REQUIRE(f.size() == 28);
  CHECK(f == hex("00 12 41 43 00 00 00 00  00 00 00 08  00 00 00 00 00 00 00 01 00 00 00 00"
                 "00 00 00 00"));
}

TEST_CASE("Framer at every alignment: markers where they belong, FPDU fits the MULPDU",
          "[mpa][markers]") {
  const auto hdr = send_header(7);
  const uint32_t mulpdu = wire::mpa_mulpdu(1448, true);
  REQUIRE(mulpdu == 1430);
  for (size_t ulpdu : {size_t{18}, size_t{19}, size_t{21}, size_t{500}, size_t{511},
                       size_t{1024}, size_t{mulpdu}}) {
    const auto payload = bytes(ulpdu - hdr.size(), static_cast<uint32_t>(ulpdu));
    for (uint64_t base : {uint64_t{0}, uint64_t{512 * 1000}}) {
      for (uint64_t a = 0; a < 512; a += 4) {
        const uint64_t pos = base + a;
        INFO("ULPDU " << ulpdu << " at " << pos);
        const auto f = frame_at(pos, hdr, payload, true);
        const size_t plain = wire::mpa_fpdu_length(ulpdu);
        CHECK(f.size() == plain + 4 * mpa::markers_in(pos, plain));
        if (ulpdu == mulpdu) CHECK(f.size() <= 1448);  // one FPDU per full segment
        const Stripped s = strip_markers(pos, f);
        CHECK(s.markers_ok);
        CHECK(s.markers == mpa::markers_in(pos, plain));
        REQUIRE(s.clean.size() == plain);
        CHECK((s.clean[0] << 8 | s.clean[1]) == static_cast<int>(ulpdu));
        CHECK(std::memcmp(s.clean.data() + 2, hdr.data(), hdr.size()) == 0);
        if (!payload.empty())  // memcmp must not see the null data() of an empty vector
          CHECK(std::memcmp(s.clean.data() + 2 + hdr.size(), payload.data(), payload.size()) == 0);
        const uint32_t crc = ref_crc32c(f.data(), f.size() - 4);
        CHECK(f[f.size() - 4] == uint8_t(crc));
        CHECK(f[f.size() - 1] == uint8_t(crc >> 24));
      }
    }
  }
}

namespace {

struct Stream {
  std::vector<uint8_t> bytes;
  std::vector<std::vector<uint8_t>> ulpdus;
};

/// A stream of `n` FPDUs of assorted sizes written with markers from S0, through one send
/// buffer whose ring wraps (consumed as it goes).
Stream marked_stream(size_t n, bool crc, uint32_t seed) {
  std::mt19937 rng(seed);
  Stream s;
  tcp::SendBuffer sb(3000);
  uint64_t pos = 0;
  for (size_t i = 0; i < n; ++i) {
    const auto hdr = send_header(static_cast<uint32_t>(i + 1));
    const size_t len = rng() % 3 == 0 ? 1430 - hdr.size() : rng() % 1200;
    const auto payload = bytes(len, seed + static_cast<uint32_t>(i));
    const size_t w =
        mpa::write_fpdu(sb, ConstByteSpan(hdr.data(), hdr.size()), payload.size(),
                        [&](mpa::RingWriter& wr) { wr.write(payload.data(), payload.size()); },
                        crc, pos);
    pos += w;
    const size_t at = s.bytes.size();
    s.bytes.resize(at + w);
    sb.copy_out(0, w, s.bytes.data() + at);
    sb.consume(w);
    std::vector<uint8_t> u(hdr);
    u.insert(u.end(), payload.begin(), payload.end());
    s.ulpdus.push_back(std::move(u));
  }
  return s;
}

struct Deframed {
  std::vector<std::vector<uint8_t>> ulpdus;
  uint64_t markers = 0, position = 0, pending = 0, crc_errors = 0;
};

Deframed deframe(const std::vector<uint8_t>& stream, bool crc, const std::vector<size_t>& pieces) {
  Deframed r;
  mpa::Deframer d(
      crc,
      [&](ConstByteSpan u, FpduStatus st) {
        CHECK(st == FpduStatus::Ok);
        r.ulpdus.emplace_back(u.begin(), u.end());
      },
      true);
  size_t off = 0, k = 0;
  while (off < stream.size()) {
    const size_t n = std::min(pieces[k++ % pieces.size()], stream.size() - off);
    d.feed(ConstByteSpan(stream.data() + off, n));
    off += n;
  }
  r.markers = d.markers();
  r.position = d.position();
  r.pending = d.pending();
  r.crc_errors = d.crc_errors();
  return r;
}

}  // namespace

TEST_CASE("Deframer removes markers for every way the stream is split", "[mpa][markers][deframer]") {
  for (bool crc : {true, false}) {
    const Stream s = marked_stream(60, crc, crc ? 11 : 12);
    const uint64_t markers = (s.bytes.size() + 511) / 512;
    const std::vector<std::vector<size_t>> splits = {
        {1}, {2}, {3}, {1448}, {1460, 7}, {4096}, {513, 511, 4, 1}, {s.bytes.size()}};
    for (const auto& sp : splits) {
      INFO("crc " << crc << " first piece " << sp[0]);
      const Deframed r = deframe(s.bytes, crc, sp);
      CHECK(r.ulpdus == s.ulpdus);
      CHECK(r.markers == markers);
      CHECK(r.position == s.bytes.size());
      CHECK(r.pending == 0);
      CHECK(r.crc_errors == 0);
    }
  }
}

TEST_CASE("Deframer: a wrong FPDUPTR or reserved field is a marker mismatch (LLP 0x03)",
          "[mpa][markers][errors]") {
  const Stream s = marked_stream(10, true, 5);
  for (size_t which : {size_t{0}, size_t{1}, size_t{3}}) {  // the marker at 512 * which
    for (size_t byte : {size_t{0}, size_t{3}}) {
      auto bad = s.bytes;
      bad[512 * which + byte] ^= 0x04;
      std::vector<FpduStatus> seen;
      size_t delivered = 0;
      mpa::Deframer d(true, [&](ConstByteSpan u, FpduStatus st) {
        seen.push_back(st);
        if (st == FpduStatus::Ok) ++delivered;
        if (st == FpduStatus::MarkerMismatch) CHECK(u.empty());
      }, true);
      d.feed(ConstByteSpan(bad.data(), bad.size()));
      REQUIRE(!seen.empty());
      CHECK(seen.back() == FpduStatus::MarkerMismatch);
      CHECK(mpa::llp_error_code(seen.back()) == 0x03);
      CHECK(d.failed());
      CHECK(d.marker_errors() == 1);
      CHECK(d.crc_errors() == 0);
      // Every FPDU that ended before the bad marker was delivered intact.
      size_t before = 0, at = 0;
      for (const auto& u : s.ulpdus) {
        const size_t len = mpa::fpdu_stream_length(u.size(), at);
        if (at + len <= 512 * which) ++before;
        at += len;
      }
      CHECK(delivered == before);
    }
  }
}

TEST_CASE("Deframer: a changed payload byte is a CRC error (LLP 0x02), markers included",
          "[mpa][markers][errors]") {
  const Stream s = marked_stream(4, true, 9);
  auto bad = s.bytes;
  bad[40] ^= 0x01;  // inside the first FPDU's payload
  FpduStatus last = FpduStatus::Ok;
  mpa::Deframer d(true, [&](ConstByteSpan, FpduStatus st) { last = st; }, true);
  d.feed(ConstByteSpan(bad.data(), bad.size()));
  CHECK(last == FpduStatus::CrcError);
  CHECK(mpa::llp_error_code(last) == 0x02);
  CHECK(d.crc_errors() == 1);
  CHECK(d.fpdus() == 1);
  CHECK(d.failed());
}

TEST_CASE("A marked stream is not readable as an unmarked one and vice versa", "[mpa][markers]") {
  // One direction with markers, the other without: each deframer must be set to its own.
  const Stream s = marked_stream(3, true, 21);
  FpduStatus last = FpduStatus::Ok;
  size_t n = 0;
  mpa::Deframer plain(true, [&](ConstByteSpan, FpduStatus st) { last = st; ++n; }, false);
  plain.feed(ConstByteSpan(s.bytes.data(), s.bytes.size()));
  // The leading marker reads as a zero ULPDU_Length: an 8-byte FPDU whose CRC is wrong.
  CHECK(n == 1);
  CHECK(last == FpduStatus::CrcError);
}

TEST_CASE("deframer started mid-stream at an FPDU names each FPDU as the in-order one does") {
  // A stream of Send FPDUs of mixed sizes (markers on and off); an out-of-order parse
  // begun at the k-th FPDU's first stream byte finds the same ULPDUs at the same
  // fpdu_start positions, and one begun inside an FPDU finds none whose CRC holds.
  for (const bool markers : {false, true}) {
    INFO("markers " << markers);
    std::vector<uint8_t> stream;
    std::vector<uint64_t> starts;  // each FPDU's first stream byte
    for (uint32_t i = 0; i < 12; ++i) {
      const auto hdr = send_header(i + 1);
      const auto payload = bytes(100 + 397 * i % 1300, i);
      starts.push_back(stream.size());
      std::vector<uint8_t> f;
      if (markers) {
        f = frame_at(stream.size(), hdr, payload, true);
      } else {
        tcp::SendBuffer sb(8192);
        mpa::write_fpdu(sb, ConstByteSpan(hdr.data(), hdr.size()), payload.size(),
                        [&](mpa::RingWriter& w) { w.write(payload.data(), payload.size()); }, true);
        f.resize(sb.size());
        sb.copy_out(0, f.size(), f.data());
      }
      stream.insert(stream.end(), f.begin(), f.end());
    }
    struct Seen {
      uint64_t start;
      std::vector<uint8_t> ulpdu;
      bool operator==(const Seen& o) const { return start == o.start && ulpdu == o.ulpdu; }
    };
    std::vector<Seen> in_order;
    mpa::Deframer* dp = nullptr;
    mpa::Deframer d(
        true, [&](ConstByteSpan u, FpduStatus st) {
          REQUIRE(st == FpduStatus::Ok);
          in_order.push_back({dp->fpdu_start(), std::vector<uint8_t>(u.begin(), u.end())});
        },
        markers);
    dp = &d;
    d.feed(ConstByteSpan(stream.data(), stream.size()));
    REQUIRE(in_order.size() == 12);
    for (size_t k = 0; k < 12; ++k) {
      std::vector<Seen> late;
      mpa::Deframer* lp = nullptr;
      mpa::Deframer l(
          true, [&](ConstByteSpan u, FpduStatus st) {
            if (st == FpduStatus::Ok) late.push_back({lp->fpdu_start(), std::vector<uint8_t>(u.begin(), u.end())});
          },
          markers, starts[k]);
      lp = &l;
      l.feed(ConstByteSpan(stream.data() + starts[k], stream.size() - starts[k]));
      REQUIRE(late.size() == 12 - k);
      for (size_t j = 0; j < late.size(); ++j) CHECK(late[j] == in_order[k + j]);
      // Begun 9 bytes into an FPDU: no CRC holds on the first guess, and the parse stops.
      std::vector<Seen> wrong;
      mpa::Deframer w(
          true, [&](ConstByteSpan u, FpduStatus st) {
            if (st == FpduStatus::Ok) wrong.push_back({0, std::vector<uint8_t>(u.begin(), u.end())});
          },
          markers, starts[k] + 9);
      w.feed(ConstByteSpan(stream.data() + starts[k] + 9, stream.size() - starts[k] - 9));
      CHECK(wrong.empty());
    }
  }
}

// Tagged placement checks (RFC 5040 / 5041, siw_check_mem order of protocol-facts.md),
// the Terminate code of each failure, and VA-to-physical translation over a page list.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "model/proto/placement/regions.h"

using namespace rnicsim;
using namespace rnicsim::placement;
using rnicsim::wire::TermCode;

namespace {

constexpr uint32_t kPd = 7;
constexpr uint64_t kBase = 0x10000800;  // not page aligned: the region starts mid-page
constexpr uint64_t kLen = 3 * kPageSize;

Region region(uint32_t pd, uint32_t acc, uint64_t base, uint64_t len) {
  Region r;
  r.pd = pd;
  r.access = acc;
  r.base_va = base;
  r.length = len;
  const uint64_t first = base & ~(kPageSize - 1);
  const uint64_t pages = (base + len - first + kPageSize - 1) / kPageSize;
  for (uint64_t i = 0; i < pages; ++i) r.pages.push_back(0x80000000ull + i * kPageSize);
  return r;
}

constexpr uint32_t kAll = access::kLocalWrite | access::kRemoteWrite | access::kRemoteRead;

}  // namespace

TEST_CASE("STag layout and registration", "[placement]") {
  CHECK(make_stag(0x123456, 0x9A) == 0x1234569Au);
  CHECK(stag_index(0x1234569Au) == 0x123456u);
  CHECK(stag_key(0x1234569Au) == 0x9A);
  RegionTable t(4);
  const auto s1 = t.add(region(kPd, kAll, kBase, kLen));
  const auto s2 = t.add(region(kPd, kAll, kBase, kLen));
  const auto s3 = t.add(region(kPd, kAll, kBase, kLen));
  REQUIRE(s1);
  REQUIRE(s2);
  REQUIRE(s3);
  CHECK(stag_index(*s1) == 1);  // index 0 stays unused
  CHECK(stag_index(*s2) == 2);
  CHECK(stag_index(*s3) == 3);
  CHECK_FALSE(t.add(region(kPd, kAll, kBase, kLen)));  // full
  CHECK(t.find(*s2) != nullptr);
  CHECK(t.find(make_stag(0, 0)) == nullptr);
}

TEST_CASE("Each check alone, and bounds edge cases", "[placement][check]") {
  RegionTable t(16);
  const uint32_t stag = *t.add(region(kPd, kAll, kBase, kLen));
  const uint32_t rw = access::kRemoteWrite;

  CHECK(t.check(stag, kBase, kLen, kPd, rw) == CheckFailure::None);
  CHECK(t.check(stag, kBase + 100, 200, kPd, rw) == CheckFailure::None);

  SECTION("invalid STag: index out of range, free entry, key mismatch, invalidated") {
    CHECK(t.check(make_stag(16, stag_key(stag)), kBase, 1, kPd, rw) == CheckFailure::InvalidStag);
    CHECK(t.check(make_stag(0xFFFFFF, 0), kBase, 1, kPd, rw) == CheckFailure::InvalidStag);
    CHECK(t.check(make_stag(5, stag_key(stag)), kBase, 1, kPd, rw) == CheckFailure::InvalidStag);
    CHECK(t.check(make_stag(0, 0), kBase, 1, kPd, rw) == CheckFailure::InvalidStag);
    const uint32_t wrong_key = make_stag(stag_index(stag), static_cast<uint8_t>(stag_key(stag) + 1));
    CHECK(t.check(wrong_key, kBase, 1, kPd, rw) == CheckFailure::InvalidStag);
    CHECK_FALSE(t.invalidate(wrong_key));  // invalidation needs the right key too
    CHECK(t.check(stag, kBase, 1, kPd, rw) == CheckFailure::None);
    CHECK(t.invalidate(stag));
    CHECK(t.check(stag, kBase, 1, kPd, rw) == CheckFailure::InvalidStag);
    CHECK(t.find(stag) != nullptr);  // still allocated
  }
  SECTION("protection domain") {
    CHECK(t.check(stag, kBase, 1, kPd + 1, rw) == CheckFailure::PdMismatch);
  }
  SECTION("access rights per use") {
    const uint32_t ro = *t.add(region(kPd, access::kRemoteRead, kBase, kLen));
    const uint32_t wo = *t.add(region(kPd, access::kRemoteWrite, kBase, kLen));
    const uint32_t lw = *t.add(region(kPd, access::kLocalWrite, kBase, kLen));
    // Write sink needs remote write; Read source remote read; Read Response sink local write.
    CHECK(t.check(ro, kBase, 1, kPd, access::kRemoteWrite) == CheckFailure::AccessRights);
    CHECK(t.check(wo, kBase, 1, kPd, access::kRemoteWrite) == CheckFailure::None);
    CHECK(t.check(wo, kBase, 1, kPd, access::kRemoteRead) == CheckFailure::AccessRights);
    CHECK(t.check(ro, kBase, 1, kPd, access::kRemoteRead) == CheckFailure::None);
    CHECK(t.check(wo, kBase, 1, kPd, access::kLocalWrite) == CheckFailure::AccessRights);
    CHECK(t.check(lw, kBase, 1, kPd, access::kLocalWrite) == CheckFailure::None);
  }
  SECTION("bounds") {
    // to + len == base + length: the last byte of the region, accepted.
    CHECK(t.check(stag, kBase + kLen - 1, 1, kPd, rw) == CheckFailure::None);
    CHECK(t.check(stag, kBase + 1, kLen - 1, kPd, rw) == CheckFailure::None);
    // One byte more fails.
    CHECK(t.check(stag, kBase + kLen - 1, 2, kPd, rw) == CheckFailure::Bounds);
    CHECK(t.check(stag, kBase, kLen + 1, kPd, rw) == CheckFailure::Bounds);
    CHECK(t.check(stag, kBase + kLen, 1, kPd, rw) == CheckFailure::Bounds);
    // to < base fails, even when the end lies inside.
    CHECK(t.check(stag, kBase - 1, 1, kPd, rw) == CheckFailure::Bounds);
    CHECK(t.check(stag, kBase - 1, 2, kPd, rw) == CheckFailure::Bounds);
    CHECK(t.check(stag, 0, 1, kPd, rw) == CheckFailure::Bounds);
    // A huge length must not overflow into acceptance.
    CHECK(t.check(stag, kBase + 1, UINT64_MAX - kBase - 1, kPd, rw) == CheckFailure::Bounds);
  }
  SECTION("TO wrap at 2^64") {
    // A region at the very top of the address space: base + length == 2^64.
    const uint64_t top = 0ull - kPageSize;
    const uint32_t s = *t.add(region(kPd, kAll, top, kPageSize));
    // The last byte 2^64 - 1 is addressable: no wrap.
    CHECK(t.check(s, UINT64_MAX - 9, 10, kPd, rw) == CheckFailure::None);
    CHECK(t.check(s, top, kPageSize, kPd, rw) == CheckFailure::None);
    // One more byte would pass 2^64 - 1: TO wrap (before bounds).
    CHECK(t.check(s, UINT64_MAX - 9, 11, kPd, rw) == CheckFailure::ToWrap);
    CHECK(t.check(s, UINT64_MAX, 2, kPd, rw) == CheckFailure::ToWrap);
    CHECK(t.check(stag, UINT64_MAX, UINT64_MAX, kPd, rw) == CheckFailure::ToWrap);
  }
}

TEST_CASE("A segment with two faults reports the first in the check order", "[placement][check]") {
  // Order: STag valid, PD, access, TO wrap, bounds.
  RegionTable t(16);
  const uint32_t ro = *t.add(region(kPd, access::kRemoteRead, kBase, kLen));
  const uint32_t rw_stag = *t.add(region(kPd, access::kRemoteWrite, kBase, kLen));
  const uint32_t w = access::kRemoteWrite;
  const uint32_t bad_key = make_stag(stag_index(ro), static_cast<uint8_t>(stag_key(ro) ^ 0xFF));

  // STag + PD
  CHECK(t.check(bad_key, kBase, 1, kPd + 1, w) == CheckFailure::InvalidStag);
  // STag + bounds
  CHECK(t.check(bad_key, kBase + kLen, 1, kPd, w) == CheckFailure::InvalidStag);
  // PD + access
  CHECK(t.check(ro, kBase, 1, kPd + 1, w) == CheckFailure::PdMismatch);
  // PD + bounds
  CHECK(t.check(rw_stag, kBase - 1, 1, kPd + 1, w) == CheckFailure::PdMismatch);
  // access + TO wrap
  CHECK(t.check(ro, UINT64_MAX, 2, kPd, w) == CheckFailure::AccessRights);
  // access + bounds
  CHECK(t.check(ro, kBase + kLen, 1, kPd, w) == CheckFailure::AccessRights);
  // TO wrap + bounds (a wrapping range is also past the region)
  CHECK(t.check(rw_stag, UINT64_MAX, 2, kPd, w) == CheckFailure::ToWrap);
  // bounds alone
  CHECK(t.check(rw_stag, kBase + kLen, 1, kPd, w) == CheckFailure::Bounds);
  // invalidated + PD + access + wrap: all at once, the STag wins
  REQUIRE(t.invalidate(ro));
  CHECK(t.check(ro, UINT64_MAX, 2, kPd + 1, w) == CheckFailure::InvalidStag);
}

TEST_CASE("Terminate code of each failure per use (protocol-facts table)", "[placement][term]") {
  struct Row {
    CheckFailure f;
    TermCode write, read_response, read_source;
  };
  // layer/etype/code exactly as the "Which Terminate for which violation" table;
  // a Read Response at a bad sink is answered as a Write.
  const std::vector<Row> rows = {
      {CheckFailure::InvalidStag, {1, 1, 0x00}, {1, 1, 0x00}, {0, 1, 0x00}},
      {CheckFailure::PdMismatch, {1, 1, 0x02}, {1, 1, 0x02}, {0, 1, 0x03}},
      {CheckFailure::AccessRights, {0, 1, 0x02}, {0, 1, 0x02}, {0, 1, 0x02}},
      {CheckFailure::Bounds, {1, 1, 0x01}, {1, 1, 0x01}, {0, 1, 0x01}},
      {CheckFailure::ToWrap, {1, 1, 0x03}, {1, 1, 0x03}, {0, 1, 0x04}},
  };
  for (const Row& r : rows) {
    INFO(to_string(r.f));
    const TermCode w = to_term_code(r.f, TaggedUse::WriteSink);
    const TermCode rr = to_term_code(r.f, TaggedUse::ReadResponseSink);
    const TermCode rs = to_term_code(r.f, TaggedUse::ReadSource);
    CHECK(int{w.layer} == r.write.layer);
    CHECK(int{w.etype} == r.write.etype);
    CHECK(int{w.code} == r.write.code);
    CHECK(rr == r.read_response);
    CHECK(rs == r.read_source);
  }

  // End to end: an invalidated STag and a key mismatch both give "invalid STag".
  RegionTable t(8);
  const uint32_t s = *t.add(region(kPd, kAll, kBase, kLen));
  const uint32_t wrong_key = make_stag(stag_index(s), static_cast<uint8_t>(stag_key(s) + 3));
  CHECK(to_term_code(t.check(wrong_key, kBase, 4, kPd, access::kRemoteWrite), TaggedUse::WriteSink) ==
        TermCode{1, 1, 0x00});
  REQUIRE(t.invalidate(s));
  CHECK(to_term_code(t.check(s, kBase, 4, kPd, access::kRemoteRead), TaggedUse::ReadSource) ==
        TermCode{0, 1, 0x00});
  CHECK(to_term_code(t.check(s, kBase, 4, kPd, access::kLocalWrite), TaggedUse::ReadResponseSink) ==
        TermCode{1, 1, 0x00});
  CHECK(to_term_code(CheckFailure::None, TaggedUse::WriteSink) == TermCode{0, 0, 0});
}

TEST_CASE("translate() splits at 4 KiB pages over a shuffled page list", "[placement][translate]") {
  // 6 pages, physical frames in a shuffled order; the region starts 0x800 into page 0.
  Region r = region(kPd, kAll, kBase, 5 * kPageSize);
  REQUIRE(r.pages.size() == 6);
  std::vector<uint64_t> frames(64);
  std::iota(frames.begin(), frames.end(), uint64_t{0});
  std::mt19937 rng(77);
  std::shuffle(frames.begin(), frames.end(), rng);
  for (size_t i = 0; i < r.pages.size(); ++i) r.pages[i] = 0x40000000ull + frames[i] * kPageSize;
  const std::vector<uint64_t> pages = r.pages;
  RegionTable t(4);
  const uint32_t s = *t.add(r);

  struct Piece {
    uint64_t pa, len, off;
    bool operator==(const Piece& o) const { return pa == o.pa && len == o.len && off == o.off; }
  };
  auto pieces = [&](uint64_t to, uint64_t len) {
    REQUIRE(t.check(s, to, len, kPd, access::kRemoteWrite) == CheckFailure::None);
    std::vector<Piece> out;
    t.translate(s, to, len, [&](uint64_t pa, uint64_t n, uint64_t off) { out.push_back({pa, n, off}); });
    return out;
  };

  SECTION("10000 bytes from base + 0x100") {
    // VA 0x10000900: 0x700 bytes to the end of page 0, two whole pages, 16 bytes of page 3.
    const auto p = pieces(kBase + 0x100, 10000);
    REQUIRE(p.size() == 4);
    CHECK(p[0] == Piece{pages[0] + 0x900, 0x700, 0});
    CHECK(p[1] == Piece{pages[1], 4096, 0x700});
    CHECK(p[2] == Piece{pages[2], 4096, 0x700 + 4096});
    CHECK(p[3] == Piece{pages[3], 16, 0x700 + 8192});
    CHECK(0x700 + 8192 + 16 == 10000);
  }
  SECTION("the whole region") {
    const auto p = pieces(kBase, 5 * kPageSize);
    REQUIRE(p.size() == 6);
    CHECK(p[0] == Piece{pages[0] + 0x800, 0x800, 0});
    for (size_t i = 1; i < 5; ++i) CHECK(p[i] == Piece{pages[i], 4096, 0x800 + (i - 1) * 4096});
    CHECK(p[5] == Piece{pages[5], 0x800, 0x800 + 4 * 4096});
  }
  SECTION("within one page, and ending exactly on a page boundary") {
    CHECK(pieces(kBase + 0x900, 0x10) == std::vector<Piece>{{pages[1] + 0x100, 0x10, 0}});
    // VA 0x10000F00..0x10000FFF: the last 256 bytes of page 0, no piece in page 1.
    CHECK(pieces(kBase + 0x700, 0x100) == std::vector<Piece>{{pages[0] + 0xF00, 0x100, 0}});
    const auto p = pieces(kBase + 0x7FF, 2);  // straddles the page 0/1 boundary
    REQUIRE(p.size() == 2);
    CHECK(p[0] == Piece{pages[0] + 0xFFF, 1, 0});
    CHECK(p[1] == Piece{pages[1], 1, 1});
  }
  SECTION("every byte maps to its own frame and offset") {
    const auto p = pieces(kBase + 3, 5 * kPageSize - 3);
    uint64_t next_off = 0;
    for (const Piece& x : p) {
      CHECK(x.off == next_off);
      CHECK(x.len <= kPageSize);
      const uint64_t va = kBase + 3 + x.off;
      const uint64_t page = (va - (kBase & ~(kPageSize - 1))) / kPageSize;
      CHECK(x.pa == pages[page] + (va % kPageSize));
      CHECK((x.pa % kPageSize) + x.len <= kPageSize);  // never crosses a frame
      next_off += x.len;
    }
    CHECK(next_off == 5 * kPageSize - 3);
  }
}

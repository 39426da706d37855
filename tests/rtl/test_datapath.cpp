// Translation, page splitting, back-pressure and table updates of the core.
#include <catch2/catch.hpp>

#include "tests/rtl/rtl_fixture.h"

using namespace rnicsim;
using namespace rnicsim::rtltest;

TEST_CASE("datapath: a write crossing several pages is split at each page, in any physical order") {
  CoreFixture f;
  // Region of 5 pages starting 0x234 into its first page; pages in a shuffled order.
  const std::vector<uint64_t> pages{0x9000000, 0x2000000, 0x7000000, 0x1000000, 0x5000000};
  const uint64_t base = 0x100000234;
  const uint32_t stag = f.add(1, placement::access::kRemoteWrite, base, 5 * 4096 - 0x234, pages);
  const auto p = pattern(10000, 3);
  const uint64_t to = base + 3000;  // VA 0x100000dec: 0xdec into page 0
  const auto s = f.place(1, stag, to, ConstByteSpan(p.data(), p.size()), TaggedUse::WriteSink);
  REQUIRE_FALSE(s.record.failed);
  REQUIRE(s.writes.size() == 4);
  // Page 0 from 0xdec to its end (0x214 = 532 bytes), pages 1 and 2 whole, page 3 the rest.
  REQUIRE(s.writes[0].addr == 0x9000dec);
  REQUIRE(s.writes[0].data.size() == 532);
  REQUIRE(s.writes[1].addr == 0x2000000);
  REQUIRE(s.writes[1].data.size() == 4096);
  REQUIRE(s.writes[2].addr == 0x7000000);
  REQUIRE(s.writes[2].data.size() == 4096);
  REQUIRE(s.writes[3].addr == 0x1000000);
  REQUIRE(s.writes[3].data.size() == 10000 - 532 - 8192);
  std::vector<uint8_t> joined;
  for (const auto& w : s.writes) joined.insert(joined.end(), w.data.begin(), w.data.end());
  REQUIRE(joined == p);
  REQUIRE(s.record.pieces == f.expect(1, stag, to, ConstByteSpan(p.data(), p.size()), TaggedUse::WriteSink).pieces);
  // 157 payload beats of 64 bytes; 0xdec is 44 bytes into a beat, so 157 address-aligned
  // DMA beats ((44 + 10000) / 64 rounded up); plus descriptor, 2 check cycles and status.
  REQUIRE(s.cycles == 1 + 2 + 157 + 1);
}

TEST_CASE("datapath: an unaligned segment needs one DMA beat more than its payload beats") {
  CoreFixture f;
  const uint32_t stag = f.add(1, placement::access::kRemoteWrite, 0x4000, 4096);
  const auto p = pattern(64, 4);
  const auto s = f.place(1, stag, 0x4000 + 10, ConstByteSpan(p.data(), p.size()), TaggedUse::WriteSink);
  REQUIRE(s.writes.size() == 1);
  REQUIRE(s.writes[0].data == p);
  REQUIRE(s.cycles == 1 + 2 + 2 + 1);
}

TEST_CASE("datapath: back-pressure on either side changes timing, never the records") {
  const uint32_t pcts[][3] = {{60, 0, 0}, {0, 60, 0}, {0, 0, 80}, {40, 40, 40}};
  for (const auto& pc : pcts) {
    CoreFixture f;
    f.core.set_stalls({pc[0], pc[1], pc[2], 99});
    const uint32_t stag = f.add(2, placement::access::kRemoteWrite, 0x200000 + 77, 64 * 1024);
    uint64_t stalled_cycles = 0, beats = 0;
    for (uint32_t i = 0; i < 200; ++i) {
      const size_t len = 1 + (i * 977) % 9000;
      const uint64_t to = 0x200000 + 77 + (i * 4111) % (64 * 1024 - len);
      const auto p = pattern(len, i);
      const ConstByteSpan d(p.data(), p.size());
      const auto s = f.place(2, stag, to, d, TaggedUse::WriteSink);
      REQUIRE_FALSE(s.assertion_failed);
      REQUIRE(s.protocol_error.empty());
      REQUIRE(s.record.pieces == f.expect(2, stag, to, d, TaggedUse::WriteSink).pieces);
      stalled_cycles += s.cycles;
      beats += (len + 63) / 64;
    }
    // Stalls cost cycles: more than the unstalled 4 + beats per segment (+1 when unaligned).
    REQUIRE(stalled_cycles > beats + 4 * 200 + 200);
  }
}

TEST_CASE("datapath: table updates between segments take effect at once") {
  CoreFixture f;
  const auto p = pattern(500, 5);
  const ConstByteSpan d(p.data(), p.size());
  const uint32_t a = f.add(1, placement::access::kRemoteWrite, 0x10000, 4096);
  REQUIRE_FALSE(f.place(1, a, 0x10000, d, TaggedUse::WriteSink).record.failed);
  f.invalidate(a);
  const auto inv = f.place(1, a, 0x10000, d, TaggedUse::WriteSink);
  REQUIRE(inv.record.failed);
  REQUIRE(inv.record.error == wire::term::DdpTaggedInvalidStag);
  // A new region in the next entry, with other pages: placed at its own pages.
  const uint32_t b = f.add(1, placement::access::kRemoteWrite, 0x10000, 4096, {0xABC000});
  REQUIRE(placement::stag_index(b) == placement::stag_index(a) + 1);
  const auto s = f.place(1, b, 0x10010, d, TaggedUse::WriteSink);
  REQUIRE(s.writes.size() == 1);
  REQUIRE(s.writes[0].addr == 0xABC010);
  // The old STag stays refused.
  REQUIRE(f.place(1, a, 0x10000, d, TaggedUse::WriteSink).record.failed);
}

// Each check of the core and each Terminate code it returns, in the protocol-facts order.
#include <catch2/catch.hpp>

#include "tests/rtl/rtl_fixture.h"

using namespace rnicsim;
using namespace rnicsim::rtltest;

namespace {
struct Want {
  uint8_t layer, etype, code;
};
void require_refused(const cosim::RtlSegment& s, Want w) {
  REQUIRE(s.record.failed);
  REQUIRE(s.record.pieces.empty());  // nothing placed
  REQUIRE(s.writes.empty());
  REQUIRE(int(s.record.error.layer) == w.layer);
  REQUIRE(int(s.record.error.etype) == w.etype);
  REQUIRE(int(s.record.error.code) == w.code);
  REQUIRE_FALSE(s.assertion_failed);
  REQUIRE(s.protocol_error.empty());
}
}  // namespace

TEST_CASE("checks: every violation gives the protocol-facts Terminate for each use") {
  CoreFixture f;
  const auto all = placement::access::kLocalWrite | placement::access::kRemoteWrite | placement::access::kRemoteRead;
  const uint64_t base = 0x7f0000001000ull + 0x123;
  const uint32_t stag = f.add(5, all, base, 20000);
  const auto p = pattern(300, 1);
  const ConstByteSpan data(p.data(), p.size());
  const uint32_t wrong_key = placement::make_stag(placement::stag_index(stag), static_cast<uint8_t>(stag + 1));
  const uint32_t out_of_range = placement::make_stag(5000, 0x11);
  const uint32_t never = placement::make_stag(77, 0x11);

  struct Case {
    TaggedUse use;
    Want stag, pd, access, wrap, bounds;
  };
  // protocol-facts.md, "Which Terminate for which violation" (Read Response sink: as Write).
  const Case cases[] = {
      {TaggedUse::WriteSink, {1, 1, 0x00}, {1, 1, 0x02}, {0, 1, 0x02}, {1, 1, 0x03}, {1, 1, 0x01}},
      {TaggedUse::ReadResponseSink, {1, 1, 0x00}, {1, 1, 0x02}, {0, 1, 0x02}, {1, 1, 0x03}, {1, 1, 0x01}},
      {TaggedUse::ReadSource, {0, 1, 0x00}, {0, 1, 0x03}, {0, 1, 0x02}, {0, 1, 0x04}, {0, 1, 0x01}},
  };
  for (const auto& c : cases) {
    INFO("use " << int(c.use));
    require_refused(f.place(5, wrong_key, base, data, c.use), c.stag);
    require_refused(f.place(5, out_of_range, base, data, c.use), c.stag);
    require_refused(f.place(5, never, base, data, c.use), c.stag);
    require_refused(f.place(6, stag, base, data, c.use), c.pd);
    require_refused(f.place(5, stag, ~0ull - 10, data, c.use), c.wrap);
    require_refused(f.place(5, stag, base - 1, data, c.use), c.bounds);           // below the base
    require_refused(f.place(5, stag, base + 20000 - 299, data, c.use), c.bounds); // one byte past the end
    require_refused(f.place(5, stag, base + 20001, ConstByteSpan(), c.use), c.bounds);
    // The same segments are placed when in bounds: the last byte of the region is allowed.
    const auto ok = f.place(5, stag, base + 20000 - 300, data, c.use);
    REQUIRE_FALSE(ok.record.failed);
    REQUIRE(ok.record.pieces == f.expect(5, stag, base + 20000 - 300, data, c.use).pieces);
  }
  // Access rights: a region with only local write refuses a remote write and a read source.
  const uint32_t local = f.add(5, placement::access::kLocalWrite, 0x10000, 8192);
  require_refused(f.place(5, local, 0x10000, data, TaggedUse::WriteSink), {0, 1, 0x02});
  require_refused(f.place(5, local, 0x10000, data, TaggedUse::ReadSource), {0, 1, 0x02});
  REQUIRE_FALSE(f.place(5, local, 0x10000, data, TaggedUse::ReadResponseSink).record.failed);
  const uint32_t remote = f.add(5, placement::access::kRemoteWrite, 0x30000, 8192);
  require_refused(f.place(5, remote, 0x30000, data, TaggedUse::ReadResponseSink), {0, 1, 0x02});
}

TEST_CASE("checks: a segment with several faults reports the first in the order") {
  CoreFixture f;
  const uint32_t stag = f.add(3, placement::access::kLocalWrite, 0x5000, 4096);
  const auto p = pattern(100, 2);
  const ConstByteSpan d(p.data(), p.size());
  // PD, access and bounds all wrong: PD comes first.
  require_refused(f.place(4, stag, 0x9000, d, TaggedUse::WriteSink), {1, 1, 0x02});
  // Access and bounds wrong: access first.
  require_refused(f.place(3, stag, 0x9000, d, TaggedUse::WriteSink), {0, 1, 0x02});
  // Wrap and bounds: wrap first.
  require_refused(f.place(3, stag, ~0ull - 5, d, TaggedUse::ReadResponseSink), {1, 1, 0x03});
  // Invalidated beats everything else.
  f.invalidate(stag);
  require_refused(f.place(4, stag, 0x9000, d, TaggedUse::WriteSink), {1, 1, 0x00});
}

TEST_CASE("checks: a zero-length segment is checked and places nothing") {
  CoreFixture f;
  const uint32_t stag = f.add(1, placement::access::kRemoteWrite, 0x2000, 100);
  const auto ok = f.place(1, stag, 0x2000 + 100, ConstByteSpan(), TaggedUse::WriteSink);
  REQUIRE_FALSE(ok.record.failed);
  REQUIRE(ok.writes.empty());
  require_refused(f.place(2, stag, 0x2000, ConstByteSpan(), TaggedUse::WriteSink), {1, 1, 0x02});
}

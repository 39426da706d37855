// 100,000 constrained-random segments, seeded, compared with the C++ reference field by
// field: check result and code, every DMA write's address, length and data.
#include <catch2/catch.hpp>

#include "model/common/rng.h"
#include "tests/rtl/rtl_fixture.h"

using namespace rnicsim;
using namespace rnicsim::rtltest;

TEST_CASE("random: 100000 constrained-random segments agree with the reference") {
  CoreFixture f;
  Rng rng(20261125, "rtl.random");
  auto pick = [&](uint64_t n) { return rng.next() % n; };
  struct Reg {
    uint32_t stag;
    uint64_t base, length;
    uint32_t pd;
  };
  std::vector<Reg> regs;
  const uint32_t rights[] = {placement::access::kRemoteWrite, placement::access::kLocalWrite,
                             placement::access::kRemoteRead,
                             placement::access::kRemoteWrite | placement::access::kLocalWrite,
                             placement::access::kLocalWrite | placement::access::kRemoteWrite | placement::access::kRemoteRead};
  auto add_region = [&] {
    const uint64_t length = 1 + pick(64 * 1024);
    const uint64_t base = pick(8) == 0 ? ~0ull - length - pick(1000) : (pick(1ull << 40) << 4) + pick(4096);
    const uint32_t pd = 1 + static_cast<uint32_t>(pick(3));
    regs.push_back({f.add(pd, rights[pick(5)], base, length), base, length, pd});
  };
  for (int i = 0; i < 40; ++i) add_region();
  std::vector<uint8_t> buf(9000);
  uint64_t placed = 0, refused = 0, bytes = 0;
  for (uint32_t i = 0; i < 100000; ++i) {
    if (pick(2000) == 0) add_region();
    if (pick(3000) == 0) f.invalidate(regs[pick(regs.size())].stag);
    const Reg& r = regs[pick(regs.size())];
    const size_t len = pick(10) == 0 ? 0 : pick(4) == 0 ? 1 + pick(9000) : 1 + pick(600);
    uint64_t to;
    switch (pick(8)) {
      case 0: to = r.base - 1 - pick(64); break;                     // below
      case 1: to = r.base + r.length - len + 1 + pick(64); break;    // past the end
      case 2: to = ~0ull - pick(len + 1); break;                     // near 2^64
      default: to = r.base + (r.length > len ? pick(r.length - len + 1) : 0); break;
    }
    uint32_t stag = r.stag;
    if (pick(20) == 0) stag ^= 1u << pick(32);  // another key, entry or out of range
    const uint32_t pd = pick(15) == 0 ? r.pd + 1 : r.pd;
    const TaggedUse use = static_cast<TaggedUse>(pick(3));
    for (size_t k = 0; k < len; ++k) buf[k] = static_cast<uint8_t>(rng.next());
    const ConstByteSpan d(buf.data(), len);
    const auto s = f.place(pd, stag, to, d, use);
    const cosim::Record want = f.expect(pd, stag, to, d, use);
    INFO("segment " << i << " stag " << stag << " to " << to << " len " << len << ": "
                    << cosim::first_difference(want, s.record));
    REQUIRE(cosim::first_difference(want, s.record).empty());
    REQUIRE_FALSE(s.assertion_failed);
    REQUIRE(s.protocol_error.empty());
    if (want.failed) {
      ++refused;
    } else {
      ++placed;
      bytes += len;
    }
  }
  // Both outcomes are well represented by the constraints.
  REQUIRE(placed > 20000);
  REQUIRE(refused > 20000);
  REQUIRE(bytes > 10000000);
}

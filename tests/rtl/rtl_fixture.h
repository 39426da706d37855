#pragma once
/// The Verilated placement core driven cycle by cycle, with the C++ reference (the model's
/// RegionTable) registered alongside it: every region goes into both.
#include <cstdint>
#include <vector>

#include "model/cosim/rtl_placement.h"
#include "model/proto/placement/regions.h"

namespace rnicsim::rtltest {

using placement::CheckFailure;
using placement::Region;
using placement::TaggedUse;

using placement::required_access;

/// Pages at scattered, descending physical addresses: any physical order must work.
inline std::vector<uint64_t> scattered_pages(uint64_t n, uint64_t salt) {
  std::vector<uint64_t> p(n);
  for (uint64_t i = 0; i < n; ++i) p[i] = (0x40000000ull + ((n - i) * 7 + salt * 1000) * 0x3000ull) & ~0xFFFull;
  return p;
}

struct CoreFixture {
  cosim::RtlPlacement core{"core", Duration::from_ns(1)};
  placement::RegionTable ref{4096};

  uint32_t add(uint32_t pd, uint32_t access, uint64_t base, uint64_t length, std::vector<uint64_t> pages) {
    Region r;
    r.pd = pd;
    r.access = access;
    r.base_va = base;
    r.length = length;
    r.pages = std::move(pages);
    const uint32_t stag = *ref.add(r);
    const Region& e = *ref.find(stag);
    core.write_region(placement::stag_index(stag), e.key, e.pd, e.access, e.base_va, e.length, e.pages);
    return stag;
  }
  uint32_t add(uint32_t pd, uint32_t access, uint64_t base, uint64_t length) {
    const uint64_t first = base & ~0xFFFull;
    const uint64_t pages = (base + length - first + 4095) / 4096;
    return add(pd, access, base, length, scattered_pages(pages, ref.entries() + base % 97));
  }
  void invalidate(uint32_t stag) {
    if (ref.invalidate(stag)) core.invalidate(placement::stag_index(stag));
  }
  /// The reference's record of a segment.
  cosim::Record expect(uint32_t pd, uint32_t stag, uint64_t to, ConstByteSpan p, TaggedUse use) const {
    cosim::Record r;
    const CheckFailure f = ref.check(stag, to, p.size(), pd, required_access(use));
    if (f != CheckFailure::None) {
      r.failed = true;
      r.error = placement::to_term_code(f, use);
      return r;
    }
    ref.translate(stag, to, p.size(), [&](uint64_t pa, uint64_t n, uint64_t off) {
      r.pieces.push_back({pa, static_cast<uint32_t>(n), cosim::data_hash(p.data() + off, n)});
    });
    return r;
  }
  cosim::RtlSegment place(uint32_t pd, uint32_t stag, uint64_t to, ConstByteSpan p, TaggedUse use) {
    return core.place(stag, to, p, pd, required_access(use), use == TaggedUse::ReadSource);
  }
};

inline std::vector<uint8_t> pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& b : v) {
    x = x * 1103515245u + 12345u;
    b = static_cast<uint8_t>(x >> 16);
  }
  return v;
}

}  // namespace rnicsim::rtltest

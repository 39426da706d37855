// An adversarial peer below the QP level: 10,000 tagged segments with forged STags and
// offsets (seeded) fed to the target's tagged receive path (the placement unit's check and
// place) with a few registered regions. Every one is refused with the Terminate code of
// protocol-facts.md's table, computed here independently, and not one byte of host memory
// changes (every touched page compared, and no page newly touched).
#include <catch2/catch.hpp>

#include <map>
#include <vector>

#include "model/common/rng.h"
#include "model/hw/dma/dma.h"
#include "model/hw/placement/placement.h"
#include "model/mem/host_memory.h"

using namespace rnicsim;
using placement::CheckFailure;
using placement::TaggedUse;

namespace {

__extension__ typedef unsigned __int128 u128;  // exact sums, no overflow reasoning to share with the model

struct Reg {
  uint32_t stag = 0;
  placement::Region r;
};

/// The protocol-facts order, written out again: STag valid, PD, access, TO wrap, bounds.
CheckFailure oracle(const std::vector<Reg>& regs, uint32_t entries, uint32_t stag, uint64_t to, uint64_t len,
                    uint32_t pd, uint32_t need) {
  const Reg* hit = nullptr;
  for (const Reg& g : regs)
    if ((g.stag >> 8) == (stag >> 8)) hit = &g;
  if ((stag >> 8) >= entries || !hit || (hit->stag & 0xFF) != (stag & 0xFF) || hit->r.invalidated)
    return CheckFailure::InvalidStag;
  if (hit->r.pd != pd) return CheckFailure::PdMismatch;
  if ((hit->r.access & need) != need) return CheckFailure::AccessRights;
  const u128 end = static_cast<u128>(to) + len;
  if (len && end - 1 > UINT64_MAX) return CheckFailure::ToWrap;
  if (to < hit->r.base_va || end > static_cast<u128>(hit->r.base_va) + hit->r.length)
    return CheckFailure::Bounds;
  return CheckFailure::None;
}

/// protocol-facts.md, "Which Terminate for which violation": the Write column for sinks
/// (Read Responses too), the Read column for a Read's source.
wire::TermCode table(CheckFailure f, TaggedUse use) {
  using namespace wire::term;
  const bool src = use == TaggedUse::ReadSource;
  switch (f) {
    case CheckFailure::InvalidStag: return src ? RdmapInvalidStag : DdpTaggedInvalidStag;
    case CheckFailure::PdMismatch: return src ? RdmapStagNotAssociated : DdpTaggedStagNotAssociated;
    case CheckFailure::AccessRights: return RdmapAccessRights;
    case CheckFailure::ToWrap: return src ? RdmapToWrap : DdpTaggedToWrap;
    case CheckFailure::Bounds: return src ? RdmapBaseBounds : DdpTaggedBaseBounds;
    case CheckFailure::None: break;
  }
  return {0xF, 0xF, 0xFF};
}

}  // namespace

TEST_CASE("forged: 10,000 forged tagged segments are all refused with the right code and memory unchanged") {
  host::HostMemory mem(7, "target");
  hw::Dma dma("forged_dma", hw::DmaConfig{});
  hw::PlacementConfig pc;
  pc.regions = 64;
  hw::PlacementUnit pu("forged_pu", pc, dma, mem);
  Rng rng(20261125, "forged");

  // Regions: writable (PD 1), read-only (PD 1), writable of PD 2, invalidated, and one with
  // an unaligned base; each in scattered pages with a guard page either side, every byte set.
  struct Spec {
    uint32_t pd, access;
    uint64_t va, len;
    bool invalidate;
  };
  const std::vector<Spec> specs = {
      {1, placement::access::kRemoteWrite | placement::access::kLocalWrite, 0x10000, 5 * 4096, false},
      {1, placement::access::kRemoteRead, 0x40000, 3 * 4096, false},
      {2, placement::access::kRemoteWrite | placement::access::kLocalWrite, 0x80000, 4096, false},
      {1, placement::access::kRemoteWrite | placement::access::kLocalWrite, 0xA0000, 2 * 4096, true},
      {1, placement::access::kRemoteWrite | placement::access::kLocalWrite, 0xFFFFFFFFFFFF0123ull, 0x8000, false},
  };
  std::vector<Reg> regs;
  std::vector<uint64_t> touched;
  for (const Spec& s : specs) {
    const uint64_t first = s.va & ~uint64_t{4095};
    const uint64_t npages = (s.va + s.len - first + 4095) / 4096;
    auto pages = mem.alloc_pages(npages + 2);  // guard, region pages, guard
    Reg g;
    g.r.pd = s.pd;
    g.r.access = s.access;
    g.r.base_va = s.va;
    g.r.length = s.len;
    g.r.pages.assign(pages.begin() + 1, pages.end() - 1);
    for (uint64_t p : pages) {
      std::vector<uint8_t> fill(4096);
      for (size_t i = 0; i < fill.size(); ++i) fill[i] = static_cast<uint8_t>(rng.next());
      mem.write(p, fill.data(), fill.size());
      touched.push_back(p);
    }
    auto stag = pu.add_region(g.r);
    REQUIRE(stag);
    g.stag = *stag;
    if (s.invalidate) {
      REQUIRE(pu.invalidate(g.stag));
      g.r.invalidated = true;
    }
    regs.push_back(g);
  }
  const uint64_t pages_before = mem.pages_touched();
  std::map<uint64_t, std::vector<uint8_t>> before;
  for (uint64_t p : touched) {
    before[p].resize(4096);
    mem.read(p, before[p].data(), 4096);
  }

  std::map<int, uint64_t> by_failure;
  std::vector<uint8_t> payload(9000);
  for (auto& b : payload) b = static_cast<uint8_t>(rng.next());
  for (int i = 0; i < 10000; ++i) {
    const Reg& g = regs[rng.next() % regs.size()];
    uint32_t stag = g.stag;
    switch (rng.next() % 6) {
      case 0: stag = static_cast<uint32_t>(rng.next()); break;                  // anything
      case 1: stag = (g.stag & ~0xFFu) | ((g.stag + 1 + rng.next() % 255) & 0xFF); break;  // wrong key
      case 2: stag = static_cast<uint32_t>((64 + rng.next() % 1000) << 8) | (g.stag & 0xFF); break;  // past the table
      default: break;                                                           // the real STag
    }
    uint64_t to;
    switch (rng.next() % 5) {
      case 0: to = rng.next(); break;
      case 1: to = g.r.base_va + g.r.length - rng.next() % 64; break;  // straddles the end
      case 2: to = g.r.base_va - 1 - rng.next() % 8192; break;        // before the base
      case 3: to = UINT64_MAX - rng.next() % 4096; break;             // wraps
      default: to = g.r.base_va + rng.next() % (g.r.length + 1); break;
    }
    uint64_t len = 1 + rng.next() % payload.size();
    const uint32_t pd = rng.next() % 4 == 0 ? 2 : 1;
    const TaggedUse use = rng.next() % 2 ? TaggedUse::WriteSink : TaggedUse::ReadResponseSink;
    const uint32_t need = use == TaggedUse::WriteSink ? placement::access::kRemoteWrite : placement::access::kLocalWrite;
    CheckFailure want = oracle(regs, pc.regions, stag, to, len, pd, need);
    if (want == CheckFailure::None) {
      // A forged segment that happens to be valid: push it one byte past the end.
      to = g.r.base_va + g.r.length - len + 1;
      want = oracle(regs, pc.regions, stag, to, len, pd, need);
    }
    REQUIRE(want != CheckFailure::None);
    const auto r = pu.place(pd, stag, to, ConstByteSpan(payload.data(), len), use);
    INFO("segment " << i << " stag " << stag << " to " << to << " len " << len);
    REQUIRE(r.failure == want);
    REQUIRE(r.error == table(want, use));
    ++by_failure[static_cast<int>(want)];
  }
  CHECK(pu.stats().segments == 10000);
  CHECK(pu.stats().violations == 10000);
  CHECK(pu.stats().bytes == 0);
  // Every failure kind was exercised.
  for (CheckFailure f : {CheckFailure::InvalidStag, CheckFailure::PdMismatch, CheckFailure::AccessRights,
                         CheckFailure::ToWrap, CheckFailure::Bounds})
    CHECK(by_failure[static_cast<int>(f)] > 100);
  CHECK(mem.pages_touched() == pages_before);
  for (const auto& [p, bytes] : before) {
    std::vector<uint8_t> now(4096);
    mem.read(p, now.data(), 4096);
    REQUIRE(now == bytes);
  }
}

TEST_CASE("forged: a Read's source is checked with the RDMAP codes of the Read column") {
  host::HostMemory mem(3, "responder");
  hw::Dma dma("src_dma", hw::DmaConfig{});
  hw::PlacementUnit pu("src_pu", hw::PlacementConfig{}, dma, mem);
  placement::Region r;
  r.pd = 1;
  r.access = placement::access::kRemoteRead;
  r.base_va = 0x100000;
  r.length = 8192;
  r.pages = mem.alloc_pages(2);
  const uint32_t stag = *pu.add_region(r);
  placement::Region w = r;
  w.access = placement::access::kRemoteWrite;
  w.pages = mem.alloc_pages(2);
  const uint32_t wstag = *pu.add_region(w);
  const auto& t = pu.regions();
  const uint32_t rd = placement::access::kRemoteRead;
  auto code = [&](uint32_t s, uint64_t to, uint64_t len, uint32_t pd) {
    return placement::to_term_code(t.check(s, to, len, pd, rd), TaggedUse::ReadSource);
  };
  CHECK(t.check(stag, 0x100000, 8192, 1, rd) == CheckFailure::None);
  CHECK(code(stag ^ 0x01, 0x100000, 16, 1) == wire::term::RdmapInvalidStag);
  CHECK(code(stag, 0x100000, 16, 2) == wire::term::RdmapStagNotAssociated);
  CHECK(code(wstag, 0x100000, 16, 1) == wire::term::RdmapAccessRights);
  CHECK(code(stag, UINT64_MAX - 3, 16, 1) == wire::term::RdmapToWrap);
  CHECK(code(stag, 0x100000 + 8191, 2, 1) == wire::term::RdmapBaseBounds);
  CHECK(code(stag, 0x100000 - 1, 2, 1) == wire::term::RdmapBaseBounds);
  REQUIRE(pu.invalidate(stag));
  CHECK(code(stag, 0x100000, 16, 1) == wire::term::RdmapInvalidStag);
}

// libsystemc wants an sc_main; Catch2's main runs these tests, so it is never called.
int sc_main(int, char**) { return 0; }

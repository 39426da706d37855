// Lockstep catches a fault: a copy of the core with its PD check disabled (generated at
// build time from rtl/placement_check.sv, see cmake/Verilator.cmake) runs beside the
// model; the first segment from a QP of another protection domain diverges, and the
// report names the segment and both records.
#include <Vplacement_core_fault.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "model/cosim/verilated_core.h"
#include "model/hw/placement/placement.h"

using namespace rnicsim;

namespace {
struct Unit {
  host::HostMemory mem{1, "fault"};
  hw::Dma dma;
  hw::PlacementUnit unit;
  std::vector<hw::Mismatch> seen;
  Unit(const char* name, std::unique_ptr<cosim::Core> core, bool stop_first)
      : dma((std::string(name) + "_dma").c_str(), hw::DmaConfig{}),
        unit(name, config(stop_first), dma, mem, std::move(core)) {
    unit.set_mismatch_handler([this](const hw::Mismatch& m) { seen.push_back(m); });
  }
  static hw::PlacementConfig config(bool stop_first) {
    hw::PlacementConfig c;
    c.mode = hw::PlacementMode::Lockstep;
    c.lockstep_stop_first = stop_first;
    return c;
  }
  uint32_t add(uint32_t pd) {
    placement::Region r;
    r.pd = pd;
    r.access = placement::access::kRemoteWrite;
    r.base_va = 0x10000;
    r.length = 3 * 4096;
    r.pages = mem.alloc_pages(3);
    return *unit.add_region(r);
  }
};
}  // namespace

TEST_CASE("lockstep: the fault copy (PD check off) is caught at its first divergent segment") {
  Unit u("fault_unit", std::make_unique<cosim::VerilatedCore<Vplacement_core_fault>>(), true);
  const uint32_t stag = u.add(1);
  std::vector<uint8_t> p(5000, 0x5A);
  const ConstByteSpan d(p.data(), p.size());
  // Two good segments agree: the fault does not touch them.
  u.unit.place(1, stag, 0x10000, d, placement::TaggedUse::WriteSink);
  u.unit.place(1, stag, 0x10000 + 5000, d, placement::TaggedUse::WriteSink);
  REQUIRE(u.unit.stats().cosim_mismatches == 0);
  // The third comes from PD 2: the model refuses it, the fault copy places it.
  const auto r = u.unit.place(2, stag, 0x10000, d, placement::TaggedUse::WriteSink);
  REQUIRE(r.error == wire::term::DdpTaggedStagNotAssociated);  // the model decides the run
  REQUIRE(u.unit.stats().cosim_mismatches == 1);
  REQUIRE(u.seen.size() == 1);
  const hw::Mismatch& m = u.seen[0];
  REQUIRE(m.segment == 3);
  REQUIRE(m.pd == 2);
  REQUIRE(m.stag == stag);
  REQUIRE(m.length == 5000);
  REQUIRE(m.difference == "check result: model refused, rtl passed");
  REQUIRE(m.model.failed);
  REQUIRE(m.model.error == wire::term::DdpTaggedStagNotAssociated);
  REQUIRE_FALSE(m.rtl.failed);
  REQUIRE(m.rtl.pieces.size() == 2);  // 5000 bytes from a page start: 4096 + 904
  REQUIRE(m.rtl.pieces[0].len == 4096);
  REQUIRE(m.rtl.pieces[1].len == 904);
  REQUIRE(cosim::describe(m.model) == "refused DDP 1/1/0x02 (" + std::string(wire::term_name(m.model.error)) + ")");
  // The report as the run prints it on stderr.
  const std::string want = fmt::format(
      "lockstep divergence at 0 ns: host bob, connection c1, segment 3 (PD 2, STag 0x{:08x}, TO 0x10000, 5000 bytes)\n"
      "  first difference: check result: model refused, rtl passed\n"
      "  model: refused DDP 1/1/0x02 ({})\n"
      "  rtl:   placed 2 pieces: 0x{:x}+4096 crc 0x{:08x}, 0x{:x}+904 crc 0x{:08x}\n",
      stag, wire::term_name(wire::term::DdpTaggedStagNotAssociated), m.rtl.pieces[0].addr,
      cosim::data_hash(p.data(), 4096), m.rtl.pieces[1].addr, cosim::data_hash(p.data(), 904));
  REQUIRE(hw::lockstep_report("bob", "c1", m) == want);
  // --lockstep-stop first: nothing more is compared (or counted).
  u.unit.place(2, stag, 0x10000, d, placement::TaggedUse::WriteSink);
  REQUIRE(u.unit.stats().cosim_mismatches == 1);
  REQUIRE(u.unit.stats().first_mismatch->segment == 3);
}

TEST_CASE("lockstep: with stop never every divergence counts, the real core has none") {
  Unit bad("fault_never", std::make_unique<cosim::VerilatedCore<Vplacement_core_fault>>(), false);
  Unit good("real_never", cosim::make_placement_core(), false);
  std::vector<uint8_t> p(700, 0x33);
  const ConstByteSpan d(p.data(), p.size());
  for (Unit* u : {&bad, &good}) {
    const uint32_t stag = u->add(1);
    for (uint32_t i = 0; i < 10; ++i) u->unit.place(1 + i % 2, stag, 0x10000 + i * 900, d, placement::TaggedUse::WriteSink);
  }
  REQUIRE(bad.unit.stats().cosim_mismatches == 5);
  REQUIRE(bad.seen.size() == 5);
  REQUIRE(good.unit.stats().cosim_mismatches == 0);
  REQUIRE(good.unit.stats().violations == 5);
  REQUIRE(good.unit.stats().timing_error_ps.size() == 10);
}

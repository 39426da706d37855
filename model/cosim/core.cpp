#include <Vplacement_core.h>
#include <Vplacement_core_placement_pkg.h>

#include "model/cosim/verilated_core.h"

namespace rnicsim::cosim {

namespace regs {
using P = Vplacement_core_placement_pkg;
const uint8_t kRegionIndex = P::RegRegionIndex, kRegionBase = P::RegRegionBase,
              kRegionLength = P::RegRegionLength, kRegionAttr = P::RegRegionAttr,
              kRegionPages = P::RegRegionPages, kRegionCommit = P::RegRegionCommit,
              kRegionInval = P::RegRegionInval, kPageIndex = P::RegPageIndex,
              kPageData = P::RegPageData;
const uint32_t kAttrKeyLsb = P::AttrKeyLsb, kAttrAccessLsb = P::AttrAccessLsb,
               kAttrPdLsb = P::AttrPdLsb;
const uint32_t kDataWidth = P::DefaultDataWidth, kRegionEntries = P::DefaultRegionEntries,
               kPageEntries = P::DefaultPageEntries, kPipeDepth = P::DefaultPipeDepth,
               kPageBytes = P::PageBytes;
}  // namespace regs

std::unique_ptr<Core> make_placement_core() { return std::make_unique<VerilatedCore<Vplacement_core>>(); }

}  // namespace rnicsim::cosim

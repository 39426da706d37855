#include "model/hw/pcie/phy.h"

#include <cassert>

namespace rnicsim::hw::pcie {
namespace {

int lane_index(int lanes) {
  switch (lanes) {
    case 1: return 0;
    case 2: return 1;
    case 4: return 2;
    case 8: return 3;
    case 16: return 4;
    default: return -1;
  }
}

int mps_index(uint64_t mps) {
  for (int i = 0; i < 6; ++i)
    if (mps == (uint64_t{128} << i)) return i;
  return -1;
}

// [generation 1, 2, 3+][lanes x1..x16][MPS 128..4096], symbol times.
constexpr uint32_t kInterval[3][5][6] = {
    {{237, 416, 559, 1071, 2095, 4143},
     {128, 217, 289, 545, 1057, 2081},
     {73, 118, 154, 282, 538, 1050},
     {67, 107, 86, 150, 278, 534},
     {48, 72, 86, 150, 278, 534}},
    {{288, 467, 610, 1122, 2146, 4194},
     {179, 268, 340, 596, 1108, 2132},
     {124, 169, 205, 333, 589, 1101},
     {118, 158, 137, 201, 329, 585},
     {99, 123, 137, 201, 329, 585}},
    {{333, 512, 655, 1167, 2191, 4239},
     {224, 313, 385, 641, 1153, 2177},
     {169, 214, 250, 378, 634, 1146},
     {163, 203, 182, 246, 374, 630},
     {144, 168, 182, 246, 374, 630}},
};

}  // namespace

double transfer_rate_gt(int gen) {
  switch (gen) {
    case 1: return 2.5;
    case 2: return 5.0;
    case 3: return 8.0;
    case 4: return 16.0;
    case 5: return 32.0;
    default: assert(!"PCIe generation outside 1..5"); return 0.0;
  }
}

double coding_efficiency(int gen) { return gen <= 2 ? 8.0 / 10.0 : 128.0 / 130.0; }

Rate raw_rate(int gen, int lanes) {
  return Rate{static_cast<uint64_t>(transfer_rate_gt(gen) * 1e9 * coding_efficiency(gen) * lanes + 0.5)};
}

Duration symbol_time(int gen) {
  // 10 bits per symbol with 8b/10b; 8 bits with 128b/130b (the block header is in the
  // coding efficiency, so a symbol is 8 bits of the coded rate).
  const double bits = gen <= 2 ? 10.0 : 8.0 / coding_efficiency(gen);
  return Duration::from_ns(bits / transfer_rate_gt(gen));
}

std::string check_link(int gen, int lanes, uint64_t mps) {
  if (gen < 1 || gen > 5) return "PCIe generation must be 1..5";
  if (lane_index(lanes) < 0) return "PCIe lanes must be 1, 2, 4, 8 or 16";
  if (mps_index(mps) < 0) return "PCIe MPS must be a power of two, 128..4096 bytes";
  return {};
}

uint32_t dllp_interval(int gen, int lanes, uint64_t mps) {
  assert(check_link(gen, lanes, mps).empty() && "PCIe link outside the spec's tables");
  return kInterval[gen >= 3 ? 2 : gen - 1][lane_index(lanes)][mps_index(mps)];
}

Rate tlp_rate(int gen, int lanes, uint64_t mps) {
  const double interval = dllp_interval(gen, lanes, mps);
  const double overhead = 2.0 * kDllpBytes / interval + static_cast<double>(kSkpBytes) / kSkpInterval;
  const double raw = static_cast<double>(raw_rate(gen, lanes).bps);
  return Rate{static_cast<uint64_t>(raw * (1.0 - overhead) + 0.5)};
}

}  // namespace rnicsim::hw::pcie

// Speed of the RTL placement core: (1) the Verilated core alone, driven with back-to-back
// 4 KiB segments, in core cycles per wall second; (2) a 10 Gb/s RDMA Write stream with
// the core in the loop (placement rtl and lockstep) against the model alone, as wall time
// over simulated time. Usage: bench_rtl RNICSIM_BINARY [SCENARIO]
#include <systemc>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/cosim/rtl_placement.h"

namespace {

double core_cycles_per_second() {
  using namespace rnicsim;
  cosim::RtlPlacement core("bench_core", Duration::from_ps(3105));
  std::vector<uint64_t> pages(256);
  for (size_t i = 0; i < pages.size(); ++i) pages[i] = 0x100000000ull + (255 - i) * 0x2000;
  core.write_region(1, 0x5A, 1, 2, 0x10000, 256 * 4096, pages);
  std::vector<uint8_t> payload(4096, 0xA5);
  const uint32_t stag = (1u << 8) | 0x5A;
  const uint64_t c0 = core.cycles();
  const auto t0 = std::chrono::steady_clock::now();
  for (uint32_t i = 0; i < 20000; ++i)
    core.place(stag, 0x10000 + (i % 200) * 4096 + (i % 7) * 8, ConstByteSpan(payload.data(), payload.size()), 1, 2, false);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return static_cast<double>(core.cycles() - c0) / wall;
}

}  // namespace

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);  // keep the report clean
  return sc_core::sc_elab_and_sim(argc, argv);
}

int sc_main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: {} RNICSIM_BINARY [SCENARIO]\n", argv[0]);
    return 2;
  }
  const std::string bin = argv[1];
  const std::string scenario = argc > 2 ? argv[2] : "bench/data/write_10g.yaml";
  fmt::print("core alone          {:.0f} cycles per wall second (4 KiB segments, 512-bit beats)\n",
             core_cycles_per_second());
  fmt::print("scenario            {}\n", scenario);
  for (const char* mode : {"model", "rtl", "lockstep"}) {
    const std::string out = std::string("traces/bench-rtl-") + mode;
    const int st = std::system((bin + " run " + scenario + " --pcap off --placement " + mode + " -o " + out + " > /dev/null").c_str());
    if (st != 0) {
      fmt::print(stderr, "run failed (status {})\n", st);
      return 3;
    }
    std::ifstream f(out + "/results.json");
    const auto r = nlohmann::json::parse(f);
    const double sim_s = r["sim_time_ns"].get<double>() / 1e9;
    const double wall = r["wall_time_s"].get<double>();
    uint64_t cycles = 0;
    for (const auto& [name, h] : r["hosts"].items()) cycles += h["rnic"]["placement"]["rtl_cycles"].get<uint64_t>();
    fmt::print("placement {:<9} simulated {:.6f} s, wall {:.3f} s, wall/simulated {:.1f}, RTL cycles {}\n", mode,
               sim_s, wall, wall / sim_s, cycles);
  }
  return 0;
}

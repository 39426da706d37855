// The link's rates (model/hw/pcie/phy.h): GT/s and line coding per generation, lanes,
// the DLLP intervals of the spec's tables and the rate left for TLPs.
#include <catch2/catch.hpp>

#include "model/hw/pcie/link.h"
#include "model/hw/pcie/phy.h"

using namespace rnicsim;
using namespace rnicsim::hw::pcie;

TEST_CASE("8b/10b for gens 1-2 and 128b/130b from gen 3, over x1..x16") {
  CHECK(raw_rate(1, 1).bps == 2'000'000'000ull);   // 2.5 GT/s x 0.8
  CHECK(raw_rate(2, 4).bps == 16'000'000'000ull);  // 5 GT/s x 0.8 x 4
  CHECK(raw_rate(3, 8).gbps() == Approx(8.0 * 128 / 130 * 8).epsilon(1e-9));     // 63.015
  CHECK(raw_rate(4, 16).gbps() == Approx(16.0 * 128 / 130 * 16).epsilon(1e-9));  // 252.06
  CHECK(raw_rate(5, 16).gbps() == Approx(32.0 * 128 / 130 * 16).epsilon(1e-9));  // 504.12
  CHECK(symbol_time(1) == Duration::from_ns(4));
  CHECK(symbol_time(2) == Duration::from_ns(2));
  CHECK(symbol_time(3) == Duration::from_ps(1016));  // 8 bits x 130/128 at 8 GT/s
}

TEST_CASE("DLLP intervals follow the spec's tables; the TLP rate is pcie-bench's TLP_bw") {
  CHECK(dllp_interval(3, 8, 256) == 203);
  CHECK(dllp_interval(1, 1, 128) == 237);
  CHECK(dllp_interval(2, 16, 4096) == 585);
  CHECK(dllp_interval(5, 4, 512) == dllp_interval(3, 4, 512));
  // Gen 3 x8, MPS 256: 63.015 x (1 - 8/203 - 8/203 - 4/1538) = 57.885 Gb/s.
  const double raw = 8.0 * 128 / 130 * 8;
  CHECK(tlp_rate(3, 8, 256).gbps() == Approx(raw * (1 - 16.0 / 203 - 4.0 / 1538)).epsilon(1e-9));
  CHECK(tlp_rate(3, 8, 256).gbps() == Approx(57.885).epsilon(1e-4));
  // The default UpdateFC latency is that interval in symbol times.
  CHECK(PcieConfig{}.fc_latency() == Duration::from_ps(203 * 1016));
}

TEST_CASE("a configuration outside the model is refused, naming the parameter") {
  PcieConfig c;
  CHECK(c.check().empty());
  c.gen = 6;
  CHECK(c.check().find("generation") != std::string::npos);
  c = PcieConfig{};
  c.lanes = 12;
  CHECK(c.check().find("lanes") != std::string::npos);
  c = PcieConfig{};
  c.mrrs = 300;
  CHECK(c.check().find("MRRS") != std::string::npos);
  c = PcieConfig{};
  c.rcb = 256;
  CHECK(c.check().find("completion boundary") != std::string::npos);
  c = PcieConfig{};
  c.host_posted.data = 8;  // less than one 256-byte payload
  CHECK(c.check().find("posted data") != std::string::npos);
}

TEST_CASE("a gen 1 x1 link carries 1.78 Gb/s of writes at MPS 256; gen 4 x16 at MPS 512, 220.6 Gb/s") {
  // Gen 1 x1: 2.0 x (1 - 16/416 - 4/1538) = 1.918 Gb/s for TLPs, of which 256 bytes in
  // every 276 (3 DW header below 4 GiB): 1.779 Gb/s. Gen 4 x16, MPS 512:
  // 252.06 x (1 - 16/182 - 4/1538) x 512/532 = 220.6 Gb/s.
  struct Case {
    int gen, lanes;
    uint64_t mps;
    double expect;
  };
  for (const Case& c : {Case{1, 1, 256, 2.0 * (1 - 16.0 / 416 - 4.0 / 1538) * 256 / 276},
                        Case{4, 16, 512, 16.0 * 128 / 130 * 16 * (1 - 16.0 / 182 - 4.0 / 1538) * 512 / 532}}) {
    PcieConfig cfg;
    cfg.gen = c.gen;
    cfg.lanes = c.lanes;
    cfg.mps = c.mps;
    Link link{cfg};
    Duration end{};
    for (int i = 0; i < 500; ++i) end = link.write(Duration{}, 0x10000000 + static_cast<uint64_t>(i) * 4096, 4096).end;
    const double gbps = 4096.0 * 500 * 8 / end.ns();
    INFO("gen " << c.gen << " x" << c.lanes << ": " << gbps << " Gb/s");
    CHECK(gbps == Approx(c.expect).epsilon(0.001));
  }
}

// A whole run in lockstep with a core that goes wrong once: the run stops at the first
// divergence, fails, and results.json holds the report. The fault is a C++ decorator on
// the real core's outputs (one DMA command's address moved by a page), handed in through
// RunOptions, which only C++ callers can set.
#include <catch2/catch.hpp>

#include <filesystem>

#include <fmt/format.h>
#include <string>

#include "model/scenario/loader.h"
#include "model/sim/simulation.h"
#include "model/cosim/verilated_core.h"

#include <Vplacement_core_fault.h>

using namespace rnicsim;

namespace {
/// The real core, except that the n-th DMA command's host address gets bit 12 flipped.
class MovedCommand final : public cosim::Core {
 public:
  explicit MovedCommand(uint64_t n) : core_(cosim::make_placement_core()), n_(n) {}
  uint32_t beat_bytes() const override { return core_->beat_bytes(); }
  void eval(const cosim::CoreInputs& in, bool clk) override { core_->eval(in, clk); }
  void outputs(cosim::CoreOutputs& o) const override {
    core_->outputs(o);
    if (o.dma_valid && o.dma_sop) ++sops_;  // DMA ready is always high in a run: seen once
    if (o.dma_valid && sops_ == n_) o.dma_addr ^= 0x1000;
  }
  void trace_open(const std::string& p) override { core_->trace_open(p); }
  void trace_dump(uint64_t t) override { core_->trace_dump(t); }
  void trace_close() override { core_->trace_close(); }
  bool take_assertion_failure() override { return core_->take_assertion_failure(); }

 private:
  std::unique_ptr<cosim::Core> core_;
  uint64_t n_;
  mutable uint64_t sops_ = 0;
};
}  // namespace

TEST_CASE("run lockstep: a divergence stops the run, fails it and is reported in results.json") {
  const auto lr = scenario::load_scenario_file(std::string(RNICSIM_SOURCE_DIR) + "/tests/data/scenarios/minimal.yaml",
                                            sim::results_schema());
  REQUIRE(lr.ok());
  sim::RunOptions o;
  o.out_dir = (std::filesystem::path(RNICSIM_WORK_DIR) / "run_lockstep").string();
  o.pcap = "off";
  o.placement = "lockstep";
  o.rtl_core = [] { return std::make_unique<MovedCommand>(50); };
  const sim::RunOutcome out = sim::run(*lr.scenario, o);
  REQUIRE_FALSE(out.passed);
  REQUIRE(out.summary.find("FAILED lockstep") != std::string::npos);
  const auto& pl = out.results["hosts"]["bob"]["rnic"]["placement"];
  REQUIRE(pl["mode"] == "lockstep");
  REQUIRE(pl["cosim_mismatches"] == 1);
  const auto& mm = pl["first_mismatch"];
  REQUIRE(mm["connection"] == "c1");
  const auto& model_w = mm["model"]["writes"];
  const auto& rtl_w = mm["rtl"]["writes"];
  REQUIRE(model_w.size() == rtl_w.size());
  // Exactly one write differs, by one page in its host address; lengths and data agree.
  size_t moved = 0;
  for (size_t i = 0; i < model_w.size(); ++i) {
    REQUIRE(model_w[i]["length"] == rtl_w[i]["length"]);
    REQUIRE(model_w[i]["crc32c"] == rtl_w[i]["crc32c"]);
    const uint64_t a = model_w[i]["host_address"], b = rtl_w[i]["host_address"];
    if (a != b) {
      REQUIRE((a ^ b) == 0x1000);
      REQUIRE(mm["difference"] == fmt::format("piece {} host address: model 0x{:x}, rtl 0x{:x}", i, a, b));
      ++moved;
    }
  }
  REQUIRE(moved == 1);
  // The run stopped at the divergence: fewer segments than the 10 x 64 KiB need.
  REQUIRE(pl["segments"].get<uint64_t>() == mm["segment"].get<uint64_t>());
  REQUIRE(out.results["workloads"]["w1"]["completed"].get<uint64_t>() < 10);
  REQUIRE(std::filesystem::exists(std::filesystem::path(o.out_dir) / "results.json"));
}

TEST_CASE("run lockstep: the fault copy (PD check off) is caught in a whole run of violate_pd") {
  // The Write of another protection domain: the model refuses it (DDP 1/1/0x02), the copy
  // of the core whose PD check is disabled places it. Lockstep must stop the run there.
  const auto lr = scenario::load_scenario_file(std::string(RNICSIM_SOURCE_DIR) + "/scenarios/violate_pd.yaml",
                                            sim::results_schema());
  REQUIRE(lr.ok());
  sim::RunOptions o;
  o.out_dir = (std::filesystem::path(RNICSIM_WORK_DIR) / "run_lockstep_fault").string();
  o.pcap = "off";
  o.placement = "lockstep";
  o.rtl_core = [] { return std::make_unique<cosim::VerilatedCore<Vplacement_core_fault>>(); };
  const sim::RunOutcome out = sim::run(*lr.scenario, o);
  REQUIRE_FALSE(out.passed);
  REQUIRE(out.summary.find("FAILED lockstep") != std::string::npos);
  const auto& pl = out.results["hosts"]["bob"]["rnic"]["placement"];
  REQUIRE(pl["cosim_mismatches"] == 1);
  const auto& mm = pl["first_mismatch"];
  INFO(mm.dump(2));
  REQUIRE(mm["connection"] == "cw");
  REQUIRE(mm["segment"] == 1);  // the first tagged segment bob sees is the forged one
  // The model refused with the Write column's PD code; the faulty core placed.
  REQUIRE(mm["model"]["refused"] == true);
  REQUIRE(mm["model"]["error"]["layer"] == 1);
  REQUIRE(mm["model"]["error"]["etype"] == 1);
  REQUIRE(mm["model"]["error"]["code"] == 2);
  REQUIRE(mm["rtl"]["refused"] == false);
  REQUIRE(mm["rtl"]["writes"].size() > 0);
}

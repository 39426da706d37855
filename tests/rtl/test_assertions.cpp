// The core's assertions fire on a broken handshake and are caught, not fatal: the core
// keeps running and finishes the segment.
#include <catch2/catch.hpp>

#include "model/cosim/core.h"

using namespace rnicsim;

namespace {
struct Bench {
  std::unique_ptr<cosim::Core> core = cosim::make_placement_core();
  cosim::CoreInputs in;
  cosim::CoreOutputs out;
  bool fired = false;
  void cycle() {
    core->eval(in, false);
    core->outputs(out);
    core->eval(in, true);
    fired = core->take_assertion_failure() || fired;
  }
  Bench() {
    in.rst_n = false;
    cycle();
    cycle();
    in.rst_n = true;
    in.dma_ready = in.sts_ready = true;
  }
  /// Runs until the status; returns its code.
  int status_code() {
    for (int i = 0; i < 50; ++i) {
      core->eval(in, false);
      core->outputs(out);
      if (out.sts_valid) {
        const int code = out.sts_code;
        cycle();
        return code;
      }
      cycle();
    }
    return -1;
  }
};
}  // namespace

TEST_CASE("assertions: a wrong last flag fires PayLast_A, the segment still completes") {
  Bench b;
  uint8_t beat[64] = {};
  b.in.desc = {true, 0x00001234, 0x1000, 64, 1, 2, false};  // an STag never registered
  b.cycle();
  b.in.desc.valid = false;
  b.in.pay = {true, false, beat, 64};  // the only beat, but last is low
  b.cycle();
  b.cycle();
  b.cycle();
  b.in.pay = {};
  REQUIRE(b.fired);
  REQUIRE(b.status_code() == 0x00);  // DDP invalid STag: the core went on
  REQUIRE_FALSE(b.core->take_assertion_failure());
}

TEST_CASE("assertions: a descriptor asking for two rights fires DescAccess_A") {
  Bench b;
  b.in.desc = {true, 0x00001234, 0x1000, 0, 1, 3, false};
  b.cycle();
  b.in.desc.valid = false;
  REQUIRE(b.fired);
  REQUIRE(b.status_code() == 0x00);
}

TEST_CASE("assertions: a well-formed segment fires none") {
  Bench b;
  uint8_t beat[64] = {};
  b.in.desc = {true, 0x00001234, 0x1000, 64, 1, 2, false};
  b.cycle();
  b.in.desc.valid = false;
  b.in.pay = {true, true, beat, 64};
  for (int i = 0; i < 4; ++i) {
    b.core->eval(b.in, false);
    b.core->outputs(b.out);
    const bool taken = b.out.pay_ready;
    b.cycle();
    if (taken) {
      b.in.pay = {};
      break;
    }
  }
  REQUIRE(b.status_code() == 0x00);
  REQUIRE_FALSE(b.fired);
}

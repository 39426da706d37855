// verbs::CqRing: slot addresses, the phase bit's flips, the poller's view of new
// entries through a model of host memory, and overflow at exactly depth + 1.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <vector>

#include "model/proto/verbs/cq.h"
#include "model/wire/verbs.h"

using rnicsim::verbs::CqRing;
using Status = CqRing::Status;

TEST_CASE("CqRing: overflow at exactly depth + 1, and for good", "[verbs][cq]") {
  for (uint32_t depth : {1u, 3u, 64u, 1000u, 65536u}) {
    INFO("depth " << depth);
    CqRing cq(0x8000, depth);
    for (uint32_t i = 0; i < depth; ++i) REQUIRE(cq.produce().status == Status::Ok);
    CHECK(cq.full());
    CHECK_FALSE(cq.overflowed());
    CHECK(cq.overflows() == 0);
    const CqRing::Produced p = cq.produce();  // the depth + 1st
    CHECK(p.status == Status::Overflow);
    CHECK(cq.overflowed());
    CHECK(cq.overflows() == 1);
    CHECK(cq.producer() == depth);  // nothing written
    // The CQ is in error: polling everything does not bring it back.
    REQUIRE(cq.set_consumer(depth));
    CHECK(cq.produce().status == Status::Overflow);
    CHECK(cq.overflows() == 2);
    CHECK(cq.producer() == depth);
  }
  // Polled in time, a CQ of depth 4 takes any number of CQEs.
  CqRing cq(0x8000, 4);
  for (uint64_t i = 0; i < 100; ++i) {
    REQUIRE(cq.produce().status == Status::Ok);
    if (i >= 3) REQUIRE(cq.set_consumer(i - 2));  // 3 outstanding at most
  }
  CHECK_FALSE(cq.overflowed());
  CHECK(cq.used() == 3);
  CHECK_THROWS_AS(CqRing(0, 0), std::invalid_argument);
}

TEST_CASE("CqRing: addresses and the phase bit of each pass", "[verbs][cq]") {
  CqRing cq(0x8000, 3);
  std::vector<uint64_t> addrs;
  std::vector<bool> phases;
  for (int i = 0; i < 10; ++i) {
    const CqRing::Produced p = cq.produce();
    REQUIRE(p.status == Status::Ok);
    CHECK(p.index == static_cast<uint64_t>(i));
    addrs.push_back(p.addr);
    phases.push_back(p.phase);
    REQUIRE(cq.set_consumer(p.index + 1));
  }
  CHECK(addrs == std::vector<uint64_t>{0x8000, 0x8020, 0x8040, 0x8000, 0x8020, 0x8040, 0x8000, 0x8020, 0x8040, 0x8000});
  CHECK(phases == std::vector<bool>{true, true, true, false, false, false, true, true, true, false});
  CHECK(CqRing::phase_of(0, 65536));
  CHECK(CqRing::phase_of(65535, 65536));
  CHECK_FALSE(CqRing::phase_of(65536, 65536));
  CHECK(CqRing::phase_of(131072, 65536));
  CHECK_FALSE(cq.set_consumer(9));   // back
  CHECK_FALSE(cq.set_consumer(11));  // past the producer
}

TEST_CASE("CqRing: a poller finds exactly the new CQEs by their phase", "[verbs][cq]") {
  using namespace rnicsim::wire;
  constexpr uint64_t base = 0x8000;
  CqRing cq(base, 3);
  std::vector<uint8_t> mem(3 * kCqeLen, 0);  // zeroed, as the driver allocates it
  auto rnic_writes = [&](uint64_t wr_id) {
    const CqRing::Produced p = cq.produce();
    REQUIRE(p.status == CqRing::Status::Ok);
    Cqe c;
    c.wr_id = wr_id;
    c.qpn = 7;
    c.phase = p.phase;
    encode_cqe(mem.data() + (p.addr - base), c);
  };
  uint64_t consumer = 0;
  // Polls until the slot at the consumer is old; returns the wr_ids found.
  auto poll = [&] {
    std::vector<uint64_t> got;
    for (;;) {
      const auto d = decode_cqe(mem.data() + (cq.slot_address(consumer) - base), kCqeLen);
      REQUIRE(d.status == DecodeStatus::Ok);
      if (!cq.is_new(consumer, d.value.phase)) break;
      got.push_back(d.value.wr_id);
      ++consumer;
    }
    REQUIRE(cq.set_consumer(consumer));
    return got;
  };
  CHECK(poll().empty());  // a zeroed ring: phase 0, the first pass expects 1
  rnic_writes(1);
  rnic_writes(2);
  CHECK(poll() == std::vector<uint64_t>{1, 2});
  CHECK(poll().empty());  // slot 2 still zero
  rnic_writes(3);  // slot 2, phase 1
  rnic_writes(4);  // slot 0, phase 0: the second pass
  rnic_writes(5);  // slot 1, phase 0
  CHECK(poll() == std::vector<uint64_t>{3, 4, 5});
  // Index 5 is slot 2, which holds wr_id 3 with phase 1: old to a second-pass poller.
  CHECK(poll().empty());
  CHECK(consumer == 5);
  for (uint64_t i = 6; i <= 8; ++i) rnic_writes(i);  // slots 2, 0, 1: phases 0, 1, 1
  CHECK(cq.full());
  CHECK(poll() == std::vector<uint64_t>{6, 7, 8});
  CHECK(consumer == 8);
}

TEST_CASE("CqRing: 64-byte slots: addresses 64 apart, slots under a CQE refused", "[verbs][cq]") {
  CqRing r(0x10000, 3, 64);
  CHECK(r.slot_size() == 64);
  CHECK(r.slot_address(0) == 0x10000);
  CHECK(r.slot_address(1) == 0x10040);
  CHECK(r.slot_address(2) == 0x10080);
  CHECK(r.slot_address(3) == 0x10000);
  CHECK(r.produce().addr == 0x10000);
  CHECK(r.produce().addr == 0x10040);
  CHECK_THROWS_AS(CqRing(0, 4, 16), std::invalid_argument);
}

// verbs::Ring: indices, free slots, slot addresses and the DMA fetch plans, with exact
// byte ranges; and a WQE that wraps the ring's end, written and fetched through a model
// of host memory.
#include <catch2/catch.hpp>

#include <cstring>
#include <stdexcept>
#include <vector>

#include "model/proto/verbs/ring.h"
#include "model/wire/verbs.h"

using rnicsim::verbs::ByteRange;
using rnicsim::verbs::extend_index;
using rnicsim::verbs::Ring;

namespace {
constexpr uint64_t kBase = 0x10000;
using Plan = std::vector<ByteRange>;
}  // namespace

TEST_CASE("Ring: produce, consume, free slots at an arbitrary depth", "[verbs][ring]") {
  Ring r(kBase, 7, 64);
  CHECK(r.depth() == 7);
  CHECK(r.free_slots() == 7);
  CHECK(r.empty());
  CHECK(r.produce(5));
  CHECK(r.used() == 5);
  CHECK(r.free_slots() == 2);
  CHECK_FALSE(r.produce(3));  // only 2 free: nothing changes
  CHECK(r.producer() == 5);
  CHECK(r.produce(2));
  CHECK(r.full());
  CHECK(r.free_slots() == 0);
  CHECK_FALSE(r.produce(1));
  CHECK(r.consume(3));
  CHECK(r.consumer() == 3);
  CHECK(r.free_slots() == 3);
  CHECK_FALSE(r.consume(5));  // 4 used
  CHECK(r.consume(4));
  CHECK(r.empty());
  // Free-running indices: the 7th slot produced (index 7) is ring slot 0 again.
  CHECK(r.slot_address(0) == kBase);
  CHECK(r.slot_address(6) == kBase + 6 * 64);
  CHECK(r.slot_address(7) == kBase);
  CHECK(r.slot_address(7 * 1000 + 3) == kBase + 3 * 64);

  // The RNIC's side: a doorbell's producer, believed only within [producer, consumer + depth].
  Ring n(kBase, 10, 64);
  CHECK(n.set_producer(4));
  CHECK_FALSE(n.set_producer(3));   // back
  CHECK_FALSE(n.set_producer(11));  // past consumer + depth
  CHECK(n.producer() == 4);
  CHECK(n.set_producer(10));
  CHECK(n.full());
  CHECK(n.set_consumer(6));
  CHECK_FALSE(n.set_consumer(5));
  CHECK_FALSE(n.set_consumer(11));
  CHECK(n.set_producer(16));
  CHECK(n.used() == 10);

  CHECK_THROWS_AS(Ring(kBase, 0, 64), std::invalid_argument);
  CHECK_THROWS_AS(Ring(kBase, 8, 0), std::invalid_argument);
}

TEST_CASE("Ring: fetch plans split at the wrap and at max_bytes", "[verbs][ring]") {
  SECTION("queued together, no wrap: one read") {
    Ring r(kBase, 10, 64);
    CHECK(r.fetch_plan(2, 7, 4096) == Plan{{kBase + 128, 320}});
    CHECK(r.fetch_plan(3, 3, 4096).empty());
  }
  SECTION("across the ring's end: two reads") {
    Ring r(kBase, 10, 64);
    CHECK(r.fetch_plan(7, 12, 4096) == Plan{{kBase + 7 * 64, 192}, {kBase, 128}});
    // The same a thousand passes later.
    CHECK(r.fetch_plan(10007, 10012, 4096) == Plan{{kBase + 7 * 64, 192}, {kBase, 128}});
    // Ending exactly at the ring's end: one read.
    CHECK(r.fetch_plan(7, 10, 4096) == Plan{{kBase + 7 * 64, 192}});
  }
  SECTION("a full ring") {
    Ring r(kBase, 3, 64);
    CHECK(r.fetch_plan(2, 5, 4096) == Plan{{kBase + 128, 64}, {kBase, 128}});
    CHECK(r.fetch_plan(0, 3, 4096) == Plan{{kBase, 192}});
  }
  SECTION("at most max_bytes per read, whole slots") {
    Ring r(kBase, 100, 64);
    CHECK(r.fetch_plan(0, 20, 512) == Plan{{kBase, 512}, {kBase + 512, 512}, {kBase + 1024, 256}});
    // 600 bytes hold 9 whole slots: 576 per read.
    CHECK(r.fetch_plan(0, 20, 600) == Plan{{kBase, 576}, {kBase + 576, 576}, {kBase + 1152, 128}});
    CHECK(r.fetch_plan(0, 3, 64) == Plan{{kBase, 64}, {kBase + 64, 64}, {kBase + 128, 64}});
  }
  SECTION("both: 256-byte reads across the wrap") {
    Ring r(kBase, 10, 64);
    CHECK(r.fetch_plan(5, 15, 256) ==
          Plan{{kBase + 320, 256}, {kBase + 576, 64}, {kBase, 256}, {kBase + 256, 64}});
  }
  SECTION("receive-queue slots, unbounded: where the host writes") {
    Ring r(0x7F0000000000, 256, rnicsim::wire::kRqSlotLen);
    CHECK(r.fetch_plan(250, 260) == Plan{{0x7F0000000000 + 250 * 64, 6 * 64}, {0x7F0000000000, 4 * 64}});
  }
  SECTION("the largest depth") {
    Ring r(0, 65536, 64);
    CHECK(r.fetch_plan(65535, 65537, 4096) == Plan{{65535 * 64, 64}, {0, 64}});
  }
  SECTION("misuse") {
    Ring r(kBase, 10, 64);
    CHECK_THROWS_AS(r.fetch_plan(5, 4, 512), std::invalid_argument);
    CHECK_THROWS_AS(r.fetch_plan(0, 11, 512), std::invalid_argument);
    CHECK_THROWS_AS(r.fetch_plan(0, 1, 63), std::invalid_argument);
  }
}

TEST_CASE("Ring: doorbell indices extend to 64 bits", "[verbs][ring]") {
  CHECK(extend_index(5, 0) == 5);
  CHECK(extend_index(5, 5) == 5);
  CHECK(extend_index(5, 0xFFFFFFFE) == 0x100000005);
  CHECK(extend_index(0x00000003, 0x2FFFFFFF0) == 0x300000003);
  CHECK(extend_index(0xFFFFFFF0, 0x2FFFFFFF0) == 0x2FFFFFFF0);
  // A low value behind the reference's is 2^32 ahead, not behind.
  CHECK(extend_index(2, 0x100000003) == 0x200000002);
}

TEST_CASE("Ring: a WQE wrapping the ring's end is written and fetched in two pieces", "[verbs][ring]") {
  using namespace rnicsim::wire;
  constexpr uint64_t base = 0x4000;
  constexpr uint32_t depth = 5;
  std::vector<uint8_t> mem(depth * kSqSlotLen, 0);  // the ring's bytes, from `base`
  auto write = [&](const Plan& plan, const std::vector<uint8_t>& bytes) {
    size_t off = 0;
    for (const ByteRange& r : plan) {
      std::memcpy(mem.data() + (r.addr - base), bytes.data() + off, r.len);
      off += r.len;
    }
    REQUIRE(off == bytes.size());
  };
  auto read = [&](const Plan& plan) {
    std::vector<uint8_t> out;
    for (const ByteRange& r : plan) out.insert(out.end(), mem.begin() + (r.addr - base), mem.begin() + (r.addr - base + r.len));
    return out;
  };

  Ring host(base, depth, kSqSlotLen), rnic(base, depth, kSqSlotLen);
  // Four one-slot WQEs, fetched together in one read, then consumed.
  std::vector<SqWqe> first(4);
  for (size_t i = 0; i < first.size(); ++i) {
    first[i].wr_id = 100 + i;
    first[i].opcode = SqOpcode::Send;
    write(host.fetch_plan(host.producer(), host.producer() + 1), encode_sq_wqe(first[i]));
    REQUIRE(host.produce(1));
  }
  REQUIRE(rnic.set_producer(extend_index(static_cast<uint32_t>(host.producer()), rnic.consumer())));
  const Plan four = rnic.fetch_plan(rnic.consumer(), rnic.producer(), 512);
  CHECK(four == Plan{{base, 256}});
  const std::vector<uint8_t> got4 = read(four);
  for (size_t i = 0; i < 4; ++i) {
    const auto d = decode_sq_wqe(got4.data() + i * 64, 64);
    REQUIRE(d.status == DecodeStatus::Ok);
    CHECK(d.value.wr_id == 100 + i);
  }
  REQUIRE(rnic.consume(4));
  REQUIRE(host.set_consumer(4));

  // A 3-slot inline Write at index 4: slots 4, 0 and 1.
  SqWqe w;
  w.wr_id = 0xBEEF;
  w.opcode = SqOpcode::RdmaWrite;
  w.is_inline = true;
  w.rkey = 0x33;
  w.remote_addr = 0x9000;
  for (int i = 0; i < 100; ++i) w.inline_data.push_back(static_cast<uint8_t>(0xA0 ^ i));
  w.total_length = 100;
  const std::vector<uint8_t> bytes = encode_sq_wqe(w);
  REQUIRE(bytes.size() == 192);
  const Plan where = host.fetch_plan(4, 7);
  CHECK(where == Plan{{base + 256, 64}, {base, 128}});
  write(where, bytes);
  REQUIRE(host.produce(3));
  CHECK(host.free_slots() == 2);

  REQUIRE(rnic.set_producer(extend_index(static_cast<uint32_t>(host.producer()), rnic.consumer())));
  const Plan fetch = rnic.fetch_plan(rnic.consumer(), rnic.producer(), 512);
  CHECK(fetch == Plan{{base + 256, 64}, {base, 128}});
  const std::vector<uint8_t> got = read(fetch);
  const auto slots = peek_sq_wqe_slots(got.data(), 64);
  REQUIRE(slots.status == DecodeStatus::Ok);
  CHECK(slots.value == 3);
  const auto d = decode_sq_wqe(got.data(), got.size());
  REQUIRE(d.status == DecodeStatus::Ok);
  CHECK(d.value == w);
}

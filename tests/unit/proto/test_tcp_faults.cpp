// Under every wire fault the fixture offers (loss, reordering, duplication, corruption),
// for each congestion control, with and without SACK, the bytes delivered are exactly the
// bytes sent, and the receiver counts the duplicates it trims.
#include <catch2/catch.hpp>

#include <random>

#include "tests/unit/proto/tcp_pair.h"

using namespace rnicsim;
using rnicsim::test::Fault;
using rnicsim::test::Sent;
using rnicsim::test::TcpPair;

TEST_CASE("Byte-identical delivery under loss, reordering, duplication and corruption",
          "[tcp][faults]") {
  const std::string cc = GENERATE(std::string("newreno"), std::string("cubic"), std::string("dctcp"));
  const bool sack = GENERATE(true, false);
  const int kind = GENERATE(0, 1, 2, 3, 4);  // drop, reorder, duplicate, corrupt, all
  tcp::Config cfg;
  cfg.cc = cc;
  cfg.sack = sack;
  cfg.min_rto = Duration::from_ms(5);
  TcpPair w(cfg, 0xFFFFF000u, cfg, 0x7FFFFFF0u);  // both sides cross 2^31 or 2^32
  test::establish(w);
  std::mt19937 rng(1234 + kind);
  int dropped = 0, dup = 0, reordered = 0, corrupt = 0;
  w.fault = [&](const Sent& s) {
    Fault f;
    const uint32_t r = rng() % 100;
    const int k = kind == 4 ? static_cast<int>(rng() % 4) : kind;
    if (r >= 6) return f;  // 6 % of segments, both directions
    switch (k) {
      case 0: f.drop = true; ++dropped; break;
      case 1: f.extra_delay = Duration::from_us(3 + rng() % 30); ++reordered; break;
      case 2: f.copies = 2; ++dup; break;
      default: f.corrupt = true; ++corrupt; break;
    }
    (void)s;
    return f;
  };
  const auto da = test::pattern(3 * MiB + 123, 5);
  const auto db = test::pattern(MiB / 2 + 7, 6);
  w.send(TcpPair::A, da.data(), da.size());
  w.send(TcpPair::B, db.data(), db.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked() && w.b.all_acked(); }, Duration::from_s(600)));
  CHECK(w.rec_b.data == da);
  CHECK(w.rec_a.data == db);
  CHECK(dropped + dup + reordered + corrupt > 100);
  if (kind == 2) CHECK(w.b.stats().dup_segments_rx + w.a.stats().dup_segments_rx > 0);
  if (kind == 0 || kind == 3) CHECK(w.a.stats().retransmits > 0);
  CHECK(w.corrupted == corrupt);
}

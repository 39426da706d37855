// Timestamps (RFC 7323): every segment carries TSval (1 ms clock plus the per-connection
// offset) and echoes TS.Recent; PAWS (5.3) drops a segment whose TSval is older than
// TS.Recent and acknowledges it; the same bytes with a current TSval are accepted.
#include <catch2/catch.hpp>

#include "tests/unit/proto/tcp_pair.h"

using namespace rnicsim;
using namespace rnicsim::wire::tcp_flags;
using rnicsim::test::Sent;
using rnicsim::test::TcpPair;

TEST_CASE("Timestamps are echoed, then PAWS drops an old duplicate", "[tcp][timestamps][paws]") {
  tcp::Config cfg;
  const uint32_t ia = 1000, ib = 5000;
  TcpPair w(cfg, ia, cfg, ib);
  test::establish(w);
  w.now = Duration::from_ms(7);
  const auto d1 = test::pattern(100, 1);
  w.send(TcpPair::A, d1.data(), d1.size());
  w.run_until(Duration::from_ms(100));
  const auto a = w.sent_by(TcpPair::A, true);
  REQUIRE(a.size() == 1);
  CHECK(a[0].hdr.opts.has_timestamps);
  CHECK(a[0].hdr.opts.ts_val == 7 + 100);   // 7 ms, A's offset 100
  CHECK(a[0].hdr.opts.ts_ecr == 0 + 200);   // B's last TSval: the SYN-ACK at 0 ms
  const Sent& ack = w.log.back();
  REQUIRE(ack.from == TcpPair::B);
  CHECK(ack.hdr.opts.ts_ecr == 107);        // B echoes A's TSval
  CHECK(ack.at == a[0].at + w.delay + cfg.delayed_ack);
  CHECK(ack.hdr.opts.ts_val == 47 + 200);   // 7 ms + 10 us + 40 ms delayed ACK, 1 ms clock

  // An old duplicate: next in sequence, but TSval before TS.Recent (107).
  const size_t before = w.log.size();
  wire::TcpHeader old = a[0].hdr;
  old.seq = ia + 1 + 100;
  old.opts.ts_val = 106;
  const auto d2 = test::pattern(50, 2);
  w.inject(TcpPair::B, old, d2);
  CHECK(w.b.stats().paws_drops == 1);
  CHECK(w.rec_b.data == d1);  // not delivered
  REQUIRE(w.log.size() == before + 1);
  CHECK(w.log.back().hdr.flags == kAck);  // acknowledged at once
  CHECK(w.log.back().hdr.ack == ia + 1 + 100);
  // The same bytes with a current TSval are accepted.
  old.opts.ts_val = 108;
  w.inject(TcpPair::B, old, d2);
  std::vector<uint8_t> both = d1;
  both.insert(both.end(), d2.begin(), d2.end());
  CHECK(w.rec_b.data == both);
  CHECK(w.b.stats().paws_drops == 1);
  // A RST is never subject to PAWS (RFC 7323 5.3 R1).
  wire::TcpHeader rst{};
  rst.seq = ia + 1 + 150;
  rst.flags = kRst;
  rst.opts.has_timestamps = true;
  rst.opts.ts_val = 1;
  w.inject(TcpPair::B, rst);
  CHECK(w.b.state() == tcp::State::Closed);
  CHECK(w.b.close_reason() == tcp::CloseReason::Reset);
}

// Sequence numbers across 2^32 (RFC 9293 3.4): an ISN just below 2^32; holes on both sides
// of the wrap are SACKed, recovered and delivered intact; SACK blocks, the scoreboard and
// the out-of-order queue all compare modulo 2^32.
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/unit/proto/tcp_pair.h"

using namespace rnicsim;
using namespace rnicsim::wire::tcp_flags;
using rnicsim::test::Sent;
using rnicsim::test::TcpPair;

TEST_CASE("ISN near 2^32: SACK recovery of holes either side of the wrap", "[tcp][seq][wrap]") {
  const bool sack = GENERATE(true, false);
  tcp::Config cfg;
  cfg.sack = sack;
  const uint32_t mss = 1448;
  const uint32_t ia = 0u - 3 * mss - 1;  // data starts 3 segments below 2^32
  const uint32_t ib = 0xFFFFFFFFu;       // B's SYN takes the last number: its data starts at 0
  TcpPair w(cfg, ia, cfg, ib);
  test::establish(w);
  REQUIRE(w.a.emss() == mss);
  auto seg = [&](int k) { return ia + 1 + static_cast<uint32_t>(k) * mss; };
  REQUIRE(seg(3) == 0);
  // Lose segment 2 (the last below 2^32) and segment 4 (the second above).
  w.drop = [&](const Sent& s) {
    return s.from == TcpPair::A && !s.payload.empty() && (s.hdr.seq == seg(2) || s.hdr.seq == seg(4)) &&
           w.a.stats().retransmits == 0;
  };
  const size_t start = w.log.size();
  const auto data = test::pattern(20 * mss, 8);
  const auto back = test::pattern(5000, 9);
  w.send(TcpPair::A, data.data(), data.size());
  w.send(TcpPair::B, back.data(), back.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked() && w.b.all_acked(); }, Duration::from_s(5)));
  CHECK(w.rec_b.data == data);
  CHECK(w.rec_a.data == back);
  CHECK(w.sent_by(TcpPair::B, true).front().hdr.seq == 0);

  std::vector<uint32_t> seen, resent;
  for (const Sent& s : w.sent_by(TcpPair::A, true)) {
    if (std::find(seen.begin(), seen.end(), s.hdr.seq) != seen.end()) resent.push_back(s.hdr.seq);
    seen.push_back(s.hdr.seq);
  }
  CHECK(resent == std::vector<uint32_t>{seg(2), seg(4)});
  CHECK(w.a.stats().timeouts == 0);
  CHECK(w.a.stats().fast_retransmits == 1);
  if (sack) {
    // The first duplicate ACK SACKs segment 3, [0, 1448): the block starts at the wrap.
    const Sent* first = nullptr;
    const Sent* second = nullptr;
    for (size_t i = start; i < w.log.size(); ++i) {
      if (w.log[i].from != TcpPair::B || w.log[i].hdr.opts.sack_count == 0) continue;
      if (!first) first = &w.log[i];
      else if (!second) second = &w.log[i];
    }
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->hdr.ack == seg(2));
    CHECK(first->hdr.opts.sack[0].left == 0u);
    CHECK(first->hdr.opts.sack[0].right == mss);
    REQUIRE(second->hdr.opts.sack_count == 2);
    CHECK(second->hdr.opts.sack[0].left == seg(5));
    CHECK(second->hdr.opts.sack[0].right == seg(6));
    CHECK(second->hdr.opts.sack[1].left == 0u);
    CHECK(w.a.stats().sack_retransmits == 1);
  } else {
    CHECK(w.a.stats().partial_acks == 1);
  }
}

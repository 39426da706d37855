// Reordering below the duplicate threshold (RFC 5681 3.2, RFC 6675 IsLost): a segment
// overtaken by two others draws two duplicate ACKs and no retransmission; the data
// arrives intact.
#include <catch2/catch.hpp>

#include "tests/unit/proto/tcp_pair.h"

using namespace rnicsim;
using namespace rnicsim::wire::tcp_flags;
using rnicsim::test::Fault;
using rnicsim::test::Sent;
using rnicsim::test::TcpPair;

TEST_CASE("Reordering by two segments: two duplicate ACKs, no retransmission", "[tcp][reorder]") {
  const bool sack = GENERATE(true, false);
  tcp::Config cfg;
  cfg.sack = sack;
  const uint32_t ia = 77, ib = 99;
  TcpPair w(cfg, ia, cfg, ib);
  test::establish(w);
  const uint32_t mss = w.a.emss();
  auto seg = [&](int k) { return ia + 1 + static_cast<uint32_t>(k) * mss; };
  // Segment 2 of 5 arrives just after segments 3 and 4.
  w.fault = [&](const Sent& s) {
    Fault f;
    if (s.from == TcpPair::A && s.hdr.seq == seg(2) && !s.payload.empty()) f.extra_delay = Duration{1};
    return f;
  };
  const size_t start = w.log.size();
  const auto data = test::pattern(5 * mss, 11);
  w.send(TcpPair::A, data.data(), data.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(5)));
  w.run_until(Duration::from_s(5));
  CHECK(w.rec_b.data == data);

  std::vector<Sent> b;
  for (size_t i = start; i < w.log.size(); ++i)
    if (w.log[i].from == TcpPair::B) b.push_back(w.log[i]);
  // B: ACK of segments 0-1 (second full segment), duplicates for 3 and 4 (immediate,
  // out of order), then the filled hole acknowledged at once up to the end.
  REQUIRE(b.size() == 4);
  CHECK(b[0].hdr.ack == seg(2));
  CHECK(b[1].hdr.ack == seg(2));
  CHECK(b[2].hdr.ack == seg(2));
  CHECK(b[3].hdr.ack == seg(5));
  if (sack) {
    REQUIRE(b[1].hdr.opts.sack_count == 1);
    CHECK(b[1].hdr.opts.sack[0].left == seg(3));
    CHECK(b[1].hdr.opts.sack[0].right == seg(4));
    REQUIRE(b[2].hdr.opts.sack_count == 1);
    CHECK(b[2].hdr.opts.sack[0].left == seg(3));
    CHECK(b[2].hdr.opts.sack[0].right == seg(5));
    CHECK(b[3].hdr.opts.sack_count == 0);
  }
  CHECK(w.a.stats().dup_acks_rx == 2);
  CHECK(w.a.stats().retransmits == 0);
  CHECK(w.a.stats().fast_retransmits == 0);
  CHECK(w.a.recovery() == tcp::Recovery::Open);
  CHECK(w.b.stats().ooo_segments_rx == 2);
  CHECK(w.sent_by(TcpPair::A, true).size() == 5);
}

// SACK-based loss recovery (RFC 6675) with SACK blocks sent per RFC 2018: three holes in
// one window are all repaired within one recovery episode, each retransmitted once, with
// no timeout; the receiver reports the newest block first.
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/unit/proto/tcp_dump.h"

using namespace rnicsim;
using namespace rnicsim::wire::tcp_flags;
using rnicsim::test::Sent;
using rnicsim::test::TcpPair;

TEST_CASE("SACK recovery repairs three holes of one window (RFC 6675)", "[tcp][sack]") {
  tcp::Config cfg;
  const uint32_t ia = 1000, ib = 5000;
  TcpPair w(cfg, ia, cfg, ib);
  test::establish(w);
  REQUIRE(w.a.sack_on());
  const uint32_t mss = w.a.emss();
  REQUIRE(mss == 1448);
  const uint32_t d0 = ia + 1;  // first data byte
  auto seg = [&](int k) { return d0 + static_cast<uint32_t>(k) * mss; };
  // Lose the first transmission of segments 2, 4 and 6.
  w.drop = [&](const Sent& s) {
    if (s.from != TcpPair::A || s.payload.empty()) return false;
    for (int k : {2, 4, 6})
      if (s.hdr.seq == seg(k) && w.a.stats().retransmits == 0) return true;
    return false;
  };
  const size_t start = w.log.size();
  const auto data = test::pattern(40 * mss, 7);
  w.send(TcpPair::A, data.data(), data.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(5)));
  w.run_until(Duration::from_s(5));
  CHECK(w.rec_b.data == data);

  // B's duplicate ACKs: SACK blocks, the newest first (RFC 2018 4), at most three beside
  // the timestamps option.
  std::vector<Sent> dups;
  for (size_t i = start; i < w.log.size(); ++i)
    if (w.log[i].from == TcpPair::B && w.log[i].hdr.opts.sack_count > 0) dups.push_back(w.log[i]);
  REQUIRE(dups.size() >= 5);
  auto block = [&](const Sent& s, int k) {
    return std::make_pair(s.hdr.opts.sack[k].left, s.hdr.opts.sack[k].right);
  };
  CHECK(dups[0].hdr.ack == seg(2));
  REQUIRE(dups[0].hdr.opts.sack_count == 1);
  CHECK(block(dups[0], 0) == std::make_pair(seg(3), seg(4)));
  REQUIRE(dups[1].hdr.opts.sack_count == 2);
  CHECK(block(dups[1], 0) == std::make_pair(seg(5), seg(6)));
  CHECK(block(dups[1], 1) == std::make_pair(seg(3), seg(4)));
  REQUIRE(dups[2].hdr.opts.sack_count == 3);
  CHECK(block(dups[2], 0) == std::make_pair(seg(7), seg(8)));
  CHECK(block(dups[2], 1) == std::make_pair(seg(5), seg(6)));
  CHECK(block(dups[2], 2) == std::make_pair(seg(3), seg(4)));
  // Segment 8 extends the newest block, which stays first.
  REQUIRE(dups[3].hdr.opts.sack_count == 3);
  CHECK(block(dups[3], 0) == std::make_pair(seg(7), seg(9)));

  // A: the third duplicate ACK starts recovery (one episode) and resends segment 2 at
  // once; segments 4 and 6 follow as IsLost marks them, each exactly once, no timeout.
  std::vector<uint32_t> resent;
  const auto a_data = w.sent_by(TcpPair::A, true);
  std::vector<uint32_t> seen;
  for (const Sent& s : a_data) {
    if (std::find(seen.begin(), seen.end(), s.hdr.seq) != seen.end()) resent.push_back(s.hdr.seq);
    seen.push_back(s.hdr.seq);
  }
  CHECK(resent == std::vector<uint32_t>{seg(2), seg(4), seg(6)});
  CHECK(w.a.stats().fast_retransmits == 1);
  CHECK(w.a.stats().retransmits == 3);
  CHECK(w.a.stats().sack_retransmits == 2);  // the first one is the fast retransmit itself
  CHECK(w.a.stats().timeouts == 0);
  CHECK(w.a.stats().dup_acks_rx == 9);
  CHECK(w.a.stats().partial_acks == 2);  // ACKs up to segments 4 and 6
  CHECK(w.a.recovery() == tcp::Recovery::Open);

  // The retransmission of segment 2 follows the third duplicate ACK (log 16) at once,
  // segment 4 follows the fifth (IsLost: three segments SACKed above it), in the same RTT.
  const auto it2 = std::find_if(a_data.begin(), a_data.end(), [&](const Sent& s) {
    return s.hdr.seq == seg(2) && s.index > start + 10;
  });
  REQUIRE(it2 != a_data.end());
  CHECK(it2->at == dups[2].at + w.delay);
  CHECK(std::next(it2)->hdr.seq == seg(4));
  CHECK(std::next(it2)->at == it2->at);

  // ssthresh = FlightSize / 2 at the third duplicate: 12 segments outstanding (10 of the
  // initial window and 4 sent on the first ACK, less the 2 it acknowledged).
  CHECK(w.a.ssthresh() == 6 * mss);
}

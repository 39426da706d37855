// Nagle's algorithm (RFC 9293 3.7.4, RFC 896) and sender silly-window avoidance
// (RFC 9293 3.8.6.2.1): with data unacknowledged, a sub-MSS tail waits for the ACK of all
// of it; `nodelay` sends it at once; a segment the congestion window would cut short
// waits for the window instead.
#include <catch2/catch.hpp>

#include "tests/unit/proto/tcp_pair.h"

using namespace rnicsim;
using namespace rnicsim::wire::tcp_flags;
using rnicsim::test::Sent;
using rnicsim::test::TcpPair;

TEST_CASE("Nagle: a sub-MSS tail waits for the ACK of everything outstanding", "[tcp][nagle]") {
  const bool nodelay = GENERATE(false, true);
  tcp::Config cfg;
  cfg.nodelay = nodelay;
  const uint32_t ia = 500, ib = 600;
  TcpPair w(cfg, ia, cfg, ib);
  test::establish(w);
  const uint32_t mss = w.a.emss();
  const Duration rtt = w.delay * 2;
  // Three full segments and a 1000-byte tail, then another 1000 bytes written 1 us later.
  const size_t start = w.log.size();
  const Duration t0 = w.now;
  const auto data = test::pattern(3 * mss + 2000, 21);
  w.send(TcpPair::A, data.data(), 3 * mss + 1000);
  w.run_until(t0 + Duration::from_us(1));
  w.now = t0 + Duration::from_us(1);
  w.send(TcpPair::A, data.data() + 3 * mss + 1000, 1000);
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(1)));
  CHECK(w.rec_b.data == data);

  std::vector<std::pair<uint32_t, size_t>> segs;  // (offset, length)
  std::vector<Duration> at;
  for (size_t i = start; i < w.log.size(); ++i) {
    const Sent& s = w.log[i];
    if (s.from != TcpPair::A || s.payload.empty()) continue;
    segs.push_back({s.hdr.seq - (ia + 1), s.payload.size()});
    at.push_back(s.at - t0);
  }
  std::vector<std::pair<uint32_t, Duration>> acks;  // B's: (offset acknowledged, when)
  for (size_t i = start; i < w.log.size(); ++i)
    if (w.log[i].from == TcpPair::B) acks.push_back({w.log[i].hdr.ack - (ia + 1), w.log[i].at - t0});
  if (nodelay) {
    // Each write goes out at once: the 1000-byte tail, then the next 1000 bytes alone.
    CHECK(segs[3] == std::make_pair(3 * mss, size_t{1000}));
    CHECK(at[3] == Duration{});
    CHECK(segs[4] == std::make_pair(3 * mss + 1000, size_t{1000}));
    CHECK(at[4] == Duration::from_us(1));
    // B acknowledges at once when more than one receive MSS has come since its last ACK
    // (Linux's __tcp_ack_snd_check): after the first pair, then after the third segment
    // and the tail (2448 bytes); the last 1000 bytes wait for its 40 ms delayed ACK. The
    // tail loss probe waits longer (one segment in flight adds WCDelAckT, 200 ms: RFC
    // 8985 7.2), so nothing is resent.
    REQUIRE(segs.size() == 5);
    REQUIRE(acks.size() == 3);
    CHECK(acks[0] == std::make_pair(2 * mss, w.delay));
    CHECK(acks[1] == std::make_pair(3 * mss + 1000, w.delay));
    CHECK(acks[2].first == 3 * mss + 2000);
    CHECK(acks[2].second == Duration::from_us(1) + w.delay + cfg.delayed_ack);
    CHECK(w.a.stats().tlp_probes == 0);
    CHECK(w.a.stats().retransmits == 0);
  } else {
    // The tail waits; with the second write 2000 bytes are queued: a full segment goes at
    // once, and the 552 left wait until the ACK of everything sent (B acknowledges the
    // fourth full segment at once, the second of a pair) arrives one RTT later.
    REQUIRE(segs.size() == 5);
    CHECK(segs[3] == std::make_pair(3 * mss, size_t{mss}));
    CHECK(at[3] == Duration::from_us(1));
    CHECK(segs[4] == std::make_pair(4 * mss, size_t{2000 - mss}));
    CHECK(at[4] == Duration::from_us(1) + rtt);
    CHECK(w.a.stats().retransmits == 0);
    CHECK(w.a.stats().tlp_probes == 0);
  }
}

TEST_CASE("Sender SWS avoidance: no segment cut short by cwnd while data is in flight", "[tcp][nagle][sws]") {
  tcp::Config cfg;
  cfg.nodelay = true;  // the rule holds without Nagle too
  const uint32_t ia = 700, ib = 800;
  TcpPair w(cfg, ia, cfg, ib);
  test::establish(w);
  const uint32_t mss = w.a.emss();
  const size_t start = w.log.size();
  const auto data = test::pattern(200 * mss, 22);
  w.send(TcpPair::A, data.data(), data.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(1)));
  CHECK(w.rec_b.data == data);
  // Every data segment is full: slow start's byte counting leaves cwnd at multiples of
  // the ACKed bytes, and congestion avoidance would otherwise leave fractions.
  size_t full = 0, n = 0;
  for (size_t i = start; i < w.log.size(); ++i)
    if (w.log[i].from == TcpPair::A && !w.log[i].payload.empty()) {
      ++n;
      if (w.log[i].payload.size() == mss) ++full;
    }
  CHECK(n == 200);
  CHECK(full == 200);
}

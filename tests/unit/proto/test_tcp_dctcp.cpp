// DCTCP (RFC 8257): alpha = (1 - g) alpha + g F per observation window with g = 1/16;
// the reduction cwnd * (1 - alpha/2) once per window; the receiver's ECE mirrors the CE
// mark of the last data segment and a change of state acknowledges what came before at
// once (3.2).
#include <catch2/catch.hpp>

#include <cstdlib>

#include "model/proto/tcp/dctcp.h"
#include "tests/unit/proto/tcp_dump.h"

using namespace rnicsim;
using namespace rnicsim::wire::tcp_flags;
using rnicsim::tcp::AckEvent;
using rnicsim::tcp::Dctcp;
using rnicsim::test::Fault;
using rnicsim::test::Sent;
using rnicsim::test::TcpPair;

TEST_CASE("DCTCP alpha from a known CE pattern, then reduction by alpha/2", "[tcp][dctcp]") {
  constexpr uint32_t smss = 1000;
  Dctcp d;
  d.cwnd = 100 * smss;
  d.ssthresh = 50 * smss;  // congestion avoidance: growth is slow and known
  CHECK(d.alpha() == 1.0);
  // The k-th segment's ACK; when it closes a window of 100, the next 100 are already sent.
  auto ack = [&](uint32_t una, uint32_t nxt, bool ece) {
    if (una == nxt) nxt += 100 * smss;
    AckEvent ev;
    ev.acked = smss;
    ev.smss = smss;
    ev.snd_una = una;
    ev.snd_nxt = nxt;
    ev.ece = ece;
    d.on_ack(ev);
  };
  // Window 1: 100 segments outstanding (0..100000), one in four acknowledged with ECE.
  for (uint32_t k = 1; k <= 100; ++k) ack(k * smss, 100 * smss, k % 4 == 0);
  const double a1 = (1 - 1.0 / 16) * 1.0 + (1.0 / 16) * 0.25;
  CHECK(d.alpha() == Approx(a1).epsilon(1e-15));  // 0.953125
  // Window 2 (to 200000): no marks.
  for (uint32_t k = 101; k <= 200; ++k) ack(k * smss, 200 * smss, false);
  const double a2 = (1 - 1.0 / 16) * a1;
  CHECK(d.alpha() == Approx(a2).epsilon(1e-15));
  // Window 3: every byte marked: alpha = (15/16) a2 + 1/16.
  for (uint32_t k = 201; k <= 300; ++k) ack(k * smss, 300 * smss, true);
  const double a3 = (1 - 1.0 / 16) * a2 + 1.0 / 16;
  CHECK(d.alpha() == Approx(a3).epsilon(1e-15));
  // The reduction: cwnd * (1 - alpha/2), and ssthresh follows.
  const uint32_t before = d.cwnd;
  d.on_ecn(0, smss, Duration{});
  CHECK(d.cwnd == static_cast<uint32_t>(before * (1 - a3 / 2)));
  CHECK(d.ssthresh == d.cwnd);
  // A loss halves as NewReno does (3.5).
  d.on_loss(80 * smss, smss, Duration{});
  CHECK(d.ssthresh == 40 * smss);
}

TEST_CASE("DCTCP over a pair: ECE mirrors CE, immediate ACK on a change, one cut per window",
          "[tcp][dctcp]") {
  tcp::Config cfg;
  cfg.cc = "dctcp";
  const uint32_t ia = 1000, ib = 5000;
  TcpPair w(cfg, ia, cfg, ib);
  test::establish(w);
  REQUIRE(w.a.ecn_on());
  const uint32_t mss = w.a.emss();
  auto seg = [&](int k) { return ia + 1 + static_cast<uint32_t>(k) * mss; };
  // Segments 2, 3 and 4 of the first flight of 10 arrive with CE.
  w.fault = [&](const Sent& s) {
    Fault f;
    f.ce = s.from == TcpPair::A && !s.payload.empty() && s.index < 15 &&
           (s.hdr.seq == seg(2) || s.hdr.seq == seg(3) || s.hdr.seq == seg(4));
    return f;
  };
  const size_t start = w.log.size();
  const auto data = test::pattern(10 * mss, 3);
  w.send(TcpPair::A, data.data(), data.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(5)));
  w.run_until(Duration::from_s(5));
  if (std::getenv("TCP_DUMP")) test::dump(w, ia, ib, start);
  CHECK(w.rec_b.data == data);
  std::vector<Sent> b;
  for (size_t i = start; i < w.log.size(); ++i)
    if (w.log[i].from == TcpPair::B) b.push_back(w.log[i]);
  // B's ACKs: segments 0-1 plain; segment 2 (CE) changes the state with nothing pending:
  // 2-3 are ACKed with ECE; segment 4 (CE) waits for the delayed ACK; segment 5 (no CE)
  // changes the state back: ACK up to 5 with ECE at once (3.2), then 5-6, 7-8 plain, and
  // the last segment by the delayed-ACK timer.
  std::vector<std::pair<uint32_t, bool>> got;
  for (const Sent& s : b) got.emplace_back(s.hdr.ack, (s.hdr.flags & kEce) != 0);
  const std::vector<std::pair<uint32_t, bool>> want = {
      {seg(2), false}, {seg(4), true}, {seg(5), true}, {seg(7), false}, {seg(9), false}, {seg(10), false}};
  CHECK(got == want);
  CHECK(w.a.stats().ecn_ece_rx == 2);
  CHECK(w.a.stats().ecn_reductions == 1);
  const auto& dctcp = dynamic_cast<const Dctcp&>(w.a.cc());
  // One observation window (the 10 segments): 3 of 10 segments' bytes acknowledged with
  // ECE -> F = 0.3; alpha = 15/16 + 0.3/16 after the window closes.
  CHECK(dctcp.alpha() == Approx(15.0 / 16 + 0.3 / 16).epsilon(1e-12));
}

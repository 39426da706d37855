// Zero window and the persist timer (RFC 9293 3.8.6.1, RFC 1122 4.2.2.17): while the peer
// offers a zero window the sender sends one-byte probes, first one RTO after the window
// closed, then backing off exponentially; when the window opens, sending resumes.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "tests/unit/proto/tcp_dump.h"

using namespace rnicsim;
using namespace rnicsim::wire::tcp_flags;
using rnicsim::test::Sent;
using rnicsim::test::TcpPair;

TEST_CASE("Zero window: persist probes with backoff, then the transfer resumes", "[tcp][persist]") {
  tcp::Config cfg;
  const uint32_t ia = 1000, ib = 5000;
  TcpPair w(cfg, ia, cfg, ib);
  test::establish(w);
  const uint32_t mss = w.a.emss();
  // B's window reads zero on the wire until A has sent its third probe (the wire rewrites
  // the window field: B itself never runs out of buffer).
  w.mangle = [&](const Sent& s, wire::TcpHeader& h) {
    if (s.from == TcpPair::B && w.a.stats().persist_probes < 3) h.window = 0;
  };
  const size_t start = w.log.size();
  const auto first = test::pattern(2 * mss, 1);
  w.send(TcpPair::A, first.data(), first.size());
  w.run_until(w.now + Duration::from_us(25));  // the ACK (window 0) is back
  REQUIRE(w.a.snd_wnd() == 0);
  REQUIRE(w.a.all_acked());
  const Duration closed_at = w.now;
  const auto more = test::pattern(10 * mss, 2);
  w.send(TcpPair::A, more.data(), more.size());
  CHECK(w.sent_by(TcpPair::A, true).size() == 2);  // nothing goes into a zero window
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(10)));
  w.run_until(Duration::from_s(10));
  if (std::getenv("TCP_DUMP")) test::dump(w, ia, ib, start);

  std::vector<uint8_t> all = first;
  all.insert(all.end(), more.begin(), more.end());
  CHECK(w.rec_b.data == all);

  const auto segs = w.sent_by(TcpPair::A, true);
  REQUIRE(segs.size() >= 5);
  // Three probes of one byte each, at SND.UNA: 200 ms after the window closed (the RTO),
  // then 400 and 800 ms later (backoff).
  const uint32_t d = ia + 1 + 2 * mss;
  for (int k = 0; k < 3; ++k) {
    CHECK(segs[2 + k].payload.size() == 1);
    CHECK(segs[2 + k].hdr.seq == d + static_cast<uint32_t>(k));
    CHECK(segs[2 + k].payload[0] == more[static_cast<size_t>(k)]);
  }
  CHECK(segs[2].at == closed_at + Duration::from_ms(200));
  CHECK(segs[3].at == segs[2].at + Duration::from_ms(400));
  CHECK(segs[4].at == segs[3].at + Duration::from_ms(800));
  // The third probe's ACK (after B's 40 ms delayed ACK) reopens the window: full segments.
  REQUIRE(segs.size() == 5 + 10);
  CHECK(segs[5].hdr.seq == d + 3);
  CHECK(segs[5].payload.size() == mss);
  CHECK(segs[5].at == segs[4].at + w.delay * 2 + cfg.delayed_ack);
  CHECK(w.a.stats().persist_probes == 3);
  CHECK(w.a.stats().retransmits == 0);
  CHECK(w.a.stats().timeouts == 0);
}

// RACK loss detection (RFC 8985): a lost retransmission is found by time, one RTT after it
// was sent, without waiting for the RTO; reordering shorter than the reordering window
// (min_RTT / 4) is not taken for loss, longer reordering is, when the window runs out.
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/unit/proto/tcp_pair.h"

using namespace rnicsim;
using namespace rnicsim::wire::tcp_flags;
using rnicsim::test::Fault;
using rnicsim::test::Sent;
using rnicsim::test::TcpPair;

namespace {

/// Sequence numbers A sent more than once, in the order of their resends.
std::vector<uint32_t> resent_by_a(const TcpPair& w) {
  std::vector<uint32_t> seen, resent;
  for (const Sent& s : w.sent_by(TcpPair::A, true)) {
    if (std::find(seen.begin(), seen.end(), s.hdr.seq) != seen.end()) resent.push_back(s.hdr.seq);
    seen.push_back(s.hdr.seq);
  }
  return resent;
}

}  // namespace

TEST_CASE("RACK: a lost retransmission is sent again one RTT later, no RTO", "[tcp][rack]") {
  tcp::Config cfg;
  const uint32_t ia = 1000, ib = 5000;
  TcpPair w(cfg, ia, cfg, ib);
  test::establish(w);
  REQUIRE(w.a.rack_on());
  const uint32_t mss = w.a.emss();
  const Duration rtt = w.delay * 2;  // 20 us
  auto seg = [&](int k) { return ia + 1 + static_cast<uint32_t>(k) * mss; };
  // Segment 2 is lost, and so is its first retransmission.
  int sent2 = 0;
  w.drop = [&](const Sent& s) {
    return s.from == TcpPair::A && !s.payload.empty() && s.hdr.seq == seg(2) && sent2++ < 2;
  };
  const size_t start = w.log.size();
  const Duration t0 = w.now;
  const auto data = test::pattern(40 * mss, 7);
  w.send(TcpPair::A, data.data(), data.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(5)));
  w.run_until(Duration::from_s(5));
  CHECK(w.rec_b.data == data);

  CHECK(resent_by_a(w) == std::vector<uint32_t>{seg(2), seg(2)});
  std::vector<Duration> at;
  for (size_t i = start; i < w.log.size(); ++i)
    if (w.log[i].from == TcpPair::A && w.log[i].hdr.seq == seg(2) && !w.log[i].payload.empty())
      at.push_back(w.log[i].at - t0);
  REQUIRE(at.size() == 3);
  CHECK(at[0] == Duration{});
  // The first retransmission when the SACKs of the initial window arrive (one RTT):
  // RACK marks segment 2 lost at once, three segments being SACKed above it.
  CHECK(at[1] == rtt);
  // The second when the SACK of a segment sent after the first retransmission arrives,
  // one RTT later: RACK.xmit_ts is past the retransmission's and RACK.rtt has elapsed.
  CHECK(at[2] == rtt * 2);
  CHECK(w.a.stats().timeouts == 0);
  CHECK(w.a.stats().retransmits == 2);
  CHECK(w.a.stats().rack_lost == 2);
  CHECK(w.a.stats().fast_retransmits == 1);  // one recovery episode
  CHECK(w.a.min_rtt() == rtt);
  CHECK(w.a.recovery() == tcp::Recovery::Open);
  CHECK(w.a.lost_marks().empty());

  // Without RACK (RFC 6675 alone) the lost retransmission waits for the RTO.
  tcp::Config off = cfg;
  off.rack = false;
  TcpPair v(off, ia, off, ib);
  test::establish(v);
  int sent2v = 0;
  v.drop = [&](const Sent& s) {
    return s.from == TcpPair::A && !s.payload.empty() && s.hdr.seq == seg(2) && sent2v++ < 2;
  };
  v.send(TcpPair::A, data.data(), data.size());
  REQUIRE(v.run_until([&] { return v.a.all_acked(); }, Duration::from_s(5)));
  CHECK(v.rec_b.data == data);
  CHECK(v.a.stats().timeouts == 1);
}

TEST_CASE("RACK: reordering within min_RTT/4 is not loss, beyond it is", "[tcp][rack][reorder]") {
  // Segment 2 of 5 is held back by `late`; segments 3 and 4 are SACKed first (below
  // DupThresh, so the reordering window is min_RTT / 4 = 5 us).
  const int late_us = GENERATE(4, 6);
  tcp::Config cfg;
  const uint32_t ia = 77, ib = 99;
  TcpPair w(cfg, ia, cfg, ib);
  test::establish(w);
  const uint32_t mss = w.a.emss();
  auto seg = [&](int k) { return ia + 1 + static_cast<uint32_t>(k) * mss; };
  w.fault = [&](const Sent& s) {
    Fault f;
    if (s.from == TcpPair::A && s.hdr.seq == seg(2) && !s.payload.empty() && w.a.stats().retransmits == 0)
      f.extra_delay = Duration::from_us(late_us);
    return f;
  };
  const size_t start = w.log.size();
  const Duration t0 = w.now;
  const auto data = test::pattern(5 * mss, 11);
  w.send(TcpPair::A, data.data(), data.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(5)));
  w.run_until(Duration::from_s(5));
  CHECK(w.rec_b.data == data);
  CHECK(w.a.min_rtt() == Duration::from_us(20));
  CHECK(w.a.stats().timeouts == 0);
  if (late_us == 4) {
    // The ACK for segment 2 arrives 4 us after the SACKs, within the window.
    CHECK(resent_by_a(w).empty());
    CHECK(w.a.stats().retransmits == 0);
    CHECK(w.a.stats().rack_lost == 0);
    CHECK(w.a.stats().fast_retransmits == 0);
  } else {
    // The reordering timer expires 5 us after the SACKs arrived (at 20 us): segment 2 is
    // marked lost and resent at 25 us, before its late original is acknowledged (26 us).
    CHECK(resent_by_a(w) == std::vector<uint32_t>{seg(2)});
    std::vector<Duration> at;
    for (size_t i = start; i < w.log.size(); ++i)
      if (w.log[i].from == TcpPair::A && w.log[i].hdr.seq == seg(2) && !w.log[i].payload.empty())
        at.push_back(w.log[i].at - t0);
    REQUIRE(at.size() == 2);
    CHECK(at[1] == Duration::from_us(25));
    CHECK(w.a.stats().rack_lost == 1);
    CHECK(w.a.stats().fast_retransmits == 1);
  }
}

TEST_CASE("RACK: once reordering is seen, a segment overtaken by many is not lost", "[tcp][rack][reorder]") {
  // A first, short reordering (segment 2 of 5 behind 3 and 4) sets RACK.reordering_seen;
  // in the next transfer segment 9 is overtaken by the ten segments of its burst after it
  // and arrives 4 us late: RACK keeps the min_RTT/4 (5 us) window and waits, where
  // RFC 6675's DupThresh retransmits it.
  const bool rack = GENERATE(true, false);
  tcp::Config cfg;
  cfg.rack = rack;
  const uint32_t ia = 300, ib = 400;
  TcpPair w(cfg, ia, cfg, ib);
  test::establish(w);
  const uint32_t mss = w.a.emss();
  auto seg = [&](int k) { return ia + 1 + static_cast<uint32_t>(k) * mss; };
  w.fault = [&](const Sent& s) {
    Fault f;
    if (s.from != TcpPair::A || s.payload.empty() || w.a.stats().retransmits > 0) return f;
    if (s.hdr.seq == seg(2)) f.extra_delay = Duration{1};
    if (s.hdr.seq == seg(9)) f.extra_delay = Duration::from_us(4);
    return f;
  };
  const auto first = test::pattern(5 * mss, 12);
  w.send(TcpPair::A, first.data(), first.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(5)));
  CHECK(w.a.stats().retransmits == 0);
  const size_t start = w.log.size();
  const auto second = test::pattern(20 * mss, 13);
  w.send(TcpPair::A, second.data(), second.size());
  // Segments 5 to 19 go in one burst (cwnd 15 after the first transfer).
  CHECK(w.log.size() - start == 15);
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(5)));
  w.run_until(Duration::from_s(5));
  std::vector<uint8_t> all = first;
  all.insert(all.end(), second.begin(), second.end());
  CHECK(w.rec_b.data == all);
  CHECK(w.b.stats().ooo_segments_rx == 12);  // 3 and 4, then 10 to 19
  if (rack) {
    CHECK(resent_by_a(w).empty());
    CHECK(w.a.stats().retransmits == 0);
    CHECK(w.a.stats().rack_lost == 0);
    CHECK(w.a.stats().fast_retransmits == 0);
  } else {
    // Fast retransmit of segment 9 at once (then RFC 6675 rule 3 resends the tail).
    const auto resent = resent_by_a(w);
    REQUIRE(!resent.empty());
    CHECK(resent.front() == seg(9));
    CHECK(w.a.stats().fast_retransmits == 1);
  }
  CHECK(w.a.stats().timeouts == 0);
}

TEST_CASE("TLP: a lost last segment is probed two SRTTs after the last ACK, no RTO", "[tcp][rack][tlp]") {
  // The initial window of ten segments, the last lost (or the last two). Nothing follows
  // them, so RACK has no later delivery to go by: the probe timeout (2 SRTT, SRTT 20 us)
  // resends the highest segment, and its ACK (or SACK) repairs the tail.
  const int lost = GENERATE(1, 2);
  tcp::Config cfg;
  const uint32_t ia = 1000, ib = 5000;
  TcpPair w(cfg, ia, cfg, ib);
  test::establish(w);
  const uint32_t mss = w.a.emss();
  const Duration rtt = w.delay * 2;
  REQUIRE(w.a.srtt() == rtt);
  auto seg = [&](int k) { return ia + 1 + static_cast<uint32_t>(k) * mss; };
  w.drop = [&](const Sent& s) {
    return s.from == TcpPair::A && !s.payload.empty() && s.hdr.seq >= seg(10 - lost) && w.a.stats().retransmits == 0;
  };
  const size_t start = w.log.size();
  const Duration t0 = w.now;
  const auto data = test::pattern(10 * mss, 31);
  w.send(TcpPair::A, data.data(), data.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(5)));
  w.run_until(Duration::from_s(5));
  CHECK(w.rec_b.data == data);

  std::vector<std::pair<uint32_t, Duration>> resends;
  std::vector<uint32_t> seen;
  for (size_t i = start; i < w.log.size(); ++i) {
    const Sent& s = w.log[i];
    if (s.from != TcpPair::A || s.payload.empty()) continue;
    if (std::find(seen.begin(), seen.end(), s.hdr.seq) != seen.end()) resends.push_back({s.hdr.seq, s.at - t0});
    seen.push_back(s.hdr.seq);
  }
  CHECK(w.a.stats().timeouts == 0);
  CHECK(w.a.stats().tlp_probes == 1);
  // B acknowledges segments 0 to 7 one RTT after they left; two SRTTs later the probe.
  const Duration probe_at = rtt + rtt * 2;
  if (lost == 1) {
    // The probe fills the hole: its ACK covers everything without a D-SACK, so the loss
    // was real and cwnd is reduced as fast recovery would (RFC 8985 7.4.2): ssthresh is
    // half the two segments outstanding, at least 2 SMSS.
    CHECK(resends == std::vector<std::pair<uint32_t, Duration>>{{seg(9), probe_at}});
    CHECK(w.a.stats().tlp_recoveries == 1);
    CHECK(w.a.stats().fast_retransmits == 0);
    CHECK(w.a.ssthresh() == 2 * mss);
  } else {
    // The probe (segment 9) is SACKed: RACK marks segment 8 lost at once (sent before it,
    // RACK.rtt elapsed) and fast recovery resends it; the recovery answers the loss.
    CHECK(resends == std::vector<std::pair<uint32_t, Duration>>{{seg(9), probe_at}, {seg(8), probe_at + rtt}});
    CHECK(w.a.stats().tlp_recoveries == 0);
    CHECK(w.a.stats().fast_retransmits == 1);
    CHECK(w.a.stats().rack_lost == 1);
  }
}

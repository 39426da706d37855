// ECN (RFC 3168): negotiation on SYN (ECE|CWR) and SYN-ACK (ECE), ECT(0) on new data only,
// the receiver's ECE until CWR, the sender's single reduction per window and CWR.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "tests/unit/proto/tcp_dump.h"

using namespace rnicsim;
using namespace rnicsim::wire::tcp_flags;
using rnicsim::test::Fault;
using rnicsim::test::Sent;
using rnicsim::test::TcpPair;

TEST_CASE("ECN negotiation", "[tcp][ecn]") {
  SECTION("both sides want ECN: ECN-setup SYN and SYN-ACK, ECT on data") {
    tcp::Config cfg;
    cfg.ecn = true;
    TcpPair w(cfg, 1, cfg, 2);
    test::establish(w);
    CHECK(w.log[0].hdr.flags == (kSyn | kEce | kCwr));
    CHECK(w.log[1].hdr.flags == (kSyn | kAck | kEce));
    CHECK(w.log[2].hdr.flags == kAck);
    CHECK(w.a.ecn_on());
    CHECK(w.b.ecn_on());
    for (const Sent& s : w.log) CHECK_FALSE(s.ect);  // never on SYN, SYN-ACK or pure ACKs
    const auto d = test::pattern(5000, 1);
    w.send(TcpPair::A, d.data(), d.size());
    w.run_until(Duration::from_s(1));
    for (const Sent& s : w.sent_by(TcpPair::A, true)) CHECK(s.ect);
    for (const Sent& s : w.sent_by(TcpPair::B)) CHECK_FALSE(s.ect);
  }
  SECTION("the server does not: SYN-ACK without ECE, ECN off on both sides") {
    tcp::Config ca, cb;
    ca.ecn = true;
    TcpPair w(ca, 1, cb, 2);
    test::establish(w);
    CHECK(w.log[0].hdr.flags == (kSyn | kEce | kCwr));
    CHECK(w.log[1].hdr.flags == (kSyn | kAck));
    CHECK_FALSE(w.a.ecn_on());
    CHECK_FALSE(w.b.ecn_on());
    const auto d = test::pattern(5000, 1);
    w.send(TcpPair::A, d.data(), d.size());
    w.run_until(Duration::from_s(1));
    for (const Sent& s : w.sent_by(TcpPair::A, true)) CHECK_FALSE(s.ect);
  }
  SECTION("the client does not: a plain SYN, a plain SYN-ACK") {
    tcp::Config ca, cb;
    cb.ecn = true;
    TcpPair w(ca, 1, cb, 2);
    test::establish(w);
    CHECK(w.log[0].hdr.flags == kSyn);
    CHECK(w.log[1].hdr.flags == (kSyn | kAck));
    CHECK_FALSE(w.b.ecn_on());
  }
  SECTION("dctcp implies ECN") {
    tcp::Config cfg;
    cfg.cc = "dctcp";
    TcpPair w(cfg, 1, cfg, 2);
    test::establish(w);
    CHECK(w.log[0].hdr.flags == (kSyn | kEce | kCwr));
    CHECK(w.a.ecn_on());
  }
}

TEST_CASE("ECE until CWR, then one reduction per window (RFC 3168 6.1.2, 6.1.3)", "[tcp][ecn]") {
  tcp::Config cfg;
  cfg.ecn = true;
  const uint32_t ia = 1000, ib = 5000;
  TcpPair w(cfg, ia, cfg, ib);
  test::establish(w);
  const uint32_t mss = w.a.emss();
  auto seg = [&](int k) { return ia + 1 + static_cast<uint32_t>(k) * mss; };
  // Segments 3 and 6 of the first flight arrive marked CE.
  w.fault = [&](const Sent& s) {
    Fault f;
    f.ce = s.from == TcpPair::A && !s.payload.empty() && (s.hdr.seq == seg(3) || s.hdr.seq == seg(6)) &&
           s.index < 20;
    return f;
  };
  const size_t start = w.log.size();
  const auto data = test::pattern(30 * mss, 2);
  w.send(TcpPair::A, data.data(), data.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(5)));
  w.run_until(Duration::from_s(5));
  if (std::getenv("TCP_DUMP")) test::dump(w, ia, ib, start);
  CHECK(w.rec_b.data == data);
  CHECK(w.b.stats().ecn_ce_rx == 2);

  std::vector<Sent> b, a;
  for (size_t i = start; i < w.log.size(); ++i) (w.log[i].from == TcpPair::B ? b : a).push_back(w.log[i]);
  // B ACKs every second segment: ack 2 (plain), ack 4 (segment 3 was CE: ECE), and every
  // ACK after it carries ECE until a segment with CWR arrives.
  REQUIRE(b.size() >= 3);
  CHECK(b[0].hdr.ack == seg(2));
  CHECK(b[0].hdr.flags == kAck);
  CHECK(b[1].hdr.ack == seg(4));
  CHECK(b[1].hdr.flags == (kAck | kEce));
  // A: one reduction for the window (two ECEs in it), CWR on the first new segment after.
  CHECK(w.a.stats().ecn_reductions == 1);
  CHECK(w.a.stats().retransmits == 0);
  const auto cwr = test::with_flags(a, kCwr);
  REQUIRE(cwr.size() == 1);
  CHECK(!cwr[0].payload.empty());
  CHECK(cwr[0].at == b[1].at + w.delay);
  // No ECE on ACKs B sent after receiving the CWR segment (it arrives one delay later),
  // and every ACK from B[1] up to then has it.
  const Duration cwr_arrival = cwr[0].at + w.delay;
  for (size_t k = 1; k < b.size(); ++k) {
    INFO("B ack " << k << " at " << b[k].at.ps);
    if (b[k].at < cwr_arrival) CHECK((b[k].hdr.flags & kEce));
    if (b[k].at > cwr_arrival) CHECK_FALSE((b[k].hdr.flags & kEce));
  }
  // NewReno's reduction on the first ECE (ack of segment 4): FlightSize then was segments
  // 2..13 (the initial 10 and 4 sent on the first ACK, less 2): ssthresh = 6 segments.
  CHECK(w.a.ssthresh() == 6 * mss);
  // ECE on B's ACKs up to segment 4, 6, 8, 10, 12 and 14: six, then none.
  CHECK(w.a.stats().ecn_ece_rx == 6);
}

// Retransmission timeout (RFC 6298): the first RTO after an RTT sample is
// max(SRTT + 4*RTTVAR, min_rto); each expiry doubles it (5.5); Karn's rule keeps the
// retransmitted segment out of the RTT estimate; cwnd falls to one segment (RFC 5681 3.1).
#include <catch2/catch.hpp>

#include <cstdlib>

#include "tests/unit/proto/tcp_dump.h"

using namespace rnicsim;
using namespace rnicsim::wire::tcp_flags;
using rnicsim::test::Sent;
using rnicsim::test::TcpPair;

TEST_CASE("RTO: a lost tail segment and its first retransmission, then backoff and Karn", "[tcp][rto]") {
  tcp::Config cfg;
  cfg.rack = false;  // the RTO alone: RACK-TLP would probe the lost tail first
  const uint32_t ia = 1000, ib = 5000;
  TcpPair w(cfg, ia, cfg, ib);
  test::establish(w);
  const uint32_t mss = w.a.emss();
  const auto data = test::pattern(3 * mss, 3);
  int tail_sent = 0;
  w.drop = [&](const Sent& s) {
    if (s.from != TcpPair::A || s.hdr.seq != ia + 1 + 2 * mss || s.payload.empty()) return false;
    return ++tail_sent <= 2;  // the original and the first retransmission
  };
  const size_t start = w.log.size();
  w.send(TcpPair::A, data.data(), data.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(5)));
  w.run_until(Duration::from_s(5));
  if (std::getenv("TCP_DUMP")) test::dump(w, ia, ib, start);
  CHECK(w.rec_b.data == data);

  const auto segs = w.sent_by(TcpPair::A, true);
  REQUIRE(segs.size() == 5);
  const Sent& orig = segs[2];
  const Sent& r1 = segs[3];
  const Sent& r2 = segs[4];
  CHECK(orig.hdr.seq == ia + 1 + 2 * mss);
  CHECK(r1.hdr.seq == orig.hdr.seq);
  CHECK(r2.hdr.seq == orig.hdr.seq);
  // The timer restarts on the ACK of the first two segments (RFC 6298 5.3), 20 us after
  // they left; the RTO is the 200 ms minimum (SRTT 20 us), then doubles (5.5).
  const Duration ack_at = orig.at + w.delay * 2;
  CHECK(r1.at == ack_at + Duration::from_ms(200));
  CHECK(r2.at == r1.at + Duration::from_ms(400));
  CHECK(w.a.stats().timeouts == 2);
  CHECK(w.a.stats().retransmits == 2);
  CHECK(w.a.stats().rto_retransmits == 2);
  CHECK(w.a.stats().fast_retransmits == 0);
  // Karn: the ACK of the retransmitted segment (640 ms after the original) is no timed
  // sample, but it echoes the second retransmission's TSval (RFC 7323 4.1): 40 ms on the
  // 1 ms clock (the receiver's delayed ACK), so SRTT = 7/8 x 20 us + 40 ms / 8; the
  // measurement ends the backoff, and the RTO is back at its minimum.
  CHECK(w.a.srtt() == Duration::from_ns(17500) + Duration::from_ms(5));
  CHECK(w.a.rto_now() == Duration::from_ms(200));
  // Loss window: ssthresh = max(FlightSize/2, 2 SMSS) = 2 SMSS, cwnd 1 SMSS, then one
  // segment acknowledged in slow start: 2 SMSS.
  CHECK(w.a.ssthresh() == 2 * mss);
  CHECK(w.a.cwnd() == 2 * mss);
  CHECK(w.a.recovery() == tcp::Recovery::Open);
}

TEST_CASE("RTO gives up after max_retries retransmissions and sends RST", "[tcp][rto]") {
  tcp::Config cfg;
  cfg.rack = false;  // the RTO alone: RACK-TLP would probe the lost tail first
  cfg.max_retries = 3;
  const uint32_t ia = 1000, ib = 5000;
  TcpPair w(cfg, ia, cfg, ib);
  test::establish(w);
  w.drop = [&](const Sent& s) { return s.from == TcpPair::A; };  // the path dies
  const auto data = test::pattern(100, 3);
  const Duration t0 = w.now;
  w.send(TcpPair::A, data.data(), data.size());
  w.run_until(Duration::from_s(60));
  CHECK(w.a.state() == tcp::State::Closed);
  CHECK(w.a.close_reason() == tcp::CloseReason::Timeout);
  const auto segs = w.sent_by(TcpPair::A);
  // Handshake ACK, original, 3 retransmissions at 1 s (initial RTO: SRTT 20 us, but
  // min_rto 200 ms) ... : 200, 400, 800 ms later, then the RST at the fourth expiry.
  std::vector<Sent> tail(segs.end() - 5, segs.end());
  CHECK(tail[0].at == t0);
  CHECK(tail[1].at == t0 + Duration::from_ms(200));
  CHECK(tail[2].at == t0 + Duration::from_ms(600));
  CHECK(tail[3].at == t0 + Duration::from_ms(1400));
  CHECK(tail[4].at == t0 + Duration::from_ms(3000));
  CHECK(tail[4].hdr.flags == (kRst | kAck));
  CHECK(tail[4].hdr.seq == ia + 1 + 100);
  CHECK(w.a.stats().retransmits == 3);
}

TEST_CASE("user_timeout gives up that long after the first retransmission without progress",
          "[tcp][rto]") {
  tcp::Config cfg;
  cfg.rack = false;  // the RTO alone: RACK-TLP would probe the lost tail first
  cfg.user_timeout = Duration::from_ms(1000);
  const uint32_t ia = 1000, ib = 5000;
  TcpPair w(cfg, ia, cfg, ib);
  test::establish(w);
  w.drop = [&](const Sent& s) { return s.from == TcpPair::A; };
  const auto data = test::pattern(100, 3);
  const Duration t0 = w.now;
  w.send(TcpPair::A, data.data(), data.size());
  w.run_until(Duration::from_s(60));
  CHECK(w.a.close_reason() == tcp::CloseReason::Timeout);
  // Expiries at 200 and 600 ms: the first at 200 ms starts the clock; the next backed-off
  // one (1400 ms) is clamped to the user timeout (Linux's tcp_clamp_rto_to_user_timeout):
  // at 1200 ms, 1000 ms have passed: RST instead of a third retransmission.
  const auto segs = w.sent_by(TcpPair::A);
  CHECK(segs.back().hdr.flags == (kRst | kAck));
  CHECK(segs.back().at == t0 + Duration::from_ms(1200));
  CHECK(w.a.stats().retransmits == 2);
}

TEST_CASE("Karn without timestamps: the backed-off RTO stays until an unambiguous sample",
          "[tcp][rto][karn]") {
  tcp::Config cfg;
  cfg.rack = false;
  cfg.timestamps = false;  // nothing says which transmission an ACK answers
  const uint32_t ia = 1000, ib = 5000;
  TcpPair w(cfg, ia, cfg, ib);
  test::establish(w);
  const uint32_t mss = w.a.emss();
  int sent = 0;
  w.drop = [&](const Sent& s) {
    return s.from == TcpPair::A && !s.payload.empty() && s.hdr.seq == ia + 1 && ++sent <= 2;
  };
  const auto one = test::pattern(mss, 5);
  w.send(TcpPair::A, one.data(), one.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(5)));
  // Lost twice, acknowledged after the second retransmission: no sample (RFC 6298 5.7
  // with Karn), SRTT is the handshake's and the RTO keeps its two doublings.
  CHECK(w.a.stats().timeouts == 2);
  CHECK(w.a.srtt() == Duration::from_us(20));
  CHECK(w.a.rto_now() == Duration::from_ms(800));
  // A new segment, timed and acknowledged: a valid sample ends the backoff.
  const auto two = test::pattern(mss, 6);
  w.send(TcpPair::A, two.data(), two.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(10)));
  CHECK(w.a.stats().timeouts == 2);
  CHECK(w.a.rto_now() == Duration::from_ms(200));
  CHECK(w.rec_b.data.size() == 2 * mss);
}

namespace {
// A 64 KiB transfer over a path with a 10 s one-way delay (RTT 20 s, far above the 1 s
// initial RTO): every first transmission is retransmitted before its ACK can come back.
tcp::Config long_path(bool timestamps) {
  tcp::Config cfg;
  cfg.timestamps = timestamps;
  cfg.max_retries = 30;
  return cfg;
}
}  // namespace

TEST_CASE("RTT 20 s: the echoed TSval measures the path, so a 64 KiB transfer converges",
          "[tcp][rto][karn][timestamps]") {
  const tcp::Config cfg = long_path(true);
  TcpPair w(cfg, 1000, cfg, 5000);
  w.delay = Duration::from_s(10);
  w.connect();
  REQUIRE(w.run_until([&] { return w.a.state() == tcp::State::Established; }, Duration::from_s(60)));
  // The SYN went again at 1, 3, 7 and 15 s; the SYN-ACK that answers the first arrives at
  // 20 s and echoes its TSval: SRTT 20 s, RTTVAR 10 s, RTO 60 s.
  CHECK(w.now == Duration::from_s(20));
  CHECK(w.a.srtt() == Duration::from_s(20));
  CHECK(w.a.rto_now() == Duration::from_s(60));
  CHECK(w.a.stats().timeouts == 4);
  const auto data = test::pattern(64 * 1024, 9);
  const Duration t0 = w.now;
  w.send(TcpPair::A, data.data(), data.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(600)));
  CHECK(w.rec_b.data == data);
  // Slow start from the initial window over 20 s round trips, no data timeout.
  CHECK(w.a.stats().timeouts == 4);
  CHECK(w.a.stats().retransmits == 4);
  CAPTURE((w.now - t0).ps);
  CHECK(w.now - t0 <= Duration::from_s(120));
  CHECK(w.a.srtt() >= Duration::from_s(20));
}

TEST_CASE("RTT 20 s without timestamps: Karn's backoff outgrows the RTT and a sample follows",
          "[tcp][rto][karn]") {
  const tcp::Config cfg = long_path(false);
  TcpPair w(cfg, 1000, cfg, 5000);
  w.delay = Duration::from_s(10);
  w.connect();
  REQUIRE(w.run_until([&] { return w.a.state() == tcp::State::Established; }, Duration::from_s(60)));
  // Four SYN retransmissions, no sample: the data starts on the 3 s RTO of RFC 6298 5.7
  // with the four doublings kept: 48 s, above the 20 s RTT.
  CHECK(w.a.rto_now() == Duration::from_s(48));
  CHECK(w.a.stats().timeouts == 4);
  const auto data = test::pattern(64 * 1024, 9);
  const Duration t0 = w.now;
  w.send(TcpPair::A, data.data(), data.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(900)));
  CHECK(w.rec_b.data == data);
  CHECK(w.a.stats().timeouts == 4);
  CAPTURE((w.now - t0).ps);
  CHECK(w.now - t0 <= Duration::from_s(120));
  CHECK(w.a.srtt() >= Duration::from_s(20));
}

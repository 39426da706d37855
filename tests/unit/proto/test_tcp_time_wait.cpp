// TIME_WAIT (RFC 9293 3.6, 3.10.7.4): lasts 2*MSL (configurable); a FIN repeated by the
// peer (our ACK was lost) is acknowledged again and restarts the 2*MSL timer; a segment
// after that is answered with an ACK, not data.
#include <catch2/catch.hpp>

#include "tests/unit/proto/tcp_pair.h"

using namespace rnicsim;
using namespace rnicsim::wire::tcp_flags;
using rnicsim::tcp::State;
using rnicsim::test::Sent;
using rnicsim::test::TcpPair;

TEST_CASE("TIME_WAIT: 2*MSL, restarted by a retransmitted FIN", "[tcp][timewait]") {
  const Duration msl = GENERATE(Duration::from_ms(10), Duration::from_s(30));
  tcp::Config cfg;
  cfg.msl = msl;
  cfg.min_rto = Duration::from_ms(1);  // B resends its FIN 1 ms after the lost ACK
  const uint32_t ia = 1000, ib = 9000;
  TcpPair w(cfg, ia, cfg, ib);
  test::establish(w);
  w.a.close(w.now);
  w.drain(TcpPair::A);
  w.run_until(w.now + Duration::from_us(100));
  REQUIRE(w.a.state() == State::FinWait2);
  // A's ACK of B's FIN is lost once.
  int acks = 0;
  w.drop = [&](const Sent& s) { return s.from == TcpPair::A && s.hdr.flags == kAck && ++acks == 1; };
  w.b.close(w.now);
  w.drain(TcpPair::B);
  const Duration fin_at = w.now;
  REQUIRE(w.run_until([&] { return w.b.state() == State::Closed; }, Duration::from_s(100)));
  CHECK(w.a.state() == State::TimeWait);
  const auto& tr = w.rec_a.transitions;
  REQUIRE(tr.back().to == State::TimeWait);
  CHECK(tr.back().at == fin_at + w.delay);
  // B's FIN again after its RTO; A re-ACKs it (ack = FIN + 1) and restarts 2*MSL.
  const auto fins = test::with_flags(w.sent_by(TcpPair::B), kFin);
  REQUIRE(fins.size() == 2);
  CHECK(fins[1].hdr.seq == fins[0].hdr.seq);
  const Duration refin_arrival = fins[1].at + w.delay;
  const Sent& reack = w.log.back();
  CHECK(reack.from == TcpPair::A);
  CHECK(reack.hdr.flags == kAck);
  CHECK(reack.hdr.ack == ib + 2);
  CHECK(reack.at == refin_arrival);
  w.run_until(Duration::from_s(1000));
  CHECK(w.a.state() == State::Closed);
  CHECK(tr.back().at == refin_arrival + msl * 2);
}

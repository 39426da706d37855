// TCP connection termination (RFC 9293 3.6): the FIN handshake with TIME_WAIT for 2*MSL,
// RST with the exact sequence number, and the RFC 5961 3.2 challenge ACK.
#include <catch2/catch.hpp>

#include <vector>

#include "tests/unit/proto/tcp_pair.h"

using namespace rnicsim;
using namespace rnicsim::wire::tcp_flags;
using rnicsim::tcp::CloseReason;
using rnicsim::tcp::State;
using rnicsim::test::Sent;
using rnicsim::test::TcpPair;
using rnicsim::test::establish;

namespace {


bool is(const test::Transition& t, State from, State to) { return t.from == from && t.to == to; }

}  // namespace

TEST_CASE("FIN handshake: active and passive close, TIME_WAIT lasts 2*MSL", "[tcp][close]") {
  tcp::Config cfg;
  cfg.msl = Duration::from_s(1);
  TcpPair w(cfg, 1000, cfg, 5000);
  establish(w);
  const auto data = test::pattern(3000, 5);
  w.send(TcpPair::A, data.data(), data.size());
  w.run_until(Duration::from_s(1));
  REQUIRE(w.a.all_acked());
  const size_t before_close = w.log.size();

  // Client closes: FIN after the data.
  w.a.close(w.now);
  w.drain(TcpPair::A);
  CHECK(w.a.state() == State::FinWait1);
  REQUIRE(w.log.size() == before_close + 1);
  const Sent& fin_a = w.log.back();
  CHECK(fin_a.hdr.flags == (kFin | kAck));  // 0x11
  CHECK(fin_a.hdr.seq == 1001 + 3000);
  CHECK(fin_a.payload.empty());

  // Server: the FIN is acknowledged at once, CLOSE_WAIT, the application told.
  w.run_until(Duration::from_s(2));
  CHECK(w.b.state() == State::CloseWait);
  CHECK(w.rec_b.peer_fins == 1);
  CHECK(w.a.state() == State::FinWait2);
  const Sent& ack_of_fin = w.log[before_close + 1];
  CHECK(ack_of_fin.from == TcpPair::B);
  CHECK(ack_of_fin.hdr.flags == kAck);
  CHECK(ack_of_fin.hdr.ack == 1001 + 3000 + 1);  // the FIN takes one sequence number
  CHECK(w.rec_b.data == data);

  // Server closes: FIN, LAST_ACK; the client ACKs and enters TIME_WAIT.
  w.b.close(w.now);
  w.drain(TcpPair::B);
  CHECK(w.b.state() == State::LastAck);
  const Sent fin_b = w.log.back();
  CHECK(fin_b.hdr.flags == (kFin | kAck));
  CHECK(fin_b.hdr.seq == 5001);
  CHECK(fin_b.hdr.ack == 4002);
  w.run_until(Duration::from_s(2) + Duration::from_ms(1));
  CHECK(w.a.state() == State::TimeWait);
  CHECK(w.b.state() == State::Closed);
  CHECK(w.b.close_reason() == CloseReason::Normal);
  const Sent& last_ack = w.log.back();
  CHECK(last_ack.from == TcpPair::A);
  CHECK(last_ack.hdr.flags == kAck);
  CHECK(last_ack.hdr.ack == 5002);
  CHECK(last_ack.hdr.seq == 4002);

  // TIME_WAIT ends exactly 2 * MSL after it began.
  w.run_until(Duration::from_s(100));
  CHECK(w.a.state() == State::Closed);
  CHECK(w.a.close_reason() == CloseReason::Normal);

  const auto& ta = w.rec_a.transitions;
  REQUIRE(ta.size() == 6);
  CHECK(is(ta[2], State::Established, State::FinWait1));
  CHECK(is(ta[3], State::FinWait1, State::FinWait2));
  CHECK(ta[3].at == ta[2].at + w.delay * 2);
  CHECK(is(ta[4], State::FinWait2, State::TimeWait));
  CHECK(ta[4].at == fin_b.at + w.delay);
  CHECK(is(ta[5], State::TimeWait, State::Closed));
  CHECK(ta[5].at == ta[4].at + Duration::from_s(2));

  const auto& tb = w.rec_b.transitions;
  REQUIRE(tb.size() == 5);
  CHECK(is(tb[2], State::Established, State::CloseWait));
  CHECK(is(tb[3], State::CloseWait, State::LastAck));
  CHECK(is(tb[4], State::LastAck, State::Closed));
  CHECK(tb[4].at == fin_b.at + w.delay * 2);

  // Nothing was sent twice, and nothing is left to send or to time.
  CHECK(w.a.stats().retransmits == 0);
  CHECK(w.b.stats().retransmits == 0);
  CHECK_FALSE(w.a.has_output());
  CHECK_FALSE(w.b.has_output());
  CHECK(w.a.next_deadline().ps < 0);
  CHECK(w.b.next_deadline().ps < 0);
}

TEST_CASE("RST handling in ESTABLISHED (RFC 5961 3.2)", "[tcp][close][rst]") {
  tcp::Config cfg;
  TcpPair w(cfg, 1000, cfg, 5000);
  establish(w);
  const auto data = test::pattern(1000, 6);
  w.send(TcpPair::A, data.data(), data.size());
  w.run_until(Duration::from_s(1));
  REQUIRE(w.rec_b.data == data);
  const uint32_t rcv_nxt_b = 1001 + 1000;  // B's RCV.NXT
  const size_t before = w.log.size();

  wire::TcpHeader rst;
  rst.flags = kRst;
  rst.window = 0;

  SECTION("exact sequence: the connection resets") {
    rst.seq = rcv_nxt_b;
    w.inject(TcpPair::B, rst);
    CHECK(w.b.state() == State::Closed);
    CHECK(w.b.close_reason() == CloseReason::Reset);
    CHECK(is(w.rec_b.transitions.back(), State::Established, State::Closed));
    CHECK(w.log.size() == before);  // a RST is never answered
    CHECK(w.b.next_deadline().ps < 0);
  }

  SECTION("in-window but not exact: a challenge ACK, no reset") {
    rst.seq = rcv_nxt_b + 1000;
    w.inject(TcpPair::B, rst);
    CHECK(w.b.state() == State::Established);
    CHECK(w.b.close_reason() == CloseReason::None);
    REQUIRE(w.log.size() == before + 1);
    const Sent& challenge = w.log.back();
    CHECK(challenge.from == TcpPair::B);
    CHECK(challenge.hdr.flags == kAck);
    CHECK(challenge.hdr.seq == 5001);
    CHECK(challenge.hdr.ack == rcv_nxt_b);
    CHECK(challenge.payload.empty());
    // The connection still carries data afterwards.
    w.run_until(Duration::from_s(2));
    w.send(TcpPair::A, data.data(), data.size());
    w.run_until(Duration::from_s(3));
    CHECK(w.rec_b.data.size() == 2000);
  }

  SECTION("one below RCV.NXT (outside the window): silently dropped") {
    rst.seq = rcv_nxt_b - 1;
    w.inject(TcpPair::B, rst);
    CHECK(w.b.state() == State::Established);
    CHECK(w.log.size() == before);
  }
}

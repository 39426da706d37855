// RST in every state (RFC 9293 3.10.7, RFC 5961 3.2): an RST whose sequence number is
// exactly RCV.NXT closes the connection in every synchronized state (SYN_RECEIVED:
// refused); one inside the window but not exact draws a challenge ACK; in SYN_SENT an
// RST is accepted only with an ACK of our SYN.
#include <catch2/catch.hpp>

#include <functional>

#include "tests/unit/proto/tcp_pair.h"

using namespace rnicsim;
using namespace rnicsim::wire::tcp_flags;
using rnicsim::tcp::CloseReason;
using rnicsim::tcp::State;
using rnicsim::test::Sent;
using rnicsim::test::TcpPair;

namespace {

constexpr uint32_t kIa = 0x1000, kIb = 0x9000;

/// Brings side `side` of a fresh pair into `target`; returns that side.
int drive(TcpPair& w, State target) {
  tcp::Connection& a = w.a;
  tcp::Connection& b = w.b;
  auto settle = [&] { w.run_until(w.now + Duration::from_ms(1)); };
  switch (target) {
    case State::SynSent:
      w.drop = [](const Sent&) { return true; };
      w.connect();
      return TcpPair::A;
    case State::SynReceived:
      w.drop = [](const Sent& s) { return s.from == TcpPair::B; };
      w.connect();
      w.run_until(Duration::from_us(15));
      return TcpPair::B;
    default: break;
  }
  test::establish(w);
  switch (target) {
    case State::Established: return TcpPair::A;
    case State::FinWait1:
      w.drop = [](const Sent& s) { return s.from == TcpPair::A; };
      a.close(w.now);
      w.drain(TcpPair::A);
      return TcpPair::A;
    case State::FinWait2:
      a.close(w.now);
      w.drain(TcpPair::A);
      settle();
      return TcpPair::A;
    case State::CloseWait:
      a.close(w.now);
      w.drain(TcpPair::A);
      settle();
      return TcpPair::B;
    case State::LastAck:
      a.close(w.now);
      w.drain(TcpPair::A);
      settle();
      w.drop = [](const Sent& s) { return s.from == TcpPair::A; };
      b.close(w.now);
      w.drain(TcpPair::B);
      return TcpPair::B;
    case State::Closing:
      w.drop = [](const Sent& s) { return s.hdr.flags == kAck; };  // the FINs pass, not their ACKs
      a.close(w.now);
      b.close(w.now);
      w.drain(TcpPair::A);
      w.drain(TcpPair::B);
      w.run_until(w.now + Duration::from_us(15));
      return TcpPair::A;
    case State::TimeWait:
      a.close(w.now);
      w.drain(TcpPair::A);
      settle();
      b.close(w.now);
      w.drain(TcpPair::B);
      settle();
      return TcpPair::A;
    default: return -1;
  }
}

}  // namespace

TEST_CASE("RST with the exact sequence closes every synchronized state", "[tcp][rst]") {
  const State target = GENERATE(State::SynReceived, State::Established, State::FinWait1, State::FinWait2,
                                State::CloseWait, State::Closing, State::LastAck, State::TimeWait);
  tcp::Config cfg;
  TcpPair w(cfg, kIa, cfg, kIb);
  const int side = drive(w, target);
  INFO(tcp::to_string(target));
  REQUIRE(w.conn(side).state() == target);
  tcp::Connection& c = w.conn(side);
  w.drop = nullptr;
  const size_t before = w.log.size();

  // In window, not exact: a challenge ACK (RFC 5961 3.2), state unchanged.
  wire::TcpHeader rst{};
  rst.flags = kRst;
  rst.seq = c.rcv_nxt() + 1;
  w.inject(side, rst);
  CHECK(c.state() == target);
  REQUIRE(w.log.size() == before + 1);
  CHECK(w.log.back().hdr.flags == kAck);
  CHECK(w.log.back().hdr.ack == c.rcv_nxt());

  // Exact: closed, no answer.
  rst.seq = c.rcv_nxt();
  w.inject(side, rst);
  CHECK(c.state() == State::Closed);
  CHECK(c.close_reason() == (target == State::SynReceived ? CloseReason::Refused : CloseReason::Reset));
  CHECK(w.log.size() == before + 1);
  CHECK(c.next_deadline().ps < 0);  // every timer stopped
  const auto& tr = w.rec(side).transitions;
  REQUIRE(!tr.empty());
  CHECK(tr.back().from == target);
  CHECK(tr.back().to == State::Closed);
}

TEST_CASE("RST in SYN_SENT: accepted only when it acknowledges the SYN", "[tcp][rst]") {
  tcp::Config cfg;
  TcpPair w(cfg, kIa, cfg, kIb);
  drive(w, State::SynSent);
  REQUIRE(w.a.state() == State::SynSent);
  wire::TcpHeader rst{};
  rst.flags = kRst;  // no ACK: ignored (RFC 9293 3.10.7.3)
  rst.seq = 5;
  w.inject(TcpPair::A, rst);
  CHECK(w.a.state() == State::SynSent);
  rst.flags = kRst | kAck;
  rst.ack = kIa;  // does not acknowledge the SYN: ignored
  w.inject(TcpPair::A, rst);
  CHECK(w.a.state() == State::SynSent);
  rst.ack = kIa + 1;
  w.inject(TcpPair::A, rst);
  CHECK(w.a.state() == State::Closed);
  CHECK(w.a.close_reason() == CloseReason::Refused);
}

TEST_CASE("abort() sends RST|ACK at SND.NXT and closes", "[tcp][rst]") {
  tcp::Config cfg;
  TcpPair w(cfg, kIa, cfg, kIb);
  test::establish(w);
  const auto d = test::pattern(300, 1);
  w.send(TcpPair::A, d.data(), d.size());
  w.a.abort(w.now);
  w.drain(TcpPair::A);
  CHECK(w.log.back().hdr.flags == (kRst | kAck));
  CHECK(w.log.back().hdr.seq == kIa + 1 + 300);
  CHECK(w.a.state() == State::Closed);
  w.run_until(Duration::from_ms(5));
  CHECK(w.b.state() == State::Closed);
  CHECK(w.b.close_reason() == CloseReason::Reset);
}

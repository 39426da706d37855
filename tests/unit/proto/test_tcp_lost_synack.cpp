// A lost SYN-ACK (RFC 9293 3.8.1, RFC 6298): the client's SYN timer fires after the
// initial 1 s RTO; the server answers the repeated SYN with its SYN-ACK at once (and
// restarts its own timer, so no second copy follows); with no timed RTT sample from the
// handshake, data starts with an RTO of 3 s on both sides: RFC 6298 5.7 on one, the echoed
// timestamp's conservative 1 s on the other.
#include <catch2/catch.hpp>

#include "tests/unit/proto/tcp_pair.h"

using namespace rnicsim;
using namespace rnicsim::wire::tcp_flags;
using rnicsim::tcp::State;
using rnicsim::test::Sent;
using rnicsim::test::TcpPair;

TEST_CASE("Lost SYN-ACK: SYN resent at 1 s, SYN-ACK resent on it, RTO 3 s after", "[tcp][handshake][synack]") {
  tcp::Config cfg;
  const uint32_t ia = 0x100, ib = 0x200;
  TcpPair w(cfg, ia, cfg, ib);
  int synacks = 0;
  w.drop = [&](const Sent& s) { return s.hdr.flags == (kSyn | kAck) && ++synacks == 1; };
  w.connect();
  w.run_until(Duration::from_s(5));
  REQUIRE(w.a.state() == State::Established);
  REQUIRE(w.b.state() == State::Established);
  REQUIRE(w.log.size() == 5);
  CHECK(w.log[0].hdr.flags == kSyn);
  CHECK(w.log[0].at == Duration{});
  CHECK(w.log[1].hdr.flags == (kSyn | kAck));
  CHECK(w.log[1].dropped);
  CHECK(w.log[1].at == w.delay);
  CHECK(w.log[2].hdr.flags == kSyn);  // A's SYN timer
  CHECK(w.log[2].hdr.seq == ia);
  CHECK(w.log[2].at == Duration::from_s(1));
  CHECK(w.log[3].hdr.flags == (kSyn | kAck));  // B answers the repeated SYN at once
  CHECK(w.log[3].hdr.seq == ib);
  CHECK(w.log[3].hdr.ack == ia + 1);
  CHECK(w.log[3].at == Duration::from_s(1) + w.delay);
  CHECK(w.log[4].hdr.flags == kAck);
  CHECK(w.log[4].hdr.ack == ib + 1);
  CHECK(w.b.stats().retransmits == 1);
  CHECK(w.a.stats().retransmits == 1);
  // B's state changes: SYN_RECEIVED at the first SYN, ESTABLISHED at the final ACK.
  REQUIRE(w.rec_b.transitions.size() == 2);
  CHECK(w.rec_b.transitions[1].to == State::Established);
  CHECK(w.rec_b.transitions[1].at == Duration::from_s(1) + w.delay * 3);
  // No timed sample (Karn). A's SYN-ACK echoes the first SYN's TSval (B keeps TS.Recent
  // of the SYN it answered first), so the echo measures 1 s: the conservative
  // overestimate of RFC 7323 4.2, SRTT 1 s, RTTVAR 0.5 s, RTO 3 s. B's final ACK echoes
  // the second SYN-ACK, less than one 1 ms tick ago: no figure, so B keeps the 3 s of
  // RFC 6298 5.7.
  CHECK(w.a.srtt() == Duration::from_s(1));
  CHECK(w.a.rto_now() == Duration::from_s(3));
  CHECK(w.b.srtt() == Duration{});
  CHECK(w.b.rto_now() == Duration::from_s(3));
}

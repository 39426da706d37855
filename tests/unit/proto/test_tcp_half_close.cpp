// Half-close (RFC 9293 3.6): after A's FIN, B keeps sending; A, in FIN_WAIT_2, receives
// and acknowledges every byte; B's FIN ends it and A enters TIME_WAIT.
#include <catch2/catch.hpp>

#include "tests/unit/proto/tcp_pair.h"

using namespace rnicsim;
using namespace rnicsim::wire::tcp_flags;
using rnicsim::tcp::State;
using rnicsim::test::Sent;
using rnicsim::test::TcpPair;

TEST_CASE("Half-close: data keeps flowing towards the side that closed", "[tcp][halfclose]") {
  tcp::Config cfg;
  cfg.msl = Duration::from_ms(50);
  cfg.nodelay = true;  // the 1104-byte tail and the FIN go at once (no Nagle)
  const uint32_t ia = 1000, ib = 9000;
  TcpPair w(cfg, ia, cfg, ib);
  test::establish(w);
  const auto da = test::pattern(4000, 1);
  w.send(TcpPair::A, da.data(), da.size());
  w.a.close(w.now);
  w.drain(TcpPair::A);
  const Sent fin = w.log.back();
  CHECK(fin.hdr.flags == (kFin | kAck));
  CHECK(fin.hdr.seq == ia + 1 + 4000);  // the FIN follows the data
  w.run_until(w.now + Duration::from_ms(1));
  CHECK(w.a.state() == State::FinWait2);
  CHECK(w.b.state() == State::CloseWait);
  CHECK(w.rec_b.data == da);

  // B sends 200 KiB after A's FIN, in CLOSE_WAIT.
  const auto db = test::pattern(200 * KiB, 2);
  const size_t mark = w.log.size();
  w.send(TcpPair::B, db.data(), db.size());
  REQUIRE(w.run_until([&] { return w.b.all_acked(); }, Duration::from_s(1)));
  CHECK(w.rec_a.data == db);
  CHECK(w.a.state() == State::FinWait2);
  CHECK(w.b.state() == State::CloseWait);
  // A's ACKs acknowledge B's data and keep acknowledging A's FIN (seq = FIN + 1).
  for (size_t k = mark; k < w.log.size(); ++k)
    if (w.log[k].from == TcpPair::A) CHECK(w.log[k].hdr.seq == ia + 1 + 4000 + 1);
  CHECK(w.log.back().hdr.ack == ib + 1 + 200 * KiB);

  w.b.close(w.now);
  w.drain(TcpPair::B);
  CHECK(w.b.state() == State::LastAck);
  CHECK(w.log.back().hdr.seq == ib + 1 + 200 * KiB);
  w.run_until(w.now + Duration::from_ms(1));
  CHECK(w.a.state() == State::TimeWait);
  CHECK(w.b.state() == State::Closed);
  w.run_until(Duration::from_s(1));
  CHECK(w.a.state() == State::Closed);
  CHECK(w.rec_a.peer_fins == 1);
  CHECK(w.rec_b.peer_fins == 1);
}

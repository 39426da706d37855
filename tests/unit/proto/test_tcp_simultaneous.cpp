// Simultaneous open and simultaneous close (RFC 9293 3.5 figure 7, 3.6 figure 13).
#include <catch2/catch.hpp>

#include "tests/unit/proto/tcp_pair.h"

using namespace rnicsim;
using namespace rnicsim::wire::tcp_flags;
using rnicsim::tcp::CloseReason;
using rnicsim::tcp::State;
using rnicsim::test::Sent;
using rnicsim::test::TcpPair;

namespace {
std::vector<State> path(const test::Recorder& r) {
  std::vector<State> p;
  for (const auto& t : r.transitions) p.push_back(t.to);
  return p;
}
}  // namespace

TEST_CASE("Simultaneous open: SYN, SYN, then SYN-ACK, SYN-ACK, then both ESTABLISHED", "[tcp][simultaneous]") {
  tcp::Config cfg;
  const uint32_t ia = 0xAAAA0000, ib = 0x0000BBBB;
  TcpPair w(cfg, ia, cfg, ib);
  w.connect_simultaneous();
  w.run_until(Duration::from_ms(1));
  REQUIRE(w.log.size() == 4);
  // Both SYNs at 0; each, on the other's SYN, goes to SYN_RECEIVED and sends SYN-ACK
  // with its own ISS and the peer's ISS + 1; no third segment is needed.
  CHECK(w.log[0].hdr.flags == kSyn);
  CHECK(w.log[0].hdr.seq == ia);
  CHECK(w.log[1].hdr.flags == kSyn);
  CHECK(w.log[1].hdr.seq == ib);
  for (int k : {2, 3}) {
    const Sent& s = w.log[static_cast<size_t>(k)];
    CHECK(s.hdr.flags == (kSyn | kAck));
    CHECK(s.at == w.delay);
    CHECK(s.hdr.seq == (s.from == TcpPair::A ? ia : ib));
    CHECK(s.hdr.ack == (s.from == TcpPair::A ? ib + 1 : ia + 1));
    CHECK(s.hdr.opts.has_mss);
  }
  for (int i : {TcpPair::A, TcpPair::B}) {
    CHECK(path(w.rec(i)) == std::vector<State>{State::SynSent, State::SynReceived, State::Established});
    CHECK(w.rec(i).transitions.back().at == w.delay * 2);
    // The SYN-ACK's window is taken unscaled (RFC 7323 2.2): 65535, not 65535 << 7.
    CHECK(w.conn(i).snd_wnd() == 65535);
  }
  // Data flows both ways afterwards.
  const auto da = test::pattern(5000, 1), db = test::pattern(7000, 2);
  w.send(TcpPair::A, da.data(), da.size());
  w.send(TcpPair::B, db.data(), db.size());
  w.run_until(Duration::from_s(1));
  CHECK(w.rec_b.data == da);
  CHECK(w.rec_a.data == db);
}

TEST_CASE("Simultaneous close: FIN_WAIT_1 -> CLOSING -> TIME_WAIT on both sides", "[tcp][simultaneous]") {
  tcp::Config cfg;
  cfg.msl = Duration::from_ms(100);
  const uint32_t ia = 1000, ib = 9000;
  TcpPair w(cfg, ia, cfg, ib);
  test::establish(w);
  const size_t start = w.log.size();
  const Duration t0 = w.now;
  w.a.close(w.now);
  w.b.close(w.now);
  w.drain(TcpPair::A);
  w.drain(TcpPair::B);
  w.run_until(Duration::from_s(1));
  REQUIRE(w.log.size() == start + 4);
  // Two FINs cross; each side ACKs the other's FIN (ack = FIN + 1).
  CHECK(w.log[start].hdr.flags == (kFin | kAck));
  CHECK(w.log[start].hdr.seq == ia + 1);
  CHECK(w.log[start + 1].hdr.flags == (kFin | kAck));
  CHECK(w.log[start + 1].hdr.seq == ib + 1);
  for (size_t k = start + 2; k < start + 4; ++k) {
    const Sent& s = w.log[k];
    CHECK(s.hdr.flags == kAck);
    CHECK(s.hdr.ack == (s.from == TcpPair::A ? ib + 2 : ia + 2));
    CHECK(s.at == t0 + w.delay);
  }
  for (int i : {TcpPair::A, TcpPair::B}) {
    const auto& tr = w.rec(i).transitions;
    REQUIRE(tr.size() >= 4);
    std::vector<State> tail;
    for (size_t k = tr.size() - 4; k < tr.size(); ++k) tail.push_back(tr[k].to);
    CHECK(tail == std::vector<State>{State::FinWait1, State::Closing, State::TimeWait, State::Closed});
    CHECK(tr[tr.size() - 3].at == t0 + w.delay);      // CLOSING when the other FIN arrives
    CHECK(tr[tr.size() - 2].at == t0 + w.delay * 2);  // TIME_WAIT when its ACK arrives
    CHECK(tr.back().at == t0 + w.delay * 2 + Duration::from_ms(200));  // 2 * MSL
    CHECK(w.conn(i).close_reason() == CloseReason::Normal);
    CHECK(w.rec(i).peer_fins == 1);
  }
}

// Window scaling (RFC 7323 2): with a large bandwidth-delay product the flight grows past
// 64 KiB up to the scaled window the receiver offers, and never beyond it.
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/unit/proto/tcp_pair.h"

using namespace rnicsim;
using namespace rnicsim::wire::tcp_flags;
using rnicsim::test::TcpPair;

TEST_CASE("Window scale: the flight reaches the scaled window of a large-BDP path", "[tcp][wscale]") {
  tcp::Config ca, cb;
  ca.wscale = 9;
  ca.sndbuf = 16 * MiB;
  cb.wscale = 5;
  cb.rcvbuf = 8 * MiB;
  const uint32_t ia = 10, ib = 20;
  TcpPair w(ca, ia, cb, ib);
  w.delay = Duration::from_ms(5);  // 10 ms RTT, no bandwidth limit: the BDP is the window
  w.connect();
  w.run_until(Duration::from_ms(30));
  REQUIRE(w.a.state() == tcp::State::Established);
  // SYN and SYN-ACK: unscaled windows (min(buffer, 65535)) and the shifts announced.
  CHECK(w.log[0].hdr.opts.wscale == 9);
  CHECK(w.log[0].hdr.window == 65535);
  CHECK(w.log[1].hdr.opts.wscale == 5);
  CHECK(w.log[1].hdr.window == 65535);
  // B offers min(8 MiB, 65535 << 5) = 2097120 bytes: field 65535 with shift 5.
  const uint32_t offered = 65535u << 5;
  const auto data = test::pattern(16 * MiB, 3);
  w.send(TcpPair::A, data.data(), data.size());
  uint32_t max_flight = 0;
  while (!w.a.all_acked() && w.step(Duration::from_s(30))) {
    max_flight = std::max(max_flight, w.a.in_flight());
    REQUIRE(w.a.in_flight() <= offered);
  }
  CHECK(w.a.snd_wnd() == offered);
  // As many full segments as the window holds: the remainder waits (sender silly-window
  // avoidance, RFC 9293 3.8.6.2.1).
  CHECK(max_flight == offered / w.a.emss() * w.a.emss());
  CHECK(w.rec_b.data == data);
  for (const auto& s : w.sent_by(TcpPair::B))
    if (!(s.hdr.flags & kSyn)) CHECK(s.hdr.window == 65535);
  // A's ACKs carry 4 MiB >> 9.
  for (const auto& s : w.sent_by(TcpPair::A))
    if (!(s.hdr.flags & kSyn)) CHECK(s.hdr.window == (4 * MiB) >> 9);
  CHECK(w.a.stats().retransmits == 0);
}

// Receive back-pressure: bytes the layer above has not drained occupy the receive buffer
// (tcp::Upcalls::held_until). While at least half of it is free the window offered is the
// whole buffer; below that, the free space in whole segments; the right edge never moves
// left (RFC 9293 3.8.6.2.2), and a drained buffer is announced by a window update once
// the edge can move by an MSS (receiver SWS avoidance). The sender slows to the reader.
#include <catch2/catch.hpp>

#include "tests/unit/proto/tcp_dump.h"

using namespace rnicsim;
using rnicsim::test::Sent;
using rnicsim::test::TcpPair;

TEST_CASE("back-pressure: a slow reader shrinks the window, the sender follows it, every byte arrives",
          "[tcp][backpressure]") {
  tcp::Config ca, cb;
  cb.rcvbuf = 64 * KiB;
  const uint32_t ia = 1000, ib = 5000;
  TcpPair w(ca, ia, cb, ib);
  w.rec_b.drain_per_byte = Duration::from_ns(8);  // a 1 Gb/s reader
  test::establish(w);
  const auto data = test::pattern(1 * MiB, 7);
  const Duration start = w.now;
  w.send(TcpPair::A, data.data(), data.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(5)));
  CHECK(w.rec_b.data == data);

  // What B offered: the edge (ACK + window) never moves left; the window falls below the
  // whole buffer (64 KiB, wscale 7: field 512), to a few segments.
  uint64_t edge = 0;
  uint32_t min_wnd = UINT32_MAX;
  bool shrank = false;
  for (const Sent& s : w.sent_by(TcpPair::B)) {
    if (s.hdr.flags & wire::tcp_flags::kSyn) continue;
    const uint32_t wnd = uint32_t{s.hdr.window} << 7;
    const uint64_t e = uint64_t{s.hdr.ack - (ia + 1)} + wnd;
    shrank |= e < edge;
    edge = std::max(edge, e);
    min_wnd = std::min(min_wnd, wnd);
  }
  CHECK_FALSE(shrank);
  CHECK(min_wnd <= 4 * 1460);
  // The reader bounds the transfer: the last byte is drained 8 ns x 1 MiB after the first
  // arrives, and A's last ACK comes no sooner than the buffer's worth before that.
  const Duration drained = Duration::from_ns(8) * static_cast<int64_t>(1 * MiB);
  CHECK(w.now - start >= drained - Duration::from_ns(8) * static_cast<int64_t>(64 * KiB));
  CHECK(w.now - start <= drained + Duration::from_ms(1));
  CHECK(w.a.stats().retransmits == 0);
}

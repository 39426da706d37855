// Duplicate and overlapping segments (RFC 9293 3.10.7.4): bytes below RCV.NXT are trimmed,
// out-of-order ranges merge, a segment straddling old and new data delivers only the new
// part, and the bytes delivered are exactly the stream.
#include <catch2/catch.hpp>

#include "tests/unit/proto/tcp_pair.h"

using namespace rnicsim;
using namespace rnicsim::wire::tcp_flags;
using rnicsim::test::TcpPair;

TEST_CASE("Overlapping and duplicate segments deliver the stream exactly once", "[tcp][overlap]") {
  tcp::Config cfg;
  const uint32_t ia = 0xFFFFFF00u, ib = 5;  // the stream crosses 2^32 after 255 bytes
  TcpPair w(cfg, ia, cfg, ib);
  test::establish(w);
  const auto stream = test::pattern(3000, 21);
  const uint32_t d0 = ia + 1;
  wire::TcpHeader h = w.log[2].hdr;  // A's handshake ACK as a template (timestamps, ack)
  h.flags = kAck | kPsh;
  auto piece = [&](uint32_t from, uint32_t to) {
    h.seq = d0 + from;
    w.inject(TcpPair::B, h, std::vector<uint8_t>(stream.begin() + from, stream.begin() + to));
  };
  piece(0, 300);
  piece(0, 100);      // wholly old: dropped, ACKed
  CHECK(w.b.stats().dup_segments_rx == 1);
  CHECK(w.log.back().hdr.ack == d0 + 300);
  piece(200, 500);    // straddles: 300..500 are new
  CHECK(w.rec_b.data == std::vector<uint8_t>(stream.begin(), stream.begin() + 500));
  piece(1000, 1400);  // out of order
  piece(1200, 1800);  // overlaps it
  piece(900, 1100);   // extends it to the left
  CHECK(w.b.stats().ooo_segments_rx == 3);
  REQUIRE(w.log.back().hdr.opts.sack_count == 1);
  CHECK(w.log.back().hdr.opts.sack[0].left == d0 + 900);
  CHECK(w.log.back().hdr.opts.sack[0].right == d0 + 1800);
  piece(2000, 2100);  // a second range, reported first
  REQUIRE(w.log.back().hdr.opts.sack_count == 2);
  CHECK(w.log.back().hdr.opts.sack[0].left == d0 + 2000);
  CHECK(w.log.back().hdr.opts.sack[1].left == d0 + 900);
  piece(400, 950);    // fills the first hole, overlapping both sides
  CHECK(w.rec_b.data == std::vector<uint8_t>(stream.begin(), stream.begin() + 1800));
  CHECK(w.log.back().hdr.ack == d0 + 1800);
  REQUIRE(w.log.back().hdr.opts.sack_count == 1);
  CHECK(w.log.back().hdr.opts.sack[0].left == d0 + 2000);
  piece(1700, 3000);  // the rest, overlapping the held range
  CHECK(w.rec_b.data == stream);
  CHECK(w.log.back().hdr.ack == d0 + 3000);
  CHECK(w.log.back().hdr.opts.sack_count == 0);
}

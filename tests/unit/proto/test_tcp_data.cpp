// TCP data transfer: in-order delivery, delayed ACK every second full segment
// (RFC 5681 4.2), fast retransmit on the third duplicate ACK (RFC 5681 3.2, RFC 6582),
// retransmission timeout (RFC 6298), sequence numbers across 2^32.
#include <catch2/catch.hpp>

#include <vector>

#include "tests/unit/proto/tcp_pair.h"

using namespace rnicsim;
using namespace rnicsim::wire::tcp_flags;
using rnicsim::tcp::State;
using rnicsim::test::Sent;
using rnicsim::test::TcpPair;

namespace {

void establish_full_mss(TcpPair& w) {
  test::establish(w);
  REQUIRE(w.a.emss() == 1448);
}

size_t pure_acks(const TcpPair& w, int from, size_t first_log_index) {
  size_t n = 0;
  for (size_t i = first_log_index; i < w.log.size(); ++i)
    if (w.log[i].from == from && w.log[i].payload.empty() && w.log[i].hdr.flags == kAck) ++n;
  return n;
}

}  // namespace

TEST_CASE("1 MiB arrives in order and intact, then ACK every second full segment", "[tcp][data]") {
  tcp::Config cfg;
  TcpPair w(cfg, 0x1000, cfg, 0x2000);
  establish_full_mss(w);
  const size_t handshake = w.log.size();

  const auto data = test::pattern(MiB, 42);
  w.send(TcpPair::A, data.data(), data.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(10)));
  w.run_until(Duration::from_s(10));  // let the last delayed ACK go

  CHECK(w.rec_b.data.size() == MiB);
  CHECK(w.rec_b.data == data);
  CHECK(w.a.bytes_acked() == MiB);
  CHECK(w.rec_a.acked == MiB);

  // 1048576 = 724 x 1448 + 224: 725 data segments, none sent twice.
  const auto segs = w.sent_by(TcpPair::A, true);
  REQUIRE(segs.size() == 725);
  for (size_t i = 0; i + 1 < segs.size(); ++i) REQUIRE(segs[i].payload.size() == 1448);
  CHECK(segs.back().payload.size() == 224);
  CHECK(segs.front().hdr.seq == 0x1001);
  CHECK(segs.back().hdr.seq == 0x1001 + 724 * 1448);
  CHECK(w.a.stats().retransmits == 0);
  CHECK(w.a.stats().bytes_tx == MiB);
  CHECK(w.a.stats().dup_acks_rx == 0);

  // B ACKs each second full segment at once (362 ACKs) and the last, short segment after
  // the 40 ms delayed-ACK timer: 363 pure ACKs, the last one 40 ms after that segment.
  CHECK(pure_acks(w, TcpPair::B, handshake) == 363);
  const Sent last_ack = w.sent_by(TcpPair::B).back();
  CHECK(last_ack.hdr.ack == 0x1001 + MiB);
  CHECK(last_ack.at == segs.back().at + w.delay + cfg.delayed_ack);
  // The ACK for segments 1 and 2 acknowledges exactly 2 x 1448.
  const auto b_sent = w.sent_by(TcpPair::B);
  CHECK(b_sent[1].hdr.ack == 0x1001 + 2 * 1448);
  CHECK(b_sent[1].at == segs[1].at + w.delay);
}

TEST_CASE("A dropped segment is recovered by fast retransmit", "[tcp][data][fast_retransmit]") {
  tcp::Config cfg;
  TcpPair w(cfg, 0x10000, cfg, 0x20000);
  establish_full_mss(w);

  int data_segs = 0;
  uint32_t dropped_seq = 0;
  w.drop = [&](const Sent& s) {
    if (s.from != TcpPair::A || s.payload.empty()) return false;
    if (++data_segs != 5) return false;
    dropped_seq = s.hdr.seq;
    return true;
  };
  const size_t n = 100 * 1448;
  const auto data = test::pattern(n, 7);
  w.send(TcpPair::A, data.data(), data.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(10)));

  CHECK(dropped_seq == 0x10001 + 4 * 1448);
  CHECK(w.rec_b.data == data);
  CHECK(w.a.stats().fast_retransmits == 1);
  CHECK(w.a.stats().retransmits == 1);
  CHECK(w.a.stats().timeouts == 0);
  CHECK(w.a.stats().dup_acks_rx >= 3);
  CHECK(w.b.stats().ooo_segments_rx >= 3);

  // The retransmission carries the dropped bytes and leaves when the third duplicate
  // ACK arrives.
  std::vector<Sent> resent;
  for (const Sent& s : w.sent_by(TcpPair::A, true))
    if (s.hdr.seq == dropped_seq) resent.push_back(s);
  REQUIRE(resent.size() == 2);
  CHECK(resent[1].payload == resent[0].payload);
  std::vector<Sent> dupacks;
  for (const Sent& s : w.sent_by(TcpPair::B))
    if (s.hdr.ack == dropped_seq && s.payload.empty()) dupacks.push_back(s);
  REQUIRE(dupacks.size() >= 4);  // the ACK that first reached dropped_seq, then 3 duplicates
  CHECK(resent[1].at == dupacks[3].at + w.delay);
}

TEST_CASE("A dropped last segment is recovered by the retransmission timeout", "[tcp][data][rto]") {
  tcp::Config cfg;
  cfg.rack = false;  // RFC 6298 alone: RACK-TLP's probe repairs this tail (test_tcp_rack.cpp)
  TcpPair w(cfg, 0x30000, cfg, 0x40000);
  establish_full_mss(w);

  const size_t n = 10 * 1448;  // the initial window, the last segment lost
  int data_segs = 0;
  w.drop = [&](const Sent& s) { return s.from == TcpPair::A && !s.payload.empty() && ++data_segs == 10; };
  const auto data = test::pattern(n, 9);
  w.send(TcpPair::A, data.data(), data.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(10)));

  CHECK(w.rec_b.data == data);
  CHECK(w.a.stats().timeouts == 1);
  CHECK(w.a.stats().retransmits == 1);
  CHECK(w.a.stats().fast_retransmits == 0);
  CHECK(w.a.stats().dup_acks_rx == 0);

  const auto segs = w.sent_by(TcpPair::A, true);
  REQUIRE(segs.size() == 11);
  CHECK(segs[10].hdr.seq == segs[9].hdr.seq);
  CHECK(segs[10].payload == segs[9].payload);
  // The last ACK before the timeout is B's delayed ACK for segment 9; the RTO (min_rto
  // 200 ms, as srtt is 20 us) runs from its arrival.
  Sent last_ack;
  for (const Sent& s : w.sent_by(TcpPair::B))
    if (s.at < segs[10].at) last_ack = s;
  CHECK(last_ack.hdr.ack == segs[9].hdr.seq);
  CHECK(last_ack.at == segs[8].at + w.delay + cfg.delayed_ack);
  CHECK(segs[10].at == last_ack.at + w.delay + cfg.min_rto);
  // RFC 5681 (3.1 eq. 4 and the loss window): ssthresh = max(flight/2, 2 SMSS), cwnd 1 SMSS,
  // then slow start on the ACK of the resent segment.
  CHECK(w.a.ssthresh() == 2 * 1448);
}

TEST_CASE("Sequence numbers wrapping across 2^32 deliver intact", "[tcp][data][seq]") {
  tcp::Config cfg;
  // A's data starts 255 bytes before 2^32; B's SYN takes the last sequence number, so its
  // data starts at 0.
  TcpPair w(cfg, 0xFFFFFF00u, cfg, 0xFFFFFFFFu);
  establish_full_mss(w);
  const auto da = test::pattern(256 * KiB, 11), db = test::pattern(100 * KiB + 5, 12);
  w.send(TcpPair::A, da.data(), da.size());
  w.send(TcpPair::B, db.data(), db.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked() && w.b.all_acked(); }, Duration::from_s(10)));
  CHECK(w.rec_b.data == da);
  CHECK(w.rec_a.data == db);
  CHECK(w.a.stats().retransmits == 0);
  CHECK(w.b.stats().retransmits == 0);

  const auto sa = w.sent_by(TcpPair::A, true);
  CHECK(sa[0].hdr.seq == 0xFFFFFF01u);
  CHECK(sa[1].hdr.seq == 0xFFFFFF01u + 1448u);  // = 1448 - 255 = 0x4A9 after the wrap
  CHECK(sa[1].hdr.seq == 0x4A9u);
  CHECK(sa.back().hdr.seq + sa.back().payload.size() == (0xFFFFFF01u + 256 * KiB) % (uint64_t{1} << 32));
  const auto sb = w.sent_by(TcpPair::B, true);
  CHECK(sb[0].hdr.seq == 0u);
  CHECK(w.a.bytes_acked() == 256 * KiB);
  CHECK(w.b.bytes_acked() == 100 * KiB + 5);
}

TEST_CASE("Fast retransmit fires whatever the ISN (RFC 6582: recover starts at the ISS)",
          "[tcp][data][fast_retransmit]") {
  const uint32_t isn = GENERATE(0x10000u, 0x7FFFFF00u, 0x90000000u, 0xFFFFF000u);
  CAPTURE(isn);
  tcp::Config cfg;
  TcpPair w(cfg, isn, cfg, 0x20000);
  establish_full_mss(w);
  int data_segs = 0;
  w.drop = [&](const Sent& s) { return s.from == TcpPair::A && !s.payload.empty() && ++data_segs == 5; };
  const auto data = test::pattern(100 * 1448, 11);
  w.send(TcpPair::A, data.data(), data.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(10)));
  CHECK(w.rec_b.data == data);
  CHECK(w.a.stats().fast_retransmits == 1);
  CHECK(w.a.stats().timeouts == 0);
}

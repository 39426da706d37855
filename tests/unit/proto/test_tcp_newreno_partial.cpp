// NewReno without SACK (RFC 6582): three duplicate ACKs start fast retransmit with
// ssthresh = FlightSize/2 and cwnd = ssthresh + 3*SMSS (RFC 5681 3.2); a partial ACK
// resends the next hole at once and deflates; the full ACK sets cwnd = ssthresh.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>

#include "tests/unit/proto/tcp_dump.h"

using namespace rnicsim;
using namespace rnicsim::wire::tcp_flags;
using rnicsim::test::Sent;
using rnicsim::test::TcpPair;

TEST_CASE("NewReno: two holes in one window, the second resent on the partial ACK", "[tcp][newreno]") {
  tcp::Config cfg;
  cfg.sack = false;
  const uint32_t ia = 1000, ib = 5000;
  TcpPair w(cfg, ia, cfg, ib);
  test::establish(w);
  REQUIRE_FALSE(w.a.sack_on());
  const uint32_t mss = w.a.emss();
  auto seg = [&](int k) { return ia + 1 + static_cast<uint32_t>(k) * mss; };
  w.drop = [&](const Sent& s) {
    return s.from == TcpPair::A && !s.payload.empty() && (s.hdr.seq == seg(2) || s.hdr.seq == seg(5)) &&
           w.a.stats().retransmits == 0;
  };
  const size_t start = w.log.size();
  const auto data = test::pattern(30 * mss, 9);
  w.send(TcpPair::A, data.data(), data.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(5)));
  w.run_until(Duration::from_s(5));
  if (std::getenv("TCP_DUMP")) test::dump(w, ia, ib, start);
  CHECK(w.rec_b.data == data);

  // The retransmissions, in order: segment 2 on the third duplicate ACK, segment 5 on the
  // partial ACK that acknowledges up to it.
  std::vector<Sent> rx;
  std::vector<uint32_t> seen;
  for (const Sent& s : w.sent_by(TcpPair::A, true)) {
    if (std::find(seen.begin(), seen.end(), s.hdr.seq) != seen.end()) rx.push_back(s);
    seen.push_back(s.hdr.seq);
  }
  REQUIRE(rx.size() == 2);
  CHECK(rx[0].hdr.seq == seg(2));
  CHECK(rx[1].hdr.seq == seg(5));
  // B's ACKs: the third duplicate (ack = segment 2) and the partial ACK (ack = segment 5).
  std::vector<Sent> b_acks;
  for (size_t i = start; i < w.log.size(); ++i)
    if (w.log[i].from == TcpPair::B) b_acks.push_back(w.log[i]);
  int dups_before = 0;
  for (const Sent& s : b_acks)
    if (s.hdr.ack == seg(2) && s.at < rx[0].at) ++dups_before;
  CHECK(dups_before == 7);  // one new ACK, then six duplicates from segments 3, 4, 6..9
  const auto partial = std::find_if(b_acks.begin(), b_acks.end(), [&](const Sent& s) { return s.hdr.ack == seg(5); });
  REQUIRE(partial != b_acks.end());
  CHECK(rx[1].at == partial->at + w.delay);
  CHECK(rx[0].at == b_acks[0].at + w.delay);

  // FlightSize at the third duplicate: segments 2..13 (12 segments): ssthresh 6 segments.
  CHECK(w.a.ssthresh() == 6 * mss);
  CHECK(w.a.stats().fast_retransmits == 1);
  CHECK(w.a.stats().partial_acks == 1);
  CHECK(w.a.stats().retransmits == 2);
  CHECK(w.a.stats().timeouts == 0);
  CHECK(w.a.stats().dup_acks_rx == 14);
  CHECK(w.a.stats().sack_retransmits == 0);
  for (const Sent& s : w.log) CHECK(s.hdr.opts.sack_count == 0);
}

TEST_CASE("NewReno cwnd through recovery: inflate, deflate on the partial ACK, ssthresh at exit",
          "[tcp][newreno]") {
  tcp::Config cfg;
  cfg.sack = false;
  const uint32_t ia = 1000, ib = 5000;
  TcpPair w(cfg, ia, cfg, ib);
  test::establish(w);
  const uint32_t mss = w.a.emss();
  auto seg = [&](int k) { return ia + 1 + static_cast<uint32_t>(k) * mss; };
  w.drop = [&](const Sent& s) {
    return s.from == TcpPair::A && !s.payload.empty() && (s.hdr.seq == seg(2) || s.hdr.seq == seg(5)) &&
           w.a.stats().retransmits == 0;
  };
  const auto data = test::pattern(30 * mss, 9);
  w.send(TcpPair::A, data.data(), data.size());
  // Step event by event and watch cwnd as the episode unfolds.
  std::vector<uint32_t> cwnd_on_retransmit;
  uint64_t rx = 0;
  bool saw_exit = false;
  uint32_t cwnd_at_exit = 0;
  tcp::Recovery prev = w.a.recovery();
  while (w.step(Duration::from_s(5))) {
    if (w.a.stats().retransmits != rx) {
      rx = w.a.stats().retransmits;
      cwnd_on_retransmit.push_back(w.a.cwnd());
    }
    if (prev == tcp::Recovery::Fast && w.a.recovery() == tcp::Recovery::Open && !saw_exit) {
      saw_exit = true;
      cwnd_at_exit = w.a.cwnd();
    }
    prev = w.a.recovery();
  }
  REQUIRE(cwnd_on_retransmit.size() == 2);
  // Entering: ssthresh + 3 SMSS = 9 segments, then three more duplicates in the same batch
  // inflate it to 12; the four duplicates of the next round to 16; the partial ACK (3
  // segments) deflates to 16 - 3 + 1 = 14.
  CHECK(cwnd_on_retransmit[0] == 12 * mss);
  CHECK(cwnd_on_retransmit[1] == 14 * mss);
  REQUIRE(saw_exit);
  CHECK(cwnd_at_exit >= 6 * mss);  // ssthresh at exit, then the exit ACK's batch grows it
  CHECK(w.a.ssthresh() == 6 * mss);
  CHECK(w.rec_b.data == data);
}

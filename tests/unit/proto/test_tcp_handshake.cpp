// TCP connection establishment (RFC 9293 3.5): active/passive open, SYN options
// (RFC 7323, RFC 2018), SYN retransmission on the initial RTO (RFC 6298 2.1, 5.5),
// simultaneous open.
#include <catch2/catch.hpp>

#include <vector>

#include "model/wire/tcp.h"
#include "tests/unit/proto/tcp_pair.h"

using namespace rnicsim;
using namespace rnicsim::wire::tcp_flags;
using rnicsim::tcp::State;
using rnicsim::test::Sent;
using rnicsim::test::TcpPair;

namespace {

size_t encoded_length(const wire::TcpHeader& h) {
  uint8_t buf[60];
  return wire::encode_tcp(buf, h);
}

void check_syn_options(const wire::TcpOptions& o) {
  CHECK(o.has_mss);
  CHECK(o.mss == 1460);
  CHECK(o.has_wscale);
  CHECK(o.wscale == 7);
  CHECK(o.sack_permitted);
  CHECK(o.has_timestamps);
}

}  // namespace

TEST_CASE("Active/passive open: three segments, options, EMSS, states", "[tcp][handshake]") {
  tcp::Config cfg;
  TcpPair w(cfg, 1000, cfg, 5000);
  w.connect();
  w.run_until(Duration::from_ms(10));

  REQUIRE(w.log.size() == 3);
  const Sent& syn = w.log[0];
  const Sent& synack = w.log[1];
  const Sent& ack = w.log[2];

  // SYN: A -> B at t = 0.
  CHECK(syn.from == TcpPair::A);
  CHECK(syn.at == Duration{});
  CHECK(syn.hdr.flags == kSyn);  // 0x02 exactly: no ACK, no ECN bits
  CHECK(syn.hdr.seq == 1000);
  CHECK(syn.hdr.window == 65535);  // never scaled in a SYN: min(rcvbuf, 0xFFFF)
  check_syn_options(syn.hdr.opts);
  CHECK(syn.hdr.opts.ts_val == 100);  // 1 ms clock at 0 + ts_offset 100
  CHECK(syn.hdr.opts.ts_ecr == 0);
  // MSS 4 + SACK-permitted 2 + timestamps 10 + NOP 1 + window scale 3 = 20 option bytes.
  CHECK(encoded_length(syn.hdr) == 40);
  CHECK(syn.payload.empty());

  // SYN-ACK: B -> A one delay later.
  CHECK(synack.from == TcpPair::B);
  CHECK(synack.at == Duration::from_us(10));
  CHECK(synack.hdr.flags == (kSyn | kAck));  // 0x12
  CHECK(synack.hdr.seq == 5000);
  CHECK(synack.hdr.ack == 1001);
  CHECK(synack.hdr.window == 65535);
  check_syn_options(synack.hdr.opts);
  CHECK(synack.hdr.opts.ts_val == 200);
  CHECK(synack.hdr.opts.ts_ecr == 100);  // echoes the SYN's TSval
  CHECK(encoded_length(synack.hdr) == 40);

  // ACK: A -> B, no SYN options, timestamps only (NOP NOP TS = 12 bytes).
  CHECK(ack.from == TcpPair::A);
  CHECK(ack.at == Duration::from_us(20));
  CHECK(ack.hdr.flags == kAck);  // 0x10
  CHECK(ack.hdr.seq == 1001);
  CHECK(ack.hdr.ack == 5001);
  CHECK_FALSE(ack.hdr.opts.has_mss);
  CHECK_FALSE(ack.hdr.opts.has_wscale);
  CHECK_FALSE(ack.hdr.opts.sack_permitted);
  CHECK(ack.hdr.opts.has_timestamps);
  CHECK(ack.hdr.opts.ts_ecr == 200);
  CHECK(encoded_length(ack.hdr) == 32);
  // The window after the handshake is scaled by 7: 4 MiB >> 7.
  CHECK(ack.hdr.window == 32768);

  for (int i : {TcpPair::A, TcpPair::B}) {
    const tcp::Connection& c = w.conn(i);
    INFO("side " << i);
    CHECK(c.state() == State::Established);
    CHECK(c.peer_mss() == 1460);
    CHECK(c.emss() == 1448);  // 1460 - 12 bytes of timestamps option
    CHECK(c.timestamps_on());
    CHECK(c.sack_on());
    CHECK(c.cwnd() == 10 * 1448);  // RFC 6928 initial window
    CHECK(c.stats().retransmits == 0);
    CHECK(c.stats().timeouts == 0);
    CHECK(c.next_deadline().ps < 0);  // nothing outstanding: no timer armed
  }
  // A timed its SYN: one RTT of 2 x 10 us (RFC 6298 2.2 first sample).
  CHECK(w.a.srtt() == Duration::from_us(20));

  const auto& ta = w.rec_a.transitions;
  REQUIRE(ta.size() == 2);
  CHECK((ta[0].from == State::Closed && ta[0].to == State::SynSent));
  CHECK(ta[0].at == Duration{});
  CHECK((ta[1].from == State::SynSent && ta[1].to == State::Established));
  CHECK(ta[1].at == Duration::from_us(20));
  const auto& tb = w.rec_b.transitions;
  REQUIRE(tb.size() == 2);
  CHECK((tb[0].from == State::Listen && tb[0].to == State::SynReceived));
  CHECK(tb[0].at == Duration::from_us(10));
  CHECK((tb[1].from == State::SynReceived && tb[1].to == State::Established));
  CHECK(tb[1].at == Duration::from_us(30));
}

TEST_CASE("Without timestamps the EMSS is the MSS", "[tcp][handshake]") {
  tcp::Config cfg;
  tcp::Config no_ts = cfg;
  no_ts.timestamps = false;
  TcpPair w(cfg, 1, no_ts, 2);
  w.connect();
  w.run_until(Duration::from_ms(10));
  REQUIRE(w.log.size() == 3);
  CHECK(w.log[0].hdr.opts.has_timestamps);        // A offers them
  CHECK_FALSE(w.log[1].hdr.opts.has_timestamps);  // B declines
  CHECK_FALSE(w.log[2].hdr.opts.has_timestamps);
  CHECK(encoded_length(w.log[2].hdr) == 20);
  CHECK(w.a.emss() == 1460);
  CHECK(w.b.emss() == 1460);
  CHECK_FALSE(w.a.timestamps_on());
}

TEST_CASE("A lost SYN is resent after the initial RTO of 1 s, then backs off", "[tcp][handshake][rto]") {
  tcp::Config cfg;
  REQUIRE(cfg.initial_rto == Duration::from_s(1));

  SECTION("one SYN lost") {
    TcpPair w(cfg, 7, cfg, 9);
    int syns = 0;
    w.drop = [&](const Sent& s) { return s.hdr.flags == kSyn && ++syns == 1; };
    w.connect();
    CHECK(w.a.next_deadline() == Duration::from_s(1));
    w.run_until(Duration::from_s(10));

    REQUIRE(w.log.size() == 4);
    CHECK(w.log[0].dropped);
    CHECK(w.log[0].at == Duration{});
    CHECK(w.log[1].hdr.flags == kSyn);
    CHECK(w.log[1].hdr.seq == 7);  // the same ISS
    CHECK(w.log[1].at == Duration::from_s(1));  // exactly the initial RTO
    check_syn_options(w.log[1].hdr.opts);
    CHECK(w.log[1].hdr.opts.ts_val == 1000 + 100);  // 1 ms clock
    CHECK(w.log[2].hdr.flags == (kSyn | kAck));
    CHECK(w.log[3].hdr.flags == kAck);

    CHECK(w.a.stats().retransmits == 1);
    CHECK(w.a.stats().timeouts == 1);
    CHECK(w.a.state() == State::Established);
    CHECK(w.b.state() == State::Established);
    CHECK(w.rec_a.transitions.back().at == Duration::from_s(1) + Duration::from_us(20));
    // Karn: the retransmitted SYN is not timed, so no RTT sample yet.
    CHECK(w.a.srtt() == Duration{});
  }

  SECTION("two SYNs lost: 1 s, then 2 s more (RFC 6298 5.5)") {
    TcpPair w(cfg, 7, cfg, 9);
    int syns = 0;
    w.drop = [&](const Sent& s) { return s.hdr.flags == kSyn && ++syns <= 2; };
    w.connect();
    w.run_until(Duration::from_s(10));
    const auto syn_times = [&] {
      std::vector<Duration> t;
      for (const Sent& s : w.log)
        if (s.hdr.flags == kSyn) t.push_back(s.at);
      return t;
    }();
    REQUIRE(syn_times.size() == 3);
    CHECK(syn_times[0] == Duration{});
    CHECK(syn_times[1] == Duration::from_s(1));
    CHECK(syn_times[2] == Duration::from_s(3));
    CHECK(w.a.stats().retransmits == 2);
    CHECK(w.a.stats().timeouts == 2);
    CHECK(w.a.state() == State::Established);
  }
}

TEST_CASE("Simultaneous open reaches ESTABLISHED on both sides", "[tcp][handshake]") {
  tcp::Config cfg;
  TcpPair w(cfg, 111, cfg, 222);
  w.connect_simultaneous();
  w.run_until(Duration::from_ms(10));

  for (int i : {TcpPair::A, TcpPair::B}) {
    INFO("side " << i);
    CHECK(w.conn(i).state() == State::Established);
    CHECK(w.conn(i).emss() == 1448);
    const auto& t = w.rec(i).transitions;
    REQUIRE(t.size() == 3);
    CHECK((t[0].from == State::Closed && t[0].to == State::SynSent));
    CHECK((t[1].from == State::SynSent && t[1].to == State::SynReceived));
    CHECK((t[2].from == State::SynReceived && t[2].to == State::Established));
    // Each side sent SYN then SYN-ACK (RFC 9293 figure 8), both with ISS.
    const auto sent = w.sent_by(i);
    REQUIRE(sent.size() >= 2);
    CHECK(sent[0].hdr.flags == kSyn);
    CHECK(sent[1].hdr.flags == (kSyn | kAck));
    CHECK(sent[1].hdr.seq == sent[0].hdr.seq);
    CHECK(sent[1].hdr.ack == (i == TcpPair::A ? 223u : 112u));
  }

  // The connection carries data both ways afterwards.
  const auto da = test::pattern(5000, 1), db = test::pattern(3000, 2);
  w.send(TcpPair::A, da.data(), da.size());
  w.send(TcpPair::B, db.data(), db.size());
  w.run_until(Duration::from_s(1));
  CHECK(w.rec_b.data == da);
  CHECK(w.rec_a.data == db);
}

TEST_CASE("The window of a SYN-ACK is not scaled (RFC 7323 2.2)", "[tcp][handshake][wscale]") {
  // B offers 8 KiB; its SYN-ACK says window 8192 with wscale 7 announced. A must treat
  // the SYN-ACK's window as 8192 bytes, not 8192 << 7, until B sends a non-SYN segment.
  tcp::Config ca, cb;
  cb.rcvbuf = 8 * KiB;
  TcpPair w(ca, 1, cb, 2);
  w.connect();
  w.run_until(Duration::from_ms(1));
  REQUIRE(w.a.state() == State::Established);
  REQUIRE(w.log[1].hdr.window == 8192);

  const auto data = test::pattern(64 * KiB, 3);
  w.send(TcpPair::A, data.data(), data.size());
  // Before any ACK from B, A may have at most 8192 bytes in flight (cwnd is 14480): five
  // full segments, the sixth (1,072 bytes the window holds) waiting for the ACK that widens
  // the window (sender silly-window avoidance, RFC 9293 3.8.6.2.1).
  CHECK(w.a.in_flight() == 5 * w.a.emss());
  w.run_until(Duration::from_s(5));
  CHECK(w.rec_b.data == data);
}

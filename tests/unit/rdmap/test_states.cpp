// The QP state machine: every transition by name, from the states it may leave, with the
// work it flushes; and the RFC 6581 RTR that may open a stream.
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/unit/rdmap/qp_pair.h"

using namespace rnicsim;
using namespace rnicsim::test;
using rdmap::QpState;
using rdmap::Transition;
using rdmap::WcOpcode;
using rdmap::WcStatus;
using wire::RdmapOpcode;

namespace {
std::vector<Transition> whys(const QpSide& s) {
  std::vector<Transition> v;
  for (const auto& t : s.transitions) v.push_back(t.why);
  return v;
}
rdmap::Wqe send_wqe(const host::VirtBuffer& src, uint64_t id, uint64_t len = 10) {
  rdmap::Wqe w;
  w.wr_id = id;
  w.opcode = RdmapOpcode::Send;
  w.local = &src;
  w.local_va = src.va;
  w.length = len;
  return w;
}
}  // namespace

TEST_CASE("states: each transition's target and the states it may leave") {
  struct Want {
    Transition t;
    QpState to;
    std::vector<QpState> from;
  };
  const Want table[] = {
      {Transition::MpaDone, QpState::Rtr, {QpState::Idle}},
      {Transition::Ready, QpState::Rts, {QpState::Rtr}},
      {Transition::Disconnect, QpState::Closing, {QpState::Rts}},
      {Transition::PeerDisconnect, QpState::Closing, {QpState::Rts}},
      {Transition::Closed, QpState::Idle, {QpState::Closing}},
      {Transition::TerminateSent, QpState::Terminate, {QpState::Rts, QpState::Closing}},
      {Transition::TerminateReceived, QpState::Terminate, {QpState::Rts, QpState::Closing}},
      {Transition::LlpClosed, QpState::Error, {QpState::Rts, QpState::Closing}},
      {Transition::NoRoom, QpState::Error, {QpState::Rts, QpState::Closing}},
      {Transition::TerminateDone, QpState::Error, {QpState::Terminate}},
  };
  for (const Want& w : table) {
    INFO(rdmap::to_string(w.t));
    CHECK(rdmap::target(w.t) == w.to);
    for (QpState s : {QpState::Idle, QpState::Rtr, QpState::Rts, QpState::Closing, QpState::Terminate, QpState::Error})
      CHECK(rdmap::allowed(w.t, s) == (std::find(w.from.begin(), w.from.end(), s) != w.from.end()));
  }
}

TEST_CASE("states: attach is IDLE -> RTR -> RTS; work posted before RTS is flushed") {
  QpPair p;
  const auto src = p.a.alloc(0x10000, 10);
  p.a.qp.post_send(send_wqe(src, 1));
  REQUIRE(p.a.cqes.size() == 1);
  CHECK(p.a.cqes[0].status == WcStatus::FlushError);
  CHECK(p.a.cqes[0].opcode == WcOpcode::Send);
  p.connect();
  REQUIRE(p.a.transitions.size() == 2);
  CHECK(p.a.transitions[0].from == QpState::Idle);
  CHECK(p.a.transitions[0].to == QpState::Rtr);
  CHECK(p.a.transitions[0].why == Transition::MpaDone);
  CHECK(p.a.transitions[1].to == QpState::Rts);
  CHECK(p.a.transitions[1].why == Transition::Ready);
  CHECK(p.a.qp.active());
}

TEST_CASE("states: a graceful disconnect: RTS -> CLOSING, posted work ends, FIN; the peer follows; both IDLE") {
  QpPair p;
  p.connect();
  const auto src = p.a.alloc(0x10000, 10);
  const auto rbuf = p.b.alloc(0x40000, 100);
  REQUIRE(p.b.post_recv(1, rbuf, 0, 50));
  REQUIRE(p.b.post_recv(2, rbuf, 50, 50));
  p.auto_ack = false;
  p.a.qp.post_send(send_wqe(src, 7));
  p.a.qp.disconnect();
  p.run();
  CHECK(p.a.qp.state() == QpState::Closing);
  CHECK(p.a.closes == 0);  // the Send is not acknowledged yet
  p.a.qp.post_send(send_wqe(src, 8));  // new work in CLOSING is flushed
  CHECK(p.a.cqes.back().status == WcStatus::FlushError);
  p.ack(QpPair::A);
  p.run();
  const auto sends = p.a.cqes_of(WcOpcode::Send);
  REQUIRE(sends.size() == 2);
  CHECK(sends[0].wr_id == 8);  // flushed at once
  CHECK(sends[1].wr_id == 7);
  CHECK(sends[1].status == WcStatus::Success);
  CHECK(p.a.closes == 1);
  CHECK(whys(p.a) == std::vector<Transition>{Transition::MpaDone, Transition::Ready, Transition::Disconnect,
                                              Transition::Closed});
  CHECK(whys(p.b) == std::vector<Transition>{Transition::MpaDone, Transition::Ready, Transition::PeerDisconnect,
                                              Transition::Closed});
  CHECK(p.a.qp.state() == QpState::Idle);
  CHECK(p.b.qp.state() == QpState::Idle);
  // The receive the Send did not consume is flushed at the close.
  REQUIRE(p.b.cqes.size() == 2);
  CHECK(p.b.cqes[0].status == WcStatus::Success);
  CHECK(p.b.cqes[1].wr_id == 2);
  CHECK(p.b.cqes[1].status == WcStatus::FlushError);
}

TEST_CASE("states: the stream lost under outstanding work: RTS -> ERROR (llp_closed), everything flushed") {
  QpPair p;
  p.connect();
  const auto src = p.a.alloc(0x10000, 10);
  const auto rbuf = p.a.alloc(0x40000, 100);
  REQUIRE(p.a.post_recv(3, rbuf, 0, 100));
  p.hold[QpPair::A] = true;
  p.post(QpPair::A, send_wqe(src, 1));
  p.post(QpPair::A, send_wqe(src, 2));
  p.lose_stream();
  CHECK(whys(p.a).back() == Transition::LlpClosed);
  CHECK(p.a.qp.state() == QpState::Error);
  REQUIRE(p.a.cqes.size() == 3);
  for (const auto& c : p.a.cqes) CHECK(c.status == WcStatus::FlushError);
  CHECK(p.a.cqes[0].opcode == WcOpcode::Send);
  CHECK(p.a.cqes[2].opcode == WcOpcode::Recv);
  // Nothing outstanding at B: its stream closing is llp_closed too (it was in RTS).
  CHECK(whys(p.b).back() == Transition::LlpClosed);
}

TEST_CASE("states: a Terminate sent and received, then the stream's close: TERMINATE -> ERROR on both") {
  QpPair p;
  p.connect();
  p.inject(QpPair::B, ulpdu(untagged(0, 1, 3)));  // no receive posted
  CHECK(whys(p.b) == std::vector<Transition>{Transition::MpaDone, Transition::Ready, Transition::TerminateSent,
                                              Transition::TerminateDone});
  CHECK(whys(p.a) == std::vector<Transition>{Transition::MpaDone, Transition::Ready, Transition::TerminateReceived,
                                              Transition::TerminateDone});
}

TEST_CASE("states: no room for a control FPDU: RTS -> ERROR (no_room)") {
  QpPair p;
  rdmap::MpaParams pa;
  pa.rtr = mpa::RtrType::Write;
  pa.rtr_initiator = true;
  p.a.control_room = false;
  CHECK(!p.a.qp.attach(pa));
  CHECK(p.a.qp.state() == QpState::Error);
  CHECK(whys(p.a).back() == Transition::NoRoom);
  CHECK(p.a.closes == 1);
}

TEST_CASE("rtr: the initiator's RTR is the stream's first FPDU; the responder sends nothing before it") {
  for (auto type : {mpa::RtrType::Write, mpa::RtrType::Send, mpa::RtrType::Read}) {
    INFO(mpa::to_string(type));
    QpPair p;
    rdmap::MpaParams init, resp;
    init.rtr = resp.rtr = type;
    init.rtr_initiator = true;
    const auto src = p.b.alloc(0x10000, 10);
    const auto rbuf = p.a.alloc(0x40000, 100);
    REQUIRE(p.a.post_recv(1, rbuf, 0, 100));
    // The responder is attached and given work first: it waits for the RTR.
    REQUIRE(p.b.qp.attach(resp));
    p.post(QpPair::B, send_wqe(src, 5));
    CHECK(p.sent_by(QpPair::B).empty());
    REQUIRE(p.a.qp.attach(init));
    p.run();
    const auto first = p.sent_by(QpPair::A).at(0);
    CHECK(first.control);
    CHECK(first.bytes == mpa::rtr_ulpdu(type));
    const auto from_b = p.sent_by(QpPair::B);
    // A Read RTR is answered first with a zero-length Read Response, then the Send.
    REQUIRE(from_b.size() == (type == mpa::RtrType::Read ? 2u : 1u));
    if (type == mpa::RtrType::Read) CHECK(mpa::is_rtr_read_response(ConstByteSpan(from_b[0].bytes.data(), from_b[0].bytes.size())));
    CHECK(from_b.back().hdr().opcode == 3);
    CHECK(p.a.cqes_of(WcOpcode::Recv).size() == 1);  // the RTR consumed no receive
    CHECK(p.a.qp.state() == QpState::Rts);
    CHECK(p.b.qp.state() == QpState::Rts);
    CHECK(p.b.counters.fpdus_rx == 1);  // the RTR, counted as an FPDU received
  }
}

TEST_CASE("rtr: a first FPDU that is not the negotiated RTR: LLP 2/0/0x07, no matching RTR") {
  QpPair p;
  rdmap::MpaParams resp;
  resp.rtr = mpa::RtrType::Write;
  REQUIRE(p.b.qp.attach(resp));
  REQUIRE(p.a.qp.attach({}));
  p.inject(QpPair::B, mpa::rtr_ulpdu(mpa::RtrType::Send));
  const auto m = terminate_sent(p, QpPair::B);
  CHECK(m.code == wire::term::MpaNoMatchingRtr);
  CHECK(!m.has_ddp);
  CHECK(p.b.qp.llp_error() == mpa::llp_code::kNoMatchingRtr);
}

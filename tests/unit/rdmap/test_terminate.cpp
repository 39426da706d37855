// Terminates: built by the QP whose check failed (untagged QN 2, MSN 1, MO 0, L; the
// offending DDP header and its segment length attached), received by the peer (its work
// fails with the status the code names), both QPs in TERMINATE until the stream closes,
// then ERROR. And the receive-path checks of tests/unit/iwarp/test_engine_terminate.cpp,
// here through the logic alone.
#include <catch2/catch.hpp>

#include "tests/unit/rdmap/qp_pair.h"

using namespace rnicsim;
using namespace rnicsim::test;
using rdmap::QpState;
using rdmap::WcOpcode;
using rdmap::WcStatus;
using wire::RdmapOpcode;

namespace {
/// Feeds B one forged ULPDU and returns B's Terminate.
wire::TerminateMessage refused(const std::vector<uint8_t>& u, mpa::FpduStatus st = mpa::FpduStatus::Ok) {
  QpPair p;
  p.connect();
  p.inject(QpPair::B, u, st);
  CHECK(p.b.qp.state() != QpState::Rts);
  CHECK(p.b.counters.terminates_tx == 1);
  CHECK(p.a.counters.terminates_rx == 1);
  return terminate_sent(p, QpPair::B);
}
}  // namespace

TEST_CASE("terminate: a Write to an unknown STag: DDP tagged 1/1/0x00 with the header attached; the peer's Write fails") {
  QpPair p;
  p.connect();
  const auto src = p.a.alloc(0x10000, 1000);
  rdmap::Wqe w;
  w.wr_id = 4;
  w.opcode = RdmapOpcode::RdmaWrite;
  w.local = &src;
  w.local_va = src.va;
  w.rkey = 0x00123456;
  w.remote_va = 0x1000;
  w.length = 1000;
  p.auto_ack = false;  // the Terminate arrives before the Write is acknowledged
  rdmap::Wqe later_write = w;
  later_write.wr_id = 5;
  p.a.qp.post_send(w);
  p.a.qp.post_send(later_write);
  p.run();
  const auto m = terminate_sent(p, QpPair::B);
  CHECK(m.code == wire::term::DdpTaggedInvalidStag);
  CHECK(m.has_ddp);
  CHECK(m.ddp_segment_length == 14 + 1000);
  CHECK(m.ddp_header == std::vector<uint8_t>(p.log[0].bytes.begin(), p.log[0].bytes.begin() + 14));
  CHECK(m.rdmap_header.empty());
  CHECK(p.b.placements == 1);
  // The Terminate's layout on the wire: the control word, then the DDP segment length.
  const std::vector<uint8_t> t = p.sent_by(QpPair::B).back().bytes;
  CHECK(t.size() == 18 + 4 + 2 + 14);
  CHECK(t[18] == 0x11);  // layer 1, etype 1
  CHECK(t[19] == 0x00);  // code 0x00
  CHECK(t[20] == 0xC0);  // M and D set, R clear
  CHECK(((t[22] << 8) | t[23]) == 1014);
  // Both sides are in TERMINATE until the stream closes, then in ERROR.
  REQUIRE(p.b.qp.terminate());
  CHECK(p.b.qp.terminate()->sent);
  REQUIRE(p.a.qp.terminate());
  CHECK(!p.a.qp.terminate()->sent);
  CHECK(p.a.qp.terminate()->msg.code == wire::term::DdpTaggedInvalidStag);
  CHECK(p.a.qp.state() == QpState::Error);
  CHECK(p.b.qp.state() == QpState::Error);
  // The initiator's work: the first with the Terminate's status, the rest flushed.
  REQUIRE(p.a.cqes.size() == 2);
  CHECK(p.a.cqes[0].wr_id == 4);
  CHECK(p.a.cqes[0].status == WcStatus::RemoteAccessError);
  CHECK(p.a.cqes[0].opcode == WcOpcode::RdmaWrite);
  CHECK(p.a.cqes[1].status == WcStatus::FlushError);
  CHECK(p.a.cqes[1].opcode == WcOpcode::RdmaWrite);
  CHECK(p.a.closes >= 1);
  CHECK(p.b.closes >= 1);
}

TEST_CASE("terminate: the untagged checks in order: MSN range, invalid QN, versions") {
  const auto u = ulpdu(untagged(0, 9, 3), {1, 2, 3});
  const auto m = refused(u);
  CHECK(m.code == wire::term::DdpUntaggedMsnRange);
  CHECK(m.ddp_segment_length == u.size());
  CHECK(refused(ulpdu(untagged(5, 1, 3))).code == wire::term::DdpUntaggedInvalidQn);
  auto h = untagged(0, 1, 3);
  h.ddp_version = 2;
  CHECK(refused(ulpdu(h)).code == wire::term::DdpUntaggedBadVersion);
  auto t = tagged(0, 0x100, 0);
  t.ddp_version = 0;
  CHECK(refused(ulpdu(t, {9})).code == wire::term::DdpTaggedBadVersion);
  h = untagged(0, 1, 3);
  h.rdmap_version = 2;
  CHECK(refused(ulpdu(h)).code == wire::term::RdmapBadVersion);
}

TEST_CASE("terminate: unexpected opcodes: a Send on QN 1, a Read Response with no Read out, a tagged Send, 0x8") {
  CHECK(refused(ulpdu(untagged(1, 1, 3))).code == wire::term::RdmapUnexpectedOpcode);
  CHECK(refused(ulpdu(tagged(2, 0x100, 0), {1, 2})).code == wire::term::RdmapUnexpectedOpcode);
  CHECK(refused(ulpdu(tagged(3, 0, 0))).code == wire::term::RdmapUnexpectedOpcode);
  CHECK(refused(ulpdu(untagged(0, 1, 0x8))).code == wire::term::RdmapUnexpectedOpcode);
  CHECK(refused(std::vector<uint8_t>{0x41, 0x43, 0}).code == wire::term::RdmapCatastrophicStream);  // truncated
}

TEST_CASE("terminate: an LLP error (CRC, marker) is layer 2 with nothing attached") {
  const auto u = ulpdu(untagged(0, 1, 3));
  auto m = refused(u, mpa::FpduStatus::CrcError);
  CHECK(m.code == wire::term::MpaCrcError);
  CHECK(!m.has_ddp);
  CHECK(m.rdmap_header.empty());
  CHECK(refused(u, mpa::FpduStatus::MarkerMismatch).code == wire::term::MpaMarkerMismatch);
  QpPair p;
  p.connect();
  p.inject(QpPair::B, u, mpa::FpduStatus::CrcError);
  CHECK(p.b.qp.llp_error() == mpa::llp_code::kCrcError);
  CHECK(p.b.counters.crc_errors == 1);
}

TEST_CASE("terminate: the Terminate goes ahead of FPDUs not yet written; nothing after it is sent") {
  QpPair p;
  p.connect();
  const auto src = p.b.alloc(0x10000, 100);
  const auto sink = p.a.alloc(0x20000, 100);
  const uint32_t stag = p.a.reg(sink, placement::access::kRemoteWrite);
  rdmap::Wqe w;
  w.opcode = RdmapOpcode::RdmaWrite;
  w.local = &src;
  w.local_va = src.va;
  w.rkey = stag;
  w.remote_va = sink.va;
  w.length = 100;
  p.b.qp.post_send(w);  // its FPDU waits for its turn (as for its DMA)
  p.b.qp.on_fpdu(ConstByteSpan(), mpa::FpduStatus::CrcError);
  p.run();
  const auto sent = p.sent_by(QpPair::B);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].hdr().opcode == 7);
  CHECK(p.b.cqes.at(0).status == WcStatus::FatalError);
  CHECK(p.b.cqes.at(0).opcode == WcOpcode::RdmaWrite);
}

TEST_CASE("terminate: a received Terminate with a protection error, an untagged one, any other") {
  const std::pair<wire::TermCode, WcStatus> table[] = {
      {wire::term::RdmapAccessRights, WcStatus::RemoteAccessError},
      {wire::term::DdpUntaggedInvalidMo, WcStatus::RemoteInvalidRequest},
      {wire::term::RdmapCatastrophicStream, WcStatus::RemoteOperationError},
  };
  for (const auto& [code, status] : table) {
    QpPair p;
    p.connect();
    const auto src = p.a.alloc(0x10000, 10);
    rdmap::Wqe w;
    w.wr_id = 1;
    w.opcode = RdmapOpcode::Send;
    w.local = &src;
    w.local_va = src.va;
    w.length = 10;
    p.hold[QpPair::A] = true;
    p.post(QpPair::A, w);
    wire::TerminateMessage msg;
    msg.code = code;
    p.inject(QpPair::A, ulpdu(untagged(2, 1, 7), wire::encode_terminate_message(msg)));
    REQUIRE(p.a.cqes.size() == 1);
    CHECK(p.a.cqes[0].status == status);
    CHECK(p.a.cqes[0].opcode == WcOpcode::Send);
    CHECK(p.a.qp.terminate()->msg.code == code);
    // TERMINATE until the stream closes (both FINs), then ERROR.
    REQUIRE(p.a.transitions.size() == 4);
    CHECK(p.a.transitions[2].why == rdmap::Transition::TerminateReceived);
    CHECK(p.a.transitions[2].to == QpState::Terminate);
    CHECK(p.a.transitions[3].why == rdmap::Transition::TerminateDone);
    CHECK(p.a.qp.state() == QpState::Error);
  }
}

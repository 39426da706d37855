// Sends: the four variants on QN 0 (MSN per message, MO per segment), scattered into the
// first posted receive; the sender's completion is Send, the receiver's Recv with the
// length, the solicited flag and the STag invalidated. The receive queue's size: posts
// past rq_depth are refused and counted, and a Send that finds the queue empty is RFC
// 5041's "no buffer available" (DDP 1/2/0x02) in a Terminate.
#include <catch2/catch.hpp>

#include "tests/unit/rdmap/qp_pair.h"

using namespace rnicsim;
using namespace rnicsim::test;
using rdmap::WcOpcode;
using rdmap::WcStatus;
using wire::RdmapOpcode;

namespace {
rdmap::Wqe send_wqe(RdmapOpcode op, const host::VirtBuffer& src, uint64_t len, uint64_t id, uint32_t inv = 0) {
  rdmap::Wqe w;
  w.wr_id = id;
  w.opcode = op;
  w.local = &src;
  w.local_va = src.va;
  w.length = len;
  w.invalidate_stag = inv;
  return w;
}
}  // namespace

TEST_CASE("send: each variant's opcode on the wire and both completions") {
  struct Case {
    RdmapOpcode op;
    bool se, inv;
  };
  for (const Case& c : {Case{RdmapOpcode::Send, false, false}, Case{RdmapOpcode::SendWithSe, true, false},
                        Case{RdmapOpcode::SendWithInvalidate, false, true},
                        Case{RdmapOpcode::SendWithSeInvalidate, true, true}}) {
    INFO(wire::to_string(c.op));
    QpPair p;
    p.connect();
    const auto src = p.a.alloc(0x10000, 300);
    const auto data = pattern(300, 5);
    p.a.put(src, 0, data);
    const auto rbuf = p.b.alloc(0x40000, 4096, 0xEE);
    const auto region = p.b.alloc(0x90000, 4096);
    const uint32_t stag = p.b.reg(region, placement::access::kRemoteWrite);
    REQUIRE(p.b.post_recv(21, rbuf, 0, 4096));
    p.post(QpPair::A, send_wqe(c.op, src, 300, 9, c.inv ? stag : 0));

    const auto sent = p.sent_by(QpPair::A);
    REQUIRE(sent.size() == 1);
    const wire::DdpHeader h = sent[0].hdr();
    CHECK(h.opcode == static_cast<uint8_t>(c.op));
    CHECK(h.qn == 0);
    CHECK(h.msn == 1);
    CHECK(h.mo == 0);
    CHECK(h.last);
    CHECK(h.stag == (c.inv ? stag : 0u));
    CHECK(p.b.get(rbuf, 0, 300) == data);
    CHECK(p.b.get(rbuf, 300, 1)[0] == 0xEE);
    REQUIRE(p.b.cqes.size() == 1);
    CHECK(p.b.cqes[0].opcode == WcOpcode::Recv);
    CHECK(p.b.cqes[0].status == WcStatus::Success);
    CHECK(p.b.cqes[0].wr_id == 21);
    CHECK(p.b.cqes[0].byte_len == 300);
    CHECK(p.b.cqes[0].solicited == c.se);
    CHECK(p.b.cqes[0].invalidated_stag == (c.inv ? stag : 0u));
    CHECK(p.b.regions.find(stag)->invalidated == c.inv);
    REQUIRE(p.a.cqes.size() == 1);
    CHECK(p.a.cqes[0].opcode == WcOpcode::Send);  // not FetchAdd
    CHECK(p.a.cqes[0].status == WcStatus::Success);
    CHECK(p.a.cqes[0].byte_len == 300);
    CHECK(p.b.counters.untagged_bytes_placed == 300);
  }
}

TEST_CASE("send: a message of three segments scatters across two pieces at MO 0, 1424, 2848") {
  QpPair p;
  p.connect();
  const auto src = p.a.alloc(0x10000, 4000);
  const auto data = pattern(4000, 1);
  p.a.put(src, 0, data);
  const auto r1 = p.b.alloc(0x40000, 1000);
  const auto r2 = p.b.alloc(0x80000, 5000);
  rdmap::Rqe rqe;
  rqe.wr_id = 3;
  rqe.sgl = {rdmap::Sge{&r1, r1.va, 1000}, rdmap::Sge{&r2, r2.va + 10, 4000}};
  REQUIRE(p.b.post_recv(rqe));
  p.post(QpPair::A, send_wqe(RdmapOpcode::Send, src, 4000, 4));
  const auto sent = p.sent_by(QpPair::A);
  REQUIRE(sent.size() == 3);  // MULPDU 1442 - 18: 1424 bytes per segment
  for (size_t k = 0; k < 3; ++k) {
    CHECK(sent[k].hdr().msn == 1);
    CHECK(sent[k].hdr().mo == 1424 * k);
    CHECK(sent[k].hdr().last == (k == 2));
  }
  CHECK(p.b.get(r1, 0, 1000) == std::vector<uint8_t>(data.begin(), data.begin() + 1000));
  CHECK(p.b.get(r2, 10, 3000) == std::vector<uint8_t>(data.begin() + 1000, data.end()));
  REQUIRE(p.b.cqes.size() == 1);
  CHECK(p.b.cqes[0].byte_len == 4000);
  // The next message is MSN 2.
  REQUIRE(p.b.post_recv(5, r2, 0, 100));
  p.post(QpPair::A, send_wqe(RdmapOpcode::Send, src, 10, 6));
  CHECK(p.sent_by(QpPair::A).back().hdr().msn == 2);
  CHECK(p.b.cqes.size() == 2);
}

TEST_CASE("send: with the receive queue empty: DDP untagged no buffer 1/2/0x02, the Send fails remote invalid request") {
  QpPair p;
  p.connect();
  const auto src = p.a.alloc(0x10000, 100);
  p.post(QpPair::A, send_wqe(RdmapOpcode::SendWithSe, src, 100, 8));
  const auto m = terminate_sent(p, QpPair::B);
  CHECK(m.code == wire::term::DdpUntaggedNoBuffer);
  CHECK(m.has_ddp);
  CHECK(m.ddp_segment_length == 18 + 100);
  CHECK(m.ddp_header == std::vector<uint8_t>(p.log[0].bytes.begin(), p.log[0].bytes.begin() + 18));
  CHECK(p.b.counters.untagged_bytes_placed == 0);
  CHECK(p.b.qp.terminate()->sent);
  REQUIRE(p.a.cqes.size() == 1);
  CHECK(p.a.cqes[0].status == WcStatus::RemoteInvalidRequest);
  CHECK(p.a.cqes[0].opcode == WcOpcode::Send);
  CHECK(p.a.qp.terminate()->msg.code == wire::term::DdpUntaggedNoBuffer);
}

TEST_CASE("send: a message longer than the receive is too long; an STag that cannot be invalidated is 0/1/0x09") {
  {
    QpPair p;
    p.connect();
    const auto src = p.a.alloc(0x10000, 100);
    const auto rbuf = p.b.alloc(0x40000, 64);
    REQUIRE(p.b.post_recv(1, rbuf, 0, 64));
    p.post(QpPair::A, send_wqe(RdmapOpcode::Send, src, 100, 2));
    CHECK(terminate_sent(p, QpPair::B).code == wire::term::DdpUntaggedMessageTooLong);
    REQUIRE(p.b.cqes.size() == 1);
    CHECK(p.b.cqes[0].status == WcStatus::FlushError);
    CHECK(p.b.cqes[0].opcode == WcOpcode::Recv);
  }
  for (int variant = 0; variant < 3; ++variant) {
    QpPair p;
    p.connect();
    const auto src = p.a.alloc(0x10000, 100);
    const auto rbuf = p.b.alloc(0x40000, 4096, 0xEE);
    const auto region = p.b.alloc(0x90000, 4096);
    uint32_t stag = p.b.reg(region, placement::access::kRemoteWrite, variant == 1 ? 2 : 1);  // 1: another PD
    if (variant == 0) stag ^= 0x01;                                                          // wrong key
    if (variant == 2) p.b.regions.invalidate(stag);                                          // already invalid
    REQUIRE(p.b.post_recv(1, rbuf, 0, 4096));
    p.post(QpPair::A, send_wqe(RdmapOpcode::SendWithInvalidate, src, 100, 2, stag));
    CHECK(terminate_sent(p, QpPair::B).code == wire::term::RdmapProtStagCannotInvalidate);
    CHECK(p.b.get(rbuf, 0, 1)[0] == 0xEE);  // nothing of the message placed
    CHECK(p.a.cqes.at(0).status == WcStatus::RemoteAccessError);
  }
}

TEST_CASE("rq_depth: posts past the receive queue's size are refused and counted; completions free slots") {
  QpPair p(2);
  p.connect();
  const auto rbuf = p.b.alloc(0x40000, 4096);
  CHECK(p.b.post_recv(1, rbuf, 0, 100));
  CHECK(p.b.post_recv(2, rbuf, 100, 100));
  CHECK(p.b.qp.receives_outstanding() == 2);
  CHECK(!p.b.post_recv(3, rbuf, 200, 100));
  CHECK(!p.b.post_recv(4, rbuf, 300, 100));
  CHECK(p.b.counters.rq_overflows == 2);
  const auto src = p.a.alloc(0x10000, 10);
  p.post(QpPair::A, send_wqe(RdmapOpcode::Send, src, 10, 5));
  REQUIRE(p.b.cqes.size() == 1);
  CHECK(p.b.cqes[0].wr_id == 1);
  CHECK(p.b.qp.receives_outstanding() == 1);
  CHECK(p.b.post_recv(6, rbuf, 400, 100));
  CHECK(!p.b.post_recv(7, rbuf, 500, 100));
  CHECK(p.b.counters.rq_overflows == 3);
  // Flushed receives free their slots too.
  p.lose_stream();
  CHECK(p.b.qp.state() == rdmap::QpState::Error);
  CHECK(p.b.cqes_of(WcOpcode::Recv).size() == 3);
  CHECK(p.b.qp.receives_outstanding() == 0);
}

TEST_CASE("rq_depth: receives posted in TERMINATE or ERROR complete flushed at once") {
  QpPair p;
  p.connect();
  p.lose_stream();
  const auto rbuf = p.b.alloc(0x40000, 4096);
  CHECK(p.b.post_recv(9, rbuf, 0, 100));
  REQUIRE(p.b.cqes.size() == 1);
  CHECK(p.b.cqes[0].status == WcStatus::FlushError);
  CHECK(p.b.cqes[0].opcode == WcOpcode::Recv);
  CHECK(p.b.qp.receives_outstanding() == 0);
}

// RDMA Write and RDMA Read between two QPs: segmentation into FPDUs of MULPDU, tagged
// placement, the Read Responses the responder sends on its own, ORD and the read fence,
// and the completion each operation gets (RdmaWrite at the ACK, RdmaRead when its last
// response byte is placed).
#include <catch2/catch.hpp>

#include "tests/unit/rdmap/qp_pair.h"

using namespace rnicsim;
using namespace rnicsim::test;
using rdmap::WcOpcode;
using rdmap::WcStatus;
using wire::RdmapOpcode;

namespace {
constexpr uint32_t kRw = placement::access::kRemoteWrite | placement::access::kLocalWrite;
rdmap::Wqe write_wqe(const host::VirtBuffer& src, uint32_t rkey, uint64_t remote_va, uint64_t len, uint64_t id = 7) {
  rdmap::Wqe w;
  w.wr_id = id;
  w.opcode = RdmapOpcode::RdmaWrite;
  w.local = &src;
  w.local_va = src.va;
  w.rkey = rkey;
  w.remote_va = remote_va;
  w.length = len;
  return w;
}
rdmap::Wqe read_wqe(const host::VirtBuffer& sink, uint32_t sink_stag, uint32_t rkey, uint64_t remote_va, uint64_t len,
                    uint64_t id) {
  rdmap::Wqe w;
  w.wr_id = id;
  w.opcode = RdmapOpcode::RdmaReadRequest;
  w.local = &sink;
  w.local_va = sink.va;
  w.local_stag = sink_stag;
  w.rkey = rkey;
  w.remote_va = remote_va;
  w.length = len;
  return w;
}
}  // namespace

TEST_CASE("write: 5000 bytes in FPDUs of MULPDU, TO advancing, L on the last; RdmaWrite at the ACK") {
  QpPair p;
  p.connect();
  const auto src = p.a.alloc(0x10000, 5000);
  const auto data = pattern(5000, 3);
  p.a.put(src, 0, data);
  const auto sink = p.b.alloc(0x7f0000000100ull, 8192, 0xEE);
  const uint32_t stag = p.b.reg(sink, kRw);
  p.auto_ack = false;
  p.post(QpPair::A, write_wqe(src, stag, sink.va + 100, 5000));

  // MULPDU 1442 less the 14-byte tagged header: 1428 payload bytes per FPDU.
  const auto sent = p.sent_by(QpPair::A);
  REQUIRE(sent.size() == 4);
  const uint64_t sizes[] = {1428, 1428, 1428, 716};
  uint64_t off = 0;
  for (size_t k = 0; k < sent.size(); ++k) {
    const wire::DdpHeader h = sent[k].hdr();
    CHECK(h.tagged);
    CHECK(h.opcode == 0);
    CHECK(h.stag == stag);
    CHECK(h.to == sink.va + 100 + off);
    CHECK(h.last == (k == 3));
    CHECK(sent[k].bytes.size() == 14 + sizes[k]);
    off += sizes[k];
  }
  CHECK(p.b.get(sink, 100, 5000) == data);
  CHECK(p.b.get(sink, 99, 1)[0] == 0xEE);
  CHECK(p.b.get(sink, 5100, 1)[0] == 0xEE);
  REQUIRE(p.b.writes_placed.size() == 1);
  CHECK(p.b.writes_placed[0] == std::make_pair(stag, sink.va + 5100));
  CHECK(p.b.write_bytes == std::vector<uint64_t>{5000});  // the message's extent: its four segments
  CHECK(p.b.cqes.empty());  // a Write consumes nothing at the target
  CHECK(p.a.cqes.empty());  // not acknowledged yet
  p.ack(QpPair::A);
  p.run();
  REQUIRE(p.a.cqes.size() == 1);
  CHECK(p.a.cqes[0].opcode == WcOpcode::RdmaWrite);
  CHECK(p.a.cqes[0].status == WcStatus::Success);
  CHECK(p.a.cqes[0].byte_len == 5000);
  CHECK(p.a.cqes[0].wr_id == 7);
  CHECK(p.a.cqes[0].qpn == p.a.qp.qpn());
}

TEST_CASE("write: the transmit queue waits for send-buffer room") {
  QpPair p;
  p.connect();
  const auto src = p.a.alloc(0x10000, 100);
  const auto sink = p.b.alloc(0x20000, 100);
  const uint32_t stag = p.b.reg(sink, kRw);
  p.a.send_room = 119;  // one short of the FPDU: length 2 + ULPDU 114 + CRC 4
  p.post(QpPair::A, write_wqe(src, stag, sink.va, 100));
  CHECK(p.sent_by(QpPair::A).empty());
  p.a.send_room = 120;
  p.a.tx_ready();
  p.run();
  CHECK(p.sent_by(QpPair::A).size() == 1);
  CHECK(p.a.cqes_of(WcOpcode::RdmaWrite).size() == 1);
}

TEST_CASE("read: a Read Request (QN 1, 28 bytes), Read Responses to the sink, RdmaRead when placed") {
  QpPair p;
  p.connect();
  const auto src = p.b.alloc(0x30000, 3000);
  const auto data = pattern(3000, 9);
  p.b.put(src, 0, data);
  const uint32_t src_stag = p.b.reg(src, placement::access::kRemoteRead);
  const auto sink = p.a.alloc(0x50000, 3000);
  const uint32_t sink_stag = p.a.reg(sink, placement::access::kLocalWrite);
  p.post(QpPair::A, read_wqe(sink, sink_stag, src_stag, src.va, 3000, 11));

  const auto req = p.sent_by(QpPair::A);
  REQUIRE(req.size() == 1);
  const wire::DdpHeader rh = req[0].hdr();
  CHECK(!rh.tagged);
  CHECK(rh.qn == 1);
  CHECK(rh.msn == 1);
  CHECK(rh.opcode == 1);
  auto rr = wire::decode_read_request(req[0].bytes.data() + 18, req[0].bytes.size() - 18);
  REQUIRE(rr);
  CHECK(rr.value.sink_stag == sink_stag);
  CHECK(rr.value.sink_to == sink.va);
  CHECK(rr.value.size == 3000);
  CHECK(rr.value.src_stag == src_stag);
  CHECK(rr.value.src_to == src.va);

  const auto resp = p.sent_by(QpPair::B);
  REQUIRE(resp.size() == 3);  // 1428 + 1428 + 144
  for (size_t k = 0; k < resp.size(); ++k) {
    const wire::DdpHeader h = resp[k].hdr();
    CHECK(h.tagged);
    CHECK(h.opcode == 2);
    CHECK(h.stag == sink_stag);
    CHECK(h.to == sink.va + 1428 * k);
    CHECK(h.last == (k == 2));
  }
  CHECK(p.a.get(sink, 0, 3000) == data);
  REQUIRE(p.a.cqes.size() == 1);
  CHECK(p.a.cqes[0].opcode == WcOpcode::RdmaRead);
  CHECK(p.a.cqes[0].status == WcStatus::Success);
  CHECK(p.a.cqes[0].byte_len == 3000);
  CHECK(p.b.counters.read_requests_rx == 1);
  CHECK(p.b.cqes.empty());  // the responder's host is not involved
}

TEST_CASE("read: ORD holds the second Read until the first completes; a fence waits for every earlier Read") {
  for (bool fence : {false, true}) {
    QpPair p;
    rdmap::MpaParams pa;
    pa.ord = fence ? 4 : 1;
    p.connect(pa);
    const auto src = p.b.alloc(0x30000, 64);
    const uint32_t src_stag = p.b.reg(src, placement::access::kRemoteRead);
    const auto sink = p.a.alloc(0x50000, 128);
    const uint32_t sink_stag = p.a.reg(sink, placement::access::kLocalWrite);
    p.hold[QpPair::B] = true;  // the responses wait on the wire
    p.post(QpPair::A, read_wqe(sink, sink_stag, src_stag, src.va, 64, 1));
    auto second = read_wqe(sink, sink_stag, src_stag, src.va, 64, 2);
    second.local_va = sink.va + 64;
    second.fence = fence;
    p.post(QpPair::A, second);
    CHECK(p.sent_by(QpPair::A).size() == 1);  // the second Read Request waits
    p.release(QpPair::B);
    CHECK(p.sent_by(QpPair::A).size() == 2);
    REQUIRE(p.a.cqes.size() == 2);
    CHECK(p.a.cqes[0].wr_id == 1);
    CHECK(p.a.cqes[1].wr_id == 2);
  }
}

TEST_CASE("read: with ORD 0 a Read completes at once with a local QP operation error") {
  QpPair p;
  rdmap::MpaParams pa;
  pa.ord = 0;
  p.connect(pa);
  const auto sink = p.a.alloc(0x50000, 64);
  p.post(QpPair::A, read_wqe(sink, 0x100, 0x200, 0x1000, 64, 5));
  REQUIRE(p.a.cqes.size() == 1);
  CHECK(p.a.cqes[0].status == WcStatus::LocalQpOperationError);
  CHECK(p.a.cqes[0].opcode == WcOpcode::RdmaRead);
  CHECK(p.sent_by(QpPair::A).empty());
}

TEST_CASE("read: the responder's checks: IRD full is no buffer, a bad source attaches the Read Request") {
  {
    QpPair p;
    rdmap::MpaParams pb;
    pb.ird = 0;
    p.connect({}, pb);
    std::vector<uint8_t> rr(28);
    wire::encode_read_request(rr.data(), wire::ReadRequest{0x101, 0x2000, 64, 0x202, 0x3000});
    const auto u = ulpdu(untagged(1, 1, 1), rr);
    p.inject(QpPair::B, u);
    const auto m = terminate_sent(p, QpPair::B);
    CHECK(m.code == wire::term::DdpUntaggedNoBuffer);
    CHECK(m.ddp_segment_length == u.size());
    CHECK(m.ddp_header == std::vector<uint8_t>(u.begin(), u.begin() + 18));
    CHECK(m.rdmap_header.empty());
  }
  {
    QpPair p;
    p.connect();
    const auto src = p.b.alloc(0x3000, 4096);
    const uint32_t stag = p.b.reg(src, placement::access::kRemoteRead);
    std::vector<uint8_t> rr(28);
    wire::encode_read_request(rr.data(), wire::ReadRequest{0x101, 0x2000, 4097, stag, 0x3000});
    p.inject(QpPair::B, ulpdu(untagged(1, 1, 1), rr));
    const auto m = terminate_sent(p, QpPair::B);
    CHECK(m.code == wire::term::RdmapBaseBounds);
    CHECK(m.rdmap_header == rr);
    // A Read Request split over two segments is catastrophic to the stream.
    QpPair q;
    q.connect();
    q.inject(QpPair::B, ulpdu(untagged(1, 1, 1, false), rr));
    CHECK(terminate_sent(q, QpPair::B).code == wire::term::RdmapCatastrophicStream);
  }
}

TEST_CASE("read: a Read Response to a sink without local write is DDP tagged; the Read fails remote access") {
  QpPair p;
  p.connect();
  const auto src = p.b.alloc(0x30000, 64);
  const uint32_t src_stag = p.b.reg(src, placement::access::kRemoteRead);
  const auto sink = p.a.alloc(0x50000, 64);
  const uint32_t sink_stag = p.a.reg(sink, placement::access::kRemoteRead);  // no local write
  p.post(QpPair::A, read_wqe(sink, sink_stag, src_stag, src.va, 64, 3));
  // The initiator refuses the response with the Write column's code (access: RDMAP 0/1/0x02).
  CHECK(terminate_sent(p, QpPair::A).code == wire::term::RdmapAccessRights);
  REQUIRE(p.a.cqes.size() == 1);
  CHECK(p.a.cqes[0].status == WcStatus::FatalError);
  CHECK(p.a.cqes[0].opcode == WcOpcode::RdmaRead);
  CHECK(p.b.qp.terminate());
  CHECK(!p.b.qp.terminate()->sent);
}

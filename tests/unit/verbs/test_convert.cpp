// verbs::to_wire / from_wire: the engine's rdmap::Wqe and rdmap::Cqe through the ring
// formats and back, every opcode and status with its code.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "model/proto/verbs/convert.h"

using namespace rnicsim;
using verbs::from_wire;
using verbs::to_wire;

TEST_CASE("Convert: every completion status and opcode has its code", "[verbs][convert]") {
  const std::pair<rdmap::WcStatus, uint8_t> statuses[] = {
      {rdmap::WcStatus::Success, 0},
      {rdmap::WcStatus::LocalProtectionError, 1},
      {rdmap::WcStatus::LocalQpOperationError, 2},
      {rdmap::WcStatus::RemoteAccessError, 3},
      {rdmap::WcStatus::RemoteOperationError, 4},
      {rdmap::WcStatus::RemoteInvalidRequest, 5},
      {rdmap::WcStatus::FatalError, 6},
      {rdmap::WcStatus::FlushError, 7},
  };
  for (const auto& [s, code] : statuses) {
    INFO(rdmap::to_string(s));
    CHECK(static_cast<uint8_t>(to_wire(s)) == code);
    CHECK(from_wire(to_wire(s)) == s);
  }
  const std::pair<rdmap::WcOpcode, uint8_t> opcodes[] = {
      {rdmap::WcOpcode::RdmaWrite, 0}, {rdmap::WcOpcode::RdmaRead, 1}, {rdmap::WcOpcode::Send, 2},
      {rdmap::WcOpcode::Recv, 3},      {rdmap::WcOpcode::FetchAdd, 4}, {rdmap::WcOpcode::CmpSwap, 5},
  };
  for (const auto& [o, code] : opcodes) {
    INFO(rdmap::to_string(o));
    CHECK(static_cast<uint8_t>(to_wire(o)) == code);
    CHECK(from_wire(to_wire(o)) == o);
  }
}

TEST_CASE("Convert: a completion through its CQE bytes and back", "[verbs][convert]") {
  rdmap::Cqe c;
  c.wr_id = 0xABCDEF0123456789;
  c.qpn = 3;
  c.status = rdmap::WcStatus::RemoteAccessError;
  c.byte_len = 0xFFFFFFFF;
  c.opcode = rdmap::WcOpcode::Recv;
  c.solicited = true;
  c.invalidated_stag = 0x1234;
  const wire::Cqe w = to_wire(c, true);
  CHECK(w.with_invalidate);
  CHECK(w.phase);
  uint8_t b[wire::kCqeLen];
  wire::encode_cqe(b, w);
  const auto d = wire::decode_cqe(b, sizeof b);
  REQUIRE(d.status == wire::DecodeStatus::Ok);
  const rdmap::Cqe back = from_wire(d.value);
  CHECK(back.wr_id == c.wr_id);
  CHECK(back.qpn == c.qpn);
  CHECK(back.status == c.status);
  CHECK(back.byte_len == c.byte_len);
  CHECK(back.opcode == c.opcode);
  CHECK(back.solicited == c.solicited);
  CHECK(back.invalidated_stag == c.invalidated_stag);

  c.invalidated_stag = 0;
  CHECK_FALSE(to_wire(c, false).with_invalidate);
  c.byte_len = 0x100000000;
  CHECK_THROWS_AS(to_wire(c, false), std::out_of_range);
}

TEST_CASE("Convert: every work request through its WQE bytes and back", "[verbs][convert]") {
  using Op = wire::RdmapOpcode;
  struct Case {
    Op op;
    wire::AtomicOp aop;
    wire::SqOpcode sq;
    bool solicited;
  };
  const Case cases[] = {
      {Op::RdmaWrite, wire::AtomicOp::FetchAdd, wire::SqOpcode::RdmaWrite, false},
      {Op::RdmaReadRequest, wire::AtomicOp::FetchAdd, wire::SqOpcode::RdmaRead, false},
      {Op::Send, wire::AtomicOp::FetchAdd, wire::SqOpcode::Send, false},
      {Op::SendWithSe, wire::AtomicOp::FetchAdd, wire::SqOpcode::Send, true},
      {Op::SendWithInvalidate, wire::AtomicOp::FetchAdd, wire::SqOpcode::SendWithInvalidate, false},
      {Op::SendWithSeInvalidate, wire::AtomicOp::FetchAdd, wire::SqOpcode::SendWithInvalidate, true},
      {Op::AtomicRequest, wire::AtomicOp::FetchAdd, wire::SqOpcode::AtomicFetchAdd, false},
      {Op::AtomicRequest, wire::AtomicOp::CmpSwap, wire::SqOpcode::AtomicCmpSwap, false},
  };
  const auto* buf = reinterpret_cast<const host::VirtBuffer*>(0x1000);  // never dereferenced
  for (const Case& k : cases) {
    INFO(wire::to_string(k.sq) << (k.solicited ? " SE" : ""));
    rdmap::Wqe w;
    w.wr_id = 0x77;
    w.opcode = k.op;
    w.atomic_op = k.aop;
    w.local = buf;
    w.local_va = 0x7F0000001000;
    w.local_stag = 0x501;
    w.remote_va = 0x600000;
    w.rkey = 0x702;
    w.length = k.op == Op::AtomicRequest ? 8 : 65536;
    w.invalidate_stag = 0x903;
    w.fence = true;
    w.atomic_operand = 5;
    w.atomic_compare = 9;
    const wire::SqWqe s = to_wire(w, true);
    CHECK(s.opcode == k.sq);
    CHECK(s.solicited == k.solicited);
    CHECK(s.signaled);
    CHECK(s.num_sge == 1);
    CHECK(s.sge == wire::VerbsSge{0x7F0000001000, static_cast<uint32_t>(w.length), 0x501});
    const std::vector<uint8_t> bytes = wire::encode_sq_wqe(s);
    const auto d = wire::decode_sq_wqe(bytes.data(), bytes.size());
    REQUIRE(d.status == wire::DecodeStatus::Ok);
    const rdmap::Wqe back = from_wire(d.value, buf);
    CHECK(back.wr_id == w.wr_id);
    CHECK(back.opcode == w.opcode);
    CHECK(back.atomic_op == w.atomic_op);
    CHECK(back.local == buf);
    CHECK(back.local_va == w.local_va);
    CHECK(back.local_stag == w.local_stag);
    CHECK(back.remote_va == w.remote_va);
    CHECK(back.rkey == w.rkey);
    CHECK(back.length == w.length);
    CHECK(back.invalidate_stag == w.invalidate_stag);
    CHECK(back.fence == w.fence);
    CHECK(back.atomic_operand == w.atomic_operand);
    CHECK(back.atomic_compare == w.atomic_compare);
  }
  rdmap::Wqe bad;
  bad.opcode = Op::RdmaReadResponse;
  CHECK_THROWS_AS(to_wire(bad, true), std::invalid_argument);
  bad.opcode = Op::RdmaWrite;
  bad.length = 0x100000000;
  CHECK_THROWS_AS(to_wire(bad, true), std::out_of_range);
  wire::SqWqe in;
  in.is_inline = true;
  CHECK_THROWS_AS(from_wire(in, nullptr), std::invalid_argument);
  // A zero-length Send has no SGE.
  rdmap::Wqe zero;
  zero.opcode = Op::Send;
  CHECK(to_wire(zero, false).num_sge == 0);
}

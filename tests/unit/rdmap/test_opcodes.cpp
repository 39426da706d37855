// The RDMAP opcode table (RFC 5040 s.4.3, RFC 7306): per opcode its DDP model, queue,
// header bytes and role; and the completion opcode each work request gets.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "model/proto/rdmap/opcodes.h"
#include "model/proto/rdmap/qp.h"

using namespace rnicsim;
using rdmap::opcode_info;
using rdmap::WcOpcode;
using wire::RdmapOpcode;

TEST_CASE("opcodes: each opcode's DDP model, queue and header bytes") {
  struct Want {
    RdmapOpcode op;
    bool tagged;
    uint32_t qn, hdr_len;
    bool work_request, send, invalidate, solicited;
  };
  const Want table[] = {
      {RdmapOpcode::RdmaWrite, true, 0, 14, true, false, false, false},
      {RdmapOpcode::RdmaReadRequest, false, 1, 18 + 28, true, false, false, false},
      {RdmapOpcode::RdmaReadResponse, true, 0, 14, false, false, false, false},
      {RdmapOpcode::Send, false, 0, 18, true, true, false, false},
      {RdmapOpcode::SendWithInvalidate, false, 0, 18, true, true, true, false},
      {RdmapOpcode::SendWithSe, false, 0, 18, true, true, false, true},
      {RdmapOpcode::SendWithSeInvalidate, false, 0, 18, true, true, true, true},
      {RdmapOpcode::Terminate, false, 2, 18 + 4, false, false, false, false},
      {RdmapOpcode::AtomicRequest, false, 3, 18 + 52, true, false, false, false},
      {RdmapOpcode::AtomicResponse, false, 4, 18 + 12, false, false, false, false},
  };
  for (const Want& w : table) {
    INFO(wire::to_string(w.op));
    const rdmap::OpcodeInfo* i = opcode_info(static_cast<uint8_t>(w.op));
    REQUIRE(i);
    CHECK(i->opcode == w.op);
    CHECK(i->tagged == w.tagged);
    if (!w.tagged) CHECK(i->qn == w.qn);
    CHECK(i->hdr_len == w.hdr_len);
    CHECK(i->work_request == w.work_request);
    CHECK(rdmap::Qp::is_work_request(w.op) == w.work_request);
    CHECK(i->send == w.send);
    CHECK(i->invalidate == w.invalidate);
    CHECK(i->solicited == w.solicited);
    CHECK(i->rx != nullptr);
  }
  for (uint8_t op : {0x8, 0x9, 0xC, 0xD, 0xE, 0xF, 0x10, 0xFF}) CHECK(opcode_info(op) == nullptr);
}

TEST_CASE("opcodes: every work request completes with its own opcode") {
  rdmap::Wqe w;
  const std::pair<RdmapOpcode, WcOpcode> table[] = {
      {RdmapOpcode::RdmaWrite, WcOpcode::RdmaWrite},
      {RdmapOpcode::RdmaReadRequest, WcOpcode::RdmaRead},
      {RdmapOpcode::Send, WcOpcode::Send},
      {RdmapOpcode::SendWithInvalidate, WcOpcode::Send},
      {RdmapOpcode::SendWithSe, WcOpcode::Send},
      {RdmapOpcode::SendWithSeInvalidate, WcOpcode::Send},
  };
  for (const auto& [op, wc] : table) {
    w.opcode = op;
    for (auto aop : {wire::AtomicOp::FetchAdd, wire::AtomicOp::CmpSwap}) {
      w.atomic_op = aop;  // ignored by everything but an atomic (a Send once completed as FetchAdd)
      CHECK(rdmap::wc_opcode(w) == wc);
    }
  }
  w.opcode = RdmapOpcode::AtomicRequest;
  w.atomic_op = wire::AtomicOp::FetchAdd;
  CHECK(rdmap::wc_opcode(w) == WcOpcode::FetchAdd);
  w.atomic_op = wire::AtomicOp::CmpSwap;
  CHECK(rdmap::wc_opcode(w) == WcOpcode::CmpSwap);
  for (auto op : {RdmapOpcode::RdmaReadResponse, RdmapOpcode::Terminate, RdmapOpcode::AtomicResponse}) {
    w.opcode = op;
    CHECK_THROWS_AS(rdmap::wc_opcode(w), std::invalid_argument);
  }
}

TEST_CASE("opcodes: a peer's Terminate gives the initiator's work its status by layer and type") {
  using rdmap::WcStatus;
  CHECK(rdmap::status_of(wire::term::RdmapInvalidStag) == WcStatus::RemoteAccessError);
  CHECK(rdmap::status_of(wire::term::DdpTaggedBaseBounds) == WcStatus::RemoteAccessError);
  CHECK(rdmap::status_of(wire::term::DdpUntaggedNoBuffer) == WcStatus::RemoteInvalidRequest);
  CHECK(rdmap::status_of(wire::term::RdmapUnexpectedOpcode) == WcStatus::RemoteOperationError);
  CHECK(rdmap::status_of(wire::term::MpaCrcError) == WcStatus::RemoteOperationError);
}

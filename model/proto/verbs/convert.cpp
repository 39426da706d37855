#include "model/proto/verbs/convert.h"

#include <limits>
#include <stdexcept>

namespace rnicsim::verbs {

namespace {
uint32_t narrow(uint64_t v, const char* what) {
  if (v > std::numeric_limits<uint32_t>::max()) throw std::out_of_range(what);
  return static_cast<uint32_t>(v);
}
}  // namespace

wire::CqeStatus to_wire(rdmap::WcStatus s) {
  using W = wire::CqeStatus;
  switch (s) {
    case rdmap::WcStatus::Success: return W::Success;
    case rdmap::WcStatus::LocalProtectionError: return W::LocalProtectionError;
    case rdmap::WcStatus::LocalQpOperationError: return W::LocalQpOperationError;
    case rdmap::WcStatus::RemoteAccessError: return W::RemoteAccessError;
    case rdmap::WcStatus::RemoteOperationError: return W::RemoteOperationError;
    case rdmap::WcStatus::RemoteInvalidRequest: return W::RemoteInvalidRequest;
    case rdmap::WcStatus::FatalError: return W::FatalError;
    case rdmap::WcStatus::FlushError: return W::FlushError;
  }
  throw std::invalid_argument("to_wire: unknown WcStatus");
}

rdmap::WcStatus from_wire(wire::CqeStatus s) {
  using R = rdmap::WcStatus;
  switch (s) {
    case wire::CqeStatus::Success: return R::Success;
    case wire::CqeStatus::LocalProtectionError: return R::LocalProtectionError;
    case wire::CqeStatus::LocalQpOperationError: return R::LocalQpOperationError;
    case wire::CqeStatus::RemoteAccessError: return R::RemoteAccessError;
    case wire::CqeStatus::RemoteOperationError: return R::RemoteOperationError;
    case wire::CqeStatus::RemoteInvalidRequest: return R::RemoteInvalidRequest;
    case wire::CqeStatus::FatalError: return R::FatalError;
    case wire::CqeStatus::FlushError: return R::FlushError;
  }
  throw std::invalid_argument("from_wire: unknown CqeStatus");
}

wire::CqeOpcode to_wire(rdmap::WcOpcode o) {
  using W = wire::CqeOpcode;
  switch (o) {
    case rdmap::WcOpcode::RdmaWrite: return W::RdmaWrite;
    case rdmap::WcOpcode::RdmaRead: return W::RdmaRead;
    case rdmap::WcOpcode::Send: return W::Send;
    case rdmap::WcOpcode::Recv: return W::Recv;
    case rdmap::WcOpcode::FetchAdd: return W::FetchAdd;
    case rdmap::WcOpcode::CmpSwap: return W::CmpSwap;
  }
  throw std::invalid_argument("to_wire: unknown WcOpcode");
}

rdmap::WcOpcode from_wire(wire::CqeOpcode o) {
  using R = rdmap::WcOpcode;
  switch (o) {
    case wire::CqeOpcode::RdmaWrite: return R::RdmaWrite;
    case wire::CqeOpcode::RdmaRead: return R::RdmaRead;
    case wire::CqeOpcode::Send: return R::Send;
    case wire::CqeOpcode::Recv: return R::Recv;
    case wire::CqeOpcode::FetchAdd: return R::FetchAdd;
    case wire::CqeOpcode::CmpSwap: return R::CmpSwap;
  }
  throw std::invalid_argument("from_wire: unknown CqeOpcode");
}

wire::Cqe to_wire(const rdmap::Cqe& c, bool phase) {
  wire::Cqe w;
  w.wr_id = c.wr_id;
  w.qpn = c.qpn;
  w.byte_len = narrow(c.byte_len, "to_wire: byte_len over 32 bits");
  w.invalidated_stag = c.invalidated_stag;
  w.status = to_wire(c.status);
  w.opcode = to_wire(c.opcode);
  w.solicited = c.solicited;
  w.with_invalidate = c.invalidated_stag != 0;
  w.phase = phase;
  return w;
}

rdmap::Cqe from_wire(const wire::Cqe& w) {
  rdmap::Cqe c;
  c.wr_id = w.wr_id;
  c.qpn = w.qpn;
  c.status = from_wire(w.status);
  c.byte_len = w.byte_len;
  c.opcode = from_wire(w.opcode);
  c.solicited = w.solicited;
  c.invalidated_stag = w.with_invalidate ? w.invalidated_stag : 0;
  return c;
}

wire::SqWqe to_wire(const rdmap::Wqe& w, bool signaled) {
  using Op = wire::RdmapOpcode;
  wire::SqWqe s;
  switch (w.opcode) {
    case Op::RdmaWrite: s.opcode = wire::SqOpcode::RdmaWrite; break;
    case Op::RdmaReadRequest: s.opcode = wire::SqOpcode::RdmaRead; break;
    case Op::Send: s.opcode = wire::SqOpcode::Send; break;
    case Op::SendWithSe:
      s.opcode = wire::SqOpcode::Send;
      s.solicited = true;
      break;
    case Op::SendWithInvalidate: s.opcode = wire::SqOpcode::SendWithInvalidate; break;
    case Op::SendWithSeInvalidate:
      s.opcode = wire::SqOpcode::SendWithInvalidate;
      s.solicited = true;
      break;
    case Op::AtomicRequest:
      s.opcode = w.atomic_op == wire::AtomicOp::CmpSwap ? wire::SqOpcode::AtomicCmpSwap
                                                         : wire::SqOpcode::AtomicFetchAdd;
      break;
    case Op::RdmaReadResponse:
    case Op::Terminate:
    case Op::AtomicResponse:
      throw std::invalid_argument("to_wire: an opcode no work request carries");
  }
  s.wr_id = w.wr_id;
  s.signaled = signaled;
  s.fence = w.fence;
  s.rkey = w.rkey;
  s.remote_addr = w.remote_va;
  s.total_length = narrow(w.length, "to_wire: length over 32 bits");
  s.invalidate_stag = w.invalidate_stag;
  s.atomic_compare = w.atomic_compare;
  s.atomic_operand = w.atomic_operand;
  if (s.total_length != 0) {
    s.num_sge = 1;
    s.sge = wire::VerbsSge{w.local_va, s.total_length, w.local_stag};
  }
  return s;
}

rdmap::Wqe from_wire(const wire::SqWqe& s, const host::VirtBuffer* local) {
  if (s.is_inline) throw std::invalid_argument("from_wire: an inline WQE has no rdmap::Wqe form");
  rdmap::Wqe w;
  w.wr_id = s.wr_id;
  w.opcode = wire::rdmap_opcode(s);
  if (w.opcode == wire::RdmapOpcode::AtomicRequest) w.atomic_op = wire::atomic_op(s);
  w.local = local;
  w.local_va = s.sge.addr;
  w.local_stag = s.sge.lkey;
  w.remote_va = s.remote_addr;
  w.rkey = s.rkey;
  w.length = s.total_length;
  w.invalidate_stag = s.invalidate_stag;
  w.fence = s.fence;
  w.atomic_operand = s.atomic_operand;
  w.atomic_compare = s.atomic_compare;
  return w;
}

}  // namespace rnicsim::verbs

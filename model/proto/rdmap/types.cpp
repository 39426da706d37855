#include "model/proto/rdmap/types.h"

#include <stdexcept>
#include <string>

namespace rnicsim::rdmap {

const char* to_string(QpState s) {
  switch (s) {
    case QpState::Idle: return "idle";
    case QpState::Rtr: return "rtr";
    case QpState::Rts: return "rts";
    case QpState::Closing: return "closing";
    case QpState::Terminate: return "terminate";
    case QpState::Error: return "error";
  }
  return "?";
}

const char* to_string(Transition t) {
  switch (t) {
    case Transition::MpaDone: return "mpa_done";
    case Transition::Ready: return "ready";
    case Transition::Disconnect: return "disconnect";
    case Transition::PeerDisconnect: return "peer_disconnect";
    case Transition::Closed: return "closed";
    case Transition::TerminateSent: return "terminate_sent";
    case Transition::TerminateReceived: return "terminate_received";
    case Transition::LlpClosed: return "llp_closed";
    case Transition::NoRoom: return "no_room";
    case Transition::TerminateDone: return "terminate_done";
    case Transition::Fatal: return "fatal";
  }
  return "?";
}

QpState target(Transition t) {
  switch (t) {
    case Transition::MpaDone: return QpState::Rtr;
    case Transition::Ready: return QpState::Rts;
    case Transition::Disconnect:
    case Transition::PeerDisconnect: return QpState::Closing;
    case Transition::Closed: return QpState::Idle;
    case Transition::TerminateSent:
    case Transition::TerminateReceived: return QpState::Terminate;
    case Transition::LlpClosed:
    case Transition::NoRoom:
    case Transition::TerminateDone:
    case Transition::Fatal: return QpState::Error;
  }
  return QpState::Error;
}

bool allowed(Transition t, QpState from) {
  const bool active = from == QpState::Rts || from == QpState::Closing;
  switch (t) {
    case Transition::MpaDone: return from == QpState::Idle;
    case Transition::Ready: return from == QpState::Rtr;
    case Transition::Disconnect:
    case Transition::PeerDisconnect: return from == QpState::Rts;
    case Transition::Closed: return from == QpState::Closing;
    case Transition::TerminateSent:
    case Transition::TerminateReceived:
    case Transition::LlpClosed:
    case Transition::NoRoom: return active;
    case Transition::TerminateDone: return from == QpState::Terminate;
    case Transition::Fatal: return from == QpState::Rtr || active || from == QpState::Terminate;
  }
  return false;
}

const char* to_string(WcStatus s) {
  switch (s) {
    case WcStatus::Success: return "success";
    case WcStatus::LocalProtectionError: return "local_protection_error";
    case WcStatus::LocalQpOperationError: return "local_qp_operation_error";
    case WcStatus::RemoteAccessError: return "remote_access_error";
    case WcStatus::RemoteOperationError: return "remote_operation_error";
    case WcStatus::RemoteInvalidRequest: return "remote_invalid_request";
    case WcStatus::FatalError: return "fatal_error";
    case WcStatus::FlushError: return "flush_error";
  }
  return "?";
}

const char* to_string(WcOpcode o) {
  switch (o) {
    case WcOpcode::RdmaWrite: return "rdma_write";
    case WcOpcode::RdmaRead: return "rdma_read";
    case WcOpcode::Send: return "send";
    case WcOpcode::Recv: return "recv";
    case WcOpcode::FetchAdd: return "fetch_add";
    case WcOpcode::CmpSwap: return "cmp_swap";
  }
  return "?";
}

WcOpcode wc_opcode(const Wqe& w) {
  using wire::RdmapOpcode;
  switch (w.opcode) {
    case RdmapOpcode::RdmaWrite: return WcOpcode::RdmaWrite;
    case RdmapOpcode::RdmaReadRequest: return WcOpcode::RdmaRead;
    case RdmapOpcode::Send:
    case RdmapOpcode::SendWithInvalidate:
    case RdmapOpcode::SendWithSe:
    case RdmapOpcode::SendWithSeInvalidate: return WcOpcode::Send;
    case RdmapOpcode::AtomicRequest:
      return w.atomic_op == wire::AtomicOp::CmpSwap ? WcOpcode::CmpSwap : WcOpcode::FetchAdd;
    case RdmapOpcode::RdmaReadResponse:
    case RdmapOpcode::Terminate:
    case RdmapOpcode::AtomicResponse: break;  // the responder's own messages, never posted
  }
  throw std::invalid_argument(std::string("no work request carries RDMAP opcode ") + wire::to_string(w.opcode));
}

WcStatus status_of(wire::TermCode c) {
  if (c.layer == wire::term::kLayerRdmap && c.etype == 1) return WcStatus::RemoteAccessError;
  if (c.layer == wire::term::kLayerDdp && c.etype == 1) return WcStatus::RemoteAccessError;
  if (c.layer == wire::term::kLayerDdp && c.etype == 2) return WcStatus::RemoteInvalidRequest;
  return WcStatus::RemoteOperationError;
}

}  // namespace rnicsim::rdmap

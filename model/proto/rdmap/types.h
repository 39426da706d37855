#pragma once
/// The verbs-facing types of RDMAP (RFC 5040): QP states and their named transitions,
/// work requests (send queue and receive queue), work completions, the Terminate a QP sent
/// or received, the MPA-negotiated parameters a QP runs with, and the protocol's counters.
/// Plain C++: the SystemC engine (model/hw/rdma_engine) keeps aliases of these.
#include <cstdint>
#include <memory>
#include <vector>

#include "model/proto/mpa/rtr.h"
#include "model/wire/ddp_rdmap.h"

namespace rnicsim::host {
struct VirtBuffer;  // a registered host buffer: the QP only passes it on to its Port
}

namespace rnicsim::rdmap {

/// RFC 5040 s.6.2 (and siw's enum siw_qp_state): IDLE before the stream is handed over,
/// RTR/RTS once MPA is done, CLOSING during a graceful disconnect, TERMINATE after a
/// Terminate was sent or received (until the stream closes), ERROR for good.
enum class QpState { Idle, Rtr, Rts, Closing, Terminate, Error };
const char* to_string(QpState s);

/// Every change of QP state, named by what causes it; each has one target state.
enum class Transition {
  MpaDone,            ///< IDLE -> RTR: MPA negotiated, the QP may receive
  Ready,              ///< RTR -> RTS: and send (an RFC 6581 RTR, if any, is its first FPDU)
  Disconnect,         ///< RTS -> CLOSING: the local graceful disconnect (rdma_disconnect)
  PeerDisconnect,     ///< RTS -> CLOSING: the peer's FIN after all its data
  Closed,             ///< CLOSING -> IDLE: the stream closed with no work outstanding
  TerminateSent,      ///< RTS|CLOSING -> TERMINATE: a check failed here
  TerminateReceived,  ///< RTS|CLOSING -> TERMINATE: the peer's Terminate arrived
  LlpClosed,          ///< RTS|CLOSING -> ERROR: the stream closed under outstanding work
  NoRoom,             ///< RTS|CLOSING -> ERROR: a control FPDU found no send-buffer room
  TerminateDone,      ///< TERMINATE -> ERROR: the stream closed after the Terminate
  Fatal,              ///< RTR|RTS|CLOSING|TERMINATE -> ERROR: the host moved it (its device going down)
};
const char* to_string(Transition t);
/// The state a transition leads to.
QpState target(Transition t);
/// True when `t` may leave state `from`.
bool allowed(Transition t, QpState from);

/// One piece of a scatter/gather list: bytes [va, va + length) of a registered buffer.
struct Sge {
  const host::VirtBuffer* buf = nullptr;
  uint64_t va = 0;
  uint64_t length = 0;
};

/// A work request as the host writes it into the send queue.
struct Wqe {
  uint64_t wr_id = 0;
  wire::RdmapOpcode opcode = wire::RdmapOpcode::RdmaWrite;  ///< Write, Read Request, Send*, Atomic Request
  uint64_t local_va = 0;
  const host::VirtBuffer* local = nullptr;  ///< source (Write, Send), Read sink, or where an atomic's original value lands
  uint32_t local_stag = 0;                  ///< Read: the sink's STag (local write access)
  uint64_t remote_va = 0;
  uint32_t rkey = 0;
  uint64_t length = 0;
  uint32_t invalidate_stag = 0;  ///< Send with Invalidate: the peer's STag to invalidate
  bool fence = false;            ///< Read: wait for earlier Reads (RDMAP read fence)
  /// Atomic Request (RFC 7306) on the 8 bytes at remote_va: FetchAdd adds `atomic_operand`
  /// (one 64-bit add); CmpSwap writes `atomic_operand` when the value equals `atomic_compare`.
  wire::AtomicOp atomic_op = wire::AtomicOp::FetchAdd;
  uint64_t atomic_operand = 0;
  uint64_t atomic_compare = 0;
  /// Write, Send: the payload carried inline in the WQE (the application's bytes copied
  /// at post time, wire::SqWqe::inline_data), fetched with it: no DMA read of `local`,
  /// which is null. Null for a WQE without inline data.
  std::shared_ptr<const std::vector<uint8_t>> inline_data;
};

/// A receive work request: a scatter list that one incoming Send fills in order.
struct Rqe {
  uint64_t wr_id = 0;
  std::vector<Sge> sgl;
  uint64_t length() const {
    uint64_t n = 0;
    for (const Sge& s : sgl) n += s.length;
    return n;
  }
};

enum class WcStatus {
  Success,
  LocalProtectionError,
  LocalQpOperationError,  ///< the QP cannot do this (a Read with ORD 0)
  RemoteAccessError,     ///< the peer's Terminate: a protection error (RDMAP or DDP tagged)
  RemoteOperationError,  ///< the peer's Terminate: any other error
  RemoteInvalidRequest,  ///< the peer's Terminate: a DDP untagged error
  FatalError,            ///< this side detected the error and sent the Terminate
  FlushError,
};
const char* to_string(WcStatus s);

/// The operation a completion reports (ibv_wc_opcode's iWARP subset).
enum class WcOpcode { RdmaWrite, RdmaRead, Send, Recv, FetchAdd, CmpSwap };
const char* to_string(WcOpcode o);
/// The completion opcode of a send-queue work request: each operation its own (Send and
/// its variants Send; Write RdmaWrite; Read RdmaRead; an atomic FetchAdd or CmpSwap). An
/// opcode no work request carries (Read Response, Terminate, Atomic Response) throws.
WcOpcode wc_opcode(const Wqe& w);

struct Cqe {
  uint64_t wr_id = 0;
  uint32_t qpn = 0;
  WcStatus status = WcStatus::Success;
  uint64_t byte_len = 0;
  WcOpcode opcode = WcOpcode::RdmaWrite;
  bool solicited = false;        ///< Recv of a Send with Solicited Event
  uint32_t invalidated_stag = 0;  ///< Recv of a Send with Invalidate: the STag invalidated
};

/// The Terminate a QP sent or received.
struct TermRecord {
  wire::TerminateMessage msg;
  bool sent = false;  ///< true: this QP sent it; false: it came from the peer
};
/// The status the initiator's work gets from a Terminate the peer sent (RFC 5040 s.7:
/// protection errors are remote access errors, DDP untagged errors invalid requests).
WcStatus status_of(wire::TermCode c);

/// Negotiated MPA parameters of one direction pair.
struct MpaParams {
  int revision = 2;
  bool crc = true;
  bool markers_tx = false;  ///< markers in the stream we send
  bool markers_rx = false;
  uint32_t ird = 16, ord = 16;
  mpa::RtrType rtr = mpa::RtrType::None;  ///< RFC 6581 peer-to-peer mode: the RTR message
  bool rtr_initiator = false;             ///< we send the RTR (else we wait for it)
};

/// The protocol's counters; every QP of an engine adds to the engine's one set.
struct Counters {
  uint64_t fpdus_rx = 0;               ///< FPDUs handed to a QP in RTS or CLOSING (RTRs included)
  uint64_t crc_errors = 0;             ///< of them, with a bad MPA CRC
  uint64_t terminates_tx = 0, terminates_rx = 0;
  uint64_t read_requests_rx = 0;       ///< Read Requests received, refused ones included
  uint64_t atomic_requests_rx = 0;     ///< Atomic Requests received, refused ones included
  uint64_t untagged_bytes_placed = 0;  ///< Send payload bytes written into receive buffers
  uint64_t rq_overflows = 0;           ///< receives refused: the receive queue held rq_depth
};

}  // namespace rnicsim::rdmap

#pragma once
/// The DDP/RDMAP engine: queue pairs in RTS, the send queue (WQE fetch by DMA, payload
/// DMA reads, segmentation into FPDUs of at most MULPDU written straight into the TCP send
/// buffer), completions by DMA, and the receive path (MPA deframing, DDP/RDMAP decoding,
/// tagged placement through the placement unit).
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host_if/host_memory.h"
#include "model/common/sim.h"
#include "model/hw/dma/dma.h"
#include "model/hw/placement/placement.h"
#include "model/hw/toe/toe.h"
#include "model/proto/ddp/untagged.h"
#include "model/proto/mpa/fpdu.h"
#include "model/proto/mpa/rtr.h"
#include "model/stats/stats.h"
#include "model/wire/ddp_rdmap.h"

namespace rnicsim::hw {

enum class QpState { Idle, Rtr, Rts, Closing, Terminate, Error };
const char* to_string(QpState s);

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

enum class WcOpcode { RdmaWrite, RdmaRead, Send, Recv, FetchAdd, CmpSwap };
const char* to_string(WcOpcode o);

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

struct EngineConfig {
  Duration fpdu_latency = Duration::from_ns(19);  ///< clock period x cycles per FPDU
  Duration doorbell_latency = Duration::from_ns(400);
  uint32_t wqe_size = 64;
  uint32_t cqe_size = 32;
};

struct EngineStats {
  uint64_t fpdus_tx = 0, fpdus_rx = 0;
  uint64_t crc_errors = 0;
  uint64_t wqes = 0, cqes = 0;
  uint64_t terminates_tx = 0, terminates_rx = 0;
  uint64_t read_requests_rx = 0, read_responses_tx = 0;
  uint64_t atomic_requests_rx = 0, atomic_responses_tx = 0;
  uint64_t direct_placements = 0, direct_bytes = 0;
  uint64_t untagged_bytes_placed = 0;

  static stats::Group<EngineStats> group() {
    using stats::Unit;
    using S = EngineStats;
    return stats::Group<EngineStats>()
        .counter("fpdus_tx", &S::fpdus_tx, Unit::Fpdus, "FPDUs sent")
        .counter("fpdus_rx", &S::fpdus_rx, Unit::Fpdus, "FPDUs received")
        .counter("crc_errors", &S::crc_errors, Unit::Fpdus, "FPDUs received with a bad MPA CRC")
        .counter("wqes", &S::wqes, Unit::Count, "work requests fetched from the send queues")
        .counter("cqes", &S::cqes, Unit::Count, "completions written to the host")
        .counter("read_requests_rx", &S::read_requests_rx, Unit::Fpdus, "RDMA Read Requests received")
        .counter("read_responses_tx", &S::read_responses_tx, Unit::Fpdus, "RDMA Read Response FPDUs sent")
        .counter("atomic_requests_rx", &S::atomic_requests_rx, Unit::Fpdus, "Atomic Requests received")
        .counter("atomic_responses_tx", &S::atomic_responses_tx, Unit::Fpdus, "Atomic Responses sent")
        .counter("direct_placements", &S::direct_placements, Unit::Fpdus,
                 "tagged FPDUs placed when their segment arrived out of order")
        .counter("direct_bytes", &S::direct_bytes, Unit::Bytes, "payload bytes of those FPDUs")
        .counter("untagged_bytes_placed", &S::untagged_bytes_placed, Unit::Bytes,
                 "bytes of untagged messages placed in receive buffers")
        .counter("terminates_tx", &S::terminates_tx, Unit::Count, "Terminate messages sent")
        .counter("terminates_rx", &S::terminates_rx, Unit::Count, "Terminate messages received");
  }
};

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

class RdmaEngine : public sc_core::sc_module, public ToeClient {
 public:
  RdmaEngine(sc_core::sc_module_name name, const EngineConfig& cfg, Toe& toe, Dma& dma,
             PlacementUnit& placement, host::HostMemory& mem);

  uint32_t create_qp(uint32_t pd, uint32_t sq_depth);
  /// The connection is set up (MPA negotiated): the QP takes over its stream. `leftover`
  /// holds stream bytes that arrived behind the MPA frame.
  void attach(uint32_t qpn, uint32_t conn, const MpaParams& mpa, std::vector<uint8_t> leftover);
  /// The host rang the send queue's doorbell for this WQE.
  void post_send(uint32_t qpn, const Wqe& w);
  /// The host posted a receive buffer (its doorbell).
  void post_recv(uint32_t qpn, const Rqe& r);
  /// A graceful disconnect (the iw_cm's, as rdma_disconnect asks it): RTS -> CLOSING; work
  /// already posted runs to its end, new work is flushed, then the stream is closed (FIN);
  /// when TCP has closed, CLOSING -> IDLE. The peer's FIN takes its QP the same way.
  void disconnect(uint32_t qpn);
  /// Called at every QP state change (the host's iw_cm events).
  void set_qp_event_sink(std::function<void(uint32_t qpn, QpState from, QpState to)> f) {
    qp_event_sink_ = std::move(f);
  }
  QpState state(uint32_t qpn) const { return qps_[qpn]->state; }
  uint32_t pd_of(uint32_t qpn) const { return qps_[qpn]->pd; }
  /// The Terminate this QP sent or received, if any.
  const std::optional<TermRecord>& terminate(uint32_t qpn) const { return qps_[qpn]->term; }
  /// The receive path of a QP in RTS, one FPDU's ULPDU at a time, below MPA (the test
  /// entry for forged segments; the deframer calls the same).
  void receive_ulpdu(uint32_t qpn, ConstByteSpan ulpdu) {
    qps_[qpn]->cur_fpdu = UINT64_MAX;
    on_fpdu(*qps_[qpn], ulpdu, mpa::FpduStatus::Ok);
  }
  uint32_t conn_of(uint32_t qpn) const { return qps_[qpn]->conn; }
  const MpaParams& mpa(uint32_t qpn) const { return qps_[qpn]->mpa; }
  uint64_t crc_errors(uint32_t qpn) const { return qps_[qpn]->deframer ? qps_[qpn]->deframer->crc_errors() : 0; }
  /// The LLP (MPA) error that ended the stream, as a Terminate layer-2 code (0: none).
  uint8_t llp_error(uint32_t qpn) const { return qps_[qpn]->llp_error; }

  void set_cqe_sink(std::function<void(const Cqe&)> f) { cqe_sink_ = std::move(f); }
  /// The last segment of a tagged RDMA Write was placed: called when the DMA writes of the
  /// message's bytes are done (visible in host memory), with the QP, the STag and the TO
  /// just past the last segment's bytes (the application polling its buffer sees it now).
  using WritePlacedSink = std::function<void(uint32_t qpn, uint32_t stag, uint64_t to_end)>;
  void set_write_placed_sink(WritePlacedSink f) { write_placed_sink_ = std::move(f); }

  // ToeClient
  bool toe_data(uint32_t conn, ConstByteSpan data) override;
  void toe_acked(uint32_t conn, uint64_t total) override;
  void toe_state(uint32_t conn, tcp::State from, tcp::State to) override;
  /// Direct placement (RFC 5041 s.3): a segment held out of order whose first byte begins
  /// an FPDU; each whole tagged FPDU in it whose CRC and checks pass is placed now, and
  /// the in-order pass later checks it again without placing it twice (docs/iwarp.md).
  void toe_out_of_order(uint32_t conn, uint64_t pos, ConstByteSpan data) override;

  const EngineStats& stats() const { return stats_; }

 private:
  /// A send-queue work request from fetch to completion.
  struct TxOp {
    Wqe w;
    bool issued = false;       ///< handed to the transmit queue
    bool written = false;      ///< its last FPDU is in the TCP send buffer
    uint64_t stream_end = 0;   ///< stream offset after its last FPDU
    bool done = false;         ///< ready to complete (ACKed, or Read data placed)
    uint64_t placed = 0;       ///< Read: response bytes placed
    uint32_t request_id = 0;   ///< Atomic: the Request Identifier its response echoes
  };
  /// One outgoing message being segmented: a request, a Read Response or a Terminate.
  struct TxMsg {
    wire::DdpHeader hdr;           ///< fields of the first segment (TO / MO advance per segment)
    std::vector<uint8_t> body;     ///< inline bytes after the DDP header (Read Request, Terminate)
    const host::VirtBuffer* buf = nullptr;  ///< payload from a host buffer, or
    uint32_t src_stag = 0;         ///< payload from a registered region (Read Response)
    uint64_t src_va = 0;
    uint64_t length = 0;           ///< payload bytes
    uint64_t issued = 0;
    TxOp* op = nullptr;            ///< the work request it carries, if any
    bool is_read_response = false;
    /// An Atomic Response: the operation runs on host memory when the response is issued,
    /// in order behind earlier Read Responses; its body is made then.
    bool is_atomic_response = false;
    wire::AtomicRequest atomic;
  };
  struct Qp {
    uint32_t qpn = 0;
    uint32_t pd = 0;
    uint32_t sq_depth = 0;
    QpState state = QpState::Idle;
    uint32_t conn = UINT32_MAX;
    MpaParams mpa;
    std::deque<TxOp> sq;         ///< fetched, not yet completed
    std::deque<TxMsg> tx;        ///< messages to segment, in stream order
    uint64_t reserved = 0;       ///< send-buffer bytes promised to DMA reads in flight
    Duration tx_ready{};         ///< FPDUs are written in issue order: none before this
    uint64_t acked = 0;          ///< stream bytes the peer acknowledged
    bool completion_scheduled = false;
    uint32_t msn_tx[ddp::kQueues] = {1, 1, 1, 1, 1};  ///< next MSN per untagged queue we send on
    ddp::UntaggedQueue rxq[ddp::kQueues];        ///< untagged queues we receive on
    std::deque<Rqe> rq;                          ///< posted receives
    uint64_t recv_placed = 0;                    ///< bytes of the current Send placed
    /// Reads and atomics sent, in request order: their responses come back in this order,
    /// and together they are bounded by the ORD (RFC 7306 counts atomics against ORD/IRD).
    std::deque<TxOp*> reads_out;
    uint32_t reads_in = 0;                       ///< inbound Reads and atomics not yet answered (IRD)
    uint32_t next_request_id = 1;                ///< Request Identifier of our next Atomic Request
    std::unique_ptr<mpa::Deframer> deframer;
    uint64_t tx_s0 = 0;          ///< stream offset of S0 (after our MPA frame) when sending
    bool rtr_wait = false;       ///< responder: nothing is sent before the RTR arrives
    bool rtr_reply_wait = false; ///< initiator of a Read RTR: its Read Response comes first
    uint8_t llp_error = 0;
    bool last_seen = false;      ///< an FPDU with the L bit ended in the current feed
    Duration write_done{};       ///< inbound RDMA Write: when its bytes so far are visible
    uint64_t rx_s0 = 0;          ///< TCP stream position of S0 in the direction we receive
    uint64_t cur_fpdu = UINT64_MAX;  ///< Deframer::fpdu_start of the FPDU being handled in order
    std::map<uint64_t, Duration> direct;  ///< FPDUs placed out of order (by fpdu_start): when visible
    std::optional<TermRecord> term;
    bool fin_requested = false;  ///< CLOSING: the graceful close has been asked of the TOE
  };
  static bool active(const Qp& qp);
  void try_close(Qp& qp);
  void tx_pump(Qp& qp);
  void schedule_completion(Qp& qp);
  void complete(Qp& qp);
  void emit(Qp& qp, const Cqe& c, Duration when);
  void on_fpdu(Qp& qp, ConstByteSpan ulpdu, mpa::FpduStatus st);
  /// RFC 6581 RTR handling before on_fpdu; true when the FPDU was the RTR's (or broke it).
  bool rtr_hook(Qp& qp, ConstByteSpan ulpdu, mpa::FpduStatus st);
  /// Writes a control FPDU (RTR, its Read Response) straight into the send buffer.
  bool write_control(Qp& qp, const std::vector<uint8_t>& ulpdu);
  void on_tagged(Qp& qp, const wire::DdpHeader& h, ConstByteSpan hdr, ConstByteSpan payload);
  /// The in-order placement of a tagged segment: placed now, or, when it was placed out
  /// of order, checked again (an earlier message may have invalidated its STag).
  PlaceResult place_in_order(Qp& qp, const wire::DdpHeader& h, ConstByteSpan payload, placement::TaggedUse use);
  void direct_place(Qp& qp, uint64_t key, ConstByteSpan ulpdu);
  /// Writes n bytes into a host buffer at `va`, page by page, by DMA; returns when the
  /// last write is visible.
  Duration write_host(const host::VirtBuffer& buf, uint64_t va, const uint8_t* src, uint64_t n);
  void on_untagged(Qp& qp, const wire::DdpHeader& h, ConstByteSpan hdr, ConstByteSpan payload);
  void on_send(Qp& qp, const wire::DdpHeader& h, ConstByteSpan hdr, ConstByteSpan payload);
  void on_read_request(Qp& qp, const wire::DdpHeader& h, ConstByteSpan hdr, ConstByteSpan payload);
  void on_atomic_request(Qp& qp, const wire::DdpHeader& h, ConstByteSpan hdr, ConstByteSpan payload);
  void on_atomic_response(Qp& qp, const wire::DdpHeader& h, ConstByteSpan hdr, ConstByteSpan payload);
  /// Runs the operation of an Atomic Response being issued on host memory; returns the
  /// original value and when the read-modify-write's read has returned.
  uint64_t run_atomic(const wire::AtomicRequest& r, Duration& read_done);
  void on_terminate(Qp& qp, ConstByteSpan payload);
  /// A check failed: send the Terminate (with the offending headers when given), complete
  /// the QP's work in error, close the stream (FIN), as siw does.
  void send_terminate(Qp& qp, wire::TermCode code, ConstByteSpan ddp_hdr, uint16_t seg_len,
                      ConstByteSpan rdmap_hdr);
  void set_state(Qp& qp, QpState to);
  /// Completes every outstanding work request: the first with `first`, the rest flushed.
  void fail_work(Qp& qp, WcStatus first);
  void to_error(Qp& qp);

  EngineConfig cfg_;
  Toe& toe_;
  Dma& dma_;
  PlacementUnit& placement_;
  host::HostMemory& mem_;
  Agenda agenda_;
  std::vector<std::unique_ptr<Qp>> qps_;
  std::vector<uint32_t> qp_of_conn_;
  std::function<void(const Cqe&)> cqe_sink_;
  WritePlacedSink write_placed_sink_;
  std::function<void(uint32_t, QpState, QpState)> qp_event_sink_;
  EngineStats stats_;
};

}  // namespace rnicsim::hw

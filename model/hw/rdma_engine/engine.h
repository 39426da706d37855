#pragma once
/// The DDP/RDMAP engine's timing (SystemC model): per queue pair the protocol logic
/// (rdmap::Qp, plain C++) runs behind the engine's queues and latencies: the doorbell and
/// the WQE fetch by DMA, payload DMA reads and the FPDU pipeline into the TCP send buffer
/// (in issue order), MPA deframing of the received stream, tagged placement through the
/// placement unit (direct placement of out-of-order FPDUs), host-memory writes and
/// completions by DMA. The protocol (states, segmentation, checks, Terminates) is in
/// model/proto/rdmap and model/proto/ddp.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/mem/host_memory.h"
#include "model/common/sim.h"
#include "model/hw/dma/dma.h"
#include "model/hw/placement/placement.h"
#include "model/hw/toe/toe.h"
#include "model/proto/mpa/fpdu.h"
#include "model/proto/verbs/moderation.h"
#include "model/proto/rdmap/qp.h"
#include "model/proto/rdmap/types.h"
#include "model/stats/stats.h"
#include "model/wire/ddp_rdmap.h"
#include "model/wire/verbs.h"

namespace rnicsim::hw {

// The verbs types are the protocol's (model/proto/rdmap/types.h).
using QpState = rdmap::QpState;
using Sge = rdmap::Sge;
using Wqe = rdmap::Wqe;
using Rqe = rdmap::Rqe;
using WcStatus = rdmap::WcStatus;
using WcOpcode = rdmap::WcOpcode;
using Cqe = rdmap::Cqe;
using TermRecord = rdmap::TermRecord;
using MpaParams = rdmap::MpaParams;
using rdmap::to_string;

/// The MSI-X message address each CQ's interrupt writes (the local APIC's window below
/// 4 GiB, so a 3DW-header posted write of 4 bytes, the message data).
constexpr uint64_t kMsixAddress = 0xFEE00000;
/// BAR 0 offset of the send queue's push page (write-combined): a doorbell that carries
/// its WQE, the 8-byte doorbell followed by the WQE's slots (model/wire/verbs.h).
constexpr uint64_t kSqPushOffset = 0x2000;

struct EngineConfig {
  Duration fpdu_latency = Duration::from_ns(19);  ///< clock period x cycles per FPDU
  /// From the CPU's store to the doorbell to its TLP leaving the root port.
  Duration doorbell_latency = Duration::from_ns(400);
  uint32_t wqe_size = 64;  ///< a send-queue slot (wire::kSqSlotLen; the only size simulated)
  uint32_t cqe_size = 32;  ///< a CQ slot: the 32-byte CQE, zero-padded to 64 when 64
  /// Write and Send payloads up to this many bytes are copied into the WQE at post time
  /// (0: never; at most wire::kSqMaxInline).
  uint32_t max_inline = 0;
  /// A WQE of at most this many bytes, posted on an empty send queue, rides in its
  /// doorbell (a write-combined MMIO write to kSqPushOffset): no fetch (0: never).
  uint32_t wqe_push_max = 0;
  /// From the MSI-X write landing in host memory to the application's handler polling.
  Duration interrupt_latency = Duration::from_us(5);
  /// Payload bytes read by DMA ahead of the stream per QP (FPDUs fetched, not yet framed).
  uint64_t tx_prefetch = 64 * 1024;
};

/// How the application learns of a QP's completions (its CQ, one per QP).
struct CqOptions {
  uint32_t depth = 0;  ///< CQEs the ring holds (0: sq_depth + rq_depth, the latter at most 65536)
  bool event = false;  ///< false: it polls (sees each CQE as it lands); true: armed, interrupts
  verbs::Moderation moderation;  ///< event: interrupt moderation by count and time
};

/// The protocol's counters (rdmap::Counters, summed over the QPs) and the engine's own.
struct EngineStats : rdmap::Counters {
  uint64_t fpdus_tx = 0;           ///< FPDUs written into send buffers (control FPDUs included)
  uint64_t wqes = 0, cqes = 0;     ///< WQEs fetched, CQEs written
  uint64_t read_responses_tx = 0, atomic_responses_tx = 0;
  uint64_t direct_placements = 0;  ///< tagged FPDUs placed when their segment arrived out of order
  uint64_t direct_bytes = 0;       ///< their payload bytes
  uint64_t doorbells = 0;          ///< MMIO doorbells received (SQ, RQ, CQ consumer and arm)
  uint64_t bad_doorbells = 0;      ///< doorbells refused: malformed, unknown queue, or an index out of range
  uint64_t wqe_reads = 0;          ///< DMA reads that fetched send-queue WQEs
  uint64_t wqes_pushed = 0;        ///< WQEs that came in their doorbell (no fetch)
  uint64_t bad_wqes = 0;           ///< WQEs that did not decode, or named an unknown local key
  uint64_t rqes = 0, rqe_reads = 0;  ///< receive WQEs fetched, and the DMA reads that fetched them
  uint64_t sw_cqes = 0;            ///< completions in error, written by the driver (flushes)
  uint64_t cq_overflows = 0;       ///< CQEs refused by a full CQ (each moves its QP to ERROR)
  uint64_t interrupts = 0;         ///< MSI-X interrupts raised

  static stats::Group<EngineStats> group() {
    using stats::Unit;
    using S = EngineStats;
    // The protocol's counters live in the base; a member pointer to them is the derived
    // struct's only after a cast.
    auto in = [](uint64_t rdmap::Counters::*p) { return static_cast<uint64_t S::*>(p); };
    return stats::Group<EngineStats>()
        .counter("fpdus_tx", &S::fpdus_tx, Unit::Fpdus, "FPDUs sent")
        .counter("fpdus_rx", in(&rdmap::Counters::fpdus_rx), Unit::Fpdus, "FPDUs received")
        .counter("crc_errors", in(&rdmap::Counters::crc_errors), Unit::Fpdus, "FPDUs received with a bad MPA CRC")
        .counter("wqes", &S::wqes, Unit::Count, "work requests fetched from the send queues")
        .counter("cqes", &S::cqes, Unit::Count, "completions written to the host")
        .counter("doorbells", &S::doorbells, Unit::Count, "MMIO doorbells received (SQ, RQ, CQ consumer and arm)")
        .counter("bad_doorbells", &S::bad_doorbells, Unit::Count,
                 "doorbells refused: malformed, unknown queue, or an index out of range")
        .counter("wqe_reads", &S::wqe_reads, Unit::Count, "DMA reads that fetched send-queue WQEs")
        .counter("wqes_pushed", &S::wqes_pushed, Unit::Count, "WQEs that came in their doorbell (no fetch)")
        .counter("bad_wqes", &S::bad_wqes, Unit::Count, "WQEs that did not decode or named an unknown local key")
        .counter("rqes", &S::rqes, Unit::Count, "receive WQEs fetched from the receive queues")
        .counter("rqe_reads", &S::rqe_reads, Unit::Count, "DMA reads that fetched receive WQEs")
        .counter("sw_cqes", &S::sw_cqes, Unit::Count, "completions in error written by the driver (flushes)")
        .counter("cq_overflows", &S::cq_overflows, Unit::Count,
                 "CQEs refused by a full completion queue (each moves its QP to ERROR)")
        .counter("interrupts", &S::interrupts, Unit::Count, "MSI-X completion interrupts raised")
        .counter("read_requests_rx", in(&rdmap::Counters::read_requests_rx), Unit::Fpdus, "RDMA Read Requests received")
        .counter("read_responses_tx", &S::read_responses_tx, Unit::Fpdus, "RDMA Read Response FPDUs sent")
        .counter("atomic_requests_rx", in(&rdmap::Counters::atomic_requests_rx), Unit::Fpdus, "Atomic Requests received")
        .counter("atomic_responses_tx", &S::atomic_responses_tx, Unit::Fpdus, "Atomic Responses sent")
        .counter("direct_placements", &S::direct_placements, Unit::Fpdus,
                 "tagged FPDUs placed when their segment arrived out of order")
        .counter("direct_bytes", &S::direct_bytes, Unit::Bytes, "payload bytes of those FPDUs")
        .counter("untagged_bytes_placed", in(&rdmap::Counters::untagged_bytes_placed), Unit::Bytes,
                 "bytes of untagged messages placed in receive buffers")
        .counter("terminates_tx", in(&rdmap::Counters::terminates_tx), Unit::Count, "Terminate messages sent")
        .counter("terminates_rx", in(&rdmap::Counters::terminates_rx), Unit::Count, "Terminate messages received")
        .counter("rq_overflows", in(&rdmap::Counters::rq_overflows), Unit::Count,
                 "receives refused because the receive queue held rq_depth");
  }
};

class RdmaEngine : public sc_core::sc_module, public ToeClient {
 public:
  RdmaEngine(sc_core::sc_module_name name, const EngineConfig& cfg, Toe& toe, Dma& dma,
             PlacementUnit& placement, host::HostMemory& mem);
  ~RdmaEngine() override;

  /// A receive queue without a bound (a caller that does not model its ring).
  static constexpr uint32_t kUnboundedRq = UINT32_MAX;
  /// A QP whose receive queue holds `rq_depth` receives (posted and not yet completed);
  /// `sq_depth` is the send queue's size, for the caller to honour.
  uint32_t create_qp(uint32_t pd, uint32_t sq_depth, uint32_t rq_depth = kUnboundedRq, const CqOptions& cq = {});
  /// The connection is set up (MPA negotiated): the QP takes over its stream. `leftover`
  /// holds stream bytes that arrived behind the MPA frame.
  void attach(uint32_t qpn, uint32_t conn, const MpaParams& mpa, std::vector<uint8_t> leftover);
  /// ibv_post_send, the driver's half: the WQE's bytes go into the send queue's ring in
  /// host memory (inline data copied in, up to max_inline) and the SQ doorbell is rung (an
  /// MMIO write); the RNIC's half fetches and decodes the bytes. Its opcode must be one a
  /// work request may carry (rdmap::Qp::is_work_request, else std::invalid_argument); a
  /// full ring (no room for the WQE's slots among the sq_depth * sq_wqe_slots(max_inline)
  /// not yet fetched) is std::logic_error.
  void post_send(uint32_t qpn, const Wqe& w);
  /// ibv_post_recv: the receive WQE into the receive queue's ring and the RQ doorbell;
  /// false when the receive queue already holds rq_depth receives: refused, and counted
  /// (EngineStats::rq_overflows). At most wire::kRqMaxSge SGEs (else std::invalid_argument).
  bool post_recv(uint32_t qpn, const Rqe& r);
  /// The rings' places in host memory (tests read their bytes).
  struct RingInfo {
    uint64_t sq_base, rq_base, cq_base;
    uint32_t sq_slots, rq_slots, cq_depth, cqe_size;
    uint64_t sq_producer, sq_consumer, rq_producer, rq_consumer, cq_producer, cq_polled;
  };
  RingInfo rings(uint32_t qpn) const;
  /// The local key the driver gave a buffer (the lkey of its SGEs).
  uint32_t lkey_of(const host::VirtBuffer* buf);
  /// A graceful disconnect (the iw_cm's, as rdma_disconnect asks it): RTS -> CLOSING; work
  /// already posted runs to its end, new work is flushed, then the stream is closed (FIN);
  /// when TCP has closed, CLOSING -> IDLE. The peer's FIN takes its QP the same way.
  void disconnect(uint32_t qpn);
  /// Modify-to-ERROR by the host (Qp::fatal), at once.
  void qp_to_error(uint32_t qpn);
  /// Called at every QP state change (the host's iw_cm events).
  void set_qp_event_sink(std::function<void(uint32_t qpn, QpState from, QpState to)> f) {
    qp_event_sink_ = std::move(f);
  }
  QpState state(uint32_t qpn) const;
  uint32_t pd_of(uint32_t qpn) const;
  uint32_t sq_depth(uint32_t qpn) const;
  uint32_t rq_depth(uint32_t qpn) const;
  /// The Terminate this QP sent or received, if any.
  const std::optional<TermRecord>& terminate(uint32_t qpn) const;
  /// The receive path of a QP in RTS, one FPDU's ULPDU at a time, below MPA (the test
  /// entry for forged segments; the deframer calls the same).
  void receive_ulpdu(uint32_t qpn, ConstByteSpan ulpdu);
  uint32_t conn_of(uint32_t qpn) const;
  const MpaParams& mpa(uint32_t qpn) const;
  uint64_t crc_errors(uint32_t qpn) const;
  /// The LLP (MPA) error that ended the stream, as a Terminate layer-2 code (0: none).
  uint8_t llp_error(uint32_t qpn) const;

  void set_cqe_sink(std::function<void(const Cqe&)> f) { cqe_sink_ = std::move(f); }
  /// The last segment of a tagged RDMA Write was placed: called when the DMA writes of the
  /// message's bytes are done (visible in host memory), with the QP, the STag and the TO
  /// just past the last segment's bytes (the application polling its buffer sees it now),
  /// and the message's payload bytes (0: unknown, see rdmap::Port::write_placed).
  using WritePlacedSink = std::function<void(uint32_t qpn, uint32_t stag, uint64_t to_end, uint64_t bytes)>;
  void set_write_placed_sink(WritePlacedSink f) { write_placed_sink_ = std::move(f); }
  /// A Read Response FPDU went into the send buffer: called with the QP, the source STag
  /// and the source bytes it carries, [va, va + len) (the responder's part of an inbound
  /// RDMA Read; no completion tells its host).
  using ReadSentSink = std::function<void(uint32_t qpn, uint32_t src_stag, uint64_t va, uint64_t len)>;
  void set_read_sent_sink(ReadSentSink f) { read_sent_sink_ = std::move(f); }

  // ToeClient
  bool toe_data(uint32_t conn, ConstByteSpan data) override;
  void toe_acked(uint32_t conn, uint64_t total) override;
  void toe_state(uint32_t conn, tcp::State from, tcp::State to) override;
  /// Direct placement (RFC 5041 s.3): a segment held out of order whose first byte begins
  /// an FPDU; each whole tagged FPDU in it whose CRC and checks pass is placed now, and
  /// the in-order pass later checks it again without placing it twice (docs/iwarp.md).
  void toe_out_of_order(uint32_t conn, uint64_t pos, ConstByteSpan data) override;
  Duration toe_held_until(uint32_t conn) const override;

  const EngineStats& stats() const { return stats_; }

 private:
  /// One QP: its protocol logic, the stream it runs on, and the timing state around it.
  struct Slot;
  Slot* slot_of_conn(uint32_t conn);
  /// Pulls the QP's FPDUs while the send buffer has room; each is written when its payload
  /// has come by DMA, in issue order.
  void tx_pump(Slot& s);
  void write_fpdu(Slot& s, const rdmap::TxFpdu& f);
  /// The driver's MMIO write of `bytes` at BAR 0 `offset` (a doorbell, `db` its first 8
  /// bytes): on_doorbell runs when it reaches the RNIC.
  void ring(uint64_t offset, const wire::Doorbell& db, uint64_t bytes, bool push = false);
  void on_doorbell(uint64_t offset, const uint8_t* bytes, bool push);
  void fetch_wqes(Slot& s);
  void fetch_rqes(Slot& s);
  /// Decodes the WQE whose slots begin at the send queue's consumer and posts it.
  void take_wqe(Slot& s);
  /// A successful completion: its CQE by DMA into the CQ ring; the application sees it
  /// when it lands (polling) or when its interrupt's handler polls (event).
  void write_cqe(Slot& s, const Cqe& c);
  /// The application polls its CQ: every new CQE, in order, to the sink.
  void poll_cq(Slot& s);
  void cq_event(Slot& s, bool solicited, bool success);
  void raise_interrupt(Slot& s);
  void arm_timer(Slot& s);
  /// DMA-reads an FPDU's payload from host memory now; returns when it has all arrived.
  Duration read_source(const rdmap::TxFpdu& f);
  void schedule_completion(Slot& s);
  /// A completion the driver writes itself (errors and flushes): seen at once.
  void emit_sw(Slot& s, const Cqe& c);
  /// Delivers the driver's CQEs whose turn has come (every CQE written before them polled).
  void release_sw(Slot& s);
  void direct_place(Slot& s, uint64_t key, ConstByteSpan ulpdu);

  EngineConfig cfg_;
  Toe& toe_;
  Dma& dma_;
  PlacementUnit& placement_;
  host::HostMemory& mem_;
  Agenda agenda_;
  std::vector<std::unique_ptr<Slot>> qps_;
  std::vector<uint32_t> qp_of_conn_;
  std::function<void(const Cqe&)> cqe_sink_;
  WritePlacedSink write_placed_sink_;
  ReadSentSink read_sent_sink_;
  std::function<void(uint32_t, QpState, QpState)> qp_event_sink_;
  EngineStats stats_;
  /// The driver's local keys: a buffer's lkey (kLocalKeyBase up), and for Reads the sink
  /// STag, each naming its buffer.
  std::unordered_map<const host::VirtBuffer*, uint32_t> lkey_of_;
  std::unordered_map<uint32_t, const host::VirtBuffer*> lkeys_;
  std::unordered_map<uint32_t, const host::VirtBuffer*> read_sinks_;
};

}  // namespace rnicsim::hw

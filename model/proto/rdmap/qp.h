#pragma once
/// One RDMAP queue pair (RFC 5040 over DDP, RFC 5041; atomics RFC 7306), plain C++ with no
/// clock, shaped like tcp::Connection: its owner feeds it posted work requests, received
/// ULPDUs (one FPDU's DDP segment each, as the MPA deframer delivers them), the peer's
/// acknowledgements and the stream's fate; the QP asks the owner, through its Port, for
/// what moves data or takes time (placement, host-memory writes, atomics, control FPDUs
/// written at once) and reports completions and state changes there. The owner pulls the
/// transmit queue's FPDUs with issue_work/next_fpdu and says when each is in the stream.
/// The SystemC engine (model/hw/rdma_engine) is one owner, with DMA and pipeline timing; the
/// unit tests' QP pair (tests/unit/rdmap/qp_pair.h) is another, with none.
#include <array>
#include <cstdint>
#include <deque>
#include <optional>

#include "model/common/bytes.h"
#include "model/proto/ddp/tagged.h"
#include "model/proto/ddp/untagged.h"
#include "model/proto/mpa/fpdu.h"
#include "model/proto/placement/regions.h"
#include "model/proto/rdmap/opcodes.h"
#include "model/proto/rdmap/types.h"
#include "model/wire/ddp_rdmap.h"

namespace rnicsim::rdmap {

/// What a QP asks of its owner and tells it. Calls come in the order the protocol makes
/// them, which is the order the owner's data movement (and its timing) happens.
class Port {
 public:
  virtual ~Port() = default;
  /// Checks and places one tagged segment (a Write, a Read Response) into the region its
  /// STag names, for a QP of protection domain `pd`; nothing is placed when a check fails.
  virtual ddp::TaggedVerdict place(uint32_t pd, uint32_t stag, uint64_t to, ConstByteSpan payload,
                                   placement::TaggedUse use) = 0;
  /// Writes `n` bytes into a host buffer at `va` (a Send's payload into a receive buffer,
  /// an atomic's original value into the initiator's).
  virtual void write_host(const host::VirtBuffer& buf, uint64_t va, const uint8_t* src, uint64_t n) = 0;
  /// Runs an accepted atomic on its target word (checked: 8 aligned bytes of a region);
  /// returns the word's value before.
  virtual uint64_t run_atomic(const wire::AtomicRequest& r) = 0;
  /// Invalidates a region (a Send with Invalidate that ended).
  virtual void invalidate(uint32_t stag) = 0;
  /// Writes a control FPDU (a Terminate, an RTR) into the stream now, ahead of any FPDU of
  /// the transmit queue not yet written; false when the send buffer has no room for it.
  virtual bool write_control(ConstByteSpan ulpdu) = 0;
  /// Closes the stream: the TCP FIN after the bytes already queued.
  virtual void close_stream() = 0;
  /// Resets the stream: a TCP RST now, whatever is queued.
  virtual void abort_stream() = 0;
  /// The transmit queue may have FPDUs for the owner to pull (issue_work, next_fpdu).
  virtual void tx_ready() = 0;
  virtual void completion(const Cqe& c) = 0;
  /// The response of work request `op` (a Read's last Read Response, an Atomic Response's
  /// value) was just placed: call response_done(op) when the data is visible to the host.
  virtual void response_landed(uint64_t op) = 0;
  /// The last segment of an inbound RDMA Write was placed; `to_end` is the TO just past it
  /// and `bytes` the message's payload, summed over its segments (0 when a segment to
  /// another STag came between them: the message's extent is then unknown).
  virtual void write_placed(uint32_t stag, uint64_t to_end, uint64_t bytes) = 0;
  virtual void state_changed(QpState from, QpState to, Transition why) = 0;
};

/// One DDP segment handed to a receive handler: the decoded header, its bytes (attached to
/// a Terminate about it) and its payload.
struct Segment {
  const wire::DdpHeader& h;
  ConstByteSpan hdr;
  ConstByteSpan payload;
  uint16_t length() const { return static_cast<uint16_t>(hdr.size() + payload.size()); }
};

/// One FPDU of the transmit queue as the owner writes it: the ULPDU's header bytes (DDP
/// header and any RDMAP body) and where its `len` payload bytes come from.
struct TxFpdu {
  enum class Kind { Request, ReadResponse, AtomicResponse };
  static constexpr size_t kMaxHeader =
      wire::kDdpUntaggedHeaderLen + (wire::kReadRequestLen > wire::kAtomicRequestLen ? wire::kReadRequestLen : wire::kAtomicRequestLen);
  std::array<uint8_t, kMaxHeader> hdr{};
  uint32_t hdr_len = 0;
  const host::VirtBuffer* buf = nullptr;  ///< payload from this host buffer, or
  uint32_t src_stag = 0;                  ///< (buf null, len > 0) from this region: a Read Response's source
  /// (non-null) the payload is these bytes from offset `va`: inline data, in the RNIC
  /// already (fetched with its WQE), so no DMA read.
  std::shared_ptr<const std::vector<uint8_t>> inline_data;
  uint64_t va = 0;                        ///< where the payload begins
  uint32_t len = 0;
  uint64_t reserve = 0;  ///< send-buffer bytes it may take (with markers: the worst alignment)
  bool last = false;     ///< the message's last segment (L)
  Kind kind = Kind::Request;
  uint64_t op = 0;       ///< the work request whose message it carries (0: the responder's own)
};

/// A tagged segment that arrived out of order and may be placed before its turn.
struct EarlyPlacement {
  uint32_t stag = 0;
  uint64_t to = 0;
  ConstByteSpan payload;
  placement::TaggedUse use = placement::TaggedUse::WriteSink;
};

class Qp {
 public:
  /// Receives beyond `rq_depth` posted and not completed are refused.
  Qp(uint32_t qpn, uint32_t pd, uint32_t sq_depth, uint32_t rq_depth, const placement::RegionTable& regions,
     Port& port, Counters& counters);
  Qp(const Qp&) = delete;
  Qp& operator=(const Qp&) = delete;

  uint32_t qpn() const { return qpn_; }
  uint32_t pd() const { return pd_; }
  uint32_t sq_depth() const { return sq_depth_; }
  uint32_t rq_depth() const { return rq_depth_; }
  QpState state() const { return state_; }
  /// RTS or CLOSING: the stream carries data both ways and work in progress completes.
  bool active() const;
  const MpaParams& mpa() const { return mpa_; }
  /// The Terminate this QP sent or received, if any.
  const std::optional<TermRecord>& terminate() const { return term_; }
  /// The LLP (MPA) error that ended the stream, as a Terminate layer-2 code (0: none).
  uint8_t llp_error() const { return llp_error_; }
  /// Receives posted and not yet completed (each holds a slot of the receive queue).
  uint32_t receives_outstanding() const { return recv_slots_; }

  // --- the connection
  /// MPA is done: IDLE -> RTR -> RTS; the RTR initiator writes its RTR (RFC 6581 s.8:
  /// the stream's first FPDU). False when it found no room (the QP is in ERROR).
  bool attach(const MpaParams& mpa);
  /// A graceful disconnect: RTS -> CLOSING; work already posted runs to its end, new work
  /// is flushed, then the stream is closed (FIN).
  /// The host moves the QP to ERROR (siw's emergency close when its device goes down):
  /// its work is flushed, its stream reset, so the peer's QP goes to ERROR as well.
  void fatal();
  void disconnect();
  /// The peer's FIN after all its data: RTS -> CLOSING as for disconnect.
  void on_peer_closed();
  /// The stream is closed: CLOSING -> IDLE when nothing is outstanding, TERMINATE -> ERROR,
  /// and RTS or CLOSING with work outstanding -> ERROR (the work flushed).
  void on_stream_closed();

  // --- the send and receive queues
  /// True when a work request may carry this opcode (Write, Read Request, Sends, Atomic Request).
  static bool is_work_request(wire::RdmapOpcode op);
  /// A send-queue work request, fetched: queued in RTS, else completed at once (flushed,
  /// or a Read or atomic with ORD 0: local QP operation error).
  /// The doorbell of a work request reached the RNIC: true when the QP takes it (RTS), so
  /// that its post_send after the fetch runs even once the QP is CLOSING.
  bool ring_doorbell();
  void post_send(const Wqe& w);
  /// The same, for an RNIC that fetches a doorbell's WQEs itself: `rung` is what
  /// ring_doorbell() returned for the doorbell that announced it; fetching_ is left alone
  /// until doorbell_fetched().
  void post_fetched(const Wqe& w, bool rung);
  /// Every WQE of a doorbell that rang in RTS was fetched and posted.
  void doorbell_fetched();
  /// The host rings the receive queue's doorbell: false, and counted, when rq_depth
  /// receives are outstanding already; else the receive holds a slot until it completes.
  bool reserve_receive();
  /// The posted receive arrives (after its doorbell); flushed at once in TERMINATE or ERROR.
  void post_recv(const Rqe& r);

  // --- transmit
  /// Hands fetched work requests to the transmit queue in order (a Read or an atomic waits
  /// for a free ORD slot, a fenced Read for every earlier one); false when nothing may be
  /// sent now (not RTS or CLOSING, or a responder waiting for the RTR).
  bool issue_work();
  /// The next FPDU of the transmit queue (segments of at most `mulpdu` ULPDU bytes), when
  /// its `reserve` fits in `room` send-buffer bytes. An Atomic Response's operation runs
  /// now (Port::run_atomic), behind every earlier Read Response.
  bool next_fpdu(uint32_t mulpdu, uint64_t room, TxFpdu& out);
  /// The owner wrote `f` into the stream; `stream_end` is the stream offset just past it.
  void fpdu_written(const TxFpdu& f, uint64_t stream_end);
  /// The peer acknowledged the stream up to `total` bytes (call complete() after).
  void on_acked(uint64_t total) { acked_ = total; }
  /// Completes the send queue's finished work in order: Writes and Sends whose last byte is
  /// acknowledged, Reads and atomics whose response has landed.
  void complete();
  /// The response of work request `op` is visible (after Port::response_landed).
  void response_done(uint64_t op);

  // --- receive
  /// One FPDU from the deframer, with its MPA status; an RFC 6581 RTR the QP waits for is
  /// consumed here. True when it ended a message (L): acknowledge it at once.
  bool on_fpdu(ConstByteSpan ulpdu, mpa::FpduStatus st);
  /// The DDP/RDMAP receive path of one ULPDU (below the RTR handling): the checks in order,
  /// a failure ending in a Terminate. True when the segment carried L.
  bool receive(ConstByteSpan ulpdu, mpa::FpduStatus st = mpa::FpduStatus::Ok);
  /// True when out-of-order FPDUs may be placed early (RFC 5041 s.3): active, CRCs on (a
  /// CRC that holds tells an FPDU from a guess), no RTR pending.
  bool may_place_early() const;
  /// For an FPDU held out of order: a tagged Write or Read Response whose checks pass may be
  /// placed now (the in-order pass checks it again without placing it twice).
  std::optional<EarlyPlacement> early_placement(ConstByteSpan ulpdu) const;

 private:
  /// A send-queue work request from fetch to completion.
  struct TxOp {
    Wqe w;
    uint64_t seq = 0;          ///< its identity, increasing along the queue
    bool issued = false;       ///< handed to the transmit queue
    bool written = false;      ///< its last FPDU is in the stream
    uint64_t stream_end = 0;   ///< stream offset after its last FPDU
    bool done = false;         ///< ready to complete (ACKed, or the response landed)
    uint32_t request_id = 0;   ///< atomic: the Request Identifier its response echoes
  };
  /// One outgoing message being segmented: a request, a Read Response or an Atomic Response.
  struct TxMsg {
    wire::DdpHeader hdr;           ///< fields of the first segment (TO / MO advance per segment)
    std::vector<uint8_t> body;     ///< RDMAP bytes after the DDP header (Read Request, atomics)
    const host::VirtBuffer* buf = nullptr;
    uint32_t src_stag = 0;
    std::shared_ptr<const std::vector<uint8_t>> inline_data;
    uint64_t src_va = 0;
    uint64_t length = 0;           ///< payload bytes
    uint64_t issued = 0;
    uint64_t op = 0;               ///< the work request it carries (0: none)
    TxFpdu::Kind kind = TxFpdu::Kind::Request;
    wire::AtomicRequest atomic;    ///< an Atomic Response's request, run when it is issued
  };
  friend const OpcodeInfo* opcode_info(uint8_t);

  void set_state(Transition t);
  const TxOp* find_op(uint64_t seq) const;
  TxOp* find_op(uint64_t seq) { return const_cast<TxOp*>(static_cast<const Qp*>(this)->find_op(seq)); }
  void try_close();
  /// Completes every send-queue work request: the first with `first`, the rest flushed.
  void fail_work(WcStatus first);
  void flush_receives();
  void recv_completion(const Cqe& c);
  /// The QP leaves RTS or CLOSING for ERROR (`why`), its work flushed, the stream closed.
  void to_error(Transition why);
  /// Flushes both queues and closes the stream (TERMINATE stays until the stream is gone).
  void flush_and_close();
  bool write_control(ConstByteSpan ulpdu);
  /// A check failed: the Terminate (with the offending headers when given), then the work
  /// completes in error and the stream is closed, as siw does.
  void send_terminate(wire::TermCode code, ConstByteSpan ddp_hdr = {}, uint16_t seg_len = 0,
                      ConstByteSpan rdmap_hdr = {});
  void send_terminate(wire::TermCode code, const Segment& s) { send_terminate(code, s.hdr, s.length()); }
  bool rtr_hook(ConstByteSpan ulpdu, mpa::FpduStatus st);
  void on_untagged(const Segment& s);
  /// The DDP untagged checks of a segment on queue `qn` against `b`; false when it failed
  /// (and the Terminate is sent).
  bool accept_untagged(const Segment& s, const ddp::UntaggedBuffers& b);
  void on_write(const Segment& s);
  void on_read_request(const Segment& s);
  void on_read_response(const Segment& s);
  void on_send(const Segment& s);
  void on_terminate(const Segment& s);
  void on_atomic_request(const Segment& s);
  void on_atomic_response(const Segment& s);

  uint32_t qpn_, pd_, sq_depth_, rq_depth_;
  const placement::RegionTable& regions_;
  Port& port_;
  Counters& n_;
  QpState state_ = QpState::Idle;
  MpaParams mpa_;
  std::deque<TxOp> sq_;          ///< fetched, not yet completed
  // Cursors along sq_ (by seq), so that no call walks the whole queue: ops are issued in
  // queue order, and reach the stream (and so their ACK) in that order too.
  uint64_t issue_seq_ = 1;       ///< the first op not yet issued
  uint64_t acked_seq_ = 1;       ///< the first op not yet found acknowledged (or awaited)
  std::deque<TxMsg> tx_;         ///< messages to segment, in stream order
  uint64_t next_seq_ = 1;
  uint64_t fpdus_pending_ = 0;   ///< handed to the owner, not yet written
  uint32_t fetching_ = 0;        ///< work requests whose doorbell rang in RTS, not yet fetched
  uint64_t acked_ = 0;           ///< stream bytes the peer acknowledged
  ddp::UntaggedSender msn_tx_;   ///< untagged queues we send on
  ddp::UntaggedQueue rxq_[ddp::kQueues];  ///< untagged queues we receive on
  std::deque<Rqe> rq_;           ///< posted receives
  uint32_t recv_slots_ = 0;      ///< receives whose doorbell rang, not yet completed
  /// Reads and atomics sent (their work requests), in request order: their responses come
  /// back in this order, and together they are bounded by the ORD (RFC 7306 counts atomics
  /// against ORD/IRD).
  std::deque<uint64_t> reads_out_;
  uint32_t reads_in_ = 0;        ///< inbound Reads and atomics not yet answered (IRD)
  /// The inbound Write under way: its STag and the payload of its segments so far.
  uint32_t write_stag_ = 0;
  uint64_t write_bytes_ = 0;
  bool write_mixed_ = false;  ///< a segment to another STag came in the middle of it
  uint32_t next_request_id_ = 1; ///< Request Identifier of our next Atomic Request
  bool rtr_wait_ = false;        ///< responder: nothing is sent before the RTR arrives
  bool rtr_reply_wait_ = false;  ///< initiator of a Read RTR: its Read Response comes first
  uint8_t llp_error_ = 0;
  std::optional<TermRecord> term_;
  bool fin_requested_ = false;   ///< CLOSING: the stream's close has been asked
};

}  // namespace rnicsim::rdmap

#pragma once
/// The DDP/RDMAP engine: queue pairs in RTS, the send queue (WQE fetch by DMA, payload
/// DMA reads, segmentation into FPDUs of at most MULPDU written straight into the TCP send
/// buffer), completions by DMA, and the receive path (MPA deframing, DDP/RDMAP decoding,
/// tagged placement through the placement unit).
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "host_if/host_memory.h"
#include "model/common/sim.h"
#include "model/hw/dma/dma.h"
#include "model/hw/placement/placement.h"
#include "model/hw/toe/toe.h"
#include "model/proto/mpa/fpdu.h"
#include "model/proto/mpa/rtr.h"
#include "model/wire/ddp_rdmap.h"

namespace rnicsim::hw {

enum class QpState { Idle, Rtr, Rts, Closing, Terminate, Error };
const char* to_string(QpState s);

/// A work request as the host writes it into the send queue.
struct Wqe {
  uint64_t wr_id = 0;
  wire::RdmapOpcode opcode = wire::RdmapOpcode::RdmaWrite;
  uint64_t local_va = 0;
  const host::VirtBuffer* local = nullptr;  ///< the registered source buffer
  uint64_t remote_va = 0;
  uint32_t rkey = 0;
  uint64_t length = 0;
};

enum class WcStatus { Success, LocalProtectionError, RemoteAccessError, FlushError };
const char* to_string(WcStatus s);

struct Cqe {
  uint64_t wr_id = 0;
  uint32_t qpn = 0;
  WcStatus status = WcStatus::Success;
  uint64_t byte_len = 0;
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
  QpState state(uint32_t qpn) const { return qps_[qpn]->state; }
  uint32_t conn_of(uint32_t qpn) const { return qps_[qpn]->conn; }
  const MpaParams& mpa(uint32_t qpn) const { return qps_[qpn]->mpa; }
  uint64_t crc_errors(uint32_t qpn) const { return qps_[qpn]->deframer ? qps_[qpn]->deframer->crc_errors() : 0; }
  /// The LLP (MPA) error that ended the stream, as a Terminate layer-2 code (0: none).
  uint8_t llp_error(uint32_t qpn) const { return qps_[qpn]->llp_error; }

  void set_cqe_sink(std::function<void(const Cqe&)> f) { cqe_sink_ = std::move(f); }

  // ToeClient
  bool toe_data(uint32_t conn, ConstByteSpan data) override;
  void toe_acked(uint32_t conn, uint64_t total) override;
  void toe_state(uint32_t conn, tcp::State from, tcp::State to) override;

  const EngineStats& stats() const { return stats_; }

 private:
  struct TxOp {
    Wqe w;
    uint64_t issued = 0;       ///< payload bytes whose FPDUs are issued
    uint64_t stream_end = 0;   ///< stream offset after its last FPDU (set when written)
    bool written = false;
  };
  struct Qp {
    uint32_t qpn = 0;
    uint32_t pd = 0;
    uint32_t sq_depth = 0;
    QpState state = QpState::Idle;
    uint32_t conn = UINT32_MAX;
    MpaParams mpa;
    std::deque<TxOp> sq;         ///< fetched, not yet completed
    size_t issue = 0;            ///< index in sq of the op being segmented
    uint64_t reserved = 0;       ///< send-buffer bytes promised to DMA reads in flight
    std::unique_ptr<mpa::Deframer> deframer;
    uint64_t tx_s0 = 0;          ///< stream offset of S0 (after our MPA frame) when sending
    bool rtr_wait = false;       ///< responder: nothing is sent before the RTR arrives
    bool rtr_reply_wait = false; ///< initiator of a Read RTR: its Read Response comes first
    uint8_t llp_error = 0;
    bool last_seen = false;      ///< an FPDU with the L bit ended in the current feed
  };
  void tx_pump(Qp& qp);
  void complete(Qp& qp, uint64_t acked);
  void on_fpdu(Qp& qp, ConstByteSpan ulpdu, mpa::FpduStatus st);
  /// RFC 6581 RTR handling before on_fpdu; true when the FPDU was the RTR's (or broke it).
  bool rtr_hook(Qp& qp, ConstByteSpan ulpdu, mpa::FpduStatus st);
  /// Writes a control FPDU (RTR, its Read Response) straight into the send buffer.
  bool write_control(Qp& qp, const std::vector<uint8_t>& ulpdu);
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
  EngineStats stats_;
};

}  // namespace rnicsim::hw

#pragma once
/// The simulated side of an RDMA connection whose other end is a peer outside the
/// simulation (a Linux program over a TAP end): the peer connects to the RNIC's listening
/// port and does the work, the simulated host only offers it. Two workloads:
/// - `expose`: regions registered before the peer connects, each between guard pages and
///   told to the peer in the MPA Reply's private data (describe_regions), which the peer
///   Reads (access: read, the region holds its piece of the workload's stream) or Writes
///   (access: write, the region must end up holding it);
/// - `sink`: receives posted for the peer's Sends, each message checked against its piece
///   of the connection's stream.
/// Both check what the RNIC placed or sent on the simulated host's behalf: the peer checks
/// what it got itself. Stream bytes are fill_stream_pattern's (`rnicsim pattern`).
#include <cstdint>
#include <map>
#include <vector>

#include "host_if/host.h"
#include "model/proto/tcp/interval_set.h"
#include "model/scenario/scenario.h"
#include "model/sim/workload.h"

namespace rnicsim::sim {

/// Bytes of one region's descriptor in the MPA Reply: STag(4) TO(8) Length(4), big-endian.
constexpr size_t kRegionDescriptorLen = 16;

/// Whether a QP accepted for an outside peer has ended: terminated, in error, or closed
/// (IDLE again after its stream was attached). Before the accept, in RTR (the RTR not yet
/// come) and while CLOSING it has not.
bool qp_ended(host::Host& h, uint32_t qpn);

class ExposeRunner : public Runner {
 public:
  /// `key`: the stream's (stream_key of the workload's id, `<id>_<n>` for a repeat copy).
  ExposeRunner(const scenario::WorkloadSpec& spec, uint64_t key, host::Host& h);
  /// Allocates, fills and registers the regions (PD 1, the QP's): remote read only, or
  /// remote write only. Done before the listen, so their STags go into the Reply.
  void register_regions();
  /// Appends each region's descriptor, in order (`count` of each size in turn).
  void describe(std::vector<uint8_t>& out) const;
  /// The peer's connection was accepted on this QP.
  void attach(uint32_t qpn);
  /// Nothing listened (the port was taken): every region is an error.
  void never_listened() { refused_ = true; }
  void start() override {}
  void on_cqe(const hw::Cqe&) override {}
  void on_write_placed(host::Host* h, uint32_t qpn, uint32_t stag, uint64_t to_end, uint64_t bytes) override;
  void on_read_sent(host::Host* h, uint32_t qpn, uint32_t stag, uint64_t va, uint64_t len) override;
  bool finished() const override;
  void finish_checks() override;
  const std::map<uint64_t, SizeFigures>& figures() const override { return figures_; }

 private:
  struct Region {
    uint64_t size = 0, offset = 0;  ///< its piece of the stream: [offset, offset + size)
    GuardedBuffer buf;
    uint32_t stag = 0;
    tcp::IntervalSet covered;  ///< bytes written (or sent) so far, as offsets in the region
    bool done = false;
  };
  /// True when the region holds its piece of the stream.
  bool holds_stream(const Region& r) const;
  /// Bytes [va, va + len) of the region with `stag` were written or sent.
  void cover(uint32_t stag, uint64_t va, uint64_t len);
  const scenario::WorkloadSpec& spec_;
  uint64_t key_;
  host::Host& h_;
  uint32_t qpn_ = UINT32_MAX;
  bool refused_ = false;
  std::vector<Region> regions_;
  std::map<uint64_t, SizeFigures> figures_;
};

/// `sink` on an RDMA connection: `count` messages of each size in turn, message n holding
/// stream bytes [offset_n, offset_n + size_n); at most qp.rq_depth receives posted at once,
/// each posted again for the next message once it completes.
class PeerSinkRunner : public Runner {
 public:
  PeerSinkRunner(const scenario::WorkloadSpec& spec, uint32_t index, uint64_t key, host::Host& h, uint32_t rq_depth);
  /// The peer's connection was accepted on this QP: the receives are posted before the
  /// Reply goes out (rdma_accept wants them posted).
  void attach(uint32_t qpn);
  /// Nothing listened (the port was taken): every message is an error.
  void never_listened() { refused_ = true; }
  void start() override {}
  void on_cqe(const hw::Cqe& c) override;
  bool finished() const override { return received_ == messages_.size(); }
  void finish_checks() override;
  const std::map<uint64_t, SizeFigures>& figures() const override { return figures_; }

 private:
  struct Message {
    uint64_t size = 0, offset = 0;
  };
  void post_next();
  /// The receive buffer message n lands in.
  uint64_t slot_va(uint64_t n) const { return buf_.inner.va + (n % slots_) * slot_; }
  const scenario::WorkloadSpec& spec_;
  uint32_t index_;
  uint64_t key_;
  host::Host& h_;
  uint32_t rq_depth_;
  uint32_t qpn_ = UINT32_MAX;
  bool refused_ = false;
  std::vector<Message> messages_;
  uint64_t slot_ = 0;      ///< bytes per receive buffer: the largest size
  uint32_t slots_ = 0;     ///< receive buffers: min(messages, rq_depth)
  GuardedBuffer buf_;
  uint64_t posted_ = 0;    ///< receives posted (message n goes to slot n % slots_)
  uint64_t received_ = 0;  ///< completions seen, in order
  std::map<uint64_t, SizeFigures> figures_;
};

}  // namespace rnicsim::sim

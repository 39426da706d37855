#pragma once
/// The application side of a workload, perftest style: `depth` operations outstanding,
/// each with its own payload pattern (seed and operation index), checked where it landed;
/// every target buffer sits between guard pages and starts filled with a guard byte, and a
/// slot is refilled with it once its operation has been checked, so at the end the whole
/// target area must hold the guard byte again: nothing was placed anywhere else.
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "host_if/host.h"
#include "model/scenario/scenario.h"

namespace rnicsim::sim {

/// Fills `n` bytes with the pattern of one operation.
void fill_pattern(uint64_t seed, uint64_t op_key, uint8_t* dst, uint64_t n);

/// The guard byte every target area starts with.
constexpr uint8_t kGuardByte = 0xA5;

struct SizeFigures {
  uint64_t completed = 0, errors = 0, bytes = 0;
  Duration first_post{-1}, last_completion{-1};
  std::vector<int64_t> latencies_ns;
  bool data_intact = true;
};

/// One connection copy the workload runs on.
struct Endpoint {
  host::Host* client = nullptr;
  host::Host* server = nullptr;
  uint32_t client_qpn = 0;
  uint32_t server_qpn = UINT32_MAX;
};

/// A buffer between two guard pages, filled with the guard byte.
struct GuardedBuffer {
  host::VirtBuffer whole;  ///< with the guard pages
  host::VirtBuffer inner;  ///< the usable part
  void make(host::Host& h, uint64_t len);
  /// True when every byte of `whole` holds the guard byte.
  bool untouched(host::HostMemory& m) const;
};

class OpRunner;

/// The target side of Sends on one connection copy: posted receive buffers (each a
/// two-piece scatter list, the second half of its slot first), checked in message order
/// against the Sends posted on the connection, then refilled with the guard byte and
/// posted again.
class Receiver {
 public:
  Receiver(Endpoint ep, uint64_t slot, uint32_t slots);
  void start();
  /// A Send was posted (in posting order, which is the stream's MSN order).
  struct Expected {
    OpRunner* from = nullptr;
    uint64_t key = 0, size = 0;
    bool solicited = false;
    uint32_t invalidate = 0;  ///< the STag the Send invalidates, or 0
  };
  void expect(const Expected& e) { expected_.push_back(e); }
  void on_cqe(const hw::Cqe& c, uint64_t seed);
  bool untouched() { return buf_.untouched(ep_.server->memory()); }
  uint64_t received() const { return received_; }
  /// Sends of `r` received (checked or not).
  uint64_t received_from(const OpRunner* r) const {
    auto it = by_runner_.find(r);
    return it == by_runner_.end() ? 0 : it->second;
  }

 private:
  void post(uint32_t slot);
  Endpoint ep_;
  uint64_t slot_;
  uint32_t slots_;
  GuardedBuffer buf_;
  std::deque<Expected> expected_;
  uint64_t received_ = 0;
  std::map<const OpRunner*, uint64_t> by_runner_;  ///< looked up only, never iterated
  bool started_ = false;
};

/// One workload on one connection copy: write, read, send, send_se, send_inv, send_se_inv.
class OpRunner {
 public:
  OpRunner(const scenario::WorkloadSpec& spec, uint32_t index, uint64_t seed, uint32_t copy, Endpoint ep,
           Receiver* receiver);
  /// Connection is up: register buffers and start posting at max(now, start).
  void start();
  /// A completion on this runner's QP (others' are ignored by wr_id).
  void on_cqe(const hw::Cqe& c);
  bool finished() const { return finished_; }
  /// Final checks (the target area holds the guard byte again).
  void finish_checks();
  const std::map<uint64_t, SizeFigures>& figures() const { return figures_; }
  const scenario::WorkloadSpec& spec() const { return spec_; }
  /// The receiver found a Send of this runner wrong.
  void data_bad(uint64_t size) { figures_[size].data_intact = false; }
  /// wr_id of this runner's n-th operation.
  uint64_t wr_id(uint64_t n) const { return (uint64_t{index_} << 48) | (uint64_t{copy_} << 40) | n; }

 private:
  void post_next();
  void begin_size();
  uint32_t bad_stag(uint32_t good) const;
  const scenario::WorkloadSpec& spec_;
  uint32_t index_;
  uint64_t seed_;
  uint32_t copy_;
  Endpoint ep_;
  Receiver* receiver_;
  size_t size_idx_ = 0;
  uint64_t posted_ = 0, done_ = 0;  ///< within the current size
  uint64_t total_ops_ = 0;          ///< over all sizes, for unique pattern keys
  host::VirtBuffer src_;            ///< write/send: client source; read: server source
  GuardedBuffer target_;            ///< write: server sink; read: client sink
  uint32_t remote_stag_ = 0;        ///< write sink or read source, as the initiator uses it
  uint32_t sink_stag_ = 0;          ///< read: the client's sink STag
  uint32_t pd_ = 1;
  struct Inflight {
    uint64_t key = 0;
    Duration posted{};
    uint64_t slot_va = 0;
  };
  std::map<uint64_t, Inflight> inflight_;  ///< wr_id -> operation
  std::map<uint64_t, SizeFigures> figures_;
  bool finished_ = false;
  bool started_ = false;
};

}  // namespace rnicsim::sim

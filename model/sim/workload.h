#pragma once
/// The application side of a workload, perftest style: `depth` operations outstanding,
/// each with its own payload pattern (seed and operation index), checked where it landed.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "host_if/host.h"
#include "model/scenario/scenario.h"

namespace rnicsim::sim {

/// Fills `n` bytes with the pattern of one operation.
void fill_pattern(uint64_t seed, uint64_t op_key, uint8_t* dst, uint64_t n);

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

/// An RDMA Write workload on one connection copy.
class WriteRunner {
 public:
  WriteRunner(const scenario::WorkloadSpec& spec, uint64_t seed, uint32_t copy, Endpoint ep);
  /// Connection is up: register buffers and start posting at max(now, start).
  void start();
  /// A completion for this runner's QP.
  void on_cqe(const hw::Cqe& c);
  bool finished() const { return finished_; }
  /// Final checks (bytes around the target buffer untouched).
  void finish_checks();
  const std::map<uint64_t, SizeFigures>& figures() const { return figures_; }

 private:
  void post_next();
  void begin_size();
  const scenario::WorkloadSpec& spec_;
  uint64_t seed_;
  uint32_t copy_;
  Endpoint ep_;
  size_t size_idx_ = 0;
  uint64_t posted_ = 0, done_ = 0;  ///< within the current size
  uint64_t total_ops_ = 0;          ///< over all sizes, for unique pattern keys
  host::VirtBuffer src_, dst_, whole_;  ///< whole_: the target buffer with its guard pages
  uint64_t size_base_ = 0;              ///< total_ops_ when the current size began
  uint32_t dst_stag_ = 0;
  uint64_t guard_ = 4096;           ///< bytes checked on each side of the target buffer
  std::map<uint64_t, std::pair<uint64_t, Duration>> inflight_;  ///< wr_id -> (op key, post time)
  std::map<uint64_t, SizeFigures> figures_;
  bool finished_ = false;
  bool started_ = false;
};

}  // namespace rnicsim::sim

#pragma once
/// The `bulk` workload: a host-stack TCP socket that sends `count` transfers of each
/// `size` back to back, as an iperf-style application would, and its peer that reads
/// everything at once and checks every byte against the stream's pattern.
#include <cstdint>
#include <deque>
#include <map>

#include "model/hw/toe/toe.h"
#include "model/scenario/scenario.h"
#include "model/sim/workload.h"

namespace rnicsim::sim {

/// The byte pattern of a stream: byte `offset` of stream `key`.
void fill_stream_pattern(uint64_t key, uint64_t offset, uint8_t* dst, size_t n);

/// The receiving application: reads every byte as it arrives and checks it.
class BulkSink : public hw::ToeClient {
 public:
  explicit BulkSink(uint64_t key) : key_(key) {}
  bool toe_data(uint32_t conn, ConstByteSpan data) override;
  void toe_acked(uint32_t, uint64_t) override {}
  void toe_state(uint32_t, tcp::State, tcp::State) override {}
  uint64_t received() const { return received_; }
  bool intact() const { return intact_; }

 private:
  uint64_t key_;
  uint64_t received_ = 0;
  bool intact_ = true;
  std::vector<uint8_t> expect_;
};

/// The seed of a connection's stream pattern: FNV-1a of its id (the same on every
/// platform), mixed with the scenario's seed. `rnicsim pattern` writes the stream.
uint64_t stream_key(const std::string& conn_id, uint64_t seed);

/// `bulk`: sends `count` transfers of each `size` and counts each done when the peer has
/// acknowledged its last byte. `sink` (Receive, a peer outside the simulation sending):
/// reads the transfers as they arrive, each done when its last byte has, and checks every
/// byte against the stream's pattern.
class BulkRunner : public hw::ToeClient {
 public:
  enum class Role { Send, Receive };
  BulkRunner(const scenario::WorkloadSpec& spec, uint64_t key, hw::Toe& stack, Role role = Role::Send);
  /// The connection is established (conn: its id in `stack`); starts at max(now, start).
  void attach(uint32_t conn) { conn_ = conn; }
  void start();
  bool finished() const { return finished_; }
  /// Final check against what the peer received.
  void finish_checks(const BulkSink* sink);
  const std::map<uint64_t, SizeFigures>& figures() const { return figures_; }

  bool toe_data(uint32_t, ConstByteSpan data) override;
  void toe_acked(uint32_t conn, uint64_t total) override;
  void toe_state(uint32_t, tcp::State, tcp::State to) override;

 private:
  struct Transfer {
    uint64_t size = 0;
    uint64_t end = 0;     ///< stream offset after its last byte
    Duration posted{-1};  ///< when its first byte was queued
  };
  void fill();
  void plan_next();

  const scenario::WorkloadSpec& spec_;
  uint64_t key_;
  hw::Toe& stack_;
  Role role_;
  uint64_t received_ = 0;            ///< Receive: stream bytes read
  bool intact_ = true;               ///< Receive: every byte read matched the pattern
  std::vector<uint8_t> expect_;
  uint32_t conn_ = UINT32_MAX;
  size_t size_idx_ = 0;
  uint64_t planned_in_size_ = 0;     ///< transfers of the current size planned so far
  uint64_t written_ = 0;             ///< stream bytes queued
  uint64_t planned_end_ = 0;         ///< stream offset the planned transfers reach
  std::deque<Transfer> pending_;     ///< planned, not yet acknowledged
  std::map<uint64_t, SizeFigures> figures_;
  bool started_ = false, finished_ = false, failed_ = false;
};

}  // namespace rnicsim::sim

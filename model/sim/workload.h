#pragma once
/// The application side of a workload, perftest style: `depth` operations outstanding,
/// each with its own payload pattern (seed and operation index), checked where it landed;
/// every target buffer sits between guard pages and starts filled with a guard byte, and a
/// slot is refilled with it once its operation has been checked, so at the end the whole
/// target area must hold the guard byte again: nothing was placed anywhere else.
#include <cmath>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "host_if/host.h"
#include "model/scenario/scenario.h"
#include "model/stats/stats.h"

namespace rnicsim::sim {

/// Fills `n` bytes with the pattern of one operation.
void fill_pattern(uint64_t seed, uint64_t op_key, uint8_t* dst, uint64_t n);
/// Bytes [offset, offset + n) of that pattern (each 8 bytes of it stand alone, so any
/// piece is made without the ones before it).
void fill_pattern_at(uint64_t seed, uint64_t op_key, uint64_t offset, uint8_t* dst, uint64_t n);
/// True when `got` holds bytes [offset, offset + n) of that pattern (compared a word at a
/// time, without making the pattern).
bool pattern_matches(uint64_t seed, uint64_t op_key, uint64_t offset, const uint8_t* got, uint64_t n);

/// The guard byte every target area starts with.
constexpr uint8_t kGuardByte = 0xA5;

/// perftest's BW peak interval (print_report_bw's opt_delta): the least, over every i <= j,
/// of (completions[j] - posts[i]) / (j - i + 1), both sorted, over the first
/// min(posts, completions) of each; -1 when there are none. Exact, in O(n log n): the
/// least slope from the point (j + 1, completions[j]) to the points (i, posts[i]) to its
/// left lies at a vertex of their upper hull (perftest's own double loop is O(n^2)).
double peak_interval_ps(std::vector<int64_t> posts, std::vector<int64_t> completions);

struct SizeFigures {
  uint64_t completed = 0, errors = 0, bytes = 0;
  uint64_t unfinished = 0;  ///< set when the figures are reported: count less completed and errors
  uint64_t in_flight = 0;   ///< posted, neither completed nor in error, when the run ended
  uint64_t verified = 0;    ///< operations whose placed bytes were compared with their pattern
  Duration first_post{-1}, last_completion{-1};
  std::vector<int64_t> latencies_ns;
  /// Bandwidth workloads: each post's and each successful completion's instant (ps), for
  /// perftest's BW peak.
  std::vector<int64_t> posts_ps, completions_ps;
  bool data_intact = true;  ///< no byte compared differed, and none lay outside its buffer
  /// results.json's data_intact: false when anything differed, else true once bytes were
  /// verified, else null (nothing placed was checked: no claim either way).
  std::optional<bool> intact() const {
    if (!data_intact) return false;
    if (verified == 0) return std::nullopt;
    return true;
  }

  /// Seconds from the first post to the last completion (0 before both).
  double seconds() const {
    return first_post.ps >= 0 && last_completion.ps > first_post.ps ? (last_completion - first_post).s() : 0.0;
  }
  static stats::Group<SizeFigures> group() {
    using stats::Unit;
    // Rates to 6 decimals, as perftest prints them.
    auto round6 = [](double x) { return std::round(x * 1e6) / 1e6; };
    return stats::Group<SizeFigures>()
        .counter("completed", &SizeFigures::completed, Unit::Operations, "operations completed without error")
        .counter("errors", &SizeFigures::errors, Unit::Operations,
                 "operations completed in error, or never run (the connection did not come up)")
        .counter("unfinished", &SizeFigures::unfinished, Unit::Operations,
                 "operations neither completed nor in error when the run ended (in flight, or not yet "
                 "posted, at stop.after)")
        .counter("in_flight", &SizeFigures::in_flight, Unit::Operations,
                 "operations posted and neither completed nor in error when the run ended (part of unfinished)")
        .counter("bytes", &SizeFigures::bytes, Unit::Bytes, "application payload bytes of the completed operations")
        .formula("goodput_gbps", Unit::Gbps, "payload bytes / (last completion - first post)",
                 [round6](const SizeFigures& f) {
                   const double s = f.seconds();
                   return s > 0 ? round6(static_cast<double>(f.bytes) * 8 / s / 1e9) : 0.0;
                 })
        .formula("peak_gbps", Unit::Gbps,
                 "perftest's BW peak: the mean size / the least of (completion j - post i) / (j - i + 1) over "
                 "i <= j (0 without posts and completions: latency, ping and bulk workloads)",
                 [round6](const SizeFigures& f) {
                   const double d = f.completed ? peak_interval_ps(f.posts_ps, f.completions_ps) : -1;
                   if (d <= 0) return 0.0;
                   const double size = static_cast<double>(f.bytes) / static_cast<double>(f.completed);
                   return round6(size * 8 / (d * 1e-12) / 1e9);
                 })
        .formula("msg_rate_mps", Unit::Mops, "operations completed / (last completion - first post)",
                 [round6](const SizeFigures& f) {
                   const double s = f.seconds();
                   return s > 0 ? round6(static_cast<double>(f.completed) / s / 1e6) : 0.0;
                 })
        .distribution("latency_ns", Unit::Ns, "per-operation latency, post to completion (write_lat, send_lat: half the round trip, as perftest)",
                      stats::Dist::WholeSpread,
                      [](const SizeFigures& f) -> const std::vector<int64_t>& { return f.latencies_ns; })
        .formula("data_intact", Unit::Flag,
                 "every byte verified was placed as sent and none lay outside its buffer; null when no "
                 "operation's bytes were verified",
                 [](const SizeFigures& f) { return f.intact(); });
  }
};

/// The application's view of one QP's send queue (`qp.sq_depth`), as perftest keeps it
/// (its tx depth): at most `depth` work requests posted and not yet completed. A runner
/// that finds the queue full waits for a completion; waiters are served in order.
class SendQueueGate {
 public:
  explicit SendQueueGate(uint32_t depth) : depth_(depth) {}
  /// Takes one entry; false when the queue is full.
  bool try_take();
  /// Runs `fn` once an entry has been taken for it (at the next completion that frees one).
  void wait(std::function<void()> fn) { waiters_.push_back(std::move(fn)); }
  /// A completion freed one entry: the first waiter takes it.
  void give();

 private:
  uint32_t depth_;
  uint32_t busy_ = 0;
  std::deque<std::function<void()>> waiters_;
};

/// One connection copy the workload runs on.
struct Endpoint {
  host::Host* client = nullptr;
  host::Host* server = nullptr;
  uint32_t client_qpn = 0;
  uint32_t server_qpn = UINT32_MAX;
  SendQueueGate* client_sq = nullptr;  ///< the client QP's send queue, shared by its workloads
  SendQueueGate* server_sq = nullptr;  ///< the server QP's (the latency workloads' replies)
  uint32_t rq_depth = 256;             ///< receives each QP holds (`qp.rq_depth`)
};

/// A buffer between two guard pages, filled with the guard byte.
struct GuardedBuffer {
  host::VirtBuffer whole;  ///< with the guard pages
  host::VirtBuffer inner;  ///< the usable part
  void make(host::Host& h, uint64_t len);
  /// True when every byte of `whole` holds the guard byte, except the ranges
  /// (va, length) in `skip`: the slots of operations still in flight when a run is cut
  /// short by stop.after, whose bytes may lie there half placed.
  bool untouched(host::HostMemory& m, const std::vector<std::pair<uint64_t, uint64_t>>& skip = {}) const;
};

class OpRunner;

/// What the simulation sees of one workload on one connection copy.
class Runner {
 public:
  virtual ~Runner() = default;
  /// Connection is up: register buffers and start posting at max(now, start).
  virtual void start() = 0;
  /// A completion on one of this runner's QPs (others' are ignored by wr_id).
  virtual void on_cqe(const hw::Cqe& c) = 0;
  /// An RDMA Write landed on one of this runner's QPs (host, qpn, stag, TO past its end).
  /// `bytes`: the message's payload (0: its extent is unknown).
  virtual void on_write_placed(host::Host* /*h*/, uint32_t /*qpn*/, uint32_t /*stag*/, uint64_t /*to_end*/,
                               uint64_t /*bytes*/) {}
  /// The RNIC sent source bytes [va, va + len) of an inbound RDMA Read on one of this
  /// runner's QPs in a Read Response FPDU.
  virtual void on_read_sent(host::Host* /*h*/, uint32_t /*qpn*/, uint32_t /*stag*/, uint64_t /*va*/, uint64_t /*len*/) {}
  virtual bool finished() const = 0;
  /// Final checks (the target areas hold the guard byte again).
  virtual void finish_checks() = 0;
  virtual const std::map<uint64_t, SizeFigures>& figures() const = 0;
};

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
  /// Nothing lies in the receive area but the guard byte, except in the slots the Sends
  /// posted and not yet received (in flight when a run is cut short) will land in.
  bool untouched();
  /// The target's QP still takes Sends (else those not yet received never will be).
  bool open() const;
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
  std::deque<uint32_t> posted_;  ///< slots of the receives posted, in order (they complete in order)
  uint64_t received_ = 0;
  std::map<const OpRunner*, uint64_t> by_runner_;  ///< looked up only, never iterated
  bool started_ = false;
};

/// One workload on one connection copy: write, read, send, send_se, send_inv, send_se_inv,
/// fetch_add, cmp_swap.
///
/// Atomics (RFC 7306) all work on one 8-byte word of the server's, between guard pages,
/// that starts at a seeded value. The responder runs them in order, so the initiator knows
/// the value each one finds: every operand comes from the operation's pattern, each
/// original value returned must be the one expected, and at the end the word must hold the
/// value of the whole chain. Every fourth cmp_swap compares with a wrong value on purpose
/// and must leave the word unchanged. The original values land in `depth` slots of the
/// client's, between guard pages, used in turn.
class OpRunner : public Runner {
 public:
  OpRunner(const scenario::WorkloadSpec& spec, uint32_t index, uint64_t seed, uint32_t copy, Endpoint ep,
           Receiver* receiver);
  void start() override;
  void on_cqe(const hw::Cqe& c) override;
  /// Every operation completed, and every Write or Send that completed is placed at the
  /// target (or never will be): the run ends only after the last placement.
  bool finished() const override;
  /// Write: one of this workload's Writes is in the target's memory.
  void on_write_placed(host::Host* h, uint32_t qpn, uint32_t stag, uint64_t to_end, uint64_t bytes) override;
  void finish_checks() override;
  const std::map<uint64_t, SizeFigures>& figures() const override { return figures_; }
  const scenario::WorkloadSpec& spec() const { return spec_; }
  /// The receiver checked a Send of this runner where it was placed.
  void data_checked(uint64_t size, bool ok) {
    if (size > 0) ++figures_[size].verified;  // a zero-length Send carries no byte to verify
    if (!ok) figures_[size].data_intact = false;
  }
  /// wr_id of this runner's n-th operation.
  uint64_t wr_id(uint64_t n) const { return (uint64_t{index_} << 48) | (uint64_t{copy_} << 40) | n; }

 private:
  /// Posts while the workload's depth, its count and the send queue allow; waits on the
  /// queue when only it is full.
  void pump();
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
  GuardedBuffer target_;            ///< write: server sink; read: client sink; atomics: the server's word
  GuardedBuffer results_;           ///< atomics: the client's slots for the original values
  uint64_t value_ = 0;              ///< atomics: the word's value once every posted operation has run
  /// atomics: the value the first operation that completed in error found (it did not
  /// run, and nothing posted after it did: completions come in order and the QP has left
  /// RTS or CLOSING), which the word must still hold at the end.
  std::optional<uint64_t> stopped_at_;
  uint32_t remote_stag_ = 0;        ///< write sink or read source, as the initiator uses it
  uint64_t placed_ = 0;             ///< write: messages the target reported placed in its sink
  uint32_t sink_stag_ = 0;          ///< read: the client's sink STag
  uint32_t pd_ = 1;
  struct Inflight {
    uint64_t key = 0;
    Duration posted{};
    uint64_t slot_va = 0;
    uint64_t expect = 0;  ///< atomics: the value the operation finds (its original value)
  };
  std::map<uint64_t, Inflight> inflight_;  ///< wr_id -> operation
  /// Slots of Writes and Reads flushed (their QP went to ERROR under them): what they hold
  /// is undefined, as verbs say of work completed in error, so they are not checked.
  std::vector<std::pair<uint64_t, uint64_t>> flushed_;
  std::map<uint64_t, SizeFigures> figures_;
  bool finished_ = false;
  bool started_ = false;
  bool waiting_ = false;  ///< queued on the send queue for an entry
};

/// A ping-pong latency workload on one connection copy, as the perftest tools run it
/// (depth 1, `count` iterations per size):
/// - write_lat: the client RDMA-Writes `size` bytes into the server's buffer; the server,
///   polling its buffer, sees the Write when its last segment is in memory and Writes
///   `size` bytes back; the client sees that Write land the same way and starts the next
///   iteration. Latency: half the round trip.
/// - send_lat: the same with Sends into posted receives, each side posting its receive
///   again when it completes; the receive completion triggers the reply. Half the round trip.
/// - read_lat: back-to-back RDMA Reads; latency: the whole time of each Read (perftest's
///   ib_read_lat does not halve it).
/// Every message carries its own pattern, checked where it landed; the landing areas sit
/// between guard pages and are refilled with the guard byte once checked.
class LatencyRunner : public Runner {
 public:
  LatencyRunner(const scenario::WorkloadSpec& spec, uint32_t index, uint64_t seed, uint32_t copy, Endpoint ep);
  void start() override;
  void on_cqe(const hw::Cqe& c) override;
  void on_write_placed(host::Host* h, uint32_t qpn, uint32_t stag, uint64_t to_end, uint64_t bytes) override;
  bool finished() const override { return finished_; }
  void finish_checks() override;
  const std::map<uint64_t, SizeFigures>& figures() const override { return figures_; }

 private:
  /// One side of the ping-pong.
  struct Side {
    host::Host* host = nullptr;
    uint32_t qpn = 0;
    host::VirtBuffer src;     ///< what this side sends or writes (read_lat: the server's Read source)
    GuardedBuffer sink;       ///< where the peer's message lands (read_lat: the client's Read sink)
    uint32_t sink_stag = 0;   ///< write_lat: the STag the peer writes to; read_lat: the Read sink's
    uint32_t src_stag = 0;    ///< read_lat: the server's source STag
    uint32_t recv_posted = 0; ///< send_lat: receives posted so far (the slot is this modulo 2)
    uint32_t recv_done = 0;   ///< send_lat: receives completed
    SendQueueGate* sq = nullptr;  ///< this side's send queue
  };
  uint64_t size() const { return spec_.sizes[size_idx_]; }
  uint64_t key(uint64_t n) const;
  /// wr_id of this runner's n-th message; `server`: posted by the server.
  uint64_t wr_id(uint64_t n, bool server) const;
  void begin_iteration();
  /// `from` sends or writes its message of this iteration (key `k`) to the other side.
  void send_message(Side& from, Side& to, uint64_t k);
  void post_recv(Side& s);
  /// Posts `w` on `s`'s send queue, or once an entry is free.
  void post(Side& s, const hw::Wqe& w);
  /// The message of key `k` landed at `at` (byte count `len`): true when its bytes are right.
  bool check_landed(Side& at, uint64_t va, uint64_t len, uint64_t k);
  /// The server got the client's message: it answers.
  void server_got(bool ok);
  /// The iteration ended (the reply landed, or the Read completed), or failed.
  void end_iteration(bool ok, bool error);
  const scenario::WorkloadSpec& spec_;
  uint32_t index_;
  uint64_t seed_;
  uint32_t copy_;
  Side client_, server_;
  uint32_t rq_depth_ = 256;   ///< send_lat: receives each side holds at most (two slots, or fewer)
  uint32_t client_rkey_ = 0;  ///< the STag the client's Writes or Reads name (`violate` spoils it)
  bool bounds_ = false;       ///< violate: bounds: the client's reference runs past the region
  size_t size_idx_ = 0;
  uint64_t done_ = 0;        ///< iterations done within the current size
  uint64_t iterations_ = 0;  ///< over all sizes, for unique pattern keys and wr_ids
  bool open_ = false;        ///< an iteration is in progress
  bool intact_ = true;       ///< the current iteration's bytes were right so far
  Duration posted_{};
  std::map<uint64_t, SizeFigures> figures_;
  bool finished_ = false;
  bool started_ = false;
};

}  // namespace rnicsim::sim

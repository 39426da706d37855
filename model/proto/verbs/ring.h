#pragma once
/// A queue in host memory (send queue, receive queue) as index arithmetic: `depth` slots
/// of `slot_size` bytes from `base`, a producer index the application advances as it
/// writes work requests and a consumer index the RNIC advances as it fetches them. Both
/// indices are free-running 64-bit counts, never reduced: slot i lives at ring slot
/// i % depth, used = producer - consumer, so a full ring (used == depth) and an empty one
/// differ without a slot left empty, and any depth works (qp.sq_depth is 1..65536, no
/// power of two needed). The byte formats are model/wire/verbs.h's; docs/architecture.md
/// ("Verbs rings in host memory") says how the pieces fit.
#include <cstdint>
#include <limits>
#include <vector>

namespace rnicsim::verbs {

/// Bytes [addr, addr + len) of host memory.
struct ByteRange {
  uint64_t addr = 0;
  uint64_t len = 0;
  bool operator==(const ByteRange& o) const { return addr == o.addr && len == o.len; }
  bool operator!=(const ByteRange& o) const { return !(*this == o); }
};

/// The 64-bit index whose low 32 bits are `low` (a doorbell's index), at or after
/// `reference` (the index the reader holds) by less than 2^32: reference + (low -
/// reference's low bits) mod 2^32. Exact while fewer than 2^32 indices are outstanding.
constexpr uint64_t extend_index(uint32_t low, uint64_t reference) {
  return reference + static_cast<uint32_t>(low - static_cast<uint32_t>(reference));
}

class Ring {
 public:
  /// Throws std::invalid_argument for a depth or slot size of 0.
  Ring(uint64_t base, uint32_t depth, uint32_t slot_size);

  uint64_t base() const { return base_; }
  uint32_t depth() const { return depth_; }
  uint32_t slot_size() const { return slot_size_; }
  uint64_t producer() const { return producer_; }
  uint64_t consumer() const { return consumer_; }
  /// Slots written and not yet consumed.
  uint32_t used() const { return static_cast<uint32_t>(producer_ - consumer_); }
  uint32_t free_slots() const { return depth_ - used(); }
  bool empty() const { return producer_ == consumer_; }
  bool full() const { return used() == depth_; }

  /// base + (index % depth) * slot_size.
  uint64_t slot_address(uint64_t index) const { return base_ + (index % depth_) * slot_size_; }

  /// The application wrote `n` more slots. False, and nothing changes, when fewer than
  /// `n` are free.
  bool produce(uint32_t n);
  /// A doorbell's producer index (extended to 64 bits). False, and nothing changes, when
  /// it goes back or past consumer + depth: a doorbell the RNIC cannot believe.
  bool set_producer(uint64_t p);
  /// The RNIC fetched `n` slots. False, and nothing changes, when fewer than `n` are used.
  bool consume(uint32_t n);
  /// The consumer index moved to `c` (the application learns it from completions).
  /// False, and nothing changes, when `c` goes back or past the producer.
  bool set_consumer(uint64_t c);

  /// The reads that fetch slots [consumer, producer): contiguous ranges in index order,
  /// split at the ring's end (a range never crosses from the last slot to slot 0) and each
  /// at most max_bytes rounded down to whole slots, so each read carries whole slots and
  /// every slot queued together comes in as few reads as that allows. Empty when
  /// consumer == producer. The same ranges, with max_bytes unbounded, are where the
  /// application writes the slots. Throws std::invalid_argument when producer < consumer,
  /// producer - consumer > depth, or max_bytes < slot_size.
  std::vector<ByteRange> fetch_plan(uint64_t consumer, uint64_t producer,
                                    uint64_t max_bytes = std::numeric_limits<uint64_t>::max()) const;

 private:
  uint64_t base_;
  uint32_t depth_;
  uint32_t slot_size_;
  uint64_t producer_ = 0;
  uint64_t consumer_ = 0;
};

}  // namespace rnicsim::verbs

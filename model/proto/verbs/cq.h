#pragma once
/// A completion queue in host memory as index arithmetic: `depth` CQE slots of
/// wire::kCqeLen (32) bytes or more from `base`, a producer index the RNIC advances as it writes
/// CQEs and a consumer index the application advances as it polls them (it tells the
/// RNIC through the CQ consumer or arm doorbell, model/wire/verbs.h). Indices are
/// free-running 64-bit counts as in verbs::Ring; every depth works.
///
/// The phase bit of the CQE at index i is 1 on even passes of the ring (i / depth even)
/// and 0 on odd ones: the ring starts zeroed, so every slot reads as old until the first
/// pass writes it, and a poller at index c sees a new CQE when the slot's phase equals
/// phase_of(c).
///
/// A CQE produced while depth CQEs are unpolled is an overflow (IB spec's CQ overrun,
/// ibv's IBV_EVENT_CQ_ERR): nothing is written and the CQ is in error for good, so every
/// later produce() is refused too; the RNIC then moves the QPs that complete into it to
/// ERROR.
#include <cstdint>

namespace rnicsim::verbs {

class CqRing {
 public:
  /// Slots of `slot_size` bytes (a 32-byte CQE zero-padded when larger: 64 for a device
  /// with 64-byte CQEs). Throws std::invalid_argument for a depth of 0 or a slot under 32.
  CqRing(uint64_t base, uint32_t depth, uint32_t slot_size = 32);

  enum class Status { Ok, Overflow };
  /// Where the next CQE goes, and its phase bit.
  struct Produced {
    Status status = Status::Overflow;
    uint64_t index = 0;  ///< its free-running index (valid when Ok)
    uint64_t addr = 0;   ///< slot_address(index)
    bool phase = false;  ///< phase_of(index)
  };
  /// The RNIC writes a CQE: Ok with its slot and phase (the producer advances), or
  /// Overflow when the ring is full or already overflowed (nothing to write, nothing
  /// changes but the overflow count).
  Produced produce();
  /// The application polled up to index `c` (a consumer doorbell). False, and nothing
  /// changes, when `c` goes back or past the producer.
  bool set_consumer(uint64_t c);

  static constexpr bool phase_of(uint64_t index, uint32_t depth) { return (index / depth) % 2 == 0; }
  bool phase_of(uint64_t index) const { return phase_of(index, depth_); }
  /// The poller's test: the slot of index `c` holds a new CQE when its phase is phase_of(c).
  bool is_new(uint64_t c, bool slot_phase) const { return slot_phase == phase_of(c); }
  uint64_t slot_address(uint64_t index) const;

  uint64_t base() const { return base_; }
  uint32_t depth() const { return depth_; }
  uint32_t slot_size() const { return slot_size_; }
  uint64_t producer() const { return producer_; }
  uint64_t consumer() const { return consumer_; }
  /// CQEs written and not yet polled.
  uint32_t used() const { return static_cast<uint32_t>(producer_ - consumer_); }
  bool full() const { return used() == depth_; }
  /// True from the first overflow on.
  bool overflowed() const { return overflows_ != 0; }
  /// CQEs refused.
  uint64_t overflows() const { return overflows_; }

 private:
  uint64_t base_;
  uint32_t depth_;
  uint32_t slot_size_;
  uint64_t producer_ = 0;
  uint64_t consumer_ = 0;
  uint64_t overflows_ = 0;
};

}  // namespace rnicsim::verbs

#pragma once
/// Flow-control credits of one class at one receiver (PCIe base spec rev 5.0, 2.6.1), and
/// the same bookkeeping for the requester's own limits (tags, completion buffer space).
/// A transmitter takes credits when it sends a TLP and gets them back when the receiver
/// has drained the TLP and its UpdateFC has arrived; it may not send a TLP whose credits
/// are not all there. Plain C++: times are given, never read from a clock.
#include <cstdint>
#include <optional>
#include <cstddef>
#include <vector>

#include "model/common/units.h"

namespace rnicsim::hw::pcie {

/// Header and data credits advertised for one class. 0 advertises infinite credits, as
/// the spec's initial FC values do (2.6.1).
struct CreditLimit {
  uint32_t header = 0;
  uint32_t data = 0;
};

class CreditPool {
 public:
  explicit CreditPool(CreditLimit limit) : limit_(limit) {}
  /// The earliest time at or after `t` at which `header` and `data` credits are free,
  /// given the returns scheduled so far; none when that needs credits whose return is not
  /// scheduled yet (taken with `take`). Asserts that the request fits the limit at all.
  std::optional<Duration> available_at(Duration t, uint64_t header, uint64_t data) {
    const int64_t at = earliest(t, header, data);
    return at < 0 ? std::nullopt : std::optional<Duration>(Duration{at});
  }
  /// available_at's time in ps, or -1 for none (times are never negative): what the
  /// link's per-TLP timing asks, without an optional's round trip through memory.
  int64_t earliest(Duration t, uint64_t header, uint64_t data);
  /// Takes the credits (free at `t`, as available_at said) until `returned`.
  void consume(Duration t, uint64_t header, uint64_t data, Duration returned);
  /// Takes the credits at `t` with their return not known yet: `give_back` schedules it.
  void take(Duration t, uint64_t header, uint64_t data);
  void give_back(uint64_t header, uint64_t data, Duration returned);
  const CreditLimit& limit() const { return limit_; }
  uint64_t header_in_use() const { return hdr_used_; }
  uint64_t data_in_use() const { return data_used_; }

 private:
  struct Return {
    Duration at;
    uint64_t header, data;
    bool operator<(const Return& o) const { return at < o.at; }
  };
  bool fits(uint64_t header, uint64_t data) const;
  bool tracked() const { return limit_.header != 0 || limit_.data != 0; }
  /// Gives back what returned at or before `t`; a query never releases past its own time.
  void release_until(Duration t);

  CreditLimit limit_;
  uint64_t hdr_used_ = 0, data_used_ = 0;
  /// Scheduled returns, earliest first, FIFO among equal times (a multiset's order), from
  /// returns_[head_] on (those before it are given back). They mostly arrive in time
  /// order, so an insert is a push at the back; the vector is compacted in batches.
  std::vector<Return> returns_;
  size_t head_ = 0;
};

}  // namespace rnicsim::hw::pcie

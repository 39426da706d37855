#pragma once
/// Scheduling primitives for the SystemC blocks. A block computes when a unit of work
/// leaves it and posts that to its Agenda; the Agenda is one SC_METHOD woken by one
/// sc_event at the earliest due item, so the kernel sees one notification per unit of
/// work and never a thread switch per byte or beat.
#include <systemc>

#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <vector>

#include "model/common/units.h"

namespace rnicsim {

inline sc_core::sc_time to_sc(Duration d) {
  return sc_core::sc_time(static_cast<double>(d.ps), sc_core::SC_PS);
}
inline Duration from_sc(const sc_core::sc_time& t) {
  return Duration{static_cast<int64_t>(t.value())};  // time resolution is 1 ps (SystemC's default)
}
inline Duration sim_now() { return from_sc(sc_core::sc_time_stamp()); }

/// Runs callbacks at given simulated times, in time order, FIFO among equal times.
class Agenda {
 public:
  explicit Agenda(const char* name);
  Agenda(const Agenda&) = delete;
  Agenda& operator=(const Agenda&) = delete;

  /// Runs `fn` at absolute time `when` (>= now).
  void at(Duration when, std::function<void()> fn);
  /// Runs `fn` after `delay`.
  void after(Duration delay, std::function<void()> fn) { at(sim_now() + delay, std::move(fn)); }
  size_t pending() const { return heap_.size(); }
  uint64_t executed() const { return executed_; }

 private:
  struct Item {
    int64_t when;
    uint64_t seq;
    std::function<void()> fn;
  };
  struct Later {
    bool operator()(const Item& a, const Item& b) const {
      return a.when != b.when ? a.when > b.when : a.seq > b.seq;
    }
  };
  void wake();
  std::priority_queue<Item, std::vector<Item>, Later> heap_;
  sc_core::sc_event event_;
  uint64_t seq_ = 0;
  uint64_t executed_ = 0;
};

}  // namespace rnicsim

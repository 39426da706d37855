#pragma once
/// When a completion queue raises its MSI-X interrupt: ibv_req_notify_cq's arming and
/// CQ moderation by count and by time (ibv_modify_cq's cq_count and cq_period; ethtool's
/// rx-frames and rx-usecs: an interrupt when either threshold is reached). No clock
/// inside: each call carries the current time, and deadline() says when to call back.
///
/// The rule, exactly:
/// 1. Unarmed, CQEs are written and nothing else happens: ibv_req_notify_cq asks for
///    an event at the next completion after the call, so those before it never count.
/// 2. Armed for every completion, every CQE qualifies. Armed solicited-only, a CQE
///    qualifies when it is solicited or unsuccessful (ibv_req_notify_cq(3)); the others
///    are ignored as in 1.
/// 3. The first qualifying CQE after arming, at time t0, opens a window whose deadline is
///    t0 + period. The interrupt is due at the earlier of the count-th qualifying CQE of
///    the window (at its time) and the deadline. A count of 0 or 1, or a period of 0,
///    reaches its threshold at the first qualifying CQE: no moderation.
/// 4. The interrupt disarms the CQ and closes the window: the next one needs a new arm
///    (the handler polls, then re-arms with its consumer index; an arm that finds CQEs it
///    has not polled raises the next interrupt at once: raise_pending).
/// Arming for every completion while armed solicited-only widens the arm; arming
/// solicited-only while armed for every completion leaves it as it is. An open window
/// stays open across a re-arm.
///
/// Example (tests/unit/verbs/test_moderation.cpp): count 4, period 1 us, CQEs every
/// 100 ns from 0 to 900 ns, the handler re-arming at once: interrupts at 300 ns (the 4th
/// CQE), 700 ns (the 8th) and 1800 ns (the 9th's time + 1 us, only 2 CQEs in that window).
#include <cstdint>
#include <optional>

#include "model/common/units.h"

namespace rnicsim::verbs {

/// CQ moderation (ibv_modify_cq's cq_count and cq_period).
struct Moderation {
  uint32_t count = 0;  ///< interrupt at this many qualifying CQEs (0 or 1: at the first)
  Duration period{};   ///< interrupt at most this long after the window's first CQE (0: at once)
};

class InterruptModerator {
 public:
  explicit InterruptModerator(Moderation m = {}) : mod_(m) {}

  /// ibv_modify_cq: applies from the next window (an open one keeps its deadline and count).
  void set_moderation(Moderation m) { mod_ = m; }
  const Moderation& moderation() const { return mod_; }

  /// ibv_req_notify_cq (the arm doorbell).
  void arm(bool solicited_only);
  bool armed() const { return armed_; }
  bool solicited_only() const { return armed_ && solicited_only_; }

  /// A CQE was written at `now`. True when the interrupt is due now: it is raised, and the
  /// CQ disarmed.
  bool on_cqe(Duration now, bool solicited, bool success);
  /// The time an open window's period ends, when the caller must call on_timer; none
  /// without an open window.
  std::optional<Duration> deadline() const;
  /// The timer at `now`: true when an open window's deadline has come (now >= deadline):
  /// the interrupt is raised, the CQ disarmed. False otherwise (a stale timer).
  bool on_timer(Duration now);
  /// An arm that found CQEs the application has not polled (its consumer index is behind
  /// the CQ's producer): the interrupt is raised now if armed, whatever the moderation (as
  /// mlx5 raises the event at once when armed on a non-empty CQ). True when raised.
  bool raise_pending();

  /// Qualifying CQEs in the open window (0 without one).
  uint32_t pending() const { return pending_; }
  /// Interrupts raised.
  uint64_t interrupts() const { return interrupts_; }

 private:
  void fire();

  Moderation mod_;
  Moderation window_mod_;  ///< the moderation the open window started with
  bool armed_ = false;
  bool solicited_only_ = false;
  uint32_t pending_ = 0;
  Duration window_start_{};
  uint64_t interrupts_ = 0;
};

}  // namespace rnicsim::verbs

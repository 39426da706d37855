#include "model/proto/verbs/moderation.h"

namespace rnicsim::verbs {

void InterruptModerator::arm(bool solicited_only) {
  // A wider arm wins: once armed for every completion, a solicited-only arm changes nothing.
  solicited_only_ = armed_ ? (solicited_only_ && solicited_only) : solicited_only;
  armed_ = true;
}

bool InterruptModerator::on_cqe(Duration now, bool solicited, bool success) {
  if (!armed_) return false;
  if (solicited_only_ && !solicited && success) return false;
  if (pending_ == 0) {
    window_start_ = now;
    window_mod_ = mod_;
  }
  ++pending_;
  const bool by_count = pending_ >= window_mod_.count;  // a count of 0 or 1: the first CQE
  const bool by_time = now >= window_start_ + window_mod_.period;
  if (!by_count && !by_time) return false;
  fire();
  return true;
}

std::optional<Duration> InterruptModerator::deadline() const {
  if (pending_ == 0) return std::nullopt;
  return window_start_ + window_mod_.period;
}

bool InterruptModerator::on_timer(Duration now) {
  if (pending_ == 0 || now < window_start_ + window_mod_.period) return false;
  fire();
  return true;
}

bool InterruptModerator::raise_pending() {
  if (!armed_) return false;
  fire();
  return true;
}

void InterruptModerator::fire() {
  armed_ = false;
  solicited_only_ = false;
  pending_ = 0;
  ++interrupts_;
}

}  // namespace rnicsim::verbs

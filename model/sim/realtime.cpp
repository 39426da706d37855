#include "model/sim/realtime.h"

#include <poll.h>
#include <sys/prctl.h>

#include <algorithm>
#include <ctime>

namespace rnicsim::sim {

Pacer::Pacer(std::vector<hw::TapPort*> taps, bool (*stop)()) : taps_(std::move(taps)), stop_(stop), agenda_("pacer") {
  fig_.quantum_ns = static_cast<uint64_t>(kQuantum.ps / 1000);
}

void Pacer::start() {
  // Sleeps of a few microseconds: the kernel's default 50 us timer slack would make every
  // slice late.
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  agenda_.after(Duration{}, [this] { slice(); });
}

void Pacer::drain_all() {
  for (hw::TapPort* t : taps_)
    if (t->alive()) t->drain();
}

void Pacer::slice() {
  if (fig_.slices++ == 0) {  // the clocks start together at the first slice, elaboration done
    wall0_ = std::chrono::steady_clock::now();
    sim0_ = sim_now();
  }
  if (stop_ && stop_()) {
    fig_.interrupted = true;
    sc_core::sc_stop();
    return;
  }
  const auto due = wall0_ + std::chrono::nanoseconds((sim_now() - sim0_).ps / 1000);
  auto now = std::chrono::steady_clock::now();
  if (now < due) {
    ++fig_.waits;
    std::vector<pollfd> fds;
    std::vector<hw::TapPort*> polled;
    for (hw::TapPort* t : taps_)
      if (t->alive()) fds.push_back({t->fd(), POLLIN, 0}), polled.push_back(t);
    while (now < due) {
      const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(due - now).count();
      const timespec ts{static_cast<time_t>(left / 1000000000), static_cast<long>(left % 1000000000)};
      if (ppoll(fds.data(), fds.size(), &ts, nullptr) > 0) {
        for (size_t i = 0; i < fds.size(); ++i) {
          if (fds[i].revents & (POLLERR | POLLHUP | POLLNVAL)) {  // gone: never poll it again
            polled[i]->set_dead();
            fds[i].fd = -1;  // ppoll skips negative descriptors
          }
        }
        drain_all();
      }
      now = std::chrono::steady_clock::now();
    }
    fig_.end_behind_ns = 0;
  } else {
    const auto late = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - due).count());
    fig_.end_behind_ns = late;
    fig_.max_behind_ns = std::max(fig_.max_behind_ns, late);
    if (late > fig_.quantum_ns) ++fig_.slices_behind;
  }
  drain_all();
  agenda_.after(kQuantum, [this] { slice(); });
}

}  // namespace rnicsim::sim

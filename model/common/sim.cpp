#include "model/common/sim.h"

namespace rnicsim {

Agenda::Agenda(const char* name) : event_((std::string(name) + "_ev").c_str()) {
  sc_core::sc_spawn_options opts;
  opts.spawn_method();
  opts.set_sensitivity(&event_);
  opts.dont_initialize();
  sc_core::sc_spawn([this] { wake(); }, (std::string(name) + "_agenda").c_str(), &opts);
}

void Agenda::at(Duration when, std::function<void()> fn) {
  const int64_t now = sim_now().ps;
  if (when.ps < now) when.ps = now;
  heap_.push(Item{when.ps, seq_++, std::move(fn)});
  // sc_event keeps the earliest of several pending notifications.
  if (heap_.top().when == when.ps) event_.notify(sc_core::sc_time(static_cast<double>(when.ps - now), sc_core::SC_PS));
}

void Agenda::wake() {
  const int64_t now = sim_now().ps;
  while (!heap_.empty() && heap_.top().when <= now) {
    // Move the callback out before popping: it may post new items.
    std::function<void()> fn = std::move(const_cast<Item&>(heap_.top()).fn);
    heap_.pop();
    ++executed_;
    fn();
  }
  if (!heap_.empty())
    event_.notify(sc_core::sc_time(static_cast<double>(heap_.top().when - now), sc_core::SC_PS));
}

}  // namespace rnicsim

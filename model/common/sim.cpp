#include "model/common/sim.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace rnicsim {
namespace {

/// std::push_heap keeps the largest at the front: "larger" is later, or posted later.
struct Later {
  template <class E>
  bool operator()(const E& a, const E& b) const {
    return a.when != b.when ? a.when > b.when : a.seq > b.seq;
  }
};

sc_core::sc_time ps_time(int64_t ps) {
  return sc_core::sc_time::from_value(static_cast<sc_core::sc_time::value_type>(ps));
}

}  // namespace

// ------------------------------------------------------------------ EventQueue

// sc_ppq_base::insert and ::extract_top/heapify (SystemC 2.3.4, src/sysc/utils/sc_pq.cpp)
// with sc_notify_time_compare: "greater" is earlier, equal times compare equal.
void EventQueue::WakeHeap::insert(const Wake& w) {
  heap_.push_back(w);
  size_t i = heap_.size() - 1;
  while (i > 1 && heap_[i / 2].when > w.when) {
    heap_[i] = heap_[i / 2];
    i /= 2;
  }
  heap_[i] = w;
}

EventQueue::Wake EventQueue::WakeHeap::extract_top() {
  const Wake top = heap_[1];
  heap_[1] = heap_.back();
  heap_.pop_back();
  const size_t n = heap_.size() - 1;
  for (size_t i = 1;;) {
    const size_t l = 2 * i, r = l + 1;
    if (l > n) break;
    size_t first = heap_[l].when < heap_[i].when ? l : i;
    if (r <= n && heap_[r].when < heap_[first].when) first = r;
    if (first == i) break;
    std::swap(heap_[i], heap_[first]);
    i = first;
  }
  return top;
}

void EventQueue::WakeHeap::forget(const Agenda* a) {
  for (Wake& w : heap_)
    if (w.agenda == a) w.agenda = nullptr;
}

EventQueue::EventQueue(sc_core::sc_module_name name) : sc_module(name), event_("wake") {
  sc_core::sc_spawn_options opts;
  opts.spawn_method();
  opts.set_sensitivity(&event_);
  opts.dont_initialize();
  // Named by the simulation context, not by this module: the kernel keeps a process after
  // its module is gone, and a test that builds one RNIC after another makes a queue for
  // each, whose processes must not share a name.
  sc_core::sc_spawn([this] { run(); }, sc_core::sc_get_curr_simcontext()->gen_unique_name("run", true), &opts);
}

EventQueue::~EventQueue() {
  if (detail::queue_clock == &now_) detail::queue_clock = nullptr;
  for (Record& r : records_)
    if (r.destroy) r.destroy(r.storage);
}

EventQueue* EventQueue::find() {
  return dynamic_cast<EventQueue*>(sc_core::sc_find_object(kName));
}

void EventQueue::fire(uint32_t record) {
  Record& rec = records_[record];  // a deque element: stays put while the event posts more
  --pending_;
  ++executed_;
  rec.run(rec.storage);
  rec.destroy(rec.storage);
  rec.destroy = nullptr;
  free_records_.push_back(record);
}

void EventQueue::drop(uint32_t record) {
  Record& rec = records_[record];
  --pending_;
  rec.destroy(rec.storage);
  rec.destroy = nullptr;
  free_records_.push_back(record);
}

void EventQueue::notify_kernel(int64_t when) {
  if (running_) return;  // run() notifies for whatever is earliest when it is done
  // sc_event keeps the earliest of several pending notifications.
  if (kernel_armed_ < 0 || when < kernel_armed_) {
    kernel_armed_ = when;
    event_.notify(ps_time(when - kernel_ps()));
  }
}

void EventQueue::arm_timed(Agenda* a, int64_t when) {
  a->wake_seq_ = ++wake_seq_;
  wakes_.insert(Wake{when, a->wake_seq_, a});
  notify_kernel(when);
}

void EventQueue::arm_delta(Agenda* a) {
  deltas_.push_back(a);
  notify_kernel(sim_now().ps);
}

bool EventQueue::live(const Wake& w) const {
  return w.agenda && w.agenda->armed_ == Agenda::Armed::Timed && w.agenda->wake_seq_ == w.seq;
}

void EventQueue::drop_stale() {
  while (!wakes_.empty() && !live(wakes_.top())) wakes_.extract_top();
}

bool EventQueue::pending_activity() {
  if (!deltas_.empty() || run_pos_ + 1 < runnable_.size()) return true;
  drop_stale();
  return !wakes_.empty();
}

void EventQueue::forget(const Agenda* a) {
  wakes_.forget(a);
  deltas_.erase(std::remove(deltas_.begin(), deltas_.end(), a), deltas_.end());
  for (Agenda*& r : runnable_)
    if (r == a) r = nullptr;
}

void EventQueue::run() {
  if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
  // Woken by the kernel: at the earliest wake-up, or at the instant the queue last ran
  // ahead to (the kernel catching up, with nothing due).
  now_ = kernel_ps();
  detail::queue_clock = &now_;
  running_ = true;
  kernel_armed_ = -1;
  for (;;) {
    try {
      if (!run_instant(now_)) break;  // sc_stop()
    } catch (...) {
      if (!catch_up()) throw;
      // Ahead of the kernel: the failure leaves the method once the kernel is at its
      // instant (nothing else runs in between), as it would have without the stretch.
      failure_ = std::current_exception();
      return;
    }
    drop_stale();
    if (wakes_.empty()) break;
    // The next instant without the kernel: before the run's end, and only while no other
    // process has activity pending (the kernel would order it among the queue's instants).
    const int64_t next = wakes_.top().when;
    if (horizon_ < 0 || next >= horizon_ || sc_core::sc_pending_activity()) break;
    now_ = next;
    ++instants_ahead_;
  }
  running_ = false;
  drop_stale();
  // Ahead of the kernel, it comes to this instant first (an empty wake-up), so that its
  // time is the model's again when it stops or hands over; sim_now() gives now_ until
  // then (and after an sc_stop(), for good).
  if (!catch_up()) detail::queue_clock = nullptr;
  if (!wakes_.empty()) notify_kernel(wakes_.top().when);
}

bool EventQueue::catch_up() {
  const int64_t kernel_now = kernel_ps();
  if (now_ <= kernel_now) return false;
  kernel_armed_ = now_;
  event_.notify(ps_time(now_ - kernel_now));
  return true;
}

bool EventQueue::run_instant(int64_t now) {
  bool stopped = false;
  // First round: the timed wake-ups due now, in the heap's order.
  runnable_.clear();
  while (!wakes_.empty() && wakes_.top().when <= now) {
    const Wake w = wakes_.extract_top();
    if (!live(w)) continue;  // re-armed earlier, or woken by work for an earlier instant
    w.agenda->armed_ = Agenda::Armed::None;
    runnable_.push_back(w.agenda);
  }
  for (;;) {
    for (run_pos_ = 0; run_pos_ < runnable_.size(); ++run_pos_)
      if (Agenda* a = runnable_[run_pos_]) a->wake(now);
    // After sc_stop() the round finishes and no further one runs (SC_STOP_FINISH_DELTA);
    // the kernel did not count that last delta cycle either.
    if (sc_core::sc_get_curr_simcontext()->sim_status() != sc_core::SC_SIM_OK) {
      stopped = true;
      break;
    }
    if (!runnable_.empty()) ++rounds_;
    if (deltas_.empty()) break;
    // Next round: the Agendas given work for now, newest first, as SystemC triggers one
    // delta cycle's notifications.
    runnable_.assign(deltas_.rbegin(), deltas_.rend());
    deltas_.clear();
    for (Agenda* a : runnable_) a->armed_ = Agenda::Armed::None;
  }
  runnable_.clear();
  run_pos_ = 0;
  return !stopped;
}

// ------------------------------------------------------------------ Agenda

Agenda::Agenda(const char* name) : queue_(EventQueue::find()) {
  if (!queue_)
    throw std::logic_error(std::string(name) + ": no EventQueue in this simulation context (make the model's "
                                               "queue before its blocks)");
}

Agenda::~Agenda() {
  for (const Item& i : items_) queue_->drop(i.record);
  queue_->forget(this);
}

void Agenda::post(int64_t when, uint32_t record) {
  const int64_t now = sim_now().ps;
  if (when < now) when = now;
  items_.push_back(Item{when, seq_++, record});
  std::push_heap(items_.begin(), items_.end(), Later{});
  if (items_.front().when == when) notify(when, now);
}

// The rules of sc_event::notify(delay), which decided each block's wake-up before there
// was one queue: a pending wake-up for now stays; work for now replaces a later wake-up;
// an earlier or equal timed wake-up stays.
void Agenda::notify(int64_t when, int64_t now) {
  if (armed_ == Armed::Delta) return;
  if (when <= now) {
    armed_ = Armed::Delta;  // a timed wake-up still queued is stale from here on
    queue_->arm_delta(this);
    return;
  }
  if (armed_ == Armed::Timed && armed_at_ <= when) return;
  armed_ = Armed::Timed;
  armed_at_ = when;
  queue_->arm_timed(this, when);
}

void Agenda::wake(int64_t now) {
  while (!items_.empty() && items_.front().when <= now) {
    const uint32_t r = items_.front().record;
    std::pop_heap(items_.begin(), items_.end(), Later{});
    items_.pop_back();
    queue_->fire(r);  // may post more, here or to any Agenda
  }
  if (!items_.empty()) notify(items_.front().when, now);
}

}  // namespace rnicsim

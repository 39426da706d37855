#pragma once
/// Scheduling for the SystemC blocks. A block computes when a unit of work leaves it and
/// posts that to its Agenda; every Agenda of a model is served by the model's one
/// EventQueue, a single SC_METHOD woken by a single sc_event, so the kernel sees one
/// notification per simulated instant, never one per block, per byte or per beat.
///
/// Order (docs/architecture.md, "Time"): an Agenda runs its items in time order, FIFO among
/// equal times, and when it wakes it runs every item that is due, as a block that owns its
/// work would. Agendas due at one instant wake in the order SystemC 2.3.4 woke the
/// per-block SC_METHODs this queue replaced: the timed wake-ups in the order of the
/// kernel's timed-event heap (WakeHeap below), then rounds of the Agendas given work for
/// the present instant, newest first (SystemC's delta cycles). The model's behaviour, and
/// every output, stayed what it was before there was one queue.
///
/// Events are records from a pool with their captures stored inline: posting one
/// allocates nothing once the pool has grown to the most events ever pending.
#include <systemc>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "model/common/frame.h"
#include "model/common/units.h"

namespace rnicsim {

inline sc_core::sc_time to_sc(Duration d) {
  return sc_core::sc_time(static_cast<double>(d.ps), sc_core::SC_PS);
}
inline Duration from_sc(const sc_core::sc_time& t) {
  return Duration{static_cast<int64_t>(t.value())};  // time resolution is 1 ps (SystemC's default)
}
namespace detail {
/// The clock of the EventQueue that is running instants ahead of the kernel's time (see
/// EventQueue::set_horizon), or nullptr when the kernel's time is the model's.
inline thread_local const int64_t* queue_clock = nullptr;
}  // namespace detail
/// The model's present time: the kernel's, or that of the instant the EventQueue runs.
inline Duration sim_now() {
  if (const int64_t* c = detail::queue_clock) return Duration{*c};
  return from_sc(sc_core::sc_time_stamp());
}

class Agenda;

/// The event queue of one simulated model, the pool of its event records and the pool of
/// its frames (which must outlive the events that hold frames). Made once per model,
/// before its blocks, under the name kName at the top of the SystemC hierarchy, where each
/// Agenda finds it.
class EventQueue : public sc_core::sc_module {
 public:
  /// Inline room for an event's captures, measured on the blocks' own: a frame hop (MAC,
  /// link, switch) 16-24 bytes, a TCP timer 24, a completion 48, a posted work request 104,
  /// the TOE's segment receive (frame, TCP header with options) 128, the RDMA engine's FPDU
  /// issue (header array, source) 152; the largest, once per connection, is the
  /// simulation's connection start with its TCP and MPA settings, 208.
  static constexpr size_t kCaptureBytes = 208;
  static constexpr const char* kName = "rnicsim_event_queue";

  explicit EventQueue(sc_core::sc_module_name name = kName);
  ~EventQueue() override;

  /// The queue made in the current simulation context, or nullptr.
  static EventQueue* find();

  size_t pending() const { return pending_; }       ///< items posted and not yet run
  uint64_t executed() const { return executed_; }   ///< items run so far
  size_t records() const { return records_.size(); }  ///< event records ever made
  /// Rounds of wake-ups run: one per instant with work and one more for each time work
  /// for the present instant woke further Agendas (the delta cycles of the SystemC
  /// kernel when each block was its own SC_METHOD).
  uint64_t rounds() const { return rounds_; }
  /// Whether anything is still to happen besides the item running now: an Agenda still to
  /// wake at this instant or a timed wake-up (sc_pending_activity's rule, which drops
  /// stale wake-ups from the top as it looks).
  bool pending_activity();
  FramePool& frames() { return frames_; }
  /// Lets the queue run one instant after another without returning to the kernel
  /// between them, for every instant before `horizon` (the end of the run's one
  /// sc_start): the kernel then sees the queue's method once per stretch of instants
  /// rather than once per instant. Only while no other SystemC process has activity
  /// pending, so the kernel's order of processes is kept; sim_now() gives the instant
  /// being run. Unset (the default), the kernel wakes the queue for every instant.
  void set_horizon(Duration horizon) { horizon_ = horizon.ps; }
  /// Instants run without the kernel (the stretches' instants after their first).
  uint64_t instants_ahead() const { return instants_ahead_; }

 private:
  friend class Agenda;
  struct Record {
    alignas(std::max_align_t) unsigned char storage[kCaptureBytes];
    void (*run)(void*) = nullptr;
    void (*destroy)(void*) = nullptr;  ///< set while the record holds a callable
  };
  /// A timed wake-up of an Agenda; stale once the Agenda was re-armed or woken.
  struct Wake {
    int64_t when;
    uint64_t seq;  ///< identifies the wake-up (an Agenda's live one has its wake_seq_)
    Agenda* agenda;
  };
  /// The timed wake-ups, earliest first. Ties at one instant are broken as SystemC 2.3.4's
  /// timed-event heap (sc_ppq) broke them, by the same binary heap with the same stale
  /// entries in it: the order every block woke in at one instant before there was one
  /// queue, kept so that no output changed (a stable order would reorder same-instant
  /// work of two blocks, e.g. two links delivering at one picosecond).
  class WakeHeap {
   public:
    bool empty() const { return heap_.size() == 1; }
    const Wake& top() const { return heap_[1]; }
    void insert(const Wake& w);
    Wake extract_top();
    void forget(const Agenda* a);  ///< its wake-ups stay in place (the shape is kept), stale
   private:
    std::vector<Wake> heap_ = std::vector<Wake>(1);  // 1-based, as sc_ppq
  };

  template <class F>
  uint32_t make_record(F&& fn) {
    using Fn = std::decay_t<F>;
    static_assert(sizeof(Fn) <= kCaptureBytes,
                  "an event's captures exceed EventQueue::kCaptureBytes: capture a pointer to "
                  "the state instead, or raise the limit (every pooled event grows with it)");
    static_assert(alignof(Fn) <= alignof(std::max_align_t), "an event's captures are over-aligned");
    uint32_t r;
    if (free_records_.empty()) {
      records_.emplace_back();
      r = static_cast<uint32_t>(records_.size() - 1);
    } else {
      r = free_records_.back();
      free_records_.pop_back();
    }
    Record& rec = records_[r];
    ::new (static_cast<void*>(rec.storage)) Fn(std::forward<F>(fn));
    rec.run = [](void* p) { (*static_cast<Fn*>(p))(); };
    rec.destroy = [](void* p) { static_cast<Fn*>(p)->~Fn(); };
    ++pending_;
    return r;
  }
  void fire(uint32_t record);
  void drop(uint32_t record);
  void arm_timed(Agenda* a, int64_t when);
  void arm_delta(Agenda* a);
  void forget(const Agenda* a);
  void notify_kernel(int64_t when);
  bool live(const Wake& w) const;
  void drop_stale();
  void run();
  /// Runs the wake-ups due at `now` and the rounds they start; false after sc_stop().
  bool run_instant(int64_t now);
  /// When the queue has run ahead of the kernel's time, notifies its event for now_ (the
  /// kernel comes to that instant next) and returns true.
  bool catch_up();
  static int64_t kernel_ps() { return from_sc(sc_core::sc_time_stamp()).ps; }

  FramePool frames_;  // first: destroyed after the records, whose captures may hold frames
  std::deque<Record> records_;  // a deque: records stay put while a running event posts more
  std::vector<uint32_t> free_records_;
  WakeHeap wakes_;
  std::vector<Agenda*> deltas_;    // given work for the present instant, in posting order
  std::vector<Agenda*> runnable_;  // to wake in the round being run
  size_t run_pos_ = 0;             // the one of runnable_ awake now
  sc_core::sc_event event_;
  uint64_t wake_seq_ = 0;
  size_t pending_ = 0;
  uint64_t executed_ = 0;
  uint64_t rounds_ = 0;
  int64_t kernel_armed_ = -1;  ///< the time event_ is notified for, -1 when none
  int64_t horizon_ = -1;       ///< set_horizon's, -1 when unset
  int64_t now_ = 0;            ///< the instant being run (detail::queue_clock points here)
  uint64_t instants_ahead_ = 0;
  bool running_ = false;       ///< inside run(): it re-arms event_ when it is done
  /// What an instant run ahead of the kernel threw: rethrown once the kernel has come to
  /// that instant, so that SystemC's report of it names the instant it happened at.
  std::exception_ptr failure_;
};

/// A block's list of work, served by its model's EventQueue. The queue is found in the
/// current SystemC simulation context, as the block's own sc_module and sc_events are: two
/// models are two contexts, each with its queue.
class Agenda {
 public:
  /// `name` (the owner's) names the block in the error raised when no queue was made.
  explicit Agenda(const char* name);
  ~Agenda();
  Agenda(const Agenda&) = delete;
  Agenda& operator=(const Agenda&) = delete;

  /// Runs `fn` at absolute time `when` (an earlier time runs now), after the items this
  /// Agenda already holds for that time.
  template <class F>
  void at(Duration when, F&& fn) {
    post(when.ps, queue_->make_record(std::forward<F>(fn)));
  }
  /// Runs `fn` after `delay`.
  template <class F>
  void after(Duration delay, F&& fn) {
    at(sim_now() + delay, std::forward<F>(fn));
  }
  EventQueue& queue() const { return *queue_; }
  /// The model's frames: every frame a block builds comes from here.
  FramePool& frames() const { return queue_->frames(); }

 private:
  friend class EventQueue;
  struct Item {
    int64_t when;
    uint64_t seq;
    uint32_t record;
  };
  enum class Armed : uint8_t { None, Delta, Timed };
  void post(int64_t when, uint32_t record);
  void notify(int64_t when, int64_t now);
  void wake(int64_t now);

  EventQueue* queue_;
  std::vector<Item> items_;  // a binary heap on (when, seq), earliest at the front
  uint64_t seq_ = 0;
  Armed armed_ = Armed::None;
  int64_t armed_at_ = 0;   ///< with Armed::Timed: the time of the live wake-up
  uint64_t wake_seq_ = 0;  ///< with Armed::Timed: that wake-up's sequence number
};

}  // namespace rnicsim

#pragma once
// Test fixture: two tcp::Connection objects joined by an in-test wire with a fixed one-way
// delay and no bandwidth limit. Time is advanced by hand, event by event: the next segment
// arrival or the earliest timer of either side. Every segment either side emits is logged
// (with its payload copied out of the send buffer at emission time). Faults are chosen per
// segment (by index in the log or any predicate): drop, delay (reorder), duplicate, corrupt
// (the receiver's checksum check discards it: it never reaches the connection), CE mark,
// or a header rewrite on the wire. The fixture never changes what the connections decide.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <random>
#include <vector>

#include "model/proto/tcp/connection.h"

namespace rnicsim::test {

struct Transition {
  tcp::State from;
  tcp::State to;
  Duration at;
};

/// The Upcalls of one side: records what the connection tells its owner.
class Recorder : public tcp::Upcalls {
 public:
  explicit Recorder(const Duration& now) : now_(now) {}
  bool on_data(ConstByteSpan d) override {
    data.insert(data.end(), d.begin(), d.end());
    if (drain_per_byte.ps > 0)
      drained_at_ = std::max(drained_at_, now_) + drain_per_byte * static_cast<int64_t>(d.size());
    return false;
  }
  /// A reader that takes `drain_per_byte` for each byte, one after another: the bytes
  /// stay in the receive buffer until then (0: drained at once).
  Duration held_until() const override { return drain_per_byte.ps > 0 ? drained_at_ : Duration{-1}; }
  Duration drain_per_byte{};
  void on_acked(uint64_t total) override {
    acked = total;
    ++acked_calls;
  }
  void on_state_change(tcp::State from, tcp::State to) override {
    transitions.push_back({from, to, now_});
  }
  void on_peer_fin() override { ++peer_fins; }

  std::vector<uint8_t> data;
  uint64_t acked = 0;
  int acked_calls = 0;
  std::vector<Transition> transitions;
  int peer_fins = 0;

 private:
  const Duration& now_;
  Duration drained_at_{};
};

/// One segment as it left a side.
struct Sent {
  int from = 0;  ///< 0: A, 1: B
  size_t index = 0;  ///< position in the log
  Duration at{};
  wire::TcpHeader hdr;
  std::vector<uint8_t> payload;
  bool ect = false;
  bool dropped = false;
};

/// What the wire does to one segment.
struct Fault {
  bool drop = false;
  bool corrupt = false;        ///< fails the checksum at the receiver: discarded there
  Duration extra_delay{};      ///< arrives this much later (reordering)
  int copies = 1;              ///< > 1: duplicated
  bool ce = false;             ///< IP Congestion Experienced on arrival
};

class TcpPair {
 public:
  static constexpr int A = 0, B = 1;

  TcpPair(const tcp::Config& ca, uint32_t isn_a, const tcp::Config& cb, uint32_t isn_b)
      : rec_a(now), rec_b(now), a(ca, isn_a, 100, rec_a), b(cb, isn_b, 200, rec_b) {}

  tcp::Connection& conn(int i) { return i == A ? a : b; }
  Recorder& rec(int i) { return i == A ? rec_a : rec_b; }

  /// A opens actively; B answers the first SYN it sees with open_passive.
  void connect() {
    b_listening = true;
    a.open_active(now);
    drain(A);
  }
  /// Both open actively at the same instant (simultaneous open).
  void connect_simultaneous() {
    b_listening = false;
    a.open_active(now);
    b.open_active(now);
    drain(A);
    drain(B);
  }

  /// Queues `n` bytes on side i for sending.
  void send(int i, const uint8_t* p, size_t n) {
    conn(i).send_buffer().append(p, n, false);
    drain(i);
  }

  /// Pulls every segment side i wants to send now.
  void drain(int i) {
    tcp::Connection& c = conn(i);
    while (c.has_output()) {
      const tcp::Outgoing out = c.next_output(now);
      Sent s;
      s.from = i;
      s.index = log.size();
      s.at = now;
      s.hdr = out.hdr;
      s.ect = out.ect;
      s.payload.resize(out.len);
      if (out.len) c.send_buffer().copy_out(out.offset, out.len, s.payload.data());
      Fault f;
      if (fault) f = fault(s);
      if (drop && drop(s)) f.drop = true;
      s.dropped = f.drop || f.corrupt;
      log.push_back(s);
      if (f.corrupt) ++corrupted;
      if (s.dropped) continue;
      wire::TcpHeader wire_hdr = s.hdr;
      if (mangle) mangle(s, wire_hdr);
      for (int k = 0; k < f.copies; ++k) {
        InFlight in{now + delay + f.extra_delay, wire_hdr, s.payload, f.ce, seq_++};
        auto& q = queue_[1 - i];
        // Ordered by arrival time, then by emission (a delayed segment lets others pass).
        auto it = std::upper_bound(q.begin(), q.end(), in, [](const InFlight& x, const InFlight& y) {
          return x.arrive < y.arrive || (x.arrive == y.arrive && x.order < y.order);
        });
        q.insert(it, std::move(in));
      }
    }
  }

  /// Delivers a segment to side `to` now, as if it had just arrived, then drains that side.
  void inject(int to, const wire::TcpHeader& h, const std::vector<uint8_t>& payload = {},
              bool ce = false) {
    if (to == B && b_listening) {
      if ((h.flags & (wire::tcp_flags::kSyn | wire::tcp_flags::kAck | wire::tcp_flags::kRst)) == wire::tcp_flags::kSyn) {
        b_listening = false;
        b.open_passive(h, now);
        drain(B);
      }
      return;
    }
    conn(to).on_segment(h, ConstByteSpan(payload.data(), payload.size()), now, ce);
    drain(to);
  }

  /// Handles the next event (arrival or timer) at or before `limit`; false when none.
  bool step(Duration limit) {
    Duration next{-1};
    auto consider = [&](Duration t) {
      if (t.ps >= 0 && (next.ps < 0 || t < next)) next = t;
    };
    for (int i = 0; i < 2; ++i) {
      if (!queue_[i].empty()) consider(queue_[i].front().arrive);
      consider(conn(i).next_deadline());
    }
    if (next.ps < 0 || next > limit) return false;
    if (next > now) now = next;
    for (int i = 0; i < 2; ++i) {
      while (!queue_[i].empty() && queue_[i].front().arrive <= now) {
        InFlight f = std::move(queue_[i].front());
        queue_[i].pop_front();
        inject(i, f.hdr, f.payload, f.ce);
      }
    }
    for (int i = 0; i < 2; ++i) {
      const Duration d = conn(i).next_deadline();
      if (d.ps >= 0 && d <= now) {
        conn(i).on_timer(now);
        drain(i);
      }
    }
    return true;
  }

  /// Runs events until none is left at or before `limit`; `now` stays at the last event.
  void run_until(Duration limit) {
    for (int guard = 0; guard < 10000000 && step(limit); ++guard) {
    }
  }
  /// Runs until `done()` holds (checked after each event) or nothing is left before `limit`.
  bool run_until(const std::function<bool()>& done, Duration limit) {
    for (int guard = 0; guard < 10000000; ++guard) {
      if (done()) return true;
      if (!step(limit)) return done();
    }
    return done();
  }

  /// Segments of the log sent by side i (optionally only those with payload).
  std::vector<Sent> sent_by(int i, bool with_payload_only = false) const {
    std::vector<Sent> out;
    for (const Sent& s : log)
      if (s.from == i && (!with_payload_only || !s.payload.empty())) out.push_back(s);
    return out;
  }

  Duration now{};
  Duration delay = Duration::from_us(10);  ///< one-way
  bool b_listening = false;
  std::function<bool(const Sent&)> drop;   ///< shorthand for a Fault with drop
  std::function<Fault(const Sent&)> fault;
  /// Rewrites the header as the wire delivers it (the log keeps what was sent).
  std::function<void(const Sent&, wire::TcpHeader&)> mangle;
  int corrupted = 0;
  std::vector<Sent> log;
  Recorder rec_a, rec_b;
  tcp::Connection a, b;

 private:
  struct InFlight {
    Duration arrive;
    wire::TcpHeader hdr;
    std::vector<uint8_t> payload;
    bool ce = false;
    uint64_t order = 0;
  };
  uint64_t seq_ = 0;
  std::deque<InFlight> queue_[2];  ///< indexed by the receiving side
};

/// Segments of `v` sent by side i whose header has all of `flags`.
inline std::vector<Sent> with_flags(const std::vector<Sent>& v, uint8_t flags) {
  std::vector<Sent> out;
  for (const Sent& s : v)
    if ((s.hdr.flags & flags) == flags) out.push_back(s);
  return out;
}

/// Deterministic test bytes.
inline std::vector<uint8_t> pattern(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& x : v) x = static_cast<uint8_t>(rng());
  return v;
}

/// Opens the pair and runs until both sides are ESTABLISHED.
inline void establish(TcpPair& w) {
  w.connect();
  w.run_until(Duration::from_ms(1));
  REQUIRE(w.a.state() == tcp::State::Established);
  REQUIRE(w.b.state() == tcp::State::Established);
}

}  // namespace rnicsim::test

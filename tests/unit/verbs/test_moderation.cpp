// verbs::InterruptModerator: ibv_req_notify_cq arming and moderation by count and time,
// interrupt times exact to the picosecond.
#include <catch2/catch.hpp>

#include <optional>
#include <vector>

#include "model/proto/verbs/moderation.h"

using rnicsim::Duration;
using rnicsim::verbs::InterruptModerator;
using rnicsim::verbs::Moderation;

namespace {

Duration ns(int64_t v) { return Duration::from_ps(v * 1000); }

/// CQEs at `times` (successful, not solicited); the handler re-arms at each interrupt
/// when `rearm`. The timer is served before each CQE and once at the end, as an agenda
/// would: the interrupt times, in order.
std::vector<Duration> run(InterruptModerator& m, const std::vector<Duration>& times, bool rearm = true) {
  std::vector<Duration> irqs;
  auto raised = [&](Duration t) {
    irqs.push_back(t);
    if (rearm) m.arm(false);
  };
  for (Duration t : times) {
    while (m.deadline() && *m.deadline() < t) {
      const Duration d = *m.deadline();
      REQUIRE(m.on_timer(d));
      raised(d);
    }
    if (m.on_cqe(t, false, true)) raised(t);
  }
  if (m.deadline()) {
    const Duration d = *m.deadline();
    CHECK_FALSE(m.on_timer(d - Duration::from_ps(1)));  // a picosecond early: not yet
    REQUIRE(m.on_timer(d));
    raised(d);
  }
  return irqs;
}

std::vector<Duration> every_100ns(int n) {
  std::vector<Duration> t;
  for (int i = 0; i < n; ++i) t.push_back(ns(100 * i));
  return t;
}

}  // namespace

TEST_CASE("Moderation: count 4, period 1 us, 10 CQEs 100 ns apart", "[verbs][moderation]") {
  InterruptModerator m(Moderation{4, Duration::from_us(1)});
  m.arm(false);
  const auto times = every_100ns(10);  // 0, 100, ..., 900 ns
  std::vector<Duration> irqs;
  for (size_t i = 0; i < times.size(); ++i) {
    const bool fired = m.on_cqe(times[i], false, true);
    INFO("CQE " << i + 1);
    CHECK(fired == (i == 3 || i == 7));  // the 4th and the 8th
    if (fired) {
      irqs.push_back(times[i]);
      CHECK_FALSE(m.armed());
      m.arm(false);
    }
  }
  CHECK(m.pending() == 2);  // the 9th and 10th
  REQUIRE(m.deadline());
  CHECK(*m.deadline() == ns(1800));  // the 9th's time + 1 us
  CHECK_FALSE(m.on_timer(ns(1800) - Duration::from_ps(1)));
  CHECK(m.on_timer(ns(1800)));
  irqs.push_back(ns(1800));
  CHECK(irqs == std::vector<Duration>{ns(300), ns(700), ns(1800)});
  CHECK(m.interrupts() == 3);
  CHECK_FALSE(m.deadline());
  CHECK_FALSE(m.on_timer(ns(5000)));  // a stale timer
  CHECK(m.interrupts() == 3);

  InterruptModerator again(Moderation{4, Duration::from_us(1)});
  again.arm(false);
  CHECK(run(again, times) == std::vector<Duration>{ns(300), ns(700), ns(1800)});
}

TEST_CASE("Moderation: the period bounds a slow trickle", "[verbs][moderation]") {
  // 10 CQEs 300 ns apart, count 4, period 1 us: the count wins at 900 ns (CQEs at 0, 300,
  // 600, 900); then 1200..2100 is the next four, the last two (2400, 2700) wait for the
  // period from 2400: 3400 ns.
  InterruptModerator m(Moderation{4, Duration::from_us(1)});
  m.arm(false);
  std::vector<Duration> t;
  for (int i = 0; i < 10; ++i) t.push_back(ns(300 * i));
  CHECK(run(m, t) == std::vector<Duration>{ns(900), ns(2100), ns(3400)});

  // 5 CQEs 400 ns apart, count 4, period 1 us: 0, 400, 800 then the period at 1000 ns
  // (three in the window); 1200 and 1600 open the next, which ends at 2200 ns.
  InterruptModerator p(Moderation{4, Duration::from_us(1)});
  p.arm(false);
  CHECK(run(p, {ns(0), ns(400), ns(800), ns(1200), ns(1600)}) == std::vector<Duration>{ns(1000), ns(2200)});
}

TEST_CASE("Moderation: by time alone, and a CQE at the deadline", "[verbs][moderation]") {
  InterruptModerator m(Moderation{100, Duration::from_us(1)});
  m.arm(false);
  for (Duration t : every_100ns(10)) CHECK_FALSE(m.on_cqe(t, false, true));
  CHECK(m.pending() == 10);
  REQUIRE(m.deadline());
  CHECK(*m.deadline() == ns(1000));
  // A CQE written at the deadline itself raises it (the timer not yet served).
  CHECK(m.on_cqe(ns(1000), false, true));
  CHECK(m.pending() == 0);
  CHECK(m.interrupts() == 1);
}

TEST_CASE("Moderation: none (count 0 or 1, or period 0) raises at each CQE", "[verbs][moderation]") {
  for (Moderation mod : {Moderation{0, Duration::from_us(1)}, Moderation{1, Duration::from_us(1)},
                         Moderation{4, Duration{}}, Moderation{}}) {
    INFO("count " << mod.count << " period " << mod.period.ps << " ps");
    InterruptModerator m(mod);
    m.arm(false);
    CHECK(run(m, every_100ns(5)) == every_100ns(5));
    CHECK(m.interrupts() == 5);
  }
}

TEST_CASE("Moderation: unarmed CQEs never count", "[verbs][moderation]") {
  InterruptModerator m(Moderation{4, Duration::from_us(1)});
  for (Duration t : every_100ns(10)) CHECK_FALSE(m.on_cqe(t, false, true));
  CHECK(m.pending() == 0);
  CHECK_FALSE(m.deadline());
  CHECK(m.interrupts() == 0);

  // The handler re-arms late: after the interrupt at 300 ns it arms at 550 ns, so the
  // CQEs at 400 and 500 are not counted and the next four are 600..900: one at 900 ns.
  InterruptModerator late(Moderation{4, Duration::from_us(1)});
  late.arm(false);
  std::vector<Duration> irqs;
  for (Duration t : every_100ns(10)) {
    if (t == ns(600)) late.arm(false);  // armed at 550 ns, before the 600 ns CQE
    if (late.on_cqe(t, false, true)) irqs.push_back(t);
  }
  CHECK(irqs == std::vector<Duration>{ns(300), ns(900)});
  CHECK_FALSE(late.armed());
  CHECK_FALSE(late.deadline());
}

TEST_CASE("Moderation: solicited-only arming", "[verbs][moderation]") {
  InterruptModerator m;  // no moderation
  m.arm(true);
  CHECK(m.solicited_only());
  CHECK_FALSE(m.on_cqe(ns(0), false, true));  // neither solicited nor failed: ignored
  CHECK(m.pending() == 0);
  CHECK(m.on_cqe(ns(100), true, true));  // solicited
  CHECK_FALSE(m.armed());
  m.arm(true);
  CHECK(m.on_cqe(ns(200), false, false));  // unsuccessful
  CHECK(m.interrupts() == 2);

  // With count 2: only the qualifying CQEs count.
  InterruptModerator c(Moderation{2, Duration::from_us(10)});
  c.arm(true);
  CHECK_FALSE(c.on_cqe(ns(0), false, true));
  CHECK_FALSE(c.on_cqe(ns(100), true, true));
  CHECK(c.pending() == 1);
  CHECK(*c.deadline() == ns(10100));
  CHECK_FALSE(c.on_cqe(ns(200), false, true));
  CHECK(c.pending() == 1);
  CHECK(c.on_cqe(ns(300), false, false));

  // Widening: solicited-only then every completion; the reverse leaves every completion.
  InterruptModerator w;
  w.arm(true);
  w.arm(false);
  CHECK_FALSE(w.solicited_only());
  CHECK(w.on_cqe(ns(0), false, true));
  w.arm(false);
  w.arm(true);
  CHECK_FALSE(w.solicited_only());
  CHECK(w.on_cqe(ns(100), false, true));
}

TEST_CASE("Moderation: a change applies from the next window", "[verbs][moderation]") {
  InterruptModerator m(Moderation{4, Duration::from_us(1)});
  m.arm(false);
  CHECK_FALSE(m.on_cqe(ns(0), false, true));
  m.set_moderation(Moderation{2, Duration::from_us(5)});
  CHECK_FALSE(m.on_cqe(ns(100), false, true));  // the open window still counts to 4
  CHECK(*m.deadline() == ns(1000));
  CHECK(m.on_timer(ns(1000)));
  m.arm(false);
  CHECK_FALSE(m.on_cqe(ns(2000), false, true));
  CHECK(*m.deadline() == ns(7000));
  CHECK(m.on_cqe(ns(2100), false, true));  // the new count, 2
  CHECK(m.interrupts() == 2);
}

TEST_CASE("InterruptModerator: an arm on CQEs not yet polled raises at once, whatever the moderation", "[verbs][moderation]") {
  rnicsim::verbs::InterruptModerator m({8, rnicsim::Duration::from_us(100)});
  CHECK(!m.raise_pending());  // not armed: nothing
  CHECK(m.interrupts() == 0);
  m.arm(false);
  CHECK(m.raise_pending());
  CHECK(m.interrupts() == 1);
  CHECK(!m.armed());
  CHECK(!m.deadline());
  CHECK(!m.raise_pending());  // disarmed by the interrupt
  CHECK(m.interrupts() == 1);
}

// The event queue running instants ahead of the kernel (EventQueue::set_horizon), in a
// process of its own: SystemC elaborates once per process.
#include <systemc>

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "model/common/sim.h"

using namespace rnicsim;

int sc_main(int, char**) { return 0; }

TEST_CASE("event queue ahead of the kernel: instants in order, sim_now, a failure reported at its instant") {
  EventQueue q;
  q.set_horizon(Duration::from_us(10));
  Agenda a("a"), b("b");
  std::vector<std::pair<std::string, int64_t>> log;
  const auto ns = [](double v) { return Duration::from_ns(v); };
  a.at(ns(1), [&] { log.emplace_back("a1", sim_now().ps); });
  b.at(ns(2), [&] {
    log.emplace_back("b2", sim_now().ps);
    a.after(ns(1), [&] { log.emplace_back("a3", sim_now().ps); });
    b.at(sim_now(), [&] { log.emplace_back("b2'", sim_now().ps); });
  });
  a.at(ns(5), [&] { log.emplace_back("a5", sim_now().ps); });
  b.at(ns(7), [&] { throw std::runtime_error("boom"); });
  a.at(ns(8), [&] { log.emplace_back("a8", sim_now().ps); });
  std::string what;
  try {
    sc_core::sc_start(to_sc(Duration::from_us(10)));
  } catch (const std::exception& e) {
    what = e.what();
  }
  const std::vector<std::pair<std::string, int64_t>> want = {
      {"a1", 1000}, {"b2", 2000}, {"b2'", 2000}, {"a3", 3000}, {"a5", 5000}};
  CHECK(log == want);
  // The instants after the first ran without the kernel: 2, 3 and 5 ns, then 7 ns where
  // the failure left the method once the kernel had come to it.
  CHECK(q.instants_ahead() == 4);
  INFO(what);
  CHECK(what.find("boom") != std::string::npos);
  CHECK(what.find("@ 7 ns") != std::string::npos);
  CHECK(from_sc(sc_core::sc_time_stamp()) == ns(7));
  CHECK(q.rounds() == 5);  // 1; 2 and the delta round its work for now asked for; 3; 5 (7 did not finish)
}

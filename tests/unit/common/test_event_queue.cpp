// The model's one event queue and its frame pool. SystemC elaborates once per process, so
// every check that runs the kernel is in the one test case that builds a model.
#include <systemc>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "model/common/frame.h"
#include "model/common/sim.h"

using namespace rnicsim;

// libsystemc wants an sc_main to link; Catch2 has the process's main.
int sc_main(int, char**) { return 0; }

TEST_CASE("event queue: order at one instant, FIFO per Agenda, records reused") {
  EventQueue q;
  Agenda a("a"), b("b");
  std::vector<std::string> log;
  const Duration t = Duration::from_ns(10);
  // Posted before the run: A's wake-up first, then B's; A's two items stay together, as
  // when each block was its own SC_METHOD.
  a.at(t, [&] { log.push_back("a1"); });
  b.at(t, [&] {
    log.push_back("b1");
    // Work for now: to A, which has already woken, in a later round; to B itself, in
    // this wake-up, after its items already due.
    a.at(sim_now(), [&] { log.push_back("a3"); });
    b.at(sim_now(), [&] { log.push_back("b3"); });
  });
  a.at(t, [&] { log.push_back("a2"); });
  b.at(t, [&] { log.push_back("b2"); });
  // A chain of 1000 events one after the other: one record, reused each time.
  int chain = 0;
  std::function<void()> step = [&] {
    if (++chain < 1000) a.after(Duration::from_ns(1), step);
  };
  a.at(Duration::from_us(1), step);
  sc_core::sc_start();

  CHECK(log == std::vector<std::string>{"a1", "a2", "b1", "b2", "b3", "a3"});
  CHECK(sim_now() == Duration::from_us(1) + Duration::from_ns(999));
  CHECK(chain == 1000);
  CHECK(q.executed() == 6 + 1000);
  CHECK(q.pending() == 0);
  CHECK(q.records() == 5);  // the most ever pending: the four items at t and the chain's first
}

TEST_CASE("frame pool: buffers come back with their capacity, copies are separate") {
  FramePool pool;
  {
    FramePtr f = pool.make();
    f->bytes.resize(1514);
    f->bytes[0] = 0xAB;
    f->fcs = 7;
    FramePtr shared = f;  // a tap's reference
    CHECK(pool.in_use() == 1);
    FramePtr c = pool.copy(*f);
    c->bytes[0] = 0xCD;
    CHECK(f->bytes[0] == 0xAB);
    CHECK(c->fcs == 7);
    CHECK(pool.in_use() == 2);
  }
  CHECK(pool.in_use() == 0);
  CHECK(pool.allocated() == 2);
  FramePtr again = pool.make();
  CHECK(again->bytes.empty());
  CHECK(again->fcs == 0);
  CHECK(again->bytes.capacity() >= 1514);
  CHECK(pool.allocated() == 2);  // recycled, not made
}

// The run: the model built, sampled and simulated until every workload has finished and
// every connection is quiet (or `stop.after`), then its outputs written.
#include <chrono>
#include <csignal>
#include <filesystem>

#include <fmt/format.h>

#include "model/sim/model.h"

namespace rnicsim::sim {

namespace {
volatile std::sig_atomic_t interrupted = 0;
void on_sigint(int) { interrupted = 1; }
bool was_interrupted() { return interrupted != 0; }

/// Every ping workload has each request answered, failed or timed out.
bool pings_finished(const Model& m) {
  for (size_t wi = 0; wi < m.s.workloads.size(); ++wi)
    if (m.s.workloads[wi].op == "ping" && !m.runners[wi].front()->finished()) return false;
  return true;
}
}  // namespace

bool Model::all_done() {
  // Finished stays finished: resume the scan where it stopped (O(1) amortised per call,
  // which matters with thousands of connections).
  for (; done_scan < conns.size(); ++done_scan) {
    const auto& c = conns[done_scan];
    if (c.never_opened()) continue;  // its workloads never run
    for (auto [wi, ri] : c.runners) {
      if (c.soft ? (!bulk[wi][ri] || !bulk[wi][ri]->finished())
                 : (!runners[wi][ri] || !runners[wi][ri]->finished()))
        return false;
    }
  }
  if (!pings_finished(*this)) return false;
  for (const auto& c : conns) {
    if (c.soft) {
      const tcp::Connection* t = c.client_tcp();
      // A reset or timed-out connection has nothing more to deliver.
      if (c.state == "established" && t && t->state() != tcp::State::Closed && !t->all_acked()) return false;
      continue;
    }
    if (c.client_qpn == UINT32_MAX || c.state != "established") continue;
    auto& e = c.client->rnic().engine();
    // A disconnect still to come, or one under way, keeps the run going.
    if (c.spec->disconnect && sim_now() < *c.spec->disconnect) return false;
    if (e.state(c.client_qpn) == hw::QpState::Closing) return false;
    if (c.server_qpn != UINT32_MAX && c.server->rnic().engine().state(c.server_qpn) == hw::QpState::Closing)
      return false;
    if (e.state(c.client_qpn) != hw::QpState::Rts) continue;  // closed, terminated or in error: nothing more to send
    if (!c.client->rnic().toe().conn(e.conn_of(c.client_qpn)).all_acked()) return false;
    if (c.server_qpn != UINT32_MAX) {
      auto& se = c.server->rnic().engine();
      if (!c.server->rnic().toe().conn(se.conn_of(c.server_qpn)).all_acked()) return false;
    }
  }
  return true;
}
void Model::check_done() {
  if (!taps.empty()) return;  // a peer outside may still be talking: the run lasts until stop.after
  if (all_done()) {
    sc_core::sc_stop();
    return;
  }
  // The work is done but a stream still waits for its last ACK (a Read's responder, a
  // Terminate's FIN): look again a little later.
  const bool work_done = done_scan >= conns.size() && pings_finished(*this);  // all_done's scan reached the end
  if (work_done && !poll_armed) {
    poll_armed = true;
    control->after(Duration::from_us(10), [this] {
      poll_armed = false;
      check_done();
    });
  }
}

std::string RunOutcome::Speed::line() const {
  const double w = wall_s > 0 ? wall_s : 1e-9, t = sim_s > 0 ? sim_s : 1e-12;
  return fmt::format("speed: {:.0f} events/s, {:.6g} simsec/s, {:.0f} events/simsec ({} events, {} rounds, {:.3f} s wall in the loop, {:.6f} s simulated)",
                     static_cast<double>(events) / w, sim_s / w, static_cast<double>(events) / t, events, rounds, wall_s, sim_s);
}

std::vector<std::pair<scenario::Loc, std::string>> tap_ends(const scenario::Scenario& s) {
  std::vector<std::pair<scenario::Loc, std::string>> out;
  for (const auto& l : s.links)
    for (const auto& e : l.ends)
      if (!e.tap.empty()) out.emplace_back(l.loc, fmt::format("links '{}': tap:{}", l.name, e.tap));
  return out;
}

RunOutcome run(const scenario::Scenario& s, const RunOptions& o) {
  RunOutcome out;
  RunOptions opt = o;
  if (opt.out_dir.empty()) opt.out_dir = (std::filesystem::path("traces/runs") / s.name).string();
  std::filesystem::create_directories(opt.out_dir);
  out.out_dir = opt.out_dir;

  const auto wall0 = std::chrono::steady_clock::now();
  Model m(s, opt);
  build(m);
  add_series(m);
  if (opt.realtime) {
    // Ctrl-C ends a paced run at the next slice, its outputs written.
    interrupted = 0;
    std::signal(SIGINT, on_sigint);
    std::vector<hw::TapPort*> taps;
    for (auto& [name, t] : m.taps) taps.push_back(t.get());
    m.pacer = std::make_unique<Pacer>(std::move(taps), &was_interrupted);
    m.pacer->start();
  }
  // The run is this one sc_start: the queue may run the instants before its end without
  // returning to the kernel between them (EventQueue::set_horizon).
  m.events.set_horizon(from_sc(to_sc(s.stop_after)));  // the kernel's end, as sc_start rounds it
  const uint64_t items0 = m.events.executed();
  const auto loop0 = std::chrono::steady_clock::now();
  sc_core::sc_start(to_sc(s.stop_after));
  RunFigures f;
  f.end = sim_now();
  out.speed.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - loop0).count();
  out.speed.events = m.events.executed() - items0;
  out.speed.rounds = m.events.rounds();
  out.speed.sim_s = f.end.s();
  f.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  f.events = m.events.rounds();  // what sc_delta_count() was with one SC_METHOD per block
  for (auto& w : m.runners)
    for (auto& r : w)
      if (r) r->finish_checks();
  for (const auto& c : m.conns)
    for (auto [wi, ri] : c.runners)
      if (c.soft && m.bulk[wi][ri]) m.bulk[wi][ri]->finish_checks(c.sink.get());
  m.series->finish();
  m.pcaps.clear();  // flush captures
  bool any_wave = false;
  for (auto& h : m.hosts) any_wave = any_wave || (opt.wave && h->rnic().placement().mode() != hw::PlacementMode::Model);
  if (opt.wave && !any_wave) fmt::print(stderr, "rnicsim: --wave: no host runs the RTL placement core; no waves written\n");

  nlohmann::ordered_json r = results_json(m, f);
  bool lockstep_ok = true;
  for (const auto& h : m.hosts) lockstep_ok = lockstep_ok && h->rnic().placement().stats().cosim_mismatches == 0;
  const bool held = check_expectations(s, r);
  // A lockstep divergence fails the run like an expectation.
  f.passed = held && lockstep_ok;
  r["passed"] = f.passed;
  out.passed = f.passed;
  if (opt.realtime) std::signal(SIGINT, SIG_DFL);
  out.summary = write_outputs(m, r, f, lockstep_ok, any_wave);
  if (m.pacer) {
    const RealtimeFigures& rf = m.pacer->figures();
    out.summary += fmt::format(
        "realtime: {} ({} slices of {} us; {} began late, at most {:.3f} ms; {:.3f} ms behind at the end){}\n",
        rf.kept_up() ? "kept up with the wall clock" : "FELL BEHIND the wall clock: this run could not keep up at these rates",
        rf.slices, rf.quantum_ns / 1000, rf.slices_behind, static_cast<double>(rf.max_behind_ns) / 1e6,
        static_cast<double>(rf.end_behind_ns) / 1e6, was_interrupted() ? "; interrupted" : "");
  }
  out.results = std::move(r);
  return out;
}

}  // namespace rnicsim::sim

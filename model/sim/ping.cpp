#include "model/sim/ping.h"

namespace rnicsim::sim {

PingRunner::PingRunner(const scenario::WorkloadSpec& spec, uint32_t index, host::Host& from, Agenda& agenda,
                       std::function<void()> progress)
    : spec_(spec),
      id_(static_cast<uint16_t>(index + 1)),
      from_(from),
      agenda_(agenda),
      progress_(std::move(progress)) {
  for (uint64_t s : spec.sizes) figures_[s];
}

void PingRunner::start() {
  if (started_) return;
  started_ = true;
  agenda_.at(std::max(spec_.start, sim_now()), [this] { send_next(); });
}

void PingRunner::send_next() {
  // Sizes in turn, `count` requests each, one every `interval` (ping -i), never waiting
  // for an answer.
  const uint64_t n = sent_++;
  const uint64_t size = spec_.sizes[n / spec_.count];
  SizeFigures& f = figures_[size];
  if (f.first_post.ps < 0) f.first_post = sim_now();
  const auto seq = static_cast<uint16_t>(n + 1);
  if (sent_ < total()) agenda_.after(spec_.interval, [this] { send_next(); });
  from_.ping(spec_.to, id_, seq, size, spec_.timeout,
             [this, size](const host::EchoResult& r) { settled(size, r); });
}

void PingRunner::settled(uint64_t size, const host::EchoResult& r) {
  SizeFigures& f = figures_[size];
  ++settled_;
  if (r.outcome == host::EchoResult::Outcome::Reply) {
    ++f.completed;
    f.bytes += r.payload_len;
    f.latencies_ns.push_back(r.rtt.ps / 1000);
    f.last_completion = sim_now();
    if (spec_.verify && r.payload_len > 0) ++f.verified;  // an empty echo has no byte to compare
    if (spec_.verify && !r.data_intact) f.data_intact = false;
  } else {
    ++f.errors;
  }
  progress_();
}

void PingRunner::finish_checks() {
  if (checked_) return;
  checked_ = true;
  // Unanswered when the run ended (stop.after), or never sent: errors, as the operations
  // of a connection that never came up are.
  for (auto& [size, f] : figures_) f.errors = spec_.count - f.completed;
}

}  // namespace rnicsim::sim

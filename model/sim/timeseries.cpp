#include "model/sim/timeseries.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>

namespace rnicsim::sim {

void TimeSeries::add(std::string name, std::function<double()> value) {
  names_.push_back(std::move(name));
  cols_.push_back(std::move(value));
}

void TimeSeries::start() {
  if (interval_.ps <= 0) return;
  agenda_ = std::make_unique<Agenda>("timeseries");
  agenda_->at(Duration{}, [this] { sample(); });
}

void TimeSeries::append_row() {
  last_ = sim_now();
  rows_.push_back(static_cast<double>(last_.ps / 1000));
  for (auto& c : cols_) rows_.push_back(c());
}

void TimeSeries::sample() {
  append_row();
  // Sample again only while something else is still to happen: work in the model's queue
  // (this sample has left it) or other SystemC activity.
  if (agenda_->queue().pending_activity() || sc_core::sc_pending_activity())
    agenda_->after(interval_, [this] { sample(); });
}

void TimeSeries::write(const std::string& path) {
  if (interval_.ps <= 0) return;
  if (last_ != sim_now()) append_row();
  std::ofstream f(path);
  f << "time_ns";
  for (const auto& n : names_) f << ',' << n;
  f << '\n';
  const size_t w = cols_.size() + 1;
  std::string line;
  for (size_t r = 0; r + w <= rows_.size(); r += w) {
    line.clear();
    for (size_t i = 0; i < w; ++i) {
      if (i) line += ',';
      const double v = rows_[r + i];
      if (v == std::floor(v) && std::fabs(v) < 9e15)
        line += fmt::format("{}", static_cast<int64_t>(v));
      else
        line += fmt::format("{:.6f}", v);
    }
    f << line << '\n';
  }
}

}  // namespace rnicsim::sim

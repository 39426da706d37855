#include "model/sim/timeseries.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace rnicsim::sim {

namespace {
constexpr size_t kFlushBytes = 64 * 1024;
}

TimeSeries::~TimeSeries() {
  if (file_) std::fclose(file_);
}

void TimeSeries::add(std::string name, std::function<double()> value) {
  names_.push_back(std::move(name));
  cols_.push_back(std::move(value));
}

void TimeSeries::start(const std::string& path) {
  if (interval_.ps <= 0) return;
  path_ = path;
  file_ = std::fopen(path.c_str(), "w");
  if (!file_) throw std::runtime_error(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  buf_ = "time_ns";
  for (const auto& n : names_) {
    buf_ += ',';
    buf_ += n;
  }
  buf_ += '\n';
  agenda_ = std::make_unique<Agenda>("timeseries");
  agenda_->at(Duration{}, [this] { sample(); });
}

void TimeSeries::append_row() {
  last_ = sim_now();
  auto put = [this](double v) {
    if (v == std::floor(v) && std::fabs(v) < 9e15)
      fmt::format_to(std::back_inserter(buf_), "{}", static_cast<int64_t>(v));
    else
      fmt::format_to(std::back_inserter(buf_), "{:.6f}", v);
  };
  put(static_cast<double>(last_.ps / 1000));
  for (auto& c : cols_) {
    buf_ += ',';
    put(c());
  }
  buf_ += '\n';
  if (buf_.size() >= kFlushBytes) flush();
}

void TimeSeries::flush() {
  if (!file_ || buf_.empty()) return;
  if (!failed_ && std::fwrite(buf_.data(), 1, buf_.size(), file_) != buf_.size()) {
    failed_ = true;
    error_ = errno;
  }
  buf_.clear();
}

void TimeSeries::sample() {
  append_row();
  // Sample again only while something else is still to happen: work in the model's queue
  // (this sample has left it) or other SystemC activity.
  if (agenda_->queue().pending_activity() || sc_core::sc_pending_activity())
    agenda_->after(interval_, [this] { sample(); });
}

void TimeSeries::finish() {
  if (!file_) return;
  if (last_ != sim_now()) append_row();
  flush();
  if (std::fclose(file_) != 0 && !failed_) {
    failed_ = true;
    error_ = errno;
  }
  file_ = nullptr;
  if (failed_) throw std::runtime_error(fmt::format("cannot write {}: {}", path_, std::strerror(error_)));
}

}  // namespace rnicsim::sim

#pragma once
/// timeseries.csv: figures sampled every `interval` of simulated time, one row per sample,
/// one column per series (`time_ns` first). Sampling stops by itself once nothing else is
/// left to simulate, so it never keeps a finished run alive.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model/common/sim.h"

namespace rnicsim::sim {

class TimeSeries {
 public:
  explicit TimeSeries(Duration interval) : interval_(interval) {}
  /// Adds a column; `value` is read at every sample.
  void add(std::string name, std::function<double()> value);
  /// Starts sampling at time 0 (call before the simulation starts).
  void start();
  /// Samples once more at the end of the run (when it did not fall on a sample) and
  /// writes the CSV.
  void write(const std::string& path);
 private:
  void sample();
  void append_row();
  Duration interval_;
  std::vector<std::string> names_;
  std::vector<std::function<double()>> cols_;
  std::vector<double> rows_;  ///< row-major: time_ns then each column
  Duration last_{-1};
  std::unique_ptr<Agenda> agenda_;
};

}  // namespace rnicsim::sim

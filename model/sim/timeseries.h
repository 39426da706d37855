#pragma once
/// timeseries.csv: figures sampled every `interval` of simulated time, one row per sample,
/// one column per series (`time_ns` first). Rows go to the file as they are sampled (a
/// buffer of at most 64 KiB is held), so a long run's series costs no memory. Sampling
/// stops by itself once nothing else is left to simulate, so it never keeps a finished
/// run alive.
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model/common/sim.h"

namespace rnicsim::sim {

class TimeSeries {
 public:
  explicit TimeSeries(Duration interval) : interval_(interval) {}
  ~TimeSeries();
  TimeSeries(const TimeSeries&) = delete;
  TimeSeries& operator=(const TimeSeries&) = delete;
  /// Adds a column; `value` is read at every sample.
  void add(std::string name, std::function<double()> value);
  /// Opens `path`, writes the header and starts sampling at time 0 (call before the
  /// simulation starts). Throws std::runtime_error naming the path when it cannot be opened.
  void start(const std::string& path);
  /// Samples once more at the end of the run (when it did not fall on a sample) and
  /// closes the file; throws std::runtime_error naming the path when any write failed.
  void finish();

 private:
  void sample();
  void append_row();
  void flush();
  Duration interval_;
  std::vector<std::string> names_;
  std::vector<std::function<double()>> cols_;
  std::string path_;
  std::FILE* file_ = nullptr;
  std::string buf_;      ///< formatted rows not yet written
  bool failed_ = false;  ///< a write to the file failed
  int error_ = 0;        ///< its errno
  Duration last_{-1};
  std::unique_ptr<Agenda> agenda_;
};

}  // namespace rnicsim::sim

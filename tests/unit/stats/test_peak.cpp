// perftest's BW peak interval (sim::peak_interval_ps) against perftest's own double loop.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "model/common/rng.h"
#include "model/sim/workload.h"

using rnicsim::sim::peak_interval_ps;

namespace {

/// print_report_bw's loop: the least (completed[j] - posted[i]) / (j - i + 1), i <= j.
double brute(std::vector<int64_t> p, std::vector<int64_t> c) {
  std::sort(p.begin(), p.end());
  std::sort(c.begin(), c.end());
  const size_t n = std::min(p.size(), c.size());
  if (n == 0) return -1;
  long double best = 1e30L;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i; j < n; ++j)
      best = std::min(best, static_cast<long double>(c[j] - p[i]) / static_cast<long double>(j - i + 1));
  return static_cast<double>(best);
}

}  // namespace

TEST_CASE("peak interval: a hand example, and nothing to take") {
  // Posts at 0, 10, 20, 30; completions at 100, 101, 102, 200: the best window is
  // posts 0..2 against completions 0..2: (102 - 0) / 3 = 34.
  CHECK(peak_interval_ps({0, 10, 20, 30}, {100, 101, 102, 200}) == 34);
  CHECK(brute({0, 10, 20, 30}, {100, 101, 102, 200}) == 34);
  CHECK(peak_interval_ps({}, {5}) == -1);
  CHECK(peak_interval_ps({1}, {}) == -1);
  CHECK(peak_interval_ps({7}, {19}) == 12);
}

TEST_CASE("peak interval: equals perftest's double loop on 300 random runs") {
  rnicsim::Rng rng(42, "peak");
  for (int run = 0; run < 300; ++run) {
    const size_t n = 1 + rng.next() % 60;
    std::vector<int64_t> posts, done;
    int64_t t = 0;
    for (size_t i = 0; i < n; ++i) {
      t += static_cast<int64_t>(rng.next() % 1000);
      posts.push_back(t);
      // Each completes after its post, bursts and stalls alike.
      done.push_back(t + 1 + static_cast<int64_t>(rng.next() % 5000));
    }
    INFO(run);
    CHECK(peak_interval_ps(posts, done) == brute(posts, done));
  }
}

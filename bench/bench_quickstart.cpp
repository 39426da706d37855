// Speed of the per-frame path: runs a scenario (default scenarios/quickstart.yaml) with
// captures off, and reports simulated frames per wall second and the ratio of wall time
// to simulated time. Usage: bench_quickstart RNICSIM_BINARY [SCENARIO] [REPEATS]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: {} RNICSIM_BINARY [SCENARIO] [REPEATS]\n", argv[0]);
    return 2;
  }
  const std::string bin = argv[1];
  const std::string scenario = argc > 2 ? argv[2] : "scenarios/quickstart.yaml";
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 3;
  const std::string out = "traces/bench";
  std::vector<double> walls;
  nlohmann::json r;
  for (int i = 0; i < repeats; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const int st = std::system((bin + " run " + scenario + " --pcap off -o " + out + " > /dev/null").c_str());
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (st != 0) {
      fmt::print(stderr, "run failed (status {})\n", st);
      return 3;
    }
    walls.push_back(wall);
    std::ifstream f(out + "/results.json");
    r = nlohmann::json::parse(f);
  }
  std::sort(walls.begin(), walls.end());
  const double wall = walls[walls.size() / 2];  // median of the repeats, whole process
  uint64_t frames = 0;
  for (const auto& [name, h] : r["hosts"].items()) frames += h["rnic"]["mac"]["frames_tx"].get<uint64_t>();
  const double sim_s = r["sim_time_ns"].get<double>() / 1e9;
  const double inner = r["wall_time_s"].get<double>();
  fmt::print("scenario            {}\n", scenario);
  fmt::print("simulated time      {:.6f} s\n", sim_s);
  fmt::print("frames (all hosts)  {}\n", frames);
  fmt::print("wall, process       {:.3f} s (median of {})\n", wall, repeats);
  fmt::print("wall, simulation    {:.3f} s (results.json wall_time_s, last run)\n", inner);
  fmt::print("frames per wall s   {:.0f}\n", static_cast<double>(frames) / inner);
  fmt::print("wall / simulated    {:.2f}\n", inner / sim_s);
  return 0;
}

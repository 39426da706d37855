// The speed table of `make bench` (docs/performance.md): every target of the speed work
// measured in one run on this machine, beside ns-3 running the same flow.
//
// Each figure is the median of REPEATS runs (default 5) of `rnicsim run ... --pcap off`
// unless the row says otherwise; a ratio is the median of ratios within rounds that run
// its two (or three) scenarios in turn; wall time is results.json's wall_time_s, simulated time
// its sim_time_ns, frames every MAC's frames_tx summed. ns-3's figure comes from
// bench/ns3/tcp_bulk.cc (one TCP bulk flow over a 10 Gb/s point-to-point link, MTU 1500,
// 1 us), its frames every packet either device sent. Ratios are of figures measured in
// this run; no absolute time is a target.
//
// Usage: bench_speed RNICSIM_BINARY NS3_TCP_BULK_BINARY [REPEATS]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace {

std::string g_bin, g_ns3, g_tmp;
int g_repeats = 5;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// Runs `argv` to completion with stdout to `out_file`; returns the exit status and the
/// child's peak resident set in KiB.
int spawn(const std::vector<std::string>& argv, const std::string& out_file, long& maxrss_kib) {
  std::fflush(stdout);  // the child must not write the parent's buffered lines again
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (std::freopen(out_file.c_str(), "w", stdout) == nullptr) _exit(127);
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  int st = 0;
  rusage ru{};
  if (wait4(pid, &st, 0, &ru) < 0) return -1;
  maxrss_kib = ru.ru_maxrss;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

struct Run {
  double sim_s = 0, wall_s = 0, frames = 0;
  uint64_t events = 0;
  long rss_kib = 0;
  double wall_over_sim() const { return wall_s / sim_s; }
  double frames_per_wall_s() const { return frames / wall_s; }
};

/// One rnicsim run of `scenario` with `extra` options; exits the bench if it fails.
Run rnicsim_once(const std::string& scenario, const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {g_bin, "run", scenario, "-o", g_tmp + "/run"};
  bool pcap_given = false;
  for (const auto& e : extra) {
    argv.push_back(e);
    if (e == "--pcap") pcap_given = true;
  }
  if (!pcap_given) {
    argv.push_back("--pcap");
    argv.push_back("off");
  }
  // The previous run's outputs go first, outside the timed run: overwriting them would
  // make this run pay for truncating hundreds of MB of the last one's captures.
  std::filesystem::remove_all(g_tmp + "/run");
  Run r;
  const int st = spawn(argv, g_tmp + "/stdout", r.rss_kib);
  if (st != 0) {
    fmt::print(stderr, "bench_speed: `{} run {}` exited {}\n", g_bin, scenario, st);
    std::exit(3);
  }
  std::ifstream f(g_tmp + "/run/results.json");
  const auto j = nlohmann::json::parse(f);
  if (!j["passed"].get<bool>()) {
    fmt::print(stderr, "bench_speed: {}: its expectations failed\n", scenario);
    std::exit(3);
  }
  r.sim_s = j["sim_time_ns"].get<double>() / 1e9;
  r.wall_s = j["wall_time_s"].get<double>();
  r.events = j["events_processed"].get<uint64_t>();
  for (const auto& [name, h] : j["hosts"].items()) r.frames += h["rnic"]["mac"]["frames_tx"].get<double>();
  return r;
}

/// A run of rnicsim: a scenario and further options.
struct Spec {
  std::string scenario;
  std::vector<std::string> extra;
};
/// Runs the specs in turn, REPEATS rounds (A B C A B C ...): a ratio taken within a round
/// is not moved by the machine's speed drifting between rounds. Returns runs[spec][round].
std::vector<std::vector<Run>> in_turn(const std::vector<Spec>& specs) {
  std::vector<std::vector<Run>> runs(specs.size());
  for (int i = 0; i < g_repeats; ++i)
    for (size_t k = 0; k < specs.size(); ++k) runs[k].push_back(rnicsim_once(specs[k].scenario, specs[k].extra));
  return runs;
}
/// The median over rounds of `f(round)`.
double median_of(const std::vector<std::vector<Run>>& runs, const std::function<double(size_t)>& f) {
  std::vector<double> v;
  for (size_t i = 0; i < runs.front().size(); ++i) v.push_back(f(i));
  return median(v);
}
/// The median run of one spec's rounds (wall time and RSS their medians).
Run median_run(const std::vector<Run>& runs) {
  std::vector<double> walls, rss;
  for (const auto& r : runs) {
    walls.push_back(r.wall_s);
    rss.push_back(static_cast<double>(r.rss_kib));
  }
  Run m = runs.front();
  m.wall_s = median(walls);
  m.rss_kib = static_cast<long>(median(rss));
  return m;
}

Run ns3_once(const std::string& rate, double sim_s) {
  long rss = 0;
  const int st = spawn({g_ns3, "--rate=" + rate, "--mtu=1500", "--delay=1us", fmt::format("--time={}", sim_s)},
                       g_tmp + "/ns3.json", rss);
  if (st != 0) {
    fmt::print(stderr, "bench_speed: {} exited {}\n", g_ns3, st);
    std::exit(3);
  }
  std::ifstream f(g_tmp + "/ns3.json");
  const auto j = nlohmann::json::parse(f);
  Run m;
  m.sim_s = j["sim_time_s"].get<double>();
  m.frames = j["frames"].get<double>();
  m.events = j["events"].get<uint64_t>();
  m.wall_s = j["wall_time_s"].get<double>();
  return m;
}

/// `rnicsim check --estimate`'s memory estimate of a scenario, in bytes.
double estimate_bytes(const std::string& scenario) {
  long rss = 0;
  if (spawn({g_bin, "check", "--estimate", scenario}, g_tmp + "/estimate", rss) != 0) {
    fmt::print(stderr, "bench_speed: `{} check --estimate {}` failed\n", g_bin, scenario);
    std::exit(3);
  }
  std::ifstream f(g_tmp + "/estimate");
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto at = text.find("memory estimate ");
  if (at == std::string::npos) std::exit(3);
  return std::stod(text.substr(at + 16));
}

/// A scenario written to the bench's directory.
std::string write_scenario(const std::string& name, const std::string& text) {
  const std::string path = g_tmp + "/" + name + ".yaml";
  std::ofstream(path) << text;
  return path;
}

std::string two_hosts(const std::string& name, const std::string& connections, const std::string& workloads,
                      bool no_series = false) {
  return fmt::format(
      "name: {}\nseed: 3\n{}hosts:\n"
      "  - {{name: alice, ip: 10.0.0.1/24, mac: \"02:00:00:00:00:01\", rnic: {{profile: generic_10g, max_regions: 32768, max_qps: 16384}}}}\n"
      "  - {{name: bob,   ip: 10.0.0.2/24, mac: \"02:00:00:00:00:02\", rnic: {{profile: generic_10g, max_regions: 32768, max_qps: 16384}}}}\n"
      "links:\n  - {{ends: [alice, bob], delay: 1us}}\n"
      "connections:\n{}workloads:\n{}",
      name, no_series ? "timeseries: {interval: 0s}\n" : "", connections, workloads);
}

int failures = 0;
void row(const std::string& what, const std::string& figure, const std::string& target, bool met) {
  if (!met) ++failures;
  fmt::print("{:<52} {:>22}  {:<18} {}\n", what, figure, target, met ? "met" : "NOT MET");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fmt::print(stderr, "usage: {} RNICSIM_BINARY NS3_TCP_BULK_BINARY [REPEATS]\n", argv[0]);
    return 2;
  }
  g_bin = argv[1];
  g_ns3 = argv[2];
  if (argc > 3) g_repeats = std::max(1, std::atoi(argv[3]));
  char dir[] = "/tmp/rnicsim-bench-XXXXXX";
  if (mkdtemp(dir) == nullptr) return 3;
  g_tmp = dir;

  fmt::print("rnicsim speed, captures off unless named, median of {} runs each\n\n", g_repeats);
  fmt::print("{:<52} {:>22}  {:<18} {}\n", "target", "figure", "wanted", "");

  // Bulk Write at three rates, MTU 1500 and 9000 in turn (bench/data/speed_*.yaml).
  std::vector<std::pair<std::string, Run>> bulk;
  std::vector<std::string> mtu_rows;
  for (const char* rate : {"10g", "25g", "100g"}) {
    const auto runs = in_turn({{fmt::format("bench/data/speed_{}_1500.yaml", rate), {}},
                               {fmt::format("bench/data/speed_{}_9000.yaml", rate), {}}});
    bulk.emplace_back(fmt::format("{}_1500", rate), median_run(runs[0]));
    bulk.emplace_back(fmt::format("{}_9000", rate), median_run(runs[1]));
    const double r = median_of(runs, [&](size_t i) { return runs[1][i].wall_over_sim() / runs[0][i].wall_over_sim(); });
    mtu_rows.push_back(fmt::format("{}|{:.2f}", rate, r));
  }
  const auto find = [&](const std::string& k) -> const Run& {
    for (const auto& [name, r] : bulk)
      if (name == k) return r;
    std::abort();
  };
  const Run& r10 = find("10g_1500");
  row("wall/sim, bulk Write 10 Gb/s, MTU 1500", fmt::format("{:.2f}", r10.wall_over_sim()), "<= 1.0",
      r10.wall_over_sim() <= 1.0);
  const Run& r25 = find("25g_1500");
  row("wall/sim, bulk Write 25 Gb/s, MTU 1500", fmt::format("{:.2f}", r25.wall_over_sim()), "(no target)", true);
  const Run& r100 = find("100g_1500");
  row("wall/sim, bulk Write 100 Gb/s, MTU 1500", fmt::format("{:.2f}", r100.wall_over_sim()), "<= 10",
      r100.wall_over_sim() <= 10.0);
  for (const std::string& m : mtu_rows) {
    const std::string rate = m.substr(0, m.find('|'));
    const double r = std::stod(m.substr(m.find('|') + 1));
    row(fmt::format("wall/sim, MTU 9000 over MTU 1500, {} (paired)", rate), fmt::format("{:.2f}", r), "<= 1", r <= 1.0);
  }

  // The RTL placement core in the loop, 10 Gb/s.
  const Run rtl = median_run(in_turn({{"bench/data/speed_10g_1500.yaml", {"--placement", "rtl"}}})[0]);
  row("wall/sim, RTL core in the loop, 10 Gb/s", fmt::format("{:.2f}", rtl.wall_over_sim()), "<= 10",
      rtl.wall_over_sim() <= 10.0);

  // Captures: full against off, in turn.
  {
    const auto runs = in_turn({{"bench/data/speed_10g_1500.yaml", {}}, {"bench/data/speed_10g_1500.yaml", {"--pcap", "full"}}});
    const double r = median_of(runs, [&](size_t i) { return runs[1][i].wall_s / runs[0][i].wall_s; });
    row("wall, --pcap full over --pcap off, 10 Gb/s (paired)", fmt::format("{:.2f}", r), "<= 1.5", r <= 1.5);
  }

  // Ten thousand connections against one: 9999 established and idle beside one bulk
  // stream, against the stream alone (what a connection costs the per-frame path), the
  // idle connections' own set-up (10000 handshakes, MPA exchanges, QPs, regions) taken
  // out with an idle-only run; and 10000 connections each writing 64 KiB against one
  // writing 10000 x 64 KiB (each connection has buffers of its own there, 1.3 GB touched,
  // so its figure includes that memory's first use). timeseries.csv is off in these runs
  // (its 6 columns per connection are an output whose cost grows with connections x rows,
  // not with frames).
  const std::string stream = "  - {id: s, conn: s, op: write, size: 256KiB, count: 1024, depth: 8}\n";
  const std::string idle = "  - {id: w, conn: c, op: write, size: 8B, count: 1}\n";
  const std::string beside = write_scenario(
      "idle_beside", two_hosts("idle_beside",
                               "  - {id: s, from: alice, to: bob, port: 4000}\n"
                               "  - {id: c, from: alice, to: bob, port: 5000, repeat: 9999}\n",
                               stream + idle, true));
  const std::string alone = write_scenario(
      "alone", two_hosts("alone", "  - {id: s, from: alice, to: bob, port: 4000}\n", stream, true));
  const std::string idle_many = write_scenario(
      "idle_10k", two_hosts("idle_10k", "  - {id: c, from: alice, to: bob, port: 5000, repeat: 10000}\n", idle, true));
  const std::string idle_one =
      write_scenario("idle_1", two_hosts("idle_1", "  - {id: c, from: alice, to: bob, port: 5000}\n", idle, true));
  {
    const auto runs = in_turn({{beside, {}}, {idle_many, {}}, {alone, {}}});
    const double r = median_of(runs, [&](size_t i) {
      const Run &b = runs[0][i], &m = runs[1][i], &a = runs[2][i];
      return ((b.wall_s - m.wall_s) / (b.frames - m.frames)) / (a.wall_s / a.frames);
    });
    row("wall per frame, a stream beside 9999 idle over alone", fmt::format("{:.2f}", r), "<= 1.2", r <= 1.2);

    // Memory per idle connection: each one's 8-byte Write holds two buffer pages besides
    // the connection's own state; the bound is `rnicsim check --estimate`'s figure for the
    // same difference.
    const Run im = median_run(runs[1]);
    const Run io = median_run(in_turn({{idle_one, {}}})[0]);
    const double kib_per_conn = static_cast<double>(im.rss_kib - io.rss_kib) / 9999.0;
    const double est_per_conn = (estimate_bytes(idle_many) - estimate_bytes(idle_one)) / 9999.0 / 1024.0;
    row("memory per idle rdma connection (peak RSS)", fmt::format("{:.1f} KiB", kib_per_conn),
        fmt::format("<= {:.1f} KiB (est.)", est_per_conn), kib_per_conn <= est_per_conn);
  }
  {
    const std::string many = write_scenario(
        "conns_10k", two_hosts("conns_10k", "  - {id: c, from: alice, to: bob, port: 5000, repeat: 10000}\n",
                               "  - {id: w, conn: c, op: write, size: 64KiB, count: 1}\n", true));
    const std::string one = write_scenario(
        "conns_1", two_hosts("conns_1", "  - {id: c, from: alice, to: bob, port: 5000}\n",
                             "  - {id: w, conn: c, op: write, size: 64KiB, count: 10000, depth: 8}\n", true));
    const auto runs = in_turn({{many, {}}, {one, {}}});
    const double r = median_of(runs, [&](size_t i) {
      return (runs[0][i].wall_s / runs[0][i].frames) / (runs[1][i].wall_s / runs[1][i].frames);
    });
    row("wall per frame, 10000 active connections over 1", fmt::format("{:.2f}", r), "<= 1.2", r <= 1.2);
  }

  // Linear in bytes: twice the Writes, twice the wall time (in turn).
  {
    const std::string twice = write_scenario(
        "twice", two_hosts("twice", "  - {id: c1, from: alice, to: bob, port: 5000}\n",
                           "  - {id: w1, conn: c1, op: write, size: 256KiB, count: 2048, depth: 8}\n"));
    const auto runs = in_turn({{"bench/data/speed_10g_1500.yaml", {}}, {twice, {}}});
    const double r = median_of(runs, [&](size_t i) {
      return (runs[1][i].wall_s / runs[1][i].frames) / (runs[0][i].wall_s / runs[0][i].frames);
    });
    row("wall per frame, 2x the bytes over 1x, 10 Gb/s (paired)", fmt::format("{:.2f}", r), "0.9 .. 1.1",
        r >= 0.9 && r <= 1.1);
  }

  // ns-3, the same flow at 10 Gb/s, in turn with rnicsim's.
  std::vector<double> ratios, ns3_walls;
  Run n3;
  for (int i = 0; i < g_repeats; ++i) {
    const Run a = rnicsim_once("bench/data/speed_10g_1500.yaml", {});
    n3 = ns3_once("10Gbps", 0.1);
    ns3_walls.push_back(n3.wall_s);
    ratios.push_back(a.frames_per_wall_s() / n3.frames_per_wall_s());
  }
  n3.wall_s = median(ns3_walls);
  const double vs = median(ratios);
  row("frames per wall second, rnicsim over ns-3, 10 Gb/s", fmt::format("{:.0f} / {:.0f}: {:.1f}",
      r10.frames_per_wall_s(), n3.frames_per_wall_s(), vs), ">= 20", vs >= 20);

  fmt::print("\nspeed lines (events/s, simsec/s, events/simsec)\n");
  for (const auto& [name, r] : bulk)
    fmt::print("  rnicsim {:<10} {:>12.0f} events/s  {:.4f} simsec/s  {:>12.0f} events/simsec  {:>10.0f} frames/s\n",
               name, r.events / r.wall_s, r.sim_s / r.wall_s, r.events / r.sim_s, r.frames_per_wall_s());
  fmt::print("  ns-3    {:<10} {:>12.0f} events/s  {:.4f} simsec/s  {:>12.0f} events/simsec  {:>10.0f} frames/s\n",
             "10g_1500", n3.events / n3.wall_s, n3.sim_s / n3.wall_s, n3.events / n3.sim_s, n3.frames_per_wall_s());
  fmt::print("\n{} of the targets not met\n", failures);
  std::string cmd = "rm -rf " + g_tmp;
  if (std::system(cmd.c_str()) != 0) return 3;
  return 0;
}

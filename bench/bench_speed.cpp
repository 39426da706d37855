// The speed table of `make bench` (docs/performance.md): every target of the speed work
// measured in one run on this machine, beside ns-3 running the same flow.
//
// Each figure is the median of REPEATS runs (default 5) of `rnicsim run ... --pcap off`
// unless the row says otherwise; wall time is results.json's wall_time_s, simulated time
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

/// The median run of REPEATS (by wall time); the others' figures equal but for time.
Run rnicsim(const std::string& scenario, const std::vector<std::string>& extra = {}) {
  std::vector<Run> runs;
  for (int i = 0; i < g_repeats; ++i) runs.push_back(rnicsim_once(scenario, extra));
  std::vector<double> walls;
  for (const auto& r : runs) walls.push_back(r.wall_s);
  Run m = runs.front();
  m.wall_s = median(walls);
  std::vector<double> rss;
  for (const auto& r : runs) rss.push_back(static_cast<double>(r.rss_kib));
  m.rss_kib = static_cast<long>(median(rss));
  return m;
}

Run ns3(const std::string& rate, double sim_s) {
  std::vector<double> walls;
  Run m;
  for (int i = 0; i < g_repeats; ++i) {
    long rss = 0;
    const int st = spawn({g_ns3, "--rate=" + rate, "--mtu=1500", "--delay=1us", fmt::format("--time={}", sim_s)},
                         g_tmp + "/ns3.json", rss);
    if (st != 0) {
      fmt::print(stderr, "bench_speed: {} exited {}\n", g_ns3, st);
      std::exit(3);
    }
    std::ifstream f(g_tmp + "/ns3.json");
    const auto j = nlohmann::json::parse(f);
    m.sim_s = j["sim_time_s"].get<double>();
    m.frames = j["frames"].get<double>();
    m.events = j["events"].get<uint64_t>();
    walls.push_back(j["wall_time_s"].get<double>());
  }
  m.wall_s = median(walls);
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

  // Bulk Write at three rates, MTU 1500 and 9000 (bench/data/speed_*.yaml).
  std::vector<std::pair<std::string, Run>> bulk;
  for (const char* rate : {"10g", "25g", "100g"})
    for (const char* mtu : {"1500", "9000"})
      bulk.emplace_back(fmt::format("{}_{}", rate, mtu), rnicsim(fmt::format("bench/data/speed_{}_{}.yaml", rate, mtu)));
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
  for (const char* rate : {"10g", "25g", "100g"}) {
    const Run& a = find(fmt::format("{}_1500", rate));
    const Run& b = find(fmt::format("{}_9000", rate));
    row(fmt::format("wall/sim at MTU 9000 over MTU 1500, {}", rate),
        fmt::format("{:.2f} / {:.2f}", b.wall_over_sim(), a.wall_over_sim()), "<= 1 (ratio)",
        b.wall_over_sim() <= a.wall_over_sim());
  }

  // The RTL placement core in the loop, 10 Gb/s.
  const Run rtl = rnicsim("bench/data/speed_10g_1500.yaml", {"--placement", "rtl"});
  row("wall/sim, RTL core in the loop, 10 Gb/s", fmt::format("{:.2f}", rtl.wall_over_sim()), "<= 10",
      rtl.wall_over_sim() <= 10.0);

  // Captures: full against off.
  const Run full = rnicsim("bench/data/speed_10g_1500.yaml", {"--pcap", "full"});
  row("wall, --pcap full over --pcap off, 10 Gb/s", fmt::format("{:.2f}", full.wall_s / r10.wall_s), "<= 1.5",
      full.wall_s / r10.wall_s <= 1.5);

  // Ten thousand connections against one: 9999 established and idle beside one bulk
  // stream, against the stream alone (what a connection costs the per-frame path); and
  // 10000 connections each writing 64 KiB against one writing 10000 x 64 KiB (each
  // connection has buffers of its own there, 1.3 GB touched, so its figure includes that
  // memory's first use). timeseries.csv is off in both (its 6 columns per connection are
  // an output whose cost grows with connections x rows, not with frames).
  const std::string stream = "  - {id: s, conn: s, op: write, size: 256KiB, count: 1024, depth: 8}\n";
  const std::string beside = write_scenario(
      "idle_beside", two_hosts("idle_beside",
                               "  - {id: s, from: alice, to: bob, port: 4000}\n"
                               "  - {id: c, from: alice, to: bob, port: 5000, repeat: 9999}\n",
                               stream + "  - {id: w, conn: c, op: write, size: 8B, count: 1}\n", true));
  const std::string alone = write_scenario(
      "alone", two_hosts("alone", "  - {id: s, from: alice, to: bob, port: 4000}\n", stream, true));
  // The idle connections' own set-up (10000 handshakes, MPA exchanges, QPs, regions) is
  // taken out with the idle-only run below: what is left is the stream's frames.
  const std::string idle_many = write_scenario(
      "idle_10k", two_hosts("idle_10k", "  - {id: c, from: alice, to: bob, port: 5000, repeat: 10000}\n",
                            "  - {id: w, conn: c, op: write, size: 8B, count: 1}\n", true));
  const Run rb = rnicsim(beside), ra = rnicsim(alone), im = rnicsim(idle_many);
  const double per_frame_idle = ((rb.wall_s - im.wall_s) / (rb.frames - im.frames)) / (ra.wall_s / ra.frames);
  row("wall per frame, 1 stream beside 9999 idle over alone", fmt::format("{:.2f}", per_frame_idle), "<= 1.2",
      per_frame_idle <= 1.2);
  const std::string many = write_scenario(
      "conns_10k", two_hosts("conns_10k", "  - {id: c, from: alice, to: bob, port: 5000, repeat: 10000}\n",
                             "  - {id: w, conn: c, op: write, size: 64KiB, count: 1}\n", true));
  const std::string one = write_scenario(
      "conns_1", two_hosts("conns_1", "  - {id: c, from: alice, to: bob, port: 5000}\n",
                           "  - {id: w, conn: c, op: write, size: 64KiB, count: 10000, depth: 8}\n", true));
  const Run rm = rnicsim(many), ro = rnicsim(one);
  const double per_frame = (rm.wall_s / rm.frames) / (ro.wall_s / ro.frames);
  row("wall per frame, 10000 active connections over 1", fmt::format("{:.2f}", per_frame), "<= 1.2", per_frame <= 1.2);

  // Memory per idle connection: 10000 established, nothing to send, against 1.
  const std::string idle_one = write_scenario(
      "idle_1", two_hosts("idle_1", "  - {id: c, from: alice, to: bob, port: 5000}\n",
                          "  - {id: w, conn: c, op: write, size: 8B, count: 1}\n", true));
  // Each connection's 8-byte Write holds two buffer pages besides the connection's own
  // state; the bound is `rnicsim check --estimate`'s figure for the same difference.
  const Run io = rnicsim(idle_one);
  const double kib_per_conn = static_cast<double>(im.rss_kib - io.rss_kib) / 9999.0;
  const double est_per_conn = (estimate_bytes(idle_many) - estimate_bytes(idle_one)) / 9999.0 / 1024.0;
  row("memory per idle rdma connection (peak RSS)", fmt::format("{:.1f} KiB", kib_per_conn),
      fmt::format("<= {:.1f} KiB (est.)", est_per_conn), kib_per_conn <= est_per_conn);

  // Linear in bytes: twice the Writes, twice the wall time.
  const std::string twice = write_scenario(
      "twice", two_hosts("twice", "  - {id: c1, from: alice, to: bob, port: 5000}\n",
                         "  - {id: w1, conn: c1, op: write, size: 256KiB, count: 2048, depth: 8}\n"));
  const Run r2 = rnicsim(twice);
  const double lin = (r2.wall_s / r10.wall_s) / (r2.frames / r10.frames);
  row("wall per frame, 2x the bytes over 1x, 10 Gb/s", fmt::format("{:.2f}", lin), "0.9 .. 1.1",
      lin >= 0.9 && lin <= 1.1);

  // ns-3, the same flow at 10 Gb/s.
  const Run n3 = ns3("10Gbps", 0.1);
  const double vs = r10.frames_per_wall_s() / n3.frames_per_wall_s();
  row("frames per wall second, rnicsim over ns-3, 10 Gb/s",
      fmt::format("{:.0f} / {:.0f} = {:.1f}", r10.frames_per_wall_s(), n3.frames_per_wall_s(), vs), ">= 20", vs >= 20);

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

// rnicsim: run, check and regress scenarios of a simulated iWARP RNIC.
#include <unistd.h>

#include <systemc>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/perftest.h"
#include "model/scenario/units_parse.h"

namespace {

std::string self_path(const char* argv0) {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) return std::string(buf, static_cast<size_t>(n));
  return argv0;
}

}  // namespace

// SystemC calls sc_main; main only silences the kernel's banner so outputs stay clean.
int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  return sc_core::sc_elab_and_sim(argc, argv);
}

int sc_main(int argc, char** argv) {
  using namespace rnicsim;
  // A run ends with sc_stop() once its work is done: the kernel's info about it is not news.
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  CLI::App app{"rnicsim: a cycle-approximate simulator of a full-offload iWARP RNIC"};
  app.set_version_flag("--version", std::string("rnicsim ") + RNICSIM_VERSION);
  app.require_subcommand(1);

  std::string run_file, seed, pcap = "full", placement, lockstep_stop = "first", out_dir;
  std::vector<std::string> sets;
  bool wave = false, verbose = false;
  auto* run = app.add_subcommand("run", "simulate one scenario");
  run->add_option("FILE", run_file, "scenario YAML")->required();
  run->add_option("-o", out_dir, "output folder (default traces/runs/<scenario name>)");
  run->add_option("--seed", seed, "override the scenario's seed");
  run->add_option("--set", sets, "PATH=VALUE: override one key, e.g. links[0].rate=10Gbps");
  run->add_option("--placement", placement, "placement core for every host")
      ->check(CLI::IsMember({"model", "rtl", "lockstep"}));
  run->add_option("--pcap", pcap, "captures: full, headers (128 bytes), off")
      ->check(CLI::IsMember({"full", "headers", "off"}));
  run->add_flag("--wave", wave, "write RTL waveforms <host>.rtl.fst");
  run->add_flag("--verbose", verbose, "print the simulation loop's speed (events/s, simsec/s, events/simsec)");
  bool realtime = false;
  run->add_flag("--realtime", realtime, "pace simulated time to the wall clock (needed by a link's tap: end)");
  run->add_option("--lockstep-stop", lockstep_stop, "first | never")->check(CLI::IsMember({"first", "never"}));
  std::string max_memory = "4GiB";
  run->add_option("--max-memory", max_memory, "refuse a scenario estimated to need more memory (default 4GiB)");

  std::vector<std::string> check_files;
  auto* check = app.add_subcommand("check", "validate scenarios and report every error");
  check->add_option("FILE", check_files, "scenario YAML files")->required();
  check->add_option("--max-memory", max_memory, "refuse a scenario estimated to need more memory (default 4GiB)");
  bool estimate = false;
  check->add_flag("--estimate", estimate, "print each scenario's memory estimate and its largest contributor");

  std::vector<std::string> regress_paths, regress_sets;
  int jobs = 1;
  std::string regress_placement;
  auto* regress = app.add_subcommand("regress", "run every scenario, one process each");
  regress->add_option("PATH", regress_paths, "folders or files (default scenarios/)");
  regress->add_option("-j", jobs, "scenarios at once")->check(CLI::Range(1, 256));
  regress->add_option("--placement", regress_placement, "placement core")
      ->check(CLI::IsMember({"model", "rtl", "lockstep"}));
  regress->add_option("--set", regress_sets, "PATH=VALUE for every scenario");
  cli::GoldenOptions golden;
  regress->add_option("--golden", golden.dir, "compare every run's outputs with DIR/<stem>.golden");
  regress->add_flag("--update-golden", golden.update, "write the goldens instead of comparing (on purpose only)");

  std::string pattern_conn, pattern_size, pattern_seed = "1", pattern_offset = "0";
  auto* pattern = app.add_subcommand("pattern", "write a stream pattern (what a bulk sends, a sink expects, an expose region holds) to stdout");
  pattern->add_option("ID", pattern_conn, "the connection's id (bulk, sink) or an expose workload's (a repeat copy: <id>_<n>)")->required();
  pattern->add_option("--size", pattern_size, "how many bytes, e.g. 64KiB")->required();
  pattern->add_option("--seed", pattern_seed, "the scenario's seed (default 1)");
  pattern->add_option("--offset", pattern_offset, "the stream offset of the first byte (default 0)");
  auto* profiles = app.add_subcommand("profiles", "list the RNIC profiles and their parameters");
  auto* stats = app.add_subcommand("stats", "list every figure of results.json with its unit and description");
  // perftest's own options (-s, -a, -D, --report_gbits, ...) are read by cli/perftest.cpp,
  // which names every option it refuses.
  auto* perftest = app.add_subcommand("perftest", "run a perftest tool's two-host test (ib_write_bw, ib_read_lat, ...)");
  perftest->prefix_command();
  perftest->set_help_flag();

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return cli::kBadInput;  // CLI11's own codes are 100+; the contract says 2
  }

  std::string why;
  const std::optional<uint64_t> mem_limit = scenario::parse_size(max_memory, &why);
  if ((*run || *check) && !mem_limit) {
    fmt::print(stderr, "--max-memory {}: error: expected a size such as 4GiB ({})\n", max_memory, why);
    return cli::kBadInput;
  }
  if (*run) {
    // An option given is an option honoured: an empty or malformed value is said, never
    // dropped for the default.
    if (run->count("--seed")) {
      uint64_t v = 0;
      const auto r = std::from_chars(seed.data(), seed.data() + seed.size(), v);
      if (seed.empty() || r.ec != std::errc() || r.ptr != seed.data() + seed.size()) {
        fmt::print(stderr, "--seed {}: error: expected an integer from 0 to 18446744073709551615\n", scenario::escape_control(seed));
        return cli::kBadInput;
      }
    }
    if (run->count("-o")) {
      if (out_dir.empty()) {
        fmt::print(stderr, "-o: error: expected a folder, got an empty path\n");
        return cli::kBadInput;
      }
      if (std::any_of(out_dir.begin(), out_dir.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f; })) {
        fmt::print(stderr, "-o {}: error: the path holds a control byte\n", scenario::escape_control(out_dir));
        return cli::kBadInput;
      }
    }
    std::vector<scenario::Override> ov;
    for (const auto& s : sets) {
      const auto eq = s.find('=');
      if (eq == std::string::npos || eq == 0) {
        fmt::print(stderr, "--set {}: expected PATH=VALUE\n", s);
        return cli::kBadInput;
      }
      ov.push_back({s.substr(0, eq), s.substr(eq + 1)});
    }
    sim::RunOptions o;
    o.out_dir = out_dir;
    o.pcap = pcap;
    o.placement = placement;
    o.wave = wave;
    o.verbose = verbose;
    o.realtime = realtime;
    o.lockstep_stop = lockstep_stop;
    return cli::cmd_run(run_file, o, ov, seed, *mem_limit);
  }
  if (*check) return cli::cmd_check(check_files, *mem_limit, estimate);
  if (*regress) {
    if (golden.update && golden.dir.empty()) {
      fmt::print(stderr, "--update-golden needs --golden DIR\n");
      return cli::kBadInput;
    }
    return cli::cmd_regress(regress_paths, jobs, regress_placement, regress_sets, self_path(argv[0]), golden);
  }
  if (*pattern) return cli::cmd_pattern(pattern_conn, pattern_size, pattern_seed, pattern_offset);
  if (*profiles) return cli::cmd_profiles();
  if (*stats) return cli::cmd_stats();
  if (*perftest) return cli::cmd_perftest(perftest->remaining());
  return cli::kBadInput;
}

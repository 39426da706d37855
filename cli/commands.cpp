#include "cli/commands.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include <fmt/format.h>

#include "cli/golden.h"
#include "model/sim/bulk.h"
#include "model/scenario/profiles.h"
#include "model/scenario/units_parse.h"

namespace rnicsim::cli {
namespace fs = std::filesystem;

int cmd_run(const std::string& file, const sim::RunOptions& o, const std::vector<scenario::Override>& sets_in,
            const std::string& seed, uint64_t max_memory) {
  std::vector<scenario::Override> sets = sets_in;
  if (!seed.empty()) sets.push_back({"seed", seed});
  const scenario::LoadResult lr = scenario::load_scenario_file(file, sim::results_schema(), sets);
  if (!lr.ok()) {
    for (const auto& d : lr.errors) fmt::print(stderr, "{}\n", d.format());
    return kBadInput;
  }
  if (const auto d = scenario::check_memory(*lr.scenario, max_memory)) {
    fmt::print(stderr, "{}\n", d->format());
    return kBadInput;
  }
  if (!o.realtime)
    for (const auto& [loc, what] : sim::tap_ends(*lr.scenario)) {
      // A TAP's peer lives on the wall clock: unpaced, the simulation would race past it.
      fmt::print(stderr, "{}:{}:{}: {}: a TAP end needs the simulation paced to the wall clock: run it with --realtime\n",
                 loc.file, loc.line, loc.col, what);
      return kBadInput;
    }
  const auto missing = sim::unsupported_features(*lr.scenario, o);
  if (!missing.empty()) {
    for (const auto& u : missing) {
      if (u.loc.line > 0)
        fmt::print(stderr, "{}:{}:{}: not simulated yet: {}\n", u.loc.file, u.loc.line, u.loc.col, u.what);
      else
        fmt::print(stderr, "{}: not simulated yet: {}\n", u.loc.file, u.what);
    }
    return kNotSimulated;
  }
  // The output folder is made and found writable before the simulation starts: a path that
  // cannot be written is bad input, said with the system's reason, not a failure at the end.
  sim::RunOptions opt = o;
  if (opt.out_dir.empty()) opt.out_dir = (fs::path("traces/runs") / lr.scenario->name).string();
  {
    std::error_code ec;
    fs::create_directories(opt.out_dir, ec);
    if (ec || !fs::is_directory(opt.out_dir)) {
      fmt::print(stderr, "-o {}: error: cannot make the output folder: {}\n", opt.out_dir,
                 ec ? ec.message() : std::string("a file of that name is in the way"));
      return kBadInput;
    }
    const fs::path probe = fs::path(opt.out_dir) / ".rnicsim-write-probe";
    std::FILE* f = std::fopen(probe.c_str(), "w");
    if (!f) {
      fmt::print(stderr, "-o {}: error: the output folder cannot be written: {}\n", opt.out_dir, std::strerror(errno));
      return kBadInput;
    }
    std::fclose(f);
    fs::remove(probe, ec);
  }
  try {
    const sim::RunOutcome out = sim::run(*lr.scenario, opt);
    fmt::print("{}", out.summary);
    if (o.verbose) fmt::print("{}\n", out.speed.line());
    return out.passed ? kOk : kCheckFailed;
  } catch (const sim::BadInput& b) {
    fmt::print(stderr, "{}:{}:{}: {}\n", b.loc.file, b.loc.line, b.loc.col, b.what);
    return kBadInput;
  } catch (const std::exception& e) {
    fmt::print(stderr, "rnicsim: simulator failure: {}\n", e.what());
    return kSimFailed;
  }
}

int cmd_check(const std::vector<std::string>& files, uint64_t max_memory, bool estimate) {
  int status = kOk;
  const stats::Node results = sim::results_schema();
  for (const auto& f : files) {
    const scenario::LoadResult lr = scenario::load_scenario_file(f, results);
    if (!lr.ok()) {
      for (const auto& d : lr.errors) fmt::print(stderr, "{}\n", d.format());
      status = kBadInput;
      continue;
    }
    if (const auto d = scenario::check_memory(*lr.scenario, max_memory)) {
      fmt::print(stderr, "{}\n", d->format());
      status = kBadInput;
      continue;
    }
    const auto missing = sim::unsupported_features(*lr.scenario, {});
    for (const auto& u : missing)
      fmt::print("{}:{}:{}: note: not simulated yet: {}\n", u.loc.file, u.loc.line, u.loc.col, u.what);
    if (estimate) {
      const scenario::MemoryEstimate e = scenario::estimate_memory(*lr.scenario);
      fmt::print("{}: ok, memory estimate {} bytes ({}), largest {} ({})\n", f, e.bytes, scenario::format_bytes(e.bytes),
                 e.key, scenario::format_bytes(e.key_bytes));
    } else {
      fmt::print("{}: ok\n", f);
    }
  }
  return status;
}

int cmd_pattern(const std::string& conn, const std::string& size, const std::string& seed, const std::string& offset) {
  const bool named = !conn.empty() && conn[0] >= 'a' && conn[0] <= 'z' &&
                     std::all_of(conn.begin(), conn.end(), [](char ch) {
                       return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
                     });
  if (!named) {
    fmt::print(stderr, "{}: error: expected a connection's or an expose workload's id ([a-z][a-z0-9_]*, a repeat copy <id>_<n>)\n",
               scenario::escape_control(conn));
    return kBadInput;
  }
  std::string why;
  const auto n = scenario::parse_size(size, &why);
  if (!n) {
    fmt::print(stderr, "--size {}: error: expected a size such as 64KiB ({})\n", scenario::escape_control(size), why);
    return kBadInput;
  }
  auto integer = [](const std::string& t, uint64_t& v) {
    const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
    return !t.empty() && r.ec == std::errc() && r.ptr == t.data() + t.size();
  };
  uint64_t sd = 0, off = 0;
  if (!integer(seed, sd)) {
    fmt::print(stderr, "--seed {}: error: expected an integer from 0 to 18446744073709551615\n", scenario::escape_control(seed));
    return kBadInput;
  }
  if (!integer(offset, off)) {
    fmt::print(stderr, "--offset {}: error: expected a byte offset, an integer\n", scenario::escape_control(offset));
    return kBadInput;
  }
  if (*n > UINT64_MAX - off) {
    fmt::print(stderr, "--offset {} --size {}: error: the stream ends at byte 2^64 - 1\n", off, *n);
    return kBadInput;
  }
  const uint64_t key = sim::stream_key(conn, sd);
  std::vector<uint8_t> buf(1 << 16);
  for (uint64_t done = 0; done < *n;) {
    const size_t k = static_cast<size_t>(std::min<uint64_t>(buf.size(), *n - done));
    sim::fill_stream_pattern(key, off + done, buf.data(), k);
    if (std::fwrite(buf.data(), 1, k, stdout) != k) {
      fmt::print(stderr, "rnicsim pattern: cannot write to stdout: {}\n", std::strerror(errno));
      return kSimFailed;
    }
    done += k;
  }
  return std::fflush(stdout) == 0 ? kOk : kSimFailed;
}

int cmd_profiles() {
  for (const auto& p : scenario::profiles()) {
    fmt::print("{}: {}\n", p.name, p.description);
    fmt::print("  {:<30} {:>10}  {}\n", "pcie.gen, pcie.lanes", fmt::format("{} x{}", p.pcie_gen, p.pcie_lanes),
               "PCIe link when rnic.pcie does not say");
    fmt::print("  {:<30} {:>10}  {}\n", "pcie.read_latency", scenario::format_duration(p.pcie_read_latency),
               "completer latency when rnic.pcie does not say");
    for (const auto& q : p.params) fmt::print("  {:<30} {:>10}  {}\n", q.name, q.value, q.description);
  }
  return kOk;
}

int cmd_stats() {
  const std::vector<stats::Line> lines = stats::listing(sim::results_schema());
  size_t path_w = 0, unit_w = 0;
  for (const auto& l : lines) {
    path_w = std::max(path_w, l.path.size());
    unit_w = std::max(unit_w, l.unit.size());
  }
  for (const auto& l : lines) fmt::print("{:<{}}  {:<{}}  {}\n", l.path, path_w, l.unit, unit_w, l.desc);
  return kOk;
}

namespace {

std::vector<std::string> collect(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    if (fs::is_directory(p)) {
      std::vector<std::string> in;
      for (const auto& e : fs::directory_iterator(p))
        if (e.path().extension() == ".yaml" || e.path().extension() == ".yml") in.push_back(e.path().string());
      std::sort(in.begin(), in.end());
      files.insert(files.end(), in.begin(), in.end());
    } else {
      files.push_back(p);
    }
  }
  return files;
}

struct Job {
  std::string file;
  pid_t pid = -1;
  std::string log;
};

}  // namespace

int cmd_regress(const std::vector<std::string>& paths, int jobs, const std::string& placement,
                const std::vector<std::string>& sets, const std::string& self, const GoldenOptions& golden) {
  const std::vector<std::string> files = collect(paths.empty() ? std::vector<std::string>{"scenarios"} : paths);
  if (files.empty()) {
    fmt::print(stderr, "rnicsim regress: no scenario files found\n");
    return kBadInput;
  }
  {
    // Outputs and goldens are named by the file's stem: two scenarios with one stem would
    // overwrite each other's.
    std::map<std::string, std::string> stems;
    for (const auto& f : files) {
      const auto [it, fresh] = stems.emplace(fs::path(f).stem().string(), f);
      if (!fresh) {
        fmt::print(stderr, "rnicsim regress: {} and {} have one name; rename one\n", it->second, f);
        return kBadInput;
      }
    }
  }
  const bool with_golden = !golden.dir.empty();
  if (with_golden && !golden.update && !fs::is_directory(golden.dir)) {
    fmt::print(stderr, "rnicsim regress: --golden {}: no such folder\n", golden.dir);
    return kBadInput;
  }
  if (with_golden && golden.update) fs::create_directories(golden.dir);
  // A placement override gets its own tree, so regressions of several placements can run
  // side by side.
  const fs::path root = fs::path("traces") / (placement.empty() ? std::string("regress") : "regress-" + placement);
  size_t next = 0, passed = 0, failed = 0;
  std::vector<Job> running;
  auto launch = [&](const std::string& file) {
    // One process per scenario: SystemC elaborates once per process.
    const std::string stem = fs::path(file).stem().string();
    const fs::path out = root / stem;
    // A file left by an earlier run would be digested as if this run wrote it.
    std::error_code ec;
    fs::remove_all(out, ec);
    fs::create_directories(out);
    Job j{file, -1, (out / "run.log").string()};
    std::vector<std::string> args{self, "run", file, "-o", out.string()};
    if (!placement.empty()) args.insert(args.end(), {"--placement", placement});
    for (const auto& s : sets) args.insert(args.end(), {"--set", s});
    const pid_t pid = fork();
    if (pid == 0) {
      FILE* lf = std::fopen(j.log.c_str(), "w");
      if (lf) {
        dup2(fileno(lf), 1);
        dup2(fileno(lf), 2);
      }
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(self.c_str(), argv.data());
      _exit(3);
    }
    j.pid = pid;
    running.push_back(j);
  };
  while (next < files.size() || !running.empty()) {
    while (next < files.size() && static_cast<int>(running.size()) < std::max(1, jobs)) launch(files[next++]);
    int st = 0;
    const pid_t done = wait(&st);
    if (done < 0) break;
    auto it = std::find_if(running.begin(), running.end(), [&](const Job& j) { return j.pid == done; });
    if (it == running.end()) continue;
    const int code = WIFEXITED(st) ? WEXITSTATUS(st) : 3;
    if (with_golden) {
      const std::string stem = fs::path(it->file).stem().string();
      const fs::path gfile = fs::path(golden.dir) / (stem + ".golden");
      const std::string got = golden_digest(root / stem, code);
      std::string why;
      if (golden.update) {
        std::ofstream(gfile, std::ios::binary) << "# " << it->file << "\n" << got;
      } else if (!fs::exists(gfile)) {
        why = "no golden";
      } else {
        std::ifstream in(gfile, std::ios::binary);
        const std::string want((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        why = golden_compare(want, got);
        if (!why.empty()) why += " against";
      }
      if (why.empty()) {
        ++passed;
        fmt::print("{}  {}\n", golden.update ? "WROTE" : "PASS ", it->file);
      } else {
        ++failed;
        fmt::print("FAIL  {}: {} {} (outputs in {})\n", it->file, why, gfile.string(),
                   (root / stem).string());
      }
    } else if (code == 0) {
      ++passed;
      fmt::print("PASS  {}\n", it->file);
    } else {
      ++failed;
      fmt::print("FAIL  {} (exit {}; log {})\n", it->file, code, it->log);
    }
    std::fflush(stdout);
    running.erase(it);
  }
  fmt::print("{} passed, {} failed\n", passed, failed);
  return failed == 0 ? kOk : kCheckFailed;
}

}  // namespace rnicsim::cli

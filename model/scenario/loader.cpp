// The top of the scenario and the load sequence: YAML text -> tree (duplicates caught)
// -> --set overrides -> typed Scenario -> cross-checks.
#include "model/scenario/loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "model/scenario/sections.h"

namespace rnicsim::scenario {

std::string escape_control(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto b = static_cast<unsigned char>(ch);
    if (b < 0x20 || b == 0x7f)
      out += fmt::format("\\x{:02x}", b);
    else
      out += ch;
  }
  return out;
}

std::string Diagnostic::format() const {
  // What the message quotes of the file is the user's text: control bytes are shown
  // escaped (\xNN), never written raw to the terminal, and a word (a run without spaces:
  // a key, a value, a path) longer than kLongWord is quoted by its first bytes and its
  // length, so a 60 KB scalar costs a line, not 60 KB.
  constexpr size_t kLongWord = 96, kPrefix = 48;
  std::string m;
  m.reserve(std::min<size_t>(message.size(), 1024));
  for (size_t i = 0; i < message.size();) {
    size_t end = message.find(' ', i);
    if (end == std::string::npos) end = message.size();
    size_t stop = end;
    if (end - i > kLongWord) {
      stop = i + kPrefix;
      while (stop > i && (static_cast<unsigned char>(message[stop]) & 0xC0) == 0x80) --stop;  // a whole UTF-8 character
    }
    m += escape_control(std::string_view(message).substr(i, stop - i));
    if (stop != end) m += fmt::format("...({} bytes)", end - i);
    if (end < message.size()) m += ' ';
    i = end + 1;
  }
  if (loc.line <= 0) return fmt::format("{}: error: {}", loc.file, m);
  return fmt::format("{}:{}:{}: error: {}", loc.file, loc.line, loc.col, m);
}

namespace {

using detail::Ctx;
using detail::MapIn;
using detail::YNode;

bool scenario_name_ok(const std::string& n) {
  auto alnum = [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'); };
  if (n.empty() || !alnum(n[0])) return false;
  return std::all_of(n.begin(), n.end(), [&](char ch) { return alnum(ch) || ch == '.' || ch == '_' || ch == '-'; });
}

void read_top(Ctx& c, const YNode& root, Scenario& s) {
  MapIn m(c, root, "",
          {"name", "description", "seed", "stop", "hosts", "switches", "routers", "links", "connections", "workloads",
           "events", "expect", "timeseries"});
  if (!m.is_map()) return;
  if (m.require("name", "the scenario's name ([A-Za-z0-9][A-Za-z0-9._-]*)")) {
    const YNode& n = *m.get("name");
    if (const auto v = detail::read_string(c, n, "name")) {
      if (scenario_name_ok(*v))
        s.name = *v;
      else
        c.error(n.loc, fmt::format("name: expected a scenario name ([A-Za-z0-9][A-Za-z0-9._-]*), got '{}'", *v));
    }
  }
  m.read("description", s.description, detail::read_string);
  m.read("seed", s.seed, detail::read_uint, 0, UINT64_MAX);
  if (const YNode* st = m.get("stop")) {
    MapIn sm(c, *st, "stop", {"after"});
    if (sm.read("after", s.stop_after, detail::read_duration) && s.stop_after.ps == 0)
      c.error(sm.get("after")->loc, "stop.after: expected a time above zero, got '0s' (nothing would run)");
  }
  if (const YNode* ts = m.get("timeseries")) {
    MapIn tm(c, *ts, "timeseries", {"interval"});
    // A row per interval up to stop.after: bounded, as a file a user can open is.
    constexpr uint64_t kMaxRows = 10'000'000;
    if (tm.read("interval", s.timeseries_interval, detail::read_duration) && s.timeseries_interval.ps > 0 &&
        static_cast<uint64_t>(s.stop_after.ps / s.timeseries_interval.ps) >= kMaxRows)
      c.error(tm.get("interval")->loc,
              fmt::format("timeseries.interval: {} rows over stop.after (at most {}): expected an interval of at least {} ns",
                          s.stop_after.ps / s.timeseries_interval.ps + 1, kMaxRows, s.stop_after.ps / kMaxRows / 1000 + 1));
  }
  detail::read_hosts(c, m.get("hosts"), s);
  detail::read_switches(c, m.get("switches"), s);
  detail::read_routers(c, m.get("routers"), s);
  detail::read_links(c, m.get("links"), s);
  detail::read_connections(c, m.get("connections"), s);
  detail::read_workloads(c, m.get("workloads"), s);
  detail::read_events(c, m.get("events"), s);
  detail::read_expect(c, m.get("expect"), s);
}

}  // namespace

LoadResult load_scenario_string(const std::string& yaml_text, const std::string& file_name,
                                const stats::Node& results, const std::vector<Override>& sets) {
  LoadResult result;
  Ctx c;
  auto root = detail::parse_yaml(yaml_text, file_name, c.errors);
  if (root) {
    if (root->kind == YNode::Kind::Null) root->loc = Loc{file_name, 1, 1};
    for (size_t i = 0; i < sets.size(); ++i) detail::apply_override(*root, sets[i], static_cast<int>(i) + 1, c.errors);
    Scenario s;
    s.file = file_name;
    detail::collect_paths(*root, c.key_locs, c.value_locs);
    if (root->kind == YNode::Kind::Null)
      c.error(root->loc, "the file is empty: a scenario is a mapping with at least a name");
    else
      read_top(c, *root, s);
    detail::check_scenario(c, s, results);
    s.written = c.key_locs;
    result.scenario = std::move(s);
  }
  // File order, then the overrides in command-line order.
  std::stable_sort(c.errors.begin(), c.errors.end(), [&](const Diagnostic& a, const Diagnostic& b) {
    const bool a_file = a.loc.file == file_name, b_file = b.loc.file == file_name;
    if (a_file != b_file) return a_file;
    if (a.loc.line != b.loc.line) return a.loc.line < b.loc.line;
    return a.loc.col < b.loc.col;
  });
  result.errors = std::move(c.errors);
  return result;
}

LoadResult load_scenario_file(const std::string& path, const stats::Node& results,
                              const std::vector<Override>& sets) {
  std::error_code dir_ec;
  if (std::filesystem::is_directory(path, dir_ec)) {
    LoadResult r;
    r.errors.push_back({Loc{path, 0, 0}, "cannot read the file: it is a directory"});
    return r;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult r;
    r.errors.push_back({Loc{path, 0, 0}, fmt::format("cannot read the file: {}", std::strerror(errno))});
    return r;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return load_scenario_string(text.str(), path, results, sets);
}

}  // namespace rnicsim::scenario

#include "cli/golden.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/sha256.h"

namespace rnicsim::cli {
namespace fs = std::filesystem;
namespace {

std::string file_digest(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  Sha256 h;
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    h.update(buf.data(), static_cast<size_t>(in.gcount()));
  }
  return h.hex();
}

void strip_wall(nlohmann::json& j) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end();) {
      if (it.key().rfind("wall_", 0) == 0) {
        it = j.erase(it);
      } else {
        strip_wall(*it);
        ++it;
      }
    }
  } else if (j.is_array()) {
    for (auto& e : j) strip_wall(e);
  }
}

/// results.json without its wall-clock figures, digested in a canonical form (keys in
/// order, one indentation), so that only simulated figures decide.
std::string results_digest(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) return "unparsable-" + file_digest(p);
  strip_wall(j);
  const std::string text = j.dump(1);
  Sha256 h;
  h.update(text.data(), text.size());
  return h.hex();
}

std::map<std::string, std::string> parse(const std::string& text) {
  std::map<std::string, std::string> m;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto sp = line.rfind(' ');
    if (sp == std::string::npos) continue;
    m[line.substr(0, sp)] = line.substr(sp + 1);
  }
  return m;
}

}  // namespace

std::string golden_digest(const fs::path& dir, int exit_code) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file()) continue;
    const std::string n = e.path().filename().string();
    if (n == "run.log" || e.path().extension() == ".fst") continue;
    names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  std::string out = fmt::format("exit {}\n", exit_code);
  for (const auto& n : names)
    out += fmt::format("{} {}\n", n, n == "results.json" ? results_digest(dir / n) : file_digest(dir / n));
  return out;
}

std::string golden_compare(const std::string& want_text, const std::string& got_text) {
  const auto want = parse(want_text), got = parse(got_text);
  auto w = want.find("exit"), g = got.find("exit");
  if (w != want.end() && g != got.end() && w->second != g->second)
    return fmt::format("exit status {} (golden {})", g->second, w->second);
  // Name order, so that the message is the same on every machine.
  for (const auto& [name, digest] : want) {
    if (name == "exit") continue;
    const auto it = got.find(name);
    if (it == got.end()) return name + " missing";
    if (it->second != digest) return name + " differs";
  }
  for (const auto& [name, digest] : got)
    if (name != "exit" && !want.count(name)) return name + " is new (not in the golden)";
  return {};
}

}  // namespace rnicsim::cli

#include "tests/deps/layer_rules.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>

namespace fs = std::filesystem;

namespace rnicsim::deps {

const std::vector<Rule>& project_rules() {
  static const std::vector<Rule> rules = {
      {"the hardware includes neither the host nor the firmware (model/hw is below both)",
       {"model/hw/"},
       {"host_if/", "firmware/"}},
      {"nothing below model/sim includes the scenario layer or the simulation",
       {"model/common/", "model/mem/", "model/wire/", "model/proto/", "model/hw/", "model/cosim/",
        "model/stats/", "firmware/", "host_if/"},
       {"model/scenario/", "model/sim/"}},
      {"the firmware reaches the RNIC only through its register file and mailbox",
       {"firmware/"},
       {"model/hw/"},
       {"model/hw/rnic/registers.h"}},
      {"protocol logic, codecs, host memory, statistics and the PCIe model include no SystemC",
       {"model/proto/", "model/wire/", "model/mem/", "model/stats/", "model/hw/pcie/"},
       {"systemc", "systemc.h", "sysc/", "tlm", "tlm.h", "tlm_core/", "tlm_utils/", "model/common/sim.h"}},
  };
  return rules;
}

namespace {

struct Include {
  int line = 0;
  std::string path;     ///< between the delimiters
  std::string written;  ///< with them
  bool quoted = false;
};

bool is_source(const fs::path& p) {
  const std::string e = p.extension().string();
  return e == ".h" || e == ".hpp" || e == ".cpp" || e == ".cc";
}

bool under(const std::string& rel, const std::vector<std::string>& folders) {
  return std::any_of(folders.begin(), folders.end(), [&](const std::string& f) { return rel.compare(0, f.size(), f) == 0; });
}

bool allows(const Rule& r, const std::string& inc) {
  return std::find(r.allowed.begin(), r.allowed.end(), inc) != r.allowed.end();
}

bool forbids(const Rule& r, const std::string& inc) {
  return !allows(r, inc) && std::any_of(r.forbidden.begin(), r.forbidden.end(), [&](const std::string& f) {
    return f.back() == '/' ? inc.compare(0, f.size(), f) == 0 : inc == f;
  });
}

/// The project's files and their #include lines, read once each.
class Tree {
 public:
  explicit Tree(fs::path root) : root_(std::move(root)) {}

  const std::vector<Include>& includes(const std::string& rel) {
    auto it = cache_.find(rel);
    if (it != cache_.end()) return it->second;
    static const std::regex re(R"(^\s*#\s*include\s*([<"])([^>"]+)[>"])");
    std::vector<Include> out;
    std::ifstream in(root_ / rel);
    std::string text;
    for (int n = 1; std::getline(in, text); ++n) {
      std::smatch m;
      if (!std::regex_search(text, m, re)) continue;
      const bool quoted = m[1] == "\"";
      const std::string path = m[2];
      out.push_back({n, path, quoted ? "\"" + path + "\"" : "<" + path + ">", quoted});
    }
    return cache_.emplace(rel, std::move(out)).first->second;
  }

  /// The project file a quoted include names: from the root, as the project writes them,
  /// else beside the including file; nothing for a header from outside the project.
  std::optional<std::string> resolve(const std::string& from, const Include& inc) const {
    if (!inc.quoted) return std::nullopt;
    if (fs::is_regular_file(root_ / inc.path)) return fs::path(inc.path).lexically_normal().generic_string();
    const fs::path beside = fs::path(from).parent_path() / inc.path;
    if (fs::is_regular_file(root_ / beside)) return beside.lexically_normal().generic_string();
    return std::nullopt;
  }

 private:
  fs::path root_;
  std::map<std::string, std::vector<Include>> cache_;
};

struct Reach {
  std::string forbidden;         ///< as written
  std::vector<std::string> via;  ///< headers from the first one included to the one that includes it
};

/// Depth first, in include order, through headers outside the rule's folders.
std::optional<Reach> reaches(Tree& t, const Rule& r, const std::string& header, std::set<std::string>& seen) {
  if (!seen.insert(header).second) return std::nullopt;
  for (const Include& inc : t.includes(header)) {
    if (forbids(r, inc.path)) return Reach{inc.written, {header}};
    const auto next = t.resolve(header, inc);
    if (!next || under(*next, r.folders) || allows(r, *next)) continue;
    if (auto found = reaches(t, r, *next, seen)) {
      found->via.insert(found->via.begin(), header);
      return found;
    }
  }
  return std::nullopt;
}

}  // namespace

Report check_tree(const fs::path& root, const std::vector<Rule>& rules) {
  std::set<std::string> folders;
  for (const Rule& r : rules) folders.insert(r.folders.begin(), r.folders.end());
  std::set<std::string> files;  // sorted: the report's order
  for (const std::string& f : folders) {
    if (!fs::is_directory(root / f)) continue;  // a layer the tree does not have (yet)
    for (const auto& e : fs::recursive_directory_iterator(root / f))
      if (e.is_regular_file() && is_source(e.path())) files.insert(fs::relative(e.path(), root).generic_string());
  }
  Tree tree(root);
  Report rep;
  rep.files = files.size();
  for (const std::string& file : files) {
    for (const Include& inc : tree.includes(file)) {
      for (const Rule& r : rules) {
        if (!under(file, r.folders)) continue;
        Violation v{file, inc.line, inc.written, "", "", &r};
        if (!forbids(r, inc.path)) {
          const auto h = tree.resolve(file, inc);
          // A header in the rule's folders answers for itself; an allowed one is the door.
          if (!h || under(*h, r.folders) || allows(r, *h)) continue;
          std::set<std::string> seen;
          const auto found = reaches(tree, r, *h, seen);
          if (!found) continue;
          v.reached = found->forbidden;
          for (size_t i = 1; i < found->via.size(); ++i) v.via += (v.via.empty() ? "" : " -> ") + found->via[i];
        }
        rep.violations.push_back(std::move(v));
      }
    }
  }
  return rep;
}

std::string to_string(const Violation& v) {
  std::string s = v.file + ":" + std::to_string(v.line) + ": includes " + v.include;
  if (!v.reached.empty()) s += ", which reaches " + v.reached + (v.via.empty() ? "" : " through " + v.via);
  return s + ": " + v.rule->text;
}

}  // namespace rnicsim::deps

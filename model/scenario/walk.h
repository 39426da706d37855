#pragma once
/// Reading typed values out of the YAML tree, with a diagnostic for every bad value:
/// the shared helpers of the loader's per-section readers. Internal to the scenario library.
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/scenario/loader.h"
#include "model/scenario/yaml_tree.h"

namespace rnicsim::scenario::detail {

/// What one load collects: the errors, and where each path was written (for messages
/// about cross-references, which point at the referring value).
struct Ctx {
  std::vector<Diagnostic> errors;
  std::map<std::string, Loc> key_locs;    ///< Scenario::written
  std::map<std::string, Loc> value_locs;  ///< path -> location of its value
  void error(const Loc& loc, std::string message) { errors.push_back({loc, std::move(message)}); }
  /// Where the value at `path` was written, else `fallback` (for defaults).
  Loc where(const std::string& path, const Loc& fallback) const;
  bool written(const std::string& path) const { return key_locs.count(path) != 0; }
};

/// How a node reads in a message: `'text'`, `nothing`, `a mapping`, `a list`.
std::string describe(const YNode& n);

// Scalar readers: the value, or nullopt after reporting `PATH: expected WHAT, got ...`.
std::optional<std::string> read_string(Ctx& c, const YNode& n, const std::string& path);
/// `[a-z][a-z0-9_]*`
std::optional<std::string> read_name(Ctx& c, const YNode& n, const std::string& path);
std::optional<std::string> read_enum(Ctx& c, const YNode& n, const std::string& path,
                                     const std::vector<std::string>& allowed);
std::optional<uint64_t> read_uint(Ctx& c, const YNode& n, const std::string& path, uint64_t lo, uint64_t hi);
std::optional<bool> read_bool(Ctx& c, const YNode& n, const std::string& path);
/// Any finite number (a plain scalar), within [lo, hi].
std::optional<double> read_number(Ctx& c, const YNode& n, const std::string& path, double lo, double hi);
std::optional<Duration> read_duration(Ctx& c, const YNode& n, const std::string& path);
std::optional<Rate> read_rate(Ctx& c, const YNode& n, const std::string& path);
std::optional<uint64_t> read_size(Ctx& c, const YNode& n, const std::string& path);
std::optional<Ipv4Prefix> read_prefix(Ctx& c, const YNode& n, const std::string& path);
std::optional<Ipv4> read_ipv4(Ctx& c, const YNode& n, const std::string& path);
/// A unicast MAC (a multicast one cannot be a port's own address).
std::optional<Mac> read_mac(Ctx& c, const YNode& n, const std::string& path);
/// A probability in [0, 1] for both directions, or `{forward: p, reverse: p}`.
std::optional<DirProb> read_prob(Ctx& c, const YNode& n, const std::string& path);
/// A port 1..65535, or a range `5000-5100`.
std::optional<std::pair<uint16_t, uint16_t>> read_port_range(Ctx& c, const YNode& n, const std::string& path);

/// A mapping of known keys. Construction reports every unknown key (with a close match
/// when there is one); `get` then returns a written value or nullptr.
class MapIn {
 public:
  MapIn(Ctx& c, const YNode& node, std::string path, std::vector<std::string> keys);
  bool is_map() const { return map_ != nullptr; }
  const YNode* get(std::string_view key) const;
  bool has(std::string_view key) const { return get(key) != nullptr; }
  std::string sub(std::string_view key) const;
  const std::string& path() const { return path_; }
  const Loc& loc() const { return loc_; }
  /// Reports `PATH.key: required key missing (expected WHAT)` when absent; true if present.
  bool require(std::string_view key, std::string_view what) const;
  /// Reports `PATH.key: not used by WHY` when present.
  void forbid(std::string_view key, std::string_view why) const;

  /// Reads `key` with a reader above into `out` when written and valid.
  template <class T, class Reader, class... Args>
  bool read(std::string_view key, T& out, Reader reader, Args&&... args) const {
    const YNode* n = get(key);
    if (!n) return false;
    auto v = reader(*c_, *n, sub(key), std::forward<Args>(args)...);
    if (v) out = *v;
    return v.has_value();
  }

 private:
  Ctx* c_;
  const YNode* map_ = nullptr;
  std::string path_;
  Loc loc_;
};

/// The items of a list at `path` (nothing written: none; not a list: an error, none).
std::vector<const YNode*> list_items(Ctx& c, const YNode* n, const std::string& path);

std::string join(const std::vector<std::string>& words, std::string_view sep = ", ");

}  // namespace rnicsim::scenario::detail

#pragma once
/// The scenario's YAML as a plain tree with a location on every node and key. yaml-cpp
/// silently keeps duplicate keys and offers no way to edit a document by path, so the
/// loader converts once (catching duplicates), applies `--set` overrides to this tree,
/// then reads the typed Scenario from it. Internal to the scenario library.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/scenario/loader.h"

namespace rnicsim::scenario::detail {

struct YEntry;

struct YNode {
  enum class Kind { Null, Scalar, Seq, Map };
  Kind kind = Kind::Null;
  std::string text;     ///< scalars
  bool quoted = false;  ///< a quoted scalar is a string, never a number or a boolean
  std::vector<YNode> items;     ///< Seq
  std::vector<YEntry> entries;  ///< Map, in file order, without duplicates
  Loc loc;              ///< of the value; for an empty value, of its key

  const YNode* find(std::string_view key) const;
  YNode* find(std::string_view key);
};

struct YEntry {
  std::string key;
  Loc key_loc;
  YNode value;
};

/// Parses YAML text; syntax errors, duplicate keys and non-scalar keys go to `errors`.
/// Returns nothing only when the text is not YAML at all.
std::optional<YNode> parse_yaml(const std::string& text, const std::string& file,
                                std::vector<Diagnostic>& errors);

/// Applies `--set PATH=VALUE` number `rank` (1-based) to the tree: intermediate maps are
/// created where absent; an index past the end of a list is an error.
void apply_override(YNode& root, const Override& o, int rank, std::vector<Diagnostic>& errors);

/// Every key path of the tree (`hosts[1].rnic.line_rate`) with its key's location, and
/// every path (keys and list items, `links[0].ends[1]`) with its value's location.
void collect_paths(const YNode& root, std::map<std::string, Loc>& key_locs,
                   std::map<std::string, Loc>& value_locs);

}  // namespace rnicsim::scenario::detail

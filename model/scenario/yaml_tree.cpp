#include "model/scenario/yaml_tree.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>
#include <algorithm>
#include <optional>
#include <vector>
#include <string_view>

namespace rnicsim::scenario::detail {

const YNode* YNode::find(std::string_view key) const {
  for (const auto& e : entries)
    if (e.key == key) return &e.value;
  return nullptr;
}

YNode* YNode::find(std::string_view key) {
  for (auto& e : entries)
    if (e.key == key) return &e.value;
  return nullptr;
}

namespace {

/// Maps a yaml-cpp mark (0-based) to a Loc of the file or of a `--set` argument.
using MarkToLoc = std::function<Loc(const YAML::Mark&)>;

std::string key_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

/// What a file may make the loader build: aliases share nodes in YAML but expand here, so
/// a small file can describe an exponential (or, with a self-reference, endless) tree.
struct Budget {
  size_t nodes_left = kMaxNodes;
  bool exhausted = false;  ///< reported once
  static constexpr size_t kMaxNodes = 1'000'000;
  static constexpr size_t kMaxDepth = 64;
  static constexpr size_t kMaxScalar = 64 * 1024;
};

/// The offset of the first byte that is not part of valid UTF-8 (RFC 3629), or npos.
size_t invalid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xe0) == 0xc0) {
      n = 1;
      cp = b & 0x1f;
    } else if ((b & 0xf0) == 0xe0) {
      n = 2;
      cp = b & 0x0f;
    } else if ((b & 0xf8) == 0xf0) {
      n = 3;
      cp = b & 0x07;
    } else {
      return i;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return i;
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xc0) != 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    i += n + 1;
  }
  return std::string::npos;
}

/// A scalar (value or key) the loader may hold and quote: valid UTF-8 and not too long.
bool scalar_ok(const std::string& text, const Loc& loc, const std::string& what, std::vector<Diagnostic>& errors) {
  if (text.size() > Budget::kMaxScalar) {
    errors.push_back({loc, fmt::format("{}: a value of {} bytes (at most {})", what, text.size(), Budget::kMaxScalar)});
    return false;
  }
  const size_t bad = invalid_utf8(text);
  if (bad != std::string::npos) {
    errors.push_back({loc, fmt::format("{}: not valid UTF-8 (byte {} of the value)", what, bad + 1)});
    return false;
  }
  return true;
}

YNode convert(const YAML::Node& n, const MarkToLoc& to_loc, const Loc& fallback, const std::string& path,
              std::vector<Diagnostic>& errors, Budget& budget, size_t depth = 0) {
  YNode out;
  const YAML::Mark m = n.Mark();
  out.loc = m.is_null() ? fallback : to_loc(m);
  const std::string where = path.empty() ? "<top>" : path;
  if (budget.exhausted) return out;
  if (budget.nodes_left == 0) {
    budget.exhausted = true;
    errors.push_back({out.loc, fmt::format("{}: the file expands to more than {} values (aliases repeat what they "
                                           "name): not read further", where, Budget::kMaxNodes)});
    return out;
  }
  --budget.nodes_left;
  if (depth > Budget::kMaxDepth) {
    budget.exhausted = true;
    errors.push_back({out.loc, fmt::format("{}: nested deeper than {} levels (an alias that contains itself?): not "
                                           "read further", where, Budget::kMaxDepth)});
    return out;
  }
  // Explicit tags: !!str makes a scalar a string (as quotes do); the tag of the node's own
  // kind changes nothing; any other would change what a value means, and is refused
  // rather than dropped (the value is read on, so that it gets no second note).
  const std::string& tag = n.Tag();
  const std::string_view core = "tag:yaml.org,2002:";
  bool str_tag = false;
  if (!tag.empty() && tag != "?" && tag != "!") {
    const bool is_core = tag.rfind(core, 0) == 0;
    const std::string_view name = is_core ? std::string_view(tag).substr(core.size()) : std::string_view{};
    str_tag = n.Type() == YAML::NodeType::Scalar && name == "str";
    const bool own = (n.Type() == YAML::NodeType::Map && name == "map") || (n.Type() == YAML::NodeType::Sequence && name == "seq") ||
                     (n.Type() == YAML::NodeType::Null && name == "null");
    if (!str_tag && !own) {
      errors.push_back({out.loc, fmt::format("{}: the tag '{}' is not read (values are plain YAML; !!str makes a "
                                             "string)", where, is_core ? "!!" + std::string(name) : tag)});
    }
  }
  switch (n.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      // yaml-cpp marks an empty value at the next token, often the next line: use the key's.
      out.kind = YNode::Kind::Null;
      out.loc = fallback;
      break;
    case YAML::NodeType::Scalar:
      out.kind = YNode::Kind::Scalar;
      out.quoted = n.Tag() == "!" || str_tag;
      if (!scalar_ok(n.Scalar(), out.loc, where, errors)) {
        out.kind = YNode::Kind::Null;  // reported: nothing downstream sees or quotes it
        break;
      }
      out.text = n.Scalar();
      break;
    case YAML::NodeType::Sequence: {
      out.kind = YNode::Kind::Seq;
      size_t i = 0;
      for (const auto& item : n) {
        out.items.push_back(convert(item, to_loc, out.loc, fmt::format("{}[{}]", path, i), errors, budget, depth + 1));
        if (budget.exhausted) break;
        ++i;
      }
      break;
    }
    case YAML::NodeType::Map:
      out.kind = YNode::Kind::Map;
      for (auto it = n.begin(); it != n.end(); ++it) {
        const YAML::Mark km = it->first.Mark();
        const Loc kloc = km.is_null() ? out.loc : to_loc(km);
        if (!it->first.IsScalar()) {
          errors.push_back({kloc, fmt::format("{}: a key must be a plain name", path.empty() ? "<top>" : path)});
          continue;
        }
        if (!scalar_ok(it->first.Scalar(), kloc, fmt::format("{}: a key", where), errors)) continue;
        const std::string key = it->first.Scalar();
        const std::string kp = key_path(path, key);
        bool duplicate = false;
        for (const auto& e : out.entries) {
          if (e.key == key) {
            errors.push_back({kloc, fmt::format("{}: duplicate key (first written at {}:{})", kp,
                                                e.key_loc.line, e.key_loc.col)});
            duplicate = true;
            break;
          }
        }
        if (duplicate) continue;
        out.entries.push_back({key, kloc, convert(it->second, to_loc, kloc, kp, errors, budget, depth + 1)});
        if (budget.exhausted) break;
      }
      break;
  }
  return out;
}

/// One step of an override path: a key, or an index into a list.
struct Step {
  std::string key;  ///< empty for an index
  size_t index = 0;
  size_t col = 0;   ///< 0-based column of the step in PATH
};

std::optional<std::vector<Step>> split_path(const std::string& path, std::string& why, size_t& bad_col) {
  std::vector<Step> steps;
  size_t i = 0;
  auto is_key_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  };
  while (i < path.size()) {
    if (path[i] == '[') {
      const size_t start = i++;
      size_t v = 0, digits = 0;
      while (i < path.size() && path[i] >= '0' && path[i] <= '9' && digits < 9) {
        v = v * 10 + static_cast<size_t>(path[i] - '0');
        ++i;
        ++digits;
      }
      if (digits == 0 || i >= path.size() || path[i] != ']' || steps.empty()) {
        why = "an index is written [N] after a key, as in hosts[1]";
        bad_col = start;
        return std::nullopt;
      }
      ++i;
      steps.push_back({"", v, start});
    } else {
      if (!steps.empty()) {
        if (path[i] != '.') {
          why = "expected '.' or '[' between steps";
          bad_col = i;
          return std::nullopt;
        }
        ++i;
      }
      const size_t start = i;
      while (i < path.size() && is_key_char(path[i])) ++i;
      if (i == start) {
        why = "expected a key name";
        bad_col = start;
        return std::nullopt;
      }
      steps.push_back({path.substr(start, i - start), 0, start});
    }
  }
  if (steps.empty()) {
    why = "empty path; write --set PATH=VALUE, as in links[0].rate=10Gbps";
    bad_col = 0;
    return std::nullopt;
  }
  return steps;
}

const char* kind_name(YNode::Kind k) {
  switch (k) {
    case YNode::Kind::Null: return "empty";
    case YNode::Kind::Scalar: return "a plain value";
    case YNode::Kind::Seq: return "a list";
    case YNode::Kind::Map: return "a mapping";
  }
  return "?";
}

void collect(const YNode& n, const std::string& path, std::map<std::string, Loc>& key_locs,
             std::map<std::string, Loc>& value_locs) {
  if (!path.empty()) value_locs[path] = n.loc;
  if (n.kind == YNode::Kind::Map) {
    for (const auto& e : n.entries) {
      const std::string kp = key_path(path, e.key);
      key_locs[kp] = e.key_loc;
      collect(e.value, kp, key_locs, value_locs);
    }
  } else if (n.kind == YNode::Kind::Seq) {
    for (size_t i = 0; i < n.items.size(); ++i)
      collect(n.items[i], fmt::format("{}[{}]", path, i), key_locs, value_locs);
  }
}


/// Flow collections (`[`, `{`) nested deeper than the loader reads, found by scanning the
/// text before yaml-cpp parses it: its own guard stops far deeper with "bad file" and no
/// key path. Quotes and comments are skipped; the key path is that of the block key or
/// list item the flow collection starts under (flow contents are not named).
std::optional<Diagnostic> flow_depth_scan(const std::string& text, const std::string& file) {
  struct Level {
    size_t col;
    bool seq;
    std::string key;
    int index;
  };
  std::vector<Level> levels;
  auto path = [&levels] {
    std::string p;
    for (const Level& l : levels) p += l.seq ? fmt::format("[{}]", l.index) : (p.empty() ? l.key : "." + l.key);
    return p;
  };
  size_t depth = 0;
  char quote = 0;
  int line = 1;
  for (size_t at = 0; at < text.size(); ++line) {
    const size_t end = std::min(text.find('\n', at), text.size());
    const std::string_view l(text.data() + at, end - at);
    size_t i = 0;
    if (depth == 0 && quote == 0) {
      // Block structure: `- ` items and `key:` keys, by column.
      size_t c = l.find_first_not_of(' ');
      if (c != std::string_view::npos && l[c] != '#') {
        while (c < l.size() && l[c] == '-' && (c + 1 == l.size() || l[c + 1] == ' ')) {
          while (!levels.empty() && (levels.back().col > c || (levels.back().col == c && !levels.back().seq))) levels.pop_back();
          if (!levels.empty() && levels.back().seq && levels.back().col == c)
            ++levels.back().index;
          else
            levels.push_back({c, true, {}, 0});
          c = l.find_first_not_of(' ', c + 1);
          if (c == std::string_view::npos) c = l.size();
        }
        const size_t colon = l.find(':', c);
        if (c < l.size() && std::string_view("[{\"'#").find(l[c]) == std::string_view::npos && colon != std::string_view::npos &&
            (colon + 1 == l.size() || l[colon + 1] == ' ' || l[colon + 1] == '\r')) {
          while (!levels.empty() && levels.back().col > c) levels.pop_back();
          while (!levels.empty() && levels.back().col >= c && levels.back().seq) levels.pop_back();
          std::string key(l.substr(c, std::min<size_t>(colon - c, 40)));
          if (!levels.empty() && !levels.back().seq && levels.back().col == c)
            levels.back().key = key;
          else
            levels.push_back({c, false, key, 0});
        }
      }
    }
    for (char prev = ' '; i < l.size(); prev = l[i], ++i) {
      const char ch = l[i];
      if (quote) {
        if (quote == '"' && ch == '\\') {
          ++i;
        } else if (ch == quote) {
          if (quote == '\'' && i + 1 < l.size() && l[i + 1] == '\'') ++i;  // '' inside '...'
          else quote = 0;
        }
        continue;
      }
      if (ch == '#' && (prev == ' ' || prev == '\t' || i == 0)) break;
      if ((ch == '"' || ch == '\'') && std::string_view(" \t[{,:-").find(prev) != std::string_view::npos) {
        quote = ch;
      } else if (ch == '[' || ch == '{') {
        if (++depth > Budget::kMaxDepth) {
          const std::string where = levels.empty() ? "<top>" : path();
          return Diagnostic{Loc{file, line, static_cast<int>(i) + 1},
                            fmt::format("{}: flow collections nested deeper than {} levels: not read further", where,
                                        Budget::kMaxDepth)};
        }
      } else if ((ch == ']' || ch == '}') && depth > 0) {
        --depth;
      }
    }
    if (quote == '\'' && depth == 0) quote = 0;  // a plain scalar's apostrophe, not a quote
    at = end + 1;
  }
  return std::nullopt;
}

}  // namespace

std::optional<YNode> parse_yaml(const std::string& text, const std::string& file,
                                std::vector<Diagnostic>& errors) {
  const MarkToLoc to_loc = [&file](const YAML::Mark& m) { return Loc{file, m.line + 1, m.column + 1}; };
  try {
    // A scenario is one document: YAML::Load reads the first and drops the rest silently.
    // A line starting `---` after content starts another (a document marker ends even a
    // block scalar). Found by scanning: yaml-cpp's LoadAll never returns on some malformed
    // files (tests/fuzz/regressions/scenario).
    bool content = false;
    int line = 1;
    for (size_t at = 0; at < text.size(); ++line) {
      const size_t end = std::min(text.find('\n', at), text.size());
      const std::string_view l(text.data() + at, end - at);
      const bool marker = l.substr(0, 3) == "---" && (l.size() == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r');
      if (marker && content) {
        errors.push_back({Loc{file, line, 1}, "a scenario file holds one YAML document; a second one starts here"});
        return std::nullopt;
      }
      const size_t first = l.find_first_not_of(" \t\r");
      if (!marker && first != std::string_view::npos && l[first] != '#') content = true;
      at = end + 1;
    }
    if (auto deep = flow_depth_scan(text, file)) {
      errors.push_back(*deep);
      return std::nullopt;
    }
    const YAML::Node root = YAML::Load(text);
    Budget budget;
    return convert(root, to_loc, Loc{file, 1, 1}, "", errors, budget);
  } catch (const YAML::Exception& e) {
    const Loc loc = e.mark.is_null() ? Loc{file, 1, 1} : to_loc(e.mark);
    errors.push_back({loc, fmt::format("YAML syntax: {}", e.msg)});
    return std::nullopt;
  }
}

void apply_override(YNode& root, const Override& o, int rank, std::vector<Diagnostic>& errors) {
  const std::string file = "--set";
  auto at = [&](size_t col0) { return Loc{file, rank, static_cast<int>(col0) + 1}; };
  std::string why;
  size_t bad_col = 0;
  const auto steps = split_path(o.path, why, bad_col);
  if (!steps) {
    errors.push_back({at(bad_col), fmt::format("'{}': {}", o.path, why)});
    return;
  }
  // The value: parsed as YAML on its own, located at its column after `PATH=`.
  const size_t value_col0 = o.path.size() + 1;
  const MarkToLoc to_loc = [&](const YAML::Mark& m) {
    return Loc{file, rank + m.line, static_cast<int>(value_col0) + m.column + 1};
  };
  YNode value;
  try {
    const YAML::Node parsed = YAML::Load(o.value);
    Budget budget;
    value = convert(parsed, to_loc, at(value_col0), o.path, errors, budget);
  } catch (const YAML::Exception& e) {
    errors.push_back({e.mark.is_null() ? at(value_col0) : to_loc(e.mark),
                      fmt::format("{}: value is not YAML: {}", o.path, e.msg)});
    return;
  }

  // Work on a copy, so that a path that fails half way leaves no keys behind.
  YNode edited = root;
  YNode* cur = &edited;
  bool created = false;  // cur was made by this override, not written in the file
  std::string so_far;
  for (size_t i = 0; i < steps->size(); ++i) {
    const Step& st = (*steps)[i];
    const bool last = i + 1 == steps->size();
    if (!st.key.empty()) {
      if (cur->kind == YNode::Kind::Null) {
        cur->kind = YNode::Kind::Map;  // an intermediate map, created as --set needs it
        cur->loc = at(st.col);
      }
      if (cur->kind != YNode::Kind::Map) {
        errors.push_back({at(st.col), fmt::format("{}: {} is {}, not a mapping: it cannot hold key '{}'", o.path,
                                                  so_far, kind_name(cur->kind), st.key)});
        return;
      }
      YEntry* entry = nullptr;
      for (auto& e : cur->entries)
        if (e.key == st.key) entry = &e;
      created = !entry;
      if (!entry) {
        cur->entries.push_back({st.key, at(st.col), YNode{}});
        entry = &cur->entries.back();
        entry->value.loc = at(st.col);
      }
      so_far = key_path(so_far, st.key);
      if (last) {
        entry->key_loc = at(st.col);
        entry->value = std::move(value);
        root = std::move(edited);
        return;
      }
      cur = &entry->value;
    } else {
      const size_t size = cur->kind == YNode::Kind::Seq ? cur->items.size() : 0;
      if (cur->kind != YNode::Kind::Seq && cur->kind != YNode::Kind::Null) {
        errors.push_back({at(st.col), fmt::format("{}: {} is {}, not a list: it has no [{}]", o.path, so_far,
                                                  kind_name(cur->kind), st.index)});
        return;
      }
      if (created) {
        errors.push_back({at(st.col), fmt::format("{}: {} is not written in the scenario, so it has no [{}]", o.path, so_far,
                                                  st.index)});
        return;
      }
      if (st.index >= size) {
        errors.push_back({at(st.col), fmt::format("{}: index {} is past the end of {} ({} {})", o.path, st.index,
                                                  so_far, size, size == 1 ? "entry" : "entries")});
        return;
      }
      so_far = fmt::format("{}[{}]", so_far, st.index);
      if (last) {
        cur->items[st.index] = std::move(value);
        root = std::move(edited);
        return;
      }
      cur = &cur->items[st.index];
      created = false;
    }
  }
}

void collect_paths(const YNode& root, std::map<std::string, Loc>& key_locs, std::map<std::string, Loc>& value_locs) {
  collect(root, "", key_locs, value_locs);
}

}  // namespace rnicsim::scenario::detail

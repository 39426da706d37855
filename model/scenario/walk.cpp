#include "model/scenario/walk.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "model/scenario/suggest.h"
#include "model/scenario/units_parse.h"

namespace rnicsim::scenario::detail {

Loc Ctx::where(const std::string& path, const Loc& fallback) const {
  const auto it = value_locs.find(path);
  return it == value_locs.end() ? fallback : it->second;
}

std::string describe(const YNode& n) {
  switch (n.kind) {
    case YNode::Kind::Null: return "nothing";
    case YNode::Kind::Scalar: return fmt::format("'{}'", n.text);
    case YNode::Kind::Seq: return "a list";
    case YNode::Kind::Map: return "a mapping";
  }
  return "?";
}

std::string join(const std::vector<std::string>& words, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i) out += sep;
    out += words[i];
  }
  return out;
}

namespace {

void expected(Ctx& c, const YNode& n, const std::string& path, std::string_view what, const std::string& why = {}) {
  c.error(n.loc, fmt::format("{}: expected {}, got {}{}", path, what, describe(n), why.empty() ? "" : " (" + why + ")"));
}

/// A scalar's text, or nullopt after reporting a list, a mapping or nothing.
const std::string* scalar(Ctx& c, const YNode& n, const std::string& path, std::string_view what) {
  if (n.kind != YNode::Kind::Scalar) {
    expected(c, n, path, what);
    return nullptr;
  }
  return &n.text;
}

bool is_uint(const std::string& t) {
  if (t.empty()) return false;
  for (char ch : t)
    if (ch < '0' || ch > '9') return false;
  return true;
}

}  // namespace

std::optional<std::string> read_string(Ctx& c, const YNode& n, const std::string& path) {
  const std::string* t = scalar(c, n, path, "a string");
  if (!t) return std::nullopt;
  return *t;
}

std::optional<std::string> read_name(Ctx& c, const YNode& n, const std::string& path) {
  const char* what = "a name ([a-z][a-z0-9_]*)";
  const std::string* t = scalar(c, n, path, what);
  if (!t) return std::nullopt;
  bool ok = !t->empty() && (*t)[0] >= 'a' && (*t)[0] <= 'z';
  for (char ch : *t)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) ok = false;
  if (!ok) {
    expected(c, n, path, what);
    return std::nullopt;
  }
  return *t;
}

std::optional<std::string> read_enum(Ctx& c, const YNode& n, const std::string& path,
                                     const std::vector<std::string>& allowed) {
  const std::string what = "one of " + join(allowed, " | ");
  const std::string* t = scalar(c, n, path, what);
  if (!t) return std::nullopt;
  for (const auto& a : allowed)
    if (*t == a) return *t;
  c.error(n.loc, fmt::format("{}: expected {}, got '{}'{}", path, what, *t, did_you_mean(*t, allowed)));
  return std::nullopt;
}

std::optional<uint64_t> read_uint(Ctx& c, const YNode& n, const std::string& path, uint64_t lo, uint64_t hi) {
  const std::string what = hi == UINT64_MAX ? fmt::format("an integer >= {}", lo)
                                            : fmt::format("an integer in {}..{}", lo, hi);
  const std::string* t = scalar(c, n, path, what);
  if (!t) return std::nullopt;
  if (n.quoted || !is_uint(*t) || t->size() > 20) {
    expected(c, n, path, what);
    return std::nullopt;
  }
  errno = 0;
  const unsigned long long v = std::strtoull(t->c_str(), nullptr, 10);
  if (errno == ERANGE || v < lo || v > hi) {
    expected(c, n, path, what);
    return std::nullopt;
  }
  return static_cast<uint64_t>(v);
}

std::optional<bool> read_bool(Ctx& c, const YNode& n, const std::string& path) {
  const std::string* t = scalar(c, n, path, "true or false");
  if (!t) return std::nullopt;
  if (!n.quoted) {
    if (*t == "true" || *t == "True" || *t == "TRUE") return true;
    if (*t == "false" || *t == "False" || *t == "FALSE") return false;
  }
  expected(c, n, path, "true or false");
  return std::nullopt;
}

std::optional<double> read_number(Ctx& c, const YNode& n, const std::string& path, double lo, double hi) {
  std::string what = "a number";
  if (lo == 0.0 && hi == 1.0) what = "a probability in [0, 1]";
  else if (std::isfinite(lo) && std::isfinite(hi)) what = fmt::format("a number in [{}, {}]", lo, hi);
  else if (std::isfinite(lo)) what = fmt::format("a number >= {}", lo);
  const std::string* t = scalar(c, n, path, what);
  if (!t) return std::nullopt;
  char* end = nullptr;
  const double v = n.quoted || t->empty() ? NAN : std::strtod(t->c_str(), &end);
  if (!std::isfinite(v) || end != t->c_str() + t->size() || v < lo || v > hi) {
    expected(c, n, path, what);
    return std::nullopt;
  }
  return v;
}

std::optional<Duration> read_duration(Ctx& c, const YNode& n, const std::string& path) {
  const char* what = "a time (ns, us, ms, s)";
  const std::string* t = scalar(c, n, path, what);
  if (!t) return std::nullopt;
  std::string why;
  const auto v = parse_duration(*t, &why);
  if (!v) expected(c, n, path, what, why);
  return v;
}

std::optional<Rate> read_rate(Ctx& c, const YNode& n, const std::string& path) {
  const char* what = "a rate (bps, Kbps, Mbps, Gbps)";
  const std::string* t = scalar(c, n, path, what);
  if (!t) return std::nullopt;
  std::string why;
  const auto v = parse_rate(*t, &why);
  if (!v) expected(c, n, path, what, why);
  else if (v->bps == 0) {
    expected(c, n, path, what, "a rate must be positive");
    return std::nullopt;
  }
  return v;
}

std::optional<uint64_t> read_size(Ctx& c, const YNode& n, const std::string& path) {
  const char* what = "a size (B, KiB, MiB, GiB, KB, MB, GB, or bytes)";
  const std::string* t = scalar(c, n, path, what);
  if (!t) return std::nullopt;
  std::string why;
  const auto v = parse_size(*t, &why);
  if (!v) expected(c, n, path, what, why);
  return v;
}

std::optional<Ipv4Prefix> read_prefix(Ctx& c, const YNode& n, const std::string& path) {
  const char* what = "an IPv4 address with prefix length, like 10.0.0.1/24";
  const std::string* t = scalar(c, n, path, what);
  if (!t) return std::nullopt;
  std::string why;
  const auto v = parse_ipv4_prefix(*t, &why);
  if (!v) expected(c, n, path, what, why);
  return v;
}

std::optional<Ipv4> read_ipv4(Ctx& c, const YNode& n, const std::string& path) {
  const char* what = "an IPv4 address, like 10.0.0.1";
  const std::string* t = scalar(c, n, path, what);
  if (!t) return std::nullopt;
  std::string why;
  const auto v = parse_ipv4(*t, &why);
  if (!v) expected(c, n, path, what, why);
  return v;
}

std::optional<Mac> read_mac(Ctx& c, const YNode& n, const std::string& path) {
  const char* what = "a MAC address, like 02:00:00:00:00:01";
  const std::string* t = scalar(c, n, path, what);
  if (!t) return std::nullopt;
  std::string why;
  const auto v = parse_mac(*t, &why);
  if (!v) {
    expected(c, n, path, what, why);
    return std::nullopt;
  }
  if ((*v >> 40) & 1) {
    expected(c, n, path, "a unicast MAC address", "the first octet is odd: a multicast address");
    return std::nullopt;
  }
  return v;
}

std::optional<DirProb> read_prob(Ctx& c, const YNode& n, const std::string& path) {
  if (n.kind == YNode::Kind::Map) {
    MapIn m(c, n, path, {"forward", "reverse"});
    DirProb p;
    bool ok = true;
    if (const YNode* f = m.get("forward")) {
      const auto v = read_number(c, *f, m.sub("forward"), 0.0, 1.0);
      ok = ok && v;
      if (v) p.forward = *v;
    }
    if (const YNode* r = m.get("reverse")) {
      const auto v = read_number(c, *r, m.sub("reverse"), 0.0, 1.0);
      ok = ok && v;
      if (v) p.reverse = *v;
    }
    if (!ok) return std::nullopt;
    return p;
  }
  if (n.kind != YNode::Kind::Scalar) {
    expected(c, n, path, "a probability in [0, 1] or {forward: p, reverse: p}");
    return std::nullopt;
  }
  const auto v = read_number(c, n, path, 0.0, 1.0);
  if (!v) return std::nullopt;
  return DirProb{*v, *v};
}

std::optional<std::pair<uint16_t, uint16_t>> read_port_range(Ctx& c, const YNode& n, const std::string& path) {
  const char* what = "a port 1..65535 or a range like 5000-5100";
  const std::string* t = scalar(c, n, path, what);
  if (!t) return std::nullopt;
  const size_t dash = t->find('-');
  const std::string a = t->substr(0, dash), b = dash == std::string::npos ? a : t->substr(dash + 1);
  auto port = [](const std::string& s) -> long {
    if (!is_uint(s) || s.size() > 5) return -1;
    const long v = std::strtol(s.c_str(), nullptr, 10);
    return v >= 1 && v <= 65535 ? v : -1;
  };
  const long lo = port(a), hi = port(b);
  if (lo < 0 || hi < 0 || lo > hi) {
    expected(c, n, path, what);
    return std::nullopt;
  }
  return std::make_pair(static_cast<uint16_t>(lo), static_cast<uint16_t>(hi));
}

MapIn::MapIn(Ctx& c, const YNode& node, std::string path, std::vector<std::string> keys)
    : c_(&c), path_(std::move(path)), loc_(node.loc) {
  if (node.kind != YNode::Kind::Map) {
    expected(c, node, path_.empty() ? "<top>" : path_, "a mapping");
    return;
  }
  map_ = &node;
  for (const auto& e : node.entries) {
    bool known = false;
    for (const auto& k : keys)
      if (k == e.key) known = true;
    if (known) continue;
    const std::string hint = did_you_mean(e.key, keys);
    c.error(e.key_loc, fmt::format("{}: unknown key{}", sub(e.key),
                                   hint.empty() ? fmt::format(" (expected one of: {})", join(keys)) : hint));
  }
}

const YNode* MapIn::get(std::string_view key) const { return map_ ? map_->find(key) : nullptr; }

std::string MapIn::sub(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

bool MapIn::require(std::string_view key, std::string_view what) const {
  if (has(key)) return true;
  if (map_) c_->error(loc_, fmt::format("{}: required key missing (expected {})", sub(key), what));
  return false;
}

void MapIn::forbid(std::string_view key, std::string_view why) const {
  if (!map_) return;
  for (const auto& e : map_->entries)
    if (e.key == key) c_->error(e.key_loc, fmt::format("{}: not used {}", sub(key), why));
}

std::vector<const YNode*> list_items(Ctx& c, const YNode* n, const std::string& path) {
  std::vector<const YNode*> out;
  if (!n || n->kind == YNode::Kind::Null) return out;
  if (n->kind != YNode::Kind::Seq) {
    expected(c, *n, path, "a list");
    return out;
  }
  for (const auto& item : n->items) out.push_back(&item);
  return out;
}

}  // namespace rnicsim::scenario::detail

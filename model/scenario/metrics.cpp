// metric_path_valid: a walk down the registry's description of results.json; the keyed
// levels take their ids from the scenario. No figure is named here.
#include "model/scenario/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "model/scenario/suggest.h"
#include "model/scenario/walk.h"

namespace rnicsim::scenario {
namespace {

using stats::Key;
using stats::Node;

bool fail(std::string* why, std::string text) {
  if (why) *why = std::move(text);
  return false;
}

/// The names a reader may expect (records are not figures).
std::vector<std::string> expectable(const Node& group) {
  std::vector<std::string> out;
  for (const auto& f : group.fields)
    if (f.kind != Node::Kind::Record) out.push_back(f.name);
  return out;
}

/// The entries a keyed level holds in this scenario's results: `valid` are accepted,
/// `shown` are offered in messages (a repeated connection's copies are not listed).
struct Ids {
  std::vector<std::string> valid, shown;
};

Ids ids_of(const Scenario& s, Key k, const std::map<Key, std::string>& chosen) {
  Ids r;
  auto both = [&r](const std::string& id) {
    r.valid.push_back(id);
    r.shown.push_back(id);
  };
  switch (k) {
    case Key::Workload:
      for (const auto& w : s.workloads) both(w.id);
      break;
    case Key::Size:
      for (const auto& w : s.workloads)
        if (w.id == chosen.at(Key::Workload) && w.size_sweep)
          for (uint64_t b : w.sizes) both(std::to_string(b));
      break;
    case Key::Connection:
      for (const auto& c : s.connections) {
        // A repeated connection exists in results only as its copies.
        if (c.repeat > 1) {
          r.shown.push_back(c.id);
          for (uint32_t i = 0; i < c.repeat; ++i) r.valid.push_back(fmt::format("{}_{}", c.id, i));
        } else {
          both(c.id);
        }
      }
      break;
    case Key::Host:
      for (const auto& h : s.hosts) both(h.name);
      break;
    case Key::Link:
      for (const auto& l : s.links) both(l.name);
      break;
    case Key::Switch:
      for (const auto& sw : s.switches) both(sw.name);
      break;
    case Key::Port:
      // One entry per port, named by the link that ends there.
      for (const auto& l : s.links)
        for (const auto& e : l.ends)
          if (e.node == chosen.at(Key::Switch)) both(l.name);
      break;
    case Key::Router:
      for (const auto& x : s.routers) both(x.name);
      break;
    case Key::Interface:
      for (const auto& x : s.routers)
        if (x.name == chosen.at(Key::Router))
          for (const auto& f : x.interfaces) both(f.name);
      break;
  }
  return r;
}

/// Why `id` names no entry of the keyed level at `path` (`top`: a top-level collection).
std::string unknown_entry(Key k, bool top, const std::string& path, const std::string& id, const Ids& ids) {
  const std::string list = detail::join(ids.shown);
  if (top)
    return fmt::format("no {} '{}' in this scenario{}{}", stats::key_name(k), id, detail::did_you_mean(id, ids.shown),
                       ids.shown.empty() ? "" : fmt::format(" ({}s: {})", stats::key_name(k), list));
  if (k == Key::Size) return fmt::format("{} has no size '{}': its sizes in bytes are {}", path, id, list);
  return fmt::format("{} has no {} '{}'{} ({}s: {})", path, stats::key_name(k), id, detail::did_you_mean(id, ids.shown),
                     stats::key_name(k), list);
}

/// What one entry of a nested keyed level is, for "holds one entry per ...".
std::string entry_noun(Key k) {
  switch (k) {
    case Key::Size: return "size in bytes";
    case Key::Port: return "port, named by its link";
    case Key::Workload:
    case Key::Connection:
    case Key::Host:
    case Key::Link:
    case Key::Switch:
    case Key::Router:
    case Key::Interface: break;
  }
  return stats::key_name(k);
}

}  // namespace

bool metric_path_valid(const Scenario& s, const stats::Node& results, const std::string& metric, std::string* why) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = metric.find('.', start);
    parts.push_back(metric.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  for (const auto& p : parts)
    if (p.empty()) return fail(why, "a metric path is keys joined by single dots, like workloads.w1.completed");

  const Node* group = &results;
  std::string where;  // the path of `group`; empty at the top
  std::map<Key, std::string> chosen;
  for (size_t i = 0;;) {
    if (i == parts.size())
      return fail(why, fmt::format("{} is a group: name one of its fields ({})", where, detail::join(expectable(*group))));
    const std::string& name = parts[i];
    const Node* n = group->field(name);
    if (!n) {
      const std::vector<std::string> names = expectable(*group);
      if (where.empty())
        return fail(why, fmt::format("results.json has no '{}'{} (top level: {})", name,
                                     detail::did_you_mean(name, names), detail::join(names)));
      return fail(why, fmt::format("{} has no field '{}'{} (fields: {})", where, name, detail::did_you_mean(name, names),
                                   detail::join(names)));
    }
    const std::string path = where.empty() ? name : where + "." + name;
    switch (n->kind) {
      case Node::Kind::Figure:
        if (i + 1 == parts.size()) return true;
        return fail(why, fmt::format("{} is a figure: it has no field '{}'", path, parts[i + 1]));
      case Node::Kind::Record:
        return fail(why, fmt::format("{} is a record, not a figure to expect ({})", path, n->desc));
      case Node::Kind::Group:
        if (i + 1 == parts.size() && n->nullable) return true;
        group = n;
        where = path;
        ++i;
        break;
      case Node::Kind::Keyed: {
        const bool top = where.empty();
        const Ids ids = ids_of(s, n->key, chosen);
        if (n->key == Key::Size && ids.valid.empty())  // results.json has no by_size then
          return fail(why, fmt::format("{} has one size, so no {} (that comes with a list of sizes)", where, name));
        if (i + 1 == parts.size())
          return fail(why, top ? fmt::format("{} holds one entry per id: name one, as in {}.<id>.<field>", path, path)
                               : fmt::format("{} holds one entry per {} ({})", path, entry_noun(n->key),
                                             detail::join(ids.shown)));
        const std::string& id = parts[i + 1];
        if (n->key == Key::Connection)
          for (const auto& c : s.connections)
            if (c.repeat > 1 && c.id == id)
              return fail(why, fmt::format("connection '{}' is repeated (repeat: {}): results hold its copies {}_0 .. "
                                           "{}_{}, name one of them",
                                           id, c.repeat, id, id, c.repeat - 1));
        if (std::find(ids.valid.begin(), ids.valid.end(), id) == ids.valid.end())
          return fail(why, unknown_entry(n->key, top, path, id, ids));
        chosen[n->key] = id;
        group = n;
        where = path + "." + id;
        i += 2;
        break;
      }
    }
  }
}

}  // namespace rnicsim::scenario

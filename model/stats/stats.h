#pragma once
/// The stats registry: every figure of results.json is described once, with its unit and
/// a one-line description, by the block that counts it (in the manner of gem5's
/// statistics::Group). A block's Stats struct keeps plain counters that its code
/// increments, and its static `group()` names them. Groups nest into one results tree
/// (model/sim/results.cpp); that tree writes results.json, gives `check` the paths an
/// `expect` may name (a `Node` tree, so model/scenario needs no model) and gives
/// `rnicsim stats` its listing. Plain C++, no SystemC.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace rnicsim::stats {

using Json = nlohmann::ordered_json;

enum class Unit {
  None,        ///< a plain number (a seed, a revision)
  Count,       ///< things counted, named by the description
  Events,
  Frames,
  Segments,
  Fpdus,
  Tlps,
  Operations,  ///< work requests of a workload
  Bytes,
  Ns,
  Seconds,
  Cycles,
  Gbps,
  Mops,        ///< million operations per second
  Code,        ///< a protocol code (RFC 5040 layer, type, code)
  Flag,
  Text,
};
/// As `rnicsim stats` prints it: "frames", "ns", "Gb/s".
const char* unit_name(Unit u);

/// What names the entries of a keyed collection (results.json's `hosts.<host>`): the
/// scenario's ids of that kind.
enum class Key { Workload, Size, Connection, Host, Link, Switch, Port, Router, Interface };
/// "workload", "size", "connection", ...
const char* key_name(Key k);

/// The description of one key of results.json.
struct Node {
  enum class Kind {
    Figure,  ///< a number, a flag or a text
    Group,   ///< named fields
    Keyed,   ///< one entry per id of `key`, each with `fields`
    Record,  ///< structured data written as it is (a lockstep divergence): not a figure to expect
  };
  Kind kind = Kind::Figure;
  std::string name;
  Unit unit = Unit::None;  ///< figures only
  std::string desc;
  std::vector<Node> fields;  ///< a group's fields, or those of one keyed entry
  Key key = Key::Workload;   ///< keyed collections only
  bool nullable = false;     ///< a group that is null when absent: the group itself is a value
  /// The field of that name, or null.
  const Node* field(const std::string& n) const;
};

/// One line of the listing: the path with `<key>` for keyed levels, the unit (or
/// "group", "per <key>", "record") and the description.
struct Line {
  std::string path, unit, desc;
};
/// Every node below `root`, depth first in registration order (a stable order).
std::vector<Line> listing(const Node& root);

/// A figure's value as results.json holds it.
using Value = std::variant<std::monostate, bool, int64_t, uint64_t, double, std::string>;
/// Signed integers as int64, unsigned as uint64, reals as double, text as string.
template <class X>
Value value_of(const X& x) {
  if constexpr (std::is_same_v<X, bool>) return x;
  else if constexpr (std::is_same_v<X, std::optional<bool>>) return x ? Value(*x) : Value();
  else if constexpr (std::is_integral_v<X> && std::is_signed_v<X>) return static_cast<int64_t>(x);
  else if constexpr (std::is_integral_v<X>) return static_cast<uint64_t>(x);
  else if constexpr (std::is_floating_point_v<X>) return static_cast<double>(x);
  else return std::string(x);
}

/// How a distribution's samples are summarised (nearest-rank percentiles, as perftest).
enum class Dist {
  /// Samples in whole units: min, p50, p99, max as they are, avg to 3 decimals.
  Whole,
  /// As Whole, with the 99.9th percentile after p99 and the standard deviation (of the
  /// population, to 3 decimals) after avg: the figures perftest's latency table has.
  WholeSpread,
  /// Samples in thousandths of the unit (ps for ns): count, then min, p50, p99, max and
  /// avg to 3 decimals of the unit.
  Thousandths,
};

/// Where a group's part is absent (a connection that never opened).
enum class Absent {
  Zeros,  ///< every figure 0
  Null,   ///< the group is null
  Omit,   ///< no key at all (a group only some runs have, such as `run --realtime`'s)
};

/// A keyed collection with no entries: an empty object, or no key at all.
enum class Empty { Object, Omit };

namespace detail {
// The JSON side of the templates below, kept out of line so that a block's header needs
// only json_fwd.hpp.
void put(Json& obj, const std::string& name, const Value& v);
Json& object(Json& obj, const std::string& name);  ///< obj[name] = {}, returned
Json& slot(Json& obj, const std::string& name);    ///< obj[name] (null), returned
void put_null(Json& obj, const std::string& name);
void omit_if_empty(Json& obj, const std::string& name);
void put_distribution(Json& obj, const std::string& name, std::vector<int64_t> samples, Dist d);
Node distribution_node(std::string name, Unit u, std::string desc, Dist d);
Value zero_of(Unit u);
}  // namespace detail

/// The figures of a `T`, in the order results.json holds them.
template <class T>
class Group {
 public:
  /// A counter member of T.
  template <class M>
  Group& counter(std::string name, M T::*member, Unit u, std::string desc) {
    nodes_.push_back(figure(name, u, std::move(desc)));
    entries_.push_back({[name, member](const T& t, Json& o) { detail::put(o, name, value_of(t.*member)); },
                        [name, u](Json& o) { detail::put(o, name, detail::zero_of(u)); }});
    return *this;
  }
  /// A derived figure: `f(t)` gives a number, a flag or a text.
  template <class F>
  Group& formula(std::string name, Unit u, std::string desc, F f) {
    nodes_.push_back(figure(name, u, std::move(desc)));
    entries_.push_back({[name, f](const T& t, Json& o) { detail::put(o, name, value_of(f(t))); },
                        [name, u](Json& o) { detail::put(o, name, detail::zero_of(u)); }});
    return *this;
  }
  /// A distribution of the samples `f(t)` (a const reference or a vector of int64).
  template <class F>
  Group& distribution(std::string name, Unit u, std::string desc, Dist d, F f) {
    nodes_.push_back(detail::distribution_node(name, u, std::move(desc), d));
    entries_.push_back({[name, d, f](const T& t, Json& o) { detail::put_distribution(o, name, f(t), d); },
                        [name, d](Json& o) { detail::put_distribution(o, name, {}, d); }});
    return *this;
  }
  /// The fields of `g` inline, read from the part `f(t)` (a const reference).
  template <class P, class F>
  Group& include(const Group<P>& g, F f) {
    nodes_.insert(nodes_.end(), g.nodes_.begin(), g.nodes_.end());
    for (const auto& e : g.entries_)
      entries_.push_back({[w = e.write, f](const T& t, Json& o) { w(f(t), o); }, e.zero});
    return *this;
  }
  /// A sub-group `name` of the part `f(t)` (a const reference).
  template <class P, class F>
  Group& group(std::string name, std::string desc, const Group<P>& g, F f) {
    nodes_.push_back(group_node(name, std::move(desc), g, false));
    entries_.push_back({[name, g, f](const T& t, Json& o) { g.dump(f(t), detail::object(o, name)); },
                        [name, g](Json& o) { g.zeros(detail::object(o, name)); }});
    return *this;
  }
  /// A sub-group of the part `f(t)` (a pointer, null when the part is absent).
  template <class P, class F>
  Group& optional_group(std::string name, std::string desc, const Group<P>& g, Absent a, F f) {
    nodes_.push_back(group_node(name, std::move(desc), g, a == Absent::Null));
    auto absent = [name, g, a](Json& o) {
      if (a == Absent::Null) detail::put_null(o, name);
      else if (a == Absent::Zeros) g.zeros(detail::object(o, name));
    };
    entries_.push_back({[name, g, f, absent](const T& t, Json& o) {
                          if (const P* p = f(t)) g.dump(*p, detail::object(o, name));
                          else absent(o);
                        },
                        absent});
    return *this;
  }
  /// One entry per id: `each(t, visit)` calls `visit(id, entry)` for every entry, in order.
  template <class E, class F>
  Group& keyed(std::string name, Key k, std::string desc, const Group<E>& g, F each, Empty empty = Empty::Object) {
    Node n = group_node(name, std::move(desc), g, false);
    n.kind = Node::Kind::Keyed;
    n.key = k;
    nodes_.push_back(std::move(n));
    entries_.push_back({[name, g, each, empty](const T& t, Json& o) {
                          Json& c = detail::object(o, name);
                          each(t, [&](const std::string& id, const E& e) { g.dump(e, detail::object(c, id)); });
                          if (empty == Empty::Omit) detail::omit_if_empty(o, name);
                        },
                        [name, empty](Json& o) {
                          detail::object(o, name);
                          if (empty == Empty::Omit) detail::omit_if_empty(o, name);
                        }});
    return *this;
  }
  /// Structured data that `write(t, slot)` puts into its slot (null when absent).
  template <class F>
  Group& record(std::string name, std::string desc, F write) {
    Node n;
    n.kind = Node::Kind::Record;
    n.name = name;
    n.desc = std::move(desc);
    nodes_.push_back(std::move(n));
    entries_.push_back({[name, write](const T& t, Json& o) { write(t, detail::slot(o, name)); },
                        [name](Json& o) { detail::put_null(o, name); }});
    return *this;
  }

  /// Adds every field of `t` to the object `obj`.
  void dump(const T& t, Json& obj) const {
    for (const auto& e : entries_) e.write(t, obj);
  }
  /// Adds every field, each figure 0, to the object `obj`.
  void zeros(Json& obj) const {
    for (const auto& e : entries_) e.zero(obj);
  }
  const std::vector<Node>& nodes() const { return nodes_; }
  /// This group as the root of a tree (its fields are the top-level keys).
  Node root(std::string desc) const {
    Node n;
    n.kind = Node::Kind::Group;
    n.desc = std::move(desc);
    n.fields = nodes_;
    return n;
  }

 private:
  template <class>
  friend class Group;
  struct Entry {
    std::function<void(const T&, Json&)> write;
    std::function<void(Json&)> zero;
  };
  static Node figure(const std::string& name, Unit u, std::string desc) {
    Node n;
    n.name = name;
    n.unit = u;
    n.desc = std::move(desc);
    return n;
  }
  template <class P>
  static Node group_node(const std::string& name, std::string desc, const Group<P>& g, bool nullable) {
    Node n;
    n.kind = Node::Kind::Group;
    n.name = name;
    n.desc = std::move(desc);
    n.fields = g.nodes_;
    n.nullable = nullable;
    return n;
  }
  std::vector<Node> nodes_;
  std::vector<Entry> entries_;
};

}  // namespace rnicsim::stats

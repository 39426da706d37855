#include "model/stats/stats.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

namespace rnicsim::stats {

const char* unit_name(Unit u) {
  switch (u) {
    case Unit::None: return "1";
    case Unit::Count: return "count";
    case Unit::Events: return "events";
    case Unit::Frames: return "frames";
    case Unit::Segments: return "segments";
    case Unit::Fpdus: return "FPDUs";
    case Unit::Tlps: return "TLPs";
    case Unit::Operations: return "ops";
    case Unit::Bytes: return "bytes";
    case Unit::Ns: return "ns";
    case Unit::Seconds: return "s";
    case Unit::Cycles: return "cycles";
    case Unit::Gbps: return "Gb/s";
    case Unit::Mops: return "Mop/s";
    case Unit::Code: return "code";
    case Unit::Flag: return "flag";
    case Unit::Text: return "text";
  }
  return "?";
}

const char* key_name(Key k) {
  switch (k) {
    case Key::Workload: return "workload";
    case Key::Size: return "size";
    case Key::Connection: return "connection";
    case Key::Host: return "host";
    case Key::Link: return "link";
    case Key::Switch: return "switch";
    case Key::Port: return "port";
    case Key::Router: return "router";
    case Key::Interface: return "interface";
  }
  return "?";
}

const Node* Node::field(const std::string& n) const {
  for (const auto& f : fields)
    if (f.name == n) return &f;
  return nullptr;
}

namespace {

void list_into(const Node& n, const std::string& path, std::vector<Line>& out) {
  switch (n.kind) {
    case Node::Kind::Figure:
      out.push_back({path, unit_name(n.unit), n.desc});
      return;
    case Node::Kind::Record:
      out.push_back({path, "record", n.desc});
      return;
    case Node::Kind::Group:
      out.push_back({path, "group", n.desc});
      for (const auto& f : n.fields) list_into(f, path + "." + f.name, out);
      return;
    case Node::Kind::Keyed: {
      out.push_back({path, std::string("per ") + key_name(n.key), n.desc});
      const std::string entry = path + ".<" + key_name(n.key) + ">";
      for (const auto& f : n.fields) list_into(f, entry + "." + f.name, out);
      return;
    }
  }
}

/// Nearest-rank percentile of sorted, non-empty `v` (as perftest reports its percentiles).
int64_t nearest_rank(const std::vector<int64_t>& v, double p) {
  const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

/// The same for a per-mille rank, in integers (99.9 / 100 x 1000 is not 999 in doubles).
int64_t nearest_rank_permille(const std::vector<int64_t>& v, uint64_t permille) {
  const uint64_t rank = (permille * v.size() + 999) / 1000;
  return v[std::min<size_t>(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

}  // namespace

std::vector<Line> listing(const Node& root) {
  std::vector<Line> out;
  for (const auto& f : root.fields) list_into(f, f.name, out);
  return out;
}

namespace detail {

void put(Json& obj, const std::string& name, const Value& v) {
  Json& j = obj[name];
  std::visit(
      [&j](const auto& x) {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::monostate>) j = nullptr;
        else j = x;
      },
      v);
}

Json& object(Json& obj, const std::string& name) {
  Json& j = obj[name];
  j = Json::object();
  return j;
}

Json& slot(Json& obj, const std::string& name) { return obj[name]; }

void put_null(Json& obj, const std::string& name) { obj[name] = nullptr; }

void omit_if_empty(Json& obj, const std::string& name) {
  if (obj[name].empty()) obj.erase(name);
}

void put_distribution(Json& obj, const std::string& name, std::vector<int64_t> v, Dist d) {
  Json& j = object(obj, name);
  if (d == Dist::Thousandths) j["count"] = v.size();
  if (v.empty()) {
    if (d == Dist::WholeSpread) {
      for (const char* k : {"min", "p50", "p99", "p999", "max", "avg", "stdev"}) j[k] = 0;
      return;
    }
    for (const char* k : {"min", "p50", "p99", "max", "avg"}) j[k] = 0;
    return;
  }
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (auto x : v) sum += static_cast<double>(x);
  const double mean = sum / static_cast<double>(v.size());
  switch (d) {
    case Dist::Whole:
      j["min"] = v.front();
      j["p50"] = nearest_rank(v, 50);
      j["p99"] = nearest_rank(v, 99);
      j["max"] = v.back();
      j["avg"] = std::round(mean * 1000.0) / 1000.0;
      return;
    case Dist::WholeSpread: {
      double sq = 0;
      for (auto x : v) sq += (static_cast<double>(x) - mean) * (static_cast<double>(x) - mean);
      j["min"] = v.front();
      j["p50"] = nearest_rank(v, 50);
      j["p99"] = nearest_rank(v, 99);
      j["p999"] = nearest_rank_permille(v, 999);
      j["max"] = v.back();
      j["avg"] = std::round(mean * 1000.0) / 1000.0;
      j["stdev"] = std::round(std::sqrt(sq / static_cast<double>(v.size())) * 1000.0) / 1000.0;
      return;
    }
    case Dist::Thousandths: {
      auto unit = [](double x) { return std::round(x) / 1000.0; };
      j["min"] = unit(static_cast<double>(v.front()));
      j["p50"] = unit(static_cast<double>(nearest_rank(v, 50)));
      j["p99"] = unit(static_cast<double>(nearest_rank(v, 99)));
      j["max"] = unit(static_cast<double>(v.back()));
      j["avg"] = unit(mean);
      return;
    }
  }
}

Node distribution_node(std::string name, Unit u, std::string desc, Dist d) {
  Node n;
  n.kind = Node::Kind::Group;
  n.name = std::move(name);
  n.desc = std::move(desc);
  auto add = [&](const char* field, Unit fu, const char* what) {
    Node f;
    f.name = field;
    f.unit = fu;
    f.desc = what;
    n.fields.push_back(std::move(f));
  };
  if (d == Dist::Thousandths) add("count", Unit::Count, "samples");
  add("min", u, "smallest");
  add("p50", u, "median (nearest rank)");
  add("p99", u, "99th percentile (nearest rank)");
  if (d == Dist::WholeSpread) add("p999", u, "99.9th percentile (nearest rank)");
  add("max", u, "largest");
  add("avg", u, "mean");
  if (d == Dist::WholeSpread) add("stdev", u, "standard deviation (of all the samples, population)");
  return n;
}

Value zero_of(Unit u) {
  switch (u) {
    case Unit::Flag: return false;
    case Unit::Text: return std::string();
    case Unit::None:
    case Unit::Count:
    case Unit::Events:
    case Unit::Frames:
    case Unit::Segments:
    case Unit::Fpdus:
    case Unit::Tlps:
    case Unit::Operations:
    case Unit::Bytes:
    case Unit::Ns:
    case Unit::Seconds:
    case Unit::Cycles:
    case Unit::Gbps:
    case Unit::Mops:
    case Unit::Code: return int64_t{0};
  }
  return int64_t{0};
}

}  // namespace detail
}  // namespace rnicsim::stats

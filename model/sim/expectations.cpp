// The `expect` checks (scenario-format.md): each entry compares one figure of results.json.
#include <algorithm>
#include <cmath>
#include <variant>

#include <nlohmann/json.hpp>

#include "model/sim/model.h"

namespace rnicsim::sim {
namespace {

/// The value at a dotted path of `root`, or null when there is none.
const nlohmann::ordered_json* find_metric(const nlohmann::ordered_json& root, const std::string& path) {
  const nlohmann::ordered_json* cur = &root;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t dot = path.find('.', pos);
    if (dot == std::string::npos) dot = path.size();
    const std::string key = path.substr(pos, dot - pos);
    if (!cur->is_object() || !cur->contains(key)) return nullptr;
    cur = &(*cur)[key];
    pos = dot + 1;
  }
  return cur;
}

/// Whether the actual value `a` satisfies the expectation.
bool holds(const scenario::Expectation& e, const nlohmann::ordered_json& a) {
  if (a.is_number() && std::holds_alternative<double>(e.want)) {
    const double av = a.get<double>();
    const double wv = std::get<double>(e.want);
    if (e.op == "eq") return av == wv;
    if (e.op == "min") return av >= wv;
    if (e.op == "max") return av <= wv;
    if (e.op == "approx") {
      double tol = 0;
      if (e.abs) tol = std::max(tol, *e.abs);
      if (e.rel) tol = std::max(tol, *e.rel * std::fabs(wv));
      return std::fabs(av - wv) <= tol;
    }
    return false;
  }
  if (a.is_string() && std::holds_alternative<std::string>(e.want))
    return e.op == "eq" && a.get<std::string>() == std::get<std::string>(e.want);
  if (a.is_boolean() && std::holds_alternative<bool>(e.want))
    return e.op == "eq" && a.get<bool>() == std::get<bool>(e.want);
  return false;
}

}  // namespace

bool check_expectations(const scenario::Scenario& s, nlohmann::ordered_json& r) {
  bool passed = true;
  nlohmann::ordered_json ex = nlohmann::ordered_json::array();
  for (const auto& e : s.expect) {
    nlohmann::ordered_json j;
    j["metric"] = e.metric;
    j["op"] = e.op;
    std::visit([&](const auto& v) { j["want"] = v; }, e.want);
    const nlohmann::ordered_json* a = find_metric(r, e.metric);
    bool ok = false;
    if (a) {
      j["actual"] = *a;
      ok = holds(e, *a);
    } else {
      j["actual"] = nullptr;
    }
    j["passed"] = ok;
    passed = passed && ok;
    ex.push_back(j);
  }
  r["expectations"] = ex;
  return passed;
}

}  // namespace rnicsim::sim

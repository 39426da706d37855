#pragma once
/// events.jsonl: every netdev/netevent and iw_cm event that crosses a host/RNIC boundary,
/// one JSON object a line, in simulated-time order.
#include <nlohmann/json.hpp>

#include <string>

#include "model/common/units.h"

namespace rnicsim::host {

class EventLog {
 public:
  /// `direction`: "to_rnic" or "to_host".
  void emit(Duration t, const std::string& host, const char* direction, const char* kind,
            nlohmann::ordered_json fields) {
    nlohmann::ordered_json j;
    j["time_ns"] = t.ps / 1000;
    j["host"] = host;
    j["direction"] = direction;
    j["kind"] = kind;
    for (auto& [k, v] : fields.items()) j[k] = v;
    text_ += j.dump();
    text_ += '\n';
    ++count_;
  }
  const std::string& text() const { return text_; }
  uint64_t count() const { return count_; }

 private:
  std::string text_;
  uint64_t count_ = 0;
};

}  // namespace rnicsim::host

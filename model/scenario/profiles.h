#pragma once
/// Named RNIC parameter sets (`rnic.profile`). Every parameter may be overridden under
/// `rnic:` in a scenario by its name; `rnicsim profiles` prints this table.
#include <string>

#include "model/common/units.h"
#include <vector>

namespace rnicsim::scenario {

enum class ParamKind { Duration, Rate, Size, Count };

struct ProfileParam {
  std::string name;         ///< the key under `rnic:`
  ParamKind kind;
  std::string value;        ///< with its unit, as a scenario would write it
  std::string description;  ///< one line
};

struct Profile {
  std::string name;
  std::string description;
  std::vector<ProfileParam> params;
  /// The PCIe link the RNIC sits on when `rnic.pcie` does not say: one that carries the
  /// line rate's payload both ways (docs/scenarios.md, "RNIC profiles").
  int pcie_gen = 3;
  int pcie_lanes = 8;
  /// The completer's read latency when `rnic.pcie.read_latency` does not say.
  Duration pcie_read_latency = Duration::from_ns(500);
};

/// All profiles, in the order `rnicsim profiles` lists them.
const std::vector<Profile>& profiles();
const Profile* find_profile(const std::string& name);
/// The parameter names that every profile defines (the same set for all of them).
std::vector<std::string> profile_param_names();

}  // namespace rnicsim::scenario

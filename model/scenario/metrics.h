#pragma once
/// Which paths an `expect` may name: the keys of results.json as the stats registry
/// describes them (model/stats; the simulator gives its tree, sim::results_schema), and
/// the ids of this scenario for the keyed levels (hosts.<host>, workloads.<id>.by_size.<bytes>).
#include <string>

#include "model/scenario/scenario.h"
#include "model/stats/stats.h"

namespace rnicsim::scenario {

/// Whether a results.json of this scenario can hold `metric`: ids of this scenario
/// (connection repeat copies `c1_0..c1_<N-1>` as well as the base id) and the keys of
/// `results`; `why` says what is wrong when it cannot.
bool metric_path_valid(const Scenario& s, const stats::Node& results, const std::string& metric,
                       std::string* why = nullptr);

}  // namespace rnicsim::scenario

#pragma once
/// The subcommands of `rnicsim`, each returning the process exit status of
/// scenario-format.md: 0 ran and every check held, 1 a check failed, 2 bad input,
/// 3 the simulator failed, 4 valid but not simulated yet.
#include <string>
#include <vector>

#include "model/scenario/loader.h"
#include "model/scenario/resources.h"
#include "model/sim/simulation.h"

namespace rnicsim::cli {

enum Exit { kOk = 0, kCheckFailed = 1, kBadInput = 2, kSimFailed = 3, kNotSimulated = 4 };

/// `max_memory`: the limit of the memory estimate (model/scenario/resources.h).
int cmd_run(const std::string& file, const sim::RunOptions& o, const std::vector<scenario::Override>& sets,
            const std::string& seed, uint64_t max_memory = scenario::kDefaultMaxMemory);
/// `estimate`: each file's line says its memory estimate in bytes and the largest key.
int cmd_check(const std::vector<std::string>& files, uint64_t max_memory = scenario::kDefaultMaxMemory,
              bool estimate = false);
/// Regression against goldens: `dir` holds one `<stem>.golden` per scenario (cli/golden.h);
/// with `update` they are written instead of compared.
struct GoldenOptions {
  std::string dir;
  bool update = false;
};
int cmd_regress(const std::vector<std::string>& paths, int jobs, const std::string& placement,
                const std::vector<std::string>& sets, const std::string& self, const GoldenOptions& golden = {});
/// `rnicsim pattern`: the bytes of a connection's stream (model/sim/bulk.h), to stdout.
int cmd_pattern(const std::string& conn, const std::string& size, const std::string& seed, const std::string& offset);
int cmd_profiles();
/// Every key of results.json (what an `expect` may name) with its unit and description,
/// in the registry's order; `<host>` and the like stand for the scenario's ids.
int cmd_stats();

}  // namespace rnicsim::cli

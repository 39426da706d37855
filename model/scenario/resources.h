#pragma once
/// What a scenario will cost before it runs: the host memory its workloads' buffers,
/// regions and connections will touch, and the region table entries each RNIC must hold.
/// `check` and `run` refuse, at the key that causes it, a scenario that needs more memory
/// than the limit (`--max-memory`, default 4 GiB) or more regions than an RNIC's table
/// holds (`max_regions`), so that no such file ends in an allocation failure mid-run.
///
/// The memory figure counts what the model writes, not what it could address: each buffer
/// is `size x min(depth, count)` bytes of pages written (a slot no operation uses is
/// never touched), a target's guard bytes cost no page (model/mem/host_memory.h), and
/// verification regenerates patterns instead of storing copies. The TCP buffers' maxima
/// are not counted (they fill only as far as a window's worth of data in flight). Plain
/// C++, no SystemC.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/common/units.h"
#include "model/scenario/loader.h"
#include "model/scenario/scenario.h"

namespace rnicsim::scenario {

/// `--max-memory` when not given.
constexpr uint64_t kDefaultMaxMemory = 4 * GiB;
/// The largest message or transfer size a workload may name (1 TiB): beyond any memory
/// limit a run could have, and small enough that sizes, depths and copies multiply
/// without overflow.
constexpr uint64_t kMaxWorkloadSize = uint64_t{1} << 40;

/// The estimate: bytes in all, and the key whose share is the largest.
struct MemoryEstimate {
  uint64_t bytes = 0;
  std::string key;        ///< a key path (`workloads[0].size`, `connections[2].repeat`)
  Loc loc;                ///< where that key was written (else its item's)
  uint64_t key_bytes = 0; ///< that key's share
};

/// Memory of the process beyond its fixed baseline (the program and SystemC, before any
/// scenario is built), with the largest contributor.
MemoryEstimate estimate_memory(const Scenario& s);

/// The error at the largest contributor when the estimate exceeds `limit`, else nothing.
std::optional<Diagnostic> check_memory(const Scenario& s, uint64_t limit);

/// `1.5 GiB`, `640 MiB`, `12 KiB`: a figure for messages.
std::string format_bytes(uint64_t bytes);

namespace detail {
struct Ctx;
/// Sizes within kMaxWorkloadSize and every RNIC's region table large enough for the
/// regions its workloads register (`max_regions`), each error at the key that goes past.
void check_resources(Ctx& c, const Scenario& s);
}  // namespace detail

}  // namespace rnicsim::scenario

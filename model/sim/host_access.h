#pragma once
/// The workloads' access to host memory as an application has it: bytes at virtual
/// addresses of a buffer, page by page, and the key that names a workload's operations.
/// Shared by the operation runners (workload.cpp) and the latency runners (latency.cpp).
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "model/common/rng.h"
#include "model/mem/host_memory.h"
#include "model/sim/workload.h"

namespace rnicsim::sim {

inline uint64_t workload_key(const std::string& id, uint32_t copy) { return hash_name(id) ^ (uint64_t{copy} << 48); }

/// Copies between a host buffer in virtual addresses and the application.
inline void write_virt(host::HostMemory& m, const host::VirtBuffer& b, uint64_t va, const uint8_t* src, uint64_t n) {
  for (uint64_t off = 0; off < n;) {
    const uint64_t k = std::min<uint64_t>(n - off, host::HostMemory::kPage - (va + off) % host::HostMemory::kPage);
    m.write(b.pa(va + off), src + off, k);
    off += k;
  }
}
inline void read_virt(host::HostMemory& m, const host::VirtBuffer& b, uint64_t va, uint8_t* dst, uint64_t n) {
  for (uint64_t off = 0; off < n;) {
    const uint64_t k = std::min<uint64_t>(n - off, host::HostMemory::kPage - (va + off) % host::HostMemory::kPage);
    m.read(b.pa(va + off), dst + off, k);
    off += k;
  }
}
inline void fill_guard(host::HostMemory& m, const host::VirtBuffer& b, uint64_t va, uint64_t n) {
  const std::vector<uint8_t> g(n, kGuardByte);
  write_virt(m, b, va, g.data(), n);
}

}  // namespace rnicsim::sim

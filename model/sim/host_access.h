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
/// Calls `fn(pa, offset, k)` for each piece of [va, va + n) that lies within one page.
template <class F>
void each_piece(const host::VirtBuffer& b, uint64_t va, uint64_t n, F fn) {
  for (uint64_t off = 0; off < n;) {
    const uint64_t k = std::min<uint64_t>(n - off, host::HostMemory::kPage - (va + off) % host::HostMemory::kPage);
    fn(b.pa(va + off), off, k);
    off += k;
  }
}
/// The application's guard byte over [va, va + n); whole pages give their memory back.
inline void fill_guard(host::HostMemory& m, const host::VirtBuffer& b, uint64_t va, uint64_t n) {
  each_piece(b, va, n, [&](uint64_t pa, uint64_t, uint64_t k) { m.fill(pa, kGuardByte, k); });
}
/// Writes the pattern of one operation (fill_pattern) at [va, va + n), a page at a time,
/// straight into host memory: no copy of the message is made.
inline void write_pattern(host::HostMemory& m, const host::VirtBuffer& b, uint64_t va, uint64_t seed, uint64_t key,
                          uint64_t n) {
  each_piece(b, va, n, [&](uint64_t pa, uint64_t off, uint64_t k) {
    fill_pattern_at(seed, key, off, m.bytes_at(pa, k == host::HostMemory::kPage), k);
  });
}
/// True when [va, va + n) holds the pattern of one operation, compared a page at a time
/// in place against the pattern regenerated (no stored copy).
/// `from`: the pattern's offset at `va` (a message placed in pieces).
inline bool holds_pattern(host::HostMemory& m, const host::VirtBuffer& b, uint64_t va, uint64_t seed, uint64_t key,
                          uint64_t n, uint64_t from = 0) {
  bool ok = true;
  each_piece(b, va, n, [&](uint64_t pa, uint64_t off, uint64_t k) {
    if (!ok) return;
    if (const uint8_t* got = m.held(pa)) {
      ok = pattern_matches(seed, key, from + off, got, k);
    } else {  // a page of one byte value: as the pattern would be only by chance
      uint8_t want[host::HostMemory::kPage];
      fill_pattern_at(seed, key, from + off, want, k);
      const uint8_t c = m.fill_byte(pa);
      ok = std::all_of(want, want + k, [c](uint8_t x) { return x == c; });
    }
  });
  return ok;
}

}  // namespace rnicsim::sim

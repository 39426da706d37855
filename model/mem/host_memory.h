#pragma once
/// Host physical memory: sparse 4 KiB pages, so a large address space costs only what is
/// touched. Pages are handed out in a seeded random physical order, as a real allocator
/// scatters them, so every region needs a real page list.
///
/// It sits in a folder of its own below both the hardware (the RNIC's DMA, engine and
/// placement read and write it) and the host (which allocates buffers in it), so neither
/// has to include the other. The namespace stays `host`: it is the host's memory.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/common/rng.h"

namespace rnicsim::host {

class HostMemory {
 public:
  static constexpr uint64_t kPage = 4096;
  HostMemory(uint64_t seed, const std::string& name) : rng_(seed, name + ".memory") {}

  /// `n` free physical pages, in a scattered order.
  std::vector<uint64_t> alloc_pages(uint64_t n) {
    std::vector<uint64_t> pages(n);
    for (auto& p : pages) {
      // Pick from a window ahead of the bump pointer so neighbours are rarely adjacent.
      p = (next_frame_ + (rng_.next() % 64) * 0x100000ull) * kPage;
      while (used_.count(p)) p += kPage;
      used_[p] = true;
      ++next_frame_;
    }
    return pages;
  }

  void write(uint64_t pa, const uint8_t* src, uint64_t len) {
    while (len > 0) {
      const uint64_t off = pa % kPage;
      const uint64_t n = std::min(len, kPage - off);
      std::memcpy(page(pa - off) + off, src, n);
      pa += n;
      src += n;
      len -= n;
    }
  }
  void read(uint64_t pa, uint8_t* dst, uint64_t len) {
    while (len > 0) {
      const uint64_t off = pa % kPage;
      const uint64_t n = std::min(len, kPage - off);
      std::memcpy(dst, page(pa - off) + off, n);
      pa += n;
      dst += n;
      len -= n;
    }
  }
  /// The bytes from `pa` to the end of its page, in place (valid while the memory lives).
  const uint8_t* view(uint64_t pa) {
    const uint64_t off = pa % kPage;
    return page(pa - off) + off;
  }
  uint64_t pages_touched() const { return pages_.size(); }

 private:
  uint8_t* page(uint64_t base) {
    auto& p = pages_[base];
    if (!p) {
      p = std::make_unique<uint8_t[]>(kPage);
      std::memset(p.get(), 0, kPage);
    }
    return p.get();
  }
  Rng rng_;
  uint64_t next_frame_ = 0x100;  ///< first frame above 1 MiB
  std::unordered_map<uint64_t, bool> used_;
  std::unordered_map<uint64_t, std::unique_ptr<uint8_t[]>> pages_;
};

/// A buffer in a process's virtual address space, backed by scattered physical pages.
struct VirtBuffer {
  uint64_t va = 0;
  uint64_t length = 0;
  std::vector<uint64_t> pages;  ///< physical page of each 4 KiB of [va & ~4095, ...)
  uint64_t pa(uint64_t addr) const {
    const uint64_t base = va & ~(HostMemory::kPage - 1);
    return pages[(addr - base) / HostMemory::kPage] + (addr % HostMemory::kPage);
  }
};

}  // namespace rnicsim::host

#pragma once
/// Host physical memory: sparse 4 KiB pages, so a large address space costs only what is
/// written. A page that holds one byte value throughout (zero when allocated, or the value
/// `fill` gave it) is kept as that byte alone: reading it costs nothing, and filling a
/// whole page gives its memory back. Pages are handed out in a seeded random physical order, as a real allocator
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
      used_[p] = 0;
      ++next_frame_;
    }
    return pages;
  }

  /// `n` physically contiguous free pages (as dma_alloc_coherent gives a driver for its
  /// rings): the first one's address. They come from a region of their own, above the
  /// scattered pages' window, in order, so they draw nothing from the seeded order.
  uint64_t alloc_contiguous(uint64_t n) {
    const uint64_t base = next_coherent_ * kPage;
    for (uint64_t k = 0; k < n; ++k) used_[base + k * kPage] = 0;
    next_coherent_ += n;
    return base;
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
      if (const uint8_t* p = held(pa)) std::memcpy(dst, p, n);
      else std::memset(dst, fill_byte(pa), n);
      pa += n;
      dst += n;
      len -= n;
    }
  }
  /// The bytes from `pa` to the end of its page, in place (valid while the memory lives).
  const uint8_t* view(uint64_t pa) { return bytes_at(pa); }
  /// The bytes from `pa` to the end of its page, in place and writable (valid while the
  /// memory lives). `whole`: the caller writes the whole page before reading any of it,
  /// so a page made for it is not first set to its fill byte.
  uint8_t* bytes_at(uint64_t pa, bool whole = false) {
    const uint64_t off = pa % kPage;
    return page(pa - off, whole && off == 0) + off;
  }
  /// The page holding `pa` in place, from `pa` on, or nullptr when the page is not held
  /// (it reads as fill_byte(pa) throughout). Allocates nothing.
  const uint8_t* held(uint64_t pa) const {
    const uint64_t off = pa % kPage;
    const auto it = pages_.find(pa - off);
    return it == pages_.end() ? nullptr : it->second.get() + off;
  }
  /// The byte every byte of a page not held reads as.
  uint8_t fill_byte(uint64_t pa) const { return fill_of(pa - pa % kPage); }
  /// `len` bytes from `pa` set to `byte`; a page set whole is kept as that byte alone.
  void fill(uint64_t pa, uint8_t byte, uint64_t len) {
    while (len > 0) {
      const uint64_t off = pa % kPage;
      const uint64_t n = std::min(len, kPage - off);
      if (n == kPage) {
        if (const auto it = pages_.find(pa); it != pages_.end()) {
          if (spare_.size() < kSpares) spare_.push_back(std::move(it->second));
          pages_.erase(it);
        }
        used_[pa] = byte;
      } else {
        std::memset(page(pa - off) + off, byte, n);
      }
      pa += n;
      len -= n;
    }
  }
  /// True when every one of `len` bytes from `pa` holds `byte` (nothing is allocated to see).
  bool all(uint64_t pa, uint8_t byte, uint64_t len) const {
    while (len > 0) {
      const uint64_t off = pa % kPage;
      const uint64_t n = std::min(len, kPage - off);
      if (const uint8_t* p = held(pa)) {
        if (std::any_of(p, p + n, [byte](uint8_t x) { return x != byte; })) return false;
      } else if (fill_byte(pa) != byte) {
        return false;
      }
      pa += n;
      len -= n;
    }
    return true;
  }
  /// Pages that hold more than one byte value (those that cost a page of memory).
  uint64_t pages_touched() const { return pages_.size(); }

 private:
  /// `whole`: the caller overwrites the page, so a new one need not hold its fill byte.
  uint8_t* page(uint64_t base, bool whole = false) {
    auto& p = pages_[base];
    if (!p) {
      if (spare_.empty()) {
        p.reset(new uint8_t[kPage]);  // uninitialised: set below or overwritten whole
      } else {
        p = std::move(spare_.back());
        spare_.pop_back();
      }
      if (!whole) std::memset(p.get(), fill_of(base), kPage);
    }
    return p.get();
  }
  /// The byte a page not held in memory reads as.
  uint8_t fill_of(uint64_t base) const {
    const auto it = used_.find(base);
    return it == used_.end() ? 0 : it->second;
  }
  Rng rng_;
  uint64_t next_frame_ = 0x100;  ///< first frame above 1 MiB
  /// Contiguous allocations from 1 TiB: above every scattered page (whose window ends
  /// 64 x 1 MiB frames past the bump pointer, 256 GiB).
  uint64_t next_coherent_ = uint64_t{1} << 28;
  std::unordered_map<uint64_t, uint8_t> used_;  ///< allocated page -> its byte while not held
  std::unordered_map<uint64_t, std::unique_ptr<uint8_t[]>> pages_;
  /// Pages given back by a whole-page fill, kept for the next page made (a workload
  /// refills and rewrites its buffers every operation): no allocation per page then.
  static constexpr size_t kSpares = 256;
  std::vector<std::unique_ptr<uint8_t[]>> spare_;
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

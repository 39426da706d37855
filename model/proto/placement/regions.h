#pragma once
/// RFC 5042 memory protection for tagged placement: the region table (STag = 24-bit index
/// and 8-bit key), the checks in the one order the model and the RTL share
/// (protocol-facts.md, siw's siw_check_mem), and VA-to-physical translation through a
/// 4 KiB page list in any physical order.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "model/wire/ddp_rdmap.h"

namespace rnicsim::placement {

constexpr uint64_t kPageSize = 4096;

/// Access rights of a region (a subset of the verbs flags).
namespace access {
constexpr uint32_t kLocalWrite = 1u << 0;
constexpr uint32_t kRemoteWrite = 1u << 1;
constexpr uint32_t kRemoteRead = 1u << 2;
constexpr uint32_t kRemoteAtomic = 1u << 3;
}  // namespace access

struct Region {
  bool valid = false;
  bool invalidated = false;
  uint8_t key = 0;
  uint32_t pd = 0;
  uint32_t access = 0;
  uint64_t base_va = 0;
  uint64_t length = 0;
  std::vector<uint64_t> pages;  ///< physical address of each 4 KiB page, in VA order
};

/// Why a check failed, before it is named by the layer that asks (see to_term_code).
enum class CheckFailure { None, InvalidStag, PdMismatch, AccessRights, ToWrap, Bounds };
const char* to_string(CheckFailure f);

/// The operation whose sink or source is checked: it decides which Terminate a failure
/// becomes (protocol-facts.md, "Which Terminate for which violation").
enum class TaggedUse { WriteSink, ReadResponseSink, ReadSource };
wire::TermCode to_term_code(CheckFailure f, TaggedUse use);
/// The right a use needs: remote write (Write sink), remote read (Read source), local
/// write (Read Response sink).
uint32_t required_access(TaggedUse use);

inline uint32_t stag_index(uint32_t stag) { return stag >> 8; }
inline uint8_t stag_key(uint32_t stag) { return static_cast<uint8_t>(stag & 0xFF); }
inline uint32_t make_stag(uint32_t index, uint8_t key) { return (index << 8) | key; }

class RegionTable {
 public:
  explicit RegionTable(uint32_t entries) : regions_(entries) {}
  uint32_t entries() const { return static_cast<uint32_t>(regions_.size()); }
  /// Registers a region at a free index; returns its STag, or nullopt when the table is full.
  std::optional<uint32_t> add(Region r);
  /// Local or remote invalidation: the STag stays allocated but fails the check.
  bool invalidate(uint32_t stag);
  const Region* find(uint32_t stag) const;

  /// The checks in order: STag valid, PD, access, TO wrap, bounds.
  CheckFailure check(uint32_t stag, uint64_t to, uint64_t len, uint32_t qp_pd,
                     uint32_t required_access) const;
  /// Calls f(physical_address, length, offset_in_request) per page piece of [to, to+len);
  /// the range must have passed check().
  template <class F>
  void translate(uint32_t stag, uint64_t to, uint64_t len, F&& f) const {
    const Region& r = regions_[stag_index(stag)];
    const uint64_t first_page_va = r.base_va & ~(kPageSize - 1);
    uint64_t done = 0;
    while (done < len) {
      const uint64_t va = to + done;
      const uint64_t page = (va - first_page_va) / kPageSize;
      const uint64_t in_page = va & (kPageSize - 1);
      const uint64_t n = std::min(len - done, kPageSize - in_page);
      f(r.pages[page] + in_page, n, done);
      done += n;
    }
  }

 private:
  std::vector<Region> regions_;
  uint32_t next_index_ = 1;  ///< index 0 stays unused: STag 0 is never valid here
  uint8_t next_key_ = 0x5A;
};

}  // namespace rnicsim::placement

#include "model/proto/placement/regions.h"

#include <cstdint>

namespace rnicsim::placement {

const char* to_string(CheckFailure f) {
  switch (f) {
    case CheckFailure::None: return "none";
    case CheckFailure::InvalidStag: return "invalid STag";
    case CheckFailure::PdMismatch: return "STag of another protection domain";
    case CheckFailure::AccessRights: return "access rights";
    case CheckFailure::ToWrap: return "tagged offset wrap";
    case CheckFailure::Bounds: return "base or bounds";
  }
  return "?";
}

uint32_t required_access(TaggedUse use) {
  switch (use) {
    case TaggedUse::WriteSink: return access::kRemoteWrite;
    case TaggedUse::ReadSource: return access::kRemoteRead;
    case TaggedUse::ReadResponseSink: return access::kLocalWrite;
  }
  return 0;
}

wire::TermCode to_term_code(CheckFailure f, TaggedUse use) {
  using namespace wire::term;
  const bool sink = use != TaggedUse::ReadSource;
  switch (f) {
    case CheckFailure::None: return {};
    case CheckFailure::InvalidStag: return sink ? DdpTaggedInvalidStag : RdmapInvalidStag;
    case CheckFailure::PdMismatch: return sink ? DdpTaggedStagNotAssociated : RdmapStagNotAssociated;
    case CheckFailure::AccessRights: return RdmapAccessRights;
    case CheckFailure::ToWrap: return sink ? DdpTaggedToWrap : RdmapToWrap;
    case CheckFailure::Bounds: return sink ? DdpTaggedBaseBounds : RdmapBaseBounds;
  }
  return {};
}

std::optional<uint32_t> RegionTable::add(Region r) {
  for (uint32_t tries = 0; tries < regions_.size(); ++tries) {
    const uint32_t idx = next_index_;
    next_index_ = next_index_ + 1 >= regions_.size() ? 1 : next_index_ + 1;
    if (idx == 0 || regions_[idx].valid) continue;
    r.valid = true;
    r.invalidated = false;
    r.key = next_key_;
    next_key_ = static_cast<uint8_t>(next_key_ * 5 + 1);  // keys vary, as consumer keys do
    regions_[idx] = std::move(r);
    return make_stag(idx, regions_[idx].key);
  }
  return std::nullopt;
}

bool RegionTable::invalidate(uint32_t stag) {
  const uint32_t idx = stag_index(stag);
  if (idx >= regions_.size() || !regions_[idx].valid || regions_[idx].key != stag_key(stag))
    return false;
  regions_[idx].invalidated = true;
  return true;
}

const Region* RegionTable::find(uint32_t stag) const {
  const uint32_t idx = stag_index(stag);
  if (idx >= regions_.size() || !regions_[idx].valid) return nullptr;
  return &regions_[idx];
}

CheckFailure RegionTable::check(uint32_t stag, uint64_t to, uint64_t len, uint32_t qp_pd,
                                uint32_t required_access) const {
  const uint32_t idx = stag_index(stag);
  if (idx >= regions_.size()) return CheckFailure::InvalidStag;
  const Region& r = regions_[idx];
  if (!r.valid || r.key != stag_key(stag) || r.invalidated) return CheckFailure::InvalidStag;
  if (r.pd != qp_pd) return CheckFailure::PdMismatch;
  if ((r.access & required_access) != required_access) return CheckFailure::AccessRights;
  // The last byte, to + len - 1, must not pass 2^64 - 1.
  if (len > 0 && len - 1 > UINT64_MAX - to) return CheckFailure::ToWrap;
  // Bounds without overflow: to >= base and to + len <= base + length.
  if (to < r.base_va || to - r.base_va > r.length || len > r.length - (to - r.base_va))
    return CheckFailure::Bounds;
  return CheckFailure::None;
}

}  // namespace rnicsim::placement

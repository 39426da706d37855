#include "model/proto/ddp/tagged.h"

namespace rnicsim::ddp {

TaggedVerdict check_tagged(const placement::RegionTable& t, uint32_t stag, uint64_t to, uint64_t len,
                           uint32_t pd, placement::TaggedUse use) {
  return check_tagged(t, stag, to, len, pd, placement::required_access(use), use);
}

TaggedVerdict check_tagged(const placement::RegionTable& t, uint32_t stag, uint64_t to, uint64_t len,
                           uint32_t pd, uint32_t required_access, placement::TaggedUse use) {
  TaggedVerdict v;
  v.failure = t.check(stag, to, len, pd, required_access);
  v.error = placement::to_term_code(v.failure, use);
  return v;
}

placement::CheckFailure failure_of(wire::TermCode code, placement::TaggedUse use) {
  using placement::CheckFailure;
  for (auto f : {CheckFailure::InvalidStag, CheckFailure::PdMismatch, CheckFailure::AccessRights,
                 CheckFailure::ToWrap, CheckFailure::Bounds})
    if (placement::to_term_code(f, use) == code) return f;
  return CheckFailure::InvalidStag;
}

std::optional<wire::TermCode> check_version(const wire::DdpHeader& h) {
  if (h.ddp_version == wire::kDdpVersion) return std::nullopt;
  return h.tagged ? wire::term::DdpTaggedBadVersion : wire::term::DdpUntaggedBadVersion;
}

}  // namespace rnicsim::ddp

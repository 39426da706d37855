#include "model/proto/ddp/untagged.h"

namespace rnicsim::ddp {

UntaggedVerdict check_untagged(const wire::DdpHeader& h, uint64_t payload_len, const UntaggedQueue& q,
                               const UntaggedBuffers& b) {
  using namespace wire::term;
  auto fail = [](wire::TermCode c) { return UntaggedVerdict{false, c}; };
  if (h.ddp_version != wire::kDdpVersion) return fail(DdpUntaggedBadVersion);
  if (h.qn >= kQueues) return fail(DdpUntaggedInvalidQn);
  if (h.msn != q.msn) return fail(DdpUntaggedMsnRange);
  if (b.available == 0) return fail(DdpUntaggedNoBuffer);
  if (h.mo != q.mo) return fail(DdpUntaggedInvalidMo);
  if (payload_len > b.length || h.mo > b.length - payload_len) return fail(DdpUntaggedMessageTooLong);
  return {};
}

void advance(UntaggedQueue& q, const wire::DdpHeader& h, uint64_t payload_len) {
  if (h.last) {
    ++q.msn;
    q.mo = 0;
  } else {
    q.mo = static_cast<uint32_t>(q.mo + payload_len);
  }
}

}  // namespace rnicsim::ddp

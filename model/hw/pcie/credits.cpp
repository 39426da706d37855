#include "model/hw/pcie/credits.h"

#include <algorithm>
#include <cassert>

namespace rnicsim::hw::pcie {

bool CreditPool::fits(uint64_t header, uint64_t data) const {
  const bool h = limit_.header == 0 || hdr_used_ + header <= limit_.header;
  const bool d = limit_.data == 0 || data_used_ + data <= limit_.data;
  return h && d;
}

void CreditPool::release_until(Duration t) {
  while (!returns_.empty() && returns_.top().at <= t) {
    hdr_used_ -= returns_.top().header;
    data_used_ -= returns_.top().data;
    returns_.pop();
  }
}

Duration CreditPool::available_at(Duration t, uint64_t header, uint64_t data) {
  assert((limit_.header == 0 || header <= limit_.header) && (limit_.data == 0 || data <= limit_.data) &&
         "a TLP needs more credits than the receiver advertises");
  release_until(t);
  while (!fits(header, data)) {
    assert(!returns_.empty() && "credits in use with no return scheduled");
    t = std::max(t, returns_.top().at);
    release_until(t);
  }
  return t;
}

void CreditPool::consume(Duration t, uint64_t header, uint64_t data, Duration returned) {
  release_until(t);
  assert(fits(header, data) && "credits taken that available_at did not grant");
  hdr_used_ += header;
  data_used_ += data;
  returns_.push({returned, header, data});
}

}  // namespace rnicsim::hw::pcie

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
  while (head_ < returns_.size() && returns_[head_].at <= t) {
    hdr_used_ -= returns_[head_].header;
    data_used_ -= returns_[head_].data;
    ++head_;
  }
  if (head_ == returns_.size()) {
    returns_.clear();
    head_ = 0;
  } else if (head_ >= 256 && head_ * 2 >= returns_.size()) {
    returns_.erase(returns_.begin(), returns_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

int64_t CreditPool::earliest(Duration t, uint64_t header, uint64_t data) {
  assert((limit_.header == 0 || header <= limit_.header) && (limit_.data == 0 || data <= limit_.data) &&
         "a TLP needs more credits than the receiver advertises");
  release_until(t);
  if (fits(header, data)) return t.ps;
  // Walk the later returns without taking them: the caller may ask again for an earlier
  // instant before it takes anything.
  uint64_t h = hdr_used_, d = data_used_;
  for (size_t i = head_; i < returns_.size(); ++i) {
    const Return& r = returns_[i];
    h -= r.header;
    d -= r.data;
    if ((limit_.header == 0 || h + header <= limit_.header) && (limit_.data == 0 || d + data <= limit_.data))
      return std::max(t, r.at).ps;
  }
  return -1;  // the rest return at times not known yet
}

void CreditPool::take(Duration t, uint64_t header, uint64_t data) {
  release_until(t);
  assert(fits(header, data) && "credits taken that available_at did not grant");
  hdr_used_ += header;
  data_used_ += data;
}

void CreditPool::give_back(uint64_t header, uint64_t data, Duration returned) {
  if (tracked()) {
    const Return r{returned, header, data};
    if (head_ == returns_.size() || !(r < returns_.back())) returns_.push_back(r);
    else  // after equal times
      returns_.insert(std::upper_bound(returns_.begin() + static_cast<std::ptrdiff_t>(head_), returns_.end(), r), r);
  }
  else {
    hdr_used_ -= header;
    data_used_ -= data;
  }
}

void CreditPool::consume(Duration t, uint64_t header, uint64_t data, Duration returned) {
  take(t, header, data);
  give_back(header, data, returned);
}

}  // namespace rnicsim::hw::pcie

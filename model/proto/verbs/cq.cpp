#include "model/proto/verbs/cq.h"

#include <stdexcept>

#include "model/wire/verbs.h"

namespace rnicsim::verbs {

CqRing::CqRing(uint64_t base, uint32_t depth, uint32_t slot_size) : base_(base), depth_(depth), slot_size_(slot_size) {
  if (depth == 0) throw std::invalid_argument("CqRing: depth 0");
  if (slot_size < wire::kCqeLen) throw std::invalid_argument("CqRing: a slot smaller than a CQE");
}

uint64_t CqRing::slot_address(uint64_t index) const { return base_ + (index % depth_) * slot_size_; }

CqRing::Produced CqRing::produce() {
  Produced p;
  if (overflowed() || full()) {
    ++overflows_;
    return p;
  }
  p.status = Status::Ok;
  p.index = producer_++;
  p.addr = slot_address(p.index);
  p.phase = phase_of(p.index);
  return p;
}

bool CqRing::set_consumer(uint64_t c) {
  if (c < consumer_ || c > producer_) return false;
  consumer_ = c;
  return true;
}

}  // namespace rnicsim::verbs

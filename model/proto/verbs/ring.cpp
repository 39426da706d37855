#include "model/proto/verbs/ring.h"

#include <algorithm>
#include <stdexcept>

namespace rnicsim::verbs {

Ring::Ring(uint64_t base, uint32_t depth, uint32_t slot_size) : base_(base), depth_(depth), slot_size_(slot_size) {
  if (depth == 0) throw std::invalid_argument("Ring: depth 0");
  if (slot_size == 0) throw std::invalid_argument("Ring: slot size 0");
}

bool Ring::produce(uint32_t n) {
  if (n > free_slots()) return false;
  producer_ += n;
  return true;
}

bool Ring::set_producer(uint64_t p) {
  if (p < producer_ || p - consumer_ > depth_) return false;
  producer_ = p;
  return true;
}

bool Ring::consume(uint32_t n) {
  if (n > used()) return false;
  consumer_ += n;
  return true;
}

bool Ring::set_consumer(uint64_t c) {
  if (c < consumer_ || c > producer_) return false;
  consumer_ = c;
  return true;
}

std::vector<ByteRange> Ring::fetch_plan(uint64_t consumer, uint64_t producer, uint64_t max_bytes) const {
  if (producer < consumer) throw std::invalid_argument("Ring::fetch_plan: producer before consumer");
  if (producer - consumer > depth_) throw std::invalid_argument("Ring::fetch_plan: more slots than the depth");
  if (max_bytes < slot_size_) throw std::invalid_argument("Ring::fetch_plan: max_bytes under one slot");
  const uint64_t per_read = max_bytes / slot_size_;  // whole slots per read
  std::vector<ByteRange> plan;
  uint64_t i = consumer;
  while (i < producer) {
    const uint64_t to_end = depth_ - i % depth_;  // slots before the ring wraps
    const uint64_t n = std::min({producer - i, to_end, per_read});
    plan.push_back({slot_address(i), n * slot_size_});
    i += n;
  }
  return plan;
}

}  // namespace rnicsim::verbs

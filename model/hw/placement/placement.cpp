#include "model/hw/placement/placement.h"

#include <algorithm>

namespace rnicsim::hw {

PlacementUnit::PlacementUnit(sc_core::sc_module_name name, const PlacementConfig& cfg, Dma& dma,
                             host::HostMemory& mem)
    : sc_module(name), cfg_(cfg), dma_(dma), mem_(mem), table_(cfg.regions) {}

std::optional<uint32_t> PlacementUnit::add_region(placement::Region r) {
  return table_.add(std::move(r));
}

bool PlacementUnit::invalidate(uint32_t stag) { return table_.invalidate(stag); }

PlaceResult PlacementUnit::place(uint32_t pd, uint32_t stag, uint64_t to, ConstByteSpan payload,
                                 placement::TaggedUse use) {
  PlaceResult r;
  ++stats_.segments;
  const uint32_t required = use == placement::TaggedUse::ReadSource ? placement::access::kRemoteRead
                            : use == placement::TaggedUse::WriteSink ? placement::access::kRemoteWrite
                                                                     : placement::access::kLocalWrite;
  const uint64_t beats = (payload.size() + cfg_.beat_bytes - 1) / cfg_.beat_bytes;
  const Duration start = std::max(sim_now(), busy_until_);
  busy_until_ = start + cfg_.clock_period * static_cast<int64_t>(cfg_.cycles_per_segment + beats);
  r.failure = table_.check(stag, to, payload.size(), pd, required);
  if (r.failure != placement::CheckFailure::None) {
    ++stats_.violations;
    r.error = placement::to_term_code(r.failure, use);
    r.done = busy_until_;
    return r;
  }
  Duration done = busy_until_;
  table_.translate(stag, to, payload.size(), [&](uint64_t pa, uint64_t n, uint64_t off) {
    mem_.write(pa, payload.data() + off, n);
    done = std::max(done, dma_.write(n));
  });
  stats_.bytes += payload.size();
  r.done = done;
  return r;
}

}  // namespace rnicsim::hw

#include "model/hw/link/link.h"
#include "model/wire/frame_fcs.h"

namespace rnicsim::hw {

Link::Link(sc_core::sc_module_name name, const LinkConfig& cfg, uint64_t seed)
    : sc_module(name), cfg_(cfg), rng_(seed, std::string("link.") + cfg.name), agenda_(basename()) {}

void Link::transmit(int end, FramePtr f, Duration serialisation) {
  ++stats_.frames;
  if (!up_) {
    ++stats_.drops;
    ++stats_.down_drops;
    return;
  }
  if (rng_.chance(cfg_.loss[end])) {
    ++stats_.drops;
    return;
  }
  if (rng_.chance(cfg_.corrupt[end])) {
    ++stats_.corrupted;
    // A bit error on the wire: the receiving MAC's FCS check will catch it. The frame is
    // shared with the sender's taps, so the damaged copy is a new frame.
    FramePtr bad = agenda_.frames().copy(*f);
    wire::unseal_fcs(*bad);  // the FCS the sender computed, over the bytes it sent
    const size_t pos = static_cast<size_t>(rng_.next() % bad->bytes.size());
    bad->bytes[pos] ^= static_cast<uint8_t>(1u << (rng_.next() % 8));
    f = std::move(bad);
  }
  Duration when = serialisation + cfg_.delay;
  if (rng_.chance(cfg_.reorder[end])) {
    ++stats_.reordered;
    when = when + serialisation * 2;
  }
  FrameSink* dst = ends_[1 - end];
  agenda_.after(when, [dst, f = std::move(f)] { dst->receive(f); });
}

void Link::set_faults(const double loss[2], const double reorder[2], const double corrupt[2]) {
  for (int d = 0; d < 2; ++d) {
    cfg_.loss[d] = loss[d];
    cfg_.reorder[d] = reorder[d];
    cfg_.corrupt[d] = corrupt[d];
  }
}

}  // namespace rnicsim::hw

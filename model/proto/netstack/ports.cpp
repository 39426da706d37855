#include "model/proto/netstack/ports.h"

namespace rnicsim::netstack {

bool PortSpace::reserve(uint16_t port) {
  if (!taken_.insert(port).second) {
    ++conflicts_;
    return false;
  }
  return true;
}

uint16_t PortSpace::ephemeral() {
  const uint32_t span = uint32_t{cfg_.ephemeral_high} - cfg_.ephemeral_low + 1;
  for (uint32_t i = 0; i < span; ++i) {
    const uint16_t p = next_;
    next_ = p == cfg_.ephemeral_high ? cfg_.ephemeral_low : static_cast<uint16_t>(p + 1);
    if (!reserved(p)) return p;
  }
  return 0;
}

}  // namespace rnicsim::netstack

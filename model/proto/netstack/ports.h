#pragma once
/// A host's local TCP port space: ports bound by its own sockets and, with a shared port
/// space, the ports of its offloaded connections (the port mapper reserves them), and the
/// ephemeral ports handed to connections that name none.
#include <cstdint>
#include <set>

namespace rnicsim::netstack {

struct PortConfig {
  /// Linux's ip_local_port_range default: 32768 60999.
  uint16_t ephemeral_low = 32768, ephemeral_high = 60999;
};

class PortSpace {
 public:
  explicit PortSpace(const PortConfig& cfg = {}) : cfg_(cfg), next_(cfg.ephemeral_low) {}

  /// Binds `port`; false (and one more conflict) when it is taken.
  bool reserve(uint16_t port);
  void release(uint16_t port) { taken_.erase(port); }
  bool reserved(uint16_t port) const { return taken_.count(port) != 0; }
  /// The next free ephemeral port, in order from the last one handed out, wrapping within
  /// the range; 0 when every one is taken. The caller binds it (reserve) if it must.
  uint16_t ephemeral();
  uint64_t conflicts() const { return conflicts_; }

 private:
  PortConfig cfg_;
  std::set<uint16_t> taken_;
  uint16_t next_;
  uint64_t conflicts_ = 0;
};

}  // namespace rnicsim::netstack

#pragma once
/// The host's own (software) TCP: the sockets of `kind: tcp` connections. It runs the same
/// tcp::Connection as the RNIC's offload engine, inside a second instance of the engine's
/// connection table (hw::Toe) configured with software timing: every segment sent or
/// received costs `segment_cost` of one CPU, one segment at a time. Its frames share the
/// port with the RNIC (type 7: one MAC, one IP); the RNIC hands it every segment that is
/// not for an offloaded connection, and it answers segments for no socket with RST.
#include <functional>
#include <map>
#include <memory>

#include "model/hw/toe/toe.h"
#include "model/proto/netstack/path.h"

namespace rnicsim::host {

/// What the host's TCP asks of the host's network stack.
class SoftTcpNet {
 public:
  virtual ~SoftTcpNet() = default;
  /// The route and neighbour handles toward `dst` (no neighbour when its next hop has no
  /// entry yet).
  virtual netstack::Path path(wire::Ipv4Addr dst) const = 0;
  /// Calls `cb` with the neighbour's MAC once it is valid (at once when it is), 0 on failure.
  virtual void when_resolved(wire::Ipv4Addr next_hop, std::function<void(wire::MacAddr)> cb) = 0;
};

struct SoftTcpConfig {
  Duration segment_cost = Duration::from_ns(500);  ///< CPU time per segment, tx or rx
};

class SoftTcp {
 public:
  SoftTcp(const SoftTcpConfig& cfg, hw::Mac& mac, wire::MacAddr mac_addr, SoftTcpNet& net, uint64_t seed);

  /// A listening socket: each SYN on `port` is accepted with the client `accept` returns.
  void listen(uint16_t port, const tcp::Config& cfg,
              std::function<hw::ToeClient*(uint32_t conn)> accept);
  /// An active open toward a destination whose next hop the caller has resolved; the
  /// connection keeps the route and neighbour handles.
  uint32_t connect(const hw::FourTuple& t, const tcp::Config& cfg, hw::ToeClient* client);
  hw::Toe& engine() { return *toe_; }

  /// A TCP segment the RNIC did not claim.
  void receive(FramePtr f, const wire::Ipv4Header& ip, const wire::TcpHeader& tcp, size_t payload_off,
               size_t payload_len, wire::MacAddr src_mac);

 private:
  void accept(const hw::SynInfo& syn, netstack::Path path);
  struct Listener {
    tcp::Config cfg;
    std::function<hw::ToeClient*(uint32_t)> accept;
  };
  SoftTcpNet& net_;
  std::unique_ptr<hw::Toe> toe_;
  std::map<uint16_t, Listener> listeners_;
};

}  // namespace rnicsim::host

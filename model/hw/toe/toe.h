#pragma once
/// The TCP offload engine: the connection table (O(1) by 4-tuple), the per-segment receive
/// and transmit pipelines, a round-robin transmit scheduler held back by the MAC's queue,
/// and the connections' timers. The TCP itself is tcp::Connection (model/proto/tcp).
/// The host's software stack (host_if/host_tcp.h) is a second instance of this block with
/// software timing (a per-segment CPU cost): one TCP, two timing wrappers.
#include <deque>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "model/common/frame.h"
#include "model/common/rng.h"
#include "model/common/sim.h"
#include "model/proto/ip/ipv4.h"
#include "model/proto/netstack/path.h"
#include "model/proto/tcp/connection.h"
#include "model/stats/stats.h"
#include "model/wire/eth.h"
#include "model/wire/ipv4.h"

namespace rnicsim::hw {

class Mac;

struct FourTuple {
  wire::Ipv4Addr local_ip = 0, remote_ip = 0;
  uint16_t local_port = 0, remote_port = 0;
  bool operator==(const FourTuple& o) const {
    return local_ip == o.local_ip && remote_ip == o.remote_ip && local_port == o.local_port &&
           remote_port == o.remote_port;
  }
};
struct FourTupleHash {
  size_t operator()(const FourTuple& t) const {
    uint64_t x = (uint64_t{t.local_ip} << 32 | t.remote_ip) ^
                 ((uint64_t{t.local_port} << 16 | t.remote_port) * 0x9E3779B97F4A7C15ull);
    x ^= x >> 29;
    return static_cast<size_t>(x * 0xBF58476D1CE4E5B9ull);
  }
};

/// The layer above an offloaded connection (the RDMA engine).
class ToeClient {
 public:
  virtual ~ToeClient() = default;
  virtual bool toe_data(uint32_t conn, ConstByteSpan data) = 0;
  virtual void toe_acked(uint32_t conn, uint64_t total_acked) = 0;
  virtual void toe_state(uint32_t conn, tcp::State from, tcp::State to) = 0;
  /// Bytes held out of order at stream position `pos` (tcp::Upcalls::on_out_of_order).
  virtual void toe_out_of_order(uint32_t /*conn*/, uint64_t /*pos*/, ConstByteSpan /*data*/) {}
  /// When the bytes just given to toe_data leave the RNIC's receive buffer
  /// (tcp::Upcalls::held_until): negative when they already have.
  virtual Duration toe_held_until(uint32_t /*conn*/) const { return Duration{-1}; }
};

/// The timing of the segment path. The RNIC's engine is a hardware pipeline: each
/// segment takes `latency` to cross it and a new one can enter every `interval` (clock
/// period x cycles per segment). The host's software stack is a CPU: `interval` is the
/// processing cost of a segment, one at a time (`shared`: transmit and receive take turns
/// on the same core), and `latency` is 0.
struct ToeConfig {
  Duration tx_latency = Duration::from_ns(25);  ///< per segment: clock period x cycles
  Duration rx_latency = Duration::from_ns(25);
  Duration tx_interval{};  ///< 0: one segment per clock, never the bottleneck
  Duration rx_interval{};
  bool shared_pipeline = false;  ///< transmit and receive share one server (a CPU)
  bool reset_unmatched = false;  ///< answer segments for no connection with RST (the host's stack)
};

struct ToeStats {
  uint64_t segments_tx = 0, segments_rx = 0, resets_tx = 0, unmatched_rx = 0;

  static stats::Group<ToeStats> group() {
    using stats::Unit;
    return stats::Group<ToeStats>()
        .counter("segments_tx", &ToeStats::segments_tx, Unit::Segments, "segments sent by its connections")
        .counter("segments_rx", &ToeStats::segments_rx, Unit::Segments,
                 "segments received for its connections, and SYNs for its listening ports")
        .counter("resets_tx", &ToeStats::resets_tx, Unit::Segments, "RSTs sent for segments that matched no connection")
        .counter("unmatched_rx", &ToeStats::unmatched_rx, Unit::Segments,
                 "segments that matched no connection (the RNIC's: left to the host)");
  }
};

/// A SYN that arrived for a listening port, handed to the firmware.
struct SynInfo {
  FourTuple tuple;
  wire::MacAddr peer_mac = 0;
  wire::TcpHeader syn;
};

class Toe : public sc_core::sc_module {
 public:
  Toe(sc_core::sc_module_name name, const ToeConfig& cfg, Mac& mac, wire::MacAddr mac_addr,
      uint64_t seed);
  ~Toe() override;

  void listen(uint16_t port) { listeners_[port] = true; }
  bool listening(uint16_t port) const { return listeners_.count(port) != 0; }
  void set_syn_handler(std::function<void(const SynInfo&)> h) { on_syn_ = std::move(h); }

  /// Creates a connection and starts the handshake (active) or answers the SYN (passive).
  /// The connection keeps `path`'s handles: each frame is built to the MAC its neighbour
  /// entry holds at that moment.
  uint32_t open_active(const FourTuple& t, netstack::Path path, const tcp::Config& cfg,
                       ToeClient* client);
  uint32_t open_passive(const SynInfo& syn, netstack::Path path, const tcp::Config& cfg,
                        ToeClient* client);
  tcp::Connection& conn(uint32_t id);
  tcp::State state(uint32_t id) const;
  const FourTuple& tuple(uint32_t id) const;
  /// The connection's route and neighbour handles.
  const netstack::Path& path(uint32_t id) const;
  void set_client(uint32_t id, ToeClient* c);
  /// Moves a connection to another route and next hop (a redirect): its next frame is built
  /// to the new neighbour's MAC, its MSS follows the new route's MTU.
  void set_path(uint32_t id, netstack::Path path);
  /// The path MTU a connection learned (tcp::Connection::set_path_mtu); it sends at once
  /// what that resends.
  void set_path_mtu(uint32_t id, uint32_t mtu);
  /// The port's MAC address changed (NETDEV_CHANGEADDR): the source of every frame from now.
  void set_mac_addr(wire::MacAddr mac) { mac_addr_ = mac; }
  /// Something changed (data queued, close requested): try to send.
  void kick(uint32_t id);
  void close(uint32_t id);
  void abort(uint32_t id);
  /// Hands the MAC, now and whatever its queue holds, the resets of aborted connections
  /// still waiting for their turn (the port is about to stop).
  void flush_resets();
  /// Answers a SYN for a listening port with a RST instead of opening a connection.
  void refuse(const SynInfo& syn);
  /// The host's OUTPUT chain: asked for every frame as it reaches the MAC; false drops it.
  /// Empty (the RNIC's engine): every frame goes out.
  void set_tx_filter(std::function<bool(const Frame&)> f) { tx_filter_ = std::move(f); }
  size_t connection_count() const { return conns_.size(); }
  /// Connection ids in creation order (for reports and samples).
  uint32_t connection_id(const FourTuple& t) const {
    auto it = table_.find(t);
    return it == table_.end() ? UINT32_MAX : it->second;
  }

  /// From the receive demux: true when the segment belongs to the engine (an offloaded
  /// connection or a listening port), false when it is the host's.
  bool receive(FramePtr f, const wire::Ipv4Header& ip, const wire::TcpHeader& tcp,
               size_t payload_off, size_t payload_len, wire::MacAddr src_mac);
  /// Called for every segment sent, with the destination MAC used (stale-L2 accounting).
  void set_tx_observer(std::function<void(uint32_t conn, wire::MacAddr dst)> f) {
    tx_observer_ = std::move(f);
  }
  const ToeStats& stats() const { return stats_; }

 private:
  struct Entry;
  class Up;
  uint32_t add(const FourTuple& t, netstack::Path path, const tcp::Config& cfg, ToeClient* c);
  void pump();
  void send_segment(Entry& e);
  void after_input(uint32_t id);
  void schedule_timer(uint32_t id);
  /// When a segment entering a pipeline now leaves it (and occupies it meanwhile).
  Duration tx_slot(Duration now);
  /// Hands a frame ready at `ready` to the MAC (software timing: when the CPU is done).
  void to_mac(FramePtr f, Duration ready);
  Duration rx_slot(Duration now);
  void send_reset(const wire::Ipv4Header& ip, const wire::TcpHeader& h, size_t payload_len,
                  wire::MacAddr dst_mac);

  ToeConfig cfg_;
  Mac& mac_;
  wire::MacAddr mac_addr_;
  Rng rng_;
  Agenda agenda_;
  std::unordered_map<FourTuple, uint32_t, FourTupleHash> table_;
  std::unordered_map<uint16_t, bool> listeners_;
  std::vector<std::unique_ptr<Entry>> conns_;
  std::deque<uint32_t> ready_;
  std::function<void(const SynInfo&)> on_syn_;
  std::function<void(uint32_t, wire::MacAddr)> tx_observer_;
  std::function<bool(const Frame&)> tx_filter_;
  ip::Ipv4Sender ipv4_;  ///< the engine's IPv4 output (identification, TTL, DF)
  Duration tx_busy_{};
  uint32_t deferred_ = 0;  ///< software timing: frames the CPU is still building
  Duration rx_busy_{};
  ToeStats stats_;
};

}  // namespace rnicsim::hw

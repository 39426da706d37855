#pragma once
/// One RNIC: MAC, TCP offload engine, DDP/RDMAP engine, placement unit and DMA/PCIe, wired
/// together, with the receive demultiplexer that sends offloaded connections to the TOE
/// and everything else to the host's network stack (type 7: the RNIC shares the host's IP
/// and MAC; type 3: it has its own beside the host's on the port, and what is for them
/// goes to the TOE and the firmware's own stack), and the register file and mailbox its
/// firmware drives (registers.h). The firmware itself runs on the embedded core, outside
/// this block.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "model/hw/dma/dma.h"
#include "model/hw/mac/mac.h"
#include "model/hw/placement/placement.h"
#include "model/hw/rdma_engine/engine.h"
#include "model/hw/rnic/registers.h"
#include "model/hw/toe/toe.h"
#include "model/mem/host_memory.h"

namespace rnicsim::hw {

struct RnicConfig {
  int type = 7;
  wire::MacAddr mac = 0;  ///< the source of offloaded frames: the RNIC's own (type 7: the host's)
  wire::Ipv4Addr ip = 0;  ///< the address offloaded connections use (type 7: the host's)
  /// The host's addresses on the port (type 3; type 7 takes mac and ip).
  wire::MacAddr host_mac = 0;
  wire::Ipv4Addr host_ip = 0;
  uint32_t mtu = 1500;  ///< the port's MTU (type 7: the host netdev's)
  MacConfig mac_cfg;
  ToeConfig toe;
  EngineConfig engine;
  PlacementConfig placement;
  DmaConfig dma;
};

class Rnic : public sc_core::sc_module, public FrameSink, public RnicRegisters {
 public:
  Rnic(sc_core::sc_module_name name, const RnicConfig& cfg, host::HostMemory& mem, uint64_t seed);

  Mac& mac() { return mac_; }
  Dma& dma() { return dma_; }
  Toe& toe() { return toe_; }
  RdmaEngine& engine() { return engine_; }
  PlacementUnit& placement() { return placement_; }
  const RnicConfig& config() const { return cfg_; }

  /// Frames the host stack sends through the shared port.
  void host_send(FramePtr f) { mac_.send(std::move(f), sim_now()); }
  /// The host driver's operations on the port itself (not firmware commands): the host's
  /// MAC address, which the receive filter accepts from now (type 7: offloaded frames keep
  /// their source MAC until the firmware writes the new one; type 3: the RNIC's own stays
  /// beside it), and its
  /// administrative state (ndo_open / ndo_stop).
  void set_port_mac(wire::MacAddr mac);
  void set_port_up(bool up) {
    if (!up) toe_.flush_resets();  // the emergency close's resets go before the port stops
    mac_.set_up(up);
  }
  /// Frames that are not for an offloaded connection go here (the host's stack); TCP
  /// segments for the host's address go, already decoded, to `tcp`.
  using HostTcpRx = std::function<void(FramePtr, const wire::Ipv4Header&, const wire::TcpHeader&, size_t payload_off,
                                       size_t payload_len, wire::MacAddr src_mac)>;
  void set_host_rx(std::function<void(FramePtr)> f, HostTcpRx tcp) {
    host_rx_ = std::move(f);
    host_tcp_rx_ = std::move(tcp);
  }
  /// From the MAC.
  void receive(FramePtr f) override;
  /// Called with the 4-tuple (local first) of every TCP segment the TOE claims (the host
  /// counts collisions with its own sockets under a split port space); empty: nothing is.
  void set_claim_observer(std::function<void(const FourTuple&)> f) { claimed_ = std::move(f); }

  // RnicRegisters: the firmware's commands.
  void set_notifications(RnicNotifications* n) override { notify_ = n; }
  void set_l2_entry(wire::Ipv4Addr next_hop, wire::MacAddr mac) override;
  void move_connection(uint32_t conn, wire::Ipv4Addr next_hop) override;
  void set_path_mtu(uint32_t conn, uint32_t mtu) override { toe_.set_path_mtu(conn, mtu); }
  void set_device_mtu(uint32_t mtu) override;
  void qp_to_error(uint32_t qpn) override { engine_.qp_to_error(qpn); }
  bool connection_live(uint32_t conn) const override;
  void snoop_arp(bool on) override { snoop_arp_ = on; }
  void send_frame(FramePtr f) override { mac_.send(std::move(f), sim_now()); }
  void set_source_mac(wire::MacAddr mac) override { toe_.set_mac_addr(mac); }
  void listen(uint16_t port) override { toe_.listen(port); }
  uint32_t open_active(const FourTuple& t, netstack::RouteRef route, wire::Ipv4Addr next_hop,
                       const tcp::Config& cfg) override;
  uint32_t open_passive(const SynInfo& syn, netstack::RouteRef route, wire::Ipv4Addr next_hop,
                        const tcp::Config& cfg) override;
  void refuse(const SynInfo& syn) override { toe_.refuse(syn); }
  void send(uint32_t conn, ConstByteSpan bytes) override;
  void close(uint32_t conn) override { toe_.close(conn); }
  void hand_to_engine(uint32_t qpn, uint32_t conn, const mpa::Params& mpa, std::vector<uint8_t> leftover) override;
  std::optional<uint32_t> add_region(placement::Region r) override { return placement_.add_region(std::move(r)); }
  bool invalidate(uint32_t stag) override { return placement_.invalidate(stag); }

 private:
  /// The TOE's client for a connection until it is handed to the engine: its upcalls
  /// become mailbox notifications.
  class SetupClient : public ToeClient {
   public:
    explicit SetupClient(Rnic& rnic) : rnic_(rnic) {}
    bool toe_data(uint32_t conn, ConstByteSpan data) override;
    void toe_acked(uint32_t, uint64_t) override {}
    void toe_state(uint32_t conn, tcp::State from, tcp::State to) override;

   private:
    Rnic& rnic_;
  };
  /// The path through `route` to a next hop the firmware opens toward. The connection
  /// holds the RNIC's own copy of the route, written when the firmware is told of a change
  /// (iw_cxgb4 reads dst_mtu once, at setup): a host change it is not told of never
  /// reaches it.
  netstack::Path path(netstack::RouteRef route, wire::Ipv4Addr next_hop, wire::Ipv4Addr dst);
  /// Keeps the route copy path() made for the connection just opened; returns its id.
  uint32_t keep_route(uint32_t conn);
  /// Type 3: hands the firmware what is for the RNIC's own stack; false for the rest.
  bool own_stack_frame(const FramePtr& f, const wire::EthHeader& eth, size_t l3_off);
  /// The unicast MACs the port accepts: the host's, and a type-3 RNIC's own.
  std::vector<wire::MacAddr> port_addresses() const;
  /// The L2 entry of a next hop (which must exist).
  std::shared_ptr<netstack::L2Entry> l2_of(wire::Ipv4Addr next_hop) const;

  RnicConfig cfg_;
  Mac mac_;
  Dma dma_;
  Toe toe_;
  PlacementUnit placement_;
  RdmaEngine engine_;
  std::function<void(FramePtr)> host_rx_;
  HostTcpRx host_tcp_rx_;
  std::function<void(const FourTuple&)> claimed_;
  RnicNotifications* notify_ = nullptr;
  SetupClient setup_client_{*this};
  /// The L2 table: one entry per next hop, changed in place, held by the connections.
  std::map<wire::Ipv4Addr, std::shared_ptr<netstack::L2Entry>> l2_;
  /// Each connection's copy of its route, by connection id.
  std::vector<std::shared_ptr<netstack::Route>> routes_;
  std::shared_ptr<netstack::Route> pending_route_;
  bool snoop_arp_ = false;
};

}  // namespace rnicsim::hw

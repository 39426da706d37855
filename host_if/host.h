#pragma once
/// A host: its memory, its network stack (neighbour table resolved with real ARP frames,
/// routes, port space), the verbs-style interface to its RNIC (memory registration, QPs,
/// posting, completions) and the iw_cm-style connection manager. Every event that crosses
/// the host/RNIC boundary is written to the event log.
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "host_if/event_log.h"
#include "host_if/host_memory.h"
#include "host_if/host_tcp.h"
#include "model/hw/rnic/rnic.h"
#include "model/stats/stats.h"

namespace rnicsim::host {

struct RouteEntry {
  wire::Ipv4Addr dst = 0;
  uint8_t len = 0;
  wire::Ipv4Addr via = 0;
};

struct HostConfig {
  std::string name;
  wire::Ipv4Addr ip = 0;
  uint8_t prefix_len = 24;
  wire::MacAddr mac = 0;
  uint32_t mtu = 1500;
  std::vector<RouteEntry> routes;          ///< including the default route, if any
  bool port_space_shared = true;           ///< offloaded ports reserved in the host's space
  Duration arp_retrans = Duration::from_s(1);  ///< Linux's retrans_time_ms
  uint32_t arp_tries = 3;                  ///< Linux's mcast_solicit
  SoftTcpConfig soft_tcp;                  ///< the host's own TCP stack
};

struct HostIfStats {
  uint64_t netevents_to_rnic = 0, events_to_host = 0;
  uint64_t port_conflicts = 0, netfilter_drops = 0;
  uint64_t arp_requests_tx = 0;

  static stats::Group<HostIfStats> group() {
    using stats::Unit;
    using S = HostIfStats;
    return stats::Group<HostIfStats>()
        .counter("netevents_to_rnic", &S::netevents_to_rnic, Unit::Events, "netevents the host raised to its RNIC")
        .counter("events_to_host", &S::events_to_host, Unit::Events, "iw_cm events the RNIC raised to the host")
        .counter("port_conflicts", &S::port_conflicts, Unit::Count,
                 "port binds refused because the port was taken (an offloaded connection's, with port_space shared)")
        .counter("netfilter_drops", &S::netfilter_drops, Unit::Count,
                 "packets or connection attempts dropped by the host's netfilter rules")
        .counter("arp_requests_tx", &S::arp_requests_tx, Unit::Frames, "ARP requests the host sent");
  }
};

enum class NeighState { Incomplete, Reachable, Failed };

class Host : public sc_core::sc_module {
 public:
  Host(sc_core::sc_module_name name, const HostConfig& cfg, const hw::RnicConfig& rnic_cfg,
       EventLog& log, uint64_t seed);

  hw::Rnic& rnic() { return *rnic_; }
  HostMemory& memory() { return mem_; }
  const HostConfig& config() const { return cfg_; }
  const HostIfStats& stats() const { return stats_; }

  // ---- network stack
  wire::Ipv4Addr next_hop(wire::Ipv4Addr dst) const;
  /// Starts ARP resolution unless the neighbour is known or being resolved.
  void resolve(wire::Ipv4Addr ip);
  /// The MAC the host currently knows for a neighbour (0 when unknown).
  wire::MacAddr neighbour_mac(wire::Ipv4Addr ip) const;
  /// Reserves a local port; false when taken (a conflict).
  bool reserve_port(uint16_t port);
  uint16_t ephemeral_port();

  /// Calls `cb` with the neighbour's MAC once it is resolved (at once when known), or with
  /// 0 when resolution fails.
  void when_resolved(wire::Ipv4Addr ip, std::function<void(wire::MacAddr)> cb);
  /// The host's own TCP stack (`kind: tcp` connections).
  SoftTcp& soft_tcp() { return *soft_tcp_; }

  // ---- verbs
  VirtBuffer alloc_buffer(uint64_t length);
  /// Registers a region with the RNIC; returns its STag.
  uint32_t reg_mr(const VirtBuffer& b, uint32_t pd, uint32_t access);
  uint32_t create_qp(uint32_t pd, uint32_t sq_depth);
  void post_send(uint32_t qpn, const hw::Wqe& w);
  void post_recv(uint32_t qpn, const hw::Rqe& r);
  /// A new protection domain (verbs' alloc_pd); PD 1 exists from the start.
  uint32_t alloc_pd() { return ++last_pd_; }
  /// Local invalidation of an STag (the Invalidate STag work request, done at once).
  bool invalidate_stag(uint32_t stag);
  void set_cqe_handler(std::function<void(const hw::Cqe&)> f) { on_cqe_ = std::move(f); }
  /// The application sees an inbound RDMA Write land (it polls its buffer): called when
  /// the message's last segment is visible in memory, with (qpn, stag, TO past its end).
  void set_write_placed_handler(hw::RdmaEngine::WritePlacedSink f) {
    rnic_->engine().set_write_placed_sink(std::move(f));
  }

  // ---- connection manager (iw_cm)
  /// The server side: requests on `port` are accepted with a QP from `make_qp`, or
  /// rejected when `mpa.reject`.
  void listen(uint16_t port, const fw::MpaSetup& mpa, const tcp::Config& tcp,
              std::function<uint32_t()> make_qp);
  /// The client side: resolves the route and neighbour, then asks the RNIC to connect.
  void connect(uint32_t qpn, wire::Ipv4Addr dst, uint16_t dport, uint16_t sport,
               const fw::MpaSetup& mpa, const tcp::Config& tcp,
               std::function<void(uint32_t qpn, int status)> done);
  /// rdma_disconnect: a graceful close of the QP's connection (RdmaEngine::disconnect).
  void disconnect(uint32_t qpn);

 private:
  void on_frame(FramePtr f);
  void send_arp(wire::ArpOp op, wire::MacAddr dst_mac, wire::MacAddr tha, wire::Ipv4Addr tpa);
  void learn(wire::Ipv4Addr ip, wire::MacAddr mac);
  void notify_neigh_update(wire::Ipv4Addr ip, wire::MacAddr mac);
  void arp_retry(wire::Ipv4Addr ip, uint32_t tries);
  /// Calls everyone waiting for `ip` with its MAC (0: resolution failed).
  void wake_waiters(wire::Ipv4Addr ip, wire::MacAddr mac);
  fw::HostUpcalls make_upcalls();
  void to_host_event(const char* kind, nlohmann::ordered_json fields);

  HostConfig cfg_;
  EventLog& log_;
  HostMemory mem_;
  std::unique_ptr<hw::Rnic> rnic_;
  std::unique_ptr<SoftTcp> soft_tcp_;
  Agenda agenda_;
  std::multimap<wire::Ipv4Addr, std::function<void(wire::MacAddr)>> resolve_waiters_;
  struct Neigh {
    NeighState state = NeighState::Incomplete;
    wire::MacAddr mac = 0;
  };
  std::map<wire::Ipv4Addr, Neigh> neigh_;
  std::set<uint16_t> ports_;
  uint16_t next_ephemeral_ = 32768;  ///< Linux's ip_local_port_range starts here
  uint64_t next_va_ = 0x7f0000000000ull;
  struct Listener {
    fw::MpaSetup mpa;
    std::function<uint32_t()> make_qp;
  };
  std::map<uint16_t, Listener> listeners_;
  std::map<uint32_t, std::function<void(uint32_t, int)>> connecting_;
  std::set<uint32_t> disconnecting_;  ///< QPs this host disconnected itself
  std::function<void(const hw::Cqe&)> on_cqe_;
  uint32_t last_pd_ = 1;
  HostIfStats stats_;
};

}  // namespace rnicsim::host

#pragma once
/// A host: its network stack (model/proto/netstack's neighbour table resolved with real
/// ARP frames, routes, port space; model/proto/ip's IPv4 in and out; ICMP: host_icmp.h), the
/// verbs-style interface to its RNIC (memory registration, QPs, posting, completions) and
/// the iw_cm-style connection manager. Every event that crosses the host/RNIC boundary is
/// written to the event log. The host owns neither its memory nor its RNIC: the three and
/// the RNIC's firmware are assembled above it (model/sim/node.h).
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "firmware/firmware.h"
#include "host_if/event_log.h"
#include "host_if/host_icmp.h"
#include "host_if/host_tcp.h"
#include "model/hw/rnic/rnic.h"
#include "model/mem/host_memory.h"
#include "model/proto/mpa/negotiation.h"
#include "model/proto/netstack/neighbour.h"
#include "model/proto/netstack/pmtu.h"
#include "model/proto/netstack/netfilter.h"
#include "model/proto/netstack/ports.h"
#include "model/proto/netstack/routes.h"
#include "model/stats/stats.h"

namespace rnicsim::host {

struct RouteEntry {
  wire::Ipv4Addr dst = 0;
  uint8_t len = 0;
  wire::Ipv4Addr via = 0;
};

/// How a type-7 RNIC learns of neighbour, route and MTU changes (rnic.notify).
enum class Notify {
  Netevent,  ///< the host's netevent and netdev notifiers (the 2006 patch)
  ArpSnoop,  ///< it reads the ARP frames at its port itself (the old RDMA CM's way)
  None,      ///< it learns nothing after a connection's setup
  OwnStack,  ///< type 3: the RNIC runs ARP and ICMP itself; nothing crosses from the host
};

struct HostConfig {
  std::string name;
  std::string netdev = "eth0";             ///< the host's network device
  Notify notify = Notify::Netevent;
  wire::Ipv4Addr ip = 0;
  uint8_t prefix_len = 24;
  wire::MacAddr mac = 0;
  uint32_t mtu = 1500;
  std::vector<RouteEntry> routes;          ///< including the default route, if any
  bool port_space_shared = true;           ///< offloaded ports reserved in the host's space
  std::vector<netstack::NfRule> netfilter; ///< hosts[].netfilter, in order
  bool netfilter_enforce = true;           ///< rnic.netfilter: the rules judge offloaded setup too
  netstack::NeighConfig neigh;             ///< ARP and NUD timers (Linux's defaults)
  SoftTcpConfig soft_tcp;                  ///< the host's own TCP stack
  /// Type 3: the RNIC's own address (its netdev `rnic0` beside `netdev`); 0 on type 7.
  wire::Ipv4Addr rnic_ip = 0;
  uint8_t rnic_prefix_len = 24;
  wire::MacAddr rnic_mac = 0;
  /// The address `rdma` connections use: the RNIC's own on type 3, the host's on type 7.
  wire::Ipv4Addr rdma_ip() const { return rnic_ip ? rnic_ip : ip; }
};

struct HostIfStats {
  uint64_t netevents_to_rnic = 0, events_to_host = 0;
  uint64_t port_conflicts = 0, netfilter_drops = 0;
  uint64_t arp_requests_tx = 0;
  uint64_t netdev_down_drops = 0;

  static stats::Group<HostIfStats> group() {
    using stats::Unit;
    using S = HostIfStats;
    return stats::Group<HostIfStats>()
        .counter("netevents_to_rnic", &S::netevents_to_rnic, Unit::Events, "netevents the host raised to its RNIC")
        .counter("events_to_host", &S::events_to_host, Unit::Events, "iw_cm events the RNIC raised to the host")
        .counter("port_conflicts", &S::port_conflicts, Unit::Count,
                 "port binds refused because the port was taken (an offloaded connection's, with port_space shared), "
                 "and segments the RNIC took for a port a host socket holds (split)")
        .counter("netfilter_drops", &S::netfilter_drops, Unit::Count,
                 "packets or connection attempts dropped by the host's netfilter rules")
        .counter("arp_requests_tx", &S::arp_requests_tx, Unit::Frames, "ARP requests the host sent")
        .counter("netdev_down_drops", &S::netdev_down_drops, Unit::Frames,
                 "type 3: frames the host's stack did not send or take while its netdev was down (the port "
                 "stays up for the RNIC's own netdev)");
  }
};

/// Not a SystemC module of its own: it is built inside its node's module (named after the
/// host), so its agenda and its software TCP (`<host>.host_tcp`, whose generator is seeded
/// from that name) sit beside the RNIC in the hierarchy.
class Host : private SoftTcpNet {
 public:
  Host(const HostConfig& cfg, HostMemory& mem, hw::Rnic& rnic, fw::Firmware& firmware, EventLog& log,
       uint64_t seed);

  hw::Rnic& rnic() { return *rnic_; }
  fw::Firmware& firmware() { return *firmware_; }
  HostMemory& memory() { return mem_; }
  const HostConfig& config() const { return cfg_; }
  const HostIfStats& stats() const { return stats_; }

  // ---- network stack
  wire::Ipv4Addr next_hop(wire::Ipv4Addr dst) const;
  /// The route and neighbour handles toward `dst` (no neighbour when its next hop has no
  /// entry yet).
  netstack::Path path(wire::Ipv4Addr dst) const override;
  /// Solicits the neighbour anew unless it is being resolved (NeighbourTable::resolve); a
  /// neighbour already valid is first announced to the RNIC again (it asked because its
  /// L2 entry is missing).
  void resolve(wire::Ipv4Addr ip);
  /// The MAC of a valid neighbour (0 when it is not valid).
  wire::MacAddr neighbour_mac(wire::Ipv4Addr ip) const;
  /// The port mapper reserves an offloaded port (`use`: listen or connect) for the RNIC
  /// (port_space: shared) and answers it: a line in events.jsonl; false when taken.
  bool map_port(uint16_t port, const char* use);
  /// Reserves a local port; false when taken (a conflict).
  bool reserve_port(uint16_t port);
  uint16_t ephemeral_port();

  /// A sender's use of the neighbour: calls `cb` with its MAC once it is valid (at once
  /// when it is), or with 0 when resolution fails.
  void when_resolved(wire::Ipv4Addr ip, std::function<void(wire::MacAddr)> cb) override;
  const ip::Ipv4RxStats& ip_stats() const { return ipv4_rx_.stats(); }
  const ip::IcmpStats& icmp_stats() const { return icmp_.stats(); }
  /// The host's ICMP: its counters, its callbacks for fragmentation needed and redirects.
  HostIcmp& icmp() { return icmp_; }
  const HostIcmp& icmp() const { return icmp_; }
  /// The host's own TCP stack (`kind: tcp` connections).
  SoftTcp& soft_tcp() { return *soft_tcp_; }

  // ---- host events (host_if/host_events.cpp): what the scenario's events inject, and what
  // the network teaches (ARP, ICMP); each change the RNIC must hear of crosses the shim
  // as the notify mode allows, a line in events.jsonl.
  /// NETDEV_CHANGEADDR: the netdev takes `mac`; the host sends a gratuitous ARP
  /// (arp_notify on).
  void change_addr(wire::MacAddr mac);
  /// The neighbour `ip` is at `mac` (as if learned: REACHABLE).
  void set_neighbour(wire::Ipv4Addr ip, wire::MacAddr mac);
  /// A path MTU toward `dst` (an ICMP fragmentation-needed, RFC 1191): cached, taken by
  /// the host's own connections, PMTU_UPDATE to the RNIC.
  void learn_pmtu(wire::Ipv4Addr dst, uint32_t mtu);
  /// An ICMP redirect: `dst` through `gateway` from now (a host route), REDIRECT to the
  /// RNIC. `from` is the redirect's sender (0: an injected event): Linux takes one only
  /// from the current first hop, toward a gateway on the link.
  void take_redirect(wire::Ipv4Addr dst, wire::Ipv4Addr gateway, wire::Ipv4Addr from = 0);
  /// NETDEV_CHANGEMTU.
  void change_mtu(uint32_t mtu);
  /// The netdev's state: "going_down" (NETDEV_GOING_DOWN, the port still up), "down"
  /// (GOING_DOWN first if not raised, then the port stops once the RNIC has handled it:
  /// NETDEV_DOWN), "up" (NETDEV_UP).
  void set_netdev(const std::string& state);
  /// The path MTU the host uses toward `dst` now.
  uint32_t path_mtu(wire::Ipv4Addr dst);

  // ---- ICMP
  /// The host's own IPv4 output (its own ip::Ipv4Sender: TTL 64, DF set): `payload` (copied
  /// at once) as `protocol` to `dst`, through the route's next hop once it resolves, in an
  /// Ethernet frame to the RNIC's port. `done(false)` when the next hop failed to resolve
  /// (the packet is dropped), `done(true)` once the frame is handed to the port. To the
  /// host's own address it goes through no wire (Linux's loopback): it is received at the
  /// present instant.
  void send_ipv4(wire::Ipv4Addr dst, uint8_t protocol, ConstByteSpan payload, std::function<void(bool)> done = {});
  /// ping(8): one echo request of `payload_len` bytes to `dst`; `done` gets its reply, the
  /// ICMP error about it, its next hop's failure, or after `timeout` its loss.
  void ping(wire::Ipv4Addr dst, uint16_t id, uint16_t seq, size_t payload_len, Duration timeout,
            HostIcmp::EchoDone done);

  // ---- verbs
  VirtBuffer alloc_buffer(uint64_t length);
  /// Registers a region with the RNIC; returns its STag.
  uint32_t reg_mr(const VirtBuffer& b, uint32_t pd, uint32_t access);
  /// A QP whose send queue holds `sq_depth` work requests and receive queue `rq_depth` receives.
  uint32_t create_qp(uint32_t pd, uint32_t sq_depth, uint32_t rq_depth, const hw::CqOptions& cq = {});
  void post_send(uint32_t qpn, const hw::Wqe& w);
  /// False when the receive queue already holds rq_depth receives (refused, counted).
  [[nodiscard]] bool post_recv(uint32_t qpn, const hw::Rqe& r);
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
  /// The RNIC sent part of a Read Response (one FPDU into the send buffer): with (qpn,
  /// source STag, source address, bytes).
  void set_read_sent_handler(hw::RdmaEngine::ReadSentSink f) { rnic_->engine().set_read_sent_sink(std::move(f)); }

  // ---- connection manager (iw_cm)
  /// The server side: requests on `port` are accepted with a QP from `make_qp` (given the
  /// requester's address), or rejected when `mpa.reject` or when `make_qp` returns
  /// kRejectRequest (that Reply carries no private data: `mpa`'s is for the requests
  /// accepted). False when the port is taken in the host's port space
  /// (`port_space: shared`: the port mapper's bind fails), then nothing listens.
  bool listen(uint16_t port, const mpa::Settings& mpa, const tcp::Config& tcp,
              std::function<uint32_t(wire::Ipv4Addr remote)> make_qp);
  /// What `make_qp` returns to refuse a request (an MPA Reply with R set).
  static constexpr uint32_t kRejectRequest = UINT32_MAX;
  /// Linux's errno for a bind to a port in use, as iw_cm reports it (negated).
  static constexpr int kEaddrinuse = -98;
  /// A connect through a netdev that is down finds no route (-ENETUNREACH).
  static constexpr int kEnetunreach = -101;
  /// The client side: resolves the route and neighbour, then asks the RNIC to connect.
  /// With `port_space: shared` a source port taken in the host's port space fails the
  /// connect at once: `done` gets -EADDRINUSE (-98).
  void connect(uint32_t qpn, wire::Ipv4Addr dst, uint16_t dport, uint16_t sport,
               const mpa::Settings& mpa, const tcp::Config& tcp,
               std::function<void(uint32_t qpn, int status)> done);
  /// rdma_disconnect: a graceful close of the QP's connection (RdmaEngine::disconnect).
  void disconnect(uint32_t qpn);

 private:
  void on_frame(FramePtr f);
  void send_arp(wire::ArpOp op, wire::MacAddr dst_mac, wire::MacAddr tha, wire::Ipv4Addr tpa);
  void notify_neigh_update(wire::Ipv4Addr ip, wire::MacAddr mac, netstack::NudState state);
  /// The answer to the RNIC's resolve request, without a notifier (notify arp_snoop, none).
  void reply_neigh(wire::Ipv4Addr ip, wire::MacAddr mac, netstack::NudState state);
  /// Carries out the neighbour table's actions, in order.
  void apply(const netstack::NeighActions& actions);
  /// Calls the senders `tokens` waiting for a neighbour with its MAC (0: it failed).
  void wake(const std::vector<uint64_t>& tokens, wire::MacAddr mac);
  fw::HostUpcalls make_upcalls();
  /// A netdev notifier event to the RNIC (logged), when the notify mode delivers it.
  void netdev_notify(fw::NetdevEvent ev, nlohmann::ordered_json fields);
  /// The port stops (ndo_stop), after the RNIC has handled GOING_DOWN.
  void stop_port();
  /// Type 3: the host's netdev is down while the port stays up for the RNIC's: the host's
  /// own frames are dropped both ways (counted). False when the frame may pass.
  bool own_netdev_down() {
    if (cfg_.notify != Notify::OwnStack || up_) return false;
    ++stats_.netdev_down_drops;
    return true;
  }
  /// The host's own connections toward `dst` take a new path (a redirect).
  void repath_own(wire::Ipv4Addr dst);
  /// Calls `f(c)` for each of the host's own TCP connections to `dst`.
  template <typename F>
  void for_own_connections(wire::Ipv4Addr dst, F&& f);
  void to_host_event(const char* kind, nlohmann::ordered_json fields);

  HostConfig cfg_;
  EventLog& log_;
  HostMemory& mem_;
  hw::Rnic* rnic_;            ///< never null: the node's RNIC
  fw::Firmware* firmware_;    ///< never null: the RNIC's firmware, reached by mailbox commands
  std::unique_ptr<SoftTcp> soft_tcp_;
  Agenda agenda_;
  netstack::NeighbourTable neigh_;
  netstack::RouteTable routes_;
  netstack::PortSpace ports_;
  HostIcmp icmp_;
  ip::Ipv4Receiver ipv4_rx_;
  ip::Ipv4Sender ipv4_tx_;  ///< the host's own IPv4 output (ICMP); its TCP has a sender of its own
  /// Senders waiting for a neighbour, by the token the table queued.
  std::map<uint64_t, std::function<void(wire::MacAddr)>> waiters_;
  uint64_t next_token_ = 0;
  uint64_t next_va_ = 0x7f0000000000ull;
  struct Listener {
    mpa::Settings mpa;
    std::function<uint32_t(wire::Ipv4Addr)> make_qp;
  };
  std::map<uint16_t, Listener> listeners_;
  std::map<uint32_t, std::function<void(uint32_t, int)>> connecting_;
  std::set<uint32_t> disconnecting_;  ///< QPs this host disconnected itself
  std::function<void(const hw::Cqe&)> on_cqe_;
  uint32_t last_pd_ = 1;
  netstack::PmtuCache pmtu_;
  bool up_ = true;             ///< the netdev is up (its port sends and receives)
  bool going_down_ = false;    ///< GOING_DOWN raised, DOWN not yet
  bool going_down_done_ = false;  ///< the RNIC's GOING_DOWN handler has run
  bool down_pending_ = false;  ///< DOWN waits for the RNIC's GOING_DOWN handler
  /// Next hops the RNIC asked to resolve, answered by a reply when no notifier tells it.
  std::set<wire::Ipv4Addr> rnic_asked_;
  HostIfStats stats_;

  // ---- netfilter and port binds (host_netfilter.cpp) ------------------------------------
 public:
  /// A host-stack socket binds `port` (events kind `bind`) and holds it: false, and one
  /// more port conflict, when the port is taken in the host's port space (with
  /// `port_space: shared`, also by an offloaded connection).
  bool bind_port(uint16_t port);
  /// The source port of an offloaded active open that names none: the host's next
  /// ephemeral port (shared: Host::connect reserves it), or, split, the next of the RNIC's
  /// own table over the same range (RDMA CM's port space), which the host never sees.
  uint16_t offload_ephemeral_port();

 private:
  /// Hooks the rules into the host's stack (its TCP's output, the RNIC's claims under
  /// split); called once, from the constructor.
  void wire_netfilter();
  /// The firmware's netfilter upcall: set under enforce when the host has rules.
  std::function<netstack::Verdict(const netstack::NfPacket&, netstack::Chain)> offload_netfilter();
  /// A TCP segment for the host's own TCP, from the RNIC's demux: INPUT, then the stack.
  void tcp_input(FramePtr f, const wire::Ipv4Header& ip, const wire::TcpHeader& tcp, size_t off, size_t len,
                 wire::MacAddr src);
  /// INPUT on an IPv4 packet (`l3`: its header onwards) that `src` sent: true to deliver it.
  bool nf_input(const uint8_t* l3, size_t len, wire::MacAddr src);
  /// OUTPUT on a frame the host's stack sends: true to send it.
  bool nf_output(const Frame& f);
  /// The host's own IPv4 output (the ICMP errors it sends): OUTPUT, then the port.
  void ip_output(FramePtr f);
  /// REJECT: ICMP destination unreachable, port unreachable, about `orig` (`len` bytes
  /// from its IPv4 header), to its sender through `next_mac`, or, when the packet was the
  /// host's own, delivered to the host itself.
  void reject(const uint8_t* orig, size_t len, wire::MacAddr next_mac, bool local);
  /// An ICMP error reached the host: a port unreachable about one of its TCP's SYNs ends
  /// that connect refused.
  void icmp_error_input(ConstByteSpan message);

  /// The host's ICMP input: counted, then errors to icmp_error_input.
  class IcmpInput : public ip::IcmpHandler {
   public:
    explicit IcmpInput(Host& h) : host_(h) {}
    void on_icmp(const wire::Ipv4Header& ip, ConstByteSpan message) override;

   private:
    Host& host_;
  };
  netstack::Netfilter nf_{cfg_.netfilter};
  IcmpInput icmp_in_{*this};
  ip::Ipv4Sender icmp_tx_{ip::Ipv4TxConfig{64, false}};  ///< icmp_sk: PMTU discovery off, no DF
  netstack::PortSpace offload_ports_;                   ///< split: the RNIC's own table
  // ---- end of netfilter and port binds -------------------------------------------------
};

}  // namespace rnicsim::host

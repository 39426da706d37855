#pragma once
/// The RNIC firmware on its embedded core: connection setup (active and passive opens,
/// the MPA Request/Reply exchange, negotiated by model/proto/mpa/negotiation.h), the L2
/// table it keeps from the host's NEIGH_UPDATE netevents (type 7) or from its own ARP
/// (type 3: firmware/own_stack.h), and the iw_cm-style events it raises to the host.
/// Each handler costs core time; handlers run one at a time, in arrival order. It reaches
/// the RNIC only through the register file and mailbox (model/hw/rnic/registers.h).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "firmware/own_stack.h"
#include "model/common/sim.h"
#include "model/hw/rnic/registers.h"
#include "model/proto/mpa/negotiation.h"
#include "model/proto/netstack/neighbour.h"
#include "model/proto/netstack/netfilter.h"
#include "model/proto/netstack/path.h"
#include "model/proto/tcp/config.h"
#include "model/stats/stats.h"
#include "model/wire/mpa.h"

namespace rnicsim::fw {

struct Costs {
  Duration neigh_update = Duration::from_ns(300);
  Duration pmtu_update = Duration::from_ns(500);
  Duration redirect = Duration::from_us(1);
  Duration netdev = Duration::from_us(1);     ///< a netdev notifier event (UP, DOWN, ...)
  Duration arp_snoop = Duration::from_ns(300);  ///< an ARP frame read at the port
  Duration connect = Duration::from_us(2);
  Duration listen = Duration::from_us(1);
  Duration syn = Duration::from_ns(1500);
  Duration mpa = Duration::from_us(3);
  Duration accept = Duration::from_us(2);
  Duration netfilter = Duration::from_ns(500);  ///< one check of the host's rules (enforce)
  Duration arp = Duration::from_ns(300);   ///< type 3: an ARP frame or a neighbour timer of its own stack
  Duration icmp = Duration::from_ns(500);  ///< type 3: an IPv4 datagram to its address (ICMP)
};

struct FirmwareConfig {
  Costs costs;
  bool arp_snoop = false;  ///< rnic.notify arp_snoop: it reads ARP frames at its port
  mpa::DeviceLimits mpa;  ///< the device's IRD/ORD maximum and RTR types
  /// Type 3: the RNIC's own network stack (its own IP and MAC); type 7 has none.
  std::optional<OwnStackConfig> own_stack;
};

struct FirmwareStats {
  uint64_t commands = 0, netevents_handled = 0;
  uint64_t l2_writes = 0, arp_snooped = 0, mtu_changes = 0, connections_moved = 0, qps_flushed = 0;
  uint64_t unreachable = 0;
  Duration busy{};

  static stats::Group<FirmwareStats> group() {
    using stats::Unit;
    return stats::Group<FirmwareStats>()
        .counter("commands", &FirmwareStats::commands, Unit::Count, "commands from the host driver handled")
        .counter("netevents_handled", &FirmwareStats::netevents_handled, Unit::Events,
                 "netevents and netdev events from the host handled")
        .counter("l2_writes", &FirmwareStats::l2_writes, Unit::Count, "L2 table entries written with a (new) MAC")
        .counter("arp_snooped", &FirmwareStats::arp_snooped, Unit::Frames,
                 "ARP frames read at the port (rnic.notify arp_snoop)")
        .counter("mtu_changes", &FirmwareStats::mtu_changes, Unit::Count,
                 "connections whose path or device MTU the firmware rewrote")
        .counter("connections_moved", &FirmwareStats::connections_moved, Unit::Count,
                 "connections moved to another next hop by a redirect")
        .counter("qps_flushed", &FirmwareStats::qps_flushed, Unit::Count,
                 "QPs moved to ERROR because their device was going down")
        .counter("unreachable", &FirmwareStats::unreachable, Unit::Count,
                 "connection setups failed because the next hop could not be resolved")
        .formula("busy_ns", Unit::Ns, "time the embedded core spent in handlers",
                 [](const FirmwareStats& s) { return s.busy.ps / 1000; });
  }
};

/// L2 table entry states, cxgb4's (drivers/net/ethernet/chelsio/cxgb4/l2t.c): VALID (the
/// neighbour is reachable), STALE (it has a MAC that is no longer confirmed), RESOLVING
/// (connections wait for a MAC), SYNC_WRITE (the MAC being written for waiting
/// connections), SWITCHING (an entry of a switching filter, not of a connection: never
/// used here), NOARP (a device without ARP: never on Ethernet here), UNUSED (no
/// connection holds it).
enum class L2State { Valid, Stale, Resolving, SyncWrite, Switching, NoArp, Unused };
const char* to_string(L2State s);

/// The netdev notifier's events the firmware handles (include/linux/netdevice.h).
enum class NetdevEvent { Up, Down, GoingDown, ChangeMtu, ChangeAddr };
const char* to_string(NetdevEvent e);

/// Linux's errno values iw_cm reports (negated) for a connect that fails.
constexpr int kEconnrefused = -111;
constexpr int kEhostunreach = -113;
constexpr int kEnetdown = -100;

/// What the firmware tells the host driver (iw_cm events and requests).
struct HostUpcalls {
  /// A peer's MPA Request arrived on a listening port (IW_CM_EVENT_CONNECT_REQUEST), from
  /// `remote` (the event's remote address).
  std::function<void(uint32_t handle, uint16_t port, wire::Ipv4Addr remote, const wire::MpaReqRep& req)>
      connect_request;
  /// The active side's MPA Reply arrived (IW_CM_EVENT_CONNECT_REPLY, status 0 or -ECONNREFUSED).
  std::function<void(uint32_t qpn, int status, const wire::MpaReqRep* rep)> connect_reply;
  /// The passive side finished (IW_CM_EVENT_ESTABLISHED).
  std::function<void(uint32_t qpn)> established;
  /// The firmware needs a neighbour the L2 table lacks: ask the host to resolve it.
  std::function<void(wire::Ipv4Addr next_hop)> resolve;
  /// The handler of a netdev event returned (the notifier chain is synchronous in Linux:
  /// the driver's ndo_stop follows GOING_DOWN's handlers).
  std::function<void(NetdevEvent ev)> netdev_done;
  /// The route toward a destination (the host's routing table; empty: none, tried on link).
  std::function<netstack::RouteRef(wire::Ipv4Addr dst)> route;
  /// `rnic.netfilter: enforce`: the host's verdict on a connection's first packet (a SYN
  /// received for a listening port on INPUT, an active open's SYN on OUTPUT), asked before
  /// the firmware answers or sends it. Empty: nothing is checked (bypass, or no rules).
  std::function<netstack::Verdict(const netstack::NfPacket& p, netstack::Chain chain)> netfilter;
};

class Firmware : public sc_core::sc_module, public hw::RnicNotifications {
 public:
  Firmware(sc_core::sc_module_name name, const FirmwareConfig& cfg, hw::RnicRegisters& rnic);
  /// The host driver that receives the firmware's events (set once, before any command).
  void set_host(HostUpcalls up) { up_ = std::move(up); }

  /// Memory registration and local invalidation: written straight to the RNIC's region
  /// table. Returns the STag, or nothing when the table is full.
  std::optional<uint32_t> cmd_reg_mr(placement::Region r);
  bool cmd_invalidate(uint32_t stag);

  // Mailbox commands from the host driver.
  void cmd_listen(uint16_t port, const mpa::Settings& mpa, const tcp::Config& tcp);
  void cmd_connect(uint32_t qpn, const hw::FourTuple& t, const mpa::Settings& mpa, const tcp::Config& tcp);
  void cmd_accept(uint32_t handle, uint32_t qpn);
  /// Refuses the request: an MPA Reply with R, carrying the listener's private data unless
  /// `with_private_data` is false.
  void cmd_reject(uint32_t handle, bool with_private_data = true);
  /// netevent NEIGH_UPDATE from the host's notifier, with the neighbour's NUD state (an
  /// entry that failed has no MAC). cxgb4's t4_l2t_update.
  void netevent_neigh_update(wire::Ipv4Addr ip, wire::MacAddr mac, netstack::NudState state);
  /// The host's answer to a resolve request (notify modes without the netevent notifier):
  /// the neighbour's MAC, or 0 when it failed.
  void neigh_reply(wire::Ipv4Addr ip, wire::MacAddr mac);
  /// netevent PMTU_UPDATE (the 2006 set): the path MTU toward `dst`.
  void netevent_pmtu_update(wire::Ipv4Addr dst, uint32_t mtu);
  /// netevent REDIRECT: `dst` is now reached through `new_gw` (cxgb3's cxgb_redirect moves
  /// every connection to it; cxgb4 ignores the event).
  void netevent_redirect(wire::Ipv4Addr dst, wire::Ipv4Addr old_gw, wire::Ipv4Addr new_gw);
  /// The netdev notifier: `mtu` with ChangeMtu, `mac` with ChangeAddr.
  void netdev_event(NetdevEvent e, uint32_t mtu, wire::MacAddr mac);
  /// The L2 table, for reports: next hop, state, MAC.
  struct L2View {
    wire::Ipv4Addr ip;
    L2State state;
    wire::MacAddr mac;
    uint32_t users;
  };
  std::vector<L2View> l2_table() const;

  // RnicNotifications: the RNIC's mailbox.
  void syn_received(const hw::SynInfo& syn) override;
  void connection_established(uint32_t conn) override;
  void bytes_received(uint32_t conn, ConstByteSpan data) override;
  void connection_closed(uint32_t conn) override;
  void arp_seen(const wire::ArpPacket& arp) override;
  void own_frame(FramePtr f) override;

  const FirmwareStats& stats() const { return stats_; }
  /// Type 3's own network stack; null on type 7.
  const OwnStack* own_stack() const { return own_.get(); }

 private:
  enum class Phase { AwaitL2, Handshake, AwaitReply, AwaitRequest, AwaitAccept, Done, Failed };
  struct Setup {
    Phase phase = Phase::Handshake;
    bool active = false;
    uint32_t qpn = UINT32_MAX;
    uint32_t conn = UINT32_MAX;
    hw::FourTuple tuple;
    mpa::Settings mpa;
    tcp::Config tcp;
    std::vector<uint8_t> rx;   ///< stream bytes so far
    wire::MpaReqRep peer;      ///< the peer's frame once parsed
    wire::Ipv4Addr hop = 0;    ///< the next hop its L2 entry belongs to, once opened
  };
  struct L2Slot {
    L2State state = L2State::Resolving;
    wire::MacAddr mac = 0;
  };
  /// Runs `fn` on the embedded core after `cost` of core time.
  void run(Duration cost, std::function<void()> fn);
  /// True when `next_hop` has a VALID L2 entry; a next hop not in the table becomes
  /// RESOLVING (the caller waits and asks the host to resolve it).
  bool l2_valid(wire::Ipv4Addr next_hop);
  /// A MAC for a next hop, from any source (netevent, the host's reply, a snooped ARP):
  /// written to the RNIC's table, waiting opens and moves resumed.
  void learn(wire::Ipv4Addr ip, wire::MacAddr mac, L2State state);
  /// Resolution of a next hop failed: the opens waiting for it end unreachable.
  void unreachable(wire::Ipv4Addr ip);
  /// The route toward `dst`: the host's (type 7) or the RNIC's own (type 3).
  netstack::RouteRef route(wire::Ipv4Addr dst) const;
  /// Asks for a next hop the L2 table lacks: of the host (type 7), of its own ARP (type 3).
  void resolve(wire::Ipv4Addr next_hop);
  /// The path MTU toward `dst`: every live connection to it takes it.
  void path_mtu(wire::Ipv4Addr dst, uint32_t mtu);

  void start_open(Setup& s);
  /// The SYN is sent (after the host's OUTPUT verdict, under enforce).
  void open_active(Setup s, const netstack::RouteRef& route, wire::Ipv4Addr hop);
  /// The SYN is answered (after the host's INPUT verdict, under enforce).
  void open_passive(const hw::SynInfo& syn, const netstack::RouteRef& route, wire::Ipv4Addr hop);
  void parse_setup(uint32_t conn);
  void on_reply(Setup& s);
  /// An invalid Request or Reply: the connection is closed (the active side's host hears
  /// -ECONNREFUSED).
  void fail(Setup& s, int status = kEconnrefused);
  void send_frame(uint32_t conn, const wire::MpaReqRep& f);

  FirmwareConfig cfg_;
  hw::RnicRegisters& rnic_;
  HostUpcalls up_;
  Agenda agenda_;
  Duration busy_until_{};
  std::map<wire::Ipv4Addr, L2Slot> l2_;  ///< the firmware's view; the RNIC's table holds the MACs too
  /// Connections a redirect moves once the new next hop's entry has a MAC: by next hop.
  std::multimap<wire::Ipv4Addr, uint32_t> moves_waiting_;
  bool netdev_up_ = true;
  std::map<uint16_t, std::pair<mpa::Settings, tcp::Config>> listeners_;
  std::map<uint32_t, Setup> setups_;            ///< by connection
  std::vector<Setup> waiting_l2_;               ///< active opens waiting for a neighbour
  std::vector<hw::SynInfo> syns_waiting_l2_;
  std::unique_ptr<OwnStack> own_;  ///< type 3 only
  FirmwareStats stats_;
};

}  // namespace rnicsim::fw

#pragma once
/// The network stack of a type-3 RNIC's firmware: the RNIC has an IP and a MAC of its own
/// beside its host's on one port, so nobody resolves neighbours for it. It keeps its own
/// neighbour table (model/proto/netstack/neighbour.h, Linux's NUD states and timers, its
/// generator seeded from "<host>.rnic.neigh"), sends and answers ARP from its own address
/// (RFC 826), keeps its own routes (its prefix's connected route, and the host's gateway
/// and static routes whose gateway is on its subnet), answers ICMP echo for its address
/// and takes fragmentation-needed for the datagrams it sent (RFC 1191). Plain logic: the
/// firmware gives it frames with the current time and carries out what it asks (frames
/// to send, a timer to arm, neighbour changes for the L2 table, a path MTU), charging each
/// on the embedded core.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "model/common/frame.h"
#include "model/proto/ip/icmp.h"
#include "model/proto/ip/ipv4.h"
#include "model/proto/netstack/neighbour.h"
#include "model/proto/netstack/routes.h"

namespace rnicsim::fw {

struct OwnStackConfig {
  wire::Ipv4Addr ip = 0;
  uint8_t prefix_len = 24;
  wire::MacAddr mac = 0;
  uint32_t mtu = 1500;  ///< the port's
  /// The host's routes (its default route as prefix 0); only those whose gateway is on the
  /// RNIC's subnet can be used, the others are left out.
  std::vector<netstack::Route> host_routes;
  netstack::NeighConfig neigh;
  uint64_t seed = 1;
  std::string rng_name;  ///< the neighbour table's generator: "<host>.rnic.neigh"
};

/// What the stack did, beside its IPv4 and ICMP input counters.
struct OwnStackStats {
  uint64_t arp_rx = 0;            ///< ARP frames taken (for its address, or gratuitous)
  uint64_t arp_requests_tx = 0;   ///< requests it sent (resolution and probes)
  uint64_t arp_replies_tx = 0;    ///< replies for its address
  uint64_t echo_replies_tx = 0;   ///< ICMP echo requests answered
  uint64_t pmtu_learned = 0;      ///< fragmentation-needed taken for its connections
  uint64_t frames_dropped = 0;    ///< frames waiting for a neighbour that failed
};

class OwnStack : private ip::IcmpHandler {
 public:
  /// What the stack asks of its firmware.
  struct Hooks {
    std::function<void(FramePtr)> send;        ///< a frame out of the port
    std::function<void(Duration when)> arm;    ///< call on_timer at `when`
    /// A neighbour's state changed: a (new) MAC in a valid state, or FAILED (mac 0). The
    /// changes Linux's notifier would raise as NEIGH_UPDATE, the ones cxgb4 acts on.
    std::function<void(wire::Ipv4Addr ip, wire::MacAddr mac, netstack::NudState state)> neigh;
    /// ICMP fragmentation needed for a TCP datagram it sent toward `dst`.
    std::function<void(wire::Ipv4Addr dst, uint32_t mtu)> pmtu;
  };

  OwnStack(const OwnStackConfig& cfg, FramePool& pool, Hooks hooks);

  /// The route toward `dst`; empty when none covers it (tried on link).
  netstack::RouteRef route(wire::Ipv4Addr dst) const { return routes_.lookup(dst); }
  /// A connection wants `next_hop` (neigh_event_send): resolution starts unless the
  /// neighbour is valid or being resolved; the outcome comes back through Hooks::neigh.
  void resolve(wire::Ipv4Addr next_hop, Duration now);
  /// True for the frames the firmware reads at its ARP cost (the others at its ICMP cost).
  static bool is_arp(const Frame& f);
  /// A frame for the RNIC's own stack: ARP naming its address or gratuitous, IPv4 to it.
  void receive(const Frame& f, Duration now);
  void on_timer(Duration now);

  netstack::NudState neigh_state(wire::Ipv4Addr ip) const { return neigh_.state(ip); }
  const OwnStackStats& stats() const { return stats_; }
  const ip::Ipv4RxStats& ip_stats() const { return ipv4_rx_.stats(); }
  const ip::IcmpStats& icmp_stats() const { return icmp_.stats(); }

 private:
  void on_icmp(const wire::Ipv4Header& ip, ConstByteSpan message) override;
  void on_arp(const wire::ArpPacket& a, Duration now);
  void send_arp(wire::ArpOp op, wire::MacAddr dst_mac, wire::MacAddr tha, wire::Ipv4Addr tpa);
  /// Sends an IPv4 frame built with no destination MAC yet toward `dst`'s next hop, now
  /// when the neighbour is valid, else once it is (dropped if it fails).
  void output(FramePtr f, wire::Ipv4Addr dst, Duration now);
  void apply(const netstack::NeighActions& actions);

  OwnStackConfig cfg_;
  FramePool& pool_;
  Hooks hooks_;
  netstack::NeighbourTable neigh_;
  netstack::RouteTable routes_;
  ip::IcmpCounter icmp_;
  ip::Ipv4Receiver ipv4_rx_;
  /// ICMP goes without DF, as Linux's ICMP socket sends (IP_PMTUDISC_DONT).
  ip::Ipv4Sender ipv4_tx_{ip::Ipv4TxConfig{64, false}};
  /// Frames waiting for a neighbour, by the token the table queued (a connection's
  /// resolution queues a token with no frame).
  std::map<uint64_t, FramePtr> waiting_;
  uint64_t next_token_ = 0;
  /// The datagram being handled, for the handlers behind ip::Ipv4Receiver.
  Duration now_{};
  OwnStackStats stats_;
};

}  // namespace rnicsim::fw

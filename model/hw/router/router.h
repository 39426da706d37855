#pragma once
/// An IPv4 router (RFC 1812): interfaces with their own MAC, address, prefix and MTU, each
/// a port on one link with an output queue serialised at the link's rate (as a switch
/// port); a fixed forwarding latency per frame; forwarding by longest prefix over the
/// connected routes and static routes; ARP for its own addresses and for its next hops
/// (one NUD neighbour table per interface, Linux's arp_tbl); and the ICMP a router sends:
/// time exceeded, destination unreachable (net, host, fragmentation needed with RFC 1191's
/// next-hop MTU), redirects, echo replies. No fragmentation, IP options or multicast.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/common/frame.h"
#include "model/common/sim.h"
#include "model/common/units.h"
#include "model/proto/ip/ipv4.h"
#include "model/proto/netstack/neighbour.h"
#include "model/stats/stats.h"
#include "model/wire/eth.h"

namespace rnicsim::hw {

class Link;

struct RouterIfConfig {
  std::string name;
  wire::Ipv4Addr ip = 0;
  uint8_t prefix_len = 24;
  wire::MacAddr mac = 0;
  uint32_t mtu = 1500;  ///< largest IPv4 datagram sent out of this interface
};

/// A static route: `dst/len` through the gateway `via`, which one interface's prefix covers.
struct RouterRoute {
  wire::Ipv4Addr dst = 0;
  uint8_t len = 0;
  wire::Ipv4Addr via = 0;
};

struct RouterConfig {
  std::string name;
  Duration latency = Duration::from_us(1);  ///< ingress to egress queue, per frame
  bool redirects = false;                   ///< send ICMP redirects (RFC 1812 s.5.2.7.2)
  std::vector<RouterIfConfig> interfaces;
  std::vector<RouterRoute> routes;
  uint64_t buffer = 1 * MiB;  ///< per output queue, frame bytes (FCS included); the switch's default
  /// Bytes of IPv4 packets held per next hop while it is being resolved; past it the oldest
  /// is dropped (Linux's unres_qlen_bytes, SK_WMEM_MAX = 212992, counting packet bytes here).
  uint64_t unresolved_bytes = 212992;
  netstack::NeighConfig neigh;
};

struct RouterIfStats {
  uint64_t frames_rx = 0, frames_tx = 0, bytes_tx = 0, fcs_errors = 0, filtered = 0;
  uint64_t queue_drops = 0, queue_max_bytes = 0;

  static stats::Group<RouterIfStats> group() {
    using stats::Unit;
    using S = RouterIfStats;
    return stats::Group<RouterIfStats>()
        .counter("frames_rx", &S::frames_rx, Unit::Frames, "good frames received on this interface")
        .counter("frames_tx", &S::frames_tx, Unit::Frames, "frames sent from this interface")
        .counter("bytes_tx", &S::bytes_tx, Unit::Bytes, "bytes of the frames sent, without FCS")
        .counter("fcs_errors", &S::fcs_errors, Unit::Frames, "frames dropped at ingress for a bad FCS")
        .counter("filtered", &S::filtered, Unit::Frames,
                 "good frames for another unicast MAC (flooded to this port by a switch), ignored")
        .counter("queue_drops", &S::queue_drops, Unit::Frames, "tail drops at this interface's output queue")
        .counter("queue_max_bytes", &S::queue_max_bytes, Unit::Bytes,
                 "deepest this output queue was (frames waiting, FCS included)");
  }
};

/// What the router did with the IPv4 packets it received and the ones it made. Every
/// packet received is forwarded, delivered to the router, or dropped for one cause.
struct RouterStats {
  uint64_t forwarded = 0;       ///< received packets sent on toward their destination
  uint64_t to_router = 0;       ///< received packets addressed to the router
  uint64_t header_errors = 0;   ///< bad IPv4 header
  uint64_t not_forwarded = 0;   ///< broadcast, multicast, link-layer broadcast, impossible source
  uint64_t no_route = 0;
  uint64_t ttl_exceeded = 0;
  uint64_t frag_needed = 0;     ///< DF set and larger than the egress MTU
  uint64_t too_big = 0;         ///< DF clear and larger than the egress MTU: no fragmentation
  uint64_t arp_failed = 0;      ///< the next hop never answered
  uint64_t arp_queue_drops = 0; ///< pushed out of a next hop's queue while it was resolved
  uint64_t queue_drops = 0;     ///< tail drops at an output queue (forwarded or own packets)
  uint64_t icmp_sent = 0, echo_replies = 0, dest_unreachable_sent = 0, time_exceeded_sent = 0,
           redirects_sent = 0;
  uint64_t arp_requests_tx = 0, arp_replies_tx = 0;

  uint64_t dropped() const {
    return header_errors + not_forwarded + no_route + ttl_exceeded + frag_needed + too_big + arp_failed +
           arp_queue_drops + queue_drops;
  }

  static stats::Group<RouterStats> group() {
    using stats::Unit;
    using S = RouterStats;
    return stats::Group<RouterStats>()
        .counter("forwarded", &S::forwarded, Unit::Count, "IPv4 packets forwarded (put on an output queue)")
        .formula("dropped", Unit::Count,
                 "IPv4 packets dropped: header_errors to queue_drops below (the last three count the router's own "
                 "ICMP too)",
                 [](const S& s) { return s.dropped(); })
        .counter("icmp_sent", &S::icmp_sent, Unit::Count, "ICMP messages the router sent (errors and echo replies)")
        .counter("to_router", &S::to_router, Unit::Count, "IPv4 packets addressed to the router (echo requests are answered, the rest taken in silently)")
        .counter("header_errors", &S::header_errors, Unit::Count, "dropped: bad IPv4 version, length or checksum")
        .counter("not_forwarded", &S::not_forwarded, Unit::Count,
                 "dropped: broadcast or multicast destination, link-layer broadcast, or impossible source "
                 "(RFC 1812 s.5.3.4, s.5.3.7)")
        .counter("no_route", &S::no_route, Unit::Count, "dropped: no route (ICMP net unreachable)")
        .counter("ttl_exceeded", &S::ttl_exceeded, Unit::Count, "dropped: TTL reached 0 (ICMP time exceeded)")
        .counter("frag_needed", &S::frag_needed, Unit::Count,
                 "dropped: DF set and above the egress MTU (ICMP fragmentation needed)")
        .counter("too_big", &S::too_big, Unit::Count, "dropped: DF clear and above the egress MTU (no fragmentation)")
        .counter("arp_failed", &S::arp_failed, Unit::Count, "dropped: the next hop did not resolve (ICMP host unreachable)")
        .counter("arp_queue_drops", &S::arp_queue_drops, Unit::Count,
                 "dropped: the oldest held for a next hop being resolved, past its queue's bytes")
        .counter("queue_drops", &S::queue_drops, Unit::Count, "dropped: tail drop at an output queue")
        .counter("echo_replies", &S::echo_replies, Unit::Count, "of icmp_sent: echo replies")
        .counter("dest_unreachable_sent", &S::dest_unreachable_sent, Unit::Count,
                 "of icmp_sent: destination unreachable (net, host, fragmentation needed)")
        .counter("time_exceeded_sent", &S::time_exceeded_sent, Unit::Count, "of icmp_sent: time exceeded")
        .counter("redirects_sent", &S::redirects_sent, Unit::Count, "of icmp_sent: redirects (host)")
        .counter("arp_requests_tx", &S::arp_requests_tx, Unit::Count, "ARP requests sent for next hops")
        .counter("arp_replies_tx", &S::arp_replies_tx, Unit::Count, "ARP replies sent for the router's addresses");
  }
};

class Router : public sc_core::sc_module {
 public:
  /// `seed` seeds each interface's neighbour table (`<name>.<interface>.neigh`).
  Router(sc_core::sc_module_name name, const RouterConfig& cfg, uint64_t seed);
  ~Router() override;

  /// Puts interface `iface` (an index into config().interfaces) on `end` of `link`, at
  /// `rate`. An interface on no link has no carrier: its connected route is not used.
  void attach(size_t iface, Link* link, int end, Rate rate);
  /// The index of the interface named `name`, or -1.
  int interface_index(const std::string& name) const;

  const RouterConfig& config() const { return cfg_; }
  const RouterStats& stats() const { return stats_; }
  size_t interfaces() const { return ifs_.size(); }
  const RouterIfStats& interface_stats(size_t i) const;

 private:
  class Interface;
  /// A packet (IPv4 header onwards in `frame`, after a 14-byte gap for the Ethernet header)
  /// waiting for its next hop; `frame` empty once it was pushed out of the queue.
  struct Held {
    size_t iface = 0;
    wire::Ipv4Addr next_hop = 0;
    FramePtr frame;
    int icmp_type = -1;  ///< -1: a forwarded packet; else the type of the router's own ICMP
  };
  /// A route: `dst/len` through `gateway` (0: on link) out of interface `iface`.
  struct FibEntry {
    wire::Ipv4Addr dst = 0;
    uint8_t len = 0;
    wire::Ipv4Addr gateway = 0;
    size_t iface = 0;
  };
  /// Where a destination goes: the egress interface and next hop (found false: no route).
  struct Egress {
    bool found = false;
    size_t iface = 0;
    wire::Ipv4Addr next_hop = 0;
    uint32_t mtu = 0;
  };

  void ingress(size_t iface, FramePtr f);
  void process(size_t iface, const FramePtr& f);
  void on_arp(size_t iface, const uint8_t* p, size_t len);
  void on_ipv4(size_t iface, const FramePtr& f, size_t off, bool link_broadcast);
  void to_router(const wire::Ipv4Header& h, const uint8_t* pkt);
  Egress route(wire::Ipv4Addr dst) const;
  /// Hands a packet (`icmp_type` as in Held) to its next hop on `iface`: now when the
  /// neighbour is valid, else held until it resolves.
  void output(size_t iface, wire::Ipv4Addr next_hop, FramePtr pkt, int icmp_type);
  /// Writes the Ethernet header to `mac`, queues the frame on `iface` and counts it.
  void transmit(size_t iface, wire::MacAddr mac, FramePtr pkt, int icmp_type);
  void apply(size_t iface, const netstack::NeighActions& actions);
  void send_arp(size_t iface, wire::ArpOp op, wire::MacAddr dst_mac, wire::MacAddr tha, wire::Ipv4Addr tpa);
  /// An ICMP error of `type`/`code`/`rest` about the packet `orig` (its IPv4 header
  /// onwards, `len` bytes), unless RFC 1812 s.4.3.2.7 forbids one.
  void icmp_error(uint8_t type, uint8_t code, uint32_t rest, const uint8_t* orig, size_t len);
  /// Sends an ICMP message of `type` and `icmp_len` bytes, already written at frame offset
  /// 34, from `src` (0: the address of the interface it leaves by) to `dst`.
  void send_icmp(FramePtr f, wire::Ipv4Addr src, wire::Ipv4Addr dst, size_t icmp_len, uint8_t type);
  bool is_local(wire::Ipv4Addr a) const;
  /// 255.255.255.255 or the directed broadcast of one of the router's prefixes.
  bool is_broadcast(wire::Ipv4Addr a) const;

  RouterConfig cfg_;
  std::vector<std::unique_ptr<Interface>> ifs_;
  std::vector<FibEntry> fib_;  ///< connected routes in interface order, then static routes
  ip::Ipv4Sender ipv4_tx_;
  std::map<uint64_t, Held> held_;  ///< by neighbour-table token
  uint64_t next_token_ = 1;
  Agenda agenda_;
  RouterStats stats_;
};

}  // namespace rnicsim::hw

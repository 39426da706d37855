#pragma once
/// The RNIC's register file and mailbox as its firmware sees them: the only way the
/// firmware reaches the hardware. Commands go one way (the firmware writes them), and
/// notifications come back for the connections the firmware is setting up, until it
/// hands each one to the DDP/RDMAP engine. The firmware is written against this interface
/// alone, so it includes no block of the RNIC and the RNIC includes no firmware header;
/// the two are wired together above the hardware (model/sim/node.h).
#include <cstdint>
#include <optional>
#include <vector>

#include "model/common/bytes.h"
#include "model/common/frame.h"
#include "model/hw/toe/toe.h"
#include "model/proto/mpa/negotiation.h"
#include "model/proto/placement/regions.h"
#include "model/proto/tcp/config.h"
#include "model/wire/eth.h"

namespace rnicsim::hw {

/// Mailbox entries the RNIC posts to its firmware, each when it happens.
class RnicNotifications {
 public:
  virtual ~RnicNotifications() = default;
  /// A SYN arrived for a listening port; nothing is opened until the firmware says so.
  virtual void syn_received(const SynInfo& syn) = 0;
  /// A connection being set up reached ESTABLISHED.
  virtual void connection_established(uint32_t conn) = 0;
  /// In-order stream bytes of a connection being set up (the MPA Request or Reply).
  virtual void bytes_received(uint32_t conn, ConstByteSpan data) = 0;
  /// A connection being set up is CLOSED (refused, reset or ended).
  virtual void connection_closed(uint32_t conn) = 0;
  /// An ARP frame arrived at the port (raised only while ARP snooping is on).
  virtual void arp_seen(const wire::ArpPacket& arp) = 0;
  /// A frame for the RNIC's own stack (type 3: its own IP and MAC): ARP whose target is
  /// its address, a gratuitous ARP, an IPv4 datagram to it that is not TCP.
  virtual void own_frame(FramePtr f) = 0;
};

/// Commands the firmware writes to the RNIC.
class RnicRegisters {
 public:
  virtual ~RnicRegisters() = default;
  /// Where the RNIC posts its notifications (the firmware's mailbox); null: nowhere.
  virtual void set_notifications(RnicNotifications* n) = 0;
  /// Writes the L2 table: the MAC of a next hop. Connections opened toward that next hop
  /// hold its entry, so a new MAC reaches them from their next frame.
  virtual void set_l2_entry(wire::Ipv4Addr next_hop, wire::MacAddr mac) = 0;
  /// Moves a live connection to the L2 entry of another next hop (which must have one),
  /// as a redirect asks: its next frame goes to that neighbour.
  virtual void move_connection(uint32_t conn, wire::Ipv4Addr next_hop) = 0;
  /// The path MTU toward a connection's peer (PMTU_UPDATE): its EMSS follows, what it sent
  /// in larger segments is resent at the new size.
  virtual void set_path_mtu(uint32_t conn, uint32_t mtu) = 0;
  /// The port's MTU (NETDEV_CHANGEMTU): every connection's route MTU, so its EMSS, follows.
  virtual void set_device_mtu(uint32_t mtu) = 0;
  /// Modify-to-ERROR of a QP in use (siw's emergency close when the device goes down): its
  /// work is flushed and its stream reset, so the peer's QP goes to ERROR too.
  virtual void qp_to_error(uint32_t qpn) = 0;
  /// The source MAC of offloaded frames (the source MAC table cxgb4 keeps per port),
  /// written when the firmware hears of NETDEV_CHANGEADDR.
  virtual void set_source_mac(wire::MacAddr mac) = 0;
  /// True while a connection handed to the engine (or being set up) is not CLOSED.
  virtual bool connection_live(uint32_t conn) const = 0;
  /// ARP frames at the port are raised as arp_seen from now on (the old RDMA CM's way of
  /// learning neighbours without the host's notifier).
  virtual void snoop_arp(bool on) = 0;
  /// Sends a frame the firmware built (its own stack's ARP and ICMP, type 3) out of the port.
  virtual void send_frame(FramePtr f) = 0;
  /// SYNs for `port` are raised as syn_received from now on.
  virtual void listen(uint16_t port) = 0;
  /// Opens a connection and starts its handshake; returns its id. The connection holds
  /// `route` (the host's entry; may be empty: on link) and the L2 entry of `next_hop`,
  /// which must have one.
  virtual uint32_t open_active(const FourTuple& t, netstack::RouteRef route, wire::Ipv4Addr next_hop,
                               const tcp::Config& cfg) = 0;
  /// Answers a SYN raised by syn_received; returns the connection's id.
  virtual uint32_t open_passive(const SynInfo& syn, netstack::RouteRef route, wire::Ipv4Addr next_hop,
                                const tcp::Config& cfg) = 0;
  /// Refuses a SYN raised by syn_received with a RST (RFC 9293 3.10.7.1); nothing is opened.
  virtual void refuse(const SynInfo& syn) = 0;
  /// Queues bytes on a connection's stream as one record (an MPA Request or Reply) and
  /// lets the TCP engine send them.
  virtual void send(uint32_t conn, ConstByteSpan bytes) = 0;
  /// A graceful close (FIN) of a connection.
  virtual void close(uint32_t conn) = 0;
  /// MPA is done: the engine's QP `qpn` takes over the connection's stream with the
  /// negotiated parameters; `leftover` holds stream bytes that arrived behind the MPA
  /// frame. No more notifications come for this connection.
  virtual void hand_to_engine(uint32_t qpn, uint32_t conn, const mpa::Params& mpa,
                              std::vector<uint8_t> leftover) = 0;
  /// Writes the placement unit's region table (the RTL core's too, in rtl and lockstep).
  /// Returns the STag, or nothing when the table is full.
  virtual std::optional<uint32_t> add_region(placement::Region r) = 0;
  /// Local invalidation of an STag; false when it names no valid region.
  virtual bool invalidate(uint32_t stag) = 0;
};

}  // namespace rnicsim::hw

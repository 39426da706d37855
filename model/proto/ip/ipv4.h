#pragma once
/// IPv4 send and receive (RFC 791, RFC 1122 s.3.2), shared by the RNIC's offload engine and
/// the host's stack: on send, the header's identification, TTL, DF and checksum; on
/// receive, the header checks, the address check, and the demux by protocol (ICMP to an
/// IcmpHandler). The codec is model/wire/ipv4.h; this is the logic of filling and checking.
#include <cstddef>
#include <cstdint>

#include "model/common/bytes.h"
#include "model/stats/stats.h"
#include "model/wire/ipv4.h"

namespace rnicsim::ip {

struct Ipv4TxConfig {
  uint8_t ttl = 64;  ///< Linux's net.ipv4.ip_default_ttl (RFC 1700's recommended 64)
  bool df = true;    ///< path MTU discovery on (RFC 1191; Linux's ip_no_pmtu_disc = 0): DF on every packet
};

/// One sender's IPv4 output. Its identification is one counter per sender (per stack
/// instance: the RNIC's engine, the host's stack), from 1, one step per packet and
/// wrapping at 16 bits; Linux draws per-destination counters (ip_idents), which with DF
/// set on every packet no receiver depends on (RFC 6864 s.4.1).
class Ipv4Sender {
 public:
  explicit Ipv4Sender(const Ipv4TxConfig& cfg = {}) : cfg_(cfg) {}
  /// Writes the 20-byte header of a packet from `src` to `dst` carrying `payload_len`
  /// bytes of `protocol`, with ECN codepoint `ecn`, the next identification and the
  /// header checksum; returns 20.
  size_t write(uint8_t* out, wire::Ipv4Addr src, wire::Ipv4Addr dst, uint8_t protocol, size_t payload_len,
               uint8_t ecn = 0);
  uint16_t next_id() const { return next_id_; }

 private:
  Ipv4TxConfig cfg_;
  uint16_t next_id_ = 1;
};

/// Where ICMP messages go (protocol 1).
class IcmpHandler {
 public:
  virtual ~IcmpHandler() = default;
  /// `message`: the whole ICMP message (header and body), its checksum not yet checked.
  virtual void on_icmp(const wire::Ipv4Header& ip, ConstByteSpan message) = 0;
};

/// Receive counters with the IP-MIB's names (RFC 4293; Linux's /proc/net/snmp "Ip:").
struct Ipv4RxStats {
  uint64_t in_receives = 0;        ///< packets handed to the layer
  uint64_t in_hdr_errors = 0;      ///< bad version, length or header checksum
  uint64_t in_addr_errors = 0;     ///< not addressed to this host
  uint64_t reasm_reqds = 0;        ///< fragments: this host does not reassemble, they are dropped
  uint64_t in_unknown_protos = 0;  ///< no handler for the protocol
  uint64_t in_delivers = 0;        ///< delivered to a handler

  static stats::Group<Ipv4RxStats> group() {
    using stats::Unit;
    using S = Ipv4RxStats;
    return stats::Group<Ipv4RxStats>()
        .counter("in_receives", &S::in_receives, Unit::Count, "IPv4 packets received (RFC 4293 ipSystemStatsInReceives)")
        .counter("in_hdr_errors", &S::in_hdr_errors, Unit::Count, "of them, dropped for a bad version, length or checksum")
        .counter("in_addr_errors", &S::in_addr_errors, Unit::Count, "of them, dropped: not addressed to this host")
        .counter("reasm_reqds", &S::reasm_reqds, Unit::Count, "of them, fragments (dropped: no reassembly)")
        .counter("in_unknown_protos", &S::in_unknown_protos, Unit::Count, "of them, dropped: no handler for the protocol")
        .counter("in_delivers", &S::in_delivers, Unit::Count, "of them, delivered to a protocol handler");
  }
};

enum class RxResult { Delivered, HeaderError, NotForUs, Fragment, UnknownProtocol };

class Ipv4Receiver {
 public:
  Ipv4Receiver(wire::Ipv4Addr local, IcmpHandler& icmp) : local_(local), icmp_(icmp) {}
  /// One packet, from its IPv4 header to the end of the frame (Ethernet padding allowed).
  RxResult receive(const uint8_t* p, size_t len);
  const Ipv4RxStats& stats() const { return stats_; }

 private:
  wire::Ipv4Addr local_;
  IcmpHandler& icmp_;
  Ipv4RxStats stats_;
};

}  // namespace rnicsim::ip

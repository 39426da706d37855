#pragma once
/// The host's ICMP (RFC 792, RFC 1122 s.3.2.2): every message that reaches it is counted by
/// type (ip::IcmpCounter, the ICMP-MIB's names), echo requests are answered, echo replies
/// and the errors about its own echo requests go to the echo client (ping), and the errors
/// the host's routing acts on (fragmentation needed, redirect) go to callbacks. It knows no
/// clock nor wire of its own: the host gives it its IPv4 output and the current time.
#include <cstdint>
#include <functional>
#include <map>
#include <tuple>
#include <vector>

#include "model/common/bytes.h"
#include "model/common/units.h"
#include "model/proto/ip/icmp.h"
#include "model/stats/stats.h"
#include "model/wire/icmp.h"

namespace rnicsim::host {

/// Messages sent, with the ICMP-MIB's names (RFC 4293 icmpStatsOutMsgs and
/// icmpMsgStatsOutPkts by type; Linux's "Icmp: OutMsgs OutEchos OutEchoReps").
struct IcmpOutStats {
  uint64_t out_msgs = 0;       ///< every message handed to the IPv4 output
  uint64_t out_echos = 0;      ///< type 8
  uint64_t out_echo_reps = 0;  ///< type 0

  static stats::Group<IcmpOutStats> group() {
    using stats::Unit;
    using S = IcmpOutStats;
    return stats::Group<IcmpOutStats>()
        .counter("out_msgs", &S::out_msgs, Unit::Count, "ICMP messages sent (RFC 4293 icmpStatsOutMsgs)")
        .counter("out_echos", &S::out_echos, Unit::Count, "of them, echo requests (type 8)")
        .counter("out_echo_reps", &S::out_echo_reps, Unit::Count, "of them, echo replies (type 0)");
  }
};

/// What became of one echo request.
struct EchoResult {
  enum class Outcome {
    Reply,       ///< an echo reply from the address pinged
    Error,       ///< destination unreachable (any code) or time exceeded about it
    Unresolved,  ///< dropped at the host: its next hop did not resolve
    Timeout,     ///< nothing came back in time (or a new request took its id and sequence)
    TooLong,     ///< larger than the path MTU: not sent (EMSGSIZE, as `ping -M do`)
  };
  Outcome outcome = Outcome::Timeout;
  wire::Ipv4Addr dst = 0;
  uint16_t id = 0, seq = 0;
  size_t payload_len = 0;
  Duration rtt{};              ///< Reply: arrival minus the instant the request was sent
  bool data_intact = false;    ///< Reply: it carried exactly the bytes sent
  wire::Ipv4Addr from = 0;     ///< Reply, Error: the message's source
  uint8_t type = 0, code = 0;  ///< Error: the ICMP error's type and code
};

class HostIcmp : public ip::IcmpHandler {
 public:
  /// The host's IPv4 output for an ICMP message to `dst` (its bytes copied before it
  /// returns); `done(false)` when the packet was dropped because its next hop did not
  /// resolve, `done(true)` once it is sent.
  using Output = std::function<void(wire::Ipv4Addr dst, ConstByteSpan message, std::function<void(bool)> done)>;
  using Clock = std::function<Duration()>;
  using EchoDone = std::function<void(const EchoResult&)>;

  HostIcmp(wire::Ipv4Addr local, Output out, Clock now);

  void on_icmp(const wire::Ipv4Header& ip, ConstByteSpan message) override;

  /// Fragmentation needed (type 3 code 4, RFC 1191) about a datagram this host sent to
  /// `orig_dst`. The host's seam for its PMTU cache: left unset, the error is only counted.
  std::function<void(wire::Ipv4Addr orig_dst, uint16_t next_hop_mtu)> on_frag_needed;
  /// A redirect (type 5, any code: Linux treats network redirects as host ones) from
  /// `icmp_source` about a datagram this host sent to `orig_dst`: use `new_gateway`. The
  /// host's seam for its route exceptions: left unset, the redirect is only counted.
  std::function<void(wire::Ipv4Addr orig_dst, wire::Ipv4Addr new_gateway, wire::Ipv4Addr icmp_source)> on_redirect;

  // ---- the echo client
  /// Sends an echo request of `payload_len` bytes (echo_payload's pattern) to `dst`;
  /// `done` is called once with its outcome. A request still outstanding with the same
  /// (dst, id, seq) is reported as timed out first: its answer could not be told apart.
  /// Returns the request's number (from 1), which names it to expire().
  uint64_t send_echo(wire::Ipv4Addr dst, uint16_t id, uint16_t seq, size_t payload_len, EchoDone done);
  /// Gives up request `number` to (dst, id, seq) if it is still outstanding (reported
  /// Timeout); a later request that took the same (dst, id, seq) is left alone.
  void expire(wire::Ipv4Addr dst, uint16_t id, uint16_t seq, uint64_t number);
  size_t outstanding() const { return pending_.size(); }
  /// The echo payload: byte i is i mod 256, iputils ping's fill without its timestamp.
  static std::vector<uint8_t> echo_payload(size_t len);

  const ip::IcmpStats& stats() const { return in_.stats(); }
  const IcmpOutStats& out_stats() const { return out_stats_; }
  /// The input counters, then the output ones (results.json hosts.<h>.host_if.icmp).
  static stats::Group<HostIcmp> group();

 private:
  using Key = std::tuple<wire::Ipv4Addr, uint16_t, uint16_t>;  ///< (dst, id, seq)
  struct Pending {
    uint64_t number = 0;
    Duration sent{};
    std::vector<uint8_t> payload;
    EchoDone done;
  };
  void answer_echo(const wire::Ipv4Header& ip, ConstByteSpan m);
  void take_reply(const wire::Ipv4Header& ip, ConstByteSpan m);
  void take_error(const wire::Ipv4Header& ip, ConstByteSpan m);
  /// Reports and forgets the request `key`, if outstanding.
  void finish(const Key& key, EchoResult r);
  void send(wire::Ipv4Addr dst, std::vector<uint8_t> message, std::function<void(bool)> done);

  wire::Ipv4Addr local_;
  Output out_;
  Clock now_;
  ip::IcmpCounter in_;
  IcmpOutStats out_stats_;
  std::map<Key, Pending> pending_;  ///< looked up only, never iterated into an output
  uint64_t requests_ = 0;
};

}  // namespace rnicsim::host

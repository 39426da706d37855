#pragma once
/// The host's ICMP input: every message that reaches it is checked and counted by type
/// with the ICMP-MIB's names (RFC 4293 icmpStatsTable / Linux's "Icmp:" in
/// /proc/net/snmp), never silently lost. The host answers echo in host_if/host_icmp.h.
#include <cstdint>

#include "model/proto/ip/ipv4.h"

namespace rnicsim::ip {

struct IcmpStats {
  uint64_t in_msgs = 0;          ///< every message received, good or bad
  uint64_t in_errors = 0;        ///< shorter than a header or with a bad checksum
  uint64_t in_echos = 0;         ///< type 8
  uint64_t in_echo_reps = 0;     ///< type 0
  uint64_t in_dest_unreachs = 0; ///< type 3 (fragmentation needed is code 4)
  uint64_t in_time_excds = 0;    ///< type 11
  uint64_t in_redirects = 0;     ///< type 5
  uint64_t in_other = 0;         ///< any other type

  static stats::Group<IcmpStats> group() {
    using stats::Unit;
    using S = IcmpStats;
    return stats::Group<IcmpStats>()
        .counter("in_msgs", &S::in_msgs, Unit::Count, "ICMP messages received, good or bad (RFC 4293 icmpStatsInMsgs)")
        .counter("in_errors", &S::in_errors, Unit::Count, "of them, too short or with a bad checksum")
        .counter("in_echos", &S::in_echos, Unit::Count, "of them, echo requests (type 8)")
        .counter("in_echo_reps", &S::in_echo_reps, Unit::Count, "of them, echo replies (type 0)")
        .counter("in_dest_unreachs", &S::in_dest_unreachs, Unit::Count, "of them, destination unreachable (type 3)")
        .counter("in_time_excds", &S::in_time_excds, Unit::Count, "of them, time exceeded (type 11)")
        .counter("in_redirects", &S::in_redirects, Unit::Count, "of them, redirects (type 5)")
        .counter("in_other", &S::in_other, Unit::Count, "of them, any other type");
  }
};

class IcmpCounter : public IcmpHandler {
 public:
  void on_icmp(const wire::Ipv4Header& ip, ConstByteSpan message) override;
  const IcmpStats& stats() const { return stats_; }

 private:
  IcmpStats stats_;
};

}  // namespace rnicsim::ip

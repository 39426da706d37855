#pragma once
/// The host's ICMP input: every message that reaches it is checked and counted by type
/// with the ICMP-MIB's names (RFC 4293 icmpStatsTable / Linux's "Icmp:" in
/// /proc/net/snmp), never silently lost. Answering echo is not modelled yet.
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
};

class IcmpCounter : public IcmpHandler {
 public:
  void on_icmp(const wire::Ipv4Header& ip, ConstByteSpan message) override;
  const IcmpStats& stats() const { return stats_; }

 private:
  IcmpStats stats_;
};

}  // namespace rnicsim::ip

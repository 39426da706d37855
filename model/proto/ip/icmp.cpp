#include "model/proto/ip/icmp.h"

#include "model/wire/crc.h"

namespace rnicsim::ip {
namespace {
// RFC 792 types.
constexpr uint8_t kEchoReply = 0, kDestUnreachable = 3, kRedirect = 5, kEcho = 8, kTimeExceeded = 11;
constexpr size_t kIcmpHeaderLen = 8;
}  // namespace

void IcmpCounter::on_icmp(const wire::Ipv4Header&, ConstByteSpan m) {
  ++stats_.in_msgs;
  if (m.size() < kIcmpHeaderLen || wire::inet_fold(wire::inet_sum(m.data(), m.size())) != 0) {
    ++stats_.in_errors;
    return;
  }
  const uint8_t type = m[0];
  if (type == kEcho)
    ++stats_.in_echos;
  else if (type == kEchoReply)
    ++stats_.in_echo_reps;
  else if (type == kDestUnreachable)
    ++stats_.in_dest_unreachs;
  else if (type == kTimeExceeded)
    ++stats_.in_time_excds;
  else if (type == kRedirect)
    ++stats_.in_redirects;
  else
    ++stats_.in_other;
}

}  // namespace rnicsim::ip

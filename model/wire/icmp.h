#pragma once
/// ICMP (RFC 792) echo request/reply, for ping between hosts and RNICs.
#include <cstddef>
#include <cstdint>

#include "model/wire/decode.h"

namespace rnicsim::wire {

constexpr size_t kIcmpEchoHeaderLen = 8;
constexpr uint8_t kIcmpEchoReply = 0;
constexpr uint8_t kIcmpEchoRequest = 8;

struct IcmpEcho {
  uint8_t type = kIcmpEchoRequest;  ///< 8 request, 0 reply
  uint8_t code = 0;
  uint16_t id = 0;
  uint16_t seq = 0;
};
/// Writes the 8-byte header in front of `payload_len` bytes already at out + 8 and fills the
/// checksum over header and payload; returns 8.
size_t encode_icmp_echo(uint8_t* out, const IcmpEcho& e, size_t payload_len);
/// `len` is the whole ICMP message (header + payload): BadChecksum when its checksum is
/// wrong, Malformed when it is not an echo request or reply.
Decoded<IcmpEcho> decode_icmp_echo(const uint8_t* p, size_t len);

}  // namespace rnicsim::wire

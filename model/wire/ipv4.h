#pragma once
/// IPv4 (RFC 791) header, with ECN bits (RFC 3168).
#include <cstddef>
#include <cstdint>

#include "model/wire/decode.h"
#include "model/wire/eth.h"

namespace rnicsim::wire {

constexpr size_t kIpv4HeaderLen = 20;  ///< the encoder writes no options
constexpr uint8_t kIpProtoIcmp = 1;
constexpr uint8_t kIpProtoTcp = 6;
constexpr uint8_t kIpProtoUdp = 17;

struct Ipv4Header {
  uint8_t dscp = 0;
  uint8_t ecn = 0;          ///< 0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE
  uint16_t total_length = 0;
  uint16_t id = 0;
  bool df = true;
  bool mf = false;
  uint16_t frag_offset = 0; ///< in 8-byte units
  uint8_t ttl = 64;
  uint8_t protocol = 0;
  Ipv4Addr src = 0;
  Ipv4Addr dst = 0;
  uint8_t header_length = kIpv4HeaderLen;  ///< decode: IHL*4 (options are skipped)
};
/// Writes a 20-byte header with its checksum; returns 20.
size_t encode_ipv4(uint8_t* out, const Ipv4Header& h);
/// Checks version 4, IHL >= 5, total_length within `len`, and the header checksum.
Decoded<Ipv4Header> decode_ipv4(const uint8_t* p, size_t len);

}  // namespace rnicsim::wire

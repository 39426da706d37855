#include "model/wire/ipv4.h"

#include "model/common/bytes.h"
#include "model/wire/crc.h"

namespace rnicsim::wire {

namespace {
constexpr uint16_t kFlagDf = 0x4000, kFlagMf = 0x2000, kFragMask = 0x1FFF;
}  // namespace

size_t encode_ipv4(uint8_t* out, const Ipv4Header& h) {
  out[0] = 0x45;  // version 4, IHL 5: the encoder writes no options
  out[1] = static_cast<uint8_t>((h.dscp << 2) | (h.ecn & 0x3));
  store_be16(out + 2, h.total_length);
  store_be16(out + 4, h.id);
  store_be16(out + 6, static_cast<uint16_t>((h.df ? kFlagDf : 0) | (h.mf ? kFlagMf : 0) |
                                            (h.frag_offset & kFragMask)));
  out[8] = h.ttl;
  out[9] = h.protocol;
  store_be16(out + 10, 0);
  store_be32(out + 12, h.src);
  store_be32(out + 16, h.dst);
  store_be16(out + 10, inet_fold(inet_sum(out, kIpv4HeaderLen)));
  return kIpv4HeaderLen;
}

Decoded<Ipv4Header> decode_ipv4(const uint8_t* p, size_t len) {
  Decoded<Ipv4Header> d;
  if (len < kIpv4HeaderLen) return d;
  const size_t ihl = static_cast<size_t>(p[0] & 0x0F) * 4;
  if ((p[0] >> 4) != 4 || ihl < kIpv4HeaderLen) {
    d.status = DecodeStatus::Malformed;
    return d;
  }
  if (len < ihl) return d;
  Ipv4Header& h = d.value;
  h.header_length = static_cast<uint8_t>(ihl);
  h.dscp = static_cast<uint8_t>(p[1] >> 2);
  h.ecn = static_cast<uint8_t>(p[1] & 0x3);
  h.total_length = load_be16(p + 2);
  h.id = load_be16(p + 4);
  const uint16_t frag = load_be16(p + 6);
  h.df = (frag & kFlagDf) != 0;
  h.mf = (frag & kFlagMf) != 0;
  h.frag_offset = static_cast<uint16_t>(frag & kFragMask);
  h.ttl = p[8];
  h.protocol = p[9];
  h.src = load_be32(p + 12);
  h.dst = load_be32(p + 16);
  if (h.total_length < ihl) {
    d.status = DecodeStatus::Malformed;
    return d;
  }
  // A packet longer than the buffer has lost its tail; Ethernet padding after it (frames
  // under 60 bytes) is allowed, so only "shorter" is an error.
  if (h.total_length > len) {
    d.status = DecodeStatus::Truncated;
    return d;
  }
  if (inet_fold(inet_sum(p, ihl)) != 0) {
    d.status = DecodeStatus::BadChecksum;
    return d;
  }
  d.length = ihl;
  d.status = DecodeStatus::Ok;
  return d;
}

}  // namespace rnicsim::wire

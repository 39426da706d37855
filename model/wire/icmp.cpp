#include "model/wire/icmp.h"

#include "model/common/bytes.h"
#include "model/wire/crc.h"
#include "model/wire/ipv4.h"

#include <algorithm>
#include <cstring>

namespace rnicsim::wire {

size_t encode_icmp_echo(uint8_t* out, const IcmpEcho& e, size_t payload_len) {
  out[0] = e.type;
  out[1] = e.code;
  store_be16(out + 2, 0);
  store_be16(out + 4, e.id);
  store_be16(out + 6, e.seq);
  store_be16(out + 2, inet_fold(inet_sum(out, kIcmpEchoHeaderLen + payload_len)));
  return kIcmpEchoHeaderLen;
}

Decoded<IcmpEcho> decode_icmp_echo(const uint8_t* p, size_t len) {
  Decoded<IcmpEcho> d;
  if (len < kIcmpEchoHeaderLen) return d;
  if (p[0] != kIcmpEchoRequest && p[0] != kIcmpEchoReply) {
    d.status = DecodeStatus::Malformed;
    return d;
  }
  if (inet_fold(inet_sum(p, len)) != 0) {
    d.status = DecodeStatus::BadChecksum;
    return d;
  }
  d.value.type = p[0];
  d.value.code = p[1];
  d.value.id = load_be16(p + 4);
  d.value.seq = load_be16(p + 6);
  d.length = kIcmpEchoHeaderLen;
  d.status = DecodeStatus::Ok;
  return d;
}

size_t icmp_error_len(size_t orig_len) { return kIcmpEchoHeaderLen + std::min(orig_len, kIcmpMaxQuote); }

size_t encode_icmp_error(uint8_t* out, uint8_t type, uint8_t code, uint32_t rest, const uint8_t* orig,
                         size_t orig_len) {
  const size_t quote = std::min(orig_len, kIcmpMaxQuote);
  out[0] = type;
  out[1] = code;
  store_be16(out + 2, 0);
  store_be32(out + 4, rest);
  std::memcpy(out + kIcmpEchoHeaderLen, orig, quote);
  store_be16(out + 2, inet_fold(inet_sum(out, kIcmpEchoHeaderLen + quote)));
  return kIcmpEchoHeaderLen + quote;
}

Decoded<IcmpError> decode_icmp_error(const uint8_t* p, size_t len) {
  Decoded<IcmpError> d;
  if (len < kIcmpEchoHeaderLen + kIpv4HeaderLen) return d;
  if (p[0] != kIcmpDestUnreachable && p[0] != kIcmpRedirect && p[0] != kIcmpTimeExceeded) {
    d.status = DecodeStatus::Malformed;
    return d;
  }
  if (inet_fold(inet_sum(p, len)) != 0) {
    d.status = DecodeStatus::BadChecksum;
    return d;
  }
  const uint8_t* q = p + kIcmpEchoHeaderLen;
  const size_t qlen = len - kIcmpEchoHeaderLen;
  const size_t ihl = size_t{q[0] & 0x0fu} * 4;
  if ((q[0] >> 4) != 4 || ihl < kIpv4HeaderLen || ihl > qlen) {
    d.status = DecodeStatus::Malformed;
    return d;
  }
  d.value.type = p[0];
  d.value.code = p[1];
  d.value.rest = load_be32(p + 4);
  d.value.orig_protocol = q[9];
  d.value.orig_src = load_be32(q + 12);
  d.value.orig_dst = load_be32(q + 16);
  if ((q[9] == kIpProtoTcp || q[9] == kIpProtoUdp) && qlen >= ihl + 4) {
    d.value.orig_sport = load_be16(q + ihl);
    d.value.orig_dport = load_be16(q + ihl + 2);
  }
  d.length = len;
  d.status = DecodeStatus::Ok;
  return d;
}

}  // namespace rnicsim::wire

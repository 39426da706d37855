#include "model/wire/icmp.h"

#include "model/common/bytes.h"
#include "model/wire/crc.h"

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

}  // namespace rnicsim::wire

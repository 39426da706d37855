#include "model/wire/eth.h"

#include "model/common/bytes.h"

namespace rnicsim::wire {

size_t encode_eth(uint8_t* out, const EthHeader& h) {
  store_be48(out, h.dst);
  store_be48(out + 6, h.src);
  store_be16(out + 12, h.ethertype);
  return kEthHeaderLen;
}

Decoded<EthHeader> decode_eth(const uint8_t* p, size_t len) {
  Decoded<EthHeader> d;
  if (len < kEthHeaderLen) return d;
  d.value.dst = load_be48(p);
  d.value.src = load_be48(p + 6);
  d.value.ethertype = load_be16(p + 12);
  d.length = kEthHeaderLen;
  d.status = DecodeStatus::Ok;
  return d;
}

namespace {
// RFC 826 fixed fields for IPv4 over Ethernet.
constexpr uint16_t kArpHtypeEthernet = 1;
constexpr uint8_t kArpHlen = 6, kArpPlen = 4;
}  // namespace

size_t encode_arp(uint8_t* out, const ArpPacket& a) {
  store_be16(out, kArpHtypeEthernet);
  store_be16(out + 2, kEtherTypeIpv4);
  out[4] = kArpHlen;
  out[5] = kArpPlen;
  store_be16(out + 6, static_cast<uint16_t>(a.op));
  store_be48(out + 8, a.sha);
  store_be32(out + 14, a.spa);
  store_be48(out + 18, a.tha);
  store_be32(out + 24, a.tpa);
  return kArpLen;
}

Decoded<ArpPacket> decode_arp(const uint8_t* p, size_t len) {
  Decoded<ArpPacket> d;
  if (len < kArpLen) return d;
  const uint16_t op = load_be16(p + 6);
  if (load_be16(p) != kArpHtypeEthernet || load_be16(p + 2) != kEtherTypeIpv4 ||
      p[4] != kArpHlen || p[5] != kArpPlen ||
      (op != static_cast<uint16_t>(ArpOp::Request) && op != static_cast<uint16_t>(ArpOp::Reply))) {
    d.status = DecodeStatus::Malformed;
    return d;
  }
  d.value.op = static_cast<ArpOp>(op);
  d.value.sha = load_be48(p + 8);
  d.value.spa = load_be32(p + 14);
  d.value.tha = load_be48(p + 18);
  d.value.tpa = load_be32(p + 24);
  d.length = kArpLen;
  d.status = DecodeStatus::Ok;
  return d;
}

}  // namespace rnicsim::wire

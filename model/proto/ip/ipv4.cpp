#include "model/proto/ip/ipv4.h"

namespace rnicsim::ip {

size_t Ipv4Sender::write(uint8_t* out, wire::Ipv4Addr src, wire::Ipv4Addr dst, uint8_t protocol,
                         size_t payload_len, uint8_t ecn) {
  wire::Ipv4Header h;
  h.total_length = static_cast<uint16_t>(wire::kIpv4HeaderLen + payload_len);
  h.id = next_id_++;
  h.df = cfg_.df;
  h.ttl = cfg_.ttl;
  h.protocol = protocol;
  h.src = src;
  h.dst = dst;
  h.ecn = ecn;
  return wire::encode_ipv4(out, h);  // the codec computes the header checksum
}

RxResult Ipv4Receiver::receive(const uint8_t* p, size_t len) {
  ++stats_.in_receives;
  const auto d = wire::decode_ipv4(p, len);
  if (!d) {
    ++stats_.in_hdr_errors;
    return RxResult::HeaderError;
  }
  const wire::Ipv4Header& h = d.value;
  if (h.dst != local_) {
    ++stats_.in_addr_errors;
    return RxResult::NotForUs;
  }
  if (h.mf || h.frag_offset != 0) {
    ++stats_.reasm_reqds;
    return RxResult::Fragment;
  }
  const ConstByteSpan payload(p + h.header_length, h.total_length - h.header_length);
  if (h.protocol == wire::kIpProtoIcmp) {
    ++stats_.in_delivers;
    icmp_.on_icmp(h, payload);
    return RxResult::Delivered;
  }
  // TCP for this host is handed to its TCP by the RNIC's demux, decoded; what arrives here
  // is any other protocol, or a segment whose TCP header failed to decode. Linux answers
  // ICMP protocol unreachable for the former; nothing here sends ICMP yet.
  ++stats_.in_unknown_protos;
  return RxResult::UnknownProtocol;
}

}  // namespace rnicsim::ip

#include "model/proto/netstack/netfilter.h"

#include "model/proto/netstack/routes.h"

namespace rnicsim::netstack {
namespace {

bool proto_matches(NfProto want, uint8_t protocol) {
  switch (want) {
    case NfProto::Any: return true;
    case NfProto::Tcp: return protocol == wire::kIpProtoTcp;
    case NfProto::Udp: return protocol == wire::kIpProtoUdp;
    case NfProto::Icmp: return protocol == wire::kIpProtoIcmp;
  }
  return false;
}

bool prefix_matches(const std::optional<NfPrefix>& want, wire::Ipv4Addr a) {
  return !want || (a & prefix_mask(want->len)) == (want->addr & prefix_mask(want->len));
}

bool port_matches(const std::optional<PortRange>& want, bool has_ports, uint16_t port) {
  return !want || (has_ports && port >= want->first && port <= want->second);
}

bool matches(const NfRule& r, const NfPacket& p) {
  const bool has_ports = p.protocol == wire::kIpProtoTcp || p.protocol == wire::kIpProtoUdp;
  return proto_matches(r.proto, p.protocol) && prefix_matches(r.src, p.src) && prefix_matches(r.dst, p.dst) &&
         port_matches(r.sport, has_ports, p.sport) && port_matches(r.dport, has_ports, p.dport);
}

}  // namespace

const char* to_string(Chain c) { return c == Chain::Input ? "input" : "output"; }

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::Accept: return "accept";
    case Verdict::Drop: return "drop";
    case Verdict::Reject: return "reject";
  }
  return "?";
}

NfPacket nf_packet(const wire::Ipv4Header& h, const uint8_t* l4, size_t l4_len) {
  NfPacket p{h.protocol, h.src, h.dst, 0, 0};
  const bool ports = h.protocol == wire::kIpProtoTcp || h.protocol == wire::kIpProtoUdp;
  if (ports && h.frag_offset == 0 && l4_len >= 4) {
    p.sport = static_cast<uint16_t>(l4[0] << 8 | l4[1]);
    p.dport = static_cast<uint16_t>(l4[2] << 8 | l4[3]);
  }
  return p;
}

std::pair<Verdict, std::optional<size_t>> Netfilter::evaluate(Chain chain, const NfPacket& p) const {
  for (size_t i = 0; i < rules_.size(); ++i)
    if (rules_[i].chain == chain && matches(rules_[i], p)) return {rules_[i].verdict, i};
  return {Verdict::Accept, std::nullopt};
}

}  // namespace rnicsim::netstack

// Netfilter rules: the first rule of the chain whose every given field matches decides
// (ACCEPT, DROP, REJECT); no match accepts; ports match TCP and UDP only.
#include <catch2/catch.hpp>

#include "model/proto/netstack/netfilter.h"
#include "model/wire/ipv4.h"

using namespace rnicsim;
using namespace rnicsim::netstack;

namespace {

constexpr wire::Ipv4Addr kA = 0x0A000001, kB = 0x0A000002, kFar = 0x0A010009;

NfPacket tcp(wire::Ipv4Addr src, wire::Ipv4Addr dst, uint16_t sport, uint16_t dport) {
  return NfPacket{wire::kIpProtoTcp, src, dst, sport, dport};
}

/// The scenario contract's example rules, and a few more.
Netfilter rules() {
  Netfilter nf;
  NfRule drop6000;  // {action: drop, proto: tcp, dport: 6000}
  drop6000.verdict = Verdict::Drop;
  drop6000.proto = NfProto::Tcp;
  drop6000.dport = PortRange{6000, 6000};
  nf.append(drop6000);
  NfRule out_drop;  // {action: drop, chain: output, proto: tcp, dst: 10.0.0.9/32}
  out_drop.chain = Chain::Output;
  out_drop.verdict = Verdict::Drop;
  out_drop.proto = NfProto::Tcp;
  out_drop.dst = NfPrefix{0x0A000009, 32};
  nf.append(out_drop);
  NfRule reject_range;  // {action: reject, src: 10.1.0.0/16, dport: 7000-7999}
  reject_range.verdict = Verdict::Reject;
  reject_range.src = NfPrefix{0x0A010000, 16};
  reject_range.dport = PortRange{7000, 7999};
  nf.append(reject_range);
  NfRule accept_7500;  // shadowed for 10.1/16 by the rule above: first match wins
  accept_7500.verdict = Verdict::Accept;
  accept_7500.dport = PortRange{7500, 7500};
  nf.append(accept_7500);
  NfRule drop_icmp;
  drop_icmp.verdict = Verdict::Drop;
  drop_icmp.proto = NfProto::Icmp;
  nf.append(drop_icmp);
  return nf;
}

}  // namespace

TEST_CASE("netfilter: drop, reject and accept, each by the first rule that matches") {
  const Netfilter nf = rules();
  CHECK(nf.evaluate(Chain::Input, tcp(kB, kA, 40000, 6000)) == std::make_pair(Verdict::Drop, std::optional<size_t>(0)));
  CHECK(nf.evaluate(Chain::Input, tcp(kFar, kA, 40000, 7500)) ==
        std::make_pair(Verdict::Reject, std::optional<size_t>(2)));
  CHECK(nf.evaluate(Chain::Input, tcp(kB, kA, 40000, 7500)) ==
        std::make_pair(Verdict::Accept, std::optional<size_t>(3)));
  CHECK(nf.evaluate(Chain::Input, NfPacket{wire::kIpProtoUdp, kFar, kA, 1, 7000}).first == Verdict::Reject);
}

TEST_CASE("netfilter: no rule matches: accepted by the default policy") {
  const Netfilter nf = rules();
  CHECK(nf.evaluate(Chain::Input, tcp(kB, kA, 40000, 5000)) == std::make_pair(Verdict::Accept, std::optional<size_t>()));
  CHECK(Netfilter{}.evaluate(Chain::Output, tcp(kA, kB, 1, 2)).first == Verdict::Accept);
}

TEST_CASE("netfilter: a rule applies to its own chain only") {
  const Netfilter nf = rules();
  CHECK(nf.evaluate(Chain::Output, tcp(kA, 0x0A000009, 40000, 80)) ==
        std::make_pair(Verdict::Drop, std::optional<size_t>(1)));
  CHECK(nf.evaluate(Chain::Input, tcp(0x0A000009, kA, 40000, 80)).first == Verdict::Accept);
  CHECK(nf.evaluate(Chain::Output, tcp(kA, kB, 40000, 6000)).first == Verdict::Accept);  // rule 0 is INPUT
}

TEST_CASE("netfilter: protocols, and ports that match no ICMP packet") {
  const Netfilter nf = rules();
  const NfPacket icmp{wire::kIpProtoIcmp, kB, kA, 0, 0};
  CHECK(nf.evaluate(Chain::Input, icmp) == std::make_pair(Verdict::Drop, std::optional<size_t>(4)));
  Netfilter port_only;
  NfRule r;
  r.verdict = Verdict::Drop;
  r.dport = PortRange{0, 65535};  // every port, but only where there are ports
  port_only.append(r);
  CHECK(port_only.evaluate(Chain::Input, icmp).first == Verdict::Accept);
  CHECK(port_only.evaluate(Chain::Input, tcp(kB, kA, 1, 0)).first == Verdict::Drop);
  Netfilter udp_only;
  NfRule u;
  u.verdict = Verdict::Reject;
  u.proto = NfProto::Udp;
  udp_only.append(u);
  CHECK(udp_only.evaluate(Chain::Input, tcp(kB, kA, 1, 2)).first == Verdict::Accept);
  CHECK(udp_only.evaluate(Chain::Input, NfPacket{wire::kIpProtoUdp, kB, kA, 1, 2}).first == Verdict::Reject);
}

TEST_CASE("netfilter: what a rule sees of a packet: addresses, protocol, the ports of a first TCP or UDP fragment") {
  wire::Ipv4Header h;
  h.protocol = wire::kIpProtoTcp;
  h.src = kB;
  h.dst = kA;
  const uint8_t l4[8] = {0x9c, 0x40, 0x13, 0x89, 0, 0, 0, 1};  // 40000 -> 5001, then the sequence number
  NfPacket p = nf_packet(h, l4, sizeof l4);
  CHECK(p.protocol == wire::kIpProtoTcp);
  CHECK(p.src == kB);
  CHECK(p.dst == kA);
  CHECK(p.sport == 40000);
  CHECK(p.dport == 5001);
  h.protocol = wire::kIpProtoUdp;
  CHECK(nf_packet(h, l4, 4).dport == 5001);
  CHECK(nf_packet(h, l4, 3).dport == 0);  // too short to hold the ports
  h.frag_offset = 185;                    // a later fragment: its bytes are not a header
  CHECK(nf_packet(h, l4, sizeof l4).sport == 0);
  h.frag_offset = 0;
  h.protocol = wire::kIpProtoIcmp;
  p = nf_packet(h, l4, sizeof l4);
  CHECK(p.sport == 0);
  CHECK(p.dport == 0);
  // The scenario's {action: drop, proto: tcp, dport: 6000} then sees nothing of an ICMP packet.
  CHECK(rules().evaluate(Chain::Input, p) == std::make_pair(Verdict::Drop, std::optional<size_t>(4)));
}

TEST_CASE("netfilter: rules given at construction keep their order; chains and verdicts by name") {
  NfRule accept_all;
  NfRule drop_all;
  drop_all.verdict = Verdict::Drop;
  const Netfilter nf(std::vector<NfRule>{accept_all, drop_all});
  CHECK(nf.size() == 2);
  CHECK(nf.evaluate(Chain::Input, tcp(kB, kA, 1, 2)) == std::make_pair(Verdict::Accept, std::optional<size_t>(0)));
  CHECK(std::string(to_string(Chain::Input)) == "input");
  CHECK(std::string(to_string(Chain::Output)) == "output");
  CHECK(std::string(to_string(Verdict::Accept)) == "accept");
  CHECK(std::string(to_string(Verdict::Drop)) == "drop");
  CHECK(std::string(to_string(Verdict::Reject)) == "reject");
}

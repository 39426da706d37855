#pragma once
// Frames a peer sends a type-3 RNIC, built with the project's codecs, and the addresses of
// the tests: host bob 10.0.0.2 and its RNIC 10.0.0.12 on one port, peer alice 10.0.0.1.
#include <cstdint>
#include <vector>

#include "model/common/frame.h"
#include "model/wire/eth.h"
#include "model/wire/icmp.h"
#include "model/wire/ipv4.h"
#include "model/wire/tcp.h"

namespace t3 {

using namespace rnicsim;

constexpr wire::Ipv4Addr kAlice = 0x0A000001, kHost = 0x0A000002, kRnic = 0x0A00000C;
constexpr wire::MacAddr kAliceMac = 0x020000000001ull, kHostMac = 0x020000000002ull, kRnicMac = 0x020000000102ull;

inline FramePtr arp_frame(FramePool& pool, wire::ArpOp op, wire::MacAddr eth_dst, wire::MacAddr sha,
                          wire::Ipv4Addr spa, wire::MacAddr tha, wire::Ipv4Addr tpa) {
  FramePtr f = pool.make();
  f->bytes.resize(wire::kEthHeaderLen + wire::kArpLen);
  wire::encode_eth(f->bytes.data(), {eth_dst, sha, wire::kEtherTypeArp});
  wire::encode_arp(f->bytes.data() + wire::kEthHeaderLen, {op, sha, spa, tha, tpa});
  return f;
}

/// alice's echo request to `dst` (at `eth_dst`) with `data` bytes 0, 1, 2, ...
inline FramePtr echo_request(FramePool& pool, wire::MacAddr eth_dst, wire::Ipv4Addr dst, uint16_t id, uint16_t seq,
                             size_t data) {
  FramePtr f = pool.make();
  f->bytes.resize(wire::kEthHeaderLen + wire::kIpv4HeaderLen + wire::kIcmpEchoHeaderLen + data);
  uint8_t* p = f->bytes.data();
  wire::encode_eth(p, {eth_dst, kAliceMac, wire::kEtherTypeIpv4});
  wire::Ipv4Header ip;
  ip.total_length = static_cast<uint16_t>(wire::kIpv4HeaderLen + wire::kIcmpEchoHeaderLen + data);
  ip.id = 77;
  ip.protocol = wire::kIpProtoIcmp;
  ip.src = kAlice;
  ip.dst = dst;
  wire::encode_ipv4(p + wire::kEthHeaderLen, ip);
  uint8_t* icmp = p + wire::kEthHeaderLen + wire::kIpv4HeaderLen;
  for (size_t i = 0; i < data; ++i) icmp[wire::kIcmpEchoHeaderLen + i] = static_cast<uint8_t>(i);
  wire::encode_icmp_echo(icmp, {wire::kIcmpEchoRequest, 0, id, seq}, data);
  return f;
}

/// A router's fragmentation-needed (next-hop MTU `mtu`) about a TCP segment from `orig_src`
/// to alice, sent to the RNIC.
inline FramePtr frag_needed(FramePool& pool, wire::Ipv4Addr orig_src, uint16_t mtu) {
  std::vector<uint8_t> orig(wire::kIpv4HeaderLen + 20);
  wire::Ipv4Header oh;
  oh.total_length = 1500;
  oh.protocol = wire::kIpProtoTcp;
  oh.src = orig_src;
  oh.dst = kAlice;
  wire::encode_ipv4(orig.data(), oh);
  wire::TcpHeader th;
  th.sport = 5000;
  th.dport = 40000;
  wire::encode_tcp(orig.data() + wire::kIpv4HeaderLen, th);
  const size_t len = wire::icmp_error_len(orig.size());
  FramePtr f = pool.make();
  f->bytes.resize(wire::kEthHeaderLen + wire::kIpv4HeaderLen + len);
  uint8_t* p = f->bytes.data();
  wire::encode_eth(p, {kRnicMac, kAliceMac, wire::kEtherTypeIpv4});
  wire::Ipv4Header ip;
  ip.total_length = static_cast<uint16_t>(wire::kIpv4HeaderLen + len);
  ip.protocol = wire::kIpProtoIcmp;
  ip.src = 0x0A0000FE;  // the router
  ip.dst = kRnic;
  wire::encode_ipv4(p + wire::kEthHeaderLen, ip);
  wire::encode_icmp_error(p + wire::kEthHeaderLen + wire::kIpv4HeaderLen, wire::kIcmpDestUnreachable,
                          wire::kIcmpFragNeeded, mtu, orig.data(), orig.size());
  return f;
}

}  // namespace t3

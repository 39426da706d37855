#pragma once
/// Ethernet II and ARP (RFC 826) for IPv4 over Ethernet.
#include <cstddef>
#include <cstdint>

#include "model/wire/decode.h"

namespace rnicsim::wire {

using MacAddr = uint64_t;  ///< 48 bits, first octet most significant
using Ipv4Addr = uint32_t; ///< host byte order

constexpr size_t kEthHeaderLen = 14;
constexpr size_t kEthFcsLen = 4;
constexpr size_t kEthMinFrame = 60;        ///< without FCS; shorter frames are padded
constexpr size_t kEthPreambleSfd = 8;
constexpr size_t kEthInterFrameGap = 12;
constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeArp = 0x0806;
constexpr MacAddr kMacBroadcast = 0xFFFFFFFFFFFFull;

struct EthHeader {
  MacAddr dst = 0;
  MacAddr src = 0;
  uint16_t ethertype = 0;
};
/// Writes the 14-byte header at `out`; returns 14.
size_t encode_eth(uint8_t* out, const EthHeader& h);
Decoded<EthHeader> decode_eth(const uint8_t* p, size_t len);

constexpr size_t kArpLen = 28;
enum class ArpOp : uint16_t { Request = 1, Reply = 2 };
struct ArpPacket {
  ArpOp op = ArpOp::Request;
  MacAddr sha = 0;
  Ipv4Addr spa = 0;
  MacAddr tha = 0;
  Ipv4Addr tpa = 0;
};
/// Writes the 28-byte ARP packet (htype 1, ptype 0x0800, hlen 6, plen 4); returns 28.
size_t encode_arp(uint8_t* out, const ArpPacket& a);
/// Malformed unless htype 1, ptype IPv4, hlen 6, plen 4 and op 1 or 2.
Decoded<ArpPacket> decode_arp(const uint8_t* p, size_t len);

}  // namespace rnicsim::wire

#pragma once
/// ICMP (RFC 792): echo request/reply, for ping between hosts and RNICs, and the error
/// messages that quote the datagram they are about: destination unreachable (with RFC
/// 1191's next-hop MTU for "fragmentation needed"), redirect and time exceeded.
#include <cstddef>
#include <cstdint>

#include "model/wire/decode.h"
#include "model/wire/eth.h"

namespace rnicsim::wire {

constexpr size_t kIcmpEchoHeaderLen = 8;
constexpr uint8_t kIcmpEchoReply = 0;
constexpr uint8_t kIcmpEchoRequest = 8;

struct IcmpEcho {
  uint8_t type = kIcmpEchoRequest;  ///< 8 request, 0 reply
  uint8_t code = 0;
  uint16_t id = 0;
  uint16_t seq = 0;
};
/// Writes the 8-byte header in front of `payload_len` bytes already at out + 8 and fills the
/// checksum over header and payload; returns 8.
size_t encode_icmp_echo(uint8_t* out, const IcmpEcho& e, size_t payload_len);
/// `len` is the whole ICMP message (header + payload): BadChecksum when its checksum is
/// wrong, Malformed when it is not an echo request or reply.
Decoded<IcmpEcho> decode_icmp_echo(const uint8_t* p, size_t len);

// ---- error messages
constexpr uint8_t kIcmpDestUnreachable = 3;
constexpr uint8_t kIcmpRedirect = 5;
constexpr uint8_t kIcmpTimeExceeded = 11;
// Destination unreachable codes (RFC 792, RFC 1812 s.5.2.7.1).
constexpr uint8_t kIcmpNetUnreachable = 0;
constexpr uint8_t kIcmpHostUnreachable = 1;
constexpr uint8_t kIcmpProtoUnreachable = 2;
constexpr uint8_t kIcmpPortUnreachable = 3;
constexpr uint8_t kIcmpFragNeeded = 4;        ///< "fragmentation needed and DF set" (RFC 1191)
constexpr uint8_t kIcmpAdminProhibited = 13;  ///< "communication administratively prohibited"
// Redirect codes: 0 for the network, 1 for the host (Linux sends 1).
constexpr uint8_t kIcmpRedirectHost = 1;
// Time exceeded codes: 0 TTL exceeded in transit.
constexpr uint8_t kIcmpTtlExceeded = 0;
/// How much of the offending datagram an error quotes: as much as keeps the error's IPv4
/// datagram within 576 bytes (RFC 1812 s.4.3.2.3; Linux's icmp_send), at least the IPv4
/// header and 8 bytes of data (RFC 792).
constexpr size_t kIcmpMaxQuote = 576 - 20 - 8;

/// An error message as a receiver reads it: type, code, the 32-bit field after the
/// checksum (the next-hop MTU in its low 16 bits for fragmentation needed, the gateway for
/// a redirect, 0 otherwise), and what it quotes of the original datagram.
struct IcmpError {
  uint8_t type = kIcmpDestUnreachable;
  uint8_t code = 0;
  uint32_t rest = 0;
  Ipv4Addr orig_src = 0, orig_dst = 0;
  uint8_t orig_protocol = 0;
  uint16_t orig_sport = 0, orig_dport = 0;  ///< TCP and UDP: the quoted ports (0 otherwise)
  uint16_t next_hop_mtu() const { return static_cast<uint16_t>(rest & 0xffff); }
  Ipv4Addr gateway() const { return rest; }
};
/// The length of an error about `orig_len` bytes of a datagram (IPv4 header onwards).
size_t icmp_error_len(size_t orig_len);
/// Writes an error of `type`/`code`/`rest` quoting the datagram `orig` (its IPv4 header
/// onwards, `orig_len` bytes; quoted up to kIcmpMaxQuote), with its checksum; returns
/// icmp_error_len(orig_len).
size_t encode_icmp_error(uint8_t* out, uint8_t type, uint8_t code, uint32_t rest, const uint8_t* orig,
                         size_t orig_len);
/// `len` is the whole ICMP message: Malformed unless type 3, 5 or 11 quoting at least an
/// IPv4 header (and the ports when it is TCP or UDP with 8 bytes quoted), BadChecksum when
/// its checksum is wrong.
Decoded<IcmpError> decode_icmp_error(const uint8_t* p, size_t len);

}  // namespace rnicsim::wire

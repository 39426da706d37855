#pragma once
/// TCP header and options (RFC 9293; MSS 2, window scale 3 (RFC 7323), SACK-permitted 4 and
/// SACK 5 (RFC 2018), timestamps 8 (RFC 7323)).
#include <array>
#include <cstddef>
#include <cstdint>

#include "model/wire/decode.h"
#include "model/wire/eth.h"

namespace rnicsim::wire {

namespace tcp_flags {
constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10, kUrg = 0x20,
                  kEce = 0x40, kCwr = 0x80;
}

struct SackBlock {
  uint32_t left = 0;
  uint32_t right = 0;
};

struct TcpOptions {
  bool has_mss = false;
  uint16_t mss = 0;
  bool has_wscale = false;
  uint8_t wscale = 0;
  bool sack_permitted = false;
  bool has_timestamps = false;
  uint32_t ts_val = 0;
  uint32_t ts_ecr = 0;
  uint8_t sack_count = 0;  ///< 0..4 (3 when timestamps are present, as Linux sends)
  std::array<SackBlock, 4> sack{};
};

struct TcpHeader {
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;   ///< as on the wire (unscaled)
  uint16_t urgent = 0;
  TcpOptions opts;
  uint8_t header_length = 20;  ///< decode: data offset * 4
};

/// Bytes the header takes with these options, padded to 4 (Linux's layout:
/// SYN "MSS, SACK-permitted, timestamps, NOP, window scale"; otherwise "NOP NOP timestamps",
/// then "NOP NOP SACK blocks").
size_t tcp_header_length(const TcpOptions& o);
/// Writes the header (checksum field zero); returns its length.
size_t encode_tcp(uint8_t* out, const TcpHeader& h);
/// Fills the checksum of a TCP segment (header + payload, contiguous, `tcp_len` bytes) with
/// the IPv4 pseudo-header.
void tcp_fill_checksum(uint8_t* seg, size_t tcp_len, Ipv4Addr src, Ipv4Addr dst);
bool tcp_checksum_ok(const uint8_t* seg, size_t tcp_len, Ipv4Addr src, Ipv4Addr dst);
/// Decodes the header and the options it knows (unknown options are skipped by length;
/// a bad option length or data offset is Malformed).
Decoded<TcpHeader> decode_tcp(const uint8_t* p, size_t len);

}  // namespace rnicsim::wire

#pragma once
/// MPA (RFC 5044) and its enhanced connection setup (RFC 6581): Request/Reply frames and
/// FPDU arithmetic. FPDU framing of a stream lives in model/proto/mpa.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model/wire/decode.h"

namespace rnicsim::wire {

constexpr size_t kMpaKeyLen = 16;
constexpr char kMpaRequestKey[] = "MPA ID Req Frame";
constexpr char kMpaReplyKey[] = "MPA ID Rep Frame";
constexpr size_t kMpaReqRepHeaderLen = 20;
constexpr size_t kMpaMaxPrivateData = 512;
namespace mpa_flags {
constexpr uint8_t kMarkers = 0x80, kCrc = 0x40, kReject = 0x20, kEnhanced = 0x10;
}

/// RFC 6581 section 9 "enhanced" private-data prefix: P|Z|IRD(14), W|R|ORD(14).
struct MpaEnhanced {
  bool peer_to_peer = false;   ///< P
  bool zero_send_rtr = false;  ///< Z
  bool zero_write_rtr = false; ///< W
  bool zero_read_rtr = false;  ///< R
  uint16_t ird = 0;            ///< 14 bits
  uint16_t ord = 0;            ///< 14 bits
};
constexpr size_t kMpaEnhancedLen = 4;
constexpr uint16_t kMpaIrdOrdMax = 0x3FFF;

struct MpaReqRep {
  bool reply = false;     ///< key: Rep (true) or Req
  bool markers = false;   ///< M
  bool crc = false;       ///< C
  bool reject = false;    ///< R
  bool enhanced = false;  ///< revision 2 only: private data starts with MpaEnhanced
  uint8_t revision = 2;
  MpaEnhanced ird_ord;    ///< meaningful when enhanced
  std::vector<uint8_t> private_data;  ///< the application's, after the enhanced prefix
};
/// The whole frame: header, enhanced prefix when `enhanced`, private data.
std::vector<uint8_t> encode_mpa_reqrep(const MpaReqRep& f);
/// Truncated until the header and all its private data are there (so a stream parser can
/// wait); Malformed on a wrong key, private data over 512 bytes, or an enhanced frame whose
/// private data is shorter than 4 bytes. `length` is the whole frame.
Decoded<MpaReqRep> decode_mpa_reqrep(const uint8_t* p, size_t len);

/// PAD = (-(ULPDU_Length + 2)) mod 4.
constexpr size_t mpa_pad(size_t ulpdu_len) { return (4 - ((ulpdu_len + 2) & 3)) & 3; }
constexpr size_t kMpaLenField = 2;
constexpr size_t kMpaCrcLen = 4;
/// FPDU bytes without markers: length field, ULPDU, pad, CRC (present, 0 when CRC is off).
constexpr size_t mpa_fpdu_length(size_t ulpdu_len) {
  return kMpaLenField + ulpdu_len + mpa_pad(ulpdu_len) + kMpaCrcLen;
}
/// The largest ULPDU that fits in a TCP segment of `emss` payload bytes (RFC 5044 s.5.1):
/// without markers emss - 6 rounded down so the FPDU stays within emss; with markers
/// emss - (6 + 4*ceil(emss/512) + emss mod 4).
uint32_t mpa_mulpdu(uint32_t emss, bool markers);

}  // namespace rnicsim::wire

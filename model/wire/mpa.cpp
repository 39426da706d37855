#include "model/wire/mpa.h"

#include <cstring>

#include "model/common/bytes.h"

namespace rnicsim::wire {

namespace {
constexpr uint16_t kEnhHigh = 0x8000, kEnhLow = 0x4000;  // P/W and Z/R bits of each word
constexpr uint8_t kRevisionEnhanced = 2;                  // RFC 6581
}  // namespace

std::vector<uint8_t> encode_mpa_reqrep(const MpaReqRep& f) {
  // Written as given: the connection manager enforces the 512-byte limit and the revision
  // rules, and tests need to build frames that break them.
  const size_t pd_len = (f.enhanced ? kMpaEnhancedLen : 0) + f.private_data.size();
  std::vector<uint8_t> out(kMpaReqRepHeaderLen + pd_len);
  uint8_t* p = out.data();
  std::memcpy(p, f.reply ? kMpaReplyKey : kMpaRequestKey, kMpaKeyLen);
  p[16] = static_cast<uint8_t>((f.markers ? mpa_flags::kMarkers : 0) |
                               (f.crc ? mpa_flags::kCrc : 0) |
                               (f.reject ? mpa_flags::kReject : 0) |
                               (f.enhanced ? mpa_flags::kEnhanced : 0));
  p[17] = f.revision;
  store_be16(p + 18, static_cast<uint16_t>(pd_len));
  p += kMpaReqRepHeaderLen;
  if (f.enhanced) {
    const MpaEnhanced& e = f.ird_ord;
    store_be16(p, static_cast<uint16_t>((e.peer_to_peer ? kEnhHigh : 0) |
                                        (e.zero_send_rtr ? kEnhLow : 0) | (e.ird & kMpaIrdOrdMax)));
    store_be16(p + 2, static_cast<uint16_t>((e.zero_write_rtr ? kEnhHigh : 0) |
                                            (e.zero_read_rtr ? kEnhLow : 0) |
                                            (e.ord & kMpaIrdOrdMax)));
    p += kMpaEnhancedLen;
  }
  if (!f.private_data.empty()) std::memcpy(p, f.private_data.data(), f.private_data.size());
  return out;
}

Decoded<MpaReqRep> decode_mpa_reqrep(const uint8_t* p, size_t len) {
  Decoded<MpaReqRep> d;
  if (len < kMpaReqRepHeaderLen) return d;
  MpaReqRep& f = d.value;
  if (std::memcmp(p, kMpaRequestKey, kMpaKeyLen) == 0) {
    f.reply = false;
  } else if (std::memcmp(p, kMpaReplyKey, kMpaKeyLen) == 0) {
    f.reply = true;
  } else {
    d.status = DecodeStatus::Malformed;
    return d;
  }
  const uint8_t flags = p[16];
  f.markers = (flags & mpa_flags::kMarkers) != 0;
  f.crc = (flags & mpa_flags::kCrc) != 0;
  f.reject = (flags & mpa_flags::kReject) != 0;
  f.revision = p[17];
  // The enhanced bit is one of revision 1's reserved bits (RFC 5044 has senders write 0):
  // only a revision 2 frame carries the IRD/ORD prefix.
  f.enhanced = (flags & mpa_flags::kEnhanced) != 0 && f.revision >= kRevisionEnhanced;
  const size_t pd_len = load_be16(p + 18);
  // Rejected before waiting for the bytes: a bad length must not stall the stream parser.
  if (pd_len > kMpaMaxPrivateData || (f.enhanced && pd_len < kMpaEnhancedLen)) {
    d.status = DecodeStatus::Malformed;
    return d;
  }
  if (len < kMpaReqRepHeaderLen + pd_len) return d;
  const uint8_t* pd = p + kMpaReqRepHeaderLen;
  size_t app_len = pd_len;
  if (f.enhanced) {
    const uint16_t w0 = load_be16(pd), w1 = load_be16(pd + 2);
    f.ird_ord.peer_to_peer = (w0 & kEnhHigh) != 0;
    f.ird_ord.zero_send_rtr = (w0 & kEnhLow) != 0;
    f.ird_ord.ird = static_cast<uint16_t>(w0 & kMpaIrdOrdMax);
    f.ird_ord.zero_write_rtr = (w1 & kEnhHigh) != 0;
    f.ird_ord.zero_read_rtr = (w1 & kEnhLow) != 0;
    f.ird_ord.ord = static_cast<uint16_t>(w1 & kMpaIrdOrdMax);
    pd += kMpaEnhancedLen;
    app_len -= kMpaEnhancedLen;
  }
  f.private_data.assign(pd, pd + app_len);
  d.length = kMpaReqRepHeaderLen + pd_len;
  d.status = DecodeStatus::Ok;
  return d;
}

uint32_t mpa_mulpdu(uint32_t emss, bool markers) {
  // RFC 5044's MULPDU with markers (quoted from memory: the RFC text could not be re-read
  // here, but the table of protocol-facts.md, 1416 payload bytes per 1500-MTU frame with
  // markers, agrees with it):
  //   MULPDU = EMSS - (6 + 4 * Ceiling(EMSS / 512) + EMSS mod 4)
  // which leaves room for the length field and CRC (6), one marker per started 512 bytes,
  // and makes 2 + MULPDU a multiple of 4 so the pad is 0.
  // Without markers the RFC's figure is EMSS - 6; here it is rounded down so that
  // 2 + MULPDU + pad + 4 <= EMSS still holds when EMSS is not a multiple of 4 (one FPDU
  // per segment): the largest ULPDU with mpa_fpdu_length(ULPDU) <= EMSS.
  if (markers) {
    const uint32_t overhead = 6 + 4 * ((emss + 511) / 512) + emss % 4;
    return emss > overhead ? emss - overhead : 0;
  }
  if (emss < 8) return 0;  // even an empty ULPDU takes 2 + 2 (pad) + 4 bytes
  return ((emss - kMpaCrcLen) & ~uint32_t{3}) - static_cast<uint32_t>(kMpaLenField);
}

}  // namespace rnicsim::wire

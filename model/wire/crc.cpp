#include "model/wire/crc.h"

#include <cstring>

#include <isa-l.h>

namespace rnicsim::wire {

uint32_t crc32c_update(uint32_t reg, const uint8_t* data, size_t len) {
  // crc32_iscsi takes an int length: feed very large buffers in pieces. It neither inverts
  // its input register nor its result, so the running register passes straight through.
  constexpr size_t kChunk = size_t{1} << 30;
  while (len > 0) {
    const size_t n = len < kChunk ? len : kChunk;
    // ISA-L 2.30 declares the buffer non-const although it only reads it.
    reg = crc32_iscsi(const_cast<unsigned char*>(data), static_cast<int>(n), reg);
    data += n;
    len -= n;
  }
  return reg;
}

uint32_t crc32c(const uint8_t* data, size_t len) {
  return crc32c_final(crc32c_update(kCrc32cInit, data, len));
}

uint32_t ethernet_fcs(const uint8_t* data, size_t len) {
  // The reflected IEEE CRC (zlib/gzip's), not ISA-L's crc32_ieee, which is the
  // non-reflected variant. Initial value 0 here means "no bytes yet": the function applies
  // the 0xFFFFFFFF pre- and post-inversion itself.
  return crc32_gzip_refl(0, data, len);
}

uint32_t inet_sum(const uint8_t* data, size_t len, uint32_t sum) {
  // Pieces chained through `sum` must have even lengths except the last (RFC 1071 4.1).
  // Four bytes at a time in native order into a 64-bit total (no carry to chase: it holds
  // 2^32 words; a loop the compiler vectorises), folded to 16 bits and swapped back (RFC
  // 1071 2(B): the sum is independent of byte order; 2^16 and 2^32 are 1 modulo 0xFFFF).
  // The result is congruent to the word-by-word sum modulo 0xFFFF and zero only when that
  // one is, so inet_fold gives the same checksum.
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the word-wide sum below swaps as a little-endian host");
  uint64_t acc = 0;
  size_t i = 0;
  for (; i + 4 <= len; i += 4) {
    uint32_t w;
    std::memcpy(&w, data + i, 4);
    acc += w;
  }
  acc = (acc & 0xFFFFFFFFu) + (acc >> 32);
  acc = (acc & 0xFFFFFFFFu) + (acc >> 32);
  acc = (acc & 0xFFFFu) + (acc >> 16);
  acc = (acc & 0xFFFFu) + (acc >> 16);
  acc = (acc & 0xFFFFu) + (acc >> 16);
  uint64_t total = uint64_t{sum} + (((acc & 0xFFu) << 8) | (acc >> 8));
  for (; i + 1 < len; i += 2) total += (uint64_t{data[i]} << 8) | data[i + 1];
  if (i < len) total += uint64_t{data[i]} << 8;
  // End-around carry keeps the one's-complement sum while it fits 32 bits again.
  while (total >> 32) total = (total & 0xFFFFFFFFu) + (total >> 32);
  return static_cast<uint32_t>(total);
}

uint16_t inet_fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFFu) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace rnicsim::wire

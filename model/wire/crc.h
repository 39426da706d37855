#pragma once
/// CRC32c (MPA, RFC 3385/3720) and the Ethernet FCS, both through ISA-L.
#include <cstddef>
#include <cstdint>

namespace rnicsim::wire {

/// Running CRC32c register: start with kCrc32cInit, feed pieces with crc32c_update, finish
/// with crc32c_final (the final XOR). crc32c() does all three for one buffer.
constexpr uint32_t kCrc32cInit = 0xFFFFFFFFu;
uint32_t crc32c_update(uint32_t reg, const uint8_t* data, size_t len);
inline uint32_t crc32c_final(uint32_t reg) { return ~reg; }
uint32_t crc32c(const uint8_t* data, size_t len);

/// IEEE 802.3 FCS of `len` bytes (destination MAC .. end of payload); goes on the wire
/// least significant byte first.
uint32_t ethernet_fcs(const uint8_t* data, size_t len);

/// RFC 1071 Internet checksum helpers (IPv4 header, TCP with its pseudo-header).
/// inet_sum adds big-endian 16-bit words to a running sum (chained pieces must have even
/// lengths except the last; an odd last byte counts as the high byte of a word).
uint32_t inet_sum(const uint8_t* data, size_t len, uint32_t sum = 0);
/// Folds the carries into 16 bits and complements (Linux's csum_fold): the value to store
/// in a checksum field; over data that includes a correct checksum it returns 0.
uint16_t inet_fold(uint32_t sum);

}  // namespace rnicsim::wire

#pragma once
/// The result of decoding a header from a byte buffer.
#include <cstddef>

namespace rnicsim::wire {

enum class DecodeStatus {
  Ok,
  Truncated,    ///< fewer bytes than the header needs: a stream parser waits for more
  Malformed,    ///< a field holds a value the format forbids (bad key, bad length, ...)
  BadChecksum,  ///< IPv4 header checksum wrong
};

const char* to_string(DecodeStatus s);

template <class T>
struct Decoded {
  DecodeStatus status = DecodeStatus::Truncated;
  T value{};
  size_t length = 0;  ///< bytes the header occupies (valid when Ok)
  explicit operator bool() const { return status == DecodeStatus::Ok; }
};

}  // namespace rnicsim::wire

#pragma once
/// SHA-256 (FIPS 180-4), for the golden digests of run outputs. Incremental: feed bytes in
/// pieces, then take the hex digest once.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace rnicsim::cli {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t len);
  /// The digest as 64 lowercase hex digits; the object is spent afterwards.
  std::string hex();

 private:
  void block(const uint8_t* p);
  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buf_{};
  size_t used_ = 0;
  uint64_t total_ = 0;
};

}  // namespace rnicsim::cli

#pragma once
/// Byte-buffer helpers shared by every codec: a non-owning span (C++17 has no std::span)
/// and big-endian loads/stores done with shifts, never casts of structs onto packets.
#include <cstddef>
#include <cstdint>

namespace rnicsim {

template <class T>
struct Span {
  T* ptr = nullptr;
  size_t len = 0;
  constexpr Span() = default;
  constexpr Span(T* p, size_t n) : ptr(p), len(n) {}
  constexpr T* data() const { return ptr; }
  constexpr size_t size() const { return len; }
  constexpr bool empty() const { return len == 0; }
  constexpr T& operator[](size_t i) const { return ptr[i]; }
  constexpr Span subspan(size_t off, size_t n) const { return Span(ptr + off, n); }
  constexpr Span subspan(size_t off) const { return Span(ptr + off, len - off); }
  constexpr T* begin() const { return ptr; }
  constexpr T* end() const { return ptr + len; }
};
using ByteSpan = Span<uint8_t>;
using ConstByteSpan = Span<const uint8_t>;

inline uint16_t load_be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
inline uint64_t load_be64(const uint8_t* p) {
  return (uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}
inline uint64_t load_be48(const uint8_t* p) {
  return (uint64_t{load_be16(p)} << 32) | load_be32(p + 2);
}
inline void store_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void store_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
inline void store_be64(uint8_t* p, uint64_t v) {
  store_be32(p, static_cast<uint32_t>(v >> 32));
  store_be32(p + 4, static_cast<uint32_t>(v));
}
inline void store_be48(uint8_t* p, uint64_t v) {
  store_be16(p, static_cast<uint16_t>(v >> 32));
  store_be32(p + 2, static_cast<uint32_t>(v));
}
inline void store_le32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}
inline uint32_t load_le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}
/// A 64-bit word as the (little-endian, x86) host keeps it in memory.
inline void store_le64(uint8_t* p, uint64_t v) {
  store_le32(p, static_cast<uint32_t>(v));
  store_le32(p + 4, static_cast<uint32_t>(v >> 32));
}
inline uint64_t load_le64(const uint8_t* p) { return uint64_t{load_le32(p)} | (uint64_t{load_le32(p + 4)} << 32); }

}  // namespace rnicsim

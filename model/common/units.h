#pragma once
/// Typed quantities: durations, rates and sizes. No SystemC here, so the scenario loader and
/// the plain-C++ protocol logic share them; the SystemC blocks convert with to_sc_time().
#include <cstdint>

namespace rnicsim {

/// A span of simulated time, in picoseconds (SystemC's default resolution).
struct Duration {
  int64_t ps = 0;
  static constexpr Duration from_ps(int64_t v) { return Duration{v}; }
  static constexpr Duration from_ns(double v) { return Duration{static_cast<int64_t>(v * 1e3 + (v >= 0 ? 0.5 : -0.5))}; }
  static constexpr Duration from_us(double v) { return from_ns(v * 1e3); }
  static constexpr Duration from_ms(double v) { return from_ns(v * 1e6); }
  static constexpr Duration from_s(double v) { return from_ns(v * 1e9); }
  constexpr double ns() const { return static_cast<double>(ps) / 1e3; }
  constexpr double us() const { return static_cast<double>(ps) / 1e6; }
  constexpr double s() const { return static_cast<double>(ps) / 1e12; }
  constexpr bool operator==(Duration o) const { return ps == o.ps; }
  constexpr bool operator!=(Duration o) const { return ps != o.ps; }
  constexpr bool operator<(Duration o) const { return ps < o.ps; }
  constexpr bool operator<=(Duration o) const { return ps <= o.ps; }
  constexpr bool operator>(Duration o) const { return ps > o.ps; }
  constexpr bool operator>=(Duration o) const { return ps >= o.ps; }
  constexpr Duration operator+(Duration o) const { return Duration{ps + o.ps}; }
  constexpr Duration operator-(Duration o) const { return Duration{ps - o.ps}; }
  constexpr Duration operator*(int64_t k) const { return Duration{ps * k}; }
};

/// A bit rate in bits per second.
struct Rate {
  uint64_t bps = 0;
  static constexpr Rate from_gbps(double g) { return Rate{static_cast<uint64_t>(g * 1e9 + 0.5)}; }
  constexpr double gbps() const { return static_cast<double>(bps) / 1e9; }
  /// Time to serialise `bytes` at this rate, rounded up to a whole picosecond.
  constexpr Duration time_for_bytes(uint64_t bytes) const {
    // Frames, TLPs and messages up to 2 MiB: the product and the rounding fit 64 bits (a
    // 64-bit division is several times cheaper than a 128-bit one, once per frame and TLP).
    if (bytes <= (uint64_t{1} << 21) && bps <= (uint64_t{1} << 60)) {
      const uint64_t num = bytes * 8000000000000ull;
      return Duration{static_cast<int64_t>((num + bps - 1) / bps)};
    }
    // Beyond: bytes*8e12/bps without overflow for messages up to several GiB.
    __extension__ typedef unsigned __int128 u128;  // GCC/Clang: the product needs 128 bits
    const u128 num = static_cast<u128>(bytes) * 8u * 1000000000000ull;
    return Duration{static_cast<int64_t>((num + bps - 1) / bps)};
  }
  constexpr bool operator==(Rate o) const { return bps == o.bps; }
  constexpr bool operator!=(Rate o) const { return bps != o.bps; }
};

constexpr uint64_t KiB = 1024;
constexpr uint64_t MiB = 1024 * KiB;
constexpr uint64_t GiB = 1024 * MiB;

}  // namespace rnicsim

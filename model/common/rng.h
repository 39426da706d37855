#pragma once
/// Deterministic random numbers: one generator per component, seeded from the scenario
/// seed and the component's hierarchical name, so adding a component leaves the draws of
/// the others unchanged.
#include <cstdint>
#include <string>

namespace rnicsim {

/// splitmix64's step and output function: the output for state z (after the step).
inline uint64_t splitmix64_mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
constexpr uint64_t kSplitmix64Step = 0x9E3779B97F4A7C15ull;

inline uint64_t splitmix64(uint64_t& x) { return splitmix64_mix(x += kSplitmix64Step); }

inline uint64_t hash_name(const std::string& s) {
  uint64_t h = 0xCBF29CE484222325ull;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 0x100000001B3ull;
  return h;
}

/// xoshiro256** (Blackman and Vigna).
class Rng {
 public:
  Rng(uint64_t seed, const std::string& name) {
    uint64_t x = seed ^ hash_name(name);
    for (auto& w : s_) w = splitmix64(x);
  }
  uint64_t next() {
    const uint64_t r = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return r;
  }
  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return p > 0 && uniform() < p; }
  uint32_t u32() { return static_cast<uint32_t>(next() >> 32); }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace rnicsim

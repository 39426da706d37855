#pragma once
/// The text forms of IPv4 and MAC addresses (`10.0.0.1`, `02:00:00:00:00:01`), for logs,
/// events and messages. Here, below every layer, so the host's event log and the scenario
/// checker write addresses the same way without the host including the scenario layer.
#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace rnicsim {

/// Dotted quad of an address held in host byte order.
inline std::string format_ipv4(uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

/// Six lower-case hex pairs joined by colons; the 48-bit address sits in the low bits,
/// its first octet most significant.
inline std::string format_mac(uint64_t m) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", (m >> 40) & 0xff, (m >> 32) & 0xff,
                     (m >> 24) & 0xff, (m >> 16) & 0xff, (m >> 8) & 0xff, m & 0xff);
}

}  // namespace rnicsim

#pragma once
/// Text to typed quantities and addresses, as a scenario writes them (scenario-format.md,
/// "General rules"). Each returns nullopt on bad text and, when `why` is given, says what
/// was wrong in a phrase that completes "expected a time, got '5' (...)".
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/common/units.h"
#include "model/scenario/scenario.h"

namespace rnicsim::scenario {

/// `1.5us`, `200ms`, `0s`, `3105ps`: a non-negative decimal and one of ps ns us ms s.
/// A bare number is refused (the unit would live in someone's head); so is a value finer
/// than one picosecond.
std::optional<Duration> parse_duration(std::string_view text, std::string* why = nullptr);
/// `25Gbps`, `2.5Gbps`, `100Mbps`: decimal units (1 Gbps = 1e9 bps), whole bits per second.
std::optional<Rate> parse_rate(std::string_view text, std::string* why = nullptr);
/// `4KiB`, `1.5MiB`, `9000B`, `1GB`, or a bare integer (bytes); a whole number of bytes.
std::optional<uint64_t> parse_size(std::string_view text, std::string* why = nullptr);
/// `10.0.0.1/24`: the prefix length is required.
std::optional<Ipv4Prefix> parse_ipv4_prefix(std::string_view text, std::string* why = nullptr);
/// `10.0.0.1`: dotted quad, no prefix.
std::optional<Ipv4> parse_ipv4(std::string_view text, std::string* why = nullptr);
/// `02:00:00:00:00:01`: six pairs of hex digits joined by colons (either case).
std::optional<Mac> parse_mac(std::string_view text, std::string* why = nullptr);

/// The shortest exact text for a quantity, as a scenario would write it (`25Gbps`,
/// `1.5us`, `4KiB`): for messages, so a user sees the units they wrote. Addresses format
/// through model/common/address.h (the host's event log writes them too).
std::string format_rate(Rate r);
std::string format_duration(Duration d);
std::string format_size(uint64_t bytes);

}  // namespace rnicsim::scenario

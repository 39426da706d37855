#include "model/scenario/units_parse.h"

#include <fmt/format.h>

#include <limits>
#include <vector>

#include "model/scenario/suggest.h"

namespace rnicsim::scenario {
namespace {

struct Unit {
  const char* name;
  uint64_t factor;  ///< base units (ps, bps or bytes) per one of this unit
};

constexpr Unit kTimeUnits[] = {{"ps", 1}, {"ns", 1000}, {"us", 1000000},
                               {"ms", 1000000000}, {"s", 1000000000000}};
constexpr Unit kRateUnits[] = {{"bps", 1}, {"Kbps", 1000}, {"Mbps", 1000000}, {"Gbps", 1000000000}};
constexpr Unit kSizeUnits[] = {{"B", 1},           {"KiB", 1024},       {"MiB", 1024 * 1024},
                               {"GiB", 1 << 30},   {"KB", 1000},        {"MB", 1000000},
                               {"GB", 1000000000}};

void set_why(std::string* why, std::string text) {
  if (why) *why = std::move(text);
}

template <size_t N>
std::string unit_list(const Unit (&units)[N]) {
  std::string out;
  for (size_t i = 0; i < N; ++i) {
    if (i) out += i + 1 == N ? " or " : ", ";
    out += units[i].name;
  }
  return out;
}

template <size_t N>
std::vector<std::string> unit_names(const Unit (&units)[N]) {
  std::vector<std::string> out;
  for (const auto& u : units) out.emplace_back(u.name);
  return out;
}

uint64_t gcd(uint64_t a, uint64_t b) {
  while (b) {
    const uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/// A decimal number `digits[.digits]` as mantissa / 10^frac_digits; the rest is the unit.
struct Decimal {
  uint64_t mantissa = 0;
  uint64_t denominator = 1;
  std::string_view unit;
};

std::optional<Decimal> split_decimal(std::string_view text, const char* what, std::string* why) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty()) {
    set_why(why, "empty");
    return std::nullopt;
  }
  if (text.front() == '-') {
    set_why(why, fmt::format("{} cannot be negative", what));
    return std::nullopt;
  }
  Decimal d;
  size_t i = 0;
  bool any_digit = false, in_fraction = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && !in_fraction && any_digit) {
      in_fraction = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    any_digit = true;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (d.mantissa > (std::numeric_limits<uint64_t>::max() - digit) / 10 ||
        (in_fraction && d.denominator > std::numeric_limits<uint64_t>::max() / 10)) {
      set_why(why, "too many digits");
      return std::nullopt;
    }
    d.mantissa = d.mantissa * 10 + digit;
    if (in_fraction) d.denominator *= 10;
  }
  if (!any_digit || (in_fraction && text[i - 1] == '.')) {
    set_why(why, fmt::format("{} is a number followed by a unit", what));
    return std::nullopt;
  }
  d.unit = text.substr(i);
  while (!d.unit.empty() && d.unit.front() == ' ') d.unit.remove_prefix(1);
  return d;
}

/// mantissa * factor / denominator, when that is a whole number that fits in `max`.
std::optional<uint64_t> scale(const Decimal& d, uint64_t factor, uint64_t max, const char* finest,
                              std::string* why) {
  const uint64_t g = gcd(factor, d.denominator);
  const uint64_t f = factor / g, den = d.denominator / g;
  if (d.mantissa % den != 0) {
    set_why(why, fmt::format("not a whole number of {}", finest));
    return std::nullopt;
  }
  const uint64_t m = d.mantissa / den;
  if (f != 0 && m > max / f) {
    set_why(why, "too large");
    return std::nullopt;
  }
  return m * f;
}

template <size_t N>
std::optional<uint64_t> parse_quantity(std::string_view text, const Unit (&units)[N], const char* what,
                                       const char* finest, bool bare_allowed, uint64_t max,
                                       std::string* why) {
  const auto d = split_decimal(text, what, why);
  if (!d) return std::nullopt;
  if (d->unit.empty()) {
    if (!bare_allowed) {
      set_why(why, "a bare number has no unit");
      return std::nullopt;
    }
    return scale(*d, 1, max, finest, why);
  }
  for (const auto& u : units)
    if (d->unit == u.name) return scale(*d, u.factor, max, finest, why);
  set_why(why, fmt::format("unknown unit '{}'{}; expected {}", d->unit,
                           detail::did_you_mean(d->unit, unit_names(units)), unit_list(units)));
  return std::nullopt;
}

template <size_t N>
std::string format_exact(uint64_t v, const Unit (&units)[N], size_t first, size_t last) {
  // The largest unit in which v is written with at most three decimals.
  for (size_t i = last + 1; i-- > first;) {
    const uint64_t f = units[i].factor;
    if (v >= f || i == first) {
      const uint64_t whole = v / f, rest = v % f;
      if (rest == 0) return fmt::format("{}{}", whole, units[i].name);
      if (f >= 1000 && rest % (f / 1000) == 0) {
        std::string frac = fmt::format("{:03}", rest / (f / 1000));
        while (frac.back() == '0') frac.pop_back();
        return fmt::format("{}.{}{}", whole, frac, units[i].name);
      }
    }
  }
  return fmt::format("{}{}", v, units[first].name);
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text, std::string* why) {
  const auto v = parse_quantity(text, kTimeUnits, "a time", "picoseconds", false,
                                static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), why);
  if (!v) return std::nullopt;
  return Duration::from_ps(static_cast<int64_t>(*v));
}

std::optional<Rate> parse_rate(std::string_view text, std::string* why) {
  const auto v = parse_quantity(text, kRateUnits, "a rate", "bits per second", false,
                                std::numeric_limits<uint64_t>::max(), why);
  if (!v) return std::nullopt;
  return Rate{*v};
}

std::optional<uint64_t> parse_size(std::string_view text, std::string* why) {
  return parse_quantity(text, kSizeUnits, "a size", "bytes", true, std::numeric_limits<uint64_t>::max(),
                        why);
}

std::optional<Ipv4> parse_ipv4(std::string_view text, std::string* why) {
  uint32_t addr = 0;
  size_t pos = 0;
  for (int octet = 0; octet < 4; ++octet) {
    if (octet) {
      if (pos >= text.size() || text[pos] != '.') {
        set_why(why, "an IPv4 address is four numbers 0..255 joined by dots, like 10.0.0.1");
        return std::nullopt;
      }
      ++pos;
    }
    size_t digits = 0;
    uint32_t v = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && digits < 4) {
      v = v * 10 + static_cast<uint32_t>(text[pos] - '0');
      ++pos;
      ++digits;
    }
    if (digits == 0 || digits > 3 || v > 255) {
      set_why(why, "an IPv4 address is four numbers 0..255 joined by dots, like 10.0.0.1");
      return std::nullopt;
    }
    addr = (addr << 8) | v;
  }
  if (pos != text.size()) {
    set_why(why, text[pos] == '/' ? "a plain address is expected here, without a prefix length"
                                  : "an IPv4 address is four numbers 0..255 joined by dots, like 10.0.0.1");
    return std::nullopt;
  }
  return addr;
}

std::optional<Ipv4Prefix> parse_ipv4_prefix(std::string_view text, std::string* why) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    set_why(why, "missing the prefix length");
    return std::nullopt;
  }
  const auto addr = parse_ipv4(text.substr(0, slash), why);
  if (!addr) return std::nullopt;
  const std::string_view len = text.substr(slash + 1);
  unsigned v = 0;
  bool ok = !len.empty() && len.size() <= 2;
  for (char c : len) {
    if (c < '0' || c > '9') ok = false;
    else v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (!ok || v > 32) {
    set_why(why, "the prefix length is a number 0..32");
    return std::nullopt;
  }
  return Ipv4Prefix{*addr, static_cast<uint8_t>(v)};
}

std::optional<Mac> parse_mac(std::string_view text, std::string* why) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (text.size() != 17) {
    set_why(why, "a MAC address is six pairs of hex digits joined by colons, like 02:00:00:00:00:01");
    return std::nullopt;
  }
  Mac m = 0;
  for (size_t i = 0; i < 6; ++i) {
    const int hi = hex(text[3 * i]), lo = hex(text[3 * i + 1]);
    if (hi < 0 || lo < 0 || (i < 5 && text[3 * i + 2] != ':')) {
      set_why(why, "a MAC address is six pairs of hex digits joined by colons, like 02:00:00:00:00:01");
      return std::nullopt;
    }
    m = (m << 8) | static_cast<Mac>(hi * 16 + lo);
  }
  return m;
}

std::string format_rate(Rate r) { return format_exact(r.bps, kRateUnits, 0, 3); }

std::string format_duration(Duration d) {
  if (d.ps < 0) return "-" + format_duration(Duration{-d.ps});
  return format_exact(static_cast<uint64_t>(d.ps), kTimeUnits, 0, 4);
}

std::string format_size(uint64_t bytes) {
  // Binary units only where exact; otherwise plain bytes.
  for (size_t i = 3; i >= 1; --i)
    if (bytes >= kSizeUnits[i].factor && bytes % kSizeUnits[i].factor == 0)
      return fmt::format("{}{}", bytes / kSizeUnits[i].factor, kSizeUnits[i].name);
  return fmt::format("{}B", bytes);
}

}  // namespace rnicsim::scenario

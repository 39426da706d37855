// parse_duration / parse_rate / parse_size / addresses: units as the contract writes them.
#include <catch2/catch.hpp>

#include "model/common/address.h"
#include "model/scenario/units_parse.h"

using namespace rnicsim;
using namespace rnicsim::scenario;

TEST_CASE("durations carry a unit and convert exactly to picoseconds", "[units]") {
  CHECK(parse_duration("1.5us")->ps == 1500000);
  CHECK(parse_duration("200ms")->ps == 200000000000);
  CHECK(parse_duration("0s")->ps == 0);
  CHECK(parse_duration("3105ps")->ps == 3105);
  CHECK(parse_duration("300ns")->ps == 300000);
  CHECK(parse_duration("1s")->ps == 1000000000000);
  CHECK(parse_duration("0.001ns")->ps == 1);
  CHECK(parse_duration("2.5 ms")->ps == 2500000000);
}

TEST_CASE("bad durations say why", "[units]") {
  std::string why;
  CHECK_FALSE(parse_duration("5", &why));
  CHECK(why == "a bare number has no unit");
  CHECK_FALSE(parse_duration("5sec", &why));
  CHECK(why == "unknown unit 'sec'; expected ps, ns, us, ms or s");
  CHECK_FALSE(parse_duration("5uss", &why));
  CHECK(why == "unknown unit 'uss'; did you mean 'us'?; expected ps, ns, us, ms or s");
  CHECK_FALSE(parse_duration("-1us", &why));
  CHECK(why == "a time cannot be negative");
  CHECK_FALSE(parse_duration("0.0001ns", &why));
  CHECK(why == "not a whole number of picoseconds");
  CHECK_FALSE(parse_duration("", &why));
  CHECK(why == "empty");
  CHECK_FALSE(parse_duration("us", &why));
  CHECK(why == "a time is a number followed by a unit");
  CHECK_FALSE(parse_duration("1.us", &why));
  CHECK_FALSE(parse_duration("99999999999s", &why));
  CHECK(why == "too large");
}

TEST_CASE("rates are decimal: 1 Gbps is 1e9 bits per second", "[units]") {
  CHECK(parse_rate("25Gbps")->bps == 25000000000ull);
  CHECK(parse_rate("2.5Gbps")->bps == 2500000000ull);
  CHECK(parse_rate("100Mbps")->bps == 100000000ull);
  CHECK(parse_rate("9600bps")->bps == 9600ull);
  CHECK(parse_rate("1.5Kbps")->bps == 1500ull);
  std::string why;
  CHECK_FALSE(parse_rate("25", &why));
  CHECK(why == "a bare number has no unit");
  CHECK_FALSE(parse_rate("25GBps", &why));
  CHECK(why == "unknown unit 'GBps'; did you mean 'Gbps'?; expected bps, Kbps, Mbps or Gbps");
  CHECK_FALSE(parse_rate("0.5bps", &why));
  CHECK(why == "not a whole number of bits per second");
}

TEST_CASE("sizes: binary and decimal units, a bare integer is bytes", "[units]") {
  CHECK(*parse_size("4KiB") == 4096);
  CHECK(*parse_size("1MiB") == 1048576);
  CHECK(*parse_size("1GiB") == 1073741824ull);
  CHECK(*parse_size("1.5KiB") == 1536);
  CHECK(*parse_size("2KB") == 2000);
  CHECK(*parse_size("3MB") == 3000000);
  CHECK(*parse_size("1GB") == 1000000000ull);
  CHECK(*parse_size("256B") == 256);
  CHECK(*parse_size("9000") == 9000);
  CHECK(*parse_size("0") == 0);
  std::string why;
  CHECK_FALSE(parse_size("1.5", &why));
  CHECK(why == "not a whole number of bytes");
  CHECK_FALSE(parse_size("4kib", &why));
  CHECK(why == "unknown unit 'kib'; expected B, KiB, MiB, GiB, KB, MB or GB");
  CHECK_FALSE(parse_size("0.3B", &why));
}

TEST_CASE("IPv4 addresses and prefixes", "[units]") {
  CHECK(*parse_ipv4("10.0.0.1") == 0x0a000001u);
  CHECK(*parse_ipv4("255.255.255.255") == 0xffffffffu);
  const auto p = parse_ipv4_prefix("10.1.0.0/16");
  REQUIRE(p);
  CHECK(p->addr == 0x0a010000u);
  CHECK(p->len == 16);
  CHECK(parse_ipv4_prefix("0.0.0.0/0")->len == 0);
  std::string why;
  CHECK_FALSE(parse_ipv4("10.0.0.256", &why));
  CHECK_FALSE(parse_ipv4("10.0.0", &why));
  CHECK_FALSE(parse_ipv4("10.0.0.1.2", &why));
  CHECK_FALSE(parse_ipv4("10.0.0.1/24", &why));
  CHECK(why == "a plain address is expected here, without a prefix length");
  CHECK_FALSE(parse_ipv4_prefix("10.0.0.1", &why));
  CHECK(why == "missing the prefix length");
  CHECK_FALSE(parse_ipv4_prefix("10.0.0.1/33", &why));
  CHECK(why == "the prefix length is a number 0..32");
}

TEST_CASE("MAC addresses", "[units]") {
  CHECK(*parse_mac("02:00:00:00:00:01") == 0x020000000001ull);
  CHECK(*parse_mac("02:00:00:00:FE:0a") == 0x02000000fe0aull);
  std::string why;
  CHECK_FALSE(parse_mac("02:00:00:00:00", &why));
  CHECK_FALSE(parse_mac("02-00-00-00-00-01", &why));
  CHECK_FALSE(parse_mac("02:00:00:00:00:0g", &why));
  CHECK(why == "a MAC address is six pairs of hex digits joined by colons, like 02:00:00:00:00:01");
}

TEST_CASE("quantities format back to the shortest exact text", "[units]") {
  CHECK(format_rate(Rate{25000000000ull}) == "25Gbps");
  CHECK(format_rate(Rate{2500000000ull}) == "2.5Gbps");
  CHECK(format_rate(Rate{123ull}) == "123bps");
  CHECK(format_duration(Duration::from_ps(1500000)) == "1.5us");
  CHECK(format_duration(Duration::from_ps(3105)) == "3.105ns");
  CHECK(format_duration(Duration{}) == "0ps");
  CHECK(format_size(4096) == "4KiB");
  CHECK(format_size(1000) == "1000B");
  CHECK(format_ipv4(0x0a000001u) == "10.0.0.1");
  CHECK(format_mac(0x020000000001ull) == "02:00:00:00:00:01");
}

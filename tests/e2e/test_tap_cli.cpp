// The command line around TAP link ends and peers outside the simulation, without a TAP
// device: run refuses a tap: end without --realtime and a device that does not exist,
// refuses an RDMA connection to an outside peer as not simulated yet, `check` accepts
// them; and `rnicsim pattern` writes the stream's bytes (checked against an independent
// copy of the formula). The runs over a real TAP, with Linux as the peer, are
// tests/interop/'s.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/e2e/e2e_util.h"

using e2e::sh;

namespace {

const std::string kBin = RNICSIM_BIN;
const std::string kWork = RNICSIM_WORK_DIR;

std::string write_file(const std::string& name, const std::string& text) {
  std::filesystem::create_directories(kWork + "/tap_cli");
  const std::string path = kWork + "/tap_cli/" + name;
  std::ofstream(path) << text;
  return path;
}

/// alice's port on the TAP device `dev` (line 5); the connection at line 7.
std::string tap_scenario(const std::string& dev, const std::string& conn) {
  return "name: tap_cli\n"
         "hosts:\n"
         "  - {name: alice, ip: 10.0.0.1/24, mac: \"02:00:00:00:00:01\"}\n"
         "links:\n"
         "  - {ends: [alice, \"tap:" + dev + "\"], rate: 1Gbps}\n"
         "connections:\n" +
         conn +
         "workloads:\n"
         "  - {id: w1, conn: c1, op: bulk, size: 64KiB}\n"
         "stop: {after: 100ms}\n";
}

const std::string kTcpOut = "  - {id: c1, from: alice, to: 10.0.0.2, port: 5000, kind: tcp}\n";

// The stream pattern, written here from its definition rather than taken from bulk.cpp:
// key = FNV-1a-64(id) ^ seed * 0x9E3779B97F4A7C15; byte o is byte (o & 7), little-endian,
// of mix(key ^ mix(o >> 3)), mix splitmix64's finaliser.
uint64_t splitmix_final(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t key_of(const std::string& id, uint64_t seed) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a 64 offset basis
  for (unsigned char ch : id) {
    h ^= ch;
    h *= 1099511628211ull;  // FNV-1a 64 prime
  }
  return h ^ (seed * 0x9E3779B97F4A7C15ull);
}

std::string expected_bytes(const std::string& id, uint64_t seed, uint64_t offset, uint64_t n) {
  const uint64_t key = key_of(id, seed);
  std::string out;
  out.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t o = offset + i;
    const uint64_t word = splitmix_final(key ^ splitmix_final(o >> 3));
    out.push_back(static_cast<char>(static_cast<uint8_t>(word >> (8 * (o & 7)))));
  }
  return out;
}

std::string hex(const std::string& b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (unsigned char c : b) {
    s.push_back(d[c >> 4]);
    s.push_back(d[c & 15]);
  }
  return s;
}

/// rnicsim pattern's stdout alone (its bytes), and its exit status.
e2e::Result pattern(const std::string& args) { return sh(kBin + " pattern " + args, false); }

}  // namespace

TEST_CASE("tap cli: run of a tap: end without --realtime exits 2, naming the link") {
  const std::string path = write_file("no_realtime.yaml", tap_scenario("rtap0", kTcpOut));
  const std::string out = kWork + "/tap_cli/no_realtime_out";
  std::filesystem::remove_all(out);
  const auto r = sh(kBin + " run " + path + " -o " + out);
  INFO(r.out);
  CHECK(r.status == 2);
  CHECK(r.out == path +
                     ":5:5: links 'alice_tap_rtap0': tap:rtap0: a TAP end needs the simulation paced to the wall "
                     "clock: run it with --realtime\n");
  CHECK_FALSE(std::filesystem::exists(out));  // refused before anything was made
}

TEST_CASE("tap cli: run --realtime with a TAP device that does not exist exits 2, cannot attach") {
  const std::string path = write_file("no_device.yaml", tap_scenario("nosuchtap0", kTcpOut));
  const auto r = sh(kBin + " run " + path + " --realtime -o " + kWork + "/tap_cli/no_device_out");
  INFO(r.out);
  CHECK(r.status == 2);
  const std::string head = path + ":5:5: links 'alice_tap_nosuchtap0': tap:nosuchtap0: cannot attach: ";
  REQUIRE(r.out.rfind(head, 0) == 0);
  // Why, as the system says it: the device missing, or (without the rights to) the clone
  // device itself refused.
  const std::string why = r.out.substr(head.size());
  const bool missing = why == "no such device (make it first: ip tuntap add nosuchtap0 mode tap)\n";
  const bool no_tun = why.rfind("/dev/net/tun: ", 0) == 0 && why.find('\n') == why.size() - 1;
  CHECK((missing || no_tun));
}

TEST_CASE("tap cli: an rdma connection to an outside listener exits 4, named (run --realtime and check)") {
  const std::string path = write_file("outside_rdma.yaml", tap_scenario("nosuchtap0", kTcpOut +
                                                                         "  - {id: c9, from: alice, to: 10.0.0.2, "
                                                                         "port: 5001}\n"));
  const std::string note = path +
                           ":8:5: not simulated yet: connections 'c9': an RDMA connection from a simulated host to a "
                           "peer outside the simulation is not simulated yet (the peer connecting is: its address in "
                           "from)\n";
  // Refused as not simulated before the TAP is attached: the missing device is never reached.
  const auto r = sh(kBin + " run " + path + " --realtime -o " + kWork + "/tap_cli/outside_rdma_out");
  INFO(r.out);
  CHECK(r.status == 4);
  CHECK(r.out == note);
  // Without --realtime the tap: end is what is refused first.
  const auto nr = sh(kBin + " run " + path + " -o " + kWork + "/tap_cli/outside_rdma_out");
  CHECK(nr.status == 2);
  CHECK(nr.out == path +
                      ":5:5: links 'alice_tap_nosuchtap0': tap:nosuchtap0: a TAP end needs the simulation paced to "
                      "the wall clock: run it with --realtime\n");
  // check: valid, with a note.
  const auto c = sh(kBin + " check " + path);
  INFO(c.out);
  CHECK(c.status == 0);
  CHECK(c.out == path +
                     ":8:5: note: not simulated yet: connections 'c9': an RDMA connection from a simulated host to a "
                     "peer outside the simulation is not simulated yet (the peer connecting is: its address in from)\n" +
                     path + ": ok\n");
}

TEST_CASE("tap cli: check of a valid tap scenario with outside peers exits 0, ok") {
  const std::string text =
      "name: tap_cli\n"
      "hosts:\n"
      "  - {name: alice, ip: 10.0.0.1/24, mac: \"02:00:00:00:00:01\"}\n"
      "links:\n"
      "  - {ends: [alice, \"tap:rtap0\"], rate: 1Gbps}\n"
      "connections:\n"
      "  - {id: c1, from: alice, to: 10.0.0.2, port: 5000, kind: tcp}\n"
      "  - {id: c2, from: 10.0.0.2, to: alice, port: 5001, kind: tcp}\n"
      "workloads:\n"
      "  - {id: w1, conn: c1, op: bulk, size: 64KiB}\n"
      "  - {id: w2, conn: c2, op: sink, size: [4KiB, 1MiB], count: 2}\n"
      "stop: {after: 100ms}\n";
  const std::string path = write_file("valid.yaml", text);
  const auto c = sh(kBin + " check " + path);
  INFO(c.out);
  CHECK(c.status == 0);
  CHECK(c.out == path + ": ok\n");
}

TEST_CASE("tap cli: check of an outside peer without a tap: end exits 2") {
  const std::string path = write_file("no_tap.yaml",
                                      "name: no_tap\n"
                                      "hosts:\n"
                                      "  - {name: alice, ip: 10.0.0.1/24, mac: \"02:00:00:00:00:01\"}\n"
                                      "  - {name: bob, ip: 10.0.0.3/24, mac: \"02:00:00:00:00:03\"}\n"
                                      "links:\n"
                                      "  - {ends: [alice, bob]}\n"
                                      "connections:\n"
                                      "  - {id: c1, from: 10.0.0.2, to: alice, port: 5000, kind: tcp}\n");
  const auto c = sh(kBin + " check " + path);
  INFO(c.out);
  CHECK(c.status == 2);
  CHECK(c.out == path +
                     ":8:20: error: connections[0].from: 10.0.0.2 is outside the simulation, which no link reaches: "
                     "give a link a `tap:DEVICE` end\n");
}

TEST_CASE("tap cli: the pattern formula, checked against known words") {
  // The test's own copy of the formula, against values worked out by hand from the
  // published constants: FNV-1a of the empty string is the offset basis; splitmix64's
  // first output from state 0 is 0xE220A8397B1DCDAF.
  CHECK(key_of("", 0) == 0xcbf29ce484222325ull);
  CHECK(key_of("a", 0) == 0xaf63dc4c8601ec8cull);
  CHECK(splitmix_final(0) == 0xE220A8397B1DCDAFull);
}

TEST_CASE("pattern: c1 --size 100 is the stream's first 100 bytes") {
  const auto r = pattern("c1 --size 100");
  CHECK(r.status == 0);
  REQUIRE(r.out.size() == 100);
  CHECK(hex(r.out) == hex(expected_bytes("c1", 1, 0, 100)));
  // The default seed is 1, the default offset 0.
  const auto s1 = pattern("c1 --size 100 --seed 1 --offset 0");
  CHECK(s1.status == 0);
  CHECK(s1.out == r.out);
}

TEST_CASE("pattern: --offset 5 starts the stream at byte 5") {
  const auto r = pattern("c1 --size 100 --offset 5");
  CHECK(r.status == 0);
  REQUIRE(r.out.size() == 100);
  CHECK(hex(r.out) == hex(expected_bytes("c1", 1, 5, 100)));
  const auto whole = pattern("c1 --size 105");
  REQUIRE(whole.out.size() == 105);
  CHECK(r.out == whole.out.substr(5));
}

TEST_CASE("pattern: --seed 3 is another stream") {
  const auto r = pattern("c1 --size 100 --seed 3");
  CHECK(r.status == 0);
  REQUIRE(r.out.size() == 100);
  CHECK(hex(r.out) == hex(expected_bytes("c1", 3, 0, 100)));
  CHECK(r.out != expected_bytes("c1", 1, 0, 100));
  const auto both = pattern("c1 --size 100 --seed 3 --offset 5");
  CHECK(both.status == 0);
  CHECK(hex(both.out) == hex(expected_bytes("c1", 3, 5, 100)));
  // Another connection's id (a repeat copy), seed 0, the largest seed.
  CHECK(hex(pattern("c1_0 --size 37 --seed 0").out) == hex(expected_bytes("c1_0", 0, 0, 37)));
  CHECK(hex(pattern("c1 --size 21 --seed 18446744073709551615 --offset 3").out) ==
        hex(expected_bytes("c1", UINT64_MAX, 3, 21)));
}

TEST_CASE("pattern: a size with a unit, past the 64 KiB write buffer, and zero bytes") {
  const auto r = pattern("c1 --size 65KiB --offset 3");
  CHECK(r.status == 0);
  REQUIRE(r.out.size() == 66560);
  CHECK(r.out == expected_bytes("c1", 1, 3, 66560));
  const auto z = pattern("c1 --size 0");
  CHECK(z.status == 0);
  CHECK(z.out.empty());
}

TEST_CASE("pattern: bad --size, --seed and --offset exit 2") {
  const std::string p = kBin + " pattern c1 ";
  auto bad = [&](const std::string& args, const std::string& message) {
    const auto r = sh(p + args);
    INFO(args);
    CHECK(r.status == 2);
    CHECK(r.out == message);
    CHECK(sh(p + args, false).out.empty());  // nothing on stdout
  };
  bad("--size abc", "--size abc: error: expected a size such as 64KiB (a size is a number followed by a unit)\n");
  bad("--size -1", "--size -1: error: expected a size such as 64KiB (a size cannot be negative)\n");
  bad("--size 100 --seed x", "--seed x: error: expected an integer from 0 to 18446744073709551615\n");
  bad("--size 100 --seed -1", "--seed -1: error: expected an integer from 0 to 18446744073709551615\n");
  bad("--size 100 --seed 18446744073709551616",
      "--seed 18446744073709551616: error: expected an integer from 0 to 18446744073709551615\n");
  bad("--size 100 --seed 3x", "--seed 3x: error: expected an integer from 0 to 18446744073709551615\n");
  bad("--size 100 --offset 1.5", "--offset 1.5: error: expected a byte offset, an integer\n");
  bad("--size 100 --offset five", "--offset five: error: expected a byte offset, an integer\n");
  bad("--size 100 --offset ''", "--offset : error: expected a byte offset, an integer\n");
  // The command line itself: --size is required, ID too.
  CHECK(sh(p).status == 2);
  CHECK(sh(kBin + " pattern --size 100").status == 2);
}

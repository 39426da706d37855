// The golden digests: SHA-256 against FIPS 180-4's examples, results.json without its
// wall-clock figures, and the comparison's first difference.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli/golden.h"
#include "cli/sha256.h"

using namespace rnicsim::cli;
namespace fs = std::filesystem;

namespace {
std::string sha(const std::string& s) {
  Sha256 h;
  h.update(s.data(), s.size());
  return h.hex();
}
}  // namespace

TEST_CASE("SHA-256 of FIPS 180-4's examples, whole and in pieces", "[golden]") {
  CHECK(sha("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";  // 448 bits: two blocks
  CHECK(sha(two) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // A million 'a', fed in uneven pieces across block boundaries.
  Sha256 h;
  const std::string piece(997, 'a');
  size_t left = 1000000;
  while (left) {
    const size_t n = std::min(left, piece.size());
    h.update(piece.data(), n);
    left -= n;
  }
  CHECK(h.hex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("a golden digests every output but the log, results.json without wall_* figures", "[golden]") {
  const fs::path dir = fs::temp_directory_path() / "rnicsim_golden_test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto write = [&](const char* name, const std::string& text) { std::ofstream(dir / name, std::ios::binary) << text; };
  write("results.json", R"({"scenario": "t", "wall_time_s": 1.5, "hosts": {"a": {"wall_x": 3, "n": 7}}})");
  write("a.pcap", "frames");
  write("run.log", "took 1.5 s");
  const std::string first = golden_digest(dir, 0);
  CHECK(first.rfind("exit 0\na.pcap " + sha("frames") + "\nresults.json ", 0) == 0);
  CHECK(first.find("run.log") == std::string::npos);
  // Other wall-clock figures, other key order, another log: the same golden.
  write("results.json", R"({"hosts": {"a": {"n": 7, "wall_x": 9}}, "wall_time_s": 0.2, "scenario": "t"})");
  write("run.log", "took 0.2 s");
  CHECK(golden_digest(dir, 0) == first);
  CHECK(golden_compare(first, golden_digest(dir, 0)).empty());
  // A simulated figure changed.
  write("results.json", R"({"hosts": {"a": {"n": 8}}, "scenario": "t"})");
  CHECK(golden_compare(first, golden_digest(dir, 0)) == "results.json differs");
  CHECK(golden_compare(first, golden_digest(dir, 1)) == "exit status 1 (golden 0)");
  // The first difference in name order; a missing and a new file.
  write("a.pcap", "other frames");
  CHECK(golden_compare(first, golden_digest(dir, 0)) == "a.pcap differs");
  fs::remove(dir / "a.pcap");
  CHECK(golden_compare(first, golden_digest(dir, 0)) == "a.pcap missing");
  write("a.pcap", "frames");
  write("results.json", R"({"scenario": "t", "hosts": {"a": {"n": 7}}})");
  write("z.csv", "x");
  CHECK(golden_compare(first, golden_digest(dir, 0)) == "z.csv is new (not in the golden)");
  fs::remove_all(dir);
}

// TLP splits and sizes (model/hw/pcie/tlp.h): exact counts for given MPS, MRRS and RCB,
// headers by address, payload in dwords and data credits.
#include <catch2/catch.hpp>

#include <numeric>

#include "model/hw/pcie/tlp.h"

using namespace rnicsim::hw::pcie;

namespace {
uint64_t total(const std::vector<Chunk>& cs) {
  return std::accumulate(cs.begin(), cs.end(), uint64_t{0}, [](uint64_t s, const Chunk& c) { return s + c.bytes; });
}
constexpr uint64_t kHigh = uint64_t{64} << 30;  // 64 GiB: a 64-bit address
}  // namespace

TEST_CASE("a request header is 3 DW below 4 GiB and 4 DW at or above it") {
  CHECK_FALSE(four_dw(0xFFFFFFFFull));
  CHECK(four_dw(0x100000000ull));
  // framing (8) + header + payload
  CHECK(write_tlp_bytes({0x1000, 256}) == 8 + 12 + 256);
  CHECK(write_tlp_bytes({kHigh, 256}) == 8 + 16 + 256);  // pcie-bench's 24-byte MWr overhead
  CHECK(read_request_bytes({0x1000, 512}) == 20);
  CHECK(read_request_bytes({kHigh, 512}) == 24);
  CHECK(completion_tlp_bytes({kHigh, 256}) == 8 + 12 + 256);  // a completion's header is 3 DW
}

TEST_CASE("payload is carried in whole dwords; a data credit is 16 bytes") {
  CHECK(payload_dw({0x0, 8}) == 2);
  CHECK(payload_dw({0x3, 2}) == 2);  // bytes 3 and 4 lie in two dwords
  CHECK(payload_dw({0x4, 0}) == 1);  // a zero-length request carries one dword
  CHECK(payload_bytes({0x1, 1}) == 4);
  CHECK(data_credits({0x0, 256}) == 16);
  CHECK(data_credits({0x0, 8}) == 1);
  CHECK(data_credits({0x10, 240}) == 15);
  CHECK(data_credits({0x2, 16}) == 2);  // 5 dwords: 20 bytes
}

TEST_CASE("writes split at MPS-aligned addresses and never cross 4 KiB") {
  const auto aligned = split_writes(kHigh, 4096, 256);
  CHECK(aligned.size() == 16);
  CHECK(aligned.front() == Chunk{kHigh, 256});

  const auto w = split_writes(0x10000010, 1000, 256);
  REQUIRE(w.size() == 4);
  CHECK(w[0] == Chunk{0x10000010, 240});
  CHECK(w[1] == Chunk{0x10000100, 256});
  CHECK(w[2] == Chunk{0x10000200, 256});
  CHECK(w[3] == Chunk{0x10000300, 248});
  CHECK(total(w) == 1000);

  const auto across = split_writes(0xF00, 512, 4096);  // MPS 4096, across the 4 KiB line
  REQUIRE(across.size() == 2);
  CHECK(across[0] == Chunk{0xF00, 256});
  CHECK(across[1] == Chunk{0x1000, 256});
  CHECK(split_writes(0x40, 0, 256).size() == 1);
}

TEST_CASE("a 4096-byte read at an unaligned address: 9 requests (MRRS 512), 17 completions (MPS 256 on RCB 64)") {
  const uint64_t addr = kHigh + 0x10;
  const auto reqs = split_read_requests(addr, 4096, 512);
  // 496 bytes to the first 512-byte line, 7 full requests, then the 16 bytes left.
  REQUIRE(reqs.size() == 9);
  CHECK(reqs.front() == Chunk{addr, 496});
  CHECK(reqs[1] == Chunk{kHigh + 0x200, 512});
  CHECK(reqs.back() == Chunk{kHigh + 0x1000, 16});
  CHECK(total(reqs) == 4096);

  size_t cpls = 0, rcb_cpls = 0;
  for (const Chunk& r : reqs) {
    const auto c = split_completions(r, 256, 64, CompletionSplit::MpsOnRcb);
    CHECK(total(c) == r.bytes);
    for (size_t i = 0; i + 1 < c.size(); ++i) CHECK((c[i].addr + c[i].bytes) % 64 == 0);  // 2.3.1.1
    cpls += c.size();
    rcb_cpls += split_completions(r, 256, 64, CompletionSplit::Rcb).size();
  }
  // First request: 240 bytes to the RCB boundary 0x100 (MPS allows 256, cut back to the
  // boundary), then 256; each full request 2 x 256; the last 16 bytes one completion.
  CHECK(split_completions(reqs.front(), 256, 64, CompletionSplit::MpsOnRcb) ==
        std::vector<Chunk>{{addr, 240}, {kHigh + 0x100, 256}});
  CHECK(cpls == 2 + 7 * 2 + 1);
  // In RCB-sized completions: 8 + 7 x 8 + 1 blocks of 64 bytes.
  CHECK(rcb_cpls == 65);
}

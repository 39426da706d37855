// The receiver's out-of-order store: bytes come back exactly as put, across chunk edges,
// and memory follows what is held (chunks appear when written and go once passed).
#include <catch2/catch.hpp>

#include <vector>

#include "model/proto/tcp/ooo_store.h"

using rnicsim::ConstByteSpan;
using rnicsim::tcp::OooStore;

namespace {
std::vector<uint8_t> bytes(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7);
  return v;
}
std::vector<uint8_t> read_all(const OooStore& s, uint64_t pos, uint64_t n) {
  std::vector<uint8_t> out;
  s.read(pos, n, [&](ConstByteSpan piece) { out.insert(out.end(), piece.begin(), piece.end()); });
  return out;
}
}  // namespace

TEST_CASE("OooStore keeps bytes by stream position, in chunks allocated on first write", "[tcp][ooo]") {
  OooStore s;
  CHECK(s.allocated() == 0);
  const uint64_t k = OooStore::kChunk;
  // A segment across a chunk edge, far into the stream (a 64-bit position).
  const uint64_t base = (uint64_t{1} << 40) + 3 * k - 700;
  const auto a = bytes(1460, 1);
  s.put(base, ConstByteSpan(a.data(), a.size()));
  CHECK(s.allocated() == 2 * k);
  CHECK(read_all(s, base, a.size()) == a);
  // Another one a megabyte further: one more chunk, not a megabyte.
  const auto b = bytes(500, 9);  // inside one chunk
  s.put(base + (1 << 20), ConstByteSpan(b.data(), b.size()));
  CHECK(s.allocated() == 3 * k);
  CHECK(read_all(s, base + (1 << 20), b.size()) == b);
  // Overwriting (a retransmission of the same bytes) allocates nothing.
  s.put(base, ConstByteSpan(a.data(), a.size()));
  CHECK(s.allocated() == 3 * k);
  // The stream passes the first segment: its chunks go, the one beyond stays.
  s.release_below(base + a.size());
  CHECK(s.allocated() == 2 * k);  // the chunk holding base + 1460 may still hold bytes
  s.release_below(base + (1 << 20));
  CHECK(s.allocated() == k);
  CHECK(read_all(s, base + (1 << 20), b.size()) == b);
  s.release_below(base + (1 << 20) + b.size() + k);
  CHECK(s.allocated() == 0);
}

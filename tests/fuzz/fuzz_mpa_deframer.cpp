// libFuzzer target: the MPA deframer (model/proto/mpa/fpdu.h) on an arbitrary received
// stream. Input: a flags byte (bit 0 CRC on, bit 1 markers in the stream, bit 2 the
// stream starts past S0 at the position in bytes 1-2, as an out-of-order parse does),
// a byte that seeds the sizes of the pieces the stream is fed in, then the stream.
// Asserts, besides no crash and no sanitizer report: the ULPDUs and statuses handed out
// do not depend on how the stream is cut into pieces (one feed, or many of any sizes);
// every ULPDU lies inside the bytes fed; the counters agree with the handler's calls;
// nothing is handed out after a failure; and without markers an FPDU passed as Ok with
// CRCs on carries its length field and a CRC32c that holds at the position it is named by.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/proto/mpa/fpdu.h"
#include "model/wire/crc.h"
#include "model/wire/mpa.h"
#include "tests/fuzz/fuzz_check.h"

using namespace rnicsim;

namespace {

struct Out {
  std::vector<uint8_t> ulpdu;
  mpa::FpduStatus status;
  uint64_t start;
  bool operator==(const Out& o) const { return ulpdu == o.ulpdu && status == o.status && start == o.start; }
};

struct Run {
  std::vector<Out> out;
  uint64_t fpdus = 0, crc_errors = 0, marker_errors = 0;
  bool failed = false;
  uint64_t position = 0;
  size_t pending = 0;
};

/// Feeds `stream` in pieces whose sizes come from `seed` (seed 0: one piece).
Run parse(bool crc, bool markers, uint64_t start, const std::vector<uint8_t>& stream, uint8_t seed) {
  Run r;
  const mpa::Deframer* dp = nullptr;
  bool after_failure = false;
  mpa::Deframer d(
      crc,
      [&](ConstByteSpan u, mpa::FpduStatus st) {
        FUZZ_CHECK(!after_failure);
        r.out.push_back(Out{std::vector<uint8_t>(u.begin(), u.end()), st, dp->fpdu_start()});
        if (st != mpa::FpduStatus::Ok) after_failure = true;
      },
      markers, start);
  dp = &d;
  uint32_t x = seed;
  size_t off = 0;
  while (off < stream.size()) {
    size_t k = stream.size() - off;
    if (seed) {
      x = x * 1103515245u + 12345u;
      k = std::min<size_t>(k, 1 + (x >> 16) % 700);
    }
    // Each piece in a buffer of its own size: a read past it is an ASan report.
    const std::vector<uint8_t> piece(stream.begin() + off, stream.begin() + off + k);
    d.feed(ConstByteSpan(piece.data(), piece.size()));
    off += k;
    // After a failure the stream is no longer parsed (nor, with markers, counted).
    if (!d.failed()) FUZZ_CHECK(d.position() == start + off);
    FUZZ_CHECK(d.pending() <= off);
  }
  r.fpdus = d.fpdus();
  r.crc_errors = d.crc_errors();
  r.marker_errors = d.marker_errors();
  r.failed = d.failed();
  r.position = d.position();
  r.pending = d.pending();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const bool crc = data[0] & 1, markers = data[0] & 2;
  const uint64_t start = (data[0] & 4) ? (uint64_t{data[1]} << 8 | data[2]) : 0;
  const uint8_t seed = data[3];
  const std::vector<uint8_t> stream(data + 4, data + size);

  const Run whole = parse(crc, markers, start, stream, 0);
  const Run cut = parse(crc, markers, start, stream, seed | 1);
  FUZZ_CHECK(whole.out == cut.out);
  FUZZ_CHECK(whole.fpdus == cut.fpdus && whole.crc_errors == cut.crc_errors &&
             whole.marker_errors == cut.marker_errors && whole.failed == cut.failed);
  FUZZ_CHECK(whole.pending == cut.pending);

  uint64_t ok = 0, crc_bad = 0, marker_bad = 0;
  for (const Out& o : whole.out) {
    ok += o.status == mpa::FpduStatus::Ok;
    crc_bad += o.status == mpa::FpduStatus::CrcError;
    marker_bad += o.status == mpa::FpduStatus::MarkerMismatch;
    FUZZ_CHECK(o.ulpdu.size() <= stream.size());
    // A marker mismatch names no FPDU (its ULPDU is empty, fpdu_start is not its own).
    if (o.status == mpa::FpduStatus::MarkerMismatch) FUZZ_CHECK(o.ulpdu.empty());
    else FUZZ_CHECK(o.start >= start && o.start - start <= stream.size());
    if (!crc) FUZZ_CHECK(o.status != mpa::FpduStatus::CrcError);
    if (!markers) FUZZ_CHECK(o.status != mpa::FpduStatus::MarkerMismatch);
    if (!markers && o.status == mpa::FpduStatus::Ok) {
      // The FPDU as it stands in the stream at the position the deframer names.
      const size_t at = static_cast<size_t>(o.start - start);
      const size_t total = wire::mpa_fpdu_length(o.ulpdu.size());
      FUZZ_CHECK(at + total <= stream.size());
      FUZZ_CHECK(load_be16(stream.data() + at) == o.ulpdu.size());
      FUZZ_CHECK(std::equal(o.ulpdu.begin(), o.ulpdu.end(), stream.begin() + at + 2));
      if (crc)
        FUZZ_CHECK(wire::crc32c(stream.data() + at, total - wire::kMpaCrcLen) ==
                   load_le32(stream.data() + at + total - wire::kMpaCrcLen));
    }
  }
  FUZZ_CHECK(whole.fpdus == ok + crc_bad);
  FUZZ_CHECK(whole.crc_errors == crc_bad && whole.marker_errors == marker_bad);
  FUZZ_CHECK(whole.failed == (crc_bad + marker_bad > 0));
  return 0;
}

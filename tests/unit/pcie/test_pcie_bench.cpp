// The link against pcie-bench (Neugebauer et al., "Understanding PCIe performance for end
// host networking", SIGCOMM 2018) on gen 3 x8, MPS 256: DMA write bandwidth by transfer
// size against its model, and DMA read latency at 8 and 1520 bytes against its figures.
#include <catch2/catch.hpp>

#include <cmath>

#include "model/hw/pcie/link.h"

using namespace rnicsim;
using namespace rnicsim::hw::pcie;

namespace {
constexpr uint64_t kHigh = uint64_t{64} << 30;  // buffers above 4 GiB: 64-bit DMA addresses

/// pcie-bench's model (model/pcie.py, model/mem_bw.py write()) for gen 3 x8, MPS 256:
/// raw = 8 GT/s x 128/130 x 8 lanes = 63.015 Gb/s;
/// TLP_bw = raw x (1 - 8/203 (ACK) - 8/203 (UpdateFC) - 4/1538 (SKP)) = 57.885 Gb/s;
/// a write of S bytes is ceil(S/256) TLPs of 24 bytes overhead (2 framing + 2 sequence +
/// 4 LCRC, and a 16-byte 64-bit-address header): eff = S x TLP_bw / (S + 24 ceil(S/256)).
/// At S = 256: 256 x 57.885 / 280 = 52.92 Gb/s.
double pcie_bench_write_gbps(uint64_t s) {
  const double raw = 8.0 * 128.0 / 130.0 * 8;
  const double tlp_bw = raw * (1.0 - 8.0 / 203 - 8.0 / 203 - 4.0 / 1538);
  const double tlps = std::ceil(static_cast<double>(s) / 256);
  return static_cast<double>(s) * tlp_bw / (static_cast<double>(s) + 24 * tlps);
}
}  // namespace

TEST_CASE("DMA write bandwidth by size is within 2% of pcie-bench's model (gen 3 x8, MPS 256)") {
  CHECK(pcie_bench_write_gbps(256) == Approx(52.92).epsilon(5e-4));
  for (uint64_t size : {64u, 128u, 256u, 512u, 1024u, 1500u, 2048u, 4096u}) {
    Link link{PcieConfig{}};
    constexpr int kTransfers = 2000;
    Duration first{}, last{};
    for (int i = 0; i < kTransfers; ++i) {
      // Back to back, one transfer per 4 KiB page as pcie-bench's buffer windows place them.
      const Transfer t = link.write(Duration{}, kHigh + static_cast<uint64_t>(i) * 4096, size);
      if (i == 0) first = t.start;
      last = t.end;
    }
    const double gbps = static_cast<double>(size) * kTransfers * 8 / static_cast<double>((last - first).ps) * 1e3;
    INFO("size " << size << ": model " << gbps << " Gb/s, pcie-bench " << pcie_bench_write_gbps(size));
    CHECK(gbps == Approx(pcie_bench_write_gbps(size)).epsilon(0.02));
    CHECK(link.stats().up.credit_stalls == 0);  // the root port's default credits keep up
    CHECK(link.stats().up.posted_tlps == kTransfers * ((size + 255) / 256));
  }
}

TEST_CASE("at 256 bytes and above the write bandwidth is about 52.9 Gb/s, 9% under the line without DLLPs") {
  Link link{PcieConfig{}};
  Duration end{};
  for (int i = 0; i < 1000; ++i) end = link.write(Duration{}, kHigh + static_cast<uint64_t>(i) * 4096, 4096).end;
  const double gbps = 4096.0 * 1000 * 8 / static_cast<double>(end.ps) * 1e3;
  CHECK(gbps == Approx(52.92).epsilon(0.005));
  // 16 x 280 link bytes per transfer, and the ACK and UpdateFC DLLPs the busy time holds:
  // one each per 203 bytes of the raw link.
  const DirectionStats& up = link.stats().up;
  CHECK(up.link_bytes == 1000u * 16 * 280);
  CHECK(up.payload_bytes == 1000u * 4096);
  const double busy_raw_bytes = static_cast<double>(up.busy_ps) * (8.0 * 128 / 130 * 8) / 8e3;
  CHECK(static_cast<double>(up.ack_dllps) == Approx(busy_raw_bytes / 203).margin(2));
  CHECK(up.updatefc_dllps == up.ack_dllps);
}

TEST_CASE("DMA read latency at 8 and 1520 bytes is within 5% of pcie-bench's 0.53 and 0.99 us") {
  // latency = the request on the link + completer_latency (517 ns: flight, root complex,
  // memory) + the request's data at completer_rate (11.3 Gb/s) + its completions on the
  // link (the TLP rate, 57.885 Gb/s: 38.1 ns for 256 + 20 bytes).
  //   8 B: 24-byte request 3.3 ns + 517 + 8 B at 11.3 Gb/s 5.7 ns + 28-byte completion
  //   3.9 ns = 529.9 ns.
  //   1520 B: requests of 512, 512 and 496 bytes leave by 3.3, 6.6 and 10.0 ns; each
  //   streams from 517 ns later, so their first 256 bytes are ready at 701.6, 704.9 and
  //   708.2 ns and go 701.6-739.7-777.8-816.0; the rest (240 bytes of the third at 878.1,
  //   256 of the first two at 882.8 and 886.1) go 878.1-914.0, then 952.2 and 990.3 ns.
  Link link{PcieConfig{}};
  const Transfer small = link.read(Duration{}, kHigh, 8);
  CHECK(small.tlps == 1);
  CHECK(small.completions == 1);
  CHECK(small.end.us() == Approx(0.53).epsilon(0.05));
  CHECK(small.end.ns() == Approx(529.9).margin(0.1));

  const Duration t0 = Duration::from_us(10);  // the link idle again
  const Transfer big = link.read(t0, kHigh + 0x10000, 1520);
  CHECK(big.tlps == 3);
  CHECK(big.completions == 6);
  CHECK((big.end - t0).us() == Approx(0.99).epsilon(0.05));
  CHECK((big.end - t0).ns() == Approx(990.3).margin(0.1));

  const PcieStats& s = link.stats();
  REQUIRE(s.read_latency_ps.size() == 2);
  CHECK(s.read_latency_ps[0] == small.end.ps);
  CHECK(s.read_latency_ps[1] == (big.end - t0).ps);
  CHECK(s.up.nonposted_tlps == 4);
  CHECK(s.down.completion_tlps == 7);
  CHECK(s.down.payload_bytes == 1528);
}

TEST_CASE("one large read fills the link: requests in flight stream side by side") {
  Link link{PcieConfig{}};
  const Transfer t = link.read(Duration{}, kHigh, 1 << 20);
  // 2048 requests, 4096 completions of 256 + 20 bytes: at most 256/276 of 57.885 Gb/s =
  // 53.69 Gb/s; the completion buffer (78 requests' worth) holds back the other 1970.
  CHECK(t.tlps == 2048);
  CHECK(t.completions == 4096);
  CHECK(link.stats().completion_stalls == 1970);
  const double gbps = (1 << 20) * 8.0 / t.end.ns();
  CHECK(gbps == Approx(256.0 / 276 * 57.885).epsilon(0.01));
}

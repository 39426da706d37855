// Flow-control credits, tags and completion buffer space, each the limit in turn, with
// the exact number of TLPs they hold back (model/hw/pcie/link.h, credits.h).
#include <catch2/catch.hpp>

#include "model/hw/pcie/link.h"

using namespace rnicsim;
using namespace rnicsim::hw::pcie;

namespace {
constexpr uint64_t kHigh = uint64_t{64} << 30;
}

TEST_CASE("credit pool: a request waits for the earliest returns that make it fit") {
  CreditPool p{CreditLimit{2, 32}};
  CHECK(p.available_at(Duration::from_ns(0), 1, 16) == Duration::from_ns(0));
  p.consume(Duration::from_ns(0), 1, 16, Duration::from_ns(100));
  p.consume(Duration::from_ns(0), 1, 16, Duration::from_ns(50));
  // Headers and data are both used up: the first return (50 ns) frees one of each.
  CHECK(p.available_at(Duration::from_ns(10), 1, 16) == Duration::from_ns(50));
  CHECK(p.available_at(Duration::from_ns(10), 2, 32) == Duration::from_ns(100));
  // Asking does not take: an earlier instant is answered as before.
  CHECK(p.available_at(Duration::from_ns(10), 1, 16) == Duration::from_ns(50));
  // Credits taken with no return scheduled yet cannot be promised.
  CreditPool q{CreditLimit{1, 0}};
  q.take(Duration{}, 1, 0);
  CHECK_FALSE(q.available_at(Duration{}, 1, 0).has_value());
  q.give_back(1, 0, Duration::from_ns(7));
  CHECK(q.available_at(Duration{}, 1, 0) == Duration::from_ns(7));
  CreditPool infinite{CreditLimit{0, 0}};
  infinite.consume(Duration{}, 1000, 100000, Duration::from_s(1));
  CHECK(infinite.available_at(Duration{}, 1000, 100000) == Duration{});
}

TEST_CASE("posted credits for two TLPs: every other write TLP waits for an UpdateFC") {
  PcieConfig cfg;
  cfg.host_posted = {784, 32};  // two 256-byte payloads
  cfg.update_fc_latency = Duration::from_ns(100);
  Link link{cfg};
  const Transfer t = link.write(Duration{}, kHigh, 64 * 256);
  // t = one 280-byte TLP on the link. TLPs 1 and 2 go at once; TLP 3 needs TLP 1's
  // credits back at t + 100 ns, after the link freed at 2t; TLP 4's (TLP 2's) are back at
  // 2t + 100 ns, just as TLP 3 ends: so TLPs 3, 5, ..., 63 stall: 31, each 100 ns - t.
  const Duration tlp = link.wire_time(280);
  const Duration fc = Duration::from_ns(100);
  CHECK(t.tlps == 64);
  CHECK(t.credit_stalls == 31);
  CHECK(link.stats().up.credit_stalls == 31);
  CHECK(link.stats().up.credit_stall_ps == ((fc - tlp) * 31).ps);
  CHECK(t.end == (tlp + fc) * 31 + tlp * 2);
}

TEST_CASE("the root port's default posted credits stall a long write burst into a slower host") {
  PcieConfig cfg;  // PH 784, PD 1456: 91 TLPs of 256 bytes in flight
  cfg.host_sink_rate = Rate::from_gbps(40);  // the host absorbs posted writes at 40 Gb/s
  Link link{cfg};
  const uint64_t n = 1024;
  const Transfer t = link.write(Duration{}, kHigh, n * 256);
  // TLP j ends at j t on the link; the host has absorbed it at t + j s (s = 256 B at
  // 40 Gb/s = 51.2 ns > t = 38.7 ns) and its credits are back r later (UpdateFC, 206 ns).
  // TLP k > 91 needs TLP k - 91's: it stalls once t + (k - 91) s + r > (k - 1) t, and
  // from then on every TLP does (the host is the bottleneck).
  const int64_t tl = link.wire_time(280).ps, s = cfg.host_sink_rate.time_for_bytes(256).ps,
                r = cfg.fc_latency().ps;
  uint64_t first_stall = 92;
  while (!(tl + static_cast<int64_t>(first_stall - 91) * s + r > static_cast<int64_t>(first_stall - 1) * tl))
    ++first_stall;
  CHECK(first_stall == 350);
  CHECK(t.credit_stalls == n - first_stall + 1);
  CHECK(t.credit_stalls == 675);
  // The burst then runs at the host's rate: its last TLP is absorbed at t + n s.
  CHECK(t.end.ps == tl + static_cast<int64_t>(n - 91) * s + r + tl);
}

TEST_CASE("the RNIC's default completion buffer bounds a 64 KiB read: 50 requests wait") {
  Link link{PcieConfig{}};  // CPLD 2500 credits; a 512-byte request's completions take 32
  const Transfer t = link.read(Duration{}, kHigh, 64 * 1024);
  // 128 requests; 2500 / 32 = 78 fit; each later one waits for an earlier one's completions.
  CHECK(t.tlps == 128);
  CHECK(t.completions == 256);
  CHECK(t.credit_stalls == 50);
  CHECK(link.stats().completion_stalls == 50);
  CHECK(link.stats().tag_stalls == 0);
  CHECK(link.stats().up.credit_stalls == 0);
}

TEST_CASE("32 tags without extended tags: reads 33..64 each wait for a tag") {
  PcieConfig cfg;
  cfg.extended_tags = false;
  Link link{cfg};
  uint64_t stalls = 0;
  for (int i = 0; i < 64; ++i) stalls += link.read(Duration{}, kHigh + static_cast<uint64_t>(i) * 64, 64).credit_stalls;
  // A read's tag returns with its completion, 0.5 us later; the requests go 3.3 ns apart,
  // the completions 11.6 ns apart (84 bytes each), so each read past the 32nd waits for one.
  CHECK(stalls == 32);
  CHECK(link.stats().tag_stalls == 32);
  CHECK(link.stats().completion_stalls == 0);

  Link extended{PcieConfig{}};  // 256 tags
  for (int i = 0; i < 64; ++i) extended.read(Duration{}, kHigh + static_cast<uint64_t>(i) * 64, 64);
  CHECK(extended.stats().tag_stalls == 0);
}

TEST_CASE("four non-posted header credits: every fourth read request waits for the root port") {
  PcieConfig cfg;
  cfg.host_nonposted = {4, 0};
  Link link{cfg};
  for (int i = 0; i < 64; ++i) link.read(Duration{}, kHigh + static_cast<uint64_t>(i) * 64, 64);
  // Request k > 4 needs request k - 4's credit, back 206 ns after it arrived. Request 5
  // waits; 6, 7, 8 find theirs back just as the link frees; request 9 waits for 5's: so
  // 5, 9, ..., 61 stall.
  CHECK(link.stats().up.credit_stalls == 15);
  CHECK(link.stats().tag_stalls == 0);
}

TEST_CASE("an MMIO doorbell goes downstream with a 3 DW header and the RNIC's posted credits") {
  Link link{PcieConfig{}};
  const Transfer t = link.host_write(Duration::from_ns(5), 0xF0000000, 8);
  CHECK(t.tlps == 1);
  CHECK(t.start == Duration::from_ns(5));
  CHECK(t.end == Duration::from_ns(5) + link.wire_time(8 + 12 + 8));
  CHECK(link.stats().down.posted_tlps == 1);
  CHECK(link.stats().down.link_bytes == 28);
  CHECK(link.stats().up.tlps == 0);
}

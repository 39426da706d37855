// CUBIC (RFC 9438): W_cubic(t) = C*(t-K)^3 + W_max with C = 0.4, K = cbrt((W_max -
// cwnd_epoch)/C); beta_cubic = 0.7 on loss; fast convergence; the Reno-friendly region
// (W_est with alpha_cubic = 3(1-beta)/(1+beta)); slow start below ssthresh.
#include <catch2/catch.hpp>

#include <cmath>

#include "model/proto/tcp/cubic.h"
#include "tests/unit/proto/tcp_pair.h"

using namespace rnicsim;
using rnicsim::tcp::AckEvent;
using rnicsim::tcp::Cubic;

namespace {
constexpr uint32_t kSmss = 1000;

/// Acknowledges `segments` segments one by one at time `t`.
void ack_window(Cubic& c, double segments, Duration t, Duration rtt) {
  for (int i = 0; i < static_cast<int>(segments); ++i) {
    AckEvent ev;
    ev.acked = kSmss;
    ev.smss = kSmss;
    ev.now = t;
    ev.srtt = rtt;
    c.on_ack(ev);
  }
}
}  // namespace

TEST_CASE("CUBIC: beta 0.7 and K on loss, then W_cubic at chosen instants", "[tcp][cubic]") {
  Cubic c;
  c.cwnd = 100 * kSmss;
  c.ssthresh = 50 * kSmss;
  c.on_loss(100 * kSmss, kSmss, Duration{});
  CHECK(c.ssthresh == 70 * kSmss);  // 100 * 0.7
  CHECK(c.cwnd == 70 * kSmss);
  CHECK(c.w_max() == Approx(100.0));
  // The epoch starts with the first ACK in congestion avoidance.
  const Duration t0 = Duration::from_s(10);
  ack_window(c, 1, t0, Duration{});
  const double k = std::cbrt(100.0 * (1 - 0.7) / 0.4);  // = cbrt(75) = 4.2172 s
  CHECK(c.k() == Approx(k).epsilon(1e-12));
  // The curve itself: W_max - (W_max - cwnd_epoch) at 0, W_max at K, symmetric around K.
  CHECK(c.w_cubic(0) == Approx(70.0).epsilon(1e-12));
  CHECK(c.w_cubic(k) == Approx(100.0).epsilon(1e-12));
  CHECK(c.w_cubic(1.0) == Approx(0.4 * std::pow(1.0 - k, 3) + 100).epsilon(1e-12));
  CHECK(c.w_cubic(k + 2.0) == Approx(0.4 * 8 + 100).epsilon(1e-12));
  CHECK(c.w_cubic(k - 2.0) == Approx(100 - 0.4 * 8).epsilon(1e-12));

  // Window growth follows the curve: at each chosen instant (RTT 0, so the target is
  // W_cubic(t)) every ACKed segment adds (target - cwnd)/cwnd (4.4, 4.5); eight windows of
  // ACKs bring cwnd to W_cubic(t) within one segment, never above it.
  for (double t : {1.0, 2.0, 3.0, k, 5.0, 6.0, 7.0}) {
    const double target = 0.4 * std::pow(t - k, 3) + 100;
    for (int win = 0; win < 8; ++win)
      ack_window(c, c.cwnd / double(kSmss), t0 + Duration{static_cast<int64_t>(t * 1e12)}, Duration{});
    INFO("t = " << t);
    CHECK(double(c.cwnd) / kSmss <= target + 1.0 / kSmss);  // one byte of carried fraction
    CHECK(double(c.cwnd) / kSmss >= target - 1.0);
  }
}

TEST_CASE("CUBIC: fast convergence lowers W_max when losing below it", "[tcp][cubic]") {
  Cubic c;
  c.cwnd = 100 * kSmss;
  c.on_loss(0, kSmss, Duration{});
  CHECK(c.w_max() == Approx(100.0));
  c.cwnd = 80 * kSmss;  // a second loss before regaining W_max
  c.on_loss(0, kSmss, Duration{});
  CHECK(c.w_max() == Approx(80 * 1.7 / 2));  // 68
  CHECK(c.cwnd == 56 * kSmss);               // 80 * 0.7
  c.fast_convergence = false;
  c.cwnd = 60 * kSmss;
  c.on_loss(0, kSmss, Duration{});
  CHECK(c.w_max() == Approx(60.0));
}

TEST_CASE("CUBIC: the Reno-friendly region, slow start, timeout", "[tcp][cubic]") {
  Cubic c;
  c.cwnd = 100 * kSmss;
  c.on_loss(0, kSmss, Duration{});
  // All ACKs at the epoch's first instant: W_cubic stays at 70 while W_est grows by
  // alpha_cubic = 3 * 0.3 / 1.7 per window: cwnd follows W_est.
  const double alpha = 3 * 0.3 / 1.7;
  const Duration t = Duration::from_s(1);
  double w_est = 70;
  for (int win = 0; win < 5; ++win) {
    const double cw = c.cwnd / double(kSmss);
    for (int i = 0; i < static_cast<int>(cw); ++i) {
      w_est += alpha / (c.cwnd / double(kSmss));
      ack_window(c, 1, t, Duration{});
    }
  }
  CHECK(c.w_est() == Approx(w_est).epsilon(1e-9));
  CHECK(double(c.cwnd) / kSmss == Approx(w_est).margin(1.0 / kSmss));
  CHECK(c.cwnd > 72 * kSmss);
  // Timeout: ssthresh = 0.7 cwnd, cwnd one segment, then slow start (byte counted).
  const uint32_t before = c.cwnd;
  c.on_timeout(0, kSmss, Duration{});
  CHECK(c.ssthresh == static_cast<uint32_t>(before * 0.7));
  CHECK(c.cwnd == kSmss);
  ack_window(c, 3, Duration::from_s(2), Duration{});
  CHECK(c.cwnd == 4 * kSmss);
}

TEST_CASE("CUBIC over a lossy pair: delivery intact, W_max and ssthresh at beta 0.7", "[tcp][cubic]") {
  tcp::Config cfg;
  cfg.cc = "cubic";
  test::TcpPair w(cfg, 1, cfg, 2);
  test::establish(w);
  int n = 0;
  w.drop = [&](const test::Sent& s) { return s.from == 0 && !s.payload.empty() && ++n == 300; };
  const auto data = test::pattern(2 * MiB, 4);
  w.send(0, data.data(), data.size());
  REQUIRE(w.run_until([&] { return w.a.all_acked(); }, Duration::from_s(10)));
  CHECK(w.rec_b.data == data);
  CHECK(w.a.stats().fast_retransmits == 1);
  const auto& cubic = dynamic_cast<const Cubic&>(w.a.cc());
  // ssthresh = 0.7 * cwnd at the loss; W_max = cwnd at the loss, in segments.
  CHECK(w.a.ssthresh() == static_cast<uint32_t>(cubic.w_max() * w.a.emss() * 0.7));
}

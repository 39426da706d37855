// The host's ICMP decisions without a wire: echo requests answered with the same id,
// sequence and data (RFC 792); the echo client's outcomes (reply with its round trip and
// data check, ICMP error, unresolved next hop, timeout); fragmentation needed and
// redirects handed to the host's callbacks; every message counted in and out.
#include <catch2/catch.hpp>

#include <vector>

#include "host_if/host_icmp.h"
#include "model/proto/ip/ipv4.h"
#include "model/wire/crc.h"
#include "model/wire/icmp.h"
#include "model/wire/ipv4.h"

using namespace rnicsim;
using Outcome = host::EchoResult::Outcome;

namespace {

constexpr wire::Ipv4Addr kUs = 0x0A000001, kPeer = 0x0A000002, kRouter = 0x0A0000FE, kOther = 0x0A000009;

/// A HostIcmp on a recording output and a settable clock.
struct Rig {
  struct Sent {
    wire::Ipv4Addr dst;
    std::vector<uint8_t> msg;
    std::function<void(bool)> done;
  };
  std::vector<Sent> sent;
  Duration now{};
  host::HostIcmp icmp{kUs,
                      [this](wire::Ipv4Addr dst, ConstByteSpan m, std::function<void(bool)> done) {
                        sent.push_back({dst, std::vector<uint8_t>(m.begin(), m.end()), std::move(done)});
                      },
                      [this] { return now; }};
  std::vector<host::EchoResult> results;
  host::HostIcmp::EchoDone recorder() {
    return [this](const host::EchoResult& r) { results.push_back(r); };
  }
  void receive(wire::Ipv4Addr src, const std::vector<uint8_t>& m) {
    wire::Ipv4Header h;
    h.src = src;
    h.dst = kUs;
    h.protocol = wire::kIpProtoIcmp;
    h.total_length = static_cast<uint16_t>(20 + m.size());
    icmp.on_icmp(h, ConstByteSpan(m.data(), m.size()));
  }
};

std::vector<uint8_t> echo(uint8_t type, uint16_t id, uint16_t seq, std::vector<uint8_t> data) {
  std::vector<uint8_t> m(8 + data.size());
  for (size_t i = 0; i < data.size(); ++i) m[8 + i] = data[i];
  wire::encode_icmp_echo(m.data(), wire::IcmpEcho{type, 0, id, seq}, data.size());
  return m;
}

/// An error of `type`/`code`/`rest` quoting the IPv4 packet `src` -> `dst` carrying `body`.
std::vector<uint8_t> error(uint8_t type, uint8_t code, uint32_t rest, wire::Ipv4Addr src, wire::Ipv4Addr dst,
                           uint8_t proto, const std::vector<uint8_t>& body) {
  std::vector<uint8_t> orig(20 + body.size());
  ip::Ipv4Sender tx;
  tx.write(orig.data(), src, dst, proto, body.size());
  std::copy(body.begin(), body.end(), orig.begin() + 20);
  std::vector<uint8_t> m(wire::icmp_error_len(orig.size()));
  wire::encode_icmp_error(m.data(), type, code, rest, orig.data(), orig.size());
  return m;
}

}  // namespace

TEST_CASE("host ICMP: an echo request is answered to its source with its id, sequence and data") {
  Rig r;
  const std::vector<uint8_t> data = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  r.receive(kPeer, echo(wire::kIcmpEchoRequest, 0x1234, 7, data));
  REQUIRE(r.sent.size() == 1);
  CHECK(r.sent[0].dst == kPeer);
  CHECK(r.sent[0].msg == echo(wire::kIcmpEchoReply, 0x1234, 7, data));  // type 0, code 0, checksum right
  const auto& in = r.icmp.stats();
  CHECK(in.in_msgs == 1);
  CHECK(in.in_echos == 1);
  CHECK(r.icmp.out_stats().out_msgs == 1);
  CHECK(r.icmp.out_stats().out_echo_reps == 1);
  CHECK(r.icmp.out_stats().out_echos == 0);
}

TEST_CASE("host ICMP: a request with a bad checksum is counted as an error and not answered") {
  Rig r;
  auto m = echo(wire::kIcmpEchoRequest, 1, 1, {0xaa, 0xbb});
  m[9] ^= 0xff;
  r.receive(kPeer, m);
  CHECK(r.sent.empty());
  CHECK(r.icmp.stats().in_msgs == 1);
  CHECK(r.icmp.stats().in_errors == 1);
  CHECK(r.icmp.stats().in_echos == 0);
}

TEST_CASE("host ICMP: the echo client sends iputils' pattern and takes the reply with its round trip") {
  Rig r;
  r.now = Duration::from_us(10);
  const uint64_t n = r.icmp.send_echo(kPeer, 3, 1, 56, r.recorder());
  CHECK(n == 1);
  REQUIRE(r.sent.size() == 1);
  CHECK(r.sent[0].dst == kPeer);
  const auto payload = host::HostIcmp::echo_payload(56);
  REQUIRE(payload.size() == 56);
  CHECK(payload[0] == 0);
  CHECK(payload[55] == 55);
  CHECK(r.sent[0].msg == echo(wire::kIcmpEchoRequest, 3, 1, payload));  // 64 bytes of ICMP
  CHECK(r.icmp.outstanding() == 1);
  CHECK(r.icmp.out_stats().out_echos == 1);

  r.now = Duration::from_ps(15'123'456);
  // Not ours: another id, another sequence, another source.
  r.receive(kPeer, echo(wire::kIcmpEchoReply, 4, 1, payload));
  r.receive(kPeer, echo(wire::kIcmpEchoReply, 3, 2, payload));
  r.receive(kOther, echo(wire::kIcmpEchoReply, 3, 1, payload));
  CHECK(r.results.empty());
  r.receive(kPeer, echo(wire::kIcmpEchoReply, 3, 1, payload));
  REQUIRE(r.results.size() == 1);
  const auto& e = r.results[0];
  CHECK(e.outcome == Outcome::Reply);
  CHECK(e.dst == kPeer);
  CHECK(e.from == kPeer);
  CHECK(e.id == 3);
  CHECK(e.seq == 1);
  CHECK(e.payload_len == 56);
  CHECK(e.rtt == Duration::from_ps(5'123'456));
  CHECK(e.data_intact);
  CHECK(r.icmp.outstanding() == 0);
  // A duplicate, or the same reply late, settles nothing.
  r.receive(kPeer, echo(wire::kIcmpEchoReply, 3, 1, payload));
  CHECK(r.results.size() == 1);
  CHECK(r.icmp.stats().in_echo_reps == 5);
}

TEST_CASE("host ICMP: a reply with other bytes than were sent is a reply whose data is not intact") {
  Rig r;
  r.icmp.send_echo(kPeer, 3, 1, 8, r.recorder());
  auto data = host::HostIcmp::echo_payload(8);
  data[5] ^= 1;
  r.receive(kPeer, echo(wire::kIcmpEchoReply, 3, 1, data));
  REQUIRE(r.results.size() == 1);
  CHECK(r.results[0].outcome == Outcome::Reply);
  CHECK_FALSE(r.results[0].data_intact);
  r.icmp.send_echo(kPeer, 3, 2, 8, r.recorder());
  r.receive(kPeer, echo(wire::kIcmpEchoReply, 3, 2, host::HostIcmp::echo_payload(7)));  // one byte short
  REQUIRE(r.results.size() == 2);
  CHECK_FALSE(r.results[1].data_intact);
}

TEST_CASE("host ICMP: destination unreachable and time exceeded about an echo request are its errors") {
  Rig r;
  r.icmp.send_echo(kOther, 9, 1, 56, r.recorder());
  r.icmp.send_echo(kOther, 9, 2, 56, r.recorder());
  const auto req1 = r.sent[0].msg, req2 = r.sent[1].msg;
  r.receive(kRouter, error(wire::kIcmpDestUnreachable, wire::kIcmpHostUnreachable, 0, kUs, kOther,
                           wire::kIpProtoIcmp, req1));
  r.receive(kRouter, error(wire::kIcmpTimeExceeded, wire::kIcmpTtlExceeded, 0, kUs, kOther, wire::kIpProtoIcmp, req2));
  REQUIRE(r.results.size() == 2);
  CHECK(r.results[0].outcome == Outcome::Error);
  CHECK(r.results[0].seq == 1);
  CHECK(r.results[0].type == wire::kIcmpDestUnreachable);
  CHECK(r.results[0].code == wire::kIcmpHostUnreachable);
  CHECK(r.results[0].from == kRouter);
  CHECK(r.results[1].outcome == Outcome::Error);
  CHECK(r.results[1].seq == 2);
  CHECK(r.results[1].type == wire::kIcmpTimeExceeded);
  CHECK(r.icmp.stats().in_dest_unreachs == 1);
  CHECK(r.icmp.stats().in_time_excds == 1);
}

TEST_CASE("host ICMP: an error about a datagram another host sent, or quoting another echo, settles nothing") {
  Rig r;
  r.icmp.send_echo(kOther, 9, 1, 56, r.recorder());
  const auto req = r.sent[0].msg;
  r.receive(kRouter, error(wire::kIcmpDestUnreachable, wire::kIcmpHostUnreachable, 0, kPeer, kOther,
                           wire::kIpProtoIcmp, req));
  r.receive(kRouter, error(wire::kIcmpDestUnreachable, wire::kIcmpHostUnreachable, 0, kUs, kPeer,
                           wire::kIpProtoIcmp, req));
  r.receive(kRouter, error(wire::kIcmpDestUnreachable, wire::kIcmpHostUnreachable, 0, kUs, kOther,
                           wire::kIpProtoIcmp, echo(wire::kIcmpEchoRequest, 9, 2, {})));
  CHECK(r.results.empty());
  CHECK(r.icmp.outstanding() == 1);
}

TEST_CASE("host ICMP: fragmentation needed goes to on_frag_needed and fails the echo; a redirect goes to on_redirect only") {
  Rig r;
  std::vector<std::pair<wire::Ipv4Addr, uint16_t>> frag;
  std::vector<std::tuple<wire::Ipv4Addr, wire::Ipv4Addr, wire::Ipv4Addr>> redirects;
  // Unset callbacks: the errors are only counted.
  const std::vector<uint8_t> tcp_body(20, 0);
  r.receive(kRouter, error(wire::kIcmpDestUnreachable, wire::kIcmpFragNeeded, 1280, kUs, kOther, wire::kIpProtoTcp,
                           tcp_body));
  r.receive(kRouter, error(wire::kIcmpRedirect, wire::kIcmpRedirectHost, kRouter, kUs, kOther, wire::kIpProtoTcp,
                           tcp_body));
  r.icmp.on_frag_needed = [&](wire::Ipv4Addr dst, uint16_t mtu) { frag.emplace_back(dst, mtu); };
  r.icmp.on_redirect = [&](wire::Ipv4Addr dst, wire::Ipv4Addr gw, wire::Ipv4Addr src) {
    redirects.emplace_back(dst, gw, src);
  };
  r.receive(kRouter, error(wire::kIcmpDestUnreachable, wire::kIcmpFragNeeded, 1280, kUs, kOther, wire::kIpProtoTcp,
                           tcp_body));
  REQUIRE(frag.size() == 1);
  CHECK(frag[0] == std::make_pair(kOther, uint16_t{1280}));

  r.icmp.send_echo(kOther, 9, 1, 1400, r.recorder());
  const auto req = r.sent[0].msg;
  r.receive(kRouter, error(wire::kIcmpRedirect, wire::kIcmpRedirectHost, 0x0A0000FD, kUs, kOther, wire::kIpProtoIcmp,
                           req));
  REQUIRE(redirects.size() == 1);
  CHECK(redirects[0] == std::make_tuple(kOther, wire::Ipv4Addr{0x0A0000FD}, kRouter));
  CHECK(r.results.empty());  // forwarded all the same: not an error (iputils agrees)
  r.receive(kRouter, error(wire::kIcmpDestUnreachable, wire::kIcmpFragNeeded, 1280, kUs, kOther, wire::kIpProtoIcmp,
                           req));
  REQUIRE(frag.size() == 2);
  REQUIRE(r.results.size() == 1);
  CHECK(r.results[0].outcome == Outcome::Error);
  CHECK(r.results[0].code == wire::kIcmpFragNeeded);
  CHECK(r.icmp.stats().in_redirects == 2);
  CHECK(r.icmp.stats().in_dest_unreachs == 3);
}

TEST_CASE("host ICMP: an unresolved next hop and a timeout settle the request once, the later one alone") {
  Rig r;
  r.icmp.send_echo(kOther, 9, 1, 56, r.recorder());
  r.sent[0].done(false);
  REQUIRE(r.results.size() == 1);
  CHECK(r.results[0].outcome == Outcome::Unresolved);
  r.icmp.expire(kOther, 9, 1, 1);  // already settled
  CHECK(r.results.size() == 1);

  const uint64_t a = r.icmp.send_echo(kOther, 9, 2, 56, r.recorder());
  r.sent[1].done(true);
  CHECK(r.results.size() == 1);
  // A new request with the same id and sequence takes over: the old one is given up.
  const uint64_t b = r.icmp.send_echo(kOther, 9, 2, 56, r.recorder());
  REQUIRE(r.results.size() == 2);
  CHECK(r.results[1].outcome == Outcome::Timeout);
  r.icmp.expire(kOther, 9, 2, a);  // the first one's timer: the second stays
  CHECK(r.icmp.outstanding() == 1);
  r.icmp.expire(kOther, 9, 2, b);
  REQUIRE(r.results.size() == 3);
  CHECK(r.results[2].outcome == Outcome::Timeout);
  CHECK(r.results[2].seq == 2);
  CHECK(r.icmp.outstanding() == 0);
  CHECK(r.icmp.out_stats().out_echos == 3);
  CHECK(r.icmp.out_stats().out_msgs == 3);
}

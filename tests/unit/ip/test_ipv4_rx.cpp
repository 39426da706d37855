// IPv4 input: header errors, packets for another host and fragments are counted and
// dropped; protocol 1 goes to the ICMP handler, where every message is counted by type;
// any other protocol is counted as unknown.
#include <catch2/catch.hpp>

#include <vector>

#include "model/proto/ip/icmp.h"
#include "model/proto/ip/ipv4.h"
#include "model/wire/crc.h"
#include "model/wire/icmp.h"

using namespace rnicsim;

namespace {

constexpr wire::Ipv4Addr kUs = 0x0A000001, kPeer = 0x0A000002;

/// An IPv4 packet from the peer carrying `body`.
std::vector<uint8_t> packet(uint8_t proto, const std::vector<uint8_t>& body, wire::Ipv4Addr dst = kUs) {
  std::vector<uint8_t> p(20 + body.size());
  ip::Ipv4Sender tx;
  tx.write(p.data(), kPeer, dst, proto, body.size());
  std::copy(body.begin(), body.end(), p.begin() + 20);
  return p;
}

std::vector<uint8_t> echo(uint8_t type, size_t payload = 8) {
  std::vector<uint8_t> m(8 + payload, 0x5a);
  wire::encode_icmp_echo(m.data(), wire::IcmpEcho{type, 0, 7, 1}, payload);
  return m;
}

/// Records what reached it.
struct Recorder : ip::IcmpHandler {
  std::vector<std::vector<uint8_t>> got;
  wire::Ipv4Addr src = 0;
  void on_icmp(const wire::Ipv4Header& h, ConstByteSpan m) override {
    src = h.src;
    got.emplace_back(m.begin(), m.end());
  }
};

}  // namespace

TEST_CASE("IPv4 in: an ICMP packet for us reaches the ICMP handler, whole and alone") {
  Recorder r;
  ip::Ipv4Receiver rx(kUs, r);
  const auto m = echo(wire::kIcmpEchoRequest);
  auto p = packet(wire::kIpProtoIcmp, m);
  p.resize(p.size() + 10, 0);  // Ethernet padding after the packet is not part of it
  CHECK(rx.receive(p.data(), p.size()) == ip::RxResult::Delivered);
  REQUIRE(r.got.size() == 1);
  CHECK(r.got[0] == m);
  CHECK(r.src == kPeer);
  CHECK(rx.stats().in_receives == 1);
  CHECK(rx.stats().in_delivers == 1);
}

TEST_CASE("IPv4 in: a bad checksum, another host's packet, a fragment and UDP are counted, none delivered") {
  Recorder r;
  ip::Ipv4Receiver rx(kUs, r);
  auto bad = packet(wire::kIpProtoIcmp, echo(8));
  bad[11] ^= 1;
  CHECK(rx.receive(bad.data(), bad.size()) == ip::RxResult::HeaderError);
  auto other = packet(wire::kIpProtoIcmp, echo(8), 0x0A000009);
  CHECK(rx.receive(other.data(), other.size()) == ip::RxResult::NotForUs);
  std::vector<uint8_t> frag(28);
  wire::Ipv4Header h;
  h.total_length = 28;
  h.mf = true;
  h.protocol = wire::kIpProtoIcmp;
  h.src = kPeer;
  h.dst = kUs;
  wire::encode_ipv4(frag.data(), h);
  CHECK(rx.receive(frag.data(), frag.size()) == ip::RxResult::Fragment);
  auto udp = packet(wire::kIpProtoUdp, std::vector<uint8_t>(8, 0));
  CHECK(rx.receive(udp.data(), udp.size()) == ip::RxResult::UnknownProtocol);
  CHECK(r.got.empty());
  const ip::Ipv4RxStats& s = rx.stats();
  CHECK(s.in_receives == 4);
  CHECK(s.in_hdr_errors == 1);
  CHECK(s.in_addr_errors == 1);
  CHECK(s.reasm_reqds == 1);
  CHECK(s.in_unknown_protos == 1);
  CHECK(s.in_delivers == 0);
}

TEST_CASE("ICMP in: every message is counted, by type, bad ones as errors") {
  ip::IcmpCounter icmp;
  ip::Ipv4Receiver rx(kUs, icmp);
  auto feed = [&](std::vector<uint8_t> m) {
    auto p = packet(wire::kIpProtoIcmp, m);
    REQUIRE(rx.receive(p.data(), p.size()) == ip::RxResult::Delivered);
  };
  feed(echo(wire::kIcmpEchoRequest));
  feed(echo(wire::kIcmpEchoRequest));
  feed(echo(wire::kIcmpEchoReply));
  auto bad = echo(wire::kIcmpEchoRequest);
  bad[2] ^= 0xff;
  feed(bad);
  feed({3, 4});  // shorter than a header
  // Destination unreachable, fragmentation needed (type 3 code 4, next-hop MTU 1280),
  // time exceeded and redirect: checksummed the way the codec does echo.
  for (const uint8_t type : {uint8_t{3}, uint8_t{11}, uint8_t{5}, uint8_t{13}}) {
    auto m = echo(wire::kIcmpEchoRequest);
    m[0] = type;
    m[1] = type == 3 ? 4 : 0;
    m[2] = m[3] = 0;
    const uint16_t c = wire::inet_fold(wire::inet_sum(m.data(), m.size()));
    m[2] = static_cast<uint8_t>(c >> 8);
    m[3] = static_cast<uint8_t>(c);
    feed(m);
  }
  const ip::IcmpStats& s = icmp.stats();
  CHECK(s.in_msgs == 9);
  CHECK(s.in_errors == 2);
  CHECK(s.in_echos == 2);
  CHECK(s.in_echo_reps == 1);
  CHECK(s.in_dest_unreachs == 1);
  CHECK(s.in_time_excds == 1);
  CHECK(s.in_redirects == 1);
  CHECK(s.in_other == 1);
}

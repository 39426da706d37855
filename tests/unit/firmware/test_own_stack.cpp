// The type-3 firmware's own network stack as logic: frames in with the time, frames and
// neighbour news out. Every frame it sends is decoded with the project's codecs.
#include <catch2/catch.hpp>

#include <vector>

#include "firmware/own_stack.h"
#include "model/common/bytes.h"
#include "tests/unit/firmware/frames.h"

using namespace rnicsim;
using namespace t3;

namespace {

struct Neigh {
  wire::Ipv4Addr ip;
  wire::MacAddr mac;
  netstack::NudState state;
  bool operator==(const Neigh& o) const { return ip == o.ip && mac == o.mac && state == o.state; }
};

struct Fixture {
  FramePool pool;
  std::vector<FramePtr> sent;
  std::vector<Duration> timers;
  std::vector<Neigh> neigh;
  std::vector<std::pair<wire::Ipv4Addr, uint32_t>> pmtu;
  fw::OwnStack stack;

  static fw::OwnStackConfig config() {
    fw::OwnStackConfig c;
    c.ip = kRnic;
    c.prefix_len = 24;
    c.mac = kRnicMac;
    c.rng_name = "bob.rnic.neigh";
    // The host's default route through a gateway on the RNIC's subnet, and a static route
    // through one that is not.
    c.host_routes = {{0, 0, 0x0A0000FE, 1500}, {0x0A020000, 16, 0x0A010001, 1500}};
    return c;
  }
  Fixture()
      : stack(config(), pool,
              fw::OwnStack::Hooks{[this](FramePtr f) { sent.push_back(std::move(f)); },
                                  [this](Duration when) { timers.push_back(when); },
                                  [this](wire::Ipv4Addr ip, wire::MacAddr mac, netstack::NudState s) {
                                    neigh.push_back({ip, mac, s});
                                  },
                                  [this](wire::Ipv4Addr dst, uint32_t mtu) { pmtu.emplace_back(dst, mtu); }}) {}

  wire::ArpPacket sent_arp(size_t i, wire::EthHeader* eth = nullptr) {
    REQUIRE(sent.size() > i);
    auto e = wire::decode_eth(sent[i]->bytes.data(), sent[i]->bytes.size());
    REQUIRE(e);
    REQUIRE(e.value.ethertype == wire::kEtherTypeArp);
    if (eth) *eth = e.value;
    auto a = wire::decode_arp(sent[i]->bytes.data() + e.length, sent[i]->bytes.size() - e.length);
    REQUIRE(a);
    return a.value;
  }
  /// alice's ARP request for the RNIC's address: the RNIC learns her.
  void learn_alice() {
    stack.receive(*arp_frame(pool, wire::ArpOp::Request, wire::kMacBroadcast, kAliceMac, kAlice, 0, kRnic), Duration{});
    sent.clear();
    neigh.clear();
  }
};

}  // namespace

TEST_CASE("own stack: an ARP request for the RNIC's address is answered from its MAC, its sender learned") {
  Fixture f;
  f.stack.receive(*arp_frame(f.pool, wire::ArpOp::Request, wire::kMacBroadcast, kAliceMac, kAlice, 0, kRnic),
                  Duration::from_us(3));
  REQUIRE(f.sent.size() == 1);
  wire::EthHeader eth;
  const wire::ArpPacket a = f.sent_arp(0, &eth);
  CHECK(eth.dst == kAliceMac);
  CHECK(eth.src == kRnicMac);
  CHECK(a.op == wire::ArpOp::Reply);
  CHECK(a.sha == kRnicMac);
  CHECK(a.spa == kRnic);
  CHECK(a.tha == kAliceMac);
  CHECK(a.tpa == kAlice);
  CHECK(f.neigh == std::vector<Neigh>{{kAlice, kAliceMac, netstack::NudState::Reachable}});
  CHECK(f.stack.neigh_state(kAlice) == netstack::NudState::Reachable);
  CHECK(f.stack.stats().arp_replies_tx == 1);
  CHECK(f.stack.stats().arp_rx == 1);
}

TEST_CASE("own stack: ARP for the host's address is neither answered nor learned") {
  Fixture f;
  f.stack.receive(*arp_frame(f.pool, wire::ArpOp::Request, wire::kMacBroadcast, kAliceMac, kAlice, 0, kHost),
                  Duration{});
  CHECK(f.sent.empty());
  CHECK(f.neigh.empty());
  CHECK(f.stack.neigh_state(kAlice) == netstack::NudState::None);
}

TEST_CASE("own stack: a reply to its request resolves the neighbour and is not answered") {
  Fixture f;
  f.stack.resolve(kAlice, Duration{});
  REQUIRE(f.sent.size() == 1);
  wire::EthHeader eth;
  const wire::ArpPacket rq = f.sent_arp(0, &eth);
  CHECK(eth.dst == wire::kMacBroadcast);
  CHECK(eth.src == kRnicMac);
  CHECK(rq.op == wire::ArpOp::Request);
  CHECK(rq.sha == kRnicMac);
  CHECK(rq.spa == kRnic);
  CHECK(rq.tpa == kAlice);
  CHECK(f.stack.neigh_state(kAlice) == netstack::NudState::Incomplete);
  f.stack.receive(*arp_frame(f.pool, wire::ArpOp::Reply, kRnicMac, kAliceMac, kAlice, kRnicMac, kRnic),
                  Duration::from_us(5));
  CHECK(f.sent.size() == 1);
  CHECK(f.neigh == std::vector<Neigh>{{kAlice, kAliceMac, netstack::NudState::Reachable}});
}

TEST_CASE("own stack: an unanswered resolution sends 3 broadcasts 1 s apart, then FAILED") {
  Fixture f;
  f.stack.resolve(kAlice, Duration{});
  REQUIRE(f.timers == std::vector<Duration>{Duration::from_s(1)});
  f.stack.on_timer(Duration::from_s(1));
  f.stack.on_timer(Duration::from_s(2));
  CHECK(f.sent.size() == 3);
  CHECK(f.neigh.empty());
  f.stack.on_timer(Duration::from_s(3));
  CHECK(f.sent.size() == 3);
  CHECK(f.timers == std::vector<Duration>{Duration::from_s(1), Duration::from_s(2), Duration::from_s(3)});
  CHECK(f.neigh == std::vector<Neigh>{{kAlice, 0, netstack::NudState::Failed}});
  CHECK(f.stack.stats().arp_requests_tx == 3);
  for (size_t i = 0; i < 3; ++i) CHECK(f.sent_arp(i).tpa == kAlice);
}

TEST_CASE("own stack: a gratuitous ARP rewrites a neighbour it knows and teaches none it does not") {
  Fixture f;
  f.learn_alice();
  constexpr wire::MacAddr kNew = 0x0200000000A1ull;
  f.stack.receive(*arp_frame(f.pool, wire::ArpOp::Request, wire::kMacBroadcast, kNew, kAlice, 0, kAlice),
                  Duration::from_ms(1));
  CHECK(f.neigh == std::vector<Neigh>{{kAlice, kNew, netstack::NudState::Stale}});
  f.stack.receive(*arp_frame(f.pool, wire::ArpOp::Request, wire::kMacBroadcast, 0x0200000000C3ull, 0x0A000003, 0,
                             0x0A000003),
                  Duration::from_ms(2));
  CHECK(f.neigh.size() == 1);
  CHECK(f.stack.neigh_state(0x0A000003) == netstack::NudState::None);
  CHECK(f.sent.empty());
}

TEST_CASE("own stack: an echo request is answered from the RNIC's addresses with its id, sequence and data") {
  Fixture f;
  f.learn_alice();
  f.stack.receive(*echo_request(f.pool, kRnicMac, kRnic, 0x1234, 7, 56), Duration::from_us(10));
  REQUIRE(f.sent.size() == 1);
  const auto& b = f.sent[0]->bytes;
  REQUIRE(b.size() == 14 + 20 + 8 + 56);
  auto eth = wire::decode_eth(b.data(), b.size());
  REQUIRE(eth);
  CHECK(eth.value.dst == kAliceMac);
  CHECK(eth.value.src == kRnicMac);
  CHECK(eth.value.ethertype == wire::kEtherTypeIpv4);
  auto ip = wire::decode_ipv4(b.data() + 14, b.size() - 14);
  REQUIRE(ip);
  CHECK(ip.value.src == kRnic);
  CHECK(ip.value.dst == kAlice);
  CHECK(ip.value.protocol == wire::kIpProtoIcmp);
  CHECK(ip.value.ttl == 64);
  CHECK(!ip.value.df);  // Linux's ICMP socket: IP_PMTUDISC_DONT
  CHECK(ip.value.id == 1);
  auto echo = wire::decode_icmp_echo(b.data() + 34, b.size() - 34);
  REQUIRE(echo);  // checksum good
  CHECK(echo.value.type == wire::kIcmpEchoReply);
  CHECK(echo.value.id == 0x1234);
  CHECK(echo.value.seq == 7);
  for (size_t i = 0; i < 56; ++i) CHECK(b[42 + i] == i);
  CHECK(f.stack.stats().echo_replies_tx == 1);
  CHECK(f.stack.icmp_stats().in_echos == 1);
  CHECK(f.stack.ip_stats().in_delivers == 1);
}

TEST_CASE("own stack: an echo request from a neighbour it does not know waits for its ARP") {
  Fixture f;
  f.stack.receive(*echo_request(f.pool, kRnicMac, kRnic, 1, 1, 8), Duration{});
  REQUIRE(f.sent.size() == 1);
  CHECK(f.sent_arp(0).tpa == kAlice);
  f.stack.receive(*arp_frame(f.pool, wire::ArpOp::Reply, kRnicMac, kAliceMac, kAlice, kRnicMac, kRnic),
                  Duration::from_us(5));
  REQUIRE(f.sent.size() == 2);
  CHECK(load_be48(f.sent[1]->bytes.data()) == kAliceMac);
  auto echo = wire::decode_icmp_echo(f.sent[1]->bytes.data() + 34, 8 + 8);
  REQUIRE(echo);
  CHECK(echo.value.type == wire::kIcmpEchoReply);
}

TEST_CASE("own stack: an echo to another address is not answered (the IP layer counts it)") {
  Fixture f;
  f.learn_alice();
  f.stack.receive(*echo_request(f.pool, kRnicMac, kHost, 1, 1, 8), Duration{});
  CHECK(f.sent.empty());
  CHECK(f.stack.ip_stats().in_addr_errors == 1);
  CHECK(f.stack.icmp_stats().in_msgs == 0);
}

TEST_CASE("own stack: fragmentation needed about its own TCP datagram gives the path MTU, others are ignored") {
  Fixture f;
  f.stack.receive(*frag_needed(f.pool, kRnic, 1280), Duration{});
  CHECK(f.pmtu == std::vector<std::pair<wire::Ipv4Addr, uint32_t>>{{kAlice, 1280}});
  f.stack.receive(*frag_needed(f.pool, kHost, 1280), Duration{});  // the host's datagram
  f.stack.receive(*frag_needed(f.pool, kRnic, 1500), Duration{});  // not below the route's MTU (RFC 1191 s.6.3)
  f.stack.receive(*frag_needed(f.pool, kRnic, 40), Duration{});    // below IPv4's minimum
  CHECK(f.pmtu.size() == 1);
  CHECK(f.stack.stats().pmtu_learned == 1);
  CHECK(f.stack.icmp_stats().in_dest_unreachs == 4);
}

TEST_CASE("own stack: its routes are its prefix and the host's routes through gateways on its subnet") {
  Fixture f;
  const auto on_link = f.stack.route(0x0A000001);
  REQUIRE(on_link);
  CHECK(on_link->gateway == 0);
  CHECK(on_link->len == 24);
  const auto far = f.stack.route(0x08080808);
  REQUIRE(far);
  CHECK(far->gateway == 0x0A0000FE);
  // 10.2.0.0/16 is reached through 10.1.0.1, not on the RNIC's link: left out, so the
  // default route carries it.
  const auto other = f.stack.route(0x0A020304);
  REQUIRE(other);
  CHECK(other->len == 0);
  CHECK(other->gateway == 0x0A0000FE);
}

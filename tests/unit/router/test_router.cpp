// The router at the frame level: frames built with the wire codecs go into an interface's
// link, and the exact frames that come out of each interface are checked. One model per
// process (SystemC elaborates once): every test case uses the one bench below, with
// addresses of its own and counters read as differences, so that the test cases pass
// alone (one ctest process each) or one after the other in one run.
#include <catch2/catch.hpp>

#include <cstring>
#include <memory>
#include <vector>

#include "model/common/bytes.h"
#include "model/common/sim.h"
#include "model/hw/link/link.h"
#include "model/hw/router/router.h"
#include "model/wire/crc.h"
#include "model/wire/icmp.h"
#include "model/wire/ipv4.h"

using namespace rnicsim;

namespace {

using Bytes = std::vector<uint8_t>;

constexpr wire::Ipv4Addr ip4(int a, int b, int c, int d) {
  return static_cast<wire::Ipv4Addr>(a) << 24 | static_cast<wire::Ipv4Addr>(b) << 16 |
         static_cast<wire::Ipv4Addr>(c) << 8 | static_cast<wire::Ipv4Addr>(d);
}
// The router's interfaces: eth0 on segment A, eth1 (MTU 1280) on B, eth2 on C; a static
// route to 10.9.0.0/16 through a second router on A (10.0.0.253).
constexpr wire::MacAddr kEth0 = 0x02000000FE00ull, kEth1 = 0x02000000FE01ull, kEth2 = 0x02000000FE02ull;
constexpr wire::Ipv4Addr kEth0Ip = ip4(10, 0, 0, 254), kEth1Ip = ip4(10, 1, 0, 254), kEth2Ip = ip4(10, 2, 0, 254);
constexpr wire::Ipv4Addr kOtherRouter = ip4(10, 0, 0, 253);
constexpr wire::MacAddr kOtherRouterMac = 0x0200000000FDull;

/// The far end of one of the router's links: keeps every good frame it receives.
struct Port : FrameSink {
  std::vector<Bytes> got;
  std::vector<Duration> at;
  void receive(FramePtr f) override {
    REQUIRE(wire::ethernet_fcs(f->bytes.data(), f->bytes.size()) == f->fcs);
    got.emplace_back(f->bytes.begin(), f->bytes.end());
    at.push_back(sim_now());
  }
};

struct Bench {
  EventQueue events;  // first: the blocks post to it
  std::unique_ptr<hw::Router> router;
  std::vector<std::unique_ptr<hw::Link>> links;
  Port ports[3];

  Bench() {
    hw::RouterConfig c;
    c.name = "r1";
    c.latency = Duration::from_us(1);
    c.redirects = true;
    c.interfaces = {{"eth0", kEth0Ip, 24, kEth0, 1500}, {"eth1", kEth1Ip, 24, kEth1, 1280},
                    {"eth2", kEth2Ip, 24, kEth2, 1500}};
    c.routes = {{ip4(10, 9, 0, 0), 16, kOtherRouter}};
    router = std::make_unique<hw::Router>("r1", c, 1);
    for (size_t i = 0; i < 3; ++i) {
      hw::LinkConfig lc;
      lc.name = "l" + std::to_string(i);
      lc.rate = Rate::from_gbps(25);
      links.push_back(std::make_unique<hw::Link>(lc.name.c_str(), lc, 1));
      links[i]->attach(0, &ports[i]);
      router->attach(i, links[i].get(), 1, lc.rate);
    }
  }
  /// Puts a frame onto link `i` toward the router (its FCS computed, as a MAC would).
  void send(size_t i, const Bytes& b) {
    FramePtr f = events.frames().make();
    f->bytes.assign(b.begin(), b.end());
    if (f->bytes.size() < wire::kEthMinFrame) f->bytes.resize(wire::kEthMinFrame, 0);
    f->fcs = wire::ethernet_fcs(f->bytes.data(), f->bytes.size());
    links[i]->transmit(0, std::move(f), Duration{});
  }
  void run(Duration d) { sc_core::sc_start(to_sc(d)); }
  void clear() {
    for (auto& p : ports) {
      p.got.clear();
      p.at.clear();
    }
  }
};

Bench& bench() {
  static Bench b;
  return b;
}

Bytes eth(wire::MacAddr dst, wire::MacAddr src, uint16_t type, const Bytes& l3) {
  Bytes b(wire::kEthHeaderLen);
  wire::encode_eth(b.data(), {dst, src, type});
  b.insert(b.end(), l3.begin(), l3.end());
  return b;
}

Bytes arp(wire::ArpOp op, wire::MacAddr sha, wire::Ipv4Addr spa, wire::MacAddr tha, wire::Ipv4Addr tpa) {
  Bytes b(wire::kArpLen);
  wire::encode_arp(b.data(), {op, sha, spa, tha, tpa});
  return b;
}

/// An IPv4 packet of `total` bytes (protocol 17, payload bytes counting up).
Bytes packet(wire::Ipv4Addr src, wire::Ipv4Addr dst, size_t total, uint8_t ttl = 64, bool df = true,
             uint8_t protocol = wire::kIpProtoUdp, uint16_t id = 7) {
  Bytes b(total);
  wire::Ipv4Header h;
  h.total_length = static_cast<uint16_t>(total);
  h.id = id;
  h.df = df;
  h.ttl = ttl;
  h.protocol = protocol;
  h.src = src;
  h.dst = dst;
  wire::encode_ipv4(b.data(), h);
  for (size_t i = wire::kIpv4HeaderLen; i < total; ++i) b[i] = static_cast<uint8_t>(i);
  return b;
}

/// A host on segment `i` introduces itself with an ARP request for the router's address
/// there; returns the router's reply.
Bytes introduce(size_t i, wire::MacAddr mac, wire::Ipv4Addr ip, wire::Ipv4Addr router_ip) {
  Bench& b = bench();
  b.clear();
  b.send(i, eth(wire::kMacBroadcast, mac, wire::kEtherTypeArp, arp(wire::ArpOp::Request, mac, ip, 0, router_ip)));
  b.run(Duration::from_us(5));
  REQUIRE(b.ports[i].got.size() == 1);
  return b.ports[i].got[0];
}

/// The IPv4 packet in a frame, without Ethernet padding.
Bytes l3_of(const Bytes& frame) {
  REQUIRE(load_be16(frame.data() + 12) == wire::kEtherTypeIpv4);
  const size_t total = load_be16(frame.data() + 14 + 2);
  return Bytes(frame.begin() + 14, frame.begin() + 14 + static_cast<std::ptrdiff_t>(total));
}

/// Checks an ICMP error frame from the router and returns it decoded, with the bytes it quotes.
struct IcmpOut {
  wire::Ipv4Header ip;
  wire::IcmpError err;
  Bytes quote;
};
IcmpOut icmp_error_in(const Bytes& frame, wire::MacAddr to, wire::MacAddr from) {
  CHECK(load_be48(frame.data()) == to);
  CHECK(load_be48(frame.data() + 6) == from);
  const Bytes l3 = l3_of(frame);
  const auto ip = wire::decode_ipv4(l3.data(), l3.size());
  REQUIRE(ip);
  CHECK(ip.value.protocol == wire::kIpProtoIcmp);
  CHECK(ip.value.ttl == 64);
  CHECK_FALSE(ip.value.df);
  const auto e = wire::decode_icmp_error(l3.data() + 20, l3.size() - 20);
  REQUIRE(e);
  return {ip.value, e.value, Bytes(l3.begin() + 28, l3.end())};
}

}  // namespace

TEST_CASE("answers ARP for an interface's own address from that interface's MAC, and only that") {
  Bench& b = bench();
  constexpr wire::MacAddr kHost = 0x020000000A01ull;
  const Bytes reply = introduce(0, kHost, ip4(10, 0, 0, 1), kEth0Ip);
  CHECK(reply == eth(kHost, kEth0, wire::kEtherTypeArp, [&] {
          Bytes a = arp(wire::ArpOp::Reply, kEth0, kEth0Ip, kHost, ip4(10, 0, 0, 1));
          a.resize(wire::kEthMinFrame - wire::kEthHeaderLen, 0);  // padded to the minimum frame
          return a;
        }()));
  // Another interface's address, or one the router does not have, is not answered on eth0.
  b.clear();
  b.send(0, eth(wire::kMacBroadcast, kHost, wire::kEtherTypeArp, arp(wire::ArpOp::Request, kHost, ip4(10, 0, 0, 1), 0, kEth2Ip)));
  b.send(0, eth(wire::kMacBroadcast, kHost, wire::kEtherTypeArp,
                arp(wire::ArpOp::Request, kHost, ip4(10, 0, 0, 1), 0, ip4(10, 0, 0, 77))));
  b.run(Duration::from_us(5));
  CHECK(b.ports[0].got.empty());
  CHECK(b.ports[1].got.empty());
  CHECK(b.ports[2].got.empty());
}

TEST_CASE("forwards with TTL less one and a valid checksum, MACs rewritten, after resolving the next hop") {
  Bench& b = bench();
  constexpr wire::MacAddr kA = 0x020000000A02ull, kC = 0x020000000C02ull;
  constexpr wire::Ipv4Addr kAIp = ip4(10, 0, 0, 2), kCIp = ip4(10, 2, 0, 2);
  introduce(0, kA, kAIp, kEth0Ip);
  const uint64_t fwd0 = b.router->stats().forwarded;
  const Bytes p1 = packet(kAIp, kCIp, 300, 64, true, wire::kIpProtoUdp, 0x1234);
  const Bytes p2 = packet(kAIp, kCIp, 1500, 17, false, wire::kIpProtoTcp, 0xBEEF);
  b.clear();
  b.send(0, eth(kEth0, kA, wire::kEtherTypeIpv4, p1));
  b.run(Duration::from_us(5));
  // The next hop is unknown: an ARP request from eth2, broadcast; the packet is held.
  REQUIRE(b.ports[2].got.size() == 1);
  Bytes want_req = eth(wire::kMacBroadcast, kEth2, wire::kEtherTypeArp, arp(wire::ArpOp::Request, kEth2, kEth2Ip, 0, kCIp));
  want_req.resize(wire::kEthMinFrame, 0);
  CHECK(b.ports[2].got[0] == want_req);
  CHECK(b.router->stats().forwarded == fwd0);
  // The reply releases it.
  b.clear();
  b.send(2, eth(kEth2, kC, wire::kEtherTypeArp, arp(wire::ArpOp::Reply, kC, kCIp, kEth2, kEth2Ip)));
  b.run(Duration::from_us(5));
  REQUIRE(b.ports[2].got.size() == 1);
  auto check_forwarded = [&](const Bytes& frame, const Bytes& sent) {
    CHECK(load_be48(frame.data()) == kC);
    CHECK(load_be48(frame.data() + 6) == kEth2);
    const Bytes l3 = l3_of(frame);
    REQUIRE(l3.size() == sent.size());
    const auto h = wire::decode_ipv4(l3.data(), l3.size());  // checks the header checksum
    REQUIRE(h);
    CHECK(h.value.ttl == sent[8] - 1);
    // Only TTL and checksum differ; the checksum is the one a full recomputation gives.
    Bytes expect = sent;
    expect[8] = static_cast<uint8_t>(sent[8] - 1);
    expect[10] = expect[11] = 0;
    store_be16(expect.data() + 10, wire::inet_fold(wire::inet_sum(expect.data(), 20)));
    CHECK(l3 == expect);
  };
  check_forwarded(b.ports[2].got[0], p1);
  // Once resolved, a packet goes straight on, 1 us after it arrived plus its serialisation.
  b.clear();
  const Duration t0 = sim_now();
  b.send(0, eth(kEth0, kA, wire::kEtherTypeIpv4, p2));
  b.run(Duration::from_us(5));
  REQUIRE(b.ports[2].got.size() == 1);
  check_forwarded(b.ports[2].got[0], p2);
  CHECK(b.ports[2].at[0] - t0 == Duration::from_us(1) + Rate::from_gbps(25).time_for_bytes(1514 + 4 + 8 + 12));
  CHECK(b.router->stats().forwarded == fwd0 + 2);
  CHECK(b.ports[0].got.empty());  // no redirect: it left by another interface
}

TEST_CASE("TTL 1 is dropped with time exceeded to the source, quoting the packet as it came") {
  Bench& b = bench();
  constexpr wire::MacAddr kA = 0x020000000A03ull;
  constexpr wire::Ipv4Addr kAIp = ip4(10, 0, 0, 3);
  introduce(0, kA, kAIp, kEth0Ip);
  const uint64_t te0 = b.router->stats().ttl_exceeded, sent0 = b.router->stats().icmp_sent;
  const Bytes p = packet(kAIp, ip4(10, 2, 0, 3), 1000, 1);
  b.clear();
  b.send(0, eth(kEth0, kA, wire::kEtherTypeIpv4, p));
  b.run(Duration::from_us(5));
  REQUIRE(b.ports[0].got.size() == 1);
  CHECK(b.ports[2].got.empty());
  const IcmpOut o = icmp_error_in(b.ports[0].got[0], kA, kEth0);
  CHECK(o.ip.src == kEth0Ip);
  CHECK(o.ip.dst == kAIp);
  CHECK(o.ip.total_length == 576);  // 20 + 8 + 548 quoted: RFC 1812's 576 bytes
  CHECK(o.err.type == wire::kIcmpTimeExceeded);
  CHECK(o.err.code == 0);
  CHECK(o.err.rest == 0);
  CHECK(o.quote == Bytes(p.begin(), p.begin() + 548));
  CHECK(b.router->stats().ttl_exceeded == te0 + 1);
  CHECK(b.router->stats().icmp_sent == sent0 + 1);
  // TTL 2 goes on with TTL 1.
  b.clear();
  b.send(0, eth(kEth0, kA, wire::kEtherTypeIpv4, packet(kAIp, ip4(10, 2, 0, 2), 100, 2)));
  b.run(Duration::from_us(5));
  CHECK(b.ports[0].got.empty());
  CHECK(b.router->stats().ttl_exceeded == te0 + 1);
}

TEST_CASE("DF above the egress MTU is fragmentation needed with the next-hop MTU, without DF it is dropped") {
  Bench& b = bench();
  constexpr wire::MacAddr kA = 0x020000000A04ull, kB = 0x020000000B04ull;
  constexpr wire::Ipv4Addr kAIp = ip4(10, 0, 0, 4), kBIp = ip4(10, 1, 0, 4);
  introduce(0, kA, kAIp, kEth0Ip);
  introduce(1, kB, kBIp, kEth1Ip);
  const auto s0 = b.router->stats();
  const Bytes big = packet(kAIp, kBIp, 1500, 64, true);
  b.clear();
  b.send(0, eth(kEth0, kA, wire::kEtherTypeIpv4, big));
  b.send(0, eth(kEth0, kA, wire::kEtherTypeIpv4, packet(kAIp, kBIp, 1500, 64, false)));
  b.send(0, eth(kEth0, kA, wire::kEtherTypeIpv4, packet(kAIp, kBIp, 1280, 64, true)));
  b.run(Duration::from_us(5));
  REQUIRE(b.ports[0].got.size() == 1);
  const IcmpOut o = icmp_error_in(b.ports[0].got[0], kA, kEth0);
  CHECK(o.ip.src == kEth0Ip);
  CHECK(o.ip.dst == kAIp);
  CHECK(o.err.type == wire::kIcmpDestUnreachable);
  CHECK(o.err.code == wire::kIcmpFragNeeded);
  CHECK(o.err.next_hop_mtu() == 1280);
  CHECK(o.err.rest == 1280);  // RFC 1191: the unused high half is zero
  CHECK(o.quote == Bytes(big.begin(), big.begin() + 548));
  // The 1280-byte packet fits eth1 exactly.
  REQUIRE(b.ports[1].got.size() == 1);
  CHECK(b.ports[1].got[0].size() == 14 + 1280);
  const auto& s = b.router->stats();
  CHECK(s.frag_needed == s0.frag_needed + 1);
  CHECK(s.too_big == s0.too_big + 1);
  CHECK(s.forwarded == s0.forwarded + 1);
  CHECK(s.dest_unreachable_sent == s0.dest_unreachable_sent + 1);
  CHECK(s.dropped() == s0.dropped() + 2);
}

TEST_CASE("no route is net unreachable, and no ICMP error about an ICMP error, a broadcast or a fragment") {
  Bench& b = bench();
  constexpr wire::MacAddr kA = 0x020000000A05ull;
  constexpr wire::Ipv4Addr kAIp = ip4(10, 0, 0, 5);
  introduce(0, kA, kAIp, kEth0Ip);
  const auto s0 = b.router->stats();
  const Bytes p = packet(kAIp, ip4(192, 168, 7, 7), 64);
  b.clear();
  b.send(0, eth(kEth0, kA, wire::kEtherTypeIpv4, p));
  b.run(Duration::from_us(5));
  REQUIRE(b.ports[0].got.size() == 1);
  const IcmpOut o = icmp_error_in(b.ports[0].got[0], kA, kEth0);
  CHECK(o.err.type == wire::kIcmpDestUnreachable);
  CHECK(o.err.code == wire::kIcmpNetUnreachable);
  CHECK(o.ip.total_length == 20 + 8 + 64);  // a short packet is quoted whole
  CHECK(o.quote == p);
  // An ICMP error without a route, an unrouted non-initial fragment, and a TTL-1 packet
  // from an impossible source: dropped, nothing sent.
  Bytes err = packet(kAIp, ip4(192, 168, 7, 7), 20 + 8 + 28, 64, false, wire::kIpProtoIcmp);
  wire::encode_icmp_error(err.data() + 20, wire::kIcmpTimeExceeded, 0, 0, p.data(), 28);
  Bytes frag = packet(kAIp, ip4(192, 168, 7, 7), 100, 64, false);
  store_be16(frag.data() + 6, 185);  // offset 1480
  frag[10] = frag[11] = 0;
  store_be16(frag.data() + 10, wire::inet_fold(wire::inet_sum(frag.data(), 20)));
  b.clear();
  b.send(0, eth(kEth0, kA, wire::kEtherTypeIpv4, err));
  b.send(0, eth(kEth0, kA, wire::kEtherTypeIpv4, frag));
  b.send(0, eth(kEth0, kA, wire::kEtherTypeIpv4, packet(ip4(0, 0, 0, 0), ip4(10, 2, 0, 5), 64, 1)));
  // IP broadcast and link-layer broadcast are not forwarded, and draw no error either.
  b.send(0, eth(kEth0, kA, wire::kEtherTypeIpv4, packet(kAIp, ip4(10, 0, 0, 255), 64, 1)));
  b.send(0, eth(wire::kMacBroadcast, kA, wire::kEtherTypeIpv4, packet(kAIp, ip4(10, 2, 0, 5), 64)));
  b.run(Duration::from_us(5));
  CHECK(b.ports[0].got.empty());
  CHECK(b.ports[2].got.empty());
  const auto& s = b.router->stats();
  CHECK(s.no_route == s0.no_route + 3);
  CHECK(s.not_forwarded == s0.not_forwarded + 2);
  CHECK(s.to_router == s0.to_router + 1);  // the subnet broadcast
  CHECK(s.icmp_sent == s0.icmp_sent + 1);
}

TEST_CASE("out of the interface it came in on, a redirect to the better gateway, and the packet forwarded") {
  Bench& b = bench();
  constexpr wire::MacAddr kA = 0x020000000A06ull;
  constexpr wire::Ipv4Addr kAIp = ip4(10, 0, 0, 6);
  introduce(0, kA, kAIp, kEth0Ip);
  const auto s0 = b.router->stats();
  const Bytes p = packet(kAIp, ip4(10, 9, 1, 1), 200);
  b.clear();
  b.send(0, eth(kEth0, kA, wire::kEtherTypeIpv4, p));
  b.run(Duration::from_us(5));
  // The redirect first (sent as the packet is forwarded), then the ARP request for the
  // static route's gateway.
  REQUIRE(b.ports[0].got.size() == 2);
  const IcmpOut o = icmp_error_in(b.ports[0].got[0], kA, kEth0);
  CHECK(o.ip.src == kEth0Ip);
  CHECK(o.ip.dst == kAIp);
  CHECK(o.err.type == wire::kIcmpRedirect);
  CHECK(o.err.code == wire::kIcmpRedirectHost);
  CHECK(o.err.gateway() == kOtherRouter);
  // Linux quotes the packet after the TTL decrement (ip_forward sends it after ip_decrease_ttl).
  REQUIRE(o.quote.size() == 200);
  CHECK(o.quote[8] == 63);
  CHECK(Bytes(o.quote.begin() + 12, o.quote.end()) == Bytes(p.begin() + 12, p.end()));
  Bytes want_req =
      eth(wire::kMacBroadcast, kEth0, wire::kEtherTypeArp, arp(wire::ArpOp::Request, kEth0, kEth0Ip, 0, kOtherRouter));
  want_req.resize(wire::kEthMinFrame, 0);
  CHECK(b.ports[0].got[1] == want_req);
  b.clear();
  b.send(0, eth(kEth0, kOtherRouterMac, wire::kEtherTypeArp,
                arp(wire::ArpOp::Reply, kOtherRouterMac, kOtherRouter, kEth0, kEth0Ip)));
  b.run(Duration::from_us(5));
  REQUIRE(b.ports[0].got.size() == 1);
  CHECK(load_be48(b.ports[0].got[0].data()) == kOtherRouterMac);
  CHECK(load_be48(b.ports[0].got[0].data() + 6) == kEth0);
  CHECK(l3_of(b.ports[0].got[0])[8] == 63);
  const auto& s = b.router->stats();
  CHECK(s.redirects_sent == s0.redirects_sent + 1);
  CHECK(s.forwarded == s0.forwarded + 1);
}

TEST_CASE("echo requests to any of its addresses are answered from that address") {
  Bench& b = bench();
  constexpr wire::MacAddr kA = 0x020000000A07ull;
  constexpr wire::Ipv4Addr kAIp = ip4(10, 0, 0, 7);
  introduce(0, kA, kAIp, kEth0Ip);
  const auto s0 = b.router->stats();
  Bytes req = packet(kAIp, kEth2Ip, 20 + 8 + 56, 64, true, wire::kIpProtoIcmp);
  wire::encode_icmp_echo(req.data() + 20, {wire::kIcmpEchoRequest, 0, 0x4321, 9}, 56);
  b.clear();
  b.send(0, eth(kEth0, kA, wire::kEtherTypeIpv4, req));
  b.run(Duration::from_us(5));
  REQUIRE(b.ports[0].got.size() == 1);
  CHECK(b.ports[2].got.empty());
  const Bytes l3 = l3_of(b.ports[0].got[0]);
  const auto ip = wire::decode_ipv4(l3.data(), l3.size());
  REQUIRE(ip);
  CHECK(ip.value.src == kEth2Ip);
  CHECK(ip.value.dst == kAIp);
  CHECK(ip.value.ttl == 64);
  const auto e = wire::decode_icmp_echo(l3.data() + 20, l3.size() - 20);  // checks its checksum
  REQUIRE(e);
  CHECK(e.value.type == wire::kIcmpEchoReply);
  CHECK(e.value.id == 0x4321);
  CHECK(e.value.seq == 9);
  CHECK(Bytes(l3.begin() + 28, l3.end()) == Bytes(req.begin() + 28, req.end()));
  CHECK(b.router->stats().echo_replies == s0.echo_replies + 1);
  CHECK(b.router->stats().to_router == s0.to_router + 1);
}

TEST_CASE("a next hop that never answers fails after 3 probes, its packets drop with host unreachable") {
  Bench& b = bench();
  constexpr wire::MacAddr kA = 0x020000000A08ull;
  constexpr wire::Ipv4Addr kAIp = ip4(10, 0, 0, 8), kGone = ip4(10, 2, 0, 99);
  introduce(0, kA, kAIp, kEth0Ip);
  const auto s0 = b.router->stats();
  const Bytes p1 = packet(kAIp, kGone, 100, 64, true, wire::kIpProtoUdp, 1);
  const Bytes p2 = packet(kAIp, kGone, 120, 64, true, wire::kIpProtoUdp, 2);
  b.clear();
  b.send(0, eth(kEth0, kA, wire::kEtherTypeIpv4, p1));
  b.send(0, eth(kEth0, kA, wire::kEtherTypeIpv4, p2));
  b.run(Duration::from_ms(3500));
  // Linux's arp_tbl: mcast_probes 3, one per retrans_time (1 s), then FAILED.
  REQUIRE(b.ports[2].got.size() == 3);
  for (const auto& f : b.ports[2].got) CHECK(load_be16(f.data() + 12) == wire::kEtherTypeArp);
  CHECK(b.ports[2].at[1] - b.ports[2].at[0] == Duration::from_s(1));
  CHECK(b.ports[2].at[2] - b.ports[2].at[1] == Duration::from_s(1));
  REQUIRE(b.ports[0].got.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    const IcmpOut o = icmp_error_in(b.ports[0].got[i], kA, kEth0);
    CHECK(o.err.type == wire::kIcmpDestUnreachable);
    CHECK(o.err.code == wire::kIcmpHostUnreachable);
    CHECK(o.err.orig_dst == kGone);
    CHECK(load_be16(o.quote.data() + 4) == i + 1);  // in the order they were held
    CHECK(o.quote[8] == 63);                          // as held: TTL already decremented
  }
  // The failure comes with the third probe's timeout, 1 s after it.
  CHECK((b.ports[0].at[0] - b.ports[2].at[2]).ps / 1000000 == 1000000);
  const auto& s = b.router->stats();
  CHECK(s.arp_failed == s0.arp_failed + 2);
  CHECK(s.arp_requests_tx == s0.arp_requests_tx + 3);
  CHECK(s.forwarded == s0.forwarded);
}

// libsystemc wants an sc_main; Catch2's main runs these tests, so it is never called.
int sc_main(int, char**) { return 0; }

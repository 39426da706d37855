// A type-3 RNIC at its port, SystemC blocks and firmware together: frames arrive at the
// MAC, the receive filter takes both MACs, the demux gives the RNIC's ARP and ICMP to its
// firmware (answered through the send_frame register after fw_arp_cost and fw_icmp_cost
// on the embedded core) and the host's to the host. Builds SystemC blocks: one ctest
// process per test case.
#include <catch2/catch.hpp>

#include <vector>

#include "firmware/firmware.h"
#include "model/common/sim.h"
#include "model/hw/rnic/rnic.h"
#include "model/mem/host_memory.h"
#include "model/wire/crc.h"
#include "tests/unit/firmware/frames.h"

using namespace rnicsim;
using namespace t3;

namespace {

struct Sent {
  Duration at;
  std::vector<uint8_t> bytes;
};

FramePtr with_fcs(FramePtr f) {
  f->fcs = wire::ethernet_fcs(f->bytes.data(), f->bytes.size());
  return f;
}

}  // namespace

TEST_CASE("type-3 port: the RNIC answers ARP and echo for its own address, the host gets its own") {
  EventQueue events;  // first: the blocks post to it
  host::HostMemory mem{1, "bob"};
  hw::RnicConfig rc;
  rc.type = 3;
  rc.mac = kRnicMac;
  rc.ip = kRnic;
  rc.host_mac = kHostMac;
  rc.host_ip = kHost;
  hw::Rnic rnic("rnic", rc, mem, 1);
  fw::FirmwareConfig fc;
  fw::OwnStackConfig own;
  own.ip = kRnic;
  own.mac = kRnicMac;
  own.rng_name = "bob.rnic.neigh";
  fc.own_stack = own;
  fw::Firmware firmware("firmware", fc, rnic);

  CHECK(rnic.mac().addresses() == std::vector<wire::MacAddr>{kHostMac, kRnicMac});
  std::vector<Sent> sent;
  rnic.mac().set_tap([&](const Frame& f, Duration t) {
    if (load_be48(f.bytes.data() + 6) == kAliceMac) return;  // what arrives
    sent.push_back({t, {f.bytes.begin(), f.bytes.end()}});
  });
  std::vector<std::vector<uint8_t>> to_host;
  rnic.set_host_rx([&](FramePtr f) { to_host.emplace_back(f->bytes.begin(), f->bytes.end()); },
                   [](FramePtr, const wire::Ipv4Header&, const wire::TcpHeader&, size_t, size_t, wire::MacAddr) {});

  FramePool& pool = events.frames();
  hw::Mac& mac = rnic.mac();
  mac.receive(with_fcs(arp_frame(pool, wire::ArpOp::Request, wire::kMacBroadcast, kAliceMac, kAlice, 0, kRnic)));
  mac.receive(with_fcs(echo_request(pool, kRnicMac, kRnic, 0x4242, 3, 56)));
  mac.receive(with_fcs(arp_frame(pool, wire::ArpOp::Request, wire::kMacBroadcast, kAliceMac, kAlice, 0, kHost)));
  mac.receive(with_fcs(echo_request(pool, kHostMac, kHost, 0x4343, 4, 56)));
  mac.receive(with_fcs(echo_request(pool, 0x020000000099ull, kRnic, 1, 1, 8)));  // for neither MAC
  sc_core::sc_start(sc_core::sc_time(10, sc_core::SC_US));

  // The MAC's 20 ns, then the core: the ARP handler's 300 ns, the ICMP handler's 500 ns
  // after it (one handler at a time).
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].at == Duration::from_ns(320));
  CHECK(sent[1].at == Duration::from_ns(820));
  auto e0 = wire::decode_eth(sent[0].bytes.data(), sent[0].bytes.size());
  REQUIRE(e0);
  CHECK(e0.value.src == kRnicMac);
  CHECK(e0.value.dst == kAliceMac);
  auto arp = wire::decode_arp(sent[0].bytes.data() + 14, sent[0].bytes.size() - 14);
  REQUIRE(arp);
  CHECK(arp.value.op == wire::ArpOp::Reply);
  CHECK(arp.value.sha == kRnicMac);
  CHECK(arp.value.spa == kRnic);
  CHECK(arp.value.tpa == kAlice);
  auto ip = wire::decode_ipv4(sent[1].bytes.data() + 14, sent[1].bytes.size() - 14);
  REQUIRE(ip);
  CHECK(load_be48(sent[1].bytes.data()) == kAliceMac);
  CHECK(load_be48(sent[1].bytes.data() + 6) == kRnicMac);
  CHECK(ip.value.src == kRnic);
  CHECK(ip.value.dst == kAlice);
  auto echo = wire::decode_icmp_echo(sent[1].bytes.data() + 34, ip.value.total_length - 20);
  REQUIRE(echo);
  CHECK(echo.value.type == wire::kIcmpEchoReply);
  CHECK(echo.value.id == 0x4242);
  CHECK(echo.value.seq == 3);

  // The host got the ARP for its address and the echo to it, nothing of the RNIC's.
  REQUIRE(to_host.size() == 2);
  auto h0 = wire::decode_arp(to_host[0].data() + 14, to_host[0].size() - 14);
  REQUIRE(h0);
  CHECK(h0.value.tpa == kHost);
  auto h1 = wire::decode_ipv4(to_host[1].data() + 14, to_host[1].size() - 14);
  REQUIRE(h1);
  CHECK(h1.value.dst == kHost);
  CHECK(mac.stats().rx_filtered == 1);
  CHECK(firmware.stats().busy == Duration::from_ns(800));
  REQUIRE(firmware.own_stack());
  CHECK(firmware.own_stack()->stats().arp_replies_tx == 1);
  CHECK(firmware.own_stack()->stats().echo_replies_tx == 1);
}

TEST_CASE("type-3 port: a host MAC change leaves the RNIC's own MAC in the filter and on its frames") {
  EventQueue events;  // first: the blocks post to it
  host::HostMemory mem{1, "bob"};
  hw::RnicConfig rc;
  rc.type = 3;
  rc.mac = kRnicMac;
  rc.ip = kRnic;
  rc.host_mac = kHostMac;
  rc.host_ip = kHost;
  hw::Rnic rnic("rnic", rc, mem, 1);
  constexpr wire::MacAddr kNewHost = 0x020000000022ull;
  rnic.set_port_mac(kNewHost);
  CHECK(rnic.mac().addresses() == std::vector<wire::MacAddr>{kNewHost, kRnicMac});
  CHECK(rnic.config().mac == kRnicMac);
}

TEST_CASE("type-3 port: a connect resolves the peer with the firmware's own ARP, and takes fragmentation-needed") {
  EventQueue events;  // first: the blocks post to it
  host::HostMemory mem{1, "bob"};
  hw::RnicConfig rc;
  rc.type = 3;
  rc.mac = kRnicMac;
  rc.ip = kRnic;
  rc.host_mac = kHostMac;
  rc.host_ip = kHost;
  hw::Rnic rnic("rnic", rc, mem, 1);
  fw::FirmwareConfig fc;
  fw::OwnStackConfig own;
  own.ip = kRnic;
  own.mac = kRnicMac;
  own.rng_name = "bob.rnic.neigh";
  fc.own_stack = own;
  fw::Firmware firmware("firmware", fc, rnic);
  fw::HostUpcalls up;  // no route and no resolve: a type-3 firmware asks its host for neither
  firmware.set_host(up);

  std::vector<Sent> sent;
  rnic.mac().set_tap([&](const Frame& f, Duration t) {
    if (load_be48(f.bytes.data() + 6) == kAliceMac) return;
    sent.push_back({t, {f.bytes.begin(), f.bytes.end()}});
  });
  firmware.cmd_connect(3, hw::FourTuple{kRnic, kAlice, 40000, 5000}, mpa::Settings{}, tcp::Config{});
  sc_core::sc_start(sc_core::sc_time(5, sc_core::SC_US));
  // After the connect command (2 us): a broadcast ARP request from the RNIC's addresses.
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].at == Duration::from_us(2));
  CHECK(load_be48(sent[0].bytes.data()) == wire::kMacBroadcast);
  auto rq = wire::decode_arp(sent[0].bytes.data() + 14, sent[0].bytes.size() - 14);
  REQUIRE(rq);
  CHECK(rq.value.spa == kRnic);
  CHECK(rq.value.sha == kRnicMac);
  CHECK(rq.value.tpa == kAlice);

  FramePool& pool = events.frames();
  rnic.mac().receive(with_fcs(arp_frame(pool, wire::ArpOp::Reply, kRnicMac, kAliceMac, kAlice, kRnicMac, kRnic)));
  sc_core::sc_start(sc_core::sc_time(5, sc_core::SC_US));
  // The reply's 20 ns at the MAC and 300 ns on the core, then the SYN to alice's MAC.
  REQUIRE(sent.size() == 2);
  auto ip = wire::decode_ipv4(sent[1].bytes.data() + 14, sent[1].bytes.size() - 14);
  REQUIRE(ip);
  CHECK(load_be48(sent[1].bytes.data()) == kAliceMac);
  CHECK(load_be48(sent[1].bytes.data() + 6) == kRnicMac);
  CHECK(ip.value.src == kRnic);
  CHECK(ip.value.dst == kAlice);
  CHECK(ip.value.protocol == wire::kIpProtoTcp);
  REQUIRE(firmware.l2_table().size() == 1);
  CHECK(firmware.l2_table()[0].ip == kAlice);
  CHECK(firmware.l2_table()[0].mac == kAliceMac);
  CHECK(firmware.l2_table()[0].state == fw::L2State::Valid);
  CHECK(firmware.stats().l2_writes == 1);

  rnic.mac().receive(with_fcs(frag_needed(pool, kRnic, 1280)));
  sc_core::sc_start(sc_core::sc_time(5, sc_core::SC_US));
  CHECK(firmware.stats().mtu_changes == 1);
  CHECK(rnic.toe().conn(0).path_mtu() == 1280);
}

// libsystemc wants an sc_main; Catch2's main runs these tests, so it is never called.
int sc_main(int, char**) { return 0; }

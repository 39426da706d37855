// Values: types, units, ranges and the constraints of each key.
#include <catch2/catch.hpp>

#include "helpers.h"

using namespace rnicsim::scenario;
using namespace rnicsim::scenario::test;

namespace {

/// kTwoHosts plus `more`: its errors, formatted.
std::vector<std::string> errors_with(const std::string& more) { return formatted(load(std::string(kTwoHosts) + more)); }

/// A host `carol` in block form whose `rnic:` mapping is `rnic_lines` (at 6 spaces, from line 7).
LoadResult carol(const std::string& rnic_lines) {
  return load(
      "name: t\n"
      "hosts:\n"
      "  - name: carol\n"
      "    ip: 10.0.0.3/24\n"
      "    mac: 02:00:00:00:00:03\n"
      "    rnic:\n" +
      rnic_lines);
}

using Errors = std::vector<std::string>;

}  // namespace

TEST_CASE("names", "[values]") {
  CHECK(load("name: Run-1.b_c\n").ok());
  CHECK(formatted(load("name: _x\n")) ==
        Errors{"scen.yaml:1:7: error: name: expected a scenario name ([A-Za-z0-9][A-Za-z0-9._-]*), got '_x'"});
  CHECK(errors_with("switches: [{name: Sw0}]\n") ==
        Errors{"scen.yaml:9:19: error: switches[0].name: expected a name ([a-z][a-z0-9_]*), got 'Sw0'"});
  CHECK(errors_with("switches: [{name: 0sw}]\n") ==
        Errors{"scen.yaml:9:19: error: switches[0].name: expected a name ([a-z][a-z0-9_]*), got '0sw'"});
  CHECK(errors_with("switches: [{name: s-w}]\n") ==
        Errors{"scen.yaml:9:19: error: switches[0].name: expected a name ([a-z][a-z0-9_]*), got 's-w'"});
}

TEST_CASE("required keys", "[values]") {
  const auto r = load("name: t\nhosts:\n  - {name: a}\nswitches:\n  - {latency: 1us}\n");
  CHECK(formatted(r) == Errors{
                            "scen.yaml:3:5: error: hosts[0].ip: required key missing (expected an IPv4 address with "
                            "prefix, like 10.0.0.1/24)",
                            "scen.yaml:3:5: error: hosts[0].mac: required key missing (expected a MAC address, like "
                            "02:00:00:00:00:01)",
                            "scen.yaml:5:5: error: switches[0].name: required key missing (expected a name "
                            "([a-z][a-z0-9_]*))",
                        });
}

TEST_CASE("host ranges and addresses", "[values]") {
  CHECK(load("name: t\nhosts: [{name: a, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01, mtu: 576}]\n").ok());
  CHECK(load("name: t\nhosts: [{name: a, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01, mtu: 9216}]\n").ok());
  CHECK(formatted(load("name: t\nhosts: [{name: a, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01, mtu: 9217}]\n")) ==
        Errors{"scen.yaml:2:65: error: hosts[0].mtu: expected an integer in 576..9216, got '9217'"});
  CHECK(formatted(load("name: t\nhosts: [{name: a, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01, mtu: \"1500\"}]\n")) ==
        Errors{"scen.yaml:2:65: error: hosts[0].mtu: expected an integer in 576..9216, got '1500'"});
  CHECK(formatted(load("name: t\nhosts: [{name: a, ip: 10.0.0.1/24, mac: 01:00:5e:00:00:01}]\n")) ==
        Errors{"scen.yaml:2:41: error: hosts[0].mac: expected a unicast MAC address, got '01:00:5e:00:00:01' (the "
               "first octet is odd: a multicast address)"});
  CHECK(formatted(load("name: t\nhosts: [{name: a, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01, gateway: 10.0.0.254/24}]\n")) ==
        Errors{"scen.yaml:2:69: error: hosts[0].gateway: expected an IPv4 address, like 10.0.0.1, got '10.0.0.254/24' "
               "(a plain address is expected here, without a prefix length)"});
  const auto routes = load(
      "name: t\n"
      "hosts:\n"
      "  - {name: a, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01, routes: [{dst: 10.1.0.0/16}, {dst: 10.2.0.0/33, via: 10.0.0.1}]}\n");
  CHECK(formatted(routes) == Errors{
                                 "scen.yaml:3:65: error: hosts[0].routes[0].via: required key missing (expected an IPv4 "
                                 "address, like 10.0.0.253)",
                                 "scen.yaml:3:91: error: hosts[0].routes[1].dst: expected an IPv4 address with prefix "
                                 "length, like 10.0.0.1/24, got '10.2.0.0/33' (the prefix length is a number 0..32)",
                             });
}

TEST_CASE("tcp keys", "[values]") {
  const auto r = carol(
      "      tcp: {cc: reno, wscale: 15, init_cwnd: 0, min_rto: 200, timestamps: yes, rcvbuf: 0, sndbuf: 64KiB,\n"
      "            user_timeout: 30s, delayed_ack: 0s, sack: false}\n");
  INFO(all_errors(r));
  CHECK(formatted(r) == Errors{
                            "scen.yaml:7:17: error: hosts[0].rnic.tcp.cc: expected one of newreno | cubic | dctcp, got 'reno'",
                            "scen.yaml:7:31: error: hosts[0].rnic.tcp.wscale: expected an integer in 0..14, got '15'",
                            "scen.yaml:7:46: error: hosts[0].rnic.tcp.init_cwnd: expected an integer in 1..1000, got '0'",
                            "scen.yaml:7:58: error: hosts[0].rnic.tcp.min_rto: expected a time (ns, us, ms, s), got "
                            "'200' (a bare number has no unit)",
                            "scen.yaml:7:75: error: hosts[0].rnic.tcp.timestamps: expected true or false, got 'yes'",
                            "scen.yaml:7:88: error: hosts[0].rnic.tcp.rcvbuf: expected a size above zero, got '0'",
                        });
  // An RNIC's send buffer holds a whole MPA Request or Reply (20 + 512 bytes); a host's
  // own stack has no such floor. A 1-byte RNIC sndbuf once overran the ring.
  CHECK(formatted(carol("      tcp: {sndbuf: 531B}\n")) ==
        Errors{"scen.yaml:7:21: error: hosts[0].rnic.tcp.sndbuf: expected at least 532B (the RNIC writes an MPA "
               "Request or Reply, up to 532 bytes, into it whole), got '531B'"});
  const auto rnic_min = carol("      tcp: {sndbuf: 532B}\n");
  REQUIRE(rnic_min.ok());
  CHECK(rnic_min.scenario->hosts[0].rnic.tcp.sndbuf == 532);
  const auto host_small = load("name: t\nhosts: [{name: a, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01, tcp: {sndbuf: 1B}}]\n");
  REQUIRE(host_small.ok());
  CHECK(host_small.scenario->hosts[0].tcp.sndbuf == 1);
  // rack (an addition): RACK loss detection, on unless turned off.
  const auto rack = load("name: t\nhosts: [{name: a, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01, tcp: {rack: false}}]\n");
  REQUIRE(rack.ok());
  CHECK(!rack.scenario->hosts[0].tcp.rack);
  CHECK(rack.scenario->hosts[0].rnic.tcp.rack);
  CHECK(formatted(carol("      tcp: {rack: maybe}\n")) ==
        Errors{"scen.yaml:7:19: error: hosts[0].rnic.tcp.rack: expected true or false, got 'maybe'"});
  const auto host_tcp = load("name: t\nhosts: [{name: a, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01, tcp: {cc: cubik}}]\n");
  CHECK(formatted(host_tcp) == Errors{"scen.yaml:2:70: error: hosts[0].tcp.cc: expected one of newreno | cubic | dctcp, "
                                      "got 'cubik'; did you mean 'cubic'?"});
}

TEST_CASE("pcie keys", "[values]") {
  CHECK(carol("      pcie: {gen: 5, lanes: 16, mps: 4096B, mrrs: 128, read_latency: 1us}\n").ok());
  const auto r = carol("      pcie: {gen: 6, lanes: 3, mps: 96B, mrrs: 8KiB, read_latency: 1}\n");
  CHECK(formatted(r) == Errors{
                            "scen.yaml:7:19: error: hosts[0].rnic.pcie.gen: expected an integer in 1..5, got '6'",
                            "scen.yaml:7:29: error: hosts[0].rnic.pcie.lanes: expected 1, 2, 4, 8 or 16 lanes, got '3'",
                            "scen.yaml:7:37: error: hosts[0].rnic.pcie.mps: expected a power of two from 128B to 4096B, "
                            "got '96B'",
                            "scen.yaml:7:48: error: hosts[0].rnic.pcie.mrrs: expected a power of two from 128B to "
                            "4096B, got '8KiB'",
                            "scen.yaml:7:68: error: hosts[0].rnic.pcie.read_latency: expected a time (ns, us, ms, s), "
                            "got '1' (a bare number has no unit)",
                        });
  CHECK(has_error(carol("      pcie: {mps: 384B}\n"), "pcie.mps: expected a power of two"));
}

TEST_CASE("rnic type, addresses, profile and profile parameters", "[values]") {
  CHECK(carol("      {type: 3, ip: 10.0.0.13/24, mac: 02:00:00:00:01:03}\n").ok());
  CHECK(formatted(carol("      type: 3\n")) ==
        Errors{"scen.yaml:7:7: error: hosts[0].rnic.ip: required key missing (expected an IPv4 address with prefix: a "
               "type-3 RNIC has its own)",
               "scen.yaml:7:7: error: hosts[0].rnic.mac: required key missing (expected a MAC address: a type-3 RNIC "
               "has its own)"});
  CHECK(formatted(carol("      {ip: 10.0.0.13/24, mac: 02:00:00:00:01:03}\n")) ==
        Errors{"scen.yaml:7:8: error: hosts[0].rnic.ip: not used by a type-7 RNIC, which shares the host's IP and MAC",
               "scen.yaml:7:26: error: hosts[0].rnic.mac: not used by a type-7 RNIC, which shares the host's IP and MAC"});
  CHECK(formatted(carol("      type: 5\n")) ==
        Errors{"scen.yaml:7:13: error: hosts[0].rnic.type: expected 3 (own IP and MAC) or 7 (shares the host's), got '5'"});
  CHECK(formatted(carol("      profile: generic_25\n")) ==
        Errors{"scen.yaml:7:16: error: hosts[0].rnic.profile: no profile named 'generic_25'; did you mean "
               "'generic_25g'? (profiles: generic_10g, generic_25g, generic_40g, generic_100g, chelsio_t5)"});
  const auto params = carol("      {profile: generic_10g, clock_period: 5ns, wqe_size: 128B, max_ird: 64, line_rate: 10Gbps}\n");
  INFO(all_errors(params));
  REQUIRE(params.ok());
  const RnicSpec& rn = params.scenario->hosts[0].rnic;
  CHECK(rn.overrides ==
        std::map<std::string, std::string>{{"clock_period", "5ns"}, {"wqe_size", "128B"}, {"max_ird", "64"}});
  CHECK(rn.line_rate->bps == 10000000000ull);
  CHECK(formatted(carol("      {clock_period: 5, wqe_size: 1KB, max_ird: 1.5, mac_latency: 20}\n")) ==
        Errors{"scen.yaml:7:22: error: hosts[0].rnic.clock_period: expected a time (ns, us, ms, s), got '5' (a bare "
               "number has no unit)",
               "scen.yaml:7:49: error: hosts[0].rnic.max_ird: expected an integer in 0..4294967295, got '1.5'",
               "scen.yaml:7:67: error: hosts[0].rnic.mac_latency: expected a time (ns, us, ms, s), got '20' (a bare "
               "number has no unit)"});
  CHECK(formatted(carol("      {placement: rtl, notify: arp_snoop, port_space: split, netfilter: bypass}\n")).empty());
  CHECK(formatted(carol("      {placement: gate, notify: snoop}\n")) ==
        Errors{"scen.yaml:7:19: error: hosts[0].rnic.placement: expected one of model | rtl | lockstep, got 'gate'",
               "scen.yaml:7:33: error: hosts[0].rnic.notify: expected one of netevent | arp_snoop | none, got 'snoop'"});
}

TEST_CASE("netfilter rules", "[values]") {
  const auto r = carol("      {}\n    netfilter:\n"
                       "      - {action: reject, proto: udp, sport: 5000-5100, src: 10.0.0.0/8}\n"  // 9
                       "      - {action: drop, dport: 80}\n"                                        // 10
                       "      - {proto: tcp, dport: 5100-5000}\n"                                   // 11
                       "      - {action: allow, chain: forward, dst: 10.0.0.9}\n");                // 12
  INFO(all_errors(r));
  CHECK(formatted(r) == Errors{
                            "scen.yaml:10:24: error: hosts[0].netfilter[1].dport: not used with proto: any (ports need "
                            "proto: tcp or udp)",
                            "scen.yaml:11:9: error: hosts[0].netfilter[2].action: required key missing (expected accept "
                            "| drop | reject)",
                            "scen.yaml:11:29: error: hosts[0].netfilter[2].dport: expected a port 1..65535 or a range "
                            "like 5000-5100, got '5100-5000'",
                            "scen.yaml:12:18: error: hosts[0].netfilter[3].action: expected one of accept | drop | "
                            "reject, got 'allow'",
                            "scen.yaml:12:32: error: hosts[0].netfilter[3].chain: expected one of input | output, got "
                            "'forward'",
                        });
  REQUIRE(r.scenario);
  const auto& rules = r.scenario->hosts[0].netfilter;
  REQUIRE(rules.size() == 4);
  CHECK(rules[0].sport == std::make_pair<uint16_t, uint16_t>(5000, 5100));
  CHECK(rules[0].src->len == 8);
  CHECK(rules[3].dst->len == 32);  // a plain address means /32
}

TEST_CASE("switches and routers", "[values]") {
  CHECK(errors_with("switches: [{name: sw0, buffer: 64KiB, ecn_threshold: 128KiB}]\n") ==
        Errors{"scen.yaml:9:54: error: switches[0].ecn_threshold: 131072 bytes is above the buffer (65536 bytes): no "
               "frame would ever be marked"});
  CHECK(errors_with("routers: [{name: r1, interfaces: []}]\n") ==
        Errors{"scen.yaml:9:34: error: routers[0].interfaces: a router needs at least one interface"});
  CHECK(errors_with("routers: [{name: r1}]\n") ==
        Errors{"scen.yaml:9:11: error: routers[0].interfaces: required key missing (expected a list of {name, ip, mac, "
               "mtu})"});
  const auto r = load(std::string(kTwoHosts) +
                      "routers:\n"
                      "  - name: r1\n"
                      "    redirects: 1\n"
                      "    interfaces:\n"
                      "      - {name: eth0, ip: 10.0.0.254/24, mac: 02:00:00:00:fe:01, mtu: 500}\n"
                      "      - {name: eth0, ip: 10.1.0.254/24, mac: 02:00:00:00:fe:02}\n");
  CHECK(formatted(r) == Errors{
                            "scen.yaml:11:16: error: routers[0].redirects: expected true or false, got '1'",
                            "scen.yaml:13:70: error: routers[0].interfaces[0].mtu: expected an integer in 576..9216, got "
                            "'500'",
                            "scen.yaml:14:16: error: routers[0].interfaces[1].name: 'eth0' is already an interface of "
                            "this router (at line 13)",
                        });
}

TEST_CASE("links: ends, probabilities", "[values]") {
  const auto r = load(
      "name: t\n"
      "hosts:\n"
      "  - {name: alice, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01}\n"
      "  - {name: bob, ip: 10.0.0.2/24, mac: 02:00:00:00:00:02}\n"
      "links:\n"
      "  - {ends: [alice], loss: 1.5}\n"                                               // 6
      "  - {ends: [alice, bob], reorder: {forward: 0.1, backward: 0.2}, corrupt: -0.1}\n"  // 7
      "  - {ends: alice_bob, loss: {forward: 2}}\n");                                 // 8
  INFO(all_errors(r));
  CHECK(formatted(r) == Errors{
                            "scen.yaml:6:12: error: links[0].ends: expected two ends, got 1",
                            "scen.yaml:6:27: error: links[0].loss: expected a probability in [0, 1], got '1.5'",
                            "scen.yaml:7:50: error: links[1].reorder.backward: unknown key (expected one of: forward, "
                            "reverse)",
                            "scen.yaml:7:75: error: links[1].corrupt: expected a probability in [0, 1], got '-0.1'",
                            "scen.yaml:8:12: error: links[2].ends: expected a list, got 'alice_bob'",
                            "scen.yaml:8:39: error: links[2].loss.forward: expected a probability in [0, 1], got '2'",
                        });
}

TEST_CASE("connections: ports, repeat, mpa, qp", "[values]") {
  CHECK(errors_with("  - {id: c2, from: bob, to: alice, port: 65535, repeat: 2}\n") ==
        Errors{"scen.yaml:9:57: error: connections[1].repeat: 2 copies from port 65535 run past port 65535"});
  CHECK(errors_with("  - {id: c2, from: bob, to: alice, port: 0}\n") ==
        Errors{"scen.yaml:9:42: error: connections[1].port: expected an integer in 1..65535, got '0'"});
  CHECK(errors_with("  - {id: c2, from: bob, to: alice}\n") ==
        Errors{"scen.yaml:9:5: error: connections[1].port: required key missing (expected the server's port, 1..65535)"});
  const auto r = load(std::string(kTwoHosts) +
                      "  - id: c2\n"
                      "    from: bob\n"
                      "    to: alice\n"
                      "    port: 6000\n"
                      "    src_port: 40000\n"
                      "    at: 2ms\n"
                      "    mpa: {revision: 1, markers: true, crc: false, ird: 1, ord: 16383, private_data: \"\",\n"
                      "          server: {crc: true, ird: 4, reject: true, private_data: abc}}\n"
                      "    qp: {sq_depth: 16, rq_depth: 1}\n");
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const ConnectionSpec& c = r.scenario->connections[1];
  CHECK(*c.src_port == 40000);
  CHECK(c.at == rnicsim::Duration::from_ms(2));
  CHECK(c.mpa.revision == 1);
  CHECK(c.mpa.client.markers);
  CHECK_FALSE(c.mpa.client.crc);
  CHECK(c.mpa.client.ird == 1);
  CHECK(c.mpa.client.ord == 16383);
  CHECK(c.mpa.server.markers);  // inherited from the top of mpa
  CHECK(c.mpa.server.crc);
  CHECK(c.mpa.server.ird == 4);
  CHECK(c.mpa.server.ord == 16383);
  CHECK(c.mpa.server.reject);
  CHECK_FALSE(c.mpa.client.reject);
  CHECK(c.mpa.server.private_data == "abc");
  CHECK(c.sq_depth == 16);
  CHECK(c.rq_depth == 1);

  // disconnect: a time after `at`, for rdma connections only.
  {
    const auto d = load(std::string(kTwoHosts) + "  - {id: c2, from: bob, to: alice, port: 6000, at: 1ms, disconnect: 3ms}\n");
    REQUIRE(d.ok());
    CHECK(*d.scenario->connections[1].disconnect == rnicsim::Duration::from_ms(3));
    CHECK_FALSE(d.scenario->connections[0].disconnect);
  }
  CHECK(errors_with("  - {id: c2, from: bob, to: alice, port: 6000, at: 1ms, disconnect: 1ms}\n") ==
        Errors{"scen.yaml:9:69: error: connections[1].disconnect: the disconnect must come after the connection starts "
               "(at: 1000000 ns), got 1000000 ns"});
  CHECK(errors_with("  - {id: c2, from: bob, to: alice, port: 6000, kind: tcp, disconnect: 1ms}\n").size() == 1);
  const std::string pd512(512, 'x'), pd513(513, 'x');
  CHECK(errors_with("  - {id: c2, from: bob, to: alice, port: 6000, mpa: {revision: 1, private_data: " + pd512 + "}}\n").empty());
  // Revision 2's 4-byte IRD/ORD prefix counts toward the 512 bytes.
  const std::string pd508(508, 'x'), pd509(509, 'x');
  CHECK(errors_with("  - {id: c2, from: bob, to: alice, port: 6000, mpa: {private_data: " + pd508 + "}}\n").empty());
  CHECK(errors_with("  - {id: c2, from: bob, to: alice, port: 6000, mpa: {private_data: " + pd509 + "}}\n") ==
        Errors{"scen.yaml:9:68: error: connections[1].mpa.private_data: 509 bytes, more than the 508 that MPA "
               "revision 2 leaves after its 4-byte IRD/ORD prefix (512 in all)"});
  CHECK(errors_with("  - {id: c2, from: bob, to: alice, port: 6000, mpa: {private_data: " + pd513 + "}}\n") ==
        Errors{"scen.yaml:9:68: error: connections[1].mpa.private_data: 513 bytes, more than MPA's limit of 512"});
  CHECK(errors_with("  - {id: c2, from: bob, to: alice, port: 6000, mpa: {revision: 3, ird: 16384, reject: true}}\n") ==
        Errors{"scen.yaml:9:64: error: connections[1].mpa.revision: expected 1 (RFC 5044) or 2 (RFC 6581), got '3'",
               "scen.yaml:9:72: error: connections[1].mpa.ird: expected an integer in 0..16383, got '16384'",
               "scen.yaml:9:79: error: connections[1].mpa.reject: not used at the top of mpa: only the passive side "
               "rejects; write it under mpa.server"});
  CHECK(errors_with("  - {id: c2, from: bob, to: alice, port: 6000, kind: tcp, mpa: {crc: true}, qp: {sq_depth: 1}}\n") ==
        Errors{"scen.yaml:9:59: error: connections[1].mpa: not used by kind: tcp (a host-stack socket has no MPA)",
               "scen.yaml:9:77: error: connections[1].qp: not used by kind: tcp (a host-stack socket has no QP)"});
  CHECK(errors_with("  - {id: c2, from: bob, to: alice, port: 6000, qp: {sq_depth: 0}}\n") ==
        Errors{"scen.yaml:9:63: error: connections[1].qp.sq_depth: expected an integer in 1..65536, got '0'"});
}

TEST_CASE("workloads: ops, sizes, violate pairs", "[values]") {
  SECTION("sizes") {
    CHECK(errors_with("workloads: [{id: w1, conn: c1, op: write}]\n") ==
          Errors{"scen.yaml:9:13: error: workloads[0].size: required key missing (expected a size or a list of sizes)"});
    CHECK(errors_with("workloads: [{id: w1, conn: c1, op: write, size: []}]\n") ==
          Errors{"scen.yaml:9:49: error: workloads[0].size: expected a size or a list of sizes, got an empty list"});
    CHECK(errors_with("workloads: [{id: w1, conn: c1, op: write, size: [1KiB, 1024, 4x]}]\n") ==
          Errors{"scen.yaml:9:56: error: workloads[0].size[1]: 1024 bytes is already in this list",
                 "scen.yaml:9:62: error: workloads[0].size[2]: expected a size (B, KiB, MiB, GiB, KB, MB, GB, or "
                 "bytes), got '4x' (unknown unit 'x'; expected B, KiB, MiB, GiB, KB, MB or GB)"});
    CHECK(errors_with("workloads: [{id: w1, conn: c1, op: cmp_swap, size: [8B, 16B]}]\n") ==
          Errors{"scen.yaml:9:57: error: workloads[0].size[1]: cmp_swap operands are 8 bytes (RFC 7306), got 16 bytes"});
    CHECK(errors_with("workloads: [{id: w1, conn: c1, op: fetch_add, size: 4}]\n") ==
          Errors{"scen.yaml:9:53: error: workloads[0].size: fetch_add operands are 8 bytes (RFC 7306), got 4 bytes"});
    CHECK(errors_with("workloads: [{id: w1, conn: c1, op: fetch_add, size: 8}]\n").empty());
  }
  SECTION("counts, fence, op") {
    CHECK(errors_with("workloads: [{id: w1, conn: c1, op: writ, size: 1, count: 0, depth: 0}]\n") ==
          Errors{"scen.yaml:9:36: error: workloads[0].op: expected one of write | read | send | send_se | send_inv | "
                 "send_se_inv | fetch_add | cmp_swap | write_lat | read_lat | send_lat | bulk | sink | expose | ping, got "
                  "'writ'; did "
                 "you mean 'write'?",
                 "scen.yaml:9:58: error: workloads[0].count: expected an integer >= 1, got '0'",
                 "scen.yaml:9:68: error: workloads[0].depth: expected an integer in 1..65536, got '0'"});
    CHECK(errors_with("workloads: [{id: w1, conn: c1, op: write, size: 1, fence: true}]\n") ==
          Errors{"scen.yaml:9:59: error: workloads[0].fence: a fence orders RDMA Reads: only for op: read or read_lat, "
                 "not write"});
    CHECK(errors_with("workloads: [{id: w1, conn: c1, op: read_lat, size: 1, fence: true, verify: false}]\n").empty());
  }
  SECTION("ping") {
    CHECK(errors_with("workloads: [{id: w1, op: ping, from: alice, to: 10.0.0.2, size: 1000}]\n").empty());
    CHECK(errors_with("workloads: [{id: w1, op: ping, conn: c1, to: 10.0.0.2/24, depth: 2}]\n") ==
          Errors{"scen.yaml:9:13: error: workloads[0].from: required key missing (expected the name of the host that "
                 "pings)",
                 "scen.yaml:9:32: error: workloads[0].conn: not used by op: ping, which needs no connection",
                 "scen.yaml:9:46: error: workloads[0].to: expected an IPv4 address, like 10.0.0.1, got '10.0.0.2/24' (a "
                 "plain address is expected here, without a prefix length)",
                 "scen.yaml:9:59: error: workloads[0].depth: not used by op: ping (it sends one echo request per "
                 "interval)"});
    CHECK(errors_with("workloads: [{id: w1, conn: c1, op: send, size: 1, from: alice, interval: 1ms}]\n") ==
          Errors{"scen.yaml:9:51: error: workloads[0].from: not used by op: send (only by op: ping)",
                 "scen.yaml:9:64: error: workloads[0].interval: not used by op: send (only by op: ping)"});
    const auto r = load(std::string(kTwoHosts) + "workloads: [{id: w1, op: ping, from: alice, to: 10.0.0.2}]\n");
    REQUIRE(r.ok());
    CHECK(r.scenario->workloads[0].sizes == std::vector<uint64_t>{56});
    CHECK(r.scenario->workloads[0].interval == rnicsim::Duration::from_ms(1));
  }
  SECTION("violate: the pairs of protocol-facts.md's Terminate table") {
    const std::vector<std::string> all = {"stag", "pd", "bounds", "access", "invalidated"};
    auto violate = [](const std::string& op, const std::string& v) {
      return errors_with("workloads: [{id: w1, conn: c1, op: " + op + ", size: 8, violate: " + v + "}]\n");
    };
    for (const char* op : {"write", "read", "write_lat", "read_lat"})
      for (const auto& v : all) {
        INFO(op << " " << v);
        CHECK(violate(op, v).empty());
      }
    for (const char* op : {"send_inv", "send_se_inv"}) {
      for (const char* v : {"stag", "invalidated", "pd"}) CHECK(violate(op, v).empty());
      for (const char* v : {"bounds", "access"}) {
        INFO(op << " " << v);
        CHECK(violate(op, v).size() == 1);
      }
    }
    CHECK(violate("send_inv", "access") ==
          Errors{"scen.yaml:9:64: error: workloads[0].violate: 'access' has no Terminate with op: send_inv (valid: "
                 "stag, invalidated, pd)"});
    for (const char* op : {"send", "send_se", "fetch_add", "cmp_swap", "send_lat"}) {
      INFO(op);
      const auto e = violate(op, "stag");
      REQUIRE(e.size() == 1);
      CHECK(e[0].find("has no Terminate for a violation") != std::string::npos);
    }
    CHECK(violate("write", "badstag") ==
          Errors{"scen.yaml:9:61: error: workloads[0].violate: expected one of stag | pd | bounds | access | "
                 "invalidated, got 'badstag'"});
  }
}

TEST_CASE("events: each kind with its own keys", "[values]") {
  const auto r = load(std::string(kTwoHosts) +
                      "events:\n"                                                          // 9
                      "  - {at: 1ms, host: alice, kind: change_mtu}\n"                     // 10
                      "  - {at: 1ms, host: alice, kind: change_addr, mac: 02:00:00:00:00:09, mtu: 1500}\n"  // 11
                      "  - {host: alice, kind: bind, port: 0}\n"                           // 12
                      "  - {at: 1ms, link: alice_bob, kind: set}\n"                        // 13
                      "  - {at: 1ms, host: alice, kind: down}\n"                           // 14
                      "  - {at: 1ms, host: alice, kind: netdev, state: gone}\n"            // 15
                      "  - {at: 1ms, host: alice, kind: pmtu_update, dst: 10.0.0.2, mtu: 68}\n"  // 16
                      "  - {at: 1ms, host: alice, kind: change_mtu, mtu: 68}\n"            // 17
                      "  - {at: 1ms, host: alice, kind: flap}\n");                         // 18
  INFO(all_errors(r));
  CHECK(formatted(r) ==
        Errors{
            "scen.yaml:10:5: error: events[0].mtu: required key missing (expected a value for kind: change_mtu)",
            "scen.yaml:11:71: error: events[1].mtu: not used by kind: change_addr",
            "scen.yaml:12:5: error: events[2].at: required key missing (expected a time (ns, us, ms, s))",
            "scen.yaml:12:37: error: events[2].port: expected an integer in 1..65535, got '0'",
            "scen.yaml:13:5: error: events[3]: kind: set needs at least one of loss, reorder, corrupt",
            "scen.yaml:14:5: error: events[4].link: required key missing (expected the name of a link)",
            "scen.yaml:14:15: error: events[4].host: not used by kind: down (a link event)",
            "scen.yaml:15:49: error: events[5].state: expected one of going_down | down | up, got 'gone'",
            "scen.yaml:17:51: error: events[7].mtu: expected an integer in 576..9216, got '68'",
            "scen.yaml:18:34: error: events[8].kind: expected one of change_addr | pmtu_update | redirect | change_mtu "
            "| neigh_update | bind | netdev | down | up | set, got 'flap'",
        });
}

TEST_CASE("expect entries", "[values]") {
  const auto r = load(std::string(kTwoHosts) +
                      "workloads: [{id: w1, conn: c1, op: write, size: 1}]\n"   // 9
                      "expect:\n"                                               // 10
                      "  - {metric: workloads.w1.completed}\n"                  // 11
                      "  - {metric: workloads.w1.completed, approx: 10}\n"      // 12
                      "  - {metric: workloads.w1.completed, min: 1, rel: 0.1}\n"  // 13
                      "  - {metric: workloads.w1.completed, max: many}\n"       // 14
                      "  - {metric: workloads.w1.completed, eq: [1]}\n"         // 15
                      "  - {metric: workloads.w1.completed, approx: 1, abs: -1}\n"  // 16
                      "  - {eq: 1}\n"                                           // 17
                      "  - {metric: workloads.w1.op, eq: write}\n"              // 18
                      "  - {metric: workloads.w1.data_intact, eq: \"true\"}\n"  // 19
                      "  - {metric: workloads.w1.bytes, eq: 1e3}\n");           // 20
  INFO(all_errors(r));
  CHECK(formatted(r) == Errors{
                            "scen.yaml:11:5: error: expect[0]: needs one of eq, min, max, approx",
                            "scen.yaml:12:46: error: expect[1].approx: needs a tolerance: rel or abs",
                            "scen.yaml:13:46: error: expect[2].rel: not used without approx",
                            "scen.yaml:14:43: error: expect[3].max: expected a number, got 'many'",
                            "scen.yaml:15:42: error: expect[4].eq: expected a number, a string or a boolean, got a list",
                            "scen.yaml:16:54: error: expect[5].abs: expected a number >= 0, got '-1'",
                            "scen.yaml:17:5: error: expect[6].metric: required key missing (expected a path into "
                            "results.json, like workloads.w1.completed)",
                        });
  REQUIRE(r.scenario);
  const auto& x = r.scenario->expect;
  CHECK(std::get<std::string>(x[7].want) == "write");
  CHECK(std::get<std::string>(x[8].want) == "true");  // quoted: a string
  CHECK(std::get<double>(x[9].want) == 1000.0);
}

TEST_CASE("timeseries.interval and the host stack's segment_cost", "[values]") {
  const auto ok = load("name: t\ntimeseries: {interval: 250us}\nhosts:\n"
                       "  - {name: a, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01, tcp: {segment_cost: 1200ns}}\n");
  REQUIRE(ok.ok());
  CHECK(ok.scenario->timeseries_interval == rnicsim::Duration::from_us(250));
  CHECK(ok.scenario->hosts[0].tcp.segment_cost == rnicsim::Duration::from_ns(1200));
  CHECK(!ok.scenario->hosts[0].tcp.nodelay);  // Nagle on, as Linux's default
  const auto nd = load("name: t\nhosts:\n  - {name: a, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01, tcp: {nodelay: true}}\n");
  REQUIRE(nd.ok());
  CHECK(nd.scenario->hosts[0].tcp.nodelay);
  CHECK(formatted(carol("      tcp: {nodelay: true}\n")) ==
        Errors{"scen.yaml:7:13: error: hosts[0].rnic.tcp.nodelay: unknown key (expected one of: cc, init_cwnd, "
               "min_rto, delayed_ack, timestamps, sack, wscale, rcvbuf, sndbuf, user_timeout, rack)"});
  CHECK(load("name: t\n").scenario->timeseries_interval == rnicsim::Duration::from_us(100));
  CHECK(formatted(load("name: t\ntimeseries: {interval: 100}\n")) ==
        Errors{"scen.yaml:2:24: error: timeseries.interval: expected a time (ns, us, ms, s), got '100' (a bare number "
               "has no unit)"});
  // segment_cost is the host CPU's: the RNIC's timing is its profile's pipeline.
  CHECK(formatted(carol("      tcp: {segment_cost: 1us}\n")) ==
        Errors{"scen.yaml:7:13: error: hosts[0].rnic.tcp.segment_cost: unknown key (expected one of: cc, init_cwnd, "
               "min_rto, delayed_ack, timestamps, sack, wscale, rcvbuf, sndbuf, user_timeout, rack)"});
}

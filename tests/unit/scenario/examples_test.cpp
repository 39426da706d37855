// The contract's examples load with the meaning the contract gives them, defaults included.
#include <catch2/catch.hpp>

#include <regex>

#include "helpers.h"
#include "model/scenario/units_parse.h"

using namespace rnicsim;
using namespace rnicsim::scenario;
using namespace rnicsim::scenario::test;

TEST_CASE("the minimal scenario loads with every default", "[examples]") {
  const auto r = load_scenario_file(data_path("minimal.yaml"), results());
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const Scenario& s = *r.scenario;
  CHECK(s.file == data_path("minimal.yaml"));
  CHECK(s.name == "minimal");
  CHECK(s.description.empty());
  CHECK(s.seed == 1);
  CHECK(s.stop_after.ps == 1000000000000);
  REQUIRE(s.hosts.size() == 2);
  const HostSpec& a = s.hosts[0];
  CHECK(a.name == "alice");
  CHECK(a.ip.addr == 0x0a000001u);
  CHECK(a.ip.len == 24);
  CHECK(a.mac == 0x020000000001ull);
  CHECK(a.mtu == 1500);
  CHECK_FALSE(a.gateway);
  CHECK(a.routes.empty());
  CHECK(a.netfilter.empty());
  CHECK(a.loc.line == 4);
  CHECK(a.loc.col == 5);
  // The host's own TCP and the RNIC's: Linux-like defaults.
  for (const TcpSpec* t : {&a.tcp, &a.rnic.tcp}) {
    CHECK(t->cc == "newreno");
    CHECK(t->init_cwnd == 10);
    CHECK(t->min_rto.ps == 200000000000);
    CHECK(t->delayed_ack.ps == 40000000000);
    CHECK(t->timestamps);
    CHECK(t->sack);
    CHECK(t->wscale == 7);
    CHECK(t->rcvbuf == 4 * MiB);
    CHECK(t->sndbuf == 4 * MiB);
    CHECK(t->user_timeout.ps == 0);
  }
  const RnicSpec& rn = a.rnic;
  CHECK(rn.type == 7);
  CHECK_FALSE(rn.ip);
  CHECK_FALSE(rn.mac);
  CHECK(rn.profile == "generic_25g");
  CHECK_FALSE(rn.line_rate);
  CHECK(rn.placement == "model");
  CHECK(rn.notify == "netevent");
  CHECK(rn.port_space == "shared");
  CHECK(rn.netfilter == "enforce");
  CHECK_FALSE(rn.pcie.gen);  // absent: the profile's link (generic_25g: gen 3 x8)
  CHECK_FALSE(rn.pcie.lanes);
  CHECK(rn.pcie.mps == 256);
  CHECK(rn.pcie.mrrs == 512);
  CHECK(!rn.pcie.read_latency);  // absent: the profile's (500 ns in the generic ones)
  CHECK(rn.overrides.empty());

  REQUIRE(s.links.size() == 1);
  CHECK(s.links[0].name == "alice_bob");
  CHECK(s.links[0].ends[0].node == "alice");
  CHECK(s.links[0].ends[1].node == "bob");
  CHECK(s.links[0].ends[1].iface.empty());
  CHECK_FALSE(s.links[0].rate);
  CHECK(s.links[0].delay.ps == 0);
  CHECK(s.links[0].loss.forward == 0.0);
  CHECK(s.links[0].corrupt.reverse == 0.0);

  REQUIRE(s.connections.size() == 1);
  const ConnectionSpec& c = s.connections[0];
  CHECK(c.id == "c1");
  CHECK(c.from == "alice");
  CHECK(c.to == "bob");
  CHECK(c.port == 5000);
  CHECK_FALSE(c.src_port);
  CHECK(c.kind == "rdma");
  CHECK(c.at.ps == 0);
  CHECK(c.repeat == 1);
  CHECK(c.mpa.revision == 2);
  CHECK_FALSE(c.mpa.client.markers);
  CHECK(c.mpa.client.crc);
  CHECK(c.mpa.client.ird == 16);
  CHECK(c.mpa.client.ord == 16);
  CHECK(c.mpa.client.private_data.empty());
  CHECK_FALSE(c.mpa.server.reject);
  CHECK(c.sq_depth == 256);
  CHECK(c.rq_depth == 256);

  REQUIRE(s.workloads.size() == 1);
  const WorkloadSpec& w = s.workloads[0];
  CHECK(w.id == "w1");
  CHECK(w.conn == "c1");
  CHECK(w.op == "write");
  CHECK(w.sizes == std::vector<uint64_t>{65536});
  CHECK_FALSE(w.size_sweep);
  CHECK(w.count == 10);
  CHECK(w.depth == 1);
  CHECK(w.start.ps == 0);
  CHECK_FALSE(w.fence);
  CHECK(w.verify);
  CHECK(w.violate.empty());
  CHECK(s.events.empty());
  CHECK(s.expect.empty());

  CHECK(s.written.count("hosts[0].name"));
  CHECK(s.written.count("workloads[0].count"));
  CHECK_FALSE(s.written.count("seed"));
  CHECK_FALSE(s.written.count("hosts[0].mtu"));
  CHECK(s.written.at("connections[0].port").line == 9);
  CHECK(s.written.at("connections[0].port").col == 36);
}

TEST_CASE("every example of scenario-format.md loads with its meaning", "[examples]") {
  const auto r = load_scenario_file(data_path("contract_full.yaml"), results());
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const Scenario& s = *r.scenario;
  CHECK(s.name == "contract_full");
  CHECK(s.description == "Every example of the scenario contract in one file.");
  CHECK(s.seed == 7);
  CHECK(s.stop_after == Duration::from_ms(20));

  SECTION("hosts") {
    REQUIRE(s.hosts.size() == 3);
    const HostSpec& a = s.hosts[0];
    CHECK(a.loc.line == 8);
    CHECK(a.loc.col == 5);
    CHECK(*a.gateway == 0x0a0000feu);
    REQUIRE(a.routes.size() == 1);
    CHECK(a.routes[0].dst.addr == 0x0a010000u);
    CHECK(a.routes[0].dst.len == 16);
    CHECK(a.routes[0].via == 0x0a0000fdu);
    CHECK(a.tcp.cc == "cubic");
    CHECK(a.tcp.init_cwnd == 10);  // the rest stays default
    REQUIRE(a.netfilter.size() == 2);
    CHECK(a.netfilter[0].action == "drop");
    CHECK(a.netfilter[0].chain == "input");
    CHECK(a.netfilter[0].proto == "tcp");
    CHECK(a.netfilter[0].dport == std::make_pair<uint16_t, uint16_t>(6000, 6000));
    CHECK_FALSE(a.netfilter[0].sport);
    CHECK(a.netfilter[1].chain == "output");
    CHECK(a.netfilter[1].dst->addr == 0x0a000009u);
    CHECK(a.netfilter[1].dst->len == 32);
    CHECK(a.netfilter[1].loc.line == 17);
    CHECK(a.netfilter[1].loc.col == 9);
    const RnicSpec& rn = a.rnic;
    CHECK(rn.loc.line == 19);
    CHECK(rn.loc.col == 7);
    CHECK(rn.type == 7);
    CHECK(rn.line_rate->bps == 25000000000ull);
    CHECK(rn.tcp.min_rto.ps == 200000000000);
    CHECK(rn.tcp.delayed_ack.ps == 40000000000);
    CHECK(rn.tcp.rcvbuf == 4 * MiB);
    CHECK(rn.tcp.user_timeout.ps == 0);
    CHECK(rn.pcie.mrrs == 512);
    CHECK(rn.pcie.read_latency.value_or(Duration{}).ps == 500000);
    const RnicSpec& b = s.hosts[1].rnic;
    CHECK(b.type == 3);
    CHECK(b.ip->addr == 0x0a00000bu);
    CHECK(*b.mac == 0x020000000101ull);
    const RnicSpec& c = s.hosts[2].rnic;
    CHECK(c.profile == "generic_100g");
    CHECK(c.overrides == std::map<std::string, std::string>{{"clock_period", "2500ps"}, {"max_qps", "1024"}});
    CHECK(s.written.count("hosts[0].rnic.line_rate"));
    CHECK_FALSE(s.written.count("hosts[1].rnic.line_rate"));
  }
  SECTION("switches, routers, links") {
    REQUIRE(s.switches.size() == 1);
    CHECK(s.switches[0].buffer == MiB);
    CHECK(s.switches[0].ecn_threshold == 200 * KiB);
    CHECK(s.switches[0].latency.ps == 300000);
    REQUIRE(s.routers.size() == 1);
    const RouterSpec& r1 = s.routers[0];
    CHECK(r1.latency.ps == 1000000);
    CHECK(r1.redirects);
    REQUIRE(r1.interfaces.size() == 2);
    CHECK(r1.interfaces[1].name == "eth1");
    CHECK(r1.interfaces[1].ip.addr == 0x0a0100feu);
    CHECK(r1.interfaces[1].mac == 0x02000000fe02ull);
    CHECK(r1.interfaces[1].mtu == 1280);
    REQUIRE(s.links.size() == 4);
    CHECK(s.links[0].name == "alice_sw0");
    CHECK(s.links[0].delay.ps == 1000000);
    CHECK(s.links[1].name == "bob_sw0");
    CHECK(s.links[1].loss.forward == 0.001);
    CHECK(s.links[1].loss.reverse == 0.001);
    CHECK(s.links[2].name == "wan");
    CHECK(s.links[2].ends[1].node == "r1");
    CHECK(s.links[2].ends[1].iface == "eth0");
    CHECK(s.links[2].loss.forward == 0.01);
    CHECK(s.links[2].loss.reverse == 0.0);
    CHECK(s.links[3].name == "r1_eth1_carol");
    CHECK(s.links[3].rate->bps == 100000000000ull);
  }
  SECTION("connections") {
    REQUIRE(s.connections.size() == 4);
    const MpaSpec& m = s.connections[0].mpa;
    CHECK(m.revision == 2);
    CHECK_FALSE(m.client.markers);
    CHECK(m.client.crc);
    CHECK(m.client.private_data == "hello");
    CHECK(m.server.markers);  // mpa.server overrides the passive side only
    CHECK(m.server.crc);
    CHECK(m.server.private_data == "hello");
    CHECK_FALSE(m.server.reject);
    CHECK(s.connections[1].kind == "tcp");
    CHECK(s.connections[2].repeat == 4);
  }
  SECTION("workloads") {
    REQUIRE(s.workloads.size() == 8);
    const auto& w = s.workloads;
    CHECK(w[0].sizes == std::vector<uint64_t>{MiB});
    CHECK(w[0].depth == 8);
    CHECK(w[1].start == Duration::from_ms(1));
    CHECK(w[1].fence);
    CHECK(w[3].op == "write_lat");
    CHECK(w[3].sizes == std::vector<uint64_t>{8});
    CHECK(w[4].op == "bulk");
    CHECK(w[4].sizes == std::vector<uint64_t>{64 * MiB});
    CHECK(w[5].violate == "bounds");
    CHECK(w[6].op == "ping");
    CHECK(w[6].conn.empty());
    CHECK(w[6].from == "alice");
    CHECK(w[6].to == 0x0a00000bu);
    CHECK(w[6].count == 10);
    CHECK(w[6].interval.ps == 100000000);
    CHECK(w[7].sizes == std::vector<uint64_t>{64, 4096, 1572864});
    CHECK(w[7].size_sweep);
  }
  SECTION("events") {
    REQUIRE(s.events.size() == 10);
    const auto& e = s.events;
    CHECK(e[0].kind == "change_addr");
    CHECK(e[0].host == "bob");
    CHECK(*e[0].mac == 0x020000000022ull);
    CHECK(e[1].at == Duration::from_ms(3));
    CHECK(*e[1].dst == 0x0a000002u);
    CHECK(*e[1].mtu == 1280);
    CHECK(*e[2].gateway == 0x0a0000fdu);
    CHECK(*e[3].mtu == 9000);
    CHECK(*e[4].ip == 0x0a000002u);
    CHECK(*e[5].port == 5000);
    CHECK(e[6].state == "going_down");
    CHECK(e[7].link == "bob_sw0");
    CHECK(e[7].kind == "down");
    CHECK(e[9].loss->forward == 0.01);
    CHECK_FALSE(e[9].corrupt);
  }
  SECTION("expect") {
    REQUIRE(s.expect.size() == 10);
    const auto& x = s.expect;
    CHECK(x[0].op == "eq");
    CHECK(std::get<double>(x[0].want) == 64.0);
    CHECK(x[1].op == "min");
    CHECK(std::get<double>(x[1].want) == 23.0);
    CHECK(x[2].op == "max");
    CHECK(x[5].op == "approx");
    CHECK(*x[5].abs == 5.0);
    CHECK_FALSE(x[5].rel);
    CHECK(std::get<std::string>(x[6].want) == "base/bounds");
    CHECK(std::get<std::string>(x[7].want) == "established");
    CHECK(std::get<bool>(x[8].want) == true);
    CHECK(*x[9].rel == 0.1);
    CHECK(x[9].loc.line == 97);
  }
}

TEST_CASE("every full example in docs/scenarios.md loads", "[examples][docs]") {
  const std::string doc = read_text(std::string(RNICSIM_SOURCE_DIR) + "/docs/scenarios.md");
  REQUIRE_FALSE(doc.empty());
  // A full example is a ```yaml block whose first line is `name: ...`; fragments are not.
  const std::regex block("```yaml\n(name:[^`]*)```");
  int examples = 0;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), block); it != std::sregex_iterator(); ++it) {
    const std::string text = (*it)[1].str();
    const auto r = load(text);
    INFO(text);
    INFO(all_errors(r));
    CHECK(r.ok());
    ++examples;
  }
  CHECK(examples >= 3);
}

TEST_CASE("the example files in tests/data/scenarios are the ones the docs show", "[examples][docs]") {
  const std::string doc = read_text(std::string(RNICSIM_SOURCE_DIR) + "/docs/scenarios.md");
  const std::string minimal = read_text(data_path("minimal.yaml"));
  // The docs quote minimal.yaml from its `name:` line on.
  CHECK(doc.find(minimal.substr(minimal.find("name:"))) != std::string::npos);
}

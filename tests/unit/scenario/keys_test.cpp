// Unknown keys, duplicate keys, did-you-mean, YAML syntax errors, and many errors at once.
#include <catch2/catch.hpp>

#include "helpers.h"

using namespace rnicsim::scenario;
using namespace rnicsim::scenario::test;

TEST_CASE("an unknown key names its path and a close match", "[keys]") {
  const auto r = load(std::string(kTwoHosts) +
                      "  - id: c2\n"
                      "    from: bob\n"
                      "    to: alice\n"
                      "    port: 5001\n"
                      "    mpa: {revison: 1}\n");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].format() == "scen.yaml:13:11: error: connections[1].mpa.revison: unknown key; did you mean 'revision'?");
  CHECK(r.errors[0].loc.file == "scen.yaml");
  CHECK(r.errors[0].loc.line == 13);
  CHECK(r.errors[0].loc.col == 11);
}

TEST_CASE("the contract's own example: hosts[1].rnic.tpye", "[keys]") {
  const auto r = load(
      "name: t\n"
      "hosts:\n"
      "  - {name: alice, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01}\n"
      "  - name: bob\n"
      "    ip: 10.0.0.2/24\n"
      "    mac: 02:00:00:00:00:02\n"
      "    rnic: {tpye: 3}\n");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].format() == "scen.yaml:7:12: error: hosts[1].rnic.tpye: unknown key; did you mean 'type'?");
}

TEST_CASE("an unknown key without a close match lists the expected keys", "[keys]") {
  const auto r = load(std::string(kTwoHosts) + "switches:\n  - {name: sw0, colour: red}\n");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].format() ==
        "scen.yaml:10:17: error: switches[0].colour: unknown key (expected one of: name, buffer, ecn_threshold, latency)");
}

TEST_CASE("unknown keys at every level", "[keys]") {
  const auto r = load(std::string(kTwoHosts) +
                      "sed: 3\n"                                            // 9
                      "stop: {aftr: 1ms}\n"                                 // 10
                      "workloads:\n"                                        // 11
                      "  - {id: w1, conn: c1, op: write, size: 1, cuont: 3}\n"  // 12
                      "expect:\n"                                           // 13
                      "  - {metric: seed, eq: 1, tolerance: 2}\n");         // 14
  INFO(all_errors(r));
  CHECK(formatted(r) == std::vector<std::string>{
                            "scen.yaml:9:1: error: sed: unknown key; did you mean 'seed'?",
                            "scen.yaml:10:8: error: stop.aftr: unknown key; did you mean 'after'?",
                            "scen.yaml:12:44: error: workloads[0].cuont: unknown key; did you mean 'count'?",
                            "scen.yaml:14:27: error: expect[0].tolerance: unknown key (expected one of: metric, eq, "
                            "min, max, approx, rel, abs)",
                        });
}

TEST_CASE("a duplicate key is an error at its second occurrence", "[keys][duplicates]") {
  SECTION("block mapping") {
    const auto r = load("name: t\nseed: 1\nseed: 2\n");
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].format() == "scen.yaml:3:1: error: seed: duplicate key (first written at 2:1)");
    REQUIRE(r.scenario);
    CHECK(r.scenario->seed == 1);  // the first is kept, so later checks see one value
  }
  SECTION("flow mapping inside a list") {
    const auto r = load(std::string(kTwoHosts) + "workloads:\n  - {id: w1, conn: c1, op: write, size: 1, size: 2}\n");
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].format() == "scen.yaml:10:44: error: workloads[0].size: duplicate key (first written at 10:35)");
  }
  SECTION("nested, and a duplicate list key") {
    const auto r = load(
        "name: t\n"
        "hosts:\n"
        "  - name: alice\n"
        "    ip: 10.0.0.1/24\n"
        "    mac: 02:00:00:00:00:01\n"
        "    rnic:\n"
        "      tcp: {cc: cubic, wscale: 3, cc: dctcp}\n"
        "hosts: []\n");
    INFO(all_errors(r));
    CHECK(formatted(r) == std::vector<std::string>{
                              "scen.yaml:7:35: error: hosts[0].rnic.tcp.cc: duplicate key (first written at 7:13)",
                              "scen.yaml:8:1: error: hosts: duplicate key (first written at 2:1)",
                          });
  }
}

TEST_CASE("a YAML syntax error is located", "[keys][syntax]") {
  SECTION("unclosed flow list") {
    const auto r = load("name: t\nhosts: [\n  {name: a}\nlinks: 1\n");
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].loc.file == "scen.yaml");
    CHECK(r.errors[0].loc.line >= 2);
    CHECK(r.errors[0].message.rfind("YAML syntax: ", 0) == 0);
    CHECK_FALSE(r.scenario);
  }
  SECTION("bad indentation") {
    const auto r = load("name: t\nseed: 1\n  stop: 2\n");
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].format() == "scen.yaml:3:7: error: YAML syntax: illegal map value");
  }
}

TEST_CASE("an empty file or a non-mapping top level", "[keys]") {
  CHECK(formatted(load("")) ==
        std::vector<std::string>{"scen.yaml:1:1: error: the file is empty: a scenario is a mapping with at least a name"});
  CHECK(formatted(load("- a\n- b\n")) == std::vector<std::string>{"scen.yaml:1:1: error: <top>: expected a mapping, got a list"});
  CHECK(formatted(load("seed: 3\n")) ==
        std::vector<std::string>{"scen.yaml:1:1: error: name: required key missing (expected the scenario's name "
                                 "([A-Za-z0-9][A-Za-z0-9._-]*))"});
}

TEST_CASE("every error is reported, in file order", "[keys][many]") {
  const auto r = load(
      "name: t\n"                                                           // 1
      "seed: -1\n"                                                          // 2
      "hosts:\n"                                                            // 3
      "  - {name: alice, ip: 10.0.0.1, mac: 02:00:00:00:00:01, mtu: 100}\n" // 4
      "  - {name: bob, ip: 10.0.0.2/24, mac: 02:00:00:00:00:02, mut: 1}\n"  // 5
      "links:\n"                                                            // 6
      "  - {ends: [alice, bob], rate: 25, delay: 1}\n"                      // 7
      "connections:\n"                                                      // 8
      "  - {id: c1, from: alice, to: bobb, port: 70000, kind: rdmaa}\n");   // 9
  INFO(all_errors(r));
  CHECK(formatted(r) ==
        std::vector<std::string>{
            "scen.yaml:2:7: error: seed: expected an integer >= 0, got '-1'",
            "scen.yaml:4:23: error: hosts[0].ip: expected an IPv4 address with prefix length, like 10.0.0.1/24, got "
            "'10.0.0.1' (missing the prefix length)",
            "scen.yaml:4:62: error: hosts[0].mtu: expected an integer in 576..9216, got '100'",
            "scen.yaml:5:58: error: hosts[1].mut: unknown key; did you mean 'mtu'?",
            "scen.yaml:7:32: error: links[0].rate: expected a rate (bps, Kbps, Mbps, Gbps), got '25' (a bare number "
            "has no unit)",
            "scen.yaml:7:43: error: links[0].delay: expected a time (ns, us, ms, s), got '1' (a bare number has no unit)",
            "scen.yaml:9:31: error: connections[0].to: 'bobb' names no host; did you mean 'bob'?",
            "scen.yaml:9:43: error: connections[0].port: expected an integer in 1..65535, got '70000'",
            "scen.yaml:9:56: error: connections[0].kind: expected one of rdma | tcp, got 'rdmaa'; did you mean 'rdma'?",
        });
}

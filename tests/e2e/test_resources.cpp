// Resources checked before they are spent, and honest outcomes (issue 12): sizes the
// memory cannot hold and full region tables exit 2 at their key before anything runs;
// data_intact is null when nothing was verified; a Send is judged where it is placed,
// and the run waits for that; operations in flight at the end are counted.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "tests/e2e/e2e_util.h"

namespace {
const std::string kBin = RNICSIM_BIN;
const std::string kWork = RNICSIM_WORK_DIR;

/// Two hosts on one link (`link` extra keys), one connection (`conn` extra keys).
std::string pair(const std::string& link, const std::string& conn, const std::string& workloads,
                 const std::string& top = "") {
  return fmt::format(R"(name: t
{}hosts:
  - {{name: alice, ip: 10.0.0.1/24, mac: "02:00:00:00:00:01"}}
  - {{name: bob,   ip: 10.0.0.2/24, mac: "02:00:00:00:00:02"}}
links:
  - {{ends: [alice, bob], rate: 25Gbps{}}}
connections:
  - {{id: c1, from: alice, to: bob, port: 5000{}}}
workloads:
{})",
                     top, link, conn, workloads);
}

std::string write(const std::string& name, const std::string& text) {
  std::filesystem::create_directories(kWork + "/resources");
  const std::string path = kWork + "/resources/" + name + ".yaml";
  std::ofstream(path) << text;
  return path;
}

nlohmann::json run(const std::string& name, const std::string& text, int want_status = 0) {
  const std::string f = write(name, text), out = kWork + "/resources/out_" + name;
  const e2e::Result r = e2e::sh(kBin + " run -o " + out + " " + f);
  INFO(r.out);
  REQUIRE(r.status == want_status);
  return nlohmann::json::parse(e2e::slurp(out + "/results.json"));
}
}  // namespace

TEST_CASE("resources: sizes past the memory limit exit 2 at their key, in check and before run") {
  struct Case {
    const char* name;
    std::string workload, where;
  };
  for (const Case& c : {Case{"size16g", "  - {id: w1, conn: c1, op: write, size: 16GiB}\n",
                             "size16g.yaml:10:35: error: workloads[0].size: the scenario needs 33.0 GiB of memory"},
                        Case{"size256g", "  - {id: w1, conn: c1, op: write, size: 256GiB}\n",
                             "size256g.yaml:10:35: error: workloads[0].size: the scenario needs 528.0 GiB of memory"},
                        Case{"sizemax", "  - {id: w1, conn: c1, op: write, size: [4KiB, 18446744073709551615]}\n",
                             "sizemax.yaml:10:48: error: workloads[0].size[1]: 18446744073709551615 bytes is more "
                             "than a workload's largest size (1 TiB)"}}) {
    const std::string f = write(c.name, pair("", "", c.workload));
    for (const char* cmd : {" check ", " run -o /nonexistent-never-made "}) {
      const e2e::Result r = e2e::sh(kBin + cmd + f);
      INFO(cmd << r.out);
      CHECK(r.status == 2);
      CHECK(r.out.find(c.where) != std::string::npos);
    }
  }
  // The limit is an option: 64 GiB lets the 16 GiB Write through check.
  const e2e::Result ok = e2e::sh(kBin + " check --max-memory 64GiB " + kWork + "/resources/size16g.yaml");
  CHECK(ok.status == 0);
  const e2e::Result bad = e2e::sh(kBin + " check --max-memory lots " + kWork + "/resources/size16g.yaml");
  CHECK(bad.status == 2);
  CHECK(bad.out.find("--max-memory lots: error: expected a size") != std::string::npos);
}

TEST_CASE("resources: 5,000 connections on the default profile fill the region table: exit 2 at the key") {
  const std::string f = write("conns5000", pair("", ", repeat: 5000", "  - {id: w1, conn: c1, op: write, size: 4KiB}\n"));
  const e2e::Result r = e2e::sh(kBin + " check " + f);
  CHECK(r.status == 2);
  CHECK(r.out.find("conns5000.yaml:8:56: error: connections[0].repeat: host 'alice' would hold 5000 memory regions "
                   "by this connection's workloads, more than its RNIC's region table holds (max_regions 4096, "
                   "profile generic_25g)") != std::string::npos);
}

TEST_CASE("outcomes: nothing verified is null, not intact") {
  const std::string w = "  - {id: w1, conn: c1, op: write, size: 4KiB, count: 3}\n";
  for (const auto& [name, link, conn] :
       {std::tuple<std::string, std::string, std::string>{"loss1", ", loss: 1.0", ""},
        {"rejected", "", ", mpa: {server: {reject: true}}"}}) {
    const nlohmann::json r = run(name, pair(link, conn, w));
    const auto& x = r["workloads"]["w1"];
    INFO(name);
    CHECK(x["completed"] == 0);
    // Rejected: the connection failed, and its work with it. Loss 1.0: still resolving the
    // peer when the run ends (ARP gives up after 3 s, stop.after is 1 s): nothing was
    // posted, so nothing is in error either: all 3 unfinished.
    const bool opening = name == "loss1";
    CHECK(r["connections"]["c1"]["state"] == (opening ? "connecting" : "refused"));
    CHECK(x["errors"] == (opening ? 0 : 3));
    CHECK(x["unfinished"] == (opening ? 3 : 0));
    CHECK(x["in_flight"] == 0);
    CHECK(x["data_intact"].is_null());
  }
}

TEST_CASE("outcomes: a 4 KiB Send on a 0 s link is judged where it is placed: intact") {
  const nlohmann::json r = run("send0", pair("", "", "  - {id: w1, conn: c1, op: send, size: 4KiB}\n"));
  const auto& x = r["workloads"]["w1"];
  CHECK(x["completed"] == 1);
  CHECK(x["data_intact"] == true);
}

TEST_CASE("outcomes: a run cut short counts what is in flight, and judges Sends and Writes alike") {
  const nlohmann::json r =
      run("cut", pair(", delay: 1us", "",
                      "  - {id: w1, conn: c1, op: write, size: 64KiB, count: 10, depth: 4}\n"
                      "  - {id: w2, conn: c1, op: send, size: 64KiB, count: 10, depth: 4}\n",
                      "stop: {after: 150us}\n"));
  const auto& a = r["workloads"]["w1"];
  CHECK(a["completed"] == 4);
  CHECK(a["errors"] == 0);
  CHECK(a["in_flight"] == 4);
  CHECK(a["unfinished"] == 6);
  CHECK(a["data_intact"] == true);
  const auto& b = r["workloads"]["w2"];
  CHECK(b["completed"] == 1);
  CHECK(b["errors"] == 0);
  CHECK(b["in_flight"] == 4);
  CHECK(b["unfinished"] == 9);
  CHECK(b["data_intact"] == true);
}

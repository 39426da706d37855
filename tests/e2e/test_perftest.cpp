// `rnicsim perftest`: its table holds the figures of the run's results.json, column by
// column; its option errors exit 2 or 4 with their text; the scenario it dumps runs the same.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <sstream>

#include "tests/e2e/e2e_util.h"

using e2e::sh;

namespace {

const std::string kBin = RNICSIM_BIN;
const std::string kWork = std::string(RNICSIM_WORK_DIR) + "/perftest";

/// The rows of the table under the header line that starts with ` #bytes`.
std::vector<std::vector<std::string>> rows(const std::string& out, std::string* header = nullptr) {
  std::vector<std::vector<std::string>> r;
  std::istringstream in(out);
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.rfind(" #bytes", 0) == 0) {
      inside = true;
      if (header) *header = line;
      continue;
    }
    if (!inside) continue;
    if (line.rfind("---", 0) == 0) break;
    std::istringstream ws(line);
    std::vector<std::string> cols;
    for (std::string w; ws >> w;) cols.push_back(w);
    r.push_back(cols);
  }
  return r;
}

nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(e2e::slurp(path)); }

std::string f2(double x) { return fmt::format("{:.2f}", x); }

struct Run {
  e2e::Result r;
  nlohmann::json results;
};

Run perftest(const std::string& name, const std::string& args) {
  std::filesystem::create_directories(kWork);
  const std::string json = kWork + "/" + name + ".json";
  std::filesystem::remove(json);
  Run run;
  run.r = sh(fmt::format("{} perftest {} --out-dir {}/{} --out_json {}", kBin, args, kWork, name, json), false);
  run.results = read_json(json);
  return run;
}

void check_bw_row(const std::vector<std::string>& c, const nlohmann::json& f, uint64_t size, bool gbits,
                  bool duration = false) {
  REQUIRE(c.size() == 5);
  CHECK(c[0] == std::to_string(size));
  CHECK(c[1] == std::to_string(f["completed"].get<uint64_t>()));
  // BW peak: peak_gbps (perftest's formula), never below the average (the whole run is
  // one of the intervals it takes the least of); 0.00 with -D, as perftest.
  const double g = f["goodput_gbps"].get<double>();
  const double p = duration ? 0.0 : f["peak_gbps"].get<double>();
  CHECK(c[2] == f2(gbits ? p : p * 1e9 / 8.0 / 1048576.0));
  if (!duration) CHECK(p >= g);
  CHECK(c[3] == f2(gbits ? g : g * 1e9 / 8.0 / 1048576.0));
  CHECK(c[4] == fmt::format("{:.6f}", f["msg_rate_mps"].get<double>()));
}

void check_lat_row(const std::vector<std::string>& c, const nlohmann::json& f, uint64_t size) {
  REQUIRE(c.size() == 9);
  const auto& l = f["latency_ns"];
  auto us = [&](const char* k) { return f2(l[k].get<double>() / 1000.0); };
  CHECK(c[0] == std::to_string(size));
  CHECK(c[1] == std::to_string(f["completed"].get<uint64_t>()));
  CHECK(c[2] == us("min"));
  CHECK(c[3] == us("max"));
  CHECK(c[4] == us("p50"));
  CHECK(c[5] == us("avg"));
  CHECK(c[6] == us("stdev"));
  CHECK(c[7] == us("p99"));
  CHECK(c[8] == us("p999"));
}

}  // namespace

TEST_CASE("perftest: ib_write_bw's table is the run's results.json") {
  const Run run = perftest("write_bw", "ib_write_bw -s 65536 -n 200");
  REQUIRE(run.r.status == 0);
  CHECK(run.r.out.find("                    RDMA_Write BW Test\n") != std::string::npos);
  CHECK(run.r.out.find(" Number of qps   : 1\t\tTransport type : IW\n") != std::string::npos);
  CHECK(run.r.out.find(" TX depth        : 128\n") != std::string::npos);
  CHECK(run.r.out.find(" Mtu             : 1024[B]\n") != std::string::npos);
  CHECK(run.r.out.find(" Link type       : Ethernet\n") != std::string::npos);
  std::string header;
  const auto t = rows(run.r.out, &header);
  CHECK(header == " #bytes     #iterations    BW peak[MiB/sec]    BW average[MiB/sec]   MsgRate[Mpps]");
  REQUIRE(t.size() == 1);
  const auto& w = run.results["workloads"]["w1"];
  CHECK(w["op"] == "write");
  CHECK(w["completed"] == 200);
  CHECK(w["bytes"] == 200ull * 65536);
  check_bw_row(t[0], w, 65536, false);
}

TEST_CASE("perftest: ib_read_bw with --report_gbits, -q 2, -t 4 and -m 4096") {
  const std::string dump = kWork + "/read_bw.yaml";
  const Run run = perftest("read_bw", "ib_read_bw -s 4096 -n 50 -q 2 -t 4 -m 4096 --report_gbits --dump-scenario " + dump);
  REQUIRE(run.r.status == 0);
  CHECK(run.r.out.find(" Number of qps   : 2\t\tTransport type : IW\n") != std::string::npos);
  CHECK(run.r.out.find(" TX depth        : 4\n") != std::string::npos);
  CHECK(run.r.out.find(" Mtu             : 4096[B]\n") != std::string::npos);
  std::string header;
  const auto t = rows(run.r.out, &header);
  CHECK(header == " #bytes     #iterations    BW peak[Gb/sec]    BW average[Gb/sec]   MsgRate[Mpps]");
  REQUIRE(t.size() == 1);
  const auto& w = run.results["workloads"]["w1"];
  CHECK(w["completed"] == 100);  // 50 on each of the two connections
  check_bw_row(t[0], w, 4096, true);
  // -m 4096 is a host MTU of 4572 on both hosts.
  const std::string yaml = e2e::slurp(dump);
  CHECK(yaml.find("  - {name: alice, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01, mtu: 4572}\n") != std::string::npos);
  CHECK(yaml.find("  - {name: bob, ip: 10.0.0.2/24, mac: 02:00:00:00:00:02, mtu: 4572}\n") != std::string::npos);
  CHECK(yaml.find("  - {id: c1, from: alice, to: bob, port: 18515, repeat: 2}\n") != std::string::npos);
  CHECK(yaml.find("  - {id: w1, conn: c1, op: read, size: 4096, count: 50, depth: 4}\n") != std::string::npos);
}

TEST_CASE("perftest: ib_send_bw -a sweeps 2 B to 8 MiB") {
  const Run run = perftest("send_bw_all", "ib_send_bw -a -n 4 -t 2");
  REQUIRE(run.r.status == 0);
  const auto t = rows(run.r.out);
  REQUIRE(t.size() == 23);
  uint64_t s = 2;
  for (const auto& row : t) {
    check_bw_row(row, run.results["workloads"]["w1"]["by_size"][std::to_string(s)], s, false);
    s *= 2;
  }
}

TEST_CASE("perftest: the latency tests' tables are the runs' results.json") {
  for (const char* test : {"ib_write_lat", "ib_read_lat", "ib_send_lat"}) {
    const Run run = perftest(test, fmt::format("{} -s 8 -n 100", test));
    REQUIRE(run.r.status == 0);
    std::string header;
    const auto t = rows(run.r.out, &header);
    CHECK(header ==
          " #bytes #iterations    t_min[usec]    t_max[usec]  t_typical[usec]    t_avg[usec]    t_stdev[usec]   "
          "99% percentile[usec]   99.9% percentile[usec] ");
    CHECK(run.r.out.find(" TX depth        : 1\n") != std::string::npos);
    REQUIRE(t.size() == 1);
    const auto& w = run.results["workloads"]["w1"];
    CHECK(w["completed"] == 100);
    check_lat_row(t[0], w, 8);
  }
  // The banner's titles.
  CHECK(sh(kBin + " perftest ib_read_lat -n 2 --out-dir " + kWork + "/t").out.find("                    RDMA_Read Latency Test\n") !=
        std::string::npos);
}

TEST_CASE("perftest: --dump-scenario writes a scenario that checks and runs to the same figures") {
  const std::string dump = kWork + "/dumped.yaml";
  const Run run = perftest("dump", "ib_write_lat -s 64 -n 50 --seed 7 --dump-scenario " + dump);
  REQUIRE(run.r.status == 0);
  const std::string yaml = e2e::slurp(dump);
  CHECK(yaml.find("  - {id: w1, conn: c1, op: write_lat, size: 64, count: 50}\n") != std::string::npos);
  CHECK(yaml.find("seed: 7\n") != std::string::npos);
  const auto c = sh(kBin + " check " + dump);
  CHECK(c.status == 0);
  CHECK(c.out == dump + ": ok\n");
  const auto r = sh(fmt::format("{} run {} -o {}/dump_run", kBin, dump, kWork));
  REQUIRE(r.status == 0);
  const auto again = read_json(kWork + "/dump_run/results.json");
  CHECK(again["workloads"]["w1"]["latency_ns"] == run.results["workloads"]["w1"]["latency_ns"]);
  CHECK(again["workloads"]["w1"]["completed"] == 50);
}

TEST_CASE("perftest: --scenario takes the first two hosts and their link") {
  std::filesystem::create_directories(kWork);
  const std::string file = kWork + "/base.yaml";
  std::ofstream(file) << R"(name: base
hosts:
  - {name: p, ip: 10.1.0.1/24, mac: "02:00:00:00:01:01", mtu: 9000, rnic: {profile: generic_100g}}
  - {name: q, ip: 10.1.0.2/24, mac: "02:00:00:00:01:02", mtu: 9000, rnic: {profile: generic_100g}}
links:
  - {ends: [p, q], rate: 100Gbps, delay: 5us}
connections:
  - {id: x, from: p, to: q, port: 4000}
workloads:
  - {id: y, conn: x, op: write, size: 4KiB, count: 1}
)";
  const std::string dump = kWork + "/from_base.yaml";
  const Run run = perftest("from_base", "ib_write_bw -s 1048576 -n 20 --scenario " + file + " --dump-scenario " + dump);
  REQUIRE(run.r.status == 0);
  CHECK(run.r.out.find("Device         : generic_100g\n") != std::string::npos);
  CHECK(run.r.out.find(" Mtu             : 4096[B]\n") != std::string::npos);  // 9000 holds 4096 + 476
  const std::string yaml = e2e::slurp(dump);
  CHECK(yaml.find("  - {ends: [p, q], rate: 100Gbps, delay: 5us}\n") != std::string::npos);
  CHECK(yaml.find("  - {id: c1, from: p, to: q, port: 18515}\n") != std::string::npos);
  CHECK(run.results["links"].contains("p_q"));
  check_bw_row(rows(run.r.out)[0], run.results["workloads"]["w1"], 1048576, false);
}

TEST_CASE("perftest: malformed and unknown options exit 2, unsimulated ones exit 4") {
  const std::string p = kBin + " perftest ";
  auto is = [&](const std::string& args, int status, const std::string& text) {
    const auto r = sh(p + args);
    CHECK(r.status == status);
    CHECK(r.out == text);
  };
  is("ib_write_bw --frobnicate", 2, "rnicsim perftest: unknown option '--frobnicate' (rnicsim perftest --help lists them)\n");
  is("ib_write_bw -s", 2, "rnicsim perftest: -s needs a value\n");
  is("ib_write_bw -s 12k", 2, "rnicsim perftest: -s 12k: expected a size in bytes from 1 to 8589934592\n");
  is("ib_write_bw -n 0", 2, "rnicsim perftest: -n 0: expected a number of iterations from 1 to 100000000\n");
  is("ib_write_bw -m 1500", 2, "rnicsim perftest: -m 1500: expected an MTU of 256, 512, 1024, 2048 or 4096\n");
  is("ib_write_bw -d nosuch", 2, "rnicsim perftest: -d nosuch: no such RNIC profile (rnicsim profiles lists them)\n");
  is("ib_write_bw -a -s 8", 2, "rnicsim perftest: -a and -s together: -a runs every size from 2 to 8388608\n");
  is("ib_write_bw -n 5 -n 6", 2, "rnicsim perftest: -n given twice\n");
  is("ib_write_bw 10.0.0.2", 2,
     "rnicsim perftest: unexpected argument '10.0.0.2': both hosts are simulated, there is no server to name\n");
  is("ib_atomic_bw", 2,
     "rnicsim perftest: unknown test 'ib_atomic_bw': expected ib_write_bw, ib_write_lat, ib_read_bw, ib_read_lat, "
     "ib_send_bw or ib_send_lat\n");
  is("ib_write_bw -b", 4, "rnicsim perftest: -b (bidirectional traffic) is not simulated\n");
  is("ib_write_bw --use_cuda 0", 4, "rnicsim perftest: --use_cuda (GPU memory) is not simulated\n");
  is("ib_write_bw --odp", 4, "rnicsim perftest: --odp (on-demand paging) is not simulated\n");
  is("ib_write_bw -x 3", 4, "rnicsim perftest: -x (a GID index) is not simulated\n");
  is("ib_write_bw -F", 4, "rnicsim perftest: -F (CPU frequency checks) is not simulated\n");
  is("ib_write_bw --rate_limit 5", 4, "rnicsim perftest: --rate_limit (rate limiting) is not simulated\n");
  is("ib_send_bw -c UD", 4, "rnicsim perftest: -c UD is not simulated: iWARP has RC connections only\n");
  is("ib_write_lat -t 4", 4,
     "rnicsim perftest: -t on ib_write_lat is not simulated: a ping-pong has one operation in flight\n");
}

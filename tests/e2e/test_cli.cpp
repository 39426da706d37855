// The command line's contract: exit codes, error locations, the regress summary line.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "tests/e2e/e2e_util.h"

using e2e::sh;

namespace {

const std::string kBin = RNICSIM_BIN;
const std::string kWork = RNICSIM_WORK_DIR;

std::string write_file(const std::string& name, const std::string& text) {
  std::filesystem::create_directories(kWork + "/cli");
  const std::string path = kWork + "/cli/" + name;
  std::ofstream(path) << text;
  return path;
}

const char* kGood = R"(name: tiny
hosts:
  - {name: a, ip: 10.0.0.1/24, mac: "02:00:00:00:00:01"}
  - {name: b, ip: 10.0.0.2/24, mac: "02:00:00:00:00:02"}
links:
  - {ends: [a, b], rate: 10Gbps, delay: 2us}
connections:
  - {id: c1, from: a, to: b, port: 7000}
workloads:
  - {id: w1, conn: c1, op: write, size: [4KiB, 64KiB], count: 10, depth: 2}
expect:
  - {metric: workloads.w1.completed, eq: 20}
  - {metric: workloads.w1.by_size.65536.completed, eq: 10}
)";

}  // namespace

TEST_CASE("cli: --version and profiles") {
  auto v = sh(kBin + " --version");
  CHECK(v.status == 0);
  CHECK(v.out.find("rnicsim 0.1.0") != std::string::npos);
  auto p = sh(kBin + " profiles");
  CHECK(p.status == 0);
  CHECK(p.out.find("generic_25g") != std::string::npos);
  CHECK(p.out.find("line_rate") != std::string::npos);
}

TEST_CASE("cli: a bad command line exits 2") {
  CHECK(sh(kBin + " run").status == 2);
  CHECK(sh(kBin + " frobnicate").status == 2);
  CHECK(sh(kBin + " run x.yaml --pcap sometimes").status == 2);
}

TEST_CASE("cli: a bad scenario exits 2 with file, line, column and a did-you-mean") {
  const std::string path = write_file("bad.yaml", R"(name: bad
hosts:
  - {name: a, ip: 10.0.0.1/24, mac: "02:00:00:00:00:01"}
  - name: b
    ip: 10.0.0.2/24
    mac: "02:00:00:00:00:02"
    rnic: {tpye: 7}
links:
  - {ends: [a, b], rate: 10, delay: 2us}
)");
  auto r = sh(kBin + " run " + path);
  INFO(r.out);
  CHECK(r.status == 2);
  CHECK(r.out.find(path + ":7:12: error: hosts[1].rnic.tpye") != std::string::npos);
  CHECK(r.out.find("did you mean 'type'?") != std::string::npos);
  // check reports every error, the bare rate too.
  auto c = sh(kBin + " check " + path);
  CHECK(c.status == 2);
  CHECK(c.out.find(path + ":9:") != std::string::npos);
  CHECK(c.out.find("links[0].rate") != std::string::npos);
}

TEST_CASE("cli: a valid key asking for what is not simulated yet exits 4, named") {
  // Two connections served by one listening socket (port 7000 of b).
  std::string text = kGood;
  const std::string c1 = "  - {id: c1, from: a, to: b, port: 7000}\n";
  text.replace(text.find(c1), c1.size(), c1 + "  - {id: c2, from: a, to: b, port: 7000}\n");
  auto r = sh(kBin + " run " + write_file("later.yaml", text) + " -o " + kWork + "/cli/later");
  INFO(r.out);
  CHECK(r.status == 4);
  CHECK(r.out.find("connections 'c1' and 'c2' both listen on b port 7000: one listening socket serving several "
                   "connections is not simulated yet") != std::string::npos);
  CHECK(r.out.find("later.yaml:9:5: not simulated yet") != std::string::npos);
}

TEST_CASE("cli: a work request over 4 GiB exits 4, named (the WQE's length is 32 bits)") {
  const std::string yaml =
      "name: big\nhosts:\n  - {name: a, ip: 10.0.0.1/24, mac: \"02:00:00:00:00:01\"}\n"
      "  - {name: b, ip: 10.0.0.2/24, mac: \"02:00:00:00:00:02\"}\nlinks:\n  - {ends: [a, b]}\n"
      "connections:\n  - {id: c1, from: a, to: b, port: 5000}\n"
      "workloads:\n  - {id: w1, conn: c1, op: write, size: 5GiB, count: 1, verify: false}\n";
  auto r = sh(kBin + " run --max-memory 16GiB " + write_file("big.yaml", yaml) + " -o " + kWork + "/cli/big");
  INFO(r.out);
  CHECK(r.status == 4);
  CHECK(r.out.find("workloads 'w1': a 5368709120-byte write is not simulated (a work request carries at most "
                   "4294967295 bytes") != std::string::npos);
}

TEST_CASE("cli: run with a size sweep, --set and a failing expectation") {
  const std::string path = write_file("good.yaml", kGood);
  auto ok = sh(kBin + " run " + path + " -o " + kWork + "/cli/good");
  INFO(ok.out);
  CHECK(ok.status == 0);
  // A --set that breaks an expectation: the run completes and exits 1.
  auto fail = sh(kBin + " run " + path + " -o " + kWork + "/cli/good2 --set workloads[0].count=3");
  CHECK(fail.status == 1);
  CHECK(fail.out.find("FAILED expect workloads.w1.completed") != std::string::npos);
  auto bad = sh(kBin + " run " + path + " --set links[0].rate=fast");
  CHECK(bad.status == 2);
}

TEST_CASE("cli: run --verbose prints the loop's speed, its counts those of results.json") {
  const std::string path = write_file("verbose.yaml", kGood);
  auto r = sh(kBin + " run " + path + " --pcap off --verbose -o " + kWork + "/cli/verbose");
  INFO(r.out);
  REQUIRE(r.status == 0);
  const auto at = r.out.find("speed: ");
  REQUIRE(at != std::string::npos);
  const std::string line = r.out.substr(at, r.out.find('\n', at) - at);
  CHECK(line.find(" events/s, ") != std::string::npos);
  CHECK(line.find(" simsec/s, ") != std::string::npos);
  CHECK(line.find(" events/simsec (") != std::string::npos);
  std::ifstream f(kWork + "/cli/verbose/results.json");
  const std::string json((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto num = [&](const std::string& key) {
    const auto k = json.find("\"" + key + "\": ");
    REQUIRE(k != std::string::npos);
    return std::stoull(json.substr(k + key.size() + 4));
  };
  // The rounds are results.json's events_processed; the simulated time its sim_time_ns.
  CHECK(line.find(fmt::format(", {} rounds, ", num("events_processed"))) != std::string::npos);
  CHECK(line.find(fmt::format(" s wall in the loop, {:.6f} s simulated)", static_cast<double>(num("sim_time_ns")) / 1e9)) !=
        std::string::npos);
  // Without --verbose no speed line: the summary stays what it was.
  auto quiet = sh(kBin + " run " + path + " --pcap off -o " + kWork + "/cli/verbose2");
  CHECK(quiet.out.find("speed: ") == std::string::npos);
}

TEST_CASE("cli: regress prints a line per scenario and the N passed, N failed line") {
  write_file("r_good.yaml", kGood);
  std::string failing = kGood;
  failing += "  - {metric: workloads.w1.completed, eq: 21}\n";
  const std::string dir = kWork + "/cli/regress";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/a.yaml") << kGood;
  std::ofstream(dir + "/b.yaml") << failing;
  auto r = sh("cd " + kWork + "/cli && " + kBin + " regress " + dir + " -j 2");
  INFO(r.out);
  CHECK(r.status == 1);
  CHECK(r.out.find("PASS  " + dir + "/a.yaml") != std::string::npos);
  CHECK(r.out.find("FAIL  " + dir + "/b.yaml (exit 1") != std::string::npos);
  CHECK(r.out.find("1 passed, 1 failed\n") != std::string::npos);
}

TEST_CASE("cli: rnic.port_space split and rnic.netfilter are simulated, no longer refused with exit 4") {
  std::string split = kGood;
  split.replace(split.find("mac: \"02:00:00:00:00:01\"}"), 25, "mac: \"02:00:00:00:00:01\", rnic: {port_space: split}}");
  auto r = sh(kBin + " run " + write_file("split.yaml", split) + " -o " + kWork + "/cli/split");
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("not simulated yet") == std::string::npos);
  std::string nf = kGood;
  nf.replace(nf.find("mac: \"02:00:00:00:00:01\"}"), 25,
             "mac: \"02:00:00:00:00:01\", netfilter: [{action: drop, proto: udp}], rnic: {netfilter: bypass}}");
  auto n = sh(kBin + " run " + write_file("nf.yaml", nf) + " -o " + kWork + "/cli/nf");
  INFO(n.out);
  CHECK(n.status == 0);
  CHECK(n.out.find("not simulated yet") == std::string::npos);
}

TEST_CASE("cli: regress --golden names the first output that differs; --update-golden writes them") {
  const std::string dir = kWork + "/cli/golden";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "/scen");
  std::ofstream(dir + "/scen/tiny.yaml") << kGood;
  const std::string regress = "cd " + dir + " && " + kBin + " regress scen -j 1 --golden g";
  auto w = sh(regress + " --update-golden");
  INFO(w.out);
  REQUIRE(w.status == 0);
  CHECK(w.out.find("WROTE  scen/tiny.yaml") != std::string::npos);
  const std::string golden = e2e::slurp(dir + "/g/tiny.golden");
  // The exit status, then every output but the log, in name order.
  CHECK(golden.find("# scen/tiny.yaml\nexit 0\na.pcap ") == 0);
  for (const char* f : {"\nb.pcap ", "\nevents.jsonl ", "\nresults.json ", "\ntimeseries.csv "})
    CHECK(golden.find(f) != std::string::npos);
  CHECK(golden.find("run.log") == std::string::npos);
  // Same scenario, same seed: the goldens hold (wall-clock figures aside).
  auto same = sh(regress);
  INFO(same.out);
  CHECK(same.status == 0);
  CHECK(same.out.find("1 passed, 0 failed") != std::string::npos);
  // Another seed changes the captures first (in name order, a.pcap).
  auto other = sh(regress + " --set seed=2");
  INFO(other.out);
  CHECK(other.status == 1);
  CHECK(other.out.find("FAIL  scen/tiny.yaml: a.pcap differs against g/tiny.golden") != std::string::npos);
  // An expectation changed, nothing simulated: only the exit status and results.json.
  std::ofstream(dir + "/scen/tiny.yaml") << std::string(kGood) + "  - {metric: workloads.w1.completed, eq: 21}\n";
  auto r = sh(regress);
  INFO(r.out);
  CHECK(r.status == 1);
  CHECK(r.out.find("FAIL  scen/tiny.yaml: exit status 1 (golden 0)") != std::string::npos);
  // A missing golden is a failure, not a pass.
  std::filesystem::remove(dir + "/g/tiny.golden");
  auto none = sh(regress);
  CHECK(none.status == 1);
  CHECK(none.out.find("no golden g/tiny.golden") != std::string::npos);
}

TEST_CASE("cli: hostile YAML is bounded: aliases that contain themselves or expand without end, huge or invalid scalars, control bytes") {
  // A self-referential alias: nested without end, stopped at 64 levels, with its place.
  auto self = sh(kBin + " check " + write_file("self.yaml", "name: x\na: &x [*x]\n"));
  CHECK(self.status == 2);
  CHECK(self.out.find("self.yaml:2:4: error: a[0]") != std::string::npos);
  CHECK(self.out.find("nested deeper than 64 levels") != std::string::npos);
  // Flow collections 100,000 deep: found before the YAML parser recurses, at the bracket
  // past the 64th level, with the key path of the block key it starts under.
  const std::string deep = "name: deep\nhosts:\n  - name: bob\n    tcp:\n      rcvbuf: " + std::string(100000, '[') +
                           std::string(100000, ']') + "\n";
  auto d = sh(kBin + " check " + write_file("deep.yaml", deep));
  CHECK(d.status == 2);
  CHECK(d.out.find("deep.yaml:5:79: error: hosts[0].tcp.rcvbuf: flow collections nested deeper than 64 levels") !=
        std::string::npos);
  // Brackets inside quotes and comments are not collections.
  auto q = sh(kBin + " check " + write_file("quoted.yaml", "name: q\ndescription: \"" + std::string(100, '[') + "\"  # " +
                                            std::string(100, '{') + "\n"));
  CHECK(q.status == 0);
  // A 60,000-byte value below the 64 KiB bound is quoted by its first 48 bytes and its size.
  auto echo = sh(kBin + " check " + write_file("echo.yaml", "name: e\nhosts:\n  - {name: a, ip: 10.0.0.1/24, mac: \"02:00:00:00:00:01\", mtu: " +
                                               std::string(60000, '9') + "}\n"));
  CHECK(echo.status == 2);
  CHECK(echo.out.find("echo.yaml:3:63: error: hosts[0].mtu: expected an integer in 576..9216, got '" + std::string(47, '9') +
                      "...(60002 bytes)") != std::string::npos);
  CHECK(echo.out.size() < 512);
  // Explicit tags: !!str makes a string (as quotes do), any other is refused, not dropped.
  auto tags = sh(kBin + " check " + write_file("tags.yaml", "name: t\nhosts:\n  - {name: a, ip: 10.0.0.1/24, mac: \"02:00:00:00:00:01\", mtu: !!str 1500}\n"
                                               "  - {name: b, ip: 10.0.0.2/24, mac: \"02:00:00:00:00:02\", mtu: !!float 1500}\n"));
  CHECK(tags.status == 2);
  CHECK(tags.out.find("tags.yaml:3:63: error: hosts[0].mtu: expected an integer in 576..9216, got '1500'") != std::string::npos);
  CHECK(tags.out.find("tags.yaml:4:63: error: hosts[1].mtu: the tag '!!float' is not read") != std::string::npos);
  // A billion laughs: 10^9 values from 10 lines; stopped at a million.
  std::string bomb = "name: bomb\na0: &a0 [x,x,x,x,x,x,x,x,x,x]\n";
  for (int i = 1; i < 9; ++i) {
    bomb += fmt::format("a{}: &a{} [", i, i);
    for (int k = 0; k < 10; ++k) bomb += fmt::format("{}*a{}", k ? "," : "", i - 1);
    bomb += "]\n";
  }
  auto b = sh(kBin + " check " + write_file("bomb.yaml", bomb));
  CHECK(b.status == 2);
  CHECK(b.out.find("the file expands to more than 1000000 values") != std::string::npos);
  // A 4 MB scalar where a word is expected: refused by its size, never matched or quoted.
  const std::string big(4'000'000, '7');
  auto l = sh(kBin + " check " + write_file("long.yaml", "name: long\nhosts:\n  - {name: a, ip: 10.0.0.1/24, mac: \"02:00:00:00:00:01\", rnic: {type: " + big + "}}\n"));
  CHECK(l.status == 2);
  CHECK(l.out.find("long.yaml:3:71: error: hosts[0].rnic.type: a value of 4000000 bytes (at most 65536)") != std::string::npos);
  CHECK(l.out.size() < 4096);
  // Invalid UTF-8 in an expect string: an error at its place, at check time.
  auto u = sh(kBin + " check " + write_file("utf.yaml", "name: u\nexpect:\n  - {metric: scenario, eq: \"\xff\xfe\"}\n"));
  CHECK(u.status == 2);
  CHECK(u.out.find("utf.yaml:3:28: error: expect[0].eq: not valid UTF-8 (byte 1 of the value)") != std::string::npos);
  // Control bytes the message quotes are escaped.
  auto c = sh(kBin + " check " + write_file("ctl.yaml", "name: c\nhosts:\n  - {name: a, ip: 10.0.0.1/24, mac: \"02:00:00:00:00:01\", rnic: {notify: \"ab\x1b[31mred\"}}\n"));
  CHECK(c.status == 2);
  CHECK(c.out.find("got 'ab\\x1b[31mred'") != std::string::npos);
  CHECK(c.out.find('\x1b') == std::string::npos);
}

TEST_CASE("cli: an -o that cannot be made is bad input, said before the simulation starts") {
  const std::string file = write_file("in_the_way", "not a folder\n");
  const auto r = sh(kBin + " run " + write_file("good.yaml", kGood) + " -o " + file + "/out");
  INFO(r.out);
  CHECK(r.status == 2);
  CHECK(r.out.find("-o " + file + "/out: error: cannot make the output folder: Not a directory") != std::string::npos);
  CHECK(r.out.find("simulated") == std::string::npos);  // nothing ran
}

TEST_CASE("cli: options given empty or malformed are said by name, never replaced by a default") {
  const std::string good = write_file("opts.yaml", kGood);
  const auto seed = sh(kBin + " run " + good + " --seed -1");
  CHECK(seed.status == 2);
  CHECK(seed.out.find("--seed -1: error: expected an integer from 0 to 18446744073709551615") != std::string::npos);
  const auto empty_seed = sh(kBin + " run " + good + " --seed ''");
  CHECK(empty_seed.status == 2);
  CHECK(empty_seed.out.find("--seed : error: expected an integer") != std::string::npos);
  const auto empty_o = sh(kBin + " run " + good + " -o ''");
  CHECK(empty_o.status == 2);
  CHECK(empty_o.out.find("-o: error: expected a folder, got an empty path") != std::string::npos);
  const auto ctl_o = sh(kBin + " run " + good + " -o \"$(printf 'out/a\\nb')\"");
  CHECK(ctl_o.status == 2);
  CHECK(ctl_o.out.find("-o out/a\\x0ab: error: the path holds a control byte") != std::string::npos);
  const std::string dir = std::filesystem::path(good).parent_path().string();
  const auto d = sh(kBin + " run " + dir);
  CHECK(d.status == 2);
  CHECK(d.out.find(dir + ": error: cannot read the file: it is a directory") != std::string::npos);
  CHECK(d.out.find("simulated") == std::string::npos);
}

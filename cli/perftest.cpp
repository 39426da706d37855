#include "cli/perftest.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "model/scenario/profiles.h"
#include "model/scenario/units_parse.h"

namespace rnicsim::cli {
namespace fs = std::filesystem;

namespace {

struct Test {
  const char* name;
  const char* op;     ///< the workload's op
  const char* title;  ///< perftest's banner line
  bool lat;
};

constexpr Test kTests[] = {
    {"ib_write_bw", "write", "RDMA_Write BW Test", false},
    {"ib_read_bw", "read", "RDMA_Read BW Test", false},
    {"ib_send_bw", "send", "Send BW Test", false},
    {"ib_write_lat", "write_lat", "RDMA_Write Latency Test", true},
    {"ib_read_lat", "read_lat", "RDMA_Read Latency Test", true},
    {"ib_send_lat", "send_lat", "Send Latency Test", true},
};

/// The host MTU an IB MTU stands for: the IB MTU plus the 476 bytes a 1500-byte Ethernet
/// MTU holds beyond perftest's 1024 on RoCE (so the default 1500 is 1024, as perftest shows).
constexpr int kMtuExtra = 476;

/// perftest's options the simulator does not honour, with what they are.
const std::map<std::string, std::string>& unsupported() {
  static const std::map<std::string, std::string> m = {
      {"-b", "bidirectional traffic"}, {"--bidirectional", "bidirectional traffic"},
      {"-x", "a GID index"}, {"--gid-index", "a GID index"},
      {"-F", "CPU frequency checks"}, {"--CPU-freq", "CPU frequency checks"},
      {"--use_cuda", "GPU memory"}, {"--use_rocm", "GPU memory"}, {"--use_neuron", "accelerator memory"},
      {"--odp", "on-demand paging"}, {"--rate_limit", "rate limiting"}, {"--rate_limit_type", "rate limiting"},
      {"--burst_size", "rate limiting"}, {"-l", "post lists"}, {"--post_list", "post lists"},
      {"-Q", "CQ moderation"}, {"--cq-mod", "CQ moderation"}, {"-I", "inline data"},
      {"--inline_size", "inline data"}, {"-i", "an IB port"}, {"--ib-port", "an IB port"},
      {"-g", "multicast"}, {"--mcg", "multicast"}, {"-e", "completion events"}, {"--events", "completion events"},
      {"-p", "a control port"}, {"--port", "a control port"}, {"-S", "a service level"}, {"--sl", "a service level"},
      {"-u", "a QP timeout"}, {"--qp-timeout", "a QP timeout"}, {"-r", "a receive queue depth"},
      {"--rx-depth", "a receive queue depth"}, {"-z", "a data exchange over rdma_cm"},
      {"--comm_rdma_cm", "a data exchange over rdma_cm"}, {"-o", "outstanding reads"}, {"--outs", "outstanding reads"},
      {"-O", "dual-port"}, {"--dualport", "dual-port"}, {"-w", "a bandwidth limit"}, {"--limit_bw", "a bandwidth limit"},
      {"-y", "a message rate limit"}, {"--limit_msgrate", "a message rate limit"},
      {"-H", "a latency histogram"}, {"--report-histogram", "a latency histogram"},
      {"-U", "unsorted latencies"}, {"--report-unsorted", "unsorted latencies"},
      {"-C", "cycle counts"}, {"--report-cycles", "cycle counts"}, {"-T", "a type of service"}, {"--tos", "a type of service"},
      {"-N", "no peak bandwidth"}, {"--noPeak", "no peak bandwidth"}, {"-M", "a multicast address"},
      {"--mr_per_qp", "a region per QP"}, {"--use_hugepages", "huge pages"}, {"--ipv6", "IPv6"},
      {"--cpu_util", "CPU utilisation"}, {"--latency_gap", "a gap between latency iterations"},
      {"--flows", "flows"}, {"--tclass", "a traffic class"}, {"--run_infinitely", "an endless run"},
      {"--source_ip", "a source address"}, {"--dest_ip", "a destination address"}, {"--retry_count", "a retry count"},
      {"--wait_destroy", "a wait before destroying"}, {"--dont_xchg_versions", "no version exchange"},
      {"-W", "a counter check"}, {"-k", "a per-QP memory key"}, {"-j", "a memory map"},
  };
  return m;
}

constexpr const char* kUsage =
    "usage: rnicsim perftest ib_write_bw|ib_write_lat|ib_read_bw|ib_read_lat|ib_send_bw|ib_send_lat [options]\n"
    "  -s SIZE  -a  -n ITERS  -q QPS  -t TXDEPTH  -D SECONDS  -m 256|512|1024|2048|4096  --report_gbits\n"
    "  -d PROFILE  -R  -c RC  --out_json FILE  --out-dir DIR  --scenario FILE  --dump-scenario FILE  --seed N\n"
    "  (docs/perftest.md)\n";

struct Options {
  const Test* test = nullptr;
  uint64_t size = 0;
  bool all = false;
  uint64_t iters = 0;
  uint64_t qps = 1;
  uint64_t depth = 128;
  bool depth_given = false;
  std::optional<uint64_t> duration;
  std::optional<int> mtu;
  bool gbits = false;
  std::string profile;
  std::string out_json, out_dir, scenario, dump;
  std::optional<uint64_t> seed;
};

int bad(const std::string& msg) {
  fmt::print(stderr, "rnicsim perftest: {}\n", scenario::escape_control(msg));
  return kBadInput;
}

std::optional<uint64_t> parse_uint(const std::string& s, uint64_t lo, uint64_t hi) {
  uint64_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || v < lo || v > hi) return std::nullopt;
  return v;
}

/// Parses `args` into `o`; returns an exit status, or -1 to go on.
int parse(const std::vector<std::string>& args, Options& o) {
  if (args.empty()) return bad("expected a test: ib_write_bw, ib_write_lat, ib_read_bw, ib_read_lat, ib_send_bw or ib_send_lat");
  if (args[0] == "-h" || args[0] == "--help") {
    fmt::print("{}", kUsage);
    return kOk;
  }
  for (const auto& t : kTests)
    if (args[0] == t.name) o.test = &t;
  if (!o.test)
    return bad(fmt::format("unknown test '{}': expected ib_write_bw, ib_write_lat, ib_read_bw, ib_read_lat, ib_send_bw or ib_send_lat", args[0]));
  o.size = o.test->lat ? 2 : 65536;
  o.iters = o.test->lat ? 1000 : 5000;
  std::map<std::string, int> seen;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string name = args[i], value;
    bool inline_value = false;
    if (name.rfind("--", 0) == 0) {
      const auto eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        inline_value = true;
      }
    } else if (name.size() > 2 && name[0] == '-' && name[1] != '-') {
      value = name.substr(2);  // -s65536
      name = name.substr(0, 2);
      inline_value = true;
    }
    if (name == "-h" || name == "--help") {
      fmt::print("{}", kUsage);
      return kOk;
    }
    if (name.empty() || name[0] != '-')
      return bad(fmt::format("unexpected argument '{}': both hosts are simulated, there is no server to name", name));
    if (const auto it = unsupported().find(name); it != unsupported().end()) {
      fmt::print(stderr, "rnicsim perftest: {} ({}) is not simulated\n", name, it->second);
      return kNotSimulated;
    }
    static const std::map<std::string, std::string> alias = {
        {"--size", "-s"}, {"--all", "-a"}, {"--iters", "-n"}, {"--qp", "-q"}, {"--tx-depth", "-t"},
        {"--duration", "-D"}, {"--mtu", "-m"}, {"--ib-dev", "-d"}, {"--rdma_cm", "-R"}, {"--connection", "-c"}};
    if (const auto it = alias.find(name); it != alias.end()) name = it->second;
    static const char* kFlags[] = {"-a", "-R", "--report_gbits"};
    static const char* kValued[] = {"-s", "-n", "-q", "-t", "-D", "-m", "-d", "-c", "--out_json", "--out-dir",
                                    "--scenario", "--dump-scenario", "--seed"};
    const bool flag = std::find(std::begin(kFlags), std::end(kFlags), name) != std::end(kFlags);
    const bool valued = std::find(std::begin(kValued), std::end(kValued), name) != std::end(kValued);
    if (!flag && !valued) return bad(fmt::format("unknown option '{}' (rnicsim perftest --help lists them)", args[i]));
    if (++seen[name] > 1) return bad(fmt::format("{} given twice", name));
    if (flag && inline_value) return bad(fmt::format("{} takes no value", name));
    if (valued && !inline_value) {
      if (i + 1 >= args.size()) return bad(fmt::format("{} needs a value", name));
      value = args[++i];
    }
    if (name == "-a") o.all = true;
    else if (name == "-R") {}  // iWARP connections always open through the CM (MPA)
    else if (name == "--report_gbits") o.gbits = true;
    else if (name == "-s") {
      const auto v = parse_uint(value, 1, 8ull << 30);
      if (!v) return bad(fmt::format("-s {}: expected a size in bytes from 1 to 8589934592", value));
      o.size = *v;
    } else if (name == "-n") {
      const auto v = parse_uint(value, 1, 100000000);
      if (!v) return bad(fmt::format("-n {}: expected a number of iterations from 1 to 100000000", value));
      o.iters = *v;
    } else if (name == "-q") {
      const auto v = parse_uint(value, 1, 65535);
      if (!v) return bad(fmt::format("-q {}: expected a number of QPs from 1 to 65535", value));
      o.qps = *v;
    } else if (name == "-t") {
      const auto v = parse_uint(value, 1, 65535);
      if (!v) return bad(fmt::format("-t {}: expected a TX depth from 1 to 65535", value));
      o.depth = *v;
      o.depth_given = true;
    } else if (name == "-D") {
      const auto v = parse_uint(value, 1, 3600);
      if (!v) return bad(fmt::format("-D {}: expected whole seconds from 1 to 3600", value));
      o.duration = *v;
    } else if (name == "-m") {
      const auto v = parse_uint(value, 256, 4096);
      if (!v || (*v & (*v - 1)) != 0) return bad(fmt::format("-m {}: expected an MTU of 256, 512, 1024, 2048 or 4096", value));
      o.mtu = static_cast<int>(*v);
    } else if (name == "-d") {
      const auto& ps = scenario::profiles();
      if (std::none_of(ps.begin(), ps.end(), [&](const auto& p) { return p.name == value; }))
        return bad(fmt::format("-d {}: no such RNIC profile (rnicsim profiles lists them)", value));
      o.profile = value;
    } else if (name == "-c") {
      if (value == "UC" || value == "UD" || value == "XRC" || value == "DC" || value == "SRD") {
        fmt::print(stderr, "rnicsim perftest: -c {} is not simulated: iWARP has RC connections only\n", value);
        return kNotSimulated;
      }
      if (value != "RC") return bad(fmt::format("-c {}: expected RC, UC, UD, XRC or DC", value));
    } else if (name == "--seed") {
      const auto v = parse_uint(value, 0, UINT64_MAX);
      if (!v) return bad(fmt::format("--seed {}: expected an integer from 0 to 18446744073709551615", value));
      o.seed = *v;
    } else {
      if (value.empty()) return bad(fmt::format("{}: expected a path, got an empty one", name));
      if (name == "--out_json") o.out_json = value;
      else if (name == "--out-dir") o.out_dir = value;
      else if (name == "--scenario") o.scenario = value;
      else o.dump = value;
    }
  }
  if (o.test->lat && o.depth_given) {
    fmt::print(stderr, "rnicsim perftest: -t on {} is not simulated: a ping-pong has one operation in flight\n", o.test->name);
    return kNotSimulated;
  }
  if (o.all && seen.count("-s")) return bad("-a and -s together: -a runs every size from 2 to 8388608");
  return -1;
}

std::string command_line(const std::vector<std::string>& args) {
  std::string s = "rnicsim perftest";
  for (const auto& a : args) s += " " + a;
  return s;
}

std::vector<uint64_t> sizes(const Options& o) {
  if (!o.all) return {o.size};
  std::vector<uint64_t> v;
  for (uint64_t s = 2; s <= (8u << 20); s *= 2) v.push_back(s);
  return v;
}

/// The scenario's text, or an exit status.
int build_yaml(const Options& o, const std::vector<std::string>& args, std::string& text, std::string& client,
               std::string& server, int& host_mtu) {
  YAML::Node hosts, link;
  client = "alice";
  server = "bob";
  if (!o.scenario.empty()) {
    const scenario::LoadResult lr = scenario::load_scenario_file(o.scenario, sim::results_schema());
    if (!lr.ok()) {
      for (const auto& d : lr.errors) fmt::print(stderr, "{}\n", d.format());
      return kBadInput;
    }
    const YAML::Node doc = YAML::LoadFile(o.scenario);
    if (!doc["hosts"] || doc["hosts"].size() < 2)
      return bad(fmt::format("--scenario {}: needs at least two hosts", o.scenario));
    const YAML::Node h0 = YAML::Clone(doc["hosts"][0]), h1 = YAML::Clone(doc["hosts"][1]);
    client = h0["name"].as<std::string>();
    server = h1["name"].as<std::string>();
    for (const auto& l : doc["links"]) {
      const auto a = l["ends"][0].as<std::string>(), b = l["ends"][1].as<std::string>();
      if ((a == client && b == server) || (a == server && b == client)) link = YAML::Clone(l);
    }
    if (!link)
      return bad(fmt::format("--scenario {}: its first two hosts, {} and {}, have no link between them", o.scenario,
                             client, server));
    link.remove("name");
    hosts.push_back(h0);
    hosts.push_back(h1);
  } else {
    YAML::Node a, b;
    a["name"] = "alice";
    a["ip"] = "10.0.0.1/24";
    a["mac"] = "02:00:00:00:00:01";
    b["name"] = "bob";
    b["ip"] = "10.0.0.2/24";
    b["mac"] = "02:00:00:00:00:02";
    hosts.push_back(a);
    hosts.push_back(b);
    link["ends"].push_back("alice");
    link["ends"].push_back("bob");
    link["delay"] = "1us";
  }
  host_mtu = 9216;
  for (auto h : hosts) {
    if (o.mtu) h["mtu"] = *o.mtu + kMtuExtra;
    if (!o.profile.empty()) h["rnic"]["profile"] = o.profile;
    host_mtu = std::min(host_mtu, h["mtu"] ? h["mtu"].as<int>() : 1500);
  }
  // Every entry on one line (flow), the lists and the top level in blocks, as the
  // scenarios of scenarios/ are written.
  YAML::Node doc, conn, work;
  doc["name"] = std::string("perftest_") + o.test->name;
  doc["description"] = command_line(args);
  if (o.seed) doc["seed"] = *o.seed;
  // perftest runs until its iterations are done: without -D the cap is an hour of
  // simulated time (a run ends as soon as every workload has finished), not the
  // contract's default second, which a sweep to 8 MiB at 40 Gb/s outlasts.
  doc["stop"]["after"] = fmt::format("{}s", o.duration ? *o.duration : 3600);
  doc["stop"].SetStyle(YAML::EmitterStyle::Flow);
  for (auto h : hosts) h.SetStyle(YAML::EmitterStyle::Flow);
  hosts.SetStyle(YAML::EmitterStyle::Block);
  doc["hosts"] = hosts;
  link.SetStyle(YAML::EmitterStyle::Flow);
  doc["links"].push_back(link);
  conn["id"] = "c1";
  conn["from"] = client;
  conn["to"] = server;
  conn["port"] = 18515;
  if (o.qps > 1) conn["repeat"] = o.qps;
  conn.SetStyle(YAML::EmitterStyle::Flow);
  doc["connections"].push_back(conn);
  work["id"] = "w1";
  work["conn"] = "c1";
  work["op"] = o.test->op;
  const auto sz = sizes(o);
  if (sz.size() == 1) work["size"] = sz[0];
  else work["size"] = sz;
  work["count"] = o.iters;
  if (!o.test->lat) work["depth"] = o.depth;
  work.SetStyle(YAML::EmitterStyle::Flow);
  doc["workloads"].push_back(work);
  for (const char* k : {"links", "connections", "workloads"}) doc[k].SetStyle(YAML::EmitterStyle::Block);
  doc.SetStyle(YAML::EmitterStyle::Block);
  YAML::Emitter e;
  e << doc;
  text = "# " + scenario::escape_control(command_line(args)) + "\n" + e.c_str() + "\n";
  return -1;
}

const char* kLine = "---------------------------------------------------------------------------------------\n";

void banner(const Options& o, int ib_mtu, const std::string& device, uint64_t max_inline) {
  fmt::print("{}", kLine);
  fmt::print("                    {}\n", o.test->title);
  fmt::print(" Dual-port       : OFF\t\tDevice         : {}\n", device);
  fmt::print(" Number of qps   : {}\t\tTransport type : IW\n", o.qps);
  fmt::print(" Connection type : RC\t\tUsing SRQ      : OFF\n");
  fmt::print(" TX depth        : {}\n", o.test->lat ? 1 : o.depth);
  fmt::print(" Mtu             : {}[B]\n", ib_mtu);
  fmt::print(" Link type       : Ethernet\n");
  fmt::print(" Max inline data : {}[B]\n", max_inline);
  fmt::print(" rdma_cm QPs\t : ON\n");
  fmt::print(" Data ex. method : rdma_cm\n");
  if (o.duration) fmt::print(" Duration        : {}[sec]\n", *o.duration);
  fmt::print("{}", kLine);
}

double num(const nlohmann::ordered_json& j) { return j.is_number() ? j.get<double>() : 0.0; }

void table(const Options& o, const nlohmann::ordered_json& w) {
  const auto sz = sizes(o);
  if (!o.test->lat)
    fmt::print(" #bytes     #iterations    BW peak[{0}]    BW average[{0}]   MsgRate[Mpps]\n",
               o.gbits ? "Gb/sec" : "MiB/sec");
  else
    fmt::print(" #bytes #iterations    t_min[usec]    t_max[usec]  t_typical[usec]    t_avg[usec]    t_stdev[usec]   "
               "99% percentile[usec]   99.9% percentile[usec] \n");
  for (const uint64_t s : sz) {
    const auto& f = sz.size() == 1 ? w : w["by_size"][std::to_string(s)];
    const uint64_t done = f["completed"].get<uint64_t>();
    if (!o.test->lat) {
      const double gbps = num(f["goodput_gbps"]);
      const double avg = o.gbits ? gbps : gbps * 1e9 / 8.0 / 1048576.0;
      // With -D perftest skips the peak (noPeak is its default with a duration): 0.00.
      const double pk = o.duration ? 0.0 : num(f["peak_gbps"]);
      const double peak = o.gbits ? pk : pk * 1e9 / 8.0 / 1048576.0;
      fmt::print(" {:<7}    {:<10}     {:<7.2f}            {:<7.2f}            {:<7.6f}\n", s, done, peak, avg,
                 num(f["msg_rate_mps"]));
    } else {
      const auto& l = f["latency_ns"];
      auto us = [&](const char* k) { return num(l[k]) / 1000.0; };
      fmt::print(" {:<7} {:<10}  {:<7.2f}        {:<7.2f}      {:<7.2f}          {:<7.2f}        {:<7.2f}          "
                 "{:<7.2f}                {:<7.2f}\n",
                 s, done, us("min"), us("max"), us("p50"), us("avg"), us("stdev"), us("p99"), us("p999"));
    }
  }
  fmt::print("{}", kLine);
}

}  // namespace

int cmd_perftest(const std::vector<std::string>& args) {
  Options o;
  if (const int st = parse(args, o); st >= 0) return st;
  std::string text, client, server;
  int host_mtu = 1500;
  if (const int st = build_yaml(o, args, text, client, server, host_mtu); st >= 0) return st;
  const scenario::LoadResult lr = scenario::load_scenario_string(text, "<perftest>", sim::results_schema());
  if (!o.dump.empty()) {
    std::ofstream f(o.dump, std::ios::binary);
    f << text;
    if (!f) return bad(fmt::format("--dump-scenario {}: cannot be written", o.dump));
  }
  if (!lr.ok()) {
    for (const auto& d : lr.errors) fmt::print(stderr, "{}\n", d.format());
    return kBadInput;
  }
  if (const auto d = scenario::check_memory(*lr.scenario, scenario::kDefaultMaxMemory)) {
    fmt::print(stderr, "{}\n", d->format());
    return kBadInput;
  }
  sim::RunOptions ro;
  ro.out_dir = o.out_dir.empty() ? (fs::path("traces/perftest") / o.test->name).string() : o.out_dir;
  const auto missing = sim::unsupported_features(*lr.scenario, ro);
  if (!missing.empty()) {
    for (const auto& u : missing) fmt::print(stderr, "rnicsim perftest: not simulated yet: {}\n", u.what);
    return kNotSimulated;
  }
  {
    std::error_code ec;
    fs::create_directories(ro.out_dir, ec);
    if (ec || !fs::is_directory(ro.out_dir))
      return bad(fmt::format("--out-dir {}: cannot make the output folder", ro.out_dir));
  }
  // The banner's device is the client's RNIC profile.
  std::string device = lr.scenario->hosts[0].rnic.profile;
  int ib_mtu = 256;
  for (int m = 4096; m >= 256; m /= 2)
    if (m + kMtuExtra <= host_mtu) {
      ib_mtu = m;
      break;
    }
  if (o.mtu) ib_mtu = *o.mtu;
  sim::RunOutcome out;
  try {
    out = sim::run(*lr.scenario, ro);
  } catch (const std::exception& e) {
    fmt::print(stderr, "rnicsim: simulator failure: {}\n", e.what());
    return kSimFailed;
  }
  if (!o.out_json.empty()) {
    std::ofstream f(o.out_json, std::ios::binary);
    f << out.results.dump(2) << "\n";
    if (!f) return bad(fmt::format("--out_json {}: cannot be written", o.out_json));
  }
  // The inline data the client's RNIC takes (its profile's max_inline, or the scenario's).
  uint64_t max_inline = 0;
  {
    const auto& rn = lr.scenario->hosts[0].rnic;
    const auto it = rn.overrides.find("max_inline");
    if (it != rn.overrides.end()) {
      max_inline = scenario::parse_size(it->second).value_or(0);
    } else if (const scenario::Profile* p = scenario::find_profile(rn.profile)) {
      for (const auto& q : p->params)
        if (q.name == "max_inline") max_inline = scenario::parse_size(q.value).value_or(0);
    }
  }
  banner(o, ib_mtu, device, max_inline);
  const auto& w = out.results["workloads"]["w1"];
  table(o, w);
  const uint64_t errors = w["errors"].get<uint64_t>(), unfinished = w["unfinished"].get<uint64_t>();
  if (errors > 0 || (unfinished > 0 && !o.duration)) {
    fmt::print(stderr, "rnicsim perftest: {} operations in error, {} unfinished (results in {})\n", errors, unfinished,
               ro.out_dir);
    return kCheckFailed;
  }
  return kOk;
}

}  // namespace rnicsim::cli

// Host netfilter rules, rnic.netfilter enforce and bypass, port_space split and bind events,
// end to end: the scenarios of tests/data/ run by the binary, their captures read by
// tshark, their events.jsonl read line by line.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/e2e_util.h"

using e2e::sh;
using nlohmann::json;

namespace {

const std::string kBin = RNICSIM_BIN;
const std::string kSrc = RNICSIM_SOURCE_DIR;
const std::string kWork = RNICSIM_WORK_DIR;

std::string out_dir(const std::string& name) { return kWork + "/netfilter/" + name; }

json run(const std::string& name) {
  const std::string dir = out_dir(name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto r = sh(kBin + " run " + kSrc + "/tests/data/" + name + ".yaml -o " + dir);
  INFO(r.out);
  REQUIRE(r.status == 0);  // every expectation of the scenario held
  return json::parse(e2e::slurp(dir + "/results.json"));
}

/// tshark's fields of the frames of `host`'s capture that match `filter`, a line per
/// frame, tab-separated.
std::vector<std::string> frames(const std::string& name, const std::string& host, const std::string& filter,
                                const std::string& fields) {
  const auto r = sh(e2e::tshark() + " -r " + out_dir(name) + "/" + host + ".pcap -Y '" + filter + "' -T fields " +
                        fields,
                    false);
  std::vector<std::string> lines;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

std::vector<json> events(const std::string& name, const std::string& kind) {
  std::vector<json> v;
  std::istringstream in(e2e::slurp(out_dir(name) + "/events.jsonl"));
  for (std::string l; std::getline(in, l);) {
    json j = json::parse(l);
    if (j["kind"] == kind) v.push_back(j);
  }
  return v;
}

}  // namespace

TEST_CASE("netfilter: host INPUT and OUTPUT DROP of a kind: tcp SYN: every SYN dropped and counted, the connect times out",
          "[netfilter][tcp]") {
  const json r = run("netfilter_tcp_drop");
  CHECK(r["connections"]["t1"]["state"] == "timed_out");
  CHECK(r["connections"]["t2"]["state"] == "timed_out");
  CHECK(r["hosts"]["bob"]["host_if"]["netfilter_drops"] == 3);
  CHECK(r["hosts"]["alice"]["host_if"]["netfilter_drops"] == 3);
  // bob's INPUT: the three SYNs to 5001 are on the wire (RTO 1 s, doubled), bob's TCP never
  // answers (it never saw them: no RST either).
  const std::string syn = "tcp.flags.syn==1 && tcp.flags.ack==0";
  CHECK(frames("netfilter_tcp_drop", "alice", syn + " && tcp.dstport==5001", "-e frame.time_relative") ==
        std::vector<std::string>{"0.000002633", "1.000002633", "3.000002633"});
  CHECK(frames("netfilter_tcp_drop", "bob", "tcp.srcport==5001", "-e frame.number").empty());
  CHECK(r["hosts"]["bob"]["host_if"]["tcp"]["resets_tx"] == 0);
  // alice's OUTPUT: her SYNs to 5002 never reach the wire.
  CHECK(frames("netfilter_tcp_drop", "alice", "tcp.dstport==5002", "-e frame.number").empty());
  CHECK(r["connections"]["t2"]["tcp"]["segments_tx"] == 3);
  CHECK(r["workloads"]["w3"]["data_intact"] == true);
}

TEST_CASE("netfilter: host REJECT answers ICMP port unreachable quoting the SYN; the connect is refused",
          "[netfilter][tcp][tshark]") {
  const json r = run("netfilter_tcp_reject");
  CHECK(r["connections"]["t1"]["state"] == "refused");
  CHECK(r["connections"]["t2"]["state"] == "refused");
  // One error on the wire, from bob to alice, quoting alice's SYN to 5001 (ip.src and ip.dst
  // list the outer header, then the quoted one), with a good checksum.
  CHECK(frames("netfilter_tcp_reject", "alice", "icmp.type==3 && icmp.code==3",
               "-e ip.src -e ip.dst -e tcp.srcport -e tcp.dstport -e tcp.flags.syn -e icmp.checksum.status") ==
        std::vector<std::string>{"10.0.0.2,10.0.0.1\t10.0.0.1,10.0.0.2\t32768\t5001\t1\t1"});
  CHECK(frames("netfilter_tcp_reject", "bob", "icmp", "-e frame.number").size() == 1);
  // alice's OUTPUT REJECT of her SYN to 5002: nothing on the wire, the error came back
  // through the loopback (alice counts two port unreachables, one of them never captured).
  CHECK(frames("netfilter_tcp_reject", "alice", "tcp.dstport==5002", "-e frame.number").empty());
  CHECK(r["hosts"]["alice"]["host_if"]["icmp"]["in_dest_unreachs"] == 2);
  CHECK(r["hosts"]["alice"]["host_if"]["ip"]["in_delivers"] == 2);
  CHECK(r["connections"]["t1"]["tcp"]["retransmits"] == 0);
}

TEST_CASE("netfilter: enforce judges offloaded setup; each verdict is an events.jsonl line", "[netfilter][rdma]") {
  const json r = run("netfilter_enforce");
  const auto v = events("netfilter_enforce", "netfilter_verdict");
  std::vector<std::string> got;
  for (const auto& e : v)
    got.push_back(e["host"].get<std::string>() + " " + e["chain"].get<std::string>() + " " +
                  std::to_string(e["sport"].get<int>()) + ">" + std::to_string(e["dport"].get<int>()) + " " +
                  e["verdict"].get<std::string>() + " " + e["rule"].dump() + " " + e["direction"].get<std::string>());
  CHECK(got == std::vector<std::string>{
                   "alice output 32768>5000 accept null to_rnic", "alice output 32769>5001 accept null to_rnic",
                   "alice output 32770>5002 drop 0 to_rnic",      "alice output 32771>5003 accept null to_rnic",
                   "bob input 32768>5000 drop 0 to_rnic",         "bob input 32769>5001 reject 1 to_rnic",
                   "bob input 32771>5003 accept null to_rnic",    "bob input 32768>5000 drop 0 to_rnic",
                   "bob input 32768>5000 drop 0 to_rnic"});
  // The three dropped SYNs are alice's RNIC's retransmissions: 0, 1 s and 3 s.
  CHECK(v[4]["time_ns"] == 14296);
  CHECK(v[7]["time_ns"] == 1000012796);
  CHECK(v[8]["time_ns"] == 3000012796);
  // CONNECT_REPLY by QP: c3's at once with -EPERM, c2's on bob's RST, c1's when its SYNs
  // time out (4 s: 3 s of user timeout after the first retransmission at 1 s), c4 accepted.
  std::vector<std::string> replies;
  for (const auto& e : events("netfilter_enforce", "connect_reply"))
    replies.push_back(std::to_string(e["qpn"].get<int>()) + ":" + std::to_string(e["status"].get<int>()) + "@" +
                      std::to_string(e["time_ns"].get<long long>()));
  CHECK(replies == std::vector<std::string>{"2:-1@10700", "1:-111@17412", "3:0@31169", "0:-111@4000009700"});
  CHECK(frames("netfilter_enforce", "alice", "tcp.flags.reset==1", "-e ip.src -e tcp.srcport -e tcp.dstport") ==
        std::vector<std::string>{"10.0.0.2\t5001\t32769"});
  CHECK(frames("netfilter_enforce", "alice", "tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.dstport==5000",
               "-e frame.time_relative") == std::vector<std::string>{"0.000009724", "1.000009724", "3.000009724"});
  CHECK(frames("netfilter_enforce", "alice", "tcp.dstport==5002", "-e frame.number").empty());
  // Nothing was opened on bob for the dropped or rejected SYNs: one accept, one QP.
  CHECK(events("netfilter_enforce", "connect_request").size() == 1);
  // Firmware time: listen 1 us x4, SYN 1.5 us x5, netfilter 0.5 us x5, MPA 3 us, accept 2 us,
  // NEIGH_UPDATE 0.3 us.
  CHECK(r["hosts"]["bob"]["rnic"]["firmware"]["busy_ns"] == 4000 + 7500 + 2500 + 3000 + 2000 + 300);
}

TEST_CASE("netfilter: bypass establishes what the rules would drop; nothing is counted or logged",
          "[netfilter][rdma][tshark]") {
  const json r = run("netfilter_bypass");
  for (const char* c : {"c1", "c2", "c3", "c4"}) CHECK(r["connections"][c]["state"] == "established");
  CHECK(events("netfilter_bypass", "netfilter_verdict").empty());
  CHECK(frames("netfilter_bypass", "alice", "iwarp_mpa.req || iwarp_mpa.rep", "-e tcp.srcport -e tcp.dstport").size() ==
        8);
  CHECK(frames("netfilter_bypass", "alice", "_ws.malformed", "-e frame.number").empty());
  CHECK(r["hosts"]["bob"]["rnic"]["firmware"]["busy_ns"] == 4000 + 6000 + 4 * 3000 + 4 * 2000 + 300);
}

TEST_CASE("port_space split: the segments the RNIC takes from a host socket's port are counted exactly",
          "[ports][split][tshark]") {
  const json r = run("port_split");
  // Every segment bob received for port 5000, where both bob's RNIC and bob's TCP listen.
  const auto to5000 = frames("port_split", "bob", "ip.dst==10.0.0.2 && tcp.dstport==5000", "-e frame.number");
  CHECK(to5000.size() == 21);
  CHECK(r["hosts"]["bob"]["host_if"]["port_conflicts"] == 21);
  // bob's TCP never saw t1: no connection accepted, nothing received.
  CHECK(r["hosts"]["bob"]["host_if"]["tcp"]["segments_rx"] == 48);  // t2's only
  CHECK(frames("port_split", "bob", "ip.dst==10.0.0.2 && tcp.dstport==6000", "-e frame.number").size() == 48);
  // alice's RNIC and her TCP each took their table's first port, toward different peers.
  CHECK(frames("port_split", "alice", "tcp.flags.syn==1 && tcp.flags.ack==0", "-e tcp.srcport -e tcp.dstport") ==
        std::vector<std::string>{"32768\t6000", "32768\t5000", "32769\t5001", "40000\t5000"});
  CHECK(r["hosts"]["alice"]["host_if"]["port_conflicts"] == 0);
}

TEST_CASE("bind: refused when an offloaded connection holds the port (shared), never logged", "[ports][bind]") {
  const json r = run("port_bind");
  CHECK(r["hosts"]["bob"]["host_if"]["port_conflicts"] == 2);
  CHECK(r["hosts"]["alice"]["host_if"]["port_conflicts"] == 1);
  CHECK(events("port_bind", "bind").empty());
  CHECK(r["workloads"]["w1"]["completed"] == 4);
}

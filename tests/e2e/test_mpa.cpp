// MPA end to end (RFC 5044, RFC 6581): the negotiation matrix (revision 1 x 2, markers,
// CRC, reject) as tshark decodes the Request/Reply frames and as results.json reports it;
// markers both ways checked by tshark's marker and CRC decoding; markers one way checked by
// the project's own deframer on the captured streams; the RTR types; IRD/ORD clipping.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "model/proto/mpa/fpdu.h"
#include "model/wire/mpa.h"
#include "tests/e2e/e2e_util.h"

using e2e::sh;
using nlohmann::json;
using namespace rnicsim;

namespace {

const std::string kBin = RNICSIM_BIN;
const std::string kSrc = RNICSIM_SOURCE_DIR;
const std::string kWork = RNICSIM_WORK_DIR;

json run(const std::string& yaml_path, const std::string& dir, const std::string& extra = "") {
  std::filesystem::create_directories(dir);
  const auto r = sh(kBin + " run " + yaml_path + " -o " + dir + " --pcap full " + extra);
  INFO(r.out);
  REQUIRE(r.status == 0);
  return json::parse(e2e::slurp(dir + "/results.json"));
}

std::vector<std::vector<std::string>> rows(const std::string& out) {
  std::vector<std::vector<std::string>> v;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::string cell;
    std::istringstream ls(line);
    while (std::getline(ls, cell, '\t')) f.push_back(cell);
    if (!line.empty() && line.back() == '\t') f.emplace_back();
    v.push_back(f);
  }
  return v;
}

uint64_t count(const std::string& hay, const std::string& needle) {
  uint64_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

std::vector<uint8_t> unhex(const std::string& s) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < s.size(); i += 2) {
    if (s[i] == ':') {
      --i;
      continue;
    }
    out.push_back(static_cast<uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
  }
  return out;
}

/// The TCP payload stream of each (tcp.stream, source port), from a capture without loss.
std::map<std::pair<int, int>, std::vector<uint8_t>> streams(const std::string& pcap) {
  const auto r = sh(e2e::tshark() + " -r " + pcap +
                        " -Y 'tcp.len>0' -T fields -e tcp.stream -e tcp.srcport -e tcp.seq -e tcp.payload",
                    false);
  std::map<std::pair<int, int>, std::map<uint64_t, std::vector<uint8_t>>> segs;
  for (const auto& f : rows(r.out)) {
    if (f.size() < 4) continue;
    segs[{std::stoi(f[0]), std::stoi(f[1])}][std::stoull(f[2])] = unhex(f[3]);
  }
  std::map<std::pair<int, int>, std::vector<uint8_t>> out;
  for (auto& [key, m] : segs) {
    std::vector<uint8_t>& s = out[key];
    uint64_t next = 1;  // relative sequence numbers: the first data byte is 1
    for (auto& [seq, bytes] : m) {
      if (seq + bytes.size() <= next) continue;  // a retransmission already held
      REQUIRE(seq <= next);
      s.insert(s.end(), bytes.begin() + static_cast<std::ptrdiff_t>(next - seq), bytes.end());
      next = seq + bytes.size();
    }
  }
  return out;
}

struct Deframed {
  uint64_t fpdus = 0, ok = 0, markers = 0;
  mpa::FpduStatus last = mpa::FpduStatus::Ok;
};

/// Skips the MPA Request/Reply at the stream's start and deframes the rest.
Deframed deframe(const std::vector<uint8_t>& s, bool crc, bool markers) {
  auto f = wire::decode_mpa_reqrep(s.data(), s.size());
  REQUIRE(f.status == wire::DecodeStatus::Ok);
  Deframed d;
  mpa::Deframer df(
      crc,
      [&](ConstByteSpan, mpa::FpduStatus st) {
        ++d.fpdus;
        d.ok += st == mpa::FpduStatus::Ok;
        d.last = st;
      },
      markers);
  df.feed(ConstByteSpan(s.data() + f.length, s.size() - f.length));
  d.markers = df.markers();
  if (!df.failed()) CHECK(df.pending() == 0);
  return d;
}

}  // namespace

TEST_CASE("MPA markers both ways: tshark decodes every FPDU, its markers and a good CRC",
          "[mpa][markers][tshark]") {
  const std::string dir = kWork + "/mpa_markers_both";
  const json r = run(kSrc + "/scenarios/mpa_markers_both.yaml", dir);
  CHECK(r["passed"] == true);
  const json& m = r["connections"]["c1"]["mpa"];
  CHECK(m["markers"]["to_server"] == true);
  CHECK(m["markers"]["to_client"] == true);
  CHECK(m["crc"] == true);
  CHECK(m["crc_errors"] == 0);
  CHECK(r["workloads"]["w1"]["data_intact"] == true);

  const std::string pcap = dir + "/alice.pcap";
  // 8 x 82084 bytes at 1416 payload bytes per FPDU (MULPDU 1430 with markers at EMSS 1448,
  // less the 14-byte tagged header): 58 FPDUs each, plus the zero-length Send RTR.
  const std::string v = sh(e2e::tshark() + " -r " + pcap + " -V", false).out;
  CHECK(count(v, "(Good CRC32)") == 8 * 58 + 1);
  CHECK(count(v, "Bad CRC32") == 0);
  CHECK(sh(e2e::tshark() + " -r " + pcap + " -Y _ws.malformed", false).out.empty());
  const std::string expert = sh(e2e::tshark() + " -r " + pcap + " -q -z expert", false).out;
  // Only the two rev-2 warnings of protocol-facts.md (each reported twice by tshark's two
  // dissection passes of the Request), no error.
  CHECK(count(expert, "Warns (4)") == 1);
  CHECK(count(expert, "Errors (") == 0);
  CHECK(count(expert, "Rev field is NOT set to one") == 1);
  CHECK(count(expert, "Res field is NOT set to zero") == 1);

  // Every marker tshark finds: at S0 + 512 n (S0 = first byte after the 24-byte Request,
  // relative sequence 25), FPDUPTR back to the segment's (the FPDU's) length field, or 0
  // when the FPDU starts with the marker.
  const auto fr = rows(sh(e2e::tshark() + " -r " + pcap +
                              " -Y 'iwarp_mpa.fpdu && tcp.srcport==32768' -T fields -e tcp.seq "
                              "-e tcp.len -e iwarp_mpa.marker_fpduptr -E occurrence=a -E aggregator=,",
                          false)
                           .out);
  REQUIRE(fr.size() == 8 * 58 + 1);
  uint64_t markers = 0, expected_markers = 0, last_end = 0;
  for (const auto& f : fr) {
    REQUIRE(f.size() == 3);
    const uint64_t pos = std::stoull(f[0]) - 25, len = std::stoull(f[1]);
    std::vector<uint64_t> want;
    for (uint64_t at = (pos + 511) / 512 * 512; at < pos + len; at += 512)
      want.push_back(at == pos ? 0 : at - pos - (pos % 512 == 0 ? 4 : 0));
    std::vector<uint64_t> got;
    std::istringstream cs(f[2]);
    for (std::string x; std::getline(cs, x, ',');) got.push_back(std::stoull(x));
    INFO("FPDU at stream position " << pos);
    CHECK(got == want);
    markers += got.size();
    expected_markers += want.size();
    last_end = pos + len;
  }
  CHECK(markers == expected_markers);
  CHECK(markers == (last_end + 511) / 512);  // one every 512 bytes, S0 included

  // The project's decoder agrees on the same capture.
  const auto st = streams(pcap);
  const Deframed d = deframe(st.at({0, 32768}), true, true);
  CHECK(d.fpdus == 8 * 58 + 1);
  CHECK(d.ok == d.fpdus);
  CHECK(d.markers == markers);
}

TEST_CASE("MPA markers one way: the project's decoder reads each direction as negotiated",
          "[mpa][markers]") {
  const std::string dir = kWork + "/mpa_markers_one_way";
  const json r = run(kSrc + "/scenarios/mpa_markers_one_way.yaml", dir);
  CHECK(r["passed"] == true);
  const auto st = streams(dir + "/alice.pcap");
  // 8 x 1 MiB at 1416 bytes per FPDU: 741 FPDUs each, after the Read RTR (c1 and c2 alike:
  // markers change the stream, not the MULPDU, which both directions size for markers
  // only when they carry them).
  // c1 (stream 0): client -> server with markers, server -> client (the zero-length Read
  // Response) without.
  const Deframed c1_up = deframe(st.at({0, 32768}), true, true);
  CHECK(c1_up.fpdus == 8 * 741 + 1);
  CHECK(c1_up.ok == c1_up.fpdus);
  CHECK(c1_up.markers == (st.at({0, 32768}).size() - 24 + 511) / 512);
  const Deframed c1_down = deframe(st.at({0, 5000}), true, false);
  CHECK(c1_down.fpdus == 1);
  CHECK(c1_down.ok == 1);
  // Read the wrong way, the marked stream fails at once: its first marker is no length.
  const Deframed c1_wrong = deframe(st.at({0, 32768}), true, false);
  CHECK(c1_wrong.last == mpa::FpduStatus::CrcError);
  CHECK(c1_wrong.ok == 0);

  // c2 (stream 1): no markers toward the server (full 1442-byte ULPDUs, 1428 payload:
  // 735 FPDUs per MiB), a marked Read Response toward the client.
  const Deframed c2_up = deframe(st.at({1, 32769}), true, false);
  CHECK(c2_up.fpdus == 8 * 735 + 1);
  CHECK(c2_up.ok == c2_up.fpdus);
  const Deframed c2_down = deframe(st.at({1, 5001}), true, true);
  CHECK(c2_down.fpdus == 1);
  CHECK(c2_down.ok == 1);
  CHECK(c2_down.markers == 1);  // the one at S0
}

namespace {

struct Side {
  int rev;
  bool markers, crc;
};

std::string b(bool x) { return x ? "true" : "false"; }

}  // namespace

TEST_CASE("MPA negotiation matrix: revision 1 x 2, markers, CRC, reject, on the wire and in results",
          "[mpa][negotiation][tshark]") {
  const std::string dir = kWork + "/mpa_matrix";
  std::filesystem::create_directories(dir);
  struct Conn {
    std::string id;
    Side c, s;
    bool reject;
    int port;
  };
  std::vector<Conn> conns;
  int port = 41000;  // clear of ports tshark gives to other dissectors (6000-6063 is X11)
  for (int rc : {1, 2})
    for (int rs : {1, 2})
      for (int mk = 0; mk < 4; ++mk)
        for (int cr = 0; cr < 4; ++cr)
          conns.push_back({"m" + std::to_string(port), {rc, (mk & 1) != 0, (cr & 1) != 0},
                           {rs, (mk & 2) != 0, (cr & 2) != 0}, false, port++});
  for (int rc : {1, 2})
    for (int rs : {1, 2}) conns.push_back({"rej" + std::to_string(port), {rc, false, true}, {rs, true, true}, true, port++});

  std::ostringstream y;
  y << "name: mpa_matrix\nseed: 7\nhosts:\n"
       "  - {name: alice, ip: 10.0.0.1/24, mac: \"02:00:00:00:00:01\", rnic: {type: 7}}\n"
       "  - {name: bob,   ip: 10.0.0.2/24, mac: \"02:00:00:00:00:02\", rnic: {type: 7}}\n"
       "links:\n  - {ends: [alice, bob], rate: 25Gbps, delay: 1us}\nconnections:\n";
  for (const auto& c : conns)
    y << "  - {id: " << c.id << ", from: alice, to: bob, port: " << c.port << ", mpa: {revision: " << c.c.rev
      << ", markers: " << b(c.c.markers) << ", crc: " << b(c.c.crc) << ", server: {revision: " << c.s.rev
      << ", markers: " << b(c.s.markers) << ", crc: " << b(c.s.crc) << ", reject: " << b(c.reject) << "}}}\n";
  y << "workloads:\n";
  for (const auto& c : conns)
    if (!c.reject) y << "  - {id: w" << c.port << ", conn: " << c.id << ", op: write, size: 20000, count: 2}\n";
  std::ofstream(dir + "/mpa_matrix.yaml") << y.str();
  const json r = run(dir + "/mpa_matrix.yaml", dir);

  // The Request and Reply of every connection as tshark reads them.
  const auto fr = rows(sh(e2e::tshark() + " -r " + dir + "/alice.pcap -Y 'iwarp_mpa.req || iwarp_mpa.rep' -T fields "
                              "-e tcp.srcport -e tcp.dstport -e iwarp_mpa.rev -e iwarp_mpa.marker_flag "
                              "-e iwarp_mpa.crc_flag -e iwarp_mpa.rej_flag -e iwarp_mpa.res -e iwarp_mpa.pdlength",
                          false)
                           .out);
  std::map<int, std::vector<std::string>> req, rep;
  for (const auto& f : fr) {
    REQUIRE(f.size() == 8);
    if (std::stoi(f[1]) >= 41000) req[std::stoi(f[1])] = f;
    else rep[std::stoi(f[0])] = f;
  }
  const auto flag = [](bool x) { return std::string(x ? "1" : "0"); };
  for (const auto& c : conns) {
    INFO(c.id << ": client rev " << c.c.rev << " M " << c.c.markers << " C " << c.c.crc << ", server rev "
              << c.s.rev << " M " << c.s.markers << " C " << c.s.crc << (c.reject ? ", rejects" : ""));
    const int rev = std::min(c.c.rev, c.s.rev);
    const bool crc = c.c.crc || c.s.crc;
    REQUIRE(req.count(c.port) == 1);
    REQUIRE(rep.count(c.port) == 1);
    const auto& q = req[c.port];
    CHECK(q[2] == std::to_string(c.c.rev));
    CHECK(q[3] == flag(c.c.markers));
    CHECK(q[4] == flag(c.c.crc));
    CHECK(q[5] == "0");
    CHECK(q[6] == (c.c.rev == 2 ? "0x10" : "0x00"));  // the enhanced bit, revision 2 only
    CHECK(q[7] == (c.c.rev == 2 ? "4" : "0"));        // the IRD/ORD prefix
    const auto& p = rep[c.port];
    CHECK(p[2] == std::to_string(rev));
    CHECK(p[5] == flag(c.reject));
    const json& j = r["connections"][c.id];
    if (c.reject) {
      CHECK(j["state"] == "refused");
      continue;
    }
    CHECK(p[3] == flag(c.s.markers));
    CHECK(p[4] == flag(crc));
    CHECK(p[6] == (rev == 2 ? "0x10" : "0x00"));
    CHECK(j["state"] == "established");
    CHECK(j["mpa"]["revision"] == rev);
    CHECK(j["mpa"]["crc"] == crc);
    CHECK(j["mpa"]["crc_errors"] == 0);
    CHECK(j["mpa"]["markers"]["to_server"] == c.s.markers);
    CHECK(j["mpa"]["markers"]["to_client"] == c.c.markers);
    const json& w = r["workloads"]["w" + std::to_string(c.port)];
    CHECK(w["completed"] == 2);
    CHECK(w["data_intact"] == true);
  }
  CHECK(r["passed"] == true);
}

TEST_CASE("MPA rev 2: IRD/ORD clipped to the responder's device maximum, on the wire", "[mpa][negotiation]") {
  const std::string dir = kWork + "/mpa_clip";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/clip.yaml")
      << "name: mpa_clip\nhosts:\n"
         "  - {name: alice, ip: 10.0.0.1/24, mac: \"02:00:00:00:00:01\", rnic: {type: 7}}\n"
         "  - {name: bob,   ip: 10.0.0.2/24, mac: \"02:00:00:00:00:02\", rnic: {type: 7, max_ird: 8}}\n"
         "links:\n  - {ends: [alice, bob], rate: 25Gbps, delay: 1us}\n"
         "connections:\n  - {id: c1, from: alice, to: bob, port: 5000, mpa: {ird: 100, ord: 50}}\n"
         "workloads:\n  - {id: w1, conn: c1, op: write, size: 4KiB, count: 1}\n";
  const json r = run(dir + "/clip.yaml", dir);
  CHECK(r["workloads"]["w1"]["data_intact"] == true);
  const auto fr = rows(sh(e2e::tshark() + " -r " + dir +
                              "/alice.pcap -Y 'iwarp_mpa.req || iwarp_mpa.rep' -T fields -e iwarp_mpa.privatedata",
                          false)
                           .out);
  REQUIRE(fr.size() == 2);
  // Request: P | Z | IRD 100 = c064, W | R | ORD 50 = c032 (every RTR type offered).
  CHECK(fr[0][0] == "c064c032");
  // Reply: IRD = min(peer ORD 50, own 100, max 8) = 8, ORD = min(peer IRD 100, own 50, 8)
  // = 8; P with the one RTR type picked, W (zero-length Write).
  CHECK(fr[1][0] == "80088008");
}

TEST_CASE("MPA rev 2 RTR: each type is the first FPDU, and the responder waits for it", "[mpa][rtr][tshark]") {
  struct Case {
    int client, server;
    std::string opcode;  // of the client's first FPDU
    std::string ulpdu;   // its ULPDU length
  };
  // mpa_rtr_types: 1 Write, 2 Read, 4 Send; the responder picks Write, then Read, then Send.
  const std::vector<Case> cases = {{7, 7, "0x00", "14"}, {1, 7, "0x00", "14"}, {2, 7, "0x01", "46"},
                                   {4, 7, "0x03", "18"}, {6, 4, "0x03", "18"}, {1, 2, "0x00", "1430"},
                                   {0, 7, "0x00", "1430"}};
  for (const auto& k : cases) {
    INFO("client offers " << k.client << ", server accepts " << k.server);
    const std::string dir = kWork + "/mpa_rtr_" + std::to_string(k.client) + "_" + std::to_string(k.server);
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/rtr.yaml")
        << "name: mpa_rtr\nhosts:\n"
           "  - {name: alice, ip: 10.0.0.1/24, mac: \"02:00:00:00:00:01\", rnic: {type: 7, mpa_rtr_types: "
        << k.client
        << "}}\n"
           "  - {name: bob,   ip: 10.0.0.2/24, mac: \"02:00:00:00:00:02\", rnic: {type: 7, mpa_rtr_types: "
        << k.server
        << "}}\n"
           "links:\n  - {ends: [alice, bob], rate: 25Gbps, delay: 1us}\n"
           "connections:\n  - {id: c1, from: alice, to: bob, port: 5000, mpa: {markers: true}}\n"
           "workloads:\n  - {id: w1, conn: c1, op: write, size: 20000, count: 1}\n";
    const json r = run(dir + "/rtr.yaml", dir);
    CHECK(r["workloads"]["w1"]["data_intact"] == true);
    CHECK(r["workloads"]["w1"]["completed"] == 1);
    const auto fr = rows(sh(e2e::tshark() + " -r " + dir +
                                "/alice.pcap -Y 'iwarp_mpa.fpdu' -T fields -e tcp.srcport -e iwarp_rdma.opcode "
                                "-e iwarp_mpa.ulpdulength -e iwarp_ddp.msn -e iwarp_rdma.rdmardsz",
                            false)
                             .out);
    REQUIRE(fr.size() >= 2);
    CHECK(fr[0][0] == "32768");
    CHECK(fr[0][1] == k.opcode);
    CHECK(fr[0][2] == k.ulpdu);
    if (k.opcode != "0x00") CHECK(fr[0][3] == "1");  // untagged RTRs carry MSN 1
    if (k.opcode == "0x01") {
      CHECK(fr[0][4] == "0");  // a Read of 0 bytes
      // The server's only FPDU: the zero-length Read Response.
      uint64_t from_server = 0;
      for (const auto& f : fr)
        if (f[0] == "5000") {
          ++from_server;
          CHECK(f[1] == "0x02");
          CHECK(f[2] == "14");
        }
      CHECK(from_server == 1);
    }
  }
}

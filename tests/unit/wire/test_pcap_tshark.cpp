// Cross-check of the Ethernet/IPv4/TCP encoders with an independent decoder: tshark.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "model/common/bytes.h"
#include "model/wire/crc.h"
#include "model/wire/eth.h"
#include "model/wire/ipv4.h"
#include "model/wire/tcp.h"

using namespace rnicsim;
using namespace rnicsim::wire;

namespace {
void put_le32(std::vector<uint8_t>& v, uint32_t x) {
  const size_t at = v.size();
  v.resize(at + 4);
  store_le32(v.data() + at, x);
}
void put_le16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(static_cast<uint8_t>(x));
  v.push_back(static_cast<uint8_t>(x >> 8));
}

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[512];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}
}  // namespace

TEST_CASE("tshark decodes an Ethernet/IPv4/TCP SYN built by the codecs", "[wire][tshark]") {
  if (std::system("command -v tshark >/dev/null 2>&1") != 0) {
    WARN("tshark not installed: skipped");
    return;
  }
  // The frame: a Linux-style SYN with four payload bytes (odd checksum coverage is not
  // needed here; the pseudo-header and options are what matter).
  std::vector<uint8_t> frame(kEthHeaderLen + kIpv4HeaderLen + 40 + 4);
  size_t off = encode_eth(frame.data(), {0x02AABBCCDDEEull, 0x021122334455ull, kEtherTypeIpv4});
  Ipv4Header ip;
  ip.total_length = static_cast<uint16_t>(frame.size() - kEthHeaderLen);
  ip.id = 0x1234;
  ip.protocol = kIpProtoTcp;
  ip.src = 0xC0A80001u;
  ip.dst = 0xC0A80002u;
  off += encode_ipv4(frame.data() + off, ip);
  TcpHeader tcp;
  tcp.sport = 40001;
  tcp.dport = 4791;
  tcp.seq = 0x01020304u;
  tcp.flags = tcp_flags::kSyn;
  tcp.window = 64240;
  tcp.opts.has_mss = true;
  tcp.opts.mss = 1460;
  tcp.opts.sack_permitted = true;
  tcp.opts.has_timestamps = true;
  tcp.opts.ts_val = 123456;
  tcp.opts.has_wscale = true;
  tcp.opts.wscale = 7;
  const size_t tcp_at = off;
  off += encode_tcp(frame.data() + off, tcp);
  for (size_t i = off; i < frame.size(); ++i) frame[i] = static_cast<uint8_t>('a' + i - off);
  tcp_fill_checksum(frame.data() + tcp_at, frame.size() - tcp_at, ip.src, ip.dst);

  // Classic pcap, nanosecond resolution, LINKTYPE_ETHERNET; written in host (little-endian)
  // order, which the magic number announces.
  std::vector<uint8_t> pcap;
  put_le32(pcap, 0xA1B23C4Du);
  put_le16(pcap, 2);
  put_le16(pcap, 4);
  put_le32(pcap, 0);       // thiszone
  put_le32(pcap, 0);       // sigfigs
  put_le32(pcap, 65535);   // snaplen
  put_le32(pcap, 1);       // linktype
  put_le32(pcap, 1000);    // ts seconds
  put_le32(pcap, 500);     // ts nanoseconds
  put_le32(pcap, static_cast<uint32_t>(frame.size()));
  put_le32(pcap, static_cast<uint32_t>(frame.size()));
  pcap.insert(pcap.end(), frame.begin(), frame.end());

  const std::string path = "/tmp/rnicsim_wire_tshark_" + std::to_string(getpid()) + ".pcap";
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(std::fwrite(pcap.data(), 1, pcap.size(), f) == pcap.size());
  std::fclose(f);

  const std::string out = run(
      "tshark -n -r " + path +
      " -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o tcp.analyze_sequence_numbers:FALSE"
      " -T fields -E separator=, -e eth.src -e ip.id -e ip.checksum.status -e ip.flags.df"
      " -e tcp.srcport -e tcp.dstport -e tcp.seq_raw -e tcp.flags.syn -e tcp.window_size_value"
      " -e tcp.options.mss_val -e tcp.options.sack_perm -e tcp.options.timestamp.tsval"
      " -e tcp.options.wscale.shift -e tcp.checksum.status -e tcp.len 2>/dev/null");
  std::remove(path.c_str());
  INFO(out);
  // Checksum status 1 = Good (0 Bad, 2 Unverified); tcp.options.sack_perm prints the
  // option's bytes (kind 4, length 2) when present.
  CHECK(out ==
        "02:11:22:33:44:55,0x1234,1,1,40001,4791,16909060,1,64240,1460,0402,123456,7,1,4\n");
}

// Writes the seed corpora of the binary fuzz targets: make_seeds OUT_DIR writes
// OUT_DIR/wire/ (one valid packet of every kind fuzz_wire decodes) and
// OUT_DIR/mpa_deframer/ (streams of valid FPDUs: CRC on and off, markers on and off, an
// out-of-order start). Built with the fuzz targets; `make fuzz-seeds` rewrites
// tests/fuzz/corpus (docs/fuzzing.md). Deterministic: the same bytes every time.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "model/proto/mpa/fpdu.h"
#include "model/proto/mpa/rtr.h"
#include "model/wire/ddp_rdmap.h"
#include "model/wire/eth.h"
#include "model/wire/icmp.h"
#include "model/wire/ipv4.h"
#include "model/wire/mpa.h"
#include "model/wire/tcp.h"

using namespace rnicsim;
using namespace rnicsim::wire;

namespace {

std::string g_out;

void save(const std::string& dir, const std::string& name, const std::vector<uint8_t>& bytes) {
  std::ofstream f(g_out + "/" + dir + "/" + name, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f) std::fprintf(stderr, "make_seeds: cannot write %s/%s/%s\n", g_out.c_str(), dir.c_str(), name.c_str());
}

/// A wire seed: the kind byte of fuzz_wire.cpp, then the packet.
void wire_seed(const std::string& name, uint8_t kind, std::vector<uint8_t> pkt) {
  pkt.insert(pkt.begin(), kind);
  save("wire", name, pkt);
}

std::vector<uint8_t> ipv4_packet(uint8_t proto, const std::vector<uint8_t>& payload, uint32_t dst = 0x0a000002) {
  Ipv4Header h;
  h.protocol = proto;
  h.src = 0x0a000001;
  h.dst = dst;
  h.total_length = static_cast<uint16_t>(kIpv4HeaderLen + payload.size());
  std::vector<uint8_t> out(kIpv4HeaderLen);
  encode_ipv4(out.data(), h);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::vector<uint8_t> tcp_segment(const TcpHeader& h, size_t payload) {
  std::vector<uint8_t> out(tcp_header_length(h.opts) + payload, 0x61);
  encode_tcp(out.data(), h);
  tcp_fill_checksum(out.data(), out.size(), 0x0a000001, 0x0a000002);
  return out;
}

std::vector<uint8_t> ddp(const DdpHeader& h, const std::vector<uint8_t>& body = {}) {
  std::vector<uint8_t> out(ddp_header_length(h.tagged));
  encode_ddp(out.data(), h);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

void wire_seeds() {
  std::vector<uint8_t> b(64);
  EthHeader eth{0x020000000002ull, 0x020000000001ull, kEtherTypeIpv4};
  b.resize(encode_eth(b.data(), eth));
  wire_seed("eth", 0, b);
  b.assign(kArpLen, 0);
  encode_arp(b.data(), ArpPacket{ArpOp::Request, 0x020000000001ull, 0x0a000001, 0, 0x0a000002});
  wire_seed("arp_request", 1, b);
  encode_arp(b.data(), ArpPacket{ArpOp::Reply, 0x020000000002ull, 0x0a000002, 0x020000000001ull, 0x0a000001});
  wire_seed("arp_reply", 1, b);
  wire_seed("ipv4", 2, ipv4_packet(kIpProtoTcp, std::vector<uint8_t>(20, 0)));

  std::vector<uint8_t> echo(kIcmpEchoHeaderLen + 16, 0x42);
  encode_icmp_echo(echo.data(), IcmpEcho{kIcmpEchoRequest, 0, 7, 1}, 16);
  wire_seed("icmp_echo_request", 3, echo);
  encode_icmp_echo(echo.data(), IcmpEcho{kIcmpEchoReply, 0, 7, 1}, 16);
  wire_seed("icmp_echo_reply", 3, echo);

  TcpHeader th;
  th.sport = 5000;
  th.dport = 40000;
  th.seq = 1000;
  th.ack = 2000;
  th.flags = tcp_flags::kAck;
  th.window = 512;
  const std::vector<uint8_t> quoted = ipv4_packet(kIpProtoTcp, tcp_segment(th, 0), 0x0a000009);
  for (auto [name, type, code, rest] :
       {std::tuple<const char*, uint8_t, uint8_t, uint32_t>{"icmp_frag_needed", kIcmpDestUnreachable, kIcmpFragNeeded, 1280},
        {"icmp_port_unreachable", kIcmpDestUnreachable, kIcmpPortUnreachable, 0},
        {"icmp_redirect", kIcmpRedirect, kIcmpRedirectHost, 0x0a000003},
        {"icmp_time_exceeded", kIcmpTimeExceeded, kIcmpTtlExceeded, 0}}) {
    std::vector<uint8_t> e(icmp_error_len(quoted.size()));
    encode_icmp_error(e.data(), type, code, rest, quoted.data(), quoted.size());
    wire_seed(name, 4, e);
  }

  TcpHeader syn = th;
  syn.flags = tcp_flags::kSyn;
  syn.opts.has_mss = true;
  syn.opts.mss = 1460;
  syn.opts.sack_permitted = true;
  syn.opts.has_timestamps = true;
  syn.opts.ts_val = 11;
  syn.opts.has_wscale = true;
  syn.opts.wscale = 7;
  wire_seed("tcp_syn", 5, tcp_segment(syn, 0));
  TcpHeader sack = th;
  sack.opts.has_timestamps = true;
  sack.opts.ts_val = 12;
  sack.opts.ts_ecr = 11;
  sack.opts.sack_count = 3;
  sack.opts.sack = {SackBlock{3000, 4000}, SackBlock{5000, 6000}, SackBlock{7000, 8000}, SackBlock{}};
  wire_seed("tcp_sack", 5, tcp_segment(sack, 0));
  TcpHeader data = th;
  data.flags = tcp_flags::kAck | tcp_flags::kPsh | tcp_flags::kFin;
  wire_seed("tcp_data_fin", 5, tcp_segment(data, 32));

  MpaReqRep req;
  req.markers = true;
  req.crc = true;
  req.enhanced = true;
  req.ird_ord = MpaEnhanced{true, true, true, true, 16, 16};
  req.private_data = {1, 2, 3, 4, 5};
  wire_seed("mpa_request", 6, encode_mpa_reqrep(req));
  MpaReqRep rep;
  rep.reply = true;
  rep.revision = 1;
  rep.reject = true;
  wire_seed("mpa_reply_reject", 6, encode_mpa_reqrep(rep));
  wire_seed("mpa_peer_request", 14, encode_mpa_reqrep(req));

  DdpHeader w;
  w.tagged = true;
  w.last = true;
  w.opcode = static_cast<uint8_t>(RdmapOpcode::RdmaWrite);
  w.stag = 0x15a;
  w.to = 0x10064;
  wire_seed("ddp_tagged_write", 7, ddp(w, std::vector<uint8_t>(8, 0x77)));
  DdpHeader s;
  s.last = true;
  s.opcode = static_cast<uint8_t>(RdmapOpcode::SendWithSeInvalidate);
  s.stag = 0x25b;
  s.qn = kQnSend;
  s.msn = 1;
  wire_seed("ddp_untagged_send", 7, ddp(s));

  std::vector<uint8_t> rr(kReadRequestLen);
  encode_read_request(rr.data(), ReadRequest{0x35c, 0x40000, 3000, 0x15a, 0x10064});
  wire_seed("read_request", 8, rr);
  AtomicRequest ar;
  ar.aop = static_cast<uint8_t>(AtomicOp::CmpSwap);
  ar.request_id = 9;
  ar.stag = 0x45d;
  ar.to = 0x30008;
  ar.add_swap = 5;
  ar.add_swap_mask = ~0ull;
  ar.compare = 1;
  ar.compare_mask = ~0ull;
  std::vector<uint8_t> ab(kAtomicRequestLen);
  encode_atomic_request(ab.data(), ar);
  wire_seed("atomic_request", 9, ab);
  std::vector<uint8_t> ap(kAtomicResponseLen);
  encode_atomic_response(ap.data(), AtomicResponse{9, 0x1122334455667788ull});
  wire_seed("atomic_response", 10, ap);
  std::vector<uint8_t> tb(kTerminateHeaderLen);
  encode_terminate(tb.data(), TerminateHeader{term::DdpTaggedBaseBounds, true, true, false});
  wire_seed("terminate_header", 11, tb);
  TerminateMessage tm;
  tm.code = term::RdmapBaseBounds;
  tm.has_ddp = true;
  tm.ddp_segment_length = 46;
  tm.ddp_header = ddp(s);
  tm.rdmap_header = rr;
  wire_seed("terminate_message", 12, encode_terminate_message(tm));
  std::vector<uint8_t> ping(kIcmpEchoHeaderLen + 8, 0);
  encode_icmp_echo(ping.data(), IcmpEcho{}, 8);
  wire_seed("ipv4_receive_icmp", 13, ipv4_packet(kIpProtoIcmp, ping));
  wire_seed("ipv4_receive_tcp", 13, ipv4_packet(kIpProtoTcp, tcp_segment(th, 0)));
  for (auto t : {mpa::RtrType::Write, mpa::RtrType::Read, mpa::RtrType::Send})
    wire_seed(std::string("rtr_") + mpa::to_string(t), 15, mpa::rtr_ulpdu(t));
}

/// The stream bytes of FPDUs carrying `ulpdus`, framed as the transmit path frames them
/// (with markers from stream position `pos` when `markers`).
std::vector<uint8_t> stream(const std::vector<std::vector<uint8_t>>& ulpdus, bool crc, bool markers, uint64_t pos) {
  tcp::SendBuffer sb(1 << 20);
  const auto none = [](mpa::RingWriter&) {};
  for (const auto& u : ulpdus) {
    const ConstByteSpan h(u.data(), u.size());
    if (markers)
      pos += mpa::write_fpdu(sb, h, 0, none, crc, pos);
    else
      mpa::write_fpdu(sb, h, 0, none, crc);
  }
  std::vector<uint8_t> out(sb.size());
  sb.copy_out(0, out.size(), out.data());
  return out;
}

void deframer_seed(const std::string& name, bool crc, bool markers, uint64_t start,
                   const std::vector<std::vector<uint8_t>>& ulpdus) {
  std::vector<uint8_t> in = {static_cast<uint8_t>((crc ? 1 : 0) | (markers ? 2 : 0) | (start ? 4 : 0)),
                             static_cast<uint8_t>(start >> 8), static_cast<uint8_t>(start), 0x35};
  const auto s = stream(ulpdus, crc, markers, start);
  in.insert(in.end(), s.begin(), s.end());
  save("mpa_deframer", name, in);
}

void deframer_seeds() {
  DdpHeader w;
  w.tagged = true;
  w.last = true;
  w.stag = 0x15a;
  w.to = 0x10064;
  DdpHeader s;
  s.last = true;
  s.opcode = static_cast<uint8_t>(RdmapOpcode::Send);
  s.msn = 1;
  const std::vector<std::vector<uint8_t>> mix = {ddp(w, std::vector<uint8_t>(700, 0x11)), ddp(s, {1, 2, 3}),
                                                 mpa::rtr_ulpdu(mpa::RtrType::Read), ddp(w)};
  deframer_seed("crc", true, false, 0, mix);
  deframer_seed("nocrc", false, false, 0, mix);
  deframer_seed("markers_crc", true, true, 0, mix);
  deframer_seed("markers_nocrc", false, true, 0, mix);
  deframer_seed("markers_ooo", true, true, 1000, mix);
  deframer_seed("ooo", true, false, 3000, mix);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds OUT_DIR\n");
    return 2;
  }
  g_out = argv[1];
  wire_seeds();
  deframer_seeds();
  return 0;
}

// Writes the seed corpora of the binary fuzz targets: make_seeds OUT_DIR writes
// OUT_DIR/wire/ (one valid packet of every kind fuzz_wire decodes), OUT_DIR/mpa_deframer/
// (streams of valid FPDUs: CRC on and off, markers on and off, an out-of-order start) and
// OUT_DIR/offload_rx/ (every RDMAP message a peer sends, valid and forbidden targets, out of
// order, FIN and RST). Built with the fuzz targets; `make fuzz-seeds` rewrites
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
#include "model/wire/verbs.h"
#include "tests/fuzz/offload_endpoint.h"

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

  // The verbs rings (model/wire/verbs.h): an RDMA Write WQE, an inline Send of 100 bytes
  // (3 slots), a receive WQE with two SGEs, a CQE and a doorbell.
  SqWqe wr;
  wr.wr_id = 1;
  wr.opcode = SqOpcode::RdmaWrite;
  wr.signaled = true;
  wr.num_sge = 1;
  wr.rkey = 0x102;
  wr.remote_addr = 0x10000;
  wr.total_length = 4096;
  wr.sge = {0x20000, 4096, 0x101};
  wire_seed("verbs_sq_write", 16, encode_sq_wqe(wr));
  SqWqe inl;
  inl.wr_id = 2;
  inl.opcode = SqOpcode::Send;
  inl.solicited = true;
  inl.is_inline = true;
  inl.inline_data.assign(100, 0x5A);
  inl.total_length = 100;
  wire_seed("verbs_sq_inline_send", 16, encode_sq_wqe(inl));
  RqWqe rq;
  rq.wr_id = 3;
  rq.sgl = {{0x30000, 2048, 0x103}, {0x40000, 2048, 0x103}};
  std::vector<uint8_t> rqb(kRqSlotLen);
  encode_rq_wqe(rqb.data(), rq);
  wire_seed("verbs_rq_wqe", 17, rqb);
  Cqe cqe;
  cqe.wr_id = 3;
  cqe.qpn = 1;
  cqe.byte_len = 4096;
  cqe.opcode = CqeOpcode::Recv;
  cqe.phase = true;
  std::vector<uint8_t> cb(kCqeLen);
  encode_cqe(cb.data(), cqe);
  wire_seed("verbs_cqe", 18, cb);
  std::vector<uint8_t> db(kDoorbellLen);
  encode_doorbell(db.data(), Doorbell{1, 7});
  wire_seed("verbs_doorbell", 19, db);
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

/// An offload_rx record: opcode, 16-bit length, bytes.
void record(std::vector<uint8_t>& in, uint8_t op, const std::vector<uint8_t>& b) {
  in.push_back(op);
  in.push_back(static_cast<uint8_t>(b.size() >> 8));
  in.push_back(static_cast<uint8_t>(b.size()));
  in.insert(in.end(), b.begin(), b.end());
}

void offload_seed(const std::string& name, uint8_t settings, const std::vector<std::vector<uint8_t>>& fpdus) {
  std::vector<uint8_t> in = {settings};
  for (const auto& u : fpdus) record(in, 0, u);
  save("offload_rx", name, in);
}

DdpHeader untagged(RdmapOpcode op, uint32_t qn, uint32_t msn, uint32_t stag = 0) {
  DdpHeader h;
  h.last = true;
  h.opcode = static_cast<uint8_t>(op);
  h.qn = qn;
  h.msn = msn;
  h.stag = stag;
  return h;
}
DdpHeader tagged(RdmapOpcode op, uint32_t stag, uint64_t to) {
  DdpHeader h;
  h.tagged = true;
  h.last = true;
  h.opcode = static_cast<uint8_t>(op);
  h.stag = stag;
  h.to = to;
  return h;
}

void offload_seeds() {
  const fuzz::Endpoint ep(true, false);  // for the STags it registers
  const auto write = ddp(tagged(RdmapOpcode::RdmaWrite, ep.write_stag(), 0x10064), std::vector<uint8_t>(600, 0x11));
  const auto send = ddp(untagged(RdmapOpcode::Send, kQnSend, 1), std::vector<uint8_t>(300, 0x22));
  const auto send_se_inv = ddp(untagged(RdmapOpcode::SendWithSeInvalidate, kQnSend, 2, ep.write_stag()), {1, 2});
  std::vector<uint8_t> rr(kReadRequestLen);
  encode_read_request(rr.data(), ReadRequest{0x777, 0x1000, 200, ep.read_stag(), 0x20008});
  const auto read_req = ddp(untagged(RdmapOpcode::RdmaReadRequest, kQnReadRequest, 1), rr);
  const auto read_resp = ddp(tagged(RdmapOpcode::RdmaReadResponse, ep.sink_stag(), 0x4000c), std::vector<uint8_t>(4000, 0x33));
  AtomicRequest ar;
  ar.aop = static_cast<uint8_t>(AtomicOp::FetchAdd);
  ar.request_id = 5;
  ar.stag = ep.atomic_stag();
  ar.to = 0x30008;
  ar.add_swap = 9;
  std::vector<uint8_t> ab(kAtomicRequestLen);
  encode_atomic_request(ab.data(), ar);
  const auto atomic_req = ddp(untagged(RdmapOpcode::AtomicRequest, kQnAtomicRequest, 1), ab);
  std::vector<uint8_t> ap(kAtomicResponseLen);
  encode_atomic_response(ap.data(), AtomicResponse{1, 42});
  const auto atomic_resp = ddp(untagged(RdmapOpcode::AtomicResponse, kQnAtomicResponse, 1), ap);
  TerminateMessage tm;
  tm.code = term::DdpTaggedBaseBounds;
  const auto terminate = ddp(untagged(RdmapOpcode::Terminate, kQnTerminate, 1), encode_terminate_message(tm));

  offload_seed("write", 1, {write});
  offload_seed("send", 1, {send, send_se_inv});
  offload_seed("read_request", 1, {read_req});
  offload_seed("read_response", 1, {read_resp});
  offload_seed("atomic_request", 1, {atomic_req});
  offload_seed("atomic_response", 1, {atomic_resp});
  offload_seed("terminate", 1, {terminate});
  offload_seed("all_nocrc", 0, {write, send, read_req, atomic_req, read_resp, atomic_resp, send_se_inv});
  offload_seed("all_markers", 3, {write, send, read_req, atomic_req, read_resp, atomic_resp, send_se_inv});
  offload_seed("forbidden", 1,
               {ddp(tagged(RdmapOpcode::RdmaWrite, ep.read_stag(), 0x20008), {1}),
                ddp(tagged(RdmapOpcode::RdmaWrite, ep.other_pd_stag(), 0x50010), {1}),
                ddp(tagged(RdmapOpcode::RdmaWrite, ep.dead_stag(), 0x60000), {1})});
  {
    // Out of order: the second FPDU first (placed early), then the first; then a timer.
    const auto first = ep.frame(write, 0);
    const auto w2 = ddp(tagged(RdmapOpcode::RdmaWrite, ep.write_stag(), 0x10064 + 600), std::vector<uint8_t>(200, 0x44));
    const auto second = ep.frame(w2, first.size());
    std::vector<uint8_t> in = {1};
    std::vector<uint8_t> seg = {tcp_flags::kAck, static_cast<uint8_t>(first.size() >> 8),
                                static_cast<uint8_t>(first.size()), 0, 0xff, 0xff};
    seg.insert(seg.end(), second.begin(), second.end());
    record(in, 2, seg);
    record(in, 1, first);
    record(in, 4, {200});
    save("offload_rx", "out_of_order", in);
  }
  {
    // A whole TCP header: a FIN from the peer, and a RST out of the window.
    TcpHeader fin;
    fin.sport = 4000;
    fin.dport = 5000;
    fin.seq = fuzz::kPeerIsn + 1;
    fin.ack = fuzz::kIsn + 1;
    fin.flags = tcp_flags::kFin | tcp_flags::kAck;
    fin.window = 1000;
    std::vector<uint8_t> in = {1};
    record(in, 3, tcp_segment(fin, 0));
    TcpHeader rst = fin;
    rst.seq += 100000;
    rst.flags = tcp_flags::kRst;
    record(in, 3, tcp_segment(rst, 0));
    record(in, 4, {255});
    save("offload_rx", "tcp_fin_rst", in);
  }
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
  offload_seeds();
  return 0;
}

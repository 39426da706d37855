#include "model/proto/ip/frame.h"

namespace rnicsim::ip {
namespace {
constexpr size_t kL4 = wire::kEthHeaderLen + wire::kIpv4HeaderLen;
constexpr uint8_t kEct0 = 2;
}  // namespace

FramePtr build_tcp_frame(FramePool& pool, Ipv4Sender& ipv4, const TcpFrameAddrs& a, const wire::TcpHeader& hdr,
                         size_t payload_len, bool ect, uint8_t** payload) {
  const size_t tcp_hlen = wire::tcp_header_length(hdr.opts);
  const size_t tcp_len = tcp_hlen + payload_len;
  FramePtr f = pool.make();
  f->bytes.resize(kL4 + tcp_len);
  uint8_t* p = f->bytes.data();
  wire::encode_eth(p, {a.dst_mac, a.src_mac, wire::kEtherTypeIpv4});
  ipv4.write(p + wire::kEthHeaderLen, a.src_ip, a.dst_ip, wire::kIpProtoTcp, tcp_len, ect ? kEct0 : 0);
  uint8_t* seg = p + kL4;
  wire::encode_tcp(seg, hdr);
  *payload = seg + tcp_hlen;
  return f;
}

void fill_tcp_checksum(Frame& f, const TcpFrameAddrs& a) {
  wire::tcp_fill_checksum(f.bytes.data() + kL4, f.bytes.size() - kL4, a.src_ip, a.dst_ip);
}

}  // namespace rnicsim::ip

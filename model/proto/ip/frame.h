#pragma once
/// One TCP segment's frame, built once with every header in place (Ethernet, IPv4 through
/// an Ipv4Sender, TCP), the payload copied in by the caller, then the TCP checksum.
/// The offload engine and the host's stack build every segment here.
#include <cstddef>
#include <cstdint>

#include "model/common/frame.h"
#include "model/proto/ip/ipv4.h"
#include "model/wire/tcp.h"

namespace rnicsim::ip {

struct TcpFrameAddrs {
  wire::MacAddr src_mac = 0, dst_mac = 0;
  wire::Ipv4Addr src_ip = 0, dst_ip = 0;
};

/// A frame from `pool` for `hdr` and `payload_len` bytes; `*payload` is where the caller
/// writes them. `ect`: ECT(0) in the IPv4 header (RFC 3168).
FramePtr build_tcp_frame(FramePool& pool, Ipv4Sender& ipv4, const TcpFrameAddrs& a, const wire::TcpHeader& hdr,
                         size_t payload_len, bool ect, uint8_t** payload);
/// The TCP checksum of a frame from build_tcp_frame, once its payload is in place.
void fill_tcp_checksum(Frame& f, const TcpFrameAddrs& a);

}  // namespace rnicsim::ip

#include "model/wire/ddp_rdmap.h"

#include "model/common/bytes.h"

namespace rnicsim::wire {

namespace {
// DDP control byte (RFC 5041 s.4): T, L, reserved, DV; RDMAP control byte (RFC 5040 s.4):
// RV, reserved, opcode.
constexpr uint8_t kDdpT = 0x80, kDdpL = 0x40, kDdpRsvdMask = 0x3C, kDdpDvMask = 0x03;
constexpr uint8_t kRdmapRvShift = 6, kRdmapOpMask = 0x0F;
// Terminate control (RFC 5040 s.4.8), byte 2.
constexpr uint8_t kTermM = 0x80, kTermD = 0x40, kTermR = 0x20;
}  // namespace

const char* to_string(RdmapOpcode op) {
  switch (op) {
    case RdmapOpcode::RdmaWrite: return "RDMA Write";
    case RdmapOpcode::RdmaReadRequest: return "RDMA Read Request";
    case RdmapOpcode::RdmaReadResponse: return "RDMA Read Response";
    case RdmapOpcode::Send: return "Send";
    case RdmapOpcode::SendWithInvalidate: return "Send with Invalidate";
    case RdmapOpcode::SendWithSe: return "Send with Solicited Event";
    case RdmapOpcode::SendWithSeInvalidate: return "Send with Solicited Event and Invalidate";
    case RdmapOpcode::Terminate: return "Terminate";
    case RdmapOpcode::AtomicRequest: return "Atomic Request";
    case RdmapOpcode::AtomicResponse: return "Atomic Response";
  }
  return "unknown";
}

size_t encode_ddp(uint8_t* out, const DdpHeader& h) {
  out[0] = static_cast<uint8_t>((h.tagged ? kDdpT : 0) | (h.last ? kDdpL : 0) |
                                ((h.reserved << 2) & kDdpRsvdMask) | (h.ddp_version & kDdpDvMask));
  // RDMAP's reserved bits 0x30 are written 0.
  out[1] = static_cast<uint8_t>(((h.rdmap_version & 0x3) << kRdmapRvShift) |
                                (h.opcode & kRdmapOpMask));
  store_be32(out + 2, h.stag);
  if (h.tagged) {
    store_be64(out + 6, h.to);
    return kDdpTaggedHeaderLen;
  }
  store_be32(out + 6, h.qn);
  store_be32(out + 10, h.msn);
  store_be32(out + 14, h.mo);
  return kDdpUntaggedHeaderLen;
}

Decoded<DdpHeader> decode_ddp(const uint8_t* p, size_t len) {
  Decoded<DdpHeader> d;
  if (len < 1) return d;
  DdpHeader& h = d.value;
  h.tagged = (p[0] & kDdpT) != 0;
  const size_t hlen = ddp_header_length(h.tagged);
  if (len < hlen) return d;
  h.last = (p[0] & kDdpL) != 0;
  h.reserved = static_cast<uint8_t>((p[0] & kDdpRsvdMask) >> 2);
  h.ddp_version = static_cast<uint8_t>(p[0] & kDdpDvMask);
  h.rdmap_version = static_cast<uint8_t>(p[1] >> kRdmapRvShift);
  h.opcode = static_cast<uint8_t>(p[1] & kRdmapOpMask);
  h.stag = load_be32(p + 2);
  if (h.tagged) {
    h.to = load_be64(p + 6);
  } else {
    h.qn = load_be32(p + 6);
    h.msn = load_be32(p + 10);
    h.mo = load_be32(p + 14);
  }
  d.length = hlen;
  d.status = DecodeStatus::Ok;
  return d;
}

size_t encode_atomic_request(uint8_t* out, const AtomicRequest& r) {
  store_be32(out, (r.reserved << 4) | (r.aop & 0x0Fu));
  store_be32(out + 4, r.request_id);
  store_be32(out + 8, r.stag);
  store_be64(out + 12, r.to);
  store_be64(out + 20, r.add_swap);
  store_be64(out + 28, r.add_swap_mask);
  store_be64(out + 36, r.compare);
  store_be64(out + 44, r.compare_mask);
  return kAtomicRequestLen;
}

Decoded<AtomicRequest> decode_atomic_request(const uint8_t* p, size_t len) {
  Decoded<AtomicRequest> d;
  if (len < kAtomicRequestLen) return d;
  AtomicRequest& r = d.value;
  const uint32_t w0 = load_be32(p);
  r.aop = static_cast<uint8_t>(w0 & 0x0Fu);
  r.reserved = w0 >> 4;
  r.request_id = load_be32(p + 4);
  r.stag = load_be32(p + 8);
  r.to = load_be64(p + 12);
  r.add_swap = load_be64(p + 20);
  r.add_swap_mask = load_be64(p + 28);
  r.compare = load_be64(p + 36);
  r.compare_mask = load_be64(p + 44);
  d.length = kAtomicRequestLen;
  d.status = DecodeStatus::Ok;
  return d;
}

size_t encode_atomic_response(uint8_t* out, const AtomicResponse& r) {
  store_be32(out, r.request_id);
  store_be64(out + 4, r.original);
  return kAtomicResponseLen;
}

Decoded<AtomicResponse> decode_atomic_response(const uint8_t* p, size_t len) {
  Decoded<AtomicResponse> d;
  if (len < kAtomicResponseLen) return d;
  d.value.request_id = load_be32(p);
  d.value.original = load_be64(p + 4);
  d.length = kAtomicResponseLen;
  d.status = DecodeStatus::Ok;
  return d;
}

uint64_t atomic_apply(const AtomicRequest& r, uint64_t v) {
  if (r.aop == static_cast<uint8_t>(AtomicOp::CmpSwap)) {
    if ((v & r.compare_mask) != (r.compare & r.compare_mask)) return v;
    return (v & ~r.add_swap_mask) | (r.add_swap & r.add_swap_mask);
  }
  if (r.add_swap_mask == 0) return v + r.add_swap;
  // Partitioned add: each field ends at a set mask bit; the carry stops there.
  uint64_t out = 0, carry = 0;
  for (int b = 0; b < 64; ++b) {
    const uint64_t s = ((v >> b) & 1) + ((r.add_swap >> b) & 1) + carry;
    out |= (s & 1) << b;
    carry = ((r.add_swap_mask >> b) & 1) ? 0 : s >> 1;
  }
  return out;
}

size_t encode_read_request(uint8_t* out, const ReadRequest& r) {
  store_be32(out, r.sink_stag);
  store_be64(out + 4, r.sink_to);
  store_be32(out + 12, r.size);
  store_be32(out + 16, r.src_stag);
  store_be64(out + 20, r.src_to);
  return kReadRequestLen;
}

Decoded<ReadRequest> decode_read_request(const uint8_t* p, size_t len) {
  Decoded<ReadRequest> d;
  if (len < kReadRequestLen) return d;
  d.value.sink_stag = load_be32(p);
  d.value.sink_to = load_be64(p + 4);
  d.value.size = load_be32(p + 12);
  d.value.src_stag = load_be32(p + 16);
  d.value.src_to = load_be64(p + 20);
  d.length = kReadRequestLen;
  d.status = DecodeStatus::Ok;
  return d;
}

size_t encode_terminate(uint8_t* out, const TerminateHeader& t) {
  out[0] = static_cast<uint8_t>(((t.code.layer & 0xF) << 4) | (t.code.etype & 0xF));
  out[1] = t.code.code;
  out[2] = static_cast<uint8_t>((t.m ? kTermM : 0) | (t.d ? kTermD : 0) | (t.r ? kTermR : 0));
  out[3] = 0;
  return kTerminateHeaderLen;
}

Decoded<TerminateHeader> decode_terminate(const uint8_t* p, size_t len) {
  Decoded<TerminateHeader> d;
  if (len < kTerminateHeaderLen) return d;
  d.value.code.layer = static_cast<uint8_t>(p[0] >> 4);
  d.value.code.etype = static_cast<uint8_t>(p[0] & 0xF);
  d.value.code.code = p[1];
  d.value.m = (p[2] & kTermM) != 0;
  d.value.d = (p[2] & kTermD) != 0;
  d.value.r = (p[2] & kTermR) != 0;
  d.length = kTerminateHeaderLen;
  d.status = DecodeStatus::Ok;
  return d;
}

std::vector<uint8_t> encode_terminate_message(const TerminateMessage& m) {
  std::vector<uint8_t> out(kTerminateHeaderLen);
  TerminateHeader t;
  t.code = m.code;
  t.d = m.has_ddp;
  t.m = m.has_ddp;
  t.r = !m.rdmap_header.empty();
  encode_terminate(out.data(), t);
  if (m.has_ddp) {
    out.push_back(static_cast<uint8_t>(m.ddp_segment_length >> 8));
    out.push_back(static_cast<uint8_t>(m.ddp_segment_length));
    out.insert(out.end(), m.ddp_header.begin(), m.ddp_header.end());
  }
  out.insert(out.end(), m.rdmap_header.begin(), m.rdmap_header.end());
  return out;
}

Decoded<TerminateMessage> decode_terminate_message(const uint8_t* p, size_t len) {
  Decoded<TerminateMessage> d;
  auto t = decode_terminate(p, len);
  if (!t) return d;
  TerminateMessage& m = d.value;
  m.code = t.value.code;
  size_t pos = kTerminateHeaderLen;
  if (t.value.d) {
    if (len < pos + 3) return d;
    m.has_ddp = true;
    m.ddp_segment_length = load_be16(p + pos);
    pos += 2;
    const size_t hlen = ddp_header_length((p[pos] & kDdpT) != 0);
    if (len < pos + hlen) return d;
    m.ddp_header.assign(p + pos, p + pos + hlen);
    pos += hlen;
  }
  if (t.value.r) {
    m.rdmap_header.assign(p + pos, p + len);
    pos = len;
  }
  d.length = pos;
  d.status = DecodeStatus::Ok;
  return d;
}

namespace {
struct TermEntry {
  TermCode code;
  const char* name;
};
// Names after RFC 5040 s.7.2, RFC 5041 s.7.2 and RFC 5044 s.8.
constexpr TermEntry kTermNames[] = {
    {term::RdmapLocalCatastrophic, "RDMAP: local catastrophic error"},
    {term::RdmapInvalidStag, "RDMAP remote protection: invalid STag"},
    {term::RdmapBaseBounds, "RDMAP remote protection: base or bounds violation"},
    {term::RdmapAccessRights, "RDMAP remote protection: access rights violation"},
    {term::RdmapStagNotAssociated,
     "RDMAP remote protection: STag not associated with RDMAP stream"},
    {term::RdmapToWrap, "RDMAP remote protection: TO wrap"},
    {term::RdmapProtStagCannotInvalidate, "RDMAP remote protection: STag cannot be invalidated"},
    {term::RdmapProtUnspecified, "RDMAP remote protection: unspecified error"},
    {term::RdmapBadVersion, "RDMAP remote operation: invalid RDMAP version"},
    {term::RdmapUnexpectedOpcode, "RDMAP remote operation: unexpected opcode"},
    {term::RdmapCatastrophicStream, "RDMAP remote operation: catastrophic error, localized to stream"},
    {term::RdmapCatastrophicGlobal, "RDMAP remote operation: catastrophic error, global"},
    {term::RdmapOpStagCannotInvalidate, "RDMAP remote operation: STag cannot be invalidated"},
    {term::RdmapOpUnspecified, "RDMAP remote operation: unspecified error"},
    {term::DdpLocalCatastrophic, "DDP: local catastrophic error"},
    {term::DdpTaggedInvalidStag, "DDP tagged: invalid STag"},
    {term::DdpTaggedBaseBounds, "DDP tagged: base or bounds violation"},
    {term::DdpTaggedStagNotAssociated, "DDP tagged: STag not associated with DDP stream"},
    {term::DdpTaggedToWrap, "DDP tagged: TO wrap"},
    {term::DdpTaggedBadVersion, "DDP tagged: invalid DDP version"},
    {term::DdpUntaggedInvalidQn, "DDP untagged: invalid QN"},
    {term::DdpUntaggedNoBuffer, "DDP untagged: no buffer available"},
    {term::DdpUntaggedMsnRange, "DDP untagged: invalid MSN range"},
    {term::DdpUntaggedInvalidMo, "DDP untagged: invalid MO"},
    {term::DdpUntaggedMessageTooLong, "DDP untagged: message too long for buffer"},
    {term::DdpUntaggedBadVersion, "DDP untagged: invalid DDP version"},
    {term::MpaConnectionLost, "LLP: connection lost"},
    {term::MpaCrcError, "LLP: MPA CRC error"},
    {term::MpaMarkerMismatch, "LLP: MPA marker and ULPDU length mismatch"},
    {term::MpaInvalidReqRep, "LLP: invalid MPA Request/Reply frame"},
    {term::MpaLocalCatastrophic, "LLP: local catastrophic error"},
    {term::MpaInsufficientIrd, "LLP: insufficient IRD resources"},
    {term::MpaNoMatchingRtr, "LLP: no matching RTR"},
};
}  // namespace

const char* term_name(TermCode c) {
  for (const TermEntry& e : kTermNames) {
    if (e.code == c) return e.name;
  }
  return "unknown";
}

}  // namespace rnicsim::wire

#include "model/proto/mpa/rtr.h"

#include "model/wire/ddp_rdmap.h"

namespace rnicsim::mpa {

const char* to_string(RtrType t) {
  switch (t) {
    case RtrType::None: return "none";
    case RtrType::Write: return "write";
    case RtrType::Read: return "read";
    case RtrType::Send: return "send";
  }
  return "?";
}

uint8_t rtr_mask(RtrType t) {
  switch (t) {
    case RtrType::Write: return kRtrWrite;
    case RtrType::Read: return kRtrRead;
    case RtrType::Send: return kRtrSend;
    case RtrType::None: break;
  }
  return 0;
}

RtrType pick_rtr(uint8_t offered, uint8_t accepted) {
  const uint8_t both = offered & accepted;
  if (both & kRtrWrite) return RtrType::Write;
  if (both & kRtrRead) return RtrType::Read;
  if (both & kRtrSend) return RtrType::Send;
  return RtrType::None;
}

namespace {
wire::DdpHeader untagged(wire::RdmapOpcode op, uint32_t qn) {
  wire::DdpHeader h;
  h.tagged = false;
  h.last = true;
  h.opcode = static_cast<uint8_t>(op);
  h.qn = qn;
  h.msn = 1;
  h.mo = 0;
  return h;
}
}  // namespace

std::vector<uint8_t> rtr_ulpdu(RtrType t) {
  std::vector<uint8_t> out;
  wire::DdpHeader h;
  switch (t) {
    case RtrType::None: return out;
    case RtrType::Write:
      h.tagged = true;
      h.last = true;
      h.opcode = static_cast<uint8_t>(wire::RdmapOpcode::RdmaWrite);
      h.stag = 0;
      h.to = 0;
      out.resize(wire::kDdpTaggedHeaderLen);
      wire::encode_ddp(out.data(), h);
      return out;
    case RtrType::Read: {
      h = untagged(wire::RdmapOpcode::RdmaReadRequest, wire::kQnReadRequest);
      out.resize(wire::kDdpUntaggedHeaderLen + wire::kReadRequestLen);
      wire::encode_ddp(out.data(), h);
      wire::encode_read_request(out.data() + wire::kDdpUntaggedHeaderLen, wire::ReadRequest{});
      return out;
    }
    case RtrType::Send:
      h = untagged(wire::RdmapOpcode::Send, wire::kQnSend);
      out.resize(wire::kDdpUntaggedHeaderLen);
      wire::encode_ddp(out.data(), h);
      return out;
  }
  return out;
}

bool is_rtr(RtrType t, ConstByteSpan u) {
  auto d = wire::decode_ddp(u.data(), u.size());
  if (!d) return false;
  const wire::DdpHeader& h = d.value;
  const size_t body = u.size() - d.length;
  if (!h.last) return false;
  switch (t) {
    case RtrType::None: return false;
    case RtrType::Write:
      return h.tagged && h.opcode == static_cast<uint8_t>(wire::RdmapOpcode::RdmaWrite) &&
             body == 0;
    case RtrType::Read: {
      if (h.tagged || h.opcode != static_cast<uint8_t>(wire::RdmapOpcode::RdmaReadRequest) ||
          h.qn != wire::kQnReadRequest || h.msn != 1 || h.mo != 0 ||
          body != wire::kReadRequestLen)
        return false;
      auto r = wire::decode_read_request(u.data() + d.length, body);
      return r && r.value.size == 0;
    }
    case RtrType::Send:
      return !h.tagged && h.opcode == static_cast<uint8_t>(wire::RdmapOpcode::Send) &&
             h.qn == wire::kQnSend && h.msn == 1 && h.mo == 0 && body == 0;
  }
  return false;
}

std::vector<uint8_t> rtr_read_response(ConstByteSpan req) {
  auto d = wire::decode_ddp(req.data(), req.size());
  auto r = wire::decode_read_request(req.data() + d.length, req.size() - d.length);
  wire::DdpHeader h;
  h.tagged = true;
  h.last = true;
  h.opcode = static_cast<uint8_t>(wire::RdmapOpcode::RdmaReadResponse);
  h.stag = r.value.sink_stag;
  h.to = r.value.sink_to;
  std::vector<uint8_t> out(wire::kDdpTaggedHeaderLen);
  wire::encode_ddp(out.data(), h);
  return out;
}

bool is_rtr_read_response(ConstByteSpan u) {
  auto d = wire::decode_ddp(u.data(), u.size());
  return d && d.value.tagged && d.value.last &&
         d.value.opcode == static_cast<uint8_t>(wire::RdmapOpcode::RdmaReadResponse) &&
         u.size() == d.length;
}

}  // namespace rnicsim::mpa

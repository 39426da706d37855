#include "model/proto/mpa/negotiation.h"

#include <algorithm>

namespace rnicsim::mpa {
namespace {

/// The RTR types named by the W, R and Z bits of an enhanced prefix, as a mask.
uint8_t rtr_bits(const wire::MpaEnhanced& e) {
  return static_cast<uint8_t>((e.zero_write_rtr ? kRtrWrite : 0) | (e.zero_read_rtr ? kRtrRead : 0) |
                              (e.zero_send_rtr ? kRtrSend : 0));
}

}  // namespace

PeerFrame read_peer_frame(const uint8_t* p, size_t n, bool expect_reply) {
  PeerFrame r;
  auto d = wire::decode_mpa_reqrep(p, n);
  if (d.status == wire::DecodeStatus::Truncated) return r;  // NeedMore
  if (!d || d.value.reply != expect_reply || d.value.revision < 1) {
    r.status = FrameStatus::Invalid;
    return r;
  }
  r.status = FrameStatus::Ok;
  r.frame = std::move(d.value);
  r.length = d.length;
  return r;
}

wire::MpaReqRep make_request(const Settings& local, const DeviceLimits& dev) {
  wire::MpaReqRep req;
  req.reply = false;
  req.markers = local.markers;
  req.crc = local.crc;
  req.revision = static_cast<uint8_t>(local.revision);
  req.enhanced = local.revision == 2;
  req.ird_ord.ird = static_cast<uint16_t>(std::min(local.ird, dev.max_ird));
  req.ird_ord.ord = static_cast<uint16_t>(std::min(local.ord, dev.max_ird));
  if (req.enhanced && dev.rtr_types != 0) {
    // Peer-to-peer mode: offer every RTR type this RNIC can send.
    req.ird_ord.peer_to_peer = true;
    req.ird_ord.zero_write_rtr = (dev.rtr_types & kRtrWrite) != 0;
    req.ird_ord.zero_read_rtr = (dev.rtr_types & kRtrRead) != 0;
    req.ird_ord.zero_send_rtr = (dev.rtr_types & kRtrSend) != 0;
  }
  req.private_data = local.private_data;
  return req;
}

Accepted accept_request(const Settings& local, const DeviceLimits& dev, const wire::MpaReqRep& req) {
  Accepted a;
  Params& p = a.params;
  // RFC 6581: a revision-1 peer gets a revision-1 Reply.
  p.revision = std::min<int>(req.revision, local.revision);
  p.crc = local.crc || req.crc;  // CRC both ways if either side asks (RFC 5044 s.7.1)
  p.markers_tx = req.markers;
  p.markers_rx = local.markers;
  if (p.revision == 2 && req.enhanced) {
    // Responder: local ORD = peer IRD, local IRD = peer ORD, clipped to the device.
    p.ord = std::min<uint32_t>({static_cast<uint32_t>(req.ird_ord.ird), local.ord, dev.max_ird});
    p.ird = std::min<uint32_t>({static_cast<uint32_t>(req.ird_ord.ord), local.ird, dev.max_ird});
  } else {
    p.ird = local.ird;
    p.ord = local.ord;
  }
  wire::MpaReqRep& rep = a.reply;
  rep.reply = true;
  rep.markers = local.markers;
  rep.crc = p.crc;
  rep.revision = static_cast<uint8_t>(p.revision);
  rep.enhanced = p.revision == 2 && req.enhanced;
  rep.ird_ord.ird = static_cast<uint16_t>(p.ird);
  rep.ird_ord.ord = static_cast<uint16_t>(p.ord);
  if (rep.enhanced && req.ird_ord.peer_to_peer) {
    // Peer-to-peer mode: pick one RTR type the initiator offered and we accept; with none
    // in common the Reply leaves P clear and no RTR is exchanged.
    p.rtr = pick_rtr(rtr_bits(req.ird_ord), dev.rtr_types);
    if (p.rtr != RtrType::None) {
      rep.ird_ord.peer_to_peer = true;
      rep.ird_ord.zero_write_rtr = p.rtr == RtrType::Write;
      rep.ird_ord.zero_read_rtr = p.rtr == RtrType::Read;
      rep.ird_ord.zero_send_rtr = p.rtr == RtrType::Send;
    }
  }
  rep.private_data = local.private_data;
  return a;
}

wire::MpaReqRep reject_request(const Settings& local, const wire::MpaReqRep& req) {
  wire::MpaReqRep rep;
  rep.reply = true;
  rep.reject = true;
  rep.crc = local.crc;
  rep.revision = static_cast<uint8_t>(std::min<int>(req.revision, local.revision));
  rep.enhanced = rep.revision == 2 && req.enhanced;
  rep.private_data = local.private_data;
  return rep;
}

ReplyResult read_reply(const Settings& local, const DeviceLimits& dev, const wire::MpaReqRep& rep) {
  ReplyResult r;
  if (rep.revision < 1 || rep.revision > local.revision) return r;  // Invalid
  if (rep.reject) {
    r.outcome = ReplyOutcome::Rejected;
    return r;
  }
  Params& p = r.params;
  p.revision = rep.revision;
  p.crc = local.crc || rep.crc;
  p.markers_tx = rep.markers;
  p.markers_rx = local.markers;
  if (rep.enhanced) {
    p.ird = std::min<uint32_t>(local.ird, rep.ird_ord.ord);
    p.ord = std::min<uint32_t>(local.ord, rep.ird_ord.ird);
    if (rep.ird_ord.peer_to_peer) {
      // The responder names exactly one RTR type, one that was offered (RFC 6581 s.8); any
      // other choice is an invalid Reply (LLP code 0x04).
      const uint8_t chosen = rtr_bits(rep.ird_ord);
      const RtrType t = pick_rtr(chosen, dev.rtr_types);
      if (t == RtrType::None || rtr_mask(t) != chosen) return r;  // Invalid
      p.rtr = t;
      p.rtr_initiator = true;
    }
  } else {
    p.ird = local.ird;
    p.ord = local.ord;
  }
  r.outcome = ReplyOutcome::Accepted;
  return r;
}

}  // namespace rnicsim::mpa

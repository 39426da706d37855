#pragma once
/// MPA connection setup (RFC 5044 s.7, RFC 6581): what each side puts in its Request or
/// Reply, and what the two frames settle for the connection: revision, CRC, markers per
/// direction, IRD/ORD and, in peer-to-peer mode, the RTR type. Plain C++ with no clock:
/// the firmware charges the embedded core's time, moves the bytes and raises the host's
/// events; every decision of the exchange is made here (docs/mpa.md, "Connection setup").
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/proto/mpa/rtr.h"
#include "model/wire/mpa.h"

namespace rnicsim::mpa {

/// One side's MPA settings, as its host asks for them (the scenario's `mpa.*` keys).
struct Settings {
  int revision = 2;
  bool markers = false;  ///< M: markers wanted in the stream this side receives
  bool crc = true;       ///< C
  uint32_t ird = 16, ord = 16;
  std::vector<uint8_t> private_data;  ///< the application's, after any enhanced prefix
  bool reject = false;                ///< a responder's host refuses the connection
};

/// The device's limits, the same for every connection of one RNIC.
struct DeviceLimits {
  uint32_t max_ird = 128;  ///< the most IRD and ORD it holds
  /// RFC 6581 peer-to-peer mode: the RTR types (kRtrWrite | kRtrRead | kRtrSend) it offers
  /// as an initiator and accepts as a responder; 0 = no peer-to-peer mode.
  uint8_t rtr_types = kRtrAll;
};

/// What the exchange settled, seen from one side.
struct Params {
  int revision = 2;
  bool crc = true;
  bool markers_tx = false;  ///< markers in the stream this side sends
  bool markers_rx = false;  ///< markers in the stream this side receives
  uint32_t ird = 16, ord = 16;
  RtrType rtr = RtrType::None;  ///< RFC 6581 peer-to-peer mode: the RTR message
  bool rtr_initiator = false;   ///< this side sends the RTR (else it waits for it)
};

/// The peer's frame read from the start of the bytes received so far.
enum class FrameStatus { NeedMore, Invalid, Ok };
struct PeerFrame {
  FrameStatus status = FrameStatus::NeedMore;
  wire::MpaReqRep frame;  ///< when Ok
  size_t length = 0;      ///< the frame's bytes, when Ok; stream bytes behind it are the ULP's
};
/// The peer's Request (`expect_reply` false) or Reply: NeedMore until the header and all
/// its private data are there (call again with more bytes); Invalid on a malformed frame
/// (wrong key, private data over 512 bytes, an enhanced frame too short for its prefix),
/// the other key than expected, or revision 0 (RFC 5044 s.7.1: the connection ends).
PeerFrame read_peer_frame(const uint8_t* p, size_t n, bool expect_reply);

/// The initiator's Request: its M, C and revision; revision 2 carries the enhanced prefix
/// with IRD and ORD clipped to the device and, when the device has RTR types, P and every
/// type it offers.
wire::MpaReqRep make_request(const Settings& local, const DeviceLimits& dev);

/// The responder's answer to a Request it accepts.
struct Accepted {
  wire::MpaReqRep reply;
  Params params;
};
/// Revision min(peer's, own); CRC if either side asks; markers_tx = the peer's M; with a
/// revision-2 enhanced Request, ORD = min(peer IRD, own ORD, device max) and IRD =
/// min(peer ORD, own IRD, device max), and in peer-to-peer mode the first RTR type of
/// Write, Read, Send both offer (none in common: P clear, no RTR).
Accepted accept_request(const Settings& local, const DeviceLimits& dev, const wire::MpaReqRep& request);
/// The responder's Reply refusing a Request: R set, its own private data, no prefix values.
wire::MpaReqRep reject_request(const Settings& local, const wire::MpaReqRep& request);

/// What the initiator makes of the Reply.
enum class ReplyOutcome {
  Accepted,  ///< `params` hold for the connection
  Rejected,  ///< R set: the responder refused
  Invalid,   ///< a revision above ours or 0, or a wrong RTR choice: the connection ends
};
struct ReplyResult {
  ReplyOutcome outcome = ReplyOutcome::Invalid;
  Params params;  ///< when Accepted
};
/// A Reply's revision may be ours or lower (a revision-2 initiator speaks revision 1 to a
/// revision-1 responder, RFC 6581 s.5). A peer-to-peer Reply must name exactly one RTR
/// type, one this side offered (RFC 6581 s.8).
ReplyResult read_reply(const Settings& local, const DeviceLimits& dev, const wire::MpaReqRep& reply);

}  // namespace rnicsim::mpa

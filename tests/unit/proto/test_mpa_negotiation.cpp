// MPA connection setup without a clock: the Request each side sends, the responder's
// Reply, what each side settles (docs/mpa.md, "Connection setup" and "Peer-to-peer mode"),
// with every frame going through its bytes.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "model/proto/mpa/negotiation.h"
#include "model/wire/mpa.h"
#include "tests/unit/wire/hex.h"

using namespace rnicsim;
using mpa::FrameStatus;
using mpa::ReplyOutcome;
using mpa::RtrType;
using rnicsim::test::hex;

namespace {

std::vector<uint8_t> key(const char* k) { return std::vector<uint8_t>(k, k + wire::kMpaKeyLen); }

std::vector<uint8_t> cat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

/// A frame as the peer reads it off the wire.
mpa::PeerFrame over_wire(const wire::MpaReqRep& f, bool expect_reply) {
  const std::vector<uint8_t> b = wire::encode_mpa_reqrep(f);
  return mpa::read_peer_frame(b.data(), b.size(), expect_reply);
}

/// One whole exchange: the initiator's Request, the responder accepting it, the initiator
/// reading the Reply; every frame encoded and decoded on the way.
struct Exchange {
  mpa::Settings init, resp;
  mpa::DeviceLimits init_dev, resp_dev;
  wire::MpaReqRep request, reply;  ///< as each side received it
  mpa::Params resp_params;
  mpa::ReplyResult init_result;

  void run() {
    mpa::PeerFrame req = over_wire(mpa::make_request(init, init_dev), false);
    REQUIRE(req.status == FrameStatus::Ok);
    request = req.frame;
    const mpa::Accepted a = mpa::accept_request(resp, resp_dev, request);
    resp_params = a.params;
    mpa::PeerFrame rep = over_wire(a.reply, true);
    REQUIRE(rep.status == FrameStatus::Ok);
    reply = rep.frame;
    init_result = mpa::read_reply(init, init_dev, reply);
  }
};

}  // namespace

TEST_CASE("revision 2 Request, byte for byte: C, the enhanced bit, IRD/ORD and every RTR type", "[mpa][negotiation]") {
  mpa::Settings s;  // revision 2, CRC, no markers, IRD = ORD = 16
  s.private_data = {0xAB, 0xCD};
  const std::vector<uint8_t> b = wire::encode_mpa_reqrep(mpa::make_request(s, mpa::DeviceLimits{}));
  // flags C|enhanced = 0x50, revision 2, private data 6 = prefix 4 + 2;
  // P|Z|IRD 16 = c010, W|R|ORD 16 = c010.
  CHECK(b == cat(key(wire::kMpaRequestKey), hex("50 02 0006 c010 c010 abcd")));
}

TEST_CASE("revision 2 both sides: IRD/ORD cross over, Write RTR chosen, both sides agree", "[mpa][negotiation]") {
  Exchange x;
  x.init.ird = 8;
  x.init.ord = 4;
  x.resp.ird = 16;
  x.resp.ord = 16;
  x.run();
  CHECK(x.request.revision == 2);
  CHECK(x.request.enhanced);
  CHECK(x.request.ird_ord.ird == 8);
  CHECK(x.request.ird_ord.ord == 4);
  // Responder: ORD = min(peer IRD 8, own 16), IRD = min(peer ORD 4, own 16).
  CHECK(x.resp_params.revision == 2);
  CHECK(x.resp_params.ord == 8);
  CHECK(x.resp_params.ird == 4);
  CHECK(x.reply.ird_ord.ird == 4);
  CHECK(x.reply.ird_ord.ord == 8);
  CHECK(x.resp_params.rtr == RtrType::Write);
  CHECK_FALSE(x.resp_params.rtr_initiator);
  CHECK(x.reply.ird_ord.peer_to_peer);
  CHECK(x.reply.ird_ord.zero_write_rtr);
  CHECK_FALSE(x.reply.ird_ord.zero_read_rtr);
  CHECK_FALSE(x.reply.ird_ord.zero_send_rtr);
  REQUIRE(x.init_result.outcome == ReplyOutcome::Accepted);
  const mpa::Params& p = x.init_result.params;
  CHECK(p.revision == 2);
  CHECK(p.ird == 8);  // min(own IRD 8, peer ORD 8)
  CHECK(p.ord == 4);  // min(own ORD 4, peer IRD 4)
  CHECK(p.rtr == RtrType::Write);
  CHECK(p.rtr_initiator);
}

TEST_CASE("revision interop: 2 meets 1 in revision 1, without the prefix or an RTR", "[mpa][negotiation]") {
  SECTION("revision-2 initiator, revision-1 responder") {
    Exchange x;
    x.init.ird = x.init.ord = 8;
    x.resp.revision = 1;
    x.resp.ird = x.resp.ord = 32;
    x.run();
    CHECK(x.request.revision == 2);
    CHECK(x.resp_params.revision == 1);
    CHECK(x.reply.revision == 1);
    CHECK_FALSE(x.reply.enhanced);
    // Without the prefix each side keeps its own IRD/ORD.
    CHECK(x.resp_params.ird == 32);
    CHECK(x.resp_params.ord == 32);
    CHECK(x.resp_params.rtr == RtrType::None);
    REQUIRE(x.init_result.outcome == ReplyOutcome::Accepted);
    CHECK(x.init_result.params.revision == 1);
    CHECK(x.init_result.params.ird == 8);
    CHECK(x.init_result.params.ord == 8);
    CHECK(x.init_result.params.rtr == RtrType::None);
    CHECK_FALSE(x.init_result.params.rtr_initiator);
  }
  SECTION("revision-1 initiator, revision-2 responder") {
    Exchange x;
    x.init.revision = 1;
    x.run();
    CHECK(x.request.revision == 1);
    CHECK_FALSE(x.request.enhanced);
    CHECK(x.reply.revision == 1);
    CHECK_FALSE(x.reply.enhanced);
    CHECK(x.resp_params.rtr == RtrType::None);
    REQUIRE(x.init_result.outcome == ReplyOutcome::Accepted);
    CHECK(x.init_result.params.revision == 1);
  }
  SECTION("a Reply of a higher revision than ours, or revision 0, is invalid") {
    mpa::Settings init;
    init.revision = 1;
    wire::MpaReqRep rep;
    rep.reply = true;
    rep.revision = 2;
    CHECK(mpa::read_reply(init, {}, rep).outcome == ReplyOutcome::Invalid);
    rep.revision = 0;
    CHECK(mpa::read_reply(init, {}, rep).outcome == ReplyOutcome::Invalid);
    CHECK(over_wire(rep, true).status == FrameStatus::Invalid);
  }
}

TEST_CASE("CRC is used both ways when either side asks", "[mpa][negotiation]") {
  for (bool ic : {false, true}) {
    for (bool rc : {false, true}) {
      Exchange x;
      x.init.crc = ic;
      x.resp.crc = rc;
      x.run();
      CAPTURE(ic, rc);
      CHECK(x.request.crc == ic);
      CHECK(x.reply.crc == (ic || rc));
      CHECK(x.resp_params.crc == (ic || rc));
      REQUIRE(x.init_result.outcome == ReplyOutcome::Accepted);
      CHECK(x.init_result.params.crc == (ic || rc));
    }
  }
}

TEST_CASE("markers per direction: a side's M asks for markers in the stream it receives", "[mpa][negotiation]") {
  for (bool im : {false, true}) {
    for (bool rm : {false, true}) {
      Exchange x;
      x.init.markers = im;
      x.resp.markers = rm;
      x.run();
      CAPTURE(im, rm);
      CHECK(x.request.markers == im);
      CHECK(x.reply.markers == rm);
      CHECK(x.resp_params.markers_rx == rm);
      CHECK(x.resp_params.markers_tx == im);
      REQUIRE(x.init_result.outcome == ReplyOutcome::Accepted);
      CHECK(x.init_result.params.markers_rx == im);
      CHECK(x.init_result.params.markers_tx == rm);
    }
  }
}

TEST_CASE("IRD/ORD clipped to the device maximum and to each side's own", "[mpa][negotiation]") {
  Exchange x;
  x.init.ird = 200;
  x.init.ord = 4;
  x.resp.ird = 64;
  x.resp.ord = 300;
  x.init_dev.max_ird = 128;
  x.resp_dev.max_ird = 100;
  x.run();
  // The Request offers at most the initiator's device maximum.
  CHECK(x.request.ird_ord.ird == 128);
  CHECK(x.request.ird_ord.ord == 4);
  // Responder: ORD = min(peer IRD 128, own 300, device 100); IRD = min(peer ORD 4, own 64, 100).
  CHECK(x.resp_params.ord == 100);
  CHECK(x.resp_params.ird == 4);
  REQUIRE(x.init_result.outcome == ReplyOutcome::Accepted);
  CHECK(x.init_result.params.ird == 100);  // min(own 200, peer ORD 100)
  CHECK(x.init_result.params.ord == 4);    // min(own 4, peer IRD 4)
}

TEST_CASE("private data: up to 512 bytes with the prefix, the rest of the stream left alone", "[mpa][negotiation]") {
  SECTION("revision 1 carries 512 application bytes, revision 2 carries 508") {
    for (int rev : {1, 2}) {
      mpa::Settings s;
      s.revision = rev;
      s.private_data.assign(rev == 2 ? 508 : 512, 0x5A);
      const mpa::PeerFrame f = over_wire(mpa::make_request(s, {}), false);
      CAPTURE(rev);
      REQUIRE(f.status == FrameStatus::Ok);
      CHECK(f.length == wire::kMpaReqRepHeaderLen + 512);
      CHECK(f.frame.private_data == s.private_data);
      s.private_data.push_back(0x5A);  // one byte over
      CHECK(over_wire(mpa::make_request(s, {}), false).status == FrameStatus::Invalid);
    }
  }
  SECTION("a frame in pieces: NeedMore until its last private byte, then only its own bytes") {
    mpa::Settings s;
    s.private_data = {1, 2, 3, 4, 5, 6, 7};
    std::vector<uint8_t> b = wire::encode_mpa_reqrep(mpa::make_request(s, {}));
    const size_t frame_len = b.size();
    CHECK(mpa::read_peer_frame(b.data(), 19, false).status == FrameStatus::NeedMore);
    CHECK(mpa::read_peer_frame(b.data(), frame_len - 1, false).status == FrameStatus::NeedMore);
    b.insert(b.end(), {0x00, 0x0e});  // the first FPDU's length field, behind the frame
    const mpa::PeerFrame f = mpa::read_peer_frame(b.data(), b.size(), false);
    REQUIRE(f.status == FrameStatus::Ok);
    CHECK(f.length == frame_len);
    CHECK(f.frame.private_data == s.private_data);
  }
  SECTION("the other key than expected, or a wrong key, is invalid") {
    const std::vector<uint8_t> b = wire::encode_mpa_reqrep(mpa::make_request(mpa::Settings{}, {}));
    CHECK(mpa::read_peer_frame(b.data(), b.size(), /*expect_reply=*/true).status == FrameStatus::Invalid);
    std::vector<uint8_t> bad = b;
    bad[0] = 'm';
    CHECK(mpa::read_peer_frame(bad.data(), bad.size(), false).status == FrameStatus::Invalid);
  }
  SECTION("each side's private data reaches the other") {
    Exchange x;
    x.init.private_data = {0x11, 0x22};
    x.resp.private_data = {0x33};
    x.run();
    CHECK(x.request.private_data == x.init.private_data);
    CHECK(x.reply.private_data == x.resp.private_data);
  }
}

TEST_CASE("reject: R set with the responder's private data; the initiator is refused", "[mpa][negotiation]") {
  mpa::Settings init, resp;
  resp.reject = true;
  resp.crc = false;
  resp.private_data = {0x4E, 0x4F};  // "NO"
  SECTION("revision 2") {
    const mpa::PeerFrame req = over_wire(mpa::make_request(init, {}), false);
    REQUIRE(req.status == FrameStatus::Ok);
    const std::vector<uint8_t> b = wire::encode_mpa_reqrep(mpa::reject_request(resp, req.frame));
    // flags R|enhanced = 0x30 (the responder's C, off), revision 2, prefix with no IRD/ORD.
    CHECK(b == cat(key(wire::kMpaReplyKey), hex("30 02 0006 0000 0000 4e4f")));
    const mpa::PeerFrame rep = mpa::read_peer_frame(b.data(), b.size(), true);
    REQUIRE(rep.status == FrameStatus::Ok);
    CHECK(mpa::read_reply(init, {}, rep.frame).outcome == ReplyOutcome::Rejected);
  }
  SECTION("revision 1 Request: a revision-1 reject without prefix") {
    init.revision = 1;
    const wire::MpaReqRep rep = mpa::reject_request(resp, mpa::make_request(init, {}));
    CHECK(rep.reject);
    CHECK(rep.revision == 1);
    CHECK_FALSE(rep.enhanced);
    CHECK(wire::encode_mpa_reqrep(rep) == cat(key(wire::kMpaReplyKey), hex("20 01 0002 4e4f")));
    CHECK(mpa::read_reply(init, {}, rep).outcome == ReplyOutcome::Rejected);
  }
}

TEST_CASE("RTR type: the responder picks Write, Read, Send in that order among those both take", "[mpa][negotiation]") {
  struct Case {
    uint8_t offered, accepted;
    RtrType picked;
  };
  const Case cases[] = {
      {mpa::kRtrAll, mpa::kRtrAll, RtrType::Write},
      {mpa::kRtrAll, mpa::kRtrRead | mpa::kRtrSend, RtrType::Read},
      {mpa::kRtrAll, mpa::kRtrSend, RtrType::Send},
      {mpa::kRtrSend, mpa::kRtrWrite | mpa::kRtrSend, RtrType::Send},
      {mpa::kRtrWrite, mpa::kRtrRead, RtrType::None},  // none in common: P clear
      {mpa::kRtrAll, 0, RtrType::None},                // responder not in peer-to-peer mode
  };
  for (const Case& c : cases) {
    Exchange x;
    x.init_dev.rtr_types = c.offered;
    x.resp_dev.rtr_types = c.accepted;
    x.run();
    CAPTURE(int(c.offered), int(c.accepted));
    CHECK(x.request.ird_ord.peer_to_peer);
    CHECK(x.resp_params.rtr == c.picked);
    CHECK(x.reply.ird_ord.peer_to_peer == (c.picked != RtrType::None));
    REQUIRE(x.init_result.outcome == ReplyOutcome::Accepted);
    CHECK(x.init_result.params.rtr == c.picked);
    CHECK(x.init_result.params.rtr_initiator == (c.picked != RtrType::None));
  }
  SECTION("an initiator without peer-to-peer mode leaves P clear, and no RTR follows") {
    Exchange x;
    x.init_dev.rtr_types = 0;
    x.run();
    CHECK_FALSE(x.request.ird_ord.peer_to_peer);
    CHECK_FALSE(x.request.ird_ord.zero_write_rtr);
    CHECK(x.resp_params.rtr == RtrType::None);
    CHECK_FALSE(x.reply.ird_ord.peer_to_peer);
  }
}

TEST_CASE("a peer-to-peer Reply must name exactly one offered RTR type", "[mpa][negotiation]") {
  mpa::Settings init;
  mpa::DeviceLimits dev;
  dev.rtr_types = mpa::kRtrWrite | mpa::kRtrRead;  // Send not offered
  wire::MpaReqRep rep;
  rep.reply = true;
  rep.enhanced = true;
  rep.ird_ord.peer_to_peer = true;
  SECTION("none named") { CHECK(mpa::read_reply(init, dev, rep).outcome == ReplyOutcome::Invalid); }
  SECTION("two named") {
    rep.ird_ord.zero_write_rtr = rep.ird_ord.zero_read_rtr = true;
    CHECK(mpa::read_reply(init, dev, rep).outcome == ReplyOutcome::Invalid);
  }
  SECTION("one not offered") {
    rep.ird_ord.zero_send_rtr = true;
    CHECK(mpa::read_reply(init, dev, rep).outcome == ReplyOutcome::Invalid);
  }
  SECTION("one offered") {
    rep.ird_ord.zero_read_rtr = true;
    const mpa::ReplyResult r = mpa::read_reply(init, dev, rep);
    REQUIRE(r.outcome == ReplyOutcome::Accepted);
    CHECK(r.params.rtr == RtrType::Read);
    CHECK(r.params.rtr_initiator);
  }
}

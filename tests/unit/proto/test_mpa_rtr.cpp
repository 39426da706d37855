// RFC 6581 RTR messages: the exact ULPDU of each type, their recognition, the responder's
// choice among the offered types, and the zero-length Read Response.
#include <catch2/catch.hpp>

#include <vector>

#include "model/proto/mpa/fpdu.h"
#include "model/proto/mpa/rtr.h"
#include "tests/unit/wire/hex.h"

using namespace rnicsim;
using rnicsim::mpa::RtrType;
using rnicsim::test::hex;

namespace {
ConstByteSpan span(const std::vector<uint8_t>& v) { return ConstByteSpan(v.data(), v.size()); }
}  // namespace

TEST_CASE("RTR ULPDUs, byte for byte", "[mpa][rtr]") {
  // Zero-length RDMA Write: T|L|DV 1 = c1, RV 1 | Write = 40, STag 0, TO 0.
  CHECK(mpa::rtr_ulpdu(RtrType::Write) == hex("c1 40 00000000 0000000000000000"));
  // Zero-length Send: L|DV 1 = 41, RV 1 | Send = 43, Inv STag 0, QN 0, MSN 1, MO 0.
  CHECK(mpa::rtr_ulpdu(RtrType::Send) == hex("41 43 00000000 00000000 00000001 00000000"));
  // Read Request for 0 bytes: QN 1, MSN 1, then sink STag/TO, size, source STag/TO, all 0.
  CHECK(mpa::rtr_ulpdu(RtrType::Read) ==
        hex("41 41 00000000 00000001 00000001 00000000"
            "00000000 0000000000000000 00000000 00000000 0000000000000000"));
  CHECK(mpa::rtr_ulpdu(RtrType::None).empty());
  // As an FPDU: 2 + 14 + 0 pad + 4 = 20 bytes for the Write, 24 for the Send, 52 for the Read.
  CHECK(mpa::fpdu_stream_length(mpa::rtr_ulpdu(RtrType::Write).size()) == 20);
  CHECK(mpa::fpdu_stream_length(mpa::rtr_ulpdu(RtrType::Send).size()) == 24);
  CHECK(mpa::fpdu_stream_length(mpa::rtr_ulpdu(RtrType::Read).size()) == 52);
}

TEST_CASE("RTR recognition: only the negotiated type, zero length, MSN 1", "[mpa][rtr]") {
  for (RtrType t : {RtrType::Write, RtrType::Read, RtrType::Send}) {
    for (RtrType u : {RtrType::Write, RtrType::Read, RtrType::Send})
      CHECK(mpa::is_rtr(t, span(mpa::rtr_ulpdu(u))) == (t == u));
  }
  auto w = mpa::rtr_ulpdu(RtrType::Write);
  w.push_back(0xAA);  // a Write with one byte of payload is data, not an RTR
  CHECK_FALSE(mpa::is_rtr(RtrType::Write, span(w)));
  auto s = mpa::rtr_ulpdu(RtrType::Send);
  s[13] = 2;  // MSN 2
  CHECK_FALSE(mpa::is_rtr(RtrType::Send, span(s)));
  auto r = mpa::rtr_ulpdu(RtrType::Read);
  r[18 + 12 + 3] = 1;  // asks for 1 byte
  CHECK_FALSE(mpa::is_rtr(RtrType::Read, span(r)));
  auto nl = mpa::rtr_ulpdu(RtrType::Write);
  nl[0] = 0x81;  // L clear
  CHECK_FALSE(mpa::is_rtr(RtrType::Write, span(nl)));
  CHECK_FALSE(mpa::is_rtr(RtrType::Write, ConstByteSpan()));
  CHECK(mpa::llp_code::kNoMatchingRtr == 0x07);
}

TEST_CASE("The responder picks Write, then Read, then Send among the types both sides have",
          "[mpa][rtr]") {
  using namespace mpa;
  CHECK(pick_rtr(kRtrAll, kRtrAll) == RtrType::Write);
  CHECK(pick_rtr(kRtrRead | kRtrSend, kRtrAll) == RtrType::Read);
  CHECK(pick_rtr(kRtrAll, kRtrSend) == RtrType::Send);
  CHECK(pick_rtr(kRtrWrite, kRtrRead) == RtrType::None);
  CHECK(pick_rtr(0, kRtrAll) == RtrType::None);
  CHECK(rtr_mask(RtrType::Read) == 2);
}

TEST_CASE("A Read RTR is answered by a zero-length Read Response to its sink", "[mpa][rtr]") {
  auto req = mpa::rtr_ulpdu(RtrType::Read);
  // The response is tagged to the request's sink STag and TO (0 and 0 in an RTR).
  const auto resp = mpa::rtr_read_response(span(req));
  CHECK(resp == hex("c1 42 00000000 0000000000000000"));
  CHECK(mpa::is_rtr_read_response(span(resp)));
  CHECK_FALSE(mpa::is_rtr_read_response(span(mpa::rtr_ulpdu(RtrType::Write))));
}

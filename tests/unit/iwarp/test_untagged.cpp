// DDP untagged checks (RFC 5041 s.7.2.2), each failure named by its Terminate code, in
// siw's order; the queue's MSN and MO advance.
#include <catch2/catch.hpp>

#include "model/proto/ddp/untagged.h"

using namespace rnicsim;
using ddp::UntaggedBuffers;
using ddp::UntaggedQueue;

namespace {
wire::DdpHeader seg(uint32_t qn, uint32_t msn, uint32_t mo, bool last) {
  wire::DdpHeader h;
  h.opcode = static_cast<uint8_t>(wire::RdmapOpcode::Send);
  h.qn = qn;
  h.msn = msn;
  h.mo = mo;
  h.last = last;
  return h;
}
wire::TermCode code(const wire::DdpHeader& h, uint64_t len, const UntaggedQueue& q, UntaggedBuffers b) {
  const auto v = ddp::check_untagged(h, len, q, b);
  return v.ok ? wire::TermCode{0xF, 0xF, 0xFF} : v.error;
}
const wire::TermCode kOk{0xF, 0xF, 0xFF};
}  // namespace

TEST_CASE("untagged: a message of three segments into one buffer: MSN 1, MO 0, 1000, 2000") {
  UntaggedQueue q;
  const UntaggedBuffers b{1, 3000};
  for (uint32_t mo : {0u, 1000u, 2000u}) {
    const auto h = seg(0, 1, mo, mo == 2000);
    REQUIRE(code(h, 1000, q, b) == kOk);
    ddp::advance(q, h, 1000);
  }
  CHECK(q.msn == 2);
  CHECK(q.mo == 0);
}

TEST_CASE("untagged: each failure gives its DDP etype 2 code") {
  UntaggedQueue q;
  const UntaggedBuffers one{1, 4096};
  auto bad_version = seg(0, 1, 0, true);
  bad_version.ddp_version = 2;
  CHECK(code(bad_version, 10, q, one) == wire::term::DdpUntaggedBadVersion);
  CHECK(code(seg(5, 1, 0, true), 10, q, one) == wire::term::DdpUntaggedInvalidQn);  // QNs 0-4 exist
  CHECK(code(seg(0x80000000u, 1, 0, true), 10, q, one) == wire::term::DdpUntaggedInvalidQn);
  CHECK(code(seg(0, 2, 0, true), 10, q, one) == wire::term::DdpUntaggedMsnRange);
  CHECK(code(seg(0, 0, 0, true), 10, q, one) == wire::term::DdpUntaggedMsnRange);
  CHECK(code(seg(0, 1, 0, true), 10, q, UntaggedBuffers{0, 0}) == wire::term::DdpUntaggedNoBuffer);
  CHECK(code(seg(0, 1, 8, true), 10, q, one) == wire::term::DdpUntaggedInvalidMo);
  CHECK(code(seg(0, 1, 0, true), 4097, q, one) == wire::term::DdpUntaggedMessageTooLong);
  CHECK(code(seg(0, 1, 0, true), 4096, q, one) == kOk);
}

TEST_CASE("untagged: the checks' order: version before QN before MSN before MO before length") {
  UntaggedQueue q;
  auto h = seg(5, 9, 7, true);
  h.ddp_version = 0;
  CHECK(code(h, 99999, q, UntaggedBuffers{0, 0}) == wire::term::DdpUntaggedBadVersion);
  h.ddp_version = 1;
  CHECK(code(h, 99999, q, UntaggedBuffers{0, 0}) == wire::term::DdpUntaggedInvalidQn);
  h.qn = 0;
  CHECK(code(h, 99999, q, UntaggedBuffers{0, 0}) == wire::term::DdpUntaggedMsnRange);
  h.msn = 1;
  CHECK(code(h, 99999, q, UntaggedBuffers{0, 0}) == wire::term::DdpUntaggedNoBuffer);
  CHECK(code(h, 99999, q, UntaggedBuffers{1, 10}) == wire::term::DdpUntaggedInvalidMo);
  h.mo = 0;
  CHECK(code(h, 99999, q, UntaggedBuffers{1, 10}) == wire::term::DdpUntaggedMessageTooLong);
}

TEST_CASE("untagged: MO plus length past the buffer, without overflow") {
  UntaggedQueue q;
  q.mo = 0xFFFFFFF0u;
  CHECK(code(seg(0, 1, 0xFFFFFFF0u, true), 0x20, q, UntaggedBuffers{1, 0xFFFFFFFFull}) ==
        wire::term::DdpUntaggedMessageTooLong);
  CHECK(code(seg(0, 1, 0xFFFFFFF0u, true), 0x0F, q, UntaggedBuffers{1, 0xFFFFFFFFull}) == kOk);
}

TEST_CASE("untagged: MSN wraps modulo 2^32") {
  UntaggedQueue q;
  q.msn = 0xFFFFFFFFu;
  auto h = seg(0, 0xFFFFFFFFu, 0, true);
  REQUIRE(code(h, 1, q, UntaggedBuffers{1, 1}) == kOk);
  ddp::advance(q, h, 1);
  CHECK(q.msn == 0);
  CHECK(code(seg(0, 0, 0, true), 1, q, UntaggedBuffers{1, 1}) == kOk);
}

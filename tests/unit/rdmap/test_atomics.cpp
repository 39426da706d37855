// RFC 7306 atomics between two QPs: the Atomic Request on QN 3 and the Atomic Response on
// QN 4, the word at the responder changed, the original value landing in the initiator's
// buffer and the completion FetchAdd or CmpSwap; and the responder's checks, each ending in
// its Terminate with the word unchanged (the ones tests/unit/iwarp/test_atomics.cpp asks of
// the engine, here through the logic alone).
#include <catch2/catch.hpp>

#include "tests/unit/rdmap/qp_pair.h"

using namespace rnicsim;
using namespace rnicsim::test;
using rdmap::WcOpcode;
using rdmap::WcStatus;
using wire::RdmapOpcode;

namespace {
constexpr uint64_t kStart = 0x0123456789ABCDEFull;

struct Atomics {
  QpPair p;
  host::VirtBuffer target, result;
  uint32_t stag = 0;
  explicit Atomics(uint32_t access = placement::access::kRemoteAtomic, uint32_t pd = 1, uint32_t ird = 4) {
    rdmap::MpaParams pb;
    pb.ird = ird;
    p.connect({}, pb);
    target = p.b.alloc(0x5000, 4096);
    p.b.set_word(target, 0, kStart);
    stag = p.b.reg(target, access, pd);
    result = p.a.alloc(0x9000, 64, 0xEE);
  }
  rdmap::Wqe wqe(wire::AtomicOp op, uint64_t operand, uint64_t compare = 0, uint64_t id = 1) const {
    rdmap::Wqe w;
    w.wr_id = id;
    w.opcode = RdmapOpcode::AtomicRequest;
    w.atomic_op = op;
    w.atomic_operand = operand;
    w.atomic_compare = compare;
    w.rkey = stag;
    w.remote_va = target.va;
    w.local = &result;
    w.local_va = result.va + 8 * (id - 1);
    w.length = 8;
    return w;
  }
  /// A forged Atomic Request to the responder.
  std::vector<uint8_t> request(const wire::AtomicRequest& r, uint32_t msn = 1, bool last = true, uint8_t op = 0xA) {
    std::vector<uint8_t> body(wire::kAtomicRequestLen);
    wire::encode_atomic_request(body.data(), r);
    return ulpdu(untagged(3, msn, op, last), body);
  }
  wire::AtomicRequest fetch_add(uint64_t add, uint64_t to = 0x5000) const {
    wire::AtomicRequest r;
    r.request_id = 1;
    r.stag = stag;
    r.to = to;
    r.add_swap = add;
    return r;
  }
};

void check_refused(Atomics& t, const std::vector<uint8_t>& u, wire::TermCode want) {
  t.p.inject(QpPair::B, u);
  const auto m = terminate_sent(t.p, QpPair::B);
  CHECK(m.code == want);
  CHECK(m.has_ddp);
  CHECK(m.ddp_segment_length == u.size());
  CHECK(m.ddp_header == std::vector<uint8_t>(u.begin(), u.begin() + 18));
  CHECK(m.rdmap_header.empty());
  CHECK(t.p.b.word(t.target) == kStart);
}
}  // namespace

TEST_CASE("atomics: Fetch-and-Add: request QN 3, response QN 4, the original value lands; completion FetchAdd") {
  Atomics t;
  t.p.post(QpPair::A, t.wqe(wire::AtomicOp::FetchAdd, 5));
  const auto req = t.p.sent_by(QpPair::A);
  REQUIRE(req.size() == 1);
  CHECK(req[0].hdr().qn == 3);
  CHECK(req[0].hdr().msn == 1);
  CHECK(req[0].hdr().opcode == 0xA);
  auto ar = wire::decode_atomic_request(req[0].bytes.data() + 18, req[0].bytes.size() - 18);
  REQUIRE(ar);
  CHECK(ar.value.aop == 0);
  CHECK(ar.value.request_id == 1);
  CHECK(ar.value.stag == t.stag);
  CHECK(ar.value.to == 0x5000);
  CHECK(ar.value.add_swap == 5);
  CHECK(ar.value.add_swap_mask == 0);
  const auto resp = t.p.sent_by(QpPair::B);
  REQUIRE(resp.size() == 1);
  CHECK(resp[0].hdr().qn == 4);
  CHECK(resp[0].hdr().msn == 1);
  CHECK(resp[0].hdr().opcode == 0xB);
  auto r = wire::decode_atomic_response(resp[0].bytes.data() + 18, resp[0].bytes.size() - 18);
  REQUIRE(r);
  CHECK(r.value.request_id == 1);
  CHECK(r.value.original == kStart);
  CHECK(t.p.b.word(t.target) == kStart + 5);
  CHECK(t.p.a.word(t.result) == kStart);
  REQUIRE(t.p.a.cqes.size() == 1);
  CHECK(t.p.a.cqes[0].opcode == WcOpcode::FetchAdd);
  CHECK(t.p.a.cqes[0].status == WcStatus::Success);
  CHECK(t.p.a.cqes[0].byte_len == 8);
  CHECK(t.p.b.counters.atomic_requests_rx == 1);
}

TEST_CASE("atomics: Compare-and-Swap swaps on a match only; completions CmpSwap; MSN and Request ID advance") {
  Atomics t;
  t.p.post(QpPair::A, t.wqe(wire::AtomicOp::CmpSwap, 77, kStart, 1));      // matches
  t.p.post(QpPair::A, t.wqe(wire::AtomicOp::CmpSwap, 99, kStart, 2));      // no longer
  t.p.post(QpPair::A, t.wqe(wire::AtomicOp::FetchAdd, 3, 0, 3));
  const auto req = t.p.sent_by(QpPair::A);
  REQUIRE(req.size() == 3);
  for (uint32_t k = 0; k < 3; ++k) {
    CHECK(req[k].hdr().msn == k + 1);
    auto ar = wire::decode_atomic_request(req[k].bytes.data() + 18, req[k].bytes.size() - 18);
    CHECK(ar.value.request_id == k + 1);
    CHECK(ar.value.aop == (k < 2 ? 2 : 0));
    if (k < 2) CHECK(ar.value.compare_mask == ~uint64_t{0});
  }
  CHECK(t.p.b.word(t.target) == 80);
  CHECK(t.p.a.word(t.result, 0) == kStart);
  CHECK(t.p.a.word(t.result, 8) == 77);
  CHECK(t.p.a.word(t.result, 16) == 77);
  REQUIRE(t.p.a.cqes.size() == 3);
  CHECK(t.p.a.cqes[0].opcode == WcOpcode::CmpSwap);
  CHECK(t.p.a.cqes[1].opcode == WcOpcode::CmpSwap);
  CHECK(t.p.a.cqes[2].opcode == WcOpcode::FetchAdd);
}

TEST_CASE("atomics: each protection failure is its RDMAP 0/1 code, the word unchanged") {
  {
    Atomics t;
    auto r = t.fetch_add(1);
    r.stag = placement::make_stag(40, 0x12);
    check_refused(t, t.request(r), wire::term::RdmapInvalidStag);
  }
  {
    Atomics t(placement::access::kRemoteAtomic, 2);
    check_refused(t, t.request(t.fetch_add(1)), wire::term::RdmapStagNotAssociated);
  }
  {
    Atomics t(placement::access::kRemoteRead | placement::access::kRemoteWrite);
    check_refused(t, t.request(t.fetch_add(1)), wire::term::RdmapAccessRights);
  }
  {
    Atomics t;
    check_refused(t, t.request(t.fetch_add(1, 0x6000)), wire::term::RdmapBaseBounds);
  }
  {
    Atomics t;
    t.p.b.regions.invalidate(t.stag);
    check_refused(t, t.request(t.fetch_add(1)), wire::term::RdmapInvalidStag);
  }
}

TEST_CASE("atomics: a request the responder cannot run, or out of sequence, and IRD full") {
  {
    Atomics t;
    check_refused(t, t.request(t.fetch_add(1, 0x5004)), wire::term::RdmapOpUnspecified);
  }
  {
    Atomics t;
    auto r = t.fetch_add(1);
    r.aop = 1;
    check_refused(t, t.request(r), wire::term::RdmapOpUnspecified);
  }
  {
    Atomics t;
    auto r = t.fetch_add(1);
    r.reserved = 1;
    check_refused(t, t.request(r), wire::term::RdmapOpUnspecified);
  }
  {
    Atomics t;
    check_refused(t, t.request(t.fetch_add(1), 1, true, 0x3), wire::term::RdmapUnexpectedOpcode);
  }
  {
    Atomics t;
    check_refused(t, t.request(t.fetch_add(1), 1, false), wire::term::RdmapCatastrophicStream);
  }
  {
    Atomics t;
    check_refused(t, t.request(t.fetch_add(1), 2), wire::term::DdpUntaggedMsnRange);
  }
  {
    Atomics t(placement::access::kRemoteAtomic, 1, 0);
    check_refused(t, t.request(t.fetch_add(1)), wire::term::DdpUntaggedNoBuffer);
  }
  {
    Atomics t;  // an Atomic Response with no atomic outstanding, at the initiator
    std::vector<uint8_t> body(12);
    wire::encode_atomic_response(body.data(), wire::AtomicResponse{1, 5});
    t.p.inject(QpPair::A, ulpdu(untagged(4, 1, 0xB), body));
    CHECK(terminate_sent(t.p, QpPair::A).code == wire::term::RdmapUnexpectedOpcode);
  }
}

TEST_CASE("atomics: a response whose Request Identifier is not the oldest atomic's is 0/2/0xFF") {
  Atomics t;
  t.p.hold[QpPair::A] = true;  // the request never reaches the responder
  t.p.post(QpPair::A, t.wqe(wire::AtomicOp::FetchAdd, 1));
  std::vector<uint8_t> body(12);
  wire::encode_atomic_response(body.data(), wire::AtomicResponse{2, 5});
  t.p.inject(QpPair::A, ulpdu(untagged(4, 1, 0xB), body));
  CHECK(terminate_sent(t.p, QpPair::A).code == wire::term::RdmapOpUnspecified);
  REQUIRE(t.p.a.cqes.size() == 1);
  CHECK(t.p.a.cqes[0].status == WcStatus::FatalError);
  CHECK(t.p.a.cqes[0].opcode == WcOpcode::FetchAdd);
  CHECK(t.p.a.word(t.result) == 0xEEEEEEEEEEEEEEEEull);
}

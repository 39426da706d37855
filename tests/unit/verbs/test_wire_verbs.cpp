// The verbs ring formats of model/wire/verbs.h: exact byte images written out from the
// header's offset tables, decode(encode(x)) == x for every field, and the checks a
// malformed WQE or CQE fails.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "model/wire/verbs.h"
#include "tests/unit/wire/hex.h"

using namespace rnicsim::wire;
using rnicsim::test::hex;

namespace {

SqWqe write_wqe() {
  SqWqe w;
  w.wr_id = 0x0102030405060708;
  w.opcode = SqOpcode::RdmaWrite;
  w.signaled = true;
  w.fence = true;
  w.num_sge = 1;
  w.rkey = 0xA1B2C3D4;
  w.remote_addr = 0x00007F0012345678;
  w.total_length = 0x10000;
  w.sge = {0x40001000, 0x10000, 0x105};
  return w;
}

/// A WQE with every base-slot field distinct and non-zero (an atomic CmpSwap).
SqWqe every_field() {
  SqWqe w;
  w.wr_id = 0xF1E2D3C4B5A69788;
  w.opcode = SqOpcode::AtomicCmpSwap;
  w.signaled = true;
  w.fence = true;
  w.solicited = true;
  w.num_sge = 1;
  w.rkey = 0x11223344;
  w.remote_addr = 0x8877665544332211;
  w.total_length = 8;
  w.invalidate_stag = 0x55667788;
  w.atomic_compare = 0x0123456789ABCDEF;
  w.atomic_operand = 0xFEDCBA9876543210;
  w.sge = {0x00000000DEADBEE0, 8, 0x99AABBCC};
  return w;
}

void check_same(const SqWqe& a, const SqWqe& b) {
  CHECK(a.wr_id == b.wr_id);
  CHECK(a.opcode == b.opcode);
  CHECK(a.signaled == b.signaled);
  CHECK(a.fence == b.fence);
  CHECK(a.solicited == b.solicited);
  CHECK(a.is_inline == b.is_inline);
  CHECK(a.num_sge == b.num_sge);
  CHECK(a.rkey == b.rkey);
  CHECK(a.remote_addr == b.remote_addr);
  CHECK(a.total_length == b.total_length);
  CHECK(a.invalidate_stag == b.invalidate_stag);
  CHECK(a.atomic_compare == b.atomic_compare);
  CHECK(a.atomic_operand == b.atomic_operand);
  CHECK(a.sge.addr == b.sge.addr);
  CHECK(a.sge.length == b.sge.length);
  CHECK(a.sge.lkey == b.sge.lkey);
  CHECK(a.inline_data == b.inline_data);
  CHECK(a == b);
}

SqWqe round_trip(const SqWqe& w) {
  const std::vector<uint8_t> b = encode_sq_wqe(w);
  REQUIRE(b.size() == sq_wqe_slots(w) * kSqSlotLen);
  const auto d = decode_sq_wqe(b.data(), b.size());
  REQUIRE(d.status == DecodeStatus::Ok);
  CHECK(d.length == b.size());
  return d.value;
}

DecodeStatus decode_status(const std::vector<uint8_t>& b) { return decode_sq_wqe(b.data(), b.size()).status; }

}  // namespace

TEST_CASE("SQ WQE: the exact bytes of an RDMA Write", "[verbs][wire]") {
  const std::vector<uint8_t> b = encode_sq_wqe(write_wqe());
  CHECK(b == hex("08 07 06 05 04 03 02 01  00 03 01 00 d4 c3 b2 a1"
                 "78 56 34 12 00 7f 00 00  00 00 01 00 00 00 00 00"
                 "00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00"
                 "00 10 00 40 00 00 00 00  00 00 01 00 05 01 00 00"));
  check_same(round_trip(write_wqe()), write_wqe());
}

TEST_CASE("SQ WQE: the exact bytes of an inline Send with SE (two slots)", "[verbs][wire]") {
  SqWqe w;
  w.wr_id = 0x42;
  w.opcode = SqOpcode::Send;
  w.signaled = true;
  w.solicited = true;
  w.is_inline = true;
  w.total_length = 5;
  w.inline_data = {'h', 'e', 'l', 'l', 'o'};
  const std::vector<uint8_t> b = encode_sq_wqe(w);
  std::vector<uint8_t> want = hex("42 00 00 00 00 00 00 00  02 0d 05 00 00 00 00 00"
                                  "00 00 00 00 00 00 00 00  05 00 00 00 00 00 00 00");
  want.resize(64, 0);
  const std::vector<uint8_t> data = hex("68 65 6c 6c 6f");
  want.insert(want.end(), data.begin(), data.end());
  want.resize(128, 0);
  CHECK(b == want);
  CHECK(rdmap_opcode(w) == RdmapOpcode::SendWithSe);
  check_same(round_trip(w), w);
}

TEST_CASE("SQ WQE: every base-slot field survives the round trip", "[verbs][wire]") {
  const SqWqe w = every_field();
  check_same(round_trip(w), w);
  CHECK(rdmap_opcode(w) == RdmapOpcode::AtomicRequest);
  CHECK(atomic_op(w) == AtomicOp::CmpSwap);
  // Each field alone, at all-ones in its width, lands in its bytes and nowhere else.
  SqWqe z;
  const std::vector<uint8_t> zero = encode_sq_wqe(z);
  struct Case {
    const char* name;
    void (*set)(SqWqe&);
    size_t off, len;
  };
  const Case cases[] = {
      {"wr_id", [](SqWqe& x) { x.wr_id = ~0ull; }, 0, 8},
      {"rkey", [](SqWqe& x) { x.rkey = ~0u; }, 12, 4},
      {"remote_addr", [](SqWqe& x) { x.remote_addr = ~0ull; }, 16, 8},
      {"total_length", [](SqWqe& x) { x.total_length = ~0u; }, 24, 4},
      {"invalidate_stag", [](SqWqe& x) { x.invalidate_stag = ~0u; }, 28, 4},
      {"atomic_compare", [](SqWqe& x) { x.atomic_compare = ~0ull; }, 32, 8},
      {"atomic_operand", [](SqWqe& x) { x.atomic_operand = ~0ull; }, 40, 8},
      {"sge.addr", [](SqWqe& x) { x.sge.addr = ~0ull; }, 48, 8},
      {"sge.length", [](SqWqe& x) { x.sge.length = ~0u; }, 56, 4},
      {"sge.lkey", [](SqWqe& x) { x.sge.lkey = ~0u; }, 60, 4},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    SqWqe x;
    c.set(x);
    const std::vector<uint8_t> b = encode_sq_wqe(x);
    for (size_t i = 0; i < b.size(); ++i) CHECK(b[i] == (i >= c.off && i < c.off + c.len ? 0xFF : zero[i]));
  }
  // Flags: one bit each.
  SqWqe f;
  f.signaled = true;
  CHECK(encode_sq_wqe(f)[9] == 0x01);
  f = SqWqe{};
  f.fence = true;
  CHECK(encode_sq_wqe(f)[9] == 0x02);
  f = SqWqe{};
  f.solicited = true;
  CHECK(encode_sq_wqe(f)[9] == 0x04);
  f = SqWqe{};
  f.is_inline = true;
  CHECK(encode_sq_wqe(f)[9] == 0x08);
}

TEST_CASE("SQ WQE: every opcode and flag combination round-trips", "[verbs][wire]") {
  const SqOpcode ops[] = {SqOpcode::RdmaWrite,          SqOpcode::RdmaRead,       SqOpcode::Send,
                          SqOpcode::SendWithInvalidate, SqOpcode::AtomicFetchAdd, SqOpcode::AtomicCmpSwap};
  int n = 0;
  for (SqOpcode op : ops) {
    for (int flags = 0; flags < 8; ++flags) {
      SqWqe w = every_field();
      w.opcode = op;
      w.signaled = flags & 1;
      w.fence = flags & 2;
      w.solicited = flags & 4;
      if (op != SqOpcode::AtomicFetchAdd && op != SqOpcode::AtomicCmpSwap) {
        w.total_length = 0x12345;
        w.sge.length = 0x12345;
      }
      INFO(to_string(op) << " flags " << flags);
      check_same(round_trip(w), w);
      ++n;
    }
  }
  CHECK(n == 48);
  SqWqe s;
  s.opcode = SqOpcode::SendWithInvalidate;
  CHECK(rdmap_opcode(s) == RdmapOpcode::SendWithInvalidate);
  s.solicited = true;
  CHECK(rdmap_opcode(s) == RdmapOpcode::SendWithSeInvalidate);
  s.opcode = SqOpcode::RdmaRead;
  CHECK(rdmap_opcode(s) == RdmapOpcode::RdmaReadRequest);
  CHECK_THROWS_AS(atomic_op(s), std::invalid_argument);
  s.opcode = SqOpcode::AtomicFetchAdd;
  CHECK(atomic_op(s) == AtomicOp::FetchAdd);
}

TEST_CASE("SQ WQE: slots for an inline length, and inline data round-trips", "[verbs][wire]") {
  CHECK(sq_wqe_slots(0) == 1);
  CHECK(sq_wqe_slots(1) == 2);
  CHECK(sq_wqe_slots(64) == 2);
  CHECK(sq_wqe_slots(65) == 3);
  CHECK(sq_wqe_slots(128) == 3);
  CHECK(sq_wqe_slots(129) == 4);
  CHECK(sq_wqe_slots(385) == 8);
  CHECK(sq_wqe_slots(kSqMaxInline) == kSqMaxSlots);
  CHECK(sq_wqe_slots(write_wqe()) == 1);
  for (size_t len : {size_t{0}, size_t{1}, size_t{63}, size_t{64}, size_t{65}, size_t{200}, kSqMaxInline}) {
    SqWqe w;
    w.opcode = SqOpcode::RdmaWrite;
    w.is_inline = true;
    w.rkey = 7;
    w.remote_addr = 0x1000;
    w.total_length = static_cast<uint32_t>(len);
    for (size_t i = 0; i < len; ++i) w.inline_data.push_back(static_cast<uint8_t>(i * 7 + 1));
    INFO("inline " << len);
    const std::vector<uint8_t> b = encode_sq_wqe(w);
    CHECK(b.size() == sq_wqe_slots(len) * 64);
    const auto peek = peek_sq_wqe_slots(b.data(), 64);
    REQUIRE(peek.status == DecodeStatus::Ok);
    CHECK(peek.value == sq_wqe_slots(len));
    // The padding after the data is zero.
    for (size_t i = 64 + len; i < b.size(); ++i) CHECK(b[i] == 0);
    check_same(round_trip(w), w);
    if (len > 0) CHECK(decode_sq_wqe(b.data(), b.size() - 1).status == DecodeStatus::Truncated);
  }
  SqWqe big;
  big.is_inline = true;
  big.inline_data.resize(kSqMaxInline + 1);
  CHECK_THROWS_AS(encode_sq_wqe(big), std::invalid_argument);
}

TEST_CASE("SQ WQE: malformed base slots", "[verbs][wire]") {
  const std::vector<uint8_t> good = encode_sq_wqe(write_wqe());
  REQUIRE(decode_status(good) == DecodeStatus::Ok);
  CHECK(decode_sq_wqe(good.data(), 63).status == DecodeStatus::Truncated);
  CHECK(peek_sq_wqe_slots(good.data(), 63).status == DecodeStatus::Truncated);

  std::vector<uint8_t> b = good;
  b[8] = 6;  // no such opcode
  CHECK(decode_status(b) == DecodeStatus::Malformed);
  b = good;
  b[9] |= 0x10;  // a reserved flag
  CHECK(decode_status(b) == DecodeStatus::Malformed);
  CHECK(peek_sq_wqe_slots(b.data(), b.size()).status == DecodeStatus::Malformed);
  b = good;
  b[10] = 2;  // two SGEs
  CHECK(decode_status(b) == DecodeStatus::Malformed);
  b = good;
  b[24] = 1;  // total length 0x10001, the SGE 0x10000
  CHECK(decode_status(b) == DecodeStatus::Malformed);

  // Inline: over 448 bytes, on a Read, total length not the inline count.
  SqWqe in;
  in.opcode = SqOpcode::Send;
  in.is_inline = true;
  in.total_length = 3;
  in.inline_data = {1, 2, 3};
  std::vector<uint8_t> ib = encode_sq_wqe(in);
  REQUIRE(decode_status(ib) == DecodeStatus::Ok);
  std::vector<uint8_t> over(9 * 64, 0);
  std::memcpy(over.data(), ib.data(), 64);
  over[10] = 0xC1;  // 449
  over[11] = 0x01;
  CHECK(peek_sq_wqe_slots(over.data(), over.size()).status == DecodeStatus::Malformed);
  CHECK(decode_status(over) == DecodeStatus::Malformed);
  b = ib;
  b[8] = static_cast<uint8_t>(SqOpcode::RdmaRead);
  CHECK(decode_status(b) == DecodeStatus::Malformed);
  b = ib;
  b[24] = 4;
  CHECK(decode_status(b) == DecodeStatus::Malformed);

  // An atomic needs one SGE and 8 bytes.
  const std::vector<uint8_t> at = encode_sq_wqe(every_field());
  REQUIRE(decode_status(at) == DecodeStatus::Ok);
  b = at;
  b[24] = 4;
  b[56] = 4;
  CHECK(decode_status(b) == DecodeStatus::Malformed);
  SqWqe no_sge = every_field();
  no_sge.num_sge = 0;
  no_sge.total_length = 0;
  CHECK(decode_status(encode_sq_wqe(no_sge)) == DecodeStatus::Malformed);
}

TEST_CASE("RQ WQE: exact bytes, round trip, limits", "[verbs][wire]") {
  RqWqe r;
  r.wr_id = 0xCAFEF00D;
  r.sgl = {{0x1000, 0x800, 7}, {0x200000, 0x40, 8}};
  std::vector<uint8_t> b(kRqSlotLen, 0xEE);
  CHECK(encode_rq_wqe(b.data(), r) == 64);
  CHECK(b == hex("0d f0 fe ca 00 00 00 00  02 00 00 00 00 00 00 00"
                 "00 10 00 00 00 00 00 00  00 08 00 00 07 00 00 00"
                 "00 00 20 00 00 00 00 00  40 00 00 00 08 00 00 00"
                 "00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00"));
  for (size_t n = 0; n <= kRqMaxSge; ++n) {
    RqWqe x;
    x.wr_id = 0xFFFFFFFFFFFFFFF0 + n;
    for (size_t i = 0; i < n; ++i)
      x.sgl.push_back({0xFFFFFFFF00000000 | (i << 12), static_cast<uint32_t>(0xFFFF0000 + i), static_cast<uint32_t>(0xABC00 + i)});
    encode_rq_wqe(b.data(), x);
    const auto d = decode_rq_wqe(b.data(), b.size());
    REQUIRE(d.status == DecodeStatus::Ok);
    CHECK(d.length == 64);
    CHECK(d.value.wr_id == x.wr_id);
    REQUIRE(d.value.sgl.size() == n);
    for (size_t i = 0; i < n; ++i) {
      CHECK(d.value.sgl[i].addr == x.sgl[i].addr);
      CHECK(d.value.sgl[i].length == x.sgl[i].length);
      CHECK(d.value.sgl[i].lkey == x.sgl[i].lkey);
    }
    CHECK(d.value == x);
  }
  CHECK(decode_rq_wqe(b.data(), 63).status == DecodeStatus::Truncated);
  encode_rq_wqe(b.data(), r);
  b[8] = 4;
  CHECK(decode_rq_wqe(b.data(), b.size()).status == DecodeStatus::Malformed);
  b[8] = 2;
  b[15] = 1;
  CHECK(decode_rq_wqe(b.data(), b.size()).status == DecodeStatus::Malformed);
  RqWqe four;
  four.sgl.resize(4);
  CHECK_THROWS_AS(encode_rq_wqe(b.data(), four), std::invalid_argument);
}

TEST_CASE("CQE: exact bytes, round trip of every field, malformed entries", "[verbs][wire]") {
  Cqe c;
  c.wr_id = 0x0A0B0C0D0E0F1011;
  c.qpn = 0x12;
  c.byte_len = 4096;
  c.invalidated_stag = 0x00ABCDEF;
  c.status = CqeStatus::Success;
  c.opcode = CqeOpcode::Recv;
  c.solicited = true;
  c.with_invalidate = true;
  c.phase = true;
  std::vector<uint8_t> b(kCqeLen, 0xEE);
  CHECK(encode_cqe(b.data(), c) == 32);
  CHECK(b == hex("11 10 0f 0e 0d 0c 0b 0a  12 00 00 00 00 10 00 00"
                 "ef cd ab 00 00 03 03 00  00 00 00 00 00 00 00 01"));
  auto d = decode_cqe(b.data(), b.size());
  REQUIRE(d.status == DecodeStatus::Ok);
  CHECK(d.length == 32);
  CHECK(d.value == c);

  // Every status and opcode, each flag and the phase alone, all-ones in each field.
  for (uint8_t s = 0; s <= 7; ++s) {
    for (uint8_t o = 0; o <= 5; ++o) {
      for (int f = 0; f < 8; ++f) {
        Cqe x;
        x.wr_id = ~0ull - s;
        x.qpn = 0xFFFFFF00u + o;
        x.byte_len = ~0u;
        x.invalidated_stag = 0xFFFFFFFEu;
        x.status = static_cast<CqeStatus>(s);
        x.opcode = static_cast<CqeOpcode>(o);
        x.solicited = f & 1;
        x.with_invalidate = f & 2;
        x.phase = f & 4;
        encode_cqe(b.data(), x);
        d = decode_cqe(b.data(), b.size());
        REQUIRE(d.status == DecodeStatus::Ok);
        CHECK(d.value.wr_id == x.wr_id);
        CHECK(d.value.qpn == x.qpn);
        CHECK(d.value.byte_len == x.byte_len);
        CHECK(d.value.invalidated_stag == x.invalidated_stag);
        CHECK(d.value.status == x.status);
        CHECK(d.value.opcode == x.opcode);
        CHECK(d.value.solicited == x.solicited);
        CHECK(d.value.with_invalidate == x.with_invalidate);
        CHECK(d.value.phase == x.phase);
        CHECK(b[31] == (x.phase ? 1 : 0));
      }
    }
  }
  // A zeroed slot is an old entry of phase 0, not an error.
  const std::vector<uint8_t> zero(32, 0);
  d = decode_cqe(zero.data(), zero.size());
  REQUIRE(d.status == DecodeStatus::Ok);
  CHECK(d.value.phase == false);

  encode_cqe(b.data(), c);
  CHECK(decode_cqe(b.data(), 31).status == DecodeStatus::Truncated);
  for (size_t at : {size_t{20}, size_t{21}, size_t{22}, size_t{23}, size_t{30}, size_t{31}}) {
    std::vector<uint8_t> m = b;
    m[at] = at == 20 ? 8 : at == 21 ? 6 : at == 22 ? 0x07 : at == 31 ? 0x03 : 0x01;
    INFO("byte " << at);
    CHECK(decode_cqe(m.data(), m.size()).status == DecodeStatus::Malformed);
  }
}

TEST_CASE("Doorbell: exact bytes, round trip, BAR offsets", "[verbs][wire]") {
  std::vector<uint8_t> b(8, 0xEE);
  CHECK(encode_doorbell(b.data(), Doorbell{0x12, 0x00010203}) == 8);
  CHECK(b == hex("12 00 00 00 03 02 01 00"));
  const Doorbell all{0xFFFFFFFE, 0xFFFFFFFD};
  encode_doorbell(b.data(), all);
  auto d = decode_doorbell(b.data(), b.size());
  REQUIRE(d.status == DecodeStatus::Ok);
  CHECK(d.length == 8);
  CHECK(d.value.qpn == 0xFFFFFFFE);
  CHECK(d.value.index == 0xFFFFFFFD);
  CHECK(decode_doorbell(b.data(), 7).status == DecodeStatus::Truncated);
  CHECK(kDoorbellBar == 0);
  CHECK(kSqDoorbellOffset == 0x1000);
  CHECK(kRqDoorbellOffset == 0x1008);
  CHECK(kCqConsumerDoorbellOffset == 0x1010);
  CHECK(kCqArmDoorbellOffset == 0x1018);
  CHECK(kCqArmSolicitedDoorbellOffset == 0x1020);
}

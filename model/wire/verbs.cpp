#include "model/wire/verbs.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "model/common/bytes.h"

namespace rnicsim::wire {

namespace {

uint16_t load_le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
void store_le16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}

void store_sge(uint8_t* p, const VerbsSge& s) {
  store_le64(p, s.addr);
  store_le32(p + 8, s.length);
  store_le32(p + 12, s.lkey);
}
VerbsSge load_sge(const uint8_t* p) { return VerbsSge{load_le64(p), load_le32(p + 8), load_le32(p + 12)}; }

bool all_zero(const uint8_t* p, size_t n) {
  return std::all_of(p, p + n, [](uint8_t b) { return b == 0; });
}

bool known(SqOpcode o) {
  switch (o) {
    case SqOpcode::RdmaWrite:
    case SqOpcode::RdmaRead:
    case SqOpcode::Send:
    case SqOpcode::SendWithInvalidate:
    case SqOpcode::AtomicFetchAdd:
    case SqOpcode::AtomicCmpSwap:
      return true;
  }
  return false;
}

bool is_atomic(SqOpcode o) { return o == SqOpcode::AtomicFetchAdd || o == SqOpcode::AtomicCmpSwap; }
bool carries_data(SqOpcode o) {
  return o == SqOpcode::RdmaWrite || o == SqOpcode::Send || o == SqOpcode::SendWithInvalidate;
}

/// The base slot's count and flags: the slots the WQE occupies, or Malformed.
Decoded<size_t> slots_of(const uint8_t* p) {
  Decoded<size_t> d;
  const uint8_t flags = p[9];
  const uint16_t count = load_le16(p + 10);
  if (flags & sq_flags::kReserved) {
    d.status = DecodeStatus::Malformed;
    return d;
  }
  if (flags & sq_flags::kInline) {
    if (count > kSqMaxInline) {
      d.status = DecodeStatus::Malformed;
      return d;
    }
    d.value = sq_wqe_slots(count);
  } else {
    d.value = 1;
  }
  d.status = DecodeStatus::Ok;
  d.length = kSqSlotLen;
  return d;
}

}  // namespace

const char* to_string(SqOpcode o) {
  switch (o) {
    case SqOpcode::RdmaWrite: return "RDMA_WRITE";
    case SqOpcode::RdmaRead: return "RDMA_READ";
    case SqOpcode::Send: return "SEND";
    case SqOpcode::SendWithInvalidate: return "SEND_WITH_INV";
    case SqOpcode::AtomicFetchAdd: return "ATOMIC_FETCH_AND_ADD";
    case SqOpcode::AtomicCmpSwap: return "ATOMIC_CMP_AND_SWP";
  }
  return "?";
}

bool SqWqe::operator==(const SqWqe& o) const {
  return wr_id == o.wr_id && opcode == o.opcode && signaled == o.signaled && fence == o.fence &&
         solicited == o.solicited && is_inline == o.is_inline && num_sge == o.num_sge && rkey == o.rkey &&
         remote_addr == o.remote_addr && total_length == o.total_length && invalidate_stag == o.invalidate_stag &&
         atomic_compare == o.atomic_compare && atomic_operand == o.atomic_operand && sge == o.sge &&
         inline_data == o.inline_data;
}

size_t sq_wqe_slots(const SqWqe& w) { return w.is_inline ? sq_wqe_slots(w.inline_data.size()) : 1; }

RdmapOpcode rdmap_opcode(const SqWqe& w) {
  switch (w.opcode) {
    case SqOpcode::RdmaWrite: return RdmapOpcode::RdmaWrite;
    case SqOpcode::RdmaRead: return RdmapOpcode::RdmaReadRequest;
    case SqOpcode::Send: return w.solicited ? RdmapOpcode::SendWithSe : RdmapOpcode::Send;
    case SqOpcode::SendWithInvalidate:
      return w.solicited ? RdmapOpcode::SendWithSeInvalidate : RdmapOpcode::SendWithInvalidate;
    case SqOpcode::AtomicFetchAdd:
    case SqOpcode::AtomicCmpSwap:
      return RdmapOpcode::AtomicRequest;
  }
  throw std::invalid_argument("rdmap_opcode: unknown send-queue opcode");
}

AtomicOp atomic_op(const SqWqe& w) {
  if (w.opcode == SqOpcode::AtomicFetchAdd) return AtomicOp::FetchAdd;
  if (w.opcode == SqOpcode::AtomicCmpSwap) return AtomicOp::CmpSwap;
  throw std::invalid_argument("atomic_op: the WQE is no atomic");
}

size_t encode_sq_wqe(uint8_t* out, const SqWqe& w) {
  if (w.is_inline && w.inline_data.size() > kSqMaxInline)
    throw std::invalid_argument("encode_sq_wqe: inline data over kSqMaxInline bytes");
  const size_t len = sq_wqe_slots(w) * kSqSlotLen;
  std::memset(out, 0, len);
  store_le64(out, w.wr_id);
  out[8] = static_cast<uint8_t>(w.opcode);
  out[9] = static_cast<uint8_t>((w.signaled ? sq_flags::kSignaled : 0) | (w.fence ? sq_flags::kFence : 0) |
                                (w.solicited ? sq_flags::kSolicited : 0) | (w.is_inline ? sq_flags::kInline : 0));
  store_le16(out + 10, static_cast<uint16_t>(w.is_inline ? w.inline_data.size() : w.num_sge));
  store_le32(out + 12, w.rkey);
  store_le64(out + 16, w.remote_addr);
  store_le32(out + 24, w.total_length);
  store_le32(out + 28, w.invalidate_stag);
  store_le64(out + 32, w.atomic_compare);
  store_le64(out + 40, w.atomic_operand);
  store_sge(out + 48, w.sge);
  if (w.is_inline && !w.inline_data.empty()) std::memcpy(out + kSqSlotLen, w.inline_data.data(), w.inline_data.size());
  return len;
}

std::vector<uint8_t> encode_sq_wqe(const SqWqe& w) {
  if (w.is_inline && w.inline_data.size() > kSqMaxInline)
    throw std::invalid_argument("encode_sq_wqe: inline data over kSqMaxInline bytes");
  std::vector<uint8_t> out(sq_wqe_slots(w) * kSqSlotLen);
  encode_sq_wqe(out.data(), w);
  return out;
}

Decoded<size_t> peek_sq_wqe_slots(const uint8_t* p, size_t len) {
  if (len < kSqSlotLen) return {};
  return slots_of(p);
}

Decoded<SqWqe> decode_sq_wqe(const uint8_t* p, size_t len) {
  Decoded<SqWqe> d;
  const Decoded<size_t> slots = peek_sq_wqe_slots(p, len);
  if (!slots) {
    d.status = slots.status;
    return d;
  }
  const size_t total = slots.value * kSqSlotLen;
  if (len < total) return d;
  SqWqe& w = d.value;
  w.wr_id = load_le64(p);
  w.opcode = static_cast<SqOpcode>(p[8]);
  const uint8_t flags = p[9];
  w.signaled = flags & sq_flags::kSignaled;
  w.fence = flags & sq_flags::kFence;
  w.solicited = flags & sq_flags::kSolicited;
  w.is_inline = flags & sq_flags::kInline;
  const uint16_t count = load_le16(p + 10);
  w.rkey = load_le32(p + 12);
  w.remote_addr = load_le64(p + 16);
  w.total_length = load_le32(p + 24);
  w.invalidate_stag = load_le32(p + 28);
  w.atomic_compare = load_le64(p + 32);
  w.atomic_operand = load_le64(p + 40);
  w.sge = load_sge(p + 48);
  bool ok = known(w.opcode);
  if (w.is_inline) {
    ok = ok && carries_data(w.opcode) && w.total_length == count;
    w.inline_data.assign(p + kSqSlotLen, p + kSqSlotLen + count);
  } else {
    ok = ok && count <= kSqMaxSge;
    w.num_sge = static_cast<uint8_t>(count);
    ok = ok && w.total_length == (w.num_sge ? w.sge.length : 0u);
  }
  if (ok && is_atomic(w.opcode)) ok = !w.is_inline && w.num_sge == 1 && w.total_length == 8;
  if (!ok) {
    d.status = DecodeStatus::Malformed;
    return d;
  }
  d.status = DecodeStatus::Ok;
  d.length = total;
  return d;
}

size_t encode_rq_wqe(uint8_t* out, const RqWqe& r) {
  if (r.sgl.size() > kRqMaxSge) throw std::invalid_argument("encode_rq_wqe: more than kRqMaxSge SGEs");
  std::memset(out, 0, kRqSlotLen);
  store_le64(out, r.wr_id);
  out[8] = static_cast<uint8_t>(r.sgl.size());
  for (size_t i = 0; i < r.sgl.size(); ++i) store_sge(out + 16 + i * kSgeLen, r.sgl[i]);
  return kRqSlotLen;
}

Decoded<RqWqe> decode_rq_wqe(const uint8_t* p, size_t len) {
  Decoded<RqWqe> d;
  if (len < kRqSlotLen) return d;
  const uint8_t n = p[8];
  if (n > kRqMaxSge || !all_zero(p + 9, 7)) {
    d.status = DecodeStatus::Malformed;
    return d;
  }
  d.value.wr_id = load_le64(p);
  for (size_t i = 0; i < n; ++i) d.value.sgl.push_back(load_sge(p + 16 + i * kSgeLen));
  d.status = DecodeStatus::Ok;
  d.length = kRqSlotLen;
  return d;
}

bool Cqe::operator==(const Cqe& o) const {
  return wr_id == o.wr_id && qpn == o.qpn && byte_len == o.byte_len && invalidated_stag == o.invalidated_stag &&
         status == o.status && opcode == o.opcode && solicited == o.solicited &&
         with_invalidate == o.with_invalidate && phase == o.phase;
}

size_t encode_cqe(uint8_t* out, const Cqe& c) {
  std::memset(out, 0, kCqeLen);
  store_le64(out, c.wr_id);
  store_le32(out + 8, c.qpn);
  store_le32(out + 12, c.byte_len);
  store_le32(out + 16, c.invalidated_stag);
  out[20] = static_cast<uint8_t>(c.status);
  out[21] = static_cast<uint8_t>(c.opcode);
  out[22] = static_cast<uint8_t>((c.solicited ? cqe_flags::kSolicited : 0) |
                                 (c.with_invalidate ? cqe_flags::kWithInvalidate : 0));
  out[31] = c.phase ? 1 : 0;
  return kCqeLen;
}

Decoded<Cqe> decode_cqe(const uint8_t* p, size_t len) {
  Decoded<Cqe> d;
  if (len < kCqeLen) return d;
  const bool status_ok = p[20] <= static_cast<uint8_t>(CqeStatus::FlushError);
  const bool opcode_ok = p[21] <= static_cast<uint8_t>(CqeOpcode::CmpSwap);
  if (!status_ok || !opcode_ok || (p[22] & cqe_flags::kReserved) || !all_zero(p + 23, 8) || (p[31] & 0xFE)) {
    d.status = DecodeStatus::Malformed;
    return d;
  }
  Cqe& c = d.value;
  c.wr_id = load_le64(p);
  c.qpn = load_le32(p + 8);
  c.byte_len = load_le32(p + 12);
  c.invalidated_stag = load_le32(p + 16);
  c.status = static_cast<CqeStatus>(p[20]);
  c.opcode = static_cast<CqeOpcode>(p[21]);
  c.solicited = p[22] & cqe_flags::kSolicited;
  c.with_invalidate = p[22] & cqe_flags::kWithInvalidate;
  c.phase = p[31] & 1;
  d.status = DecodeStatus::Ok;
  d.length = kCqeLen;
  return d;
}

size_t encode_doorbell(uint8_t* out, const Doorbell& d) {
  store_le32(out, d.qpn);
  store_le32(out + 4, d.index);
  return kDoorbellLen;
}

Decoded<Doorbell> decode_doorbell(const uint8_t* p, size_t len) {
  Decoded<Doorbell> d;
  if (len < kDoorbellLen) return d;
  d.value.qpn = load_le32(p);
  d.value.index = load_le32(p + 4);
  d.status = DecodeStatus::Ok;
  d.length = kDoorbellLen;
  return d;
}

}  // namespace rnicsim::wire

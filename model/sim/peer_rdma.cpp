#include "model/sim/peer_rdma.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "model/common/bytes.h"
#include "model/proto/placement/regions.h"
#include "model/sim/bulk.h"
#include "model/sim/host_access.h"

namespace rnicsim::sim {
namespace {

/// Stream bytes [offset, offset + n) written at [va, va + n) of a host buffer.
void write_stream(host::HostMemory& m, const host::VirtBuffer& b, uint64_t va, uint64_t key, uint64_t offset,
                  uint64_t n) {
  each_piece(b, va, n, [&](uint64_t pa, uint64_t off, uint64_t k) {
    fill_stream_pattern(key, offset + off, m.bytes_at(pa, k == host::HostMemory::kPage), k);
  });
}

/// True when [va, va + n) of a host buffer holds stream bytes [offset, offset + n).
bool stream_at(host::HostMemory& m, const host::VirtBuffer& b, uint64_t va, uint64_t key, uint64_t offset,
               uint64_t n) {
  bool ok = true;
  std::vector<uint8_t> want(host::HostMemory::kPage), got(host::HostMemory::kPage);
  each_piece(b, va, n, [&](uint64_t pa, uint64_t off, uint64_t k) {
    if (!ok) return;
    fill_stream_pattern(key, offset + off, want.data(), k);
    m.read(pa, got.data(), k);
    ok = std::memcmp(want.data(), got.data(), k) == 0;
  });
  return ok;
}

constexpr uint64_t kPeerRecvTag = uint64_t{0x5EC} << 52;  ///< wr_id of a sink's receive: tag | index << 32 | n

}  // namespace

bool qp_ended(host::Host& h, uint32_t qpn) {
  if (qpn == UINT32_MAX) return false;
  auto& e = h.rnic().engine();
  switch (e.state(qpn)) {
    case hw::QpState::Terminate:
    case hw::QpState::Error: return true;
    case hw::QpState::Idle: return e.conn_of(qpn) != UINT32_MAX;  // closed, not yet accepted
    default: return false;
  }
}

// ------------------------------------------------------------------ expose

ExposeRunner::ExposeRunner(const scenario::WorkloadSpec& spec, uint64_t key, host::Host& h)
    : spec_(spec), key_(key), h_(h) {
  uint64_t offset = 0;
  for (uint64_t size : spec.sizes) {
    figures_[size];
    for (uint64_t i = 0; i < spec.count; ++i) {
      Region r;
      r.size = size;
      r.offset = offset;
      offset += size;
      regions_.push_back(std::move(r));
    }
  }
}

void ExposeRunner::register_regions() {
  const bool read = spec_.access == "read";
  for (Region& r : regions_) {
    r.buf.make(h_, r.size);
    if (read) write_stream(h_.memory(), r.buf.inner, r.buf.inner.va, key_, r.offset, r.size);
    r.stag = h_.reg_mr(r.buf.inner, 1, read ? placement::access::kRemoteRead : placement::access::kRemoteWrite);
  }
}

void ExposeRunner::describe(std::vector<uint8_t>& out) const {
  for (const Region& r : regions_) {
    uint8_t d[kRegionDescriptorLen];
    store_be32(d, r.stag);
    store_be64(d + 4, r.buf.inner.va);
    store_be32(d + 12, static_cast<uint32_t>(r.size));
    out.insert(out.end(), d, d + sizeof d);
  }
}

void ExposeRunner::attach(uint32_t qpn) {
  qpn_ = qpn;
  for (auto& [size, f] : figures_) f.first_post = sim_now();
}

bool ExposeRunner::holds_stream(const Region& r) const {
  return stream_at(h_.memory(), r.buf.inner, r.buf.inner.va, key_, r.offset, r.size);
}

void ExposeRunner::cover(uint32_t stag, uint64_t va, uint64_t len) {
  for (Region& r : regions_) {
    if (r.stag != stag || r.done) continue;
    // The placement unit checked the bounds: [va, va + len) lies in the region.
    const uint64_t from = va - r.buf.inner.va;
    r.covered.insert(from, from + len);
    if (r.covered.bytes() < r.size) return;
    // Every byte written (or sent): the region is done, its bytes compared now.
    r.done = true;
    SizeFigures& f = figures_[r.size];
    ++f.completed;
    f.bytes += r.size;
    f.last_completion = sim_now();
    ++f.verified;
    if (!holds_stream(r)) f.data_intact = false;
    return;
  }
}

void ExposeRunner::on_write_placed(host::Host* h, uint32_t qpn, uint32_t stag, uint64_t to_end, uint64_t bytes) {
  // A Write whose extent is unknown (its segments mixed with another's) covers nothing.
  if (h != &h_ || qpn != qpn_ || spec_.access != "write" || bytes == 0 || bytes > to_end) return;
  cover(stag, to_end - bytes, bytes);
}

void ExposeRunner::on_read_sent(host::Host* h, uint32_t qpn, uint32_t stag, uint64_t va, uint64_t len) {
  if (h != &h_ || qpn != qpn_ || spec_.access != "read" || len == 0) return;
  cover(stag, va, len);
}

bool ExposeRunner::finished() const {
  return std::all_of(regions_.begin(), regions_.end(), [](const Region& r) { return r.done; });
}

void ExposeRunner::finish_checks() {
  // A QP that ended takes no more Writes or Reads: its regions not yet done never will be.
  const bool ended = refused_ || qp_ended(h_, qpn_);
  for (Region& r : regions_) {
    SizeFigures& f = figures_[r.size];
    // Nothing placed outside a region, and a region done still holds its bytes (a later
    // Write over it would have changed them).
    if (!refused_ && !r.buf.untouched(h_.memory(), {{r.buf.inner.va, r.size}})) f.data_intact = false;
    if (r.done && !holds_stream(r)) f.data_intact = false;
    if (!r.done && ended) ++f.errors;
  }
}

// ------------------------------------------------------------------ sink

PeerSinkRunner::PeerSinkRunner(const scenario::WorkloadSpec& spec, uint32_t index, uint64_t key, host::Host& h,
                               uint32_t rq_depth)
    : spec_(spec), index_(index), key_(key), h_(h), rq_depth_(rq_depth) {
  uint64_t offset = 0;
  for (uint64_t size : spec.sizes) {
    figures_[size];
    slot_ = std::max(slot_, size);
    for (uint64_t i = 0; i < spec.count; ++i) {
      messages_.push_back({size, offset});
      offset += size;
    }
  }
  slots_ = static_cast<uint32_t>(std::min<uint64_t>(messages_.size(), std::max<uint32_t>(rq_depth_, 1)));
}

void PeerSinkRunner::attach(uint32_t qpn) {
  qpn_ = qpn;
  for (auto& [size, f] : figures_) f.first_post = sim_now();
  buf_.make(h_, std::max<uint64_t>(slot_, 1) * slots_);
  h_.reg_mr(buf_.inner, 1, placement::access::kLocalWrite);
  for (uint32_t i = 0; i < slots_; ++i) post_next();
}

void PeerSinkRunner::post_next() {
  if (posted_ >= messages_.size()) return;
  hw::Rqe r;
  r.wr_id = kPeerRecvTag | uint64_t{index_} << 32 | posted_;  // messages_ holds fewer than 2^32 (checked)
  r.sgl.push_back({&buf_.inner, slot_va(posted_), slot_});
  if (!h_.post_recv(qpn_, r)) throw std::logic_error("sink: a receive posted past qp.rq_depth");
  ++posted_;
}

void PeerSinkRunner::on_cqe(const hw::Cqe& c) {
  if ((c.wr_id & ~((uint64_t{1} << 52) - 1)) != kPeerRecvTag || ((c.wr_id >> 32) & 0xFFFFF) != index_) return;
  const uint64_t n = c.wr_id & 0xFFFFFFFF;
  if (c.qpn != qpn_ || n >= posted_) return;
  const Message& msg = messages_[n];
  const uint64_t va = slot_va(n);
  SizeFigures& f = figures_[msg.size];
  ++received_;
  if (c.status != hw::WcStatus::Success) {
    ++f.errors;  // flushed: the QP ended before the peer's Send came
    fill_guard(h_.memory(), buf_.inner, va, slot_);  // what a Send cut short left there is gone with it
    return;
  }
  ++f.completed;
  f.bytes += c.byte_len;
  f.last_completion = sim_now();
  if (msg.size) ++f.verified;
  // Receives complete in the order they were posted (RFC 5040 s.5.3: Sends are placed in
  // MSN order), so this is the n-th message.
  const bool ok = n + 1 == received_ && c.opcode == hw::WcOpcode::Recv && c.byte_len == msg.size &&
                  stream_at(h_.memory(), buf_.inner, va, key_, msg.offset, msg.size);
  if (!ok) f.data_intact = false;
  fill_guard(h_.memory(), buf_.inner, va, slot_);  // the application consumed it
  post_next();
}

void PeerSinkRunner::finish_checks() {
  if (refused_) {
    for (const Message& m : messages_) ++figures_[m.size].errors;
    return;
  }
  if (qpn_ == UINT32_MAX) return;  // the peer never connected: unfinished
  // Nothing placed beyond a message: the slots hold the guard byte, but for those whose
  // receives are still posted (a Send may yet land there).
  std::vector<std::pair<uint64_t, uint64_t>> busy;
  for (uint64_t n = received_; n < posted_; ++n) busy.emplace_back(slot_va(n), slot_);
  if (!buf_.untouched(h_.memory(), busy))
    for (auto& [size, f] : figures_) f.data_intact = false;
  for (uint64_t n = received_; n < posted_; ++n) ++figures_[messages_[n].size].in_flight;
  // Receives the QP flushed have completed in error above; with the QP ended, messages
  // never posted never will be.
  if (qp_ended(h_, qpn_))
    for (uint64_t n = posted_; n < messages_.size(); ++n) ++figures_[messages_[n].size].errors;
}

}  // namespace rnicsim::sim

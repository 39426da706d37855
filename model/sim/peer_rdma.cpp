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
  attached_ = sim_now();
  for (auto& [size, f] : figures_) f.first_post = attached_;
}

bool ExposeRunner::holds_stream(const Region& r) const {
  return stream_at(h_.memory(), r.buf.inner, r.buf.inner.va, key_, r.offset, r.size);
}

void ExposeRunner::complete(Region& r) {
  r.done = true;
  SizeFigures& f = figures_[r.size];
  ++f.completed;
  f.bytes += r.size;
  f.last_completion = sim_now();
  f.latencies_ns.push_back((sim_now() - attached_).ps / 1000);
  ++f.verified;
  if (!holds_stream(r)) f.data_intact = false;
}

void ExposeRunner::on_write_placed(host::Host* h, uint32_t qpn, uint32_t stag, uint64_t to_end) {
  if (h != &h_ || qpn != qpn_ || spec_.access != "write") return;
  for (Region& r : regions_)
    if (r.stag == stag && !r.done && to_end == r.buf.inner.va + r.size) complete(r);
}

void ExposeRunner::on_read_served(host::Host* h, uint32_t qpn, uint32_t stag, uint64_t src_end) {
  if (h != &h_ || qpn != qpn_ || spec_.access != "read") return;
  for (Region& r : regions_)
    if (r.stag == stag && !r.done && src_end == r.buf.inner.va + r.size) complete(r);
}

bool ExposeRunner::finished() const {
  return std::all_of(regions_.begin(), regions_.end(), [](const Region& r) { return r.done; });
}

void ExposeRunner::finish_checks() {
  // A QP that ended (terminated, in error, closed) takes no more Writes or Reads: its
  // regions not yet done never will be.
  const bool ended = qpn_ != UINT32_MAX && h_.rnic().engine().state(qpn_) != hw::QpState::Rts;
  for (Region& r : regions_) {
    SizeFigures& f = figures_[r.size];
    // Nothing placed outside a region, and a region done still holds its bytes (a later
    // Write over it would have changed them).
    if (!r.buf.untouched(h_.memory(), {{r.buf.inner.va, r.size}})) f.data_intact = false;
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
  attached_ = sim_now();
  for (auto& [size, f] : figures_) f.first_post = attached_;
  buf_.make(h_, std::max<uint64_t>(slot_, 1) * slots_);
  h_.reg_mr(buf_.inner, 1, placement::access::kLocalWrite);
  for (uint32_t i = 0; i < slots_; ++i) post_next();
}

void PeerSinkRunner::post_next() {
  if (posted_ >= messages_.size()) return;
  hw::Rqe r;
  r.wr_id = kPeerRecvTag | uint64_t{index_} << 32 | posted_;
  const uint64_t slot = posted_ % slots_;
  r.sgl.push_back({&buf_.inner, buf_.inner.va + slot * slot_, slot_});
  if (!h_.post_recv(qpn_, r)) throw std::logic_error("sink: a receive posted past qp.rq_depth");
  ++posted_;
}

void PeerSinkRunner::on_cqe(const hw::Cqe& c) {
  if ((c.wr_id & ~((uint64_t{1} << 52) - 1)) != kPeerRecvTag || ((c.wr_id >> 32) & 0xFFFFF) != index_) return;
  if (c.qpn != qpn_ || received_ >= messages_.size()) return;
  // Receives complete in the order they were posted: this one is message `received_`.
  const Message& msg = messages_[received_];
  const uint64_t slot = received_ % slots_;
  const uint64_t va = buf_.inner.va + slot * slot_;
  SizeFigures& f = figures_[msg.size];
  ++received_;
  if (c.status != hw::WcStatus::Success) {
    ++f.errors;  // flushed: the QP ended before the peer's Send came
    return;
  }
  ++f.completed;
  f.bytes += c.byte_len;
  f.last_completion = sim_now();
  f.latencies_ns.push_back((sim_now() - attached_).ps / 1000);
  if (msg.size) ++f.verified;
  const bool ok = c.opcode == hw::WcOpcode::Recv && c.byte_len == msg.size &&
                  stream_at(h_.memory(), buf_.inner, va, key_, msg.offset, msg.size);
  if (!ok) f.data_intact = false;
  fill_guard(h_.memory(), buf_.inner, va, slot_);  // the application consumed it
  post_next();
}

void PeerSinkRunner::finish_checks() {
  if (qpn_ == UINT32_MAX) return;
  // Nothing placed beyond a message: the slots hold the guard byte, but for those whose
  // receives are still posted (a Send may yet land there).
  std::vector<std::pair<uint64_t, uint64_t>> busy;
  for (uint64_t n = received_; n < posted_; ++n) busy.emplace_back(buf_.inner.va + (n % slots_) * slot_, slot_);
  if (!buf_.untouched(h_.memory(), busy))
    for (auto& [size, f] : figures_) f.data_intact = false;
  // Receives the QP flushed have completed in error above; with the QP ended, messages
  // never posted never will be.
  if (h_.rnic().engine().state(qpn_) != hw::QpState::Rts)
    for (uint64_t n = posted_; n < messages_.size(); ++n) ++figures_[messages_[n].size].errors;
}

}  // namespace rnicsim::sim

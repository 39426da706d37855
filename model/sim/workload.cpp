#include "model/sim/workload.h"

#include <algorithm>
#include <cstring>

#include "model/common/rng.h"
#include "model/proto/placement/regions.h"

namespace rnicsim::sim {

void fill_pattern(uint64_t seed, uint64_t op_key, uint8_t* dst, uint64_t n) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ull ^ (op_key + 1) * 0xD1B54A32D192ED03ull;
  uint64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint64_t v = splitmix64(x);
    std::memcpy(dst + i, &v, 8);
  }
  if (i < n) {
    const uint64_t v = splitmix64(x);
    std::memcpy(dst + i, &v, n - i);
  }
}

namespace {
constexpr uint64_t kGuard = 4096;  ///< bytes of guard on each side of a target buffer
constexpr uint64_t kRecvBit = uint64_t{1} << 63;
uint64_t workload_key(const std::string& id, uint32_t copy) { return hash_name(id) ^ (uint64_t{copy} << 48); }

/// Copies between a host buffer in virtual addresses and the application.
void write_virt(host::HostMemory& m, const host::VirtBuffer& b, uint64_t va, const uint8_t* src, uint64_t n) {
  for (uint64_t off = 0; off < n;) {
    const uint64_t k = std::min<uint64_t>(n - off, host::HostMemory::kPage - (va + off) % host::HostMemory::kPage);
    m.write(b.pa(va + off), src + off, k);
    off += k;
  }
}
void read_virt(host::HostMemory& m, const host::VirtBuffer& b, uint64_t va, uint8_t* dst, uint64_t n) {
  for (uint64_t off = 0; off < n;) {
    const uint64_t k = std::min<uint64_t>(n - off, host::HostMemory::kPage - (va + off) % host::HostMemory::kPage);
    m.read(b.pa(va + off), dst + off, k);
    off += k;
  }
}
void fill_guard(host::HostMemory& m, const host::VirtBuffer& b, uint64_t va, uint64_t n) {
  const std::vector<uint8_t> g(n, kGuardByte);
  write_virt(m, b, va, g.data(), n);
}

wire::RdmapOpcode send_opcode(const std::string& op) {
  if (op == "send_se") return wire::RdmapOpcode::SendWithSe;
  if (op == "send_inv") return wire::RdmapOpcode::SendWithInvalidate;
  if (op == "send_se_inv") return wire::RdmapOpcode::SendWithSeInvalidate;
  return wire::RdmapOpcode::Send;
}
}  // namespace

// ------------------------------------------------------------------ guarded buffers

void GuardedBuffer::make(host::Host& h, uint64_t len) {
  whole = h.alloc_buffer(len + 2 * kGuard);
  fill_guard(h.memory(), whole, whole.va, whole.length);
  inner.va = whole.va + kGuard;
  inner.length = len;
  inner.pages.assign(whole.pages.begin() + static_cast<std::ptrdiff_t>(kGuard / host::HostMemory::kPage),
                     whole.pages.end());
}

bool GuardedBuffer::untouched(host::HostMemory& m) const {
  std::vector<uint8_t> b(whole.length);
  read_virt(m, whole, whole.va, b.data(), b.size());
  return std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == kGuardByte; });
}

// ------------------------------------------------------------------ receiver

Receiver::Receiver(Endpoint ep, uint64_t slot, uint32_t slots) : ep_(ep), slot_(std::max<uint64_t>(1, slot)), slots_(slots) {}

void Receiver::start() {
  if (started_) return;
  started_ = true;
  buf_.make(*ep_.server, slot_ * slots_);
  ep_.server->reg_mr(buf_.inner, 1, placement::access::kLocalWrite);
  for (uint32_t i = 0; i < slots_; ++i) post(i);
}

void Receiver::post(uint32_t slot) {
  hw::Rqe r;
  r.wr_id = kRecvBit | slot;
  const uint64_t base = buf_.inner.va + slot * slot_;
  const uint64_t h = slot_ / 2;
  // A two-piece scatter list, out of address order: the second half of the slot first.
  r.sgl.push_back({&buf_.inner, base + h, slot_ - h});
  if (h) r.sgl.push_back({&buf_.inner, base, h});
  ep_.server->post_recv(ep_.server_qpn, r);
}

void Receiver::on_cqe(const hw::Cqe& c, uint64_t seed) {
  if (!(c.wr_id & kRecvBit) || c.status != hw::WcStatus::Success || expected_.empty()) return;
  const auto slot = static_cast<uint32_t>(c.wr_id & 0xFFFFFFFF);
  const Expected e = expected_.front();
  expected_.pop_front();
  ++received_;
  ++by_runner_[e.from];
  host::HostMemory& m = ep_.server->memory();
  const uint64_t base = buf_.inner.va + slot * slot_;
  const uint64_t h = slot_ / 2;
  bool ok = c.byte_len == e.size && c.solicited == e.solicited && c.invalidated_stag == e.invalidate &&
            c.opcode == hw::WcOpcode::Recv;
  if (e.invalidate) {
    const placement::Region* r = ep_.server->rnic().placement().regions().find(e.invalidate);
    ok = ok && r && r->invalidated;
  }
  if (ok && e.size) {
    std::vector<uint8_t> want(e.size), got(e.size);
    fill_pattern(seed, e.key, want.data(), e.size);
    const uint64_t first = std::min(e.size, slot_ - h);
    read_virt(m, buf_.inner, base + h, got.data(), first);
    if (e.size > first) read_virt(m, buf_.inner, base, got.data() + first, e.size - first);
    ok = want == got;
  }
  if (!ok && e.from) e.from->data_bad(e.size);
  fill_guard(m, buf_.inner, base, slot_);  // the application consumed it
  post(slot);
}

// ------------------------------------------------------------------ operations

OpRunner::OpRunner(const scenario::WorkloadSpec& spec, uint32_t index, uint64_t seed, uint32_t copy, Endpoint ep,
                   Receiver* receiver)
    : spec_(spec), index_(index), seed_(seed), copy_(copy), ep_(ep), receiver_(receiver) {}

uint32_t OpRunner::bad_stag(uint32_t good) const {
  // An index past the end of any region table: never registered.
  return placement::make_stag(0xFFFFFF - copy_, placement::stag_key(good));
}

void OpRunner::start() {
  if (started_) return;
  started_ = true;
  const uint64_t max_size = *std::max_element(spec_.sizes.begin(), spec_.sizes.end());
  const uint64_t len = std::max<uint64_t>(1, max_size * spec_.depth);
  const std::string& v = spec_.violate;
  host::Host& server = *ep_.server;
  const uint32_t target_pd = v == "pd" ? server.alloc_pd() : pd_;
  if (spec_.op == "write") {
    src_ = ep_.client->alloc_buffer(len);
    ep_.client->reg_mr(src_, pd_, placement::access::kLocalWrite);
    target_.make(server, len);
    remote_stag_ = server.reg_mr(target_.inner, target_pd,
                                 v == "access" ? placement::access::kRemoteRead : placement::access::kRemoteWrite);
  } else if (spec_.op == "read") {
    src_ = server.alloc_buffer(len);
    remote_stag_ = server.reg_mr(src_, target_pd,
                                 v == "access" ? placement::access::kRemoteWrite : placement::access::kRemoteRead);
    target_.make(*ep_.client, len);
    sink_stag_ = ep_.client->reg_mr(target_.inner, pd_, placement::access::kLocalWrite);
  } else {
    src_ = ep_.client->alloc_buffer(len);
    ep_.client->reg_mr(src_, pd_, placement::access::kLocalWrite);
  }
  if (remote_stag_) {
    if (v == "invalidated") server.invalidate_stag(remote_stag_);
    if (v == "stag") remote_stag_ = bad_stag(remote_stag_);
  }
  begin_size();
}

void OpRunner::begin_size() {
  posted_ = done_ = 0;
  for (uint32_t i = 0; i < spec_.depth && posted_ < spec_.count; ++i) post_next();
}

void OpRunner::post_next() {
  const uint64_t size = spec_.sizes[size_idx_];
  const uint64_t slot = posted_ % spec_.depth;
  const uint64_t key = workload_key(spec_.id, copy_) + total_ops_;
  const uint64_t id = wr_id(total_ops_);
  ++posted_;
  ++total_ops_;
  const bool bounds = spec_.violate == "bounds";
  std::vector<uint8_t> pattern(size);
  fill_pattern(seed_, key, pattern.data(), size);
  hw::Wqe w;
  w.wr_id = id;
  w.length = size;
  Inflight inf;
  inf.key = key;
  inf.posted = sim_now();
  if (spec_.op == "write") {
    w.opcode = wire::RdmapOpcode::RdmaWrite;
    w.local = &src_;
    w.local_va = src_.va + slot * size;
    write_virt(ep_.client->memory(), src_, w.local_va, pattern.data(), size);
    inf.slot_va = target_.inner.va + slot * size;
    // bounds: the operation starts at the region's last byte and runs past its end, so its
    // first segment already fails (a size of 1 starts just past the end).
    w.remote_va = bounds ? target_.inner.va + target_.inner.length - (size > 1 ? 1 : 0) : inf.slot_va;
    w.rkey = remote_stag_;
  } else if (spec_.op == "read") {
    w.opcode = wire::RdmapOpcode::RdmaReadRequest;
    const uint64_t src_va = src_.va + slot * size;
    // The responder's application put the data there.
    write_virt(ep_.server->memory(), src_, src_va, pattern.data(), size);
    inf.slot_va = target_.inner.va + slot * size;
    w.local = &target_.inner;
    w.local_va = inf.slot_va;
    w.local_stag = sink_stag_;
    w.remote_va = bounds ? src_.va + src_.length - (size > 1 ? 1 : 0) : src_va;
    w.rkey = remote_stag_;
    w.fence = spec_.fence;
  } else {
    w.opcode = send_opcode(spec_.op);
    w.local = &src_;
    w.local_va = src_.va + slot * size;
    write_virt(ep_.client->memory(), src_, w.local_va, pattern.data(), size);
    Receiver::Expected e;
    e.from = this;
    e.key = key;
    e.size = size;
    e.solicited = spec_.op == "send_se" || spec_.op == "send_se_inv";
    if (spec_.op == "send_inv" || spec_.op == "send_se_inv") {
      // The target registers a region for this operation alone; the Send invalidates it.
      host::Host& server = *ep_.server;
      const std::string& v = spec_.violate;
      const host::VirtBuffer b = server.alloc_buffer(host::HostMemory::kPage);
      uint32_t stag = server.reg_mr(b, v == "pd" ? server.alloc_pd() : pd_, placement::access::kRemoteWrite);
      if (v == "invalidated") server.invalidate_stag(stag);
      if (v == "stag") stag = bad_stag(stag);
      w.invalidate_stag = stag;
      e.invalidate = stag;
    }
    if (receiver_) receiver_->expect(e);
  }
  inflight_[id] = inf;
  SizeFigures& f = figures_[size];
  if (f.first_post.ps < 0) f.first_post = inf.posted;
  ep_.client->post_send(ep_.client_qpn, w);
}

void OpRunner::on_cqe(const hw::Cqe& c) {
  auto it = inflight_.find(c.wr_id);
  if (it == inflight_.end()) return;
  const Inflight inf = it->second;
  inflight_.erase(it);
  const uint64_t size = spec_.sizes[size_idx_];
  SizeFigures& f = figures_[size];
  const Duration now = sim_now();
  ++done_;
  if (c.status != hw::WcStatus::Success) {
    ++f.errors;
  } else {
    ++f.completed;
    f.bytes += size;
    f.last_completion = now;
    f.latencies_ns.push_back((now - inf.posted).ps / 1000);
    const bool placed_here = spec_.op == "write" || spec_.op == "read";
    if (placed_here) {
      // Write: the target's memory; Read: the initiator's sink.
      host::Host& h = spec_.op == "write" ? *ep_.server : *ep_.client;
      if (spec_.verify) {
        std::vector<uint8_t> want(size), got(size);
        fill_pattern(seed_, inf.key, want.data(), size);
        read_virt(h.memory(), target_.inner, inf.slot_va, got.data(), size);
        if (want != got) f.data_intact = false;
      }
      fill_guard(h.memory(), target_.inner, inf.slot_va, size);  // the application consumed it
    }
  }
  if (posted_ < spec_.count) {
    post_next();
  } else if (done_ == spec_.count) {
    if (++size_idx_ < spec_.sizes.size())
      begin_size();
    else
      finished_ = true;
  }
}

void OpRunner::finish_checks() {
  if (!started_) return;
  bool ok = true;
  if (spec_.op == "write" || spec_.op == "read") {
    host::Host& h = spec_.op == "write" ? *ep_.server : *ep_.client;
    ok = target_.untouched(h.memory());
  } else if (receiver_) {
    // Every Send that completed at the initiator was received, and nothing lies around.
    uint64_t completed = 0;
    for (const auto& [size, f] : figures_) completed += f.completed;
    ok = receiver_->untouched() && receiver_->received_from(this) >= completed;
  }
  if (!ok)
    for (auto& [size, f] : figures_) f.data_intact = false;
}

}  // namespace rnicsim::sim

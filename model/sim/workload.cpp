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
constexpr uint8_t kGuardByte = 0xA5;
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
}  // namespace

WriteRunner::WriteRunner(const scenario::WorkloadSpec& spec, uint64_t seed, uint32_t copy, Endpoint ep)
    : spec_(spec), seed_(seed), copy_(copy), ep_(ep) {}

void WriteRunner::start() {
  if (started_) return;
  started_ = true;
  const uint64_t max_size = *std::max_element(spec_.sizes.begin(), spec_.sizes.end());
  const uint64_t len = std::max<uint64_t>(1, max_size * spec_.depth);
  src_ = ep_.client->alloc_buffer(len);
  ep_.client->reg_mr(src_, 1, placement::access::kLocalWrite);
  // The target buffer sits between two guard pages of a known pattern.
  whole_ = ep_.server->alloc_buffer(len + 2 * guard_);
  const std::vector<uint8_t> g(guard_, kGuardByte);
  write_virt(ep_.server->memory(), whole_, whole_.va, g.data(), guard_);
  write_virt(ep_.server->memory(), whole_, whole_.va + guard_ + len, g.data(), guard_);
  dst_.va = whole_.va + guard_;
  dst_.length = len;
  dst_.pages.assign(whole_.pages.begin() + static_cast<std::ptrdiff_t>(guard_ / host::HostMemory::kPage),
                    whole_.pages.end());
  dst_stag_ = ep_.server->reg_mr(dst_, 1, placement::access::kRemoteWrite);
  begin_size();
}

void WriteRunner::begin_size() {
  posted_ = done_ = 0;
  size_base_ = total_ops_;
  for (uint32_t i = 0; i < spec_.depth && posted_ < spec_.count; ++i) post_next();
}

void WriteRunner::post_next() {
  const uint64_t size = spec_.sizes[size_idx_];
  const uint64_t slot = posted_ % spec_.depth;
  const uint64_t key = workload_key(spec_.id, copy_) + total_ops_;
  const uint64_t wr_id = (uint64_t{copy_} << 40) | total_ops_;
  ++posted_;
  ++total_ops_;
  const uint64_t va = src_.va + slot * size;
  if (spec_.verify) {
    // The application writes the operation's own pattern into its source slot.
    std::vector<uint8_t> buf(size);
    fill_pattern(seed_, key, buf.data(), size);
    write_virt(ep_.client->memory(), src_, va, buf.data(), size);
  }
  hw::Wqe w;
  w.wr_id = wr_id;
  w.opcode = wire::RdmapOpcode::RdmaWrite;
  w.local_va = va;
  w.local = &src_;
  w.remote_va = dst_.va + slot * size;
  w.rkey = dst_stag_;
  w.length = size;
  const Duration now = sim_now();
  inflight_[wr_id] = {key, now};
  SizeFigures& f = figures_[size];
  if (f.first_post.ps < 0) f.first_post = now;
  ep_.client->post_send(ep_.client_qpn, w);
}

void WriteRunner::on_cqe(const hw::Cqe& c) {
  auto it = inflight_.find(c.wr_id);
  if (it == inflight_.end()) return;
  const uint64_t key = it->second.first;
  const Duration posted_at = it->second.second;
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
    f.latencies_ns.push_back((now - posted_at).ps / 1000);
    if (spec_.verify) {
      // Op n of this size wrote slot n mod depth of the target buffer.
      const uint64_t n = (c.wr_id & ((uint64_t{1} << 40) - 1)) - size_base_;
      std::vector<uint8_t> want(size), got(size);
      fill_pattern(seed_, key, want.data(), size);
      read_virt(ep_.server->memory(), dst_, dst_.va + (n % spec_.depth) * size, got.data(), size);
      if (want != got) f.data_intact = false;
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

void WriteRunner::finish_checks() {
  if (!started_ || !spec_.verify) return;
  // Bytes outside the target buffer are unchanged.
  std::vector<uint8_t> before(guard_), after(guard_);
  read_virt(ep_.server->memory(), whole_, whole_.va, before.data(), guard_);
  read_virt(ep_.server->memory(), whole_, dst_.va + dst_.length, after.data(), guard_);
  const bool ok = std::all_of(before.begin(), before.end(), [](uint8_t b) { return b == kGuardByte; }) &&
                  std::all_of(after.begin(), after.end(), [](uint8_t b) { return b == kGuardByte; });
  if (!ok)
    for (auto& [size, f] : figures_) f.data_intact = false;
}

}  // namespace rnicsim::sim

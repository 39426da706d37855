#include "model/sim/bulk.h"

#include <cstring>

namespace rnicsim::sim {
namespace {

uint64_t mix(uint64_t x) {  // splitmix64's finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

void fill_stream_pattern(uint64_t key, uint64_t offset, uint8_t* dst, size_t n) {
  size_t i = 0;
  while (i < n) {
    const uint64_t o = offset + i;
    const uint64_t word = mix(key ^ mix(o >> 3));
    const size_t in = static_cast<size_t>(o & 7);
    const size_t take = std::min<size_t>(8 - in, n - i);
    uint8_t b[8];
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    std::memcpy(b, &word, 8);
#else
    for (int k = 0; k < 8; ++k) b[k] = static_cast<uint8_t>(word >> (8 * k));  // little-endian, as documented
#endif
    std::memcpy(dst + i, b + in, take);
    i += take;
  }
}

bool BulkSink::toe_data(uint32_t, ConstByteSpan data) {
  if (intact_) {
    expect_.resize(data.size());
    fill_stream_pattern(key_, received_, expect_.data(), data.size());
    if (std::memcmp(expect_.data(), data.data(), data.size()) != 0) intact_ = false;
  }
  received_ += data.size();
  return false;
}

uint64_t stream_key(const std::string& conn_id, uint64_t seed) {
  uint64_t key = 0xcbf29ce484222325ull;
  for (const char ch : conn_id) key = (key ^ static_cast<uint8_t>(ch)) * 0x100000001B3ull;
  return key ^ seed * 0x9E3779B97F4A7C15ull;
}

BulkRunner::BulkRunner(const scenario::WorkloadSpec& spec, uint64_t key, hw::Toe& stack, Role role)
    : spec_(spec), key_(key), stack_(stack), role_(role) {
  for (uint64_t s : spec.sizes) figures_[s];
}

void BulkRunner::start() {
  if (started_) return;
  started_ = true;
  plan_next();
  if (role_ == Role::Send) fill();
}

bool BulkRunner::toe_data(uint32_t, ConstByteSpan data) {
  if (role_ != Role::Receive || failed_) return false;
  if (!started_) start();  // the peer may send before `start`: nothing it sends is lost
  const Duration now = sim_now();
  size_t at = 0;
  while (at < data.size()) {
    if (pending_.empty()) {  // more than every transfer: the stream is longer than the workload
      intact_ = false;
      received_ += data.size() - at;
      break;
    }
    Transfer& t = pending_.front();
    if (t.posted.ps < 0) {  // its first byte
      t.posted = now;
      SizeFigures& f = figures_[t.size];
      if (f.first_post.ps < 0) f.first_post = now;
    }
    const size_t n = static_cast<size_t>(std::min<uint64_t>(t.end - received_, data.size() - at));
    expect_.resize(n);
    fill_stream_pattern(key_, received_, expect_.data(), n);
    if (std::memcmp(expect_.data(), data.data() + at, n) != 0) intact_ = false;
    received_ += n;
    at += n;
    if (received_ == t.end) {
      SizeFigures& f = figures_[t.size];
      ++f.completed;
      f.bytes += t.size;
      f.last_completion = now;
      f.latencies_ns.push_back((now - t.posted).ps / 1000);
      pending_.pop_front();
      plan_next();
      if (pending_.empty()) finished_ = true;
    }
  }
  return false;
}

void BulkRunner::plan_next() {
  // Plans the transfers of the current size; they go out back to back.
  while (size_idx_ < spec_.sizes.size()) {
    if (planned_in_size_ == spec_.count) {
      ++size_idx_;
      planned_in_size_ = 0;
      continue;
    }
    const uint64_t sz = spec_.sizes[size_idx_];
    ++planned_in_size_;
    planned_end_ += sz;
    pending_.push_back(Transfer{sz, planned_end_, Duration{-1}});
    return;
  }
}

void BulkRunner::fill() {
  if (failed_ || conn_ == UINT32_MAX) return;
  auto& c = stack_.conn(conn_);
  auto& buf = c.send_buffer();
  bool queued = false;
  while (true) {
    if (written_ == planned_end_) {
      const size_t before = pending_.size();
      plan_next();
      if (pending_.size() == before) break;  // every transfer is written
    }
    const uint64_t want = planned_end_ - written_;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(want, buf.space()));
    if (n == 0) break;
    // Transfers are planned one at a time, so only the newest can start now.
    Transfer& t = pending_.back();
    if (t.posted.ps < 0) {
      t.posted = sim_now();
      SizeFigures& f = figures_[t.size];
      if (f.first_post.ps < 0) f.first_post = t.posted;
    }
    auto r = buf.reserve(n);
    fill_stream_pattern(key_, written_, r.first.data(), r.first.size());
    if (!r.second.empty()) fill_stream_pattern(key_, written_ + r.first.size(), r.second.data(), r.second.size());
    buf.commit(n, false);
    written_ += n;
    queued = true;
  }
  if (queued) stack_.kick(conn_);
  if (pending_.empty() && size_idx_ >= spec_.sizes.size()) finished_ = true;
}

void BulkRunner::toe_acked(uint32_t, uint64_t total) {
  const Duration now = sim_now();
  while (!pending_.empty() && pending_.front().end <= total && pending_.front().posted.ps >= 0) {
    const Transfer t = pending_.front();
    pending_.pop_front();
    SizeFigures& f = figures_[t.size];
    ++f.completed;
    f.bytes += t.size;
    f.last_completion = now;
    f.latencies_ns.push_back((now - t.posted).ps / 1000);
  }
  fill();
}

void BulkRunner::toe_state(uint32_t, tcp::State, tcp::State to) {
  // A reader whose peer closed (its FIN: CLOSE_WAIT) gets nothing more: what has not
  // arrived is in error, as for a sender whose connection failed.
  const bool peer_done = role_ == Role::Receive && to == tcp::State::CloseWait;
  if ((to != tcp::State::Closed && !peer_done) || finished_) return;
  // The connection failed (reset, user timeout): what was not acknowledged is in error.
  failed_ = true;
  for (const auto& t : pending_) ++figures_[t.size].errors;
  pending_.clear();
  while (size_idx_ < spec_.sizes.size()) {
    figures_[spec_.sizes[size_idx_]].errors += spec_.count - planned_in_size_;
    ++size_idx_;
    planned_in_size_ = 0;
  }
  finished_ = true;
}

void BulkRunner::finish_checks(const BulkSink* sink) {
  if (role_ == Role::Receive) {
    // Every byte read was compared as it came.
    for (auto& [sz, f] : figures_) {
      f.data_intact = f.data_intact && intact_;
      f.verified = f.completed;
    }
    for (const auto& t : pending_)
      if (t.posted.ps >= 0) ++figures_[t.size].in_flight;
    return;
  }
  for (const auto& t : pending_)
    if (t.posted.ps >= 0) ++figures_[t.size].in_flight;
  // To a peer outside the simulation: its bytes are the peer's to check (verified 0, and
  // data_intact null: no claim either way).
  if (!sink) return;
  uint64_t acked = 0;
  for (const auto& [sz, f] : figures_) acked += f.bytes;
  const bool ok = sink && sink->intact() && sink->received() >= acked;
  // The sink checked every byte of the stream it read: each transfer acknowledged was verified.
  for (auto& [sz, f] : figures_) {
    f.data_intact = f.data_intact && ok;
    f.verified = f.completed;
  }
}

}  // namespace rnicsim::sim

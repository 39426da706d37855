#include "model/sim/workload.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <cstring>

#include "model/common/bytes.h"
#include "model/common/rng.h"
#include "model/proto/placement/regions.h"
#include "model/sim/host_access.h"

namespace rnicsim::sim {

double peak_interval_ps(std::vector<int64_t> posts, std::vector<int64_t> completions) {
  std::sort(posts.begin(), posts.end());
  std::sort(completions.begin(), completions.end());
  const size_t n = std::min(posts.size(), completions.size());
  if (n == 0) return -1;
  // Points Q_i = (i, posts[i]); for each j the least slope from A_j = (j + 1,
  // completions[j]) to some Q_i, i <= j. A_j lies right of every Q_i, so the least slope
  // is the tangent to their upper hull, found by binary search along it.
  using L = long double;
  struct P {
    L x, y;
  };
  const auto cross = [](const P& a, const P& b, const P& c) { return (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x); };
  const auto slope = [](const P& q, const P& a) { return (a.y - q.y) / (a.x - q.x); };
  std::vector<P> hull;
  L best = std::numeric_limits<L>::max();
  for (size_t j = 0; j < n; ++j) {
    const P q{static_cast<L>(j), static_cast<L>(posts[j])};
    while (hull.size() >= 2 && cross(hull[hull.size() - 2], hull.back(), q) >= 0) hull.pop_back();
    hull.push_back(q);
    const P a{static_cast<L>(j + 1), static_cast<L>(completions[j])};
    size_t lo = 0, hi = hull.size() - 1;
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (slope(hull[mid + 1], a) <= slope(hull[mid], a)) lo = mid + 1;
      else hi = mid;
    }
    best = std::min(best, slope(hull[lo], a));
  }
  return static_cast<double>(best);
}


void fill_pattern(uint64_t seed, uint64_t op_key, uint8_t* dst, uint64_t n) {
  fill_pattern_at(seed, op_key, 0, dst, n);
}

namespace {
constexpr uint64_t kPatternStep = kSplitmix64Step;
uint64_t pattern_origin(uint64_t seed, uint64_t op_key) {
  return seed * 0x9E3779B97F4A7C15ull ^ (op_key + 1) * 0xD1B54A32D192ED03ull;
}
/// Word `w` of the pattern: splitmix64 steps its state by a constant, so word w follows
/// state origin + w * step.
uint64_t nth_pattern_word(uint64_t origin, uint64_t w) {
  uint64_t x = origin + w * kPatternStep;
  return splitmix64(x);
}
// The whole words of a fill or a check, in loops the compiler vectorises: on a machine with
// AVX-512 (64-bit lane multiplies) the clone made for it runs about 7x the scalar loop's
// bytes per second (docs/performance.md); the words are the same integers on either path.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define RNICSIM_PATTERN_CLONES __attribute__((target_clones("arch=x86-64-v4", "default")))
#else
#define RNICSIM_PATTERN_CLONES
#endif
/// Words [w, w + n) of the pattern at `dst`, `x` = origin + w * step (word w is
/// splitmix64_mix(origin + (w + 1) * step)).
RNICSIM_PATTERN_CLONES void fill_words(uint64_t x, uint8_t* dst, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t z = splitmix64_mix(x + (i + 1) * kPatternStep);
    std::memcpy(dst + 8 * i, &z, 8);
  }
}
/// The OR of each word at `got` XOR the pattern's (zero when all n words match).
RNICSIM_PATTERN_CLONES uint64_t diff_words(uint64_t x, const uint8_t* got, uint64_t n) {
  uint64_t diff = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t g;
    std::memcpy(&g, got + 8 * i, 8);
    diff |= splitmix64_mix(x + (i + 1) * kPatternStep) ^ g;
  }
  return diff;
}
}  // namespace

void fill_pattern_at(uint64_t seed, uint64_t op_key, uint64_t offset, uint8_t* dst, uint64_t n) {
  const uint64_t x0 = pattern_origin(seed, op_key);
  uint64_t i = 0;
  if (const uint64_t skip = offset % 8; skip != 0 && n > 0) {  // the first word's tail
    const uint64_t z = nth_pattern_word(x0, offset / 8);
    const uint64_t k = std::min<uint64_t>(8 - skip, n);
    uint8_t v[8];
    std::memcpy(v, &z, 8);
    std::memcpy(dst, v + skip, k);
    i = k;
  }
  // Whole words (the pattern is little-endian bytes of each word).
  uint64_t x = x0 + ((offset + i) / 8) * kPatternStep;
  const uint64_t words = (n - i) / 8;
  fill_words(x, dst + i, words);
  i += 8 * words;
  x += words * kPatternStep;
  if (i < n) {  // the last word's head
    uint64_t y = x;
    const uint64_t z = splitmix64(y);
    uint8_t v[8];
    std::memcpy(v, &z, 8);
    std::memcpy(dst + i, v, n - i);
  }
}

bool pattern_matches(uint64_t seed, uint64_t op_key, uint64_t offset, const uint8_t* got, uint64_t n) {
  const uint64_t x0 = pattern_origin(seed, op_key);
  uint64_t i = 0;
  if (const uint64_t skip = offset % 8; skip != 0 && n > 0) {
    uint8_t v[8];
    const uint64_t z = nth_pattern_word(x0, offset / 8);
    std::memcpy(v, &z, 8);
    i = std::min<uint64_t>(8 - skip, n);
    if (std::memcmp(v + skip, got, i) != 0) return false;
  }
  uint64_t x = x0 + ((offset + i) / 8) * kPatternStep;
  const uint64_t words = (n - i) / 8;
  if (diff_words(x, got + i, words) != 0) return false;  // no branch per word
  i += 8 * words;
  x += words * kPatternStep;
  if (i < n) {
    uint64_t y = x;
    const uint64_t z = splitmix64(y);
    uint8_t v[8];
    std::memcpy(v, &z, 8);
    if (std::memcmp(v, got + i, n - i) != 0) return false;
  }
  return true;
}

namespace {
constexpr uint64_t kGuard = 4096;  ///< bytes of guard on each side of a target buffer
constexpr uint64_t kRecvBit = uint64_t{1} << 63;
bool is_atomic(const std::string& op) { return op == "fetch_add" || op == "cmp_swap"; }
/// The 64-bit little-endian word at `va` of a host buffer.
uint64_t read_word(host::HostMemory& m, const host::VirtBuffer& b, uint64_t va) {
  uint8_t x[8];
  read_virt(m, b, va, x, 8);
  return load_le64(x);
}
void write_word(host::HostMemory& m, const host::VirtBuffer& b, uint64_t va, uint64_t v) {
  uint8_t x[8];
  store_le64(x, v);
  write_virt(m, b, va, x, 8);
}
uint64_t pattern_word(uint64_t seed, uint64_t key) {
  uint8_t x[8];
  fill_pattern(seed, key, x, 8);
  return load_le64(x);
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

bool GuardedBuffer::untouched(host::HostMemory& m, const std::vector<std::pair<uint64_t, uint64_t>>& skip) const {
  // The ranges skipped, in address order, then the bytes between them a page at a time.
  std::vector<std::pair<uint64_t, uint64_t>> s;
  for (const auto& [va, len] : skip)
    if (va >= whole.va && va + len <= whole.va + whole.length) s.emplace_back(va, va + len);
  std::sort(s.begin(), s.end());
  uint64_t at = whole.va;
  const uint64_t end = whole.va + whole.length;
  bool ok = true;
  auto scan = [&](uint64_t to) {
    if (to > at)
      each_piece(whole, at, to - at, [&](uint64_t pa, uint64_t, uint64_t k) { ok = ok && m.all(pa, kGuardByte, k); });
  };
  for (const auto& [from, to] : s) {
    scan(from);
    at = std::max(at, to);
  }
  scan(end);
  return ok;
}

// ------------------------------------------------------------------ send queue

bool SendQueueGate::try_take() {
  if (busy_ >= depth_) return false;
  ++busy_;
  return true;
}

void SendQueueGate::give() {
  if (busy_ > 0) --busy_;
  if (waiters_.empty() || busy_ >= depth_) return;
  ++busy_;
  auto fn = std::move(waiters_.front());
  waiters_.pop_front();
  fn();
}

// ------------------------------------------------------------------ receiver

// The receive queue holds `rq_depth` buffers: no more are posted, so Sends beyond them find
// it empty (RFC 5040 7.2: a fatal error for the stream, no receiver-not-ready in iWARP).
Receiver::Receiver(Endpoint ep, uint64_t slot, uint32_t slots)
    : ep_(ep), slot_(std::max<uint64_t>(1, slot)), slots_(std::min(slots, ep.rq_depth)) {}

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
  // The receiver holds at most rq_depth receives (its slots): a refusal would be its own fault.
  if (!ep_.server->post_recv(ep_.server_qpn, r)) throw std::logic_error("receiver: a receive posted past qp.rq_depth");
  posted_.push_back(slot);
}

void Receiver::on_cqe(const hw::Cqe& c, uint64_t seed) {
  if (!(c.wr_id & kRecvBit) || c.status != hw::WcStatus::Success || expected_.empty()) return;
  const auto slot = static_cast<uint32_t>(c.wr_id & 0xFFFFFFFF);
  const Expected e = expected_.front();
  expected_.pop_front();
  if (!posted_.empty()) posted_.pop_front();
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
    const uint64_t first = std::min(e.size, slot_ - h);
    ok = holds_pattern(m, buf_.inner, base + h, seed, e.key, first) &&
         (e.size == first || holds_pattern(m, buf_.inner, base, seed, e.key, e.size - first, first));
  }
  if (e.from) e.from->data_checked(e.size, ok);
  fill_guard(m, buf_.inner, base, slot_);  // the application consumed it
  post(slot);
}

bool Receiver::untouched() {
  std::vector<std::pair<uint64_t, uint64_t>> busy;
  for (size_t i = 0; i < std::min(expected_.size(), posted_.size()); ++i)
    busy.emplace_back(buf_.inner.va + posted_[i] * slot_, slot_);
  return buf_.untouched(ep_.server->memory(), busy);
}

bool Receiver::open() const {
  return ep_.server_qpn != UINT32_MAX && ep_.server->rnic().engine().state(ep_.server_qpn) == hw::QpState::Rts;
}

// ------------------------------------------------------------------ operations

bool OpRunner::finished() const {
  if (!finished_) return false;
  const bool write = spec_.op == "write";
  if (!write && (!receiver_ || is_atomic(spec_.op) || spec_.op == "read")) return true;
  uint64_t completed = 0;
  for (const auto& [size, f] : figures_) completed += f.completed;
  // A Write completes at its ACK; its data is in the target's memory only once placement
  // DMA is done, which a bus slower than the wire leaves behind. A Send is placed when
  // its receive completes.
  if (write) return placed_ >= completed || ep_.server->rnic().engine().state(ep_.server_qpn) != hw::QpState::Rts;
  return receiver_->received_from(this) >= completed || !receiver_->open();
}

void OpRunner::on_write_placed(host::Host* h, uint32_t qpn, uint32_t stag, uint64_t /*to_end*/, uint64_t /*bytes*/) {
  if (h == ep_.server && qpn == ep_.server_qpn && stag == remote_stag_) ++placed_;
}

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
  } else if (is_atomic(spec_.op)) {
    target_.make(server, 8);
    remote_stag_ = server.reg_mr(target_.inner, target_pd, placement::access::kRemoteAtomic);
    value_ = pattern_word(seed_, workload_key(spec_.id, copy_) ^ 0x5A5A5A5A5A5A5A5Aull);
    write_word(server.memory(), target_.inner, target_.inner.va, value_);
    results_.make(*ep_.client, 8 * uint64_t{spec_.depth});
    sink_stag_ = ep_.client->reg_mr(results_.inner, pd_, placement::access::kLocalWrite);
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
  pump();
}

void OpRunner::pump() {
  while (posted_ < spec_.count && posted_ - done_ < spec_.depth && !waiting_) {
    if (!ep_.client_sq || ep_.client_sq->try_take()) {
      post_next();
      continue;
    }
    // The send queue is full (other workloads on the QP hold it): the next completion
    // that frees an entry posts for this one.
    waiting_ = true;
    ep_.client_sq->wait([this] {
      waiting_ = false;
      if (posted_ < spec_.count && posted_ - done_ < spec_.depth) {
        post_next();
        pump();
      } else if (ep_.client_sq) {
        ep_.client_sq->give();  // nothing left to post: the entry goes to the next waiter
      }
    });
  }
}

void OpRunner::post_next() {
  const uint64_t size = spec_.sizes[size_idx_];
  const uint64_t slot = posted_ % spec_.depth;
  const uint64_t key = workload_key(spec_.id, copy_) + total_ops_;
  const uint64_t id = wr_id(total_ops_);
  ++posted_;
  ++total_ops_;
  const bool bounds = spec_.violate == "bounds";
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
    write_pattern(ep_.client->memory(), src_, w.local_va, seed_, key, size);
    inf.slot_va = target_.inner.va + slot * size;
    // bounds: the operation starts at the region's last byte and runs past its end, so its
    // first segment already fails (a size of 1 starts just past the end).
    w.remote_va = bounds ? target_.inner.va + target_.inner.length - (size > 1 ? 1 : 0) : inf.slot_va;
    w.rkey = remote_stag_;
  } else if (spec_.op == "read") {
    w.opcode = wire::RdmapOpcode::RdmaReadRequest;
    const uint64_t src_va = src_.va + slot * size;
    // The responder's application put the data there.
    write_pattern(ep_.server->memory(), src_, src_va, seed_, key, size);
    inf.slot_va = target_.inner.va + slot * size;
    w.local = &target_.inner;
    w.local_va = inf.slot_va;
    w.local_stag = sink_stag_;
    w.remote_va = bounds ? src_.va + src_.length - (size > 1 ? 1 : 0) : src_va;
    w.rkey = remote_stag_;
    w.fence = spec_.fence;
  } else if (is_atomic(spec_.op)) {
    w.opcode = wire::RdmapOpcode::AtomicRequest;
    w.length = 8;
    w.local = &results_.inner;
    w.local_va = inf.slot_va = results_.inner.va + slot * 8;
    w.local_stag = sink_stag_;
    w.remote_va = target_.inner.va;
    w.rkey = remote_stag_;
    w.atomic_operand = pattern_word(seed_, key);
    inf.expect = value_;
    if (spec_.op == "fetch_add") {
      w.atomic_op = wire::AtomicOp::FetchAdd;
      value_ += w.atomic_operand;
    } else {
      w.atomic_op = wire::AtomicOp::CmpSwap;
      const bool miss = (total_ops_ - 1) % 4 == 3;  // every fourth compares with a wrong value
      w.atomic_compare = miss ? ~value_ : value_;
      if (!miss) value_ = w.atomic_operand;
    }
  } else {
    w.opcode = send_opcode(spec_.op);
    w.local = &src_;
    w.local_va = src_.va + slot * size;
    write_pattern(ep_.client->memory(), src_, w.local_va, seed_, key, size);
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
  f.posts_ps.push_back(inf.posted.ps);
  ep_.client->post_send(ep_.client_qpn, w);
}

void OpRunner::on_cqe(const hw::Cqe& c) {
  auto it = inflight_.find(c.wr_id);
  if (it == inflight_.end()) return;
  const Inflight inf = it->second;
  inflight_.erase(it);
  if (ep_.client_sq) ep_.client_sq->give();
  const uint64_t size = spec_.sizes[size_idx_];
  SizeFigures& f = figures_[size];
  const Duration now = sim_now();
  ++done_;
  if (c.status != hw::WcStatus::Success) {
    ++f.errors;
    if (c.status == hw::WcStatus::FlushError && (spec_.op == "write" || spec_.op == "read"))
      flushed_.emplace_back(inf.slot_va, size);
    if (is_atomic(spec_.op) && !stopped_at_) stopped_at_ = inf.expect;
  } else {
    ++f.completed;
    f.bytes += size;
    f.last_completion = now;
    f.latencies_ns.push_back((now - inf.posted).ps / 1000);
    f.completions_ps.push_back(now.ps);
    const bool placed_here = spec_.op == "write" || spec_.op == "read";
    if (placed_here) {
      // Write: the target's memory; Read: the initiator's sink.
      host::Host& h = spec_.op == "write" ? *ep_.server : *ep_.client;
      if (spec_.verify) {
        if (size > 0) ++f.verified;  // a zero-length Write or Read carries no byte to verify
        if (!holds_pattern(h.memory(), target_.inner, inf.slot_va, seed_, inf.key, size)) f.data_intact = false;
      }
      fill_guard(h.memory(), target_.inner, inf.slot_va, size);  // the application consumed it
    } else if (is_atomic(spec_.op)) {
      host::HostMemory& m = ep_.client->memory();
      if (spec_.verify) {
        ++f.verified;
        if (read_word(m, results_.inner, inf.slot_va) != inf.expect) f.data_intact = false;
      }
      fill_guard(m, results_.inner, inf.slot_va, 8);
    }
  }
  if (posted_ < spec_.count) {
    pump();
  } else if (done_ == spec_.count) {
    if (++size_idx_ < spec_.sizes.size())
      begin_size();
    else
      finished_ = true;
  }
}

void OpRunner::finish_checks() {
  if (!started_) return;
  if (!inflight_.empty()) figures_[spec_.sizes[std::min(size_idx_, spec_.sizes.size() - 1)]].in_flight = inflight_.size();
  bool ok = true;
  if (spec_.op == "write" || spec_.op == "read") {
    host::Host& h = spec_.op == "write" ? *ep_.server : *ep_.client;
    // Operations still in flight (a run cut short by stop.after) own their slots.
    std::vector<std::pair<uint64_t, uint64_t>> busy;
    const uint64_t size = spec_.sizes[std::min(size_idx_, spec_.sizes.size() - 1)];
    for (const auto& [id, op] : inflight_) busy.emplace_back(op.slot_va, size);
    busy.insert(busy.end(), flushed_.begin(), flushed_.end());
    ok = target_.untouched(h.memory(), busy);
  } else if (is_atomic(spec_.op)) {
    // The word holds the chain's value: that of every operation posted, or, in a run cut
    // short by stop.after, the value the first operation still in flight found (atomics
    // run in order, so the ones after it have not run either) or any later one's.
    const uint64_t word = read_word(ep_.server->memory(), target_.inner, target_.inner.va);
    bool word_ok = stopped_at_ ? word == *stopped_at_ : word == value_;
    for (const auto& [id, op] : inflight_) word_ok = word_ok || word == op.expect;
    std::vector<std::pair<uint64_t, uint64_t>> busy;
    for (const auto& [id, op] : inflight_) busy.emplace_back(op.slot_va, 8);
    ok = word_ok && target_.untouched(ep_.server->memory(), {{target_.inner.va, 8}}) &&
         results_.untouched(ep_.client->memory(), busy);
  } else if (receiver_) {
    // Nothing lies around the receive slots. A Send not yet placed when the run ended
    // (stop.after) is not judged, as a Write in flight is not: its bytes were not verified.
    ok = receiver_->untouched();
  }
  // A violate workload's claim is that nothing is placed: the target area found holding
  // only the guard byte is what it verifies.
  if (!spec_.violate.empty())
    for (auto& [size, f] : figures_) f.verified = std::max<uint64_t>(f.verified, 1);
  if (!ok)
    for (auto& [size, f] : figures_) f.data_intact = false;
}

}  // namespace rnicsim::sim

#pragma once
/// The TCP send buffer: a byte ring from snd_una onwards, with optional record boundaries
/// (MPA FPDUs) so that segments can be cut at them. The producer (MPA framer or an
/// application) writes straight into the ring through reserve()/commit(): no staging copy.
/// The ring is allocated as it fills, up to `capacity`: ten thousand idle connections
/// with 4 MiB buffers cost nothing until they hold data.
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <cstring>
#include <cstddef>
#include <vector>

#include "model/common/bytes.h"

namespace rnicsim::tcp {

class SendBuffer {
 public:
  explicit SendBuffer(size_t capacity) : limit_(capacity) {}

  size_t capacity() const { return limit_; }
  size_t size() const { return size_; }
  size_t space() const { return limit_ - size_; }

  /// Up to two spans (the ring may wrap) covering the next `n` free bytes; n <= space().
  struct Reserved {
    ByteSpan first, second;
    uint8_t& at(size_t i) { return i < first.size() ? first[i] : second[i - first.size()]; }
  };
  Reserved reserve(size_t n) {
    if (size_ + n > ring_.size()) grow(size_ + n);
    if (ring_.empty()) return {};
    const size_t tail = wrap(head_ + size_);
    const size_t first = std::min(n, ring_.size() - tail);
    return {ByteSpan(ring_.data() + tail, first), ByteSpan(ring_.data(), n - first)};
  }
  /// Makes `n` reserved bytes part of the stream; `record_end` marks a record boundary after them.
  void commit(size_t n, bool record_end) {
    size_ += n;
    if (record_end) ends_.push_back(size_ + consumed_);
  }
  void append(const uint8_t* p, size_t n, bool record_end) {
    Reserved r = reserve(n);
    if (!r.first.empty()) std::memcpy(r.first.data(), p, r.first.size());  // p may be null when n == 0
    if (!r.second.empty()) std::memcpy(r.second.data(), p + r.first.size(), r.second.size());
    commit(n, record_end);
  }
  /// Copies `n` bytes starting `off` bytes after the oldest unacknowledged byte.
  void copy_out(size_t off, size_t n, uint8_t* dst) const {
    if (n == 0) return;
    const size_t start = wrap(head_ + off);
    const size_t first = std::min(n, ring_.size() - start);
    std::memcpy(dst, ring_.data() + start, first);
    if (n > first) std::memcpy(dst + first, ring_.data(), n - first);
  }
  /// Drops `n` acknowledged bytes from the front.
  void consume(size_t n) {
    if (n == 0) return;
    head_ = wrap(head_ + n);
    size_ -= n;
    consumed_ += n;
    while (ends_head_ < ends_.size() && ends_[ends_head_] <= consumed_) ++ends_head_;
    // The acknowledged ends leave the vector's front in batches: the rest stay contiguous
    // for the binary searches, and each end is moved at most once on average.
    if (ends_head_ >= 64 && ends_head_ * 2 >= ends_.size()) {
      ends_.erase(ends_.begin(), ends_.begin() + static_cast<std::ptrdiff_t>(ends_head_));
      ends_head_ = 0;
    }
  }
  /// Length of the longest run starting at `off` that ends on a record boundary and is at
  /// most `limit` bytes; 0 if the first record there is longer than `limit`. Without
  /// records, min(limit, bytes available).
  size_t record_aligned(size_t off, size_t limit) const {
    const size_t avail = size_ - off;
    if (ends_head_ == ends_.size()) return std::min(limit, avail);
    const uint64_t from = consumed_ + off;
    // Record ends are sorted: the last one within `limit` of `from`, by binary search.
    const auto first = ends_.begin() + static_cast<std::ptrdiff_t>(ends_head_);
    auto it = std::upper_bound(first, ends_.end(), from + limit);
    if (it == first) return 0;
    const uint64_t end = *std::prev(it);
    // Bytes after the last record end belong to a record still being written: never sent
    // alone while records are in use.
    return end > from ? static_cast<size_t>(end - from) : 0;
  }
  /// Bytes from `off` to the end of the record holding it (to the end of data without records).
  size_t next_record_len(size_t off) const {
    const uint64_t from = consumed_ + off;
    auto it = std::upper_bound(ends_.begin() + static_cast<std::ptrdiff_t>(ends_head_), ends_.end(), from);
    return it != ends_.end() ? static_cast<size_t>(*it - from) : size_ - off;
  }

 private:
  /// A ring position from head_ plus at most the ring's size (head_ is always within it):
  /// one subtraction, not a division per segment.
  size_t wrap(size_t i) const { return i >= ring_.size() ? i - ring_.size() : i; }
  /// Reallocates the ring to hold at least `need` bytes (doubling, at most the limit),
  /// with the data moved to its start.
  void grow(size_t need) {
    size_t cap = std::max<size_t>(ring_.size() * 2, 4096);
    cap = std::min(std::max(cap, need), limit_);
    std::vector<uint8_t> r(cap);
    if (size_) copy_out(0, size_, r.data());
    ring_.swap(r);
    head_ = 0;
  }
  size_t limit_;
  std::vector<uint8_t> ring_;
  size_t head_ = 0;
  size_t size_ = 0;
  uint64_t consumed_ = 0;               ///< bytes ever consumed (stream offset of head_)
  /// Stream offsets just past each record, from ends_[ends_head_] on (those before it
  /// are acknowledged).
  std::vector<uint64_t> ends_;
  size_t ends_head_ = 0;
};

}  // namespace rnicsim::tcp

#pragma once
/// An ordered set of disjoint half-open byte ranges [left, right) on the unwrapped 64-bit
/// sequence line, kept in a sorted vector: the SACK scoreboard of the sender (RFC 6675) and
/// the out-of-order map of the receiver. A window holds few ranges, so insertion is a
/// binary search and a short move; the vector keeps its capacity, so the steady state
/// allocates nothing.
#include <algorithm>
#include <cstdint>
#include <vector>

namespace rnicsim::tcp {

struct Range {
  uint64_t left = 0;
  uint64_t right = 0;
  uint64_t size() const { return right - left; }
};

class IntervalSet {
 public:
  bool empty() const { return v_.empty(); }
  size_t count() const { return v_.size(); }
  const Range& operator[](size_t i) const { return v_[i]; }
  const std::vector<Range>& ranges() const { return v_; }
  uint64_t bytes() const { return bytes_; }
  void clear() {
    v_.clear();
    bytes_ = 0;
  }

  /// Adds [l, r), merging what it touches; returns the bytes newly covered.
  uint64_t insert(uint64_t l, uint64_t r) {
    if (l >= r) return 0;
    // First range whose right edge reaches l (it touches or overlaps).
    auto first = std::lower_bound(v_.begin(), v_.end(), l,
                                  [](const Range& x, uint64_t v) { return x.right < v; });
    auto last = first;
    uint64_t covered = 0;
    uint64_t nl = l, nr = r;
    while (last != v_.end() && last->left <= r) {
      nl = std::min(nl, last->left);
      nr = std::max(nr, last->right);
      covered += last->size();
      ++last;
    }
    const uint64_t before = bytes_;
    bytes_ = bytes_ - covered + (nr - nl);
    if (first == last) {
      v_.insert(first, Range{nl, nr});
    } else {
      *first = Range{nl, nr};
      v_.erase(first + 1, last);
    }
    return bytes_ - before;
  }

  /// Drops everything below `edge`.
  void trim_below(uint64_t edge) {
    size_t n = 0;
    while (n < v_.size() && v_[n].right <= edge) {
      bytes_ -= v_[n].size();
      ++n;
    }
    if (n) v_.erase(v_.begin(), v_.begin() + static_cast<std::ptrdiff_t>(n));
    if (!v_.empty() && v_[0].left < edge) {
      bytes_ -= edge - v_[0].left;
      v_[0].left = edge;
    }
  }

  /// Removes [l, r) from the set, splitting a range that holds it.
  void erase(uint64_t l, uint64_t r) {
    if (l >= r || v_.empty()) return;
    auto first = std::lower_bound(v_.begin(), v_.end(), l,
                                  [](const Range& x, uint64_t v) { return x.right <= v; });
    if (first == v_.end() || first->left >= r) return;
    if (first->left < l && first->right > r) {
      // One range holds [l, r) strictly inside: split it.
      const Range right_part{r, first->right};
      first->right = l;
      v_.insert(first + 1, right_part);
      bytes_ -= r - l;
      return;
    }
    if (first->left < l) {
      bytes_ -= first->right - l;
      first->right = l;
      ++first;
    }
    auto last = first;
    while (last != v_.end() && last->right <= r) {
      bytes_ -= last->size();
      ++last;
    }
    if (last != v_.end() && last->left < r) {
      bytes_ -= r - last->left;
      last->left = r;
    }
    v_.erase(first, last);
  }

  /// Index of the first range whose right edge is above x (count() when none).
  size_t first_ending_after(uint64_t x) const {
    return static_cast<size_t>(std::lower_bound(v_.begin(), v_.end(), x,
                                                [](const Range& r, uint64_t v) { return r.right <= v; }) -
                               v_.begin());
  }

  /// Index of the range holding `x`, or -1.
  long find(uint64_t x) const {
    auto it = std::upper_bound(v_.begin(), v_.end(), x,
                               [](uint64_t v, const Range& r) { return v < r.left; });
    if (it == v_.begin()) return -1;
    --it;
    return x < it->right ? static_cast<long>(it - v_.begin()) : -1;
  }
  bool contains(uint64_t x) const { return find(x) >= 0; }

  /// Index of the first range with left > x (v_.size() when none).
  size_t first_after(uint64_t x) const {
    return static_cast<size_t>(std::upper_bound(v_.begin(), v_.end(), x,
                                                [](uint64_t v, const Range& r) { return v < r.left; }) -
                               v_.begin());
  }

 private:
  std::vector<Range> v_;
  uint64_t bytes_ = 0;
};

}  // namespace rnicsim::tcp

#pragma once
/// The bytes a TCP receiver holds beyond a hole, by unwrapped stream position, in chunks
/// allocated when first written and freed once the stream has passed them: memory follows
/// the bytes actually held, never the window's maximum (RFC 9293 3.10.7.4 lets a receiver
/// keep out-of-order segments; how it stores them is its own).
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>

#include <algorithm>

#include "model/common/bytes.h"

namespace rnicsim::tcp {

class OooStore {
 public:
  static constexpr uint64_t kChunk = 16 * 1024;

  /// Keeps `data` at positions [pos, pos + size).
  void put(uint64_t pos, ConstByteSpan data) {
    size_t done = 0;
    while (done < data.size()) {
      const uint64_t p = pos + done;
      const uint64_t off = p % kChunk;
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk - off, data.size() - done));
      std::memcpy(chunk(p / kChunk) + off, data.data() + done, n);
      done += n;
    }
  }
  /// Calls f(ConstByteSpan) on the held bytes [pos, pos + n), chunk by chunk, in order.
  template <typename F>
  void read(uint64_t pos, uint64_t n, F&& f) const {
    while (n > 0) {
      const uint64_t off = pos % kChunk;
      const uint64_t len = std::min<uint64_t>(kChunk - off, n);
      const auto it = chunks_.find(pos / kChunk);
      f(ConstByteSpan(it->second.get() + off, static_cast<size_t>(len)));
      pos += len;
      n -= len;
    }
  }
  /// Frees every chunk that lies wholly below `pos`.
  void release_below(uint64_t pos) {
    chunks_.erase(chunks_.begin(), chunks_.lower_bound(pos / kChunk));
  }
  /// Bytes allocated now.
  uint64_t allocated() const { return chunks_.size() * kChunk; }

 private:
  uint8_t* chunk(uint64_t index) {
    auto& c = chunks_[index];
    if (!c) c.reset(new uint8_t[kChunk]);
    return c.get();
  }
  std::map<uint64_t, std::unique_ptr<uint8_t[]>> chunks_;
};

}  // namespace rnicsim::tcp

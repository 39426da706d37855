#pragma once
/// One Ethernet frame as it travels: the bytes from the destination MAC to the end of the
/// payload (the FCS is computed by the MAC and carried beside them, as a wire would).
/// A frame is built once, with its headers written in place, and shared by reference
/// between the link, the receiver and the taps: no copy per layer. Frames come from a
/// FramePool, which takes them back when the last reference goes, buffer and all, so a
/// steady stream of frames allocates nothing.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <vector>

namespace rnicsim {

/// An allocator whose `construct()` without arguments leaves a byte uninitialised, so that
/// `resize(n)` of a frame's buffer does not zero bytes its builder is about to write.
/// `resize(n, value)` still fills.
template <class T>
struct DefaultInitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  DefaultInitAllocator() = default;
  template <class U>
  DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

/// A frame's bytes: a vector whose growth by `resize(n)` does not zero-fill.
using FrameBytes = std::vector<uint8_t, DefaultInitAllocator<uint8_t>>;

class FramePool;

struct Frame {
  Frame() = default;
  Frame(const Frame&) = delete;  // copies come from FramePool::copy, which counts them
  Frame& operator=(const Frame&) = delete;

  FrameBytes bytes;
  uint32_t fcs = 0;  ///< as computed by the sending MAC (unless sealed)
  /// The FCS is that of the bytes as they are and not computed yet (model/wire/frame_fcs.h).
  bool fcs_sealed = false;

 private:
  friend class FramePtr;
  friend class FramePool;
  uint32_t refs_ = 0;
  FramePool* pool_ = nullptr;  ///< where the frame goes back to; null once the pool is gone
};

/// A counted reference to a pooled Frame (the count lives in the frame: no control block).
/// Not thread-safe, like the rest of the model.
class FramePtr {
 public:
  FramePtr() = default;
  FramePtr(std::nullptr_t) {}  // NOLINT(google-explicit-constructor): "no frame", as shared_ptr has
  FramePtr(const FramePtr& o) : f_(o.f_) {
    if (f_) ++f_->refs_;
  }
  FramePtr(FramePtr&& o) noexcept : f_(o.f_) { o.f_ = nullptr; }
  FramePtr& operator=(FramePtr o) noexcept {
    std::swap(f_, o.f_);
    return *this;
  }
  ~FramePtr() { release(); }

  Frame* get() const { return f_; }
  Frame* operator->() const { return f_; }
  Frame& operator*() const { return *f_; }
  explicit operator bool() const { return f_ != nullptr; }

 private:
  friend class FramePool;
  explicit FramePtr(Frame* f) : f_(f) { ++f_->refs_; }
  inline void release();
  Frame* f_ = nullptr;
};

/// Owns every frame of one model; hands out empty frames whose buffers keep the capacity of
/// their last use. Frames still referenced when the pool is destroyed are left to their
/// last reference, which frees them.
class FramePool {
 public:
  FramePool() = default;
  FramePool(const FramePool&) = delete;
  FramePool& operator=(const FramePool&) = delete;
  ~FramePool();

  /// An empty frame (no bytes, FCS 0).
  FramePtr make();
  /// A new frame with `f`'s bytes and FCS (a frame altered on its way must not change the
  /// copies that taps and queues upstream still hold).
  FramePtr copy(const Frame& f);

  size_t allocated() const { return all_.size(); }  ///< frames ever made (the pool's size)
  size_t in_use() const { return all_.size() - free_.size(); }

 private:
  friend class FramePtr;
  void recycle(Frame* f);
  std::vector<Frame*> all_;
  std::vector<Frame*> free_;
};

inline void FramePtr::release() {
  if (!f_ || --f_->refs_ != 0) return;
  if (f_->pool_)
    f_->pool_->recycle(f_);
  else
    delete f_;
  f_ = nullptr;
}

/// Anything that accepts frames (a MAC from its link, a link from its MAC, a demux).
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual void receive(FramePtr f) = 0;
};

}  // namespace rnicsim

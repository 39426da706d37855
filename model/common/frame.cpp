#include "model/common/frame.h"

namespace rnicsim {

FramePool::~FramePool() {
  for (Frame* f : all_) {
    if (f->refs_ == 0)
      delete f;
    else
      f->pool_ = nullptr;  // its last reference frees it
  }
}

FramePtr FramePool::make() {
  Frame* f;
  if (free_.empty()) {
    f = new Frame;
    f->pool_ = this;
    all_.push_back(f);
  } else {
    f = free_.back();
    free_.pop_back();
  }
  return FramePtr(f);
}

FramePtr FramePool::copy(const Frame& src) {
  FramePtr f = make();
  f->bytes.assign(src.bytes.begin(), src.bytes.end());
  f->fcs = src.fcs;
  f->fcs_sealed = src.fcs_sealed;
  return f;
}

void FramePool::recycle(Frame* f) {
  f->bytes.clear();  // keeps the capacity: the next frame built in it allocates nothing
  f->fcs = 0;
  f->fcs_sealed = false;
  free_.push_back(f);
}

}  // namespace rnicsim

#pragma once
/// One Ethernet frame as it travels: the bytes from the destination MAC to the end of the
/// payload (the FCS is computed by the MAC and carried beside them, as a wire would).
/// A frame is built once, with its headers written in place, and shared by reference
/// between the link, the receiver and the taps: no copy per layer.
#include <cstdint>
#include <memory>
#include <vector>

namespace rnicsim {

struct Frame {
  std::vector<uint8_t> bytes;
  uint32_t fcs = 0;        ///< as computed by the sending MAC
};
using FramePtr = std::shared_ptr<Frame>;

/// Anything that accepts frames (a MAC from its link, a link from its MAC, a demux).
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual void receive(FramePtr f) = 0;
};

}  // namespace rnicsim

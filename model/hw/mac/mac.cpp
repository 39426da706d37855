#include "model/hw/mac/mac.h"

#include <algorithm>

#include "model/common/bytes.h"

#include <algorithm>

#include "model/hw/link/link.h"
#include "model/wire/crc.h"
#include "model/wire/eth.h"
#include "model/wire/frame_fcs.h"

namespace rnicsim::hw {

Mac::Mac(sc_core::sc_module_name name, const MacConfig& cfg)
    : sc_module(name), cfg_(cfg), agenda_(basename()) {}

Duration Mac::wire_time(size_t len) const {
  const size_t on_wire = std::max(len, wire::kEthMinFrame) + wire::kEthFcsLen +
                         wire::kEthPreambleSfd + wire::kEthInterFrameGap;
  return cfg_.rate.time_for_bytes(on_wire);
}

void Mac::set_up(bool up) {
  if (up_ == up) return;
  up_ = up;
  // Going down, the frames already queued still go (the driver stops the queue to new
  // frames and lets the ring drain): a reset written just before reaches the peer.
}

void Mac::send(FramePtr f, Duration ready_at) {
  if (!up_) {
    ++stats_.tx_dropped_down;  // the queue stays empty: senders are never held back
    return;
  }
  if (f->bytes.size() < wire::kEthMinFrame) f->bytes.resize(wire::kEthMinFrame, 0);  // pad
  wire::seal_fcs(*f);
  queue_.emplace_back(std::move(f), ready_at);
  if (!busy_) start_next();
}

void Mac::start_next() {
  if (queue_.empty()) {
    busy_ = false;
    return;
  }
  busy_ = true;
  const Duration now = sim_now();
  const Duration ready = queue_.front().second;
  if (ready > now) {
    agenda_.at(ready, [this] { start_next(); });
    return;
  }
  FramePtr f = std::move(queue_.front().first);
  queue_.pop_front();
  const Duration t = wire_time(f->bytes.size());
  ++stats_.frames_tx;
  stats_.bytes_tx += f->bytes.size();
  if (tap_) tap_(*f, now);
  if (link_) link_->transmit(end_, std::move(f), t + cfg_.latency);
  agenda_.after(t, [this] {
    start_next();
    for (auto& cb : tx_space_cbs_) cb();
  });
}

void Mac::receive(FramePtr f) {
  if (!wire::fcs_ok(*f)) {
    ++stats_.fcs_errors;
    return;
  }
  agenda_.after(cfg_.latency, [this, f = std::move(f)] {
    ++stats_.frames_rx;
    stats_.bytes_rx += f->bytes.size();
    if (!up_) {
      ++stats_.rx_dropped_down;
      return;
    }
    if (tap_) tap_(*f, sim_now());
    const wire::MacAddr dst = load_be48(f->bytes.data());
    const bool group = (dst >> 40) & 1;  // the I/G bit: broadcast and multicast
    if (!group && !addresses_.empty() && std::find(addresses_.begin(), addresses_.end(), dst) == addresses_.end()) {
      ++stats_.rx_filtered;
      return;
    }
    if (upper_) upper_->receive(f);
  });
}

}  // namespace rnicsim::hw

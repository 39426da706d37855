#include "model/hw/switch/switch.h"

#include <algorithm>

#include "model/hw/link/link.h"
#include "model/wire/crc.h"
#include "model/wire/ipv4.h"
#include "model/wire/frame_fcs.h"

namespace rnicsim::hw {
namespace {

/// Bytes a frame occupies in a queue and on the wire's accounting: padded frame + FCS.
uint64_t frame_bytes(const Frame& f) {
  return std::max(f.bytes.size(), wire::kEthMinFrame) + wire::kEthFcsLen;
}

/// Sets CE on an ECN-capable IPv4 packet; returns the marked copy (the original is
/// shared with captures upstream), or nullptr when the packet is not ECN-capable or
/// already carries CE.
FramePtr mark_ce(const Frame& f, FramePool& pool) {
  auto eth = wire::decode_eth(f.bytes.data(), f.bytes.size());
  if (!eth || eth.value.ethertype != wire::kEtherTypeIpv4) return nullptr;
  const size_t off = eth.length;
  if (f.bytes.size() < off + wire::kIpv4HeaderLen) return nullptr;
  const uint8_t ecn = f.bytes[off + 1] & 0x3;
  if (ecn == 0) return nullptr;  // Not-ECT: never marked (RFC 3168 5)
  if (ecn == 3) return nullptr;  // already CE: forwarded as it is
  FramePtr out = pool.copy(f);
  {
    uint8_t* ip = out->bytes.data() + off;
    ip[1] |= 0x3;
    const size_t ihl = static_cast<size_t>(ip[0] & 0x0F) * 4;
    ip[10] = ip[11] = 0;
    const uint16_t sum = wire::inet_fold(wire::inet_sum(ip, ihl));
    ip[10] = static_cast<uint8_t>(sum >> 8);
    ip[11] = static_cast<uint8_t>(sum);
    wire::seal_fcs(*out);  // the switch writes the FCS of the marked bytes
  }
  return out;
}

}  // namespace

/// One port: the receiving end of its link and the output queue towards it.
class EthSwitch::Port : public FrameSink {
 public:
  Port(EthSwitch& sw, int index, Link* link, int end, Rate rate, std::string label)
      : sw_(sw), index_(index), link_(link), end_(end), rate_(rate), label_(std::move(label)) {}
  void receive(FramePtr f) override { sw_.ingress(index_, std::move(f)); }

  void push(FramePtr f) {
    const uint64_t n = frame_bytes(*f);
    account(sim_now());
    queue_.push_back(std::move(f));
    bytes_ += n;
    stats.queue_max_bytes = std::max(stats.queue_max_bytes, bytes_);
    if (!busy_) start_next();
  }
  uint64_t bytes() const { return bytes_; }

  SwitchPortStats stats;
  const std::string& label() const { return label_; }

 private:
  void account(Duration now) {
    if (busy_) {
      const int64_t dt = (now - last_change_).ps;
      stats.queue_byte_ps += static_cast<double>(bytes_) * static_cast<double>(dt);
      stats.busy_ps += dt;
    }
    last_change_ = now;
  }
  void start_next() {
    const Duration now = sim_now();
    account(now);
    if (queue_.empty()) {
      busy_ = false;
      return;
    }
    busy_ = true;
    FramePtr f = std::move(queue_.front());
    queue_.pop_front();
    const uint64_t n = frame_bytes(*f);
    bytes_ -= n;
    ++stats.frames_tx;
    stats.bytes_tx += f->bytes.size();
    const Duration t = rate_.time_for_bytes(n + wire::kEthPreambleSfd + wire::kEthInterFrameGap);
    link_->transmit(end_, std::move(f), t);
    sw_.agenda_.after(t, [this] { start_next(); });
  }

  EthSwitch& sw_;
  int index_;
  Link* link_;
  int end_;
  Rate rate_;
  std::string label_;
  std::deque<FramePtr> queue_;
  uint64_t bytes_ = 0;
  bool busy_ = false;
  Duration last_change_{};
};

EthSwitch::EthSwitch(sc_core::sc_module_name name, const SwitchConfig& cfg)
    : sc_module(name), cfg_(cfg), agenda_(basename()) {}

EthSwitch::~EthSwitch() = default;

int EthSwitch::add_port(Link* link, int end, Rate rate, const std::string& label) {
  const int idx = static_cast<int>(ports_.size());
  ports_.push_back(std::make_unique<Port>(*this, idx, link, end, rate, label));
  link->attach(end, ports_.back().get());
  return idx;
}

const std::string& EthSwitch::port_label(int p) const { return ports_[p]->label(); }
const SwitchPortStats& EthSwitch::port_stats(int p) const { return ports_[p]->stats; }
uint64_t EthSwitch::queue_bytes(int p) const { return ports_[p]->bytes(); }

void EthSwitch::ingress(int port, FramePtr f) {
  // Store and forward: the whole frame is here; a bad FCS ends it.
  if (!wire::fcs_ok(*f)) {
    ++stats_.fcs_errors;
    return;
  }
  ++stats_.frames_rx;
  agenda_.after(cfg_.latency, [this, port, f = std::move(f)] { forward(port, f); });
}

void EthSwitch::forward(int in_port, FramePtr f) {
  auto eth = wire::decode_eth(f->bytes.data(), f->bytes.size());
  if (!eth) return;
  const wire::MacAddr src = eth.value.src;
  const wire::MacAddr dst = eth.value.dst;
  if (!(src >> 40 & 1)) fdb_[src] = in_port;  // learn unicast sources
  auto it = (dst >> 40 & 1) ? fdb_.end() : fdb_.find(dst);
  if (it != fdb_.end()) {
    if (it->second != in_port) enqueue(it->second, f);  // else: filtered, as 802.1D does
    return;
  }
  ++stats_.flooded;
  for (int p = 0; p < static_cast<int>(ports_.size()); ++p)
    if (p != in_port) enqueue(p, f);
}

void EthSwitch::enqueue(int out_port, const FramePtr& f) {
  Port& p = *ports_[out_port];
  const uint64_t n = frame_bytes(*f);
  if (p.bytes() + n > cfg_.buffer) {
    ++p.stats.drops;
    return;
  }
  if (p.bytes() > cfg_.ecn_threshold) {
    if (FramePtr marked = mark_ce(*f, agenda_.frames())) {
      ++p.stats.ecn_marked;
      p.push(std::move(marked));
      return;
    }
  }
  p.push(f);
}

}  // namespace rnicsim::hw

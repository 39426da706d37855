#include "model/hw/tap/tap.h"

#include <fcntl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "model/hw/link/link.h"
#include "model/wire/eth.h"
#include "model/wire/frame_fcs.h"

namespace rnicsim::hw {

std::unique_ptr<TapDevice> TapDevice::open(const std::string& name, std::string* why) {
  // TUNSETIFF on a name that exists attaches to that device; on a new name it would make
  // one that vanishes with the run, which is not what a scenario's `tap:` asks for.
  if (::if_nametoindex(name.c_str()) == 0) {
    *why = "no such device (make it first: ip tuntap add " + name + " mode tap)";
    return nullptr;
  }
  const int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    *why = std::string("/dev/net/tun: ") + std::strerror(errno);
    return nullptr;
  }
  ifreq ifr{};
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (::ioctl(fd, TUNSETIFF, &ifr) < 0) {
    *why = std::string("TUNSETIFF: ") + std::strerror(errno);
    ::close(fd);
    return nullptr;
  }
  // The device must be the one made beforehand (persistent): a name deleted between the
  // check above and TUNSETIFF would have made a temporary device of that name instead.
  ifreq got{};
  if (::ioctl(fd, TUNGETIFF, &got) < 0 || !(got.ifr_flags & IFF_PERSIST)) {
    *why = "no such device (it went away while attaching; make it with: ip tuntap add " + name + " mode tap)";
    ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<TapDevice>(new TapDevice(fd, name));
}

TapDevice::~TapDevice() { ::close(fd_); }

bool tap_frame_supported(const uint8_t* p, size_t len) {
  if (len < wire::kEthHeaderLen) return false;
  const uint16_t type = static_cast<uint16_t>(p[12] << 8 | p[13]);
  if (type == wire::kEtherTypeArp) return true;
  if (type != wire::kEtherTypeIpv4 || len < wire::kEthHeaderLen + 20) return false;
  const uint8_t proto = p[wire::kEthHeaderLen + 9];
  return proto == 1 || proto == 6;  // ICMP, TCP
}

TapPort::TapPort(sc_core::sc_module_name name, std::unique_ptr<TapDevice> dev, Link* link, int end, Rate rate)
    : sc_module(name), dev_(std::move(dev)), link_(link), end_(end), rate_(rate), agenda_(basename()) {}

void TapPort::receive(FramePtr f) {
  if (!wire::fcs_ok(*f)) {  // a bit error on the link: Linux's NIC would have dropped it
    ++stats_.fcs_errors;
    return;
  }
  const ssize_t n = ::write(dev_->fd(), f->bytes.data(), f->bytes.size());
  if (n != static_cast<ssize_t>(f->bytes.size())) {
    ++stats_.write_errors;
    return;
  }
  ++stats_.frames_out;
  stats_.bytes_out += f->bytes.size();
}

size_t TapPort::drain() {
  size_t got = 0;
  // Read into a buffer kept for the purpose, then into a pooled frame sized to fit: sizing
  // a frame to the largest read on every call costs more than the copy, called each slice.
  uint8_t* buf = read_buf_.data();
  for (;;) {
    const ssize_t n = ::read(dev_->fd(), buf, kMaxRead);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      ++stats_.read_errors;
      alive_ = false;  // the device went away: the link end goes quiet
      break;
    }
    if (n <= 0) break;  // EAGAIN: nothing more waiting
    ++got;
    const auto len = static_cast<size_t>(n);
    if (!tap_frame_supported(buf, len)) {
      ++stats_.unsupported;
      continue;
    }
    if (queue_.size() >= kMaxQueue) {
      ++stats_.queue_drops;
      continue;
    }
    ++stats_.frames_in;
    stats_.bytes_in += len;
    FramePtr f = agenda_.frames().make();
    f->bytes.assign(buf, buf + len);
    if (len < wire::kEthMinFrame) f->bytes.resize(wire::kEthMinFrame, 0);  // pad, as a MAC does
    wire::seal_fcs(*f);
    queue_.push_back(std::move(f));
  }
  if (!busy_) send_next();
  return got;
}

void TapPort::send_next() {
  if (queue_.empty()) {
    busy_ = false;
    return;
  }
  busy_ = true;
  FramePtr f = std::move(queue_.front());
  queue_.pop_front();
  const Duration t = rate_.time_for_bytes(f->bytes.size() + wire::kEthFcsLen + wire::kEthPreambleSfd +
                                          wire::kEthInterFrameGap);
  link_->transmit(end_, std::move(f), t);
  agenda_.after(t, [this] { send_next(); });
}

}  // namespace rnicsim::hw

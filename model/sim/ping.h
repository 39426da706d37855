#pragma once
/// The `ping` workload: ping(8) from a host to an address, `count` echo requests of each
/// `size` bytes of payload, `interval` apart from `start`, each waiting `timeout` for its
/// answer (host::Host::ping). No connection: the host's own IPv4 output and ICMP
/// (host_if/host_icmp.h) carry it.
#include <cstdint>
#include <functional>
#include <map>

#include "host_if/host.h"
#include "model/scenario/scenario.h"
#include "model/sim/workload.h"

namespace rnicsim::sim {

/// Its figures per size: `completed` echo replies, `errors` requests answered by an ICMP
/// error, dropped for a next hop that did not resolve, timed out, or still unanswered (or
/// never sent) when the run ended; `latency_ns` each reply's round trip; `bytes` the
/// payload bytes echoed; `data_intact` every reply carried the bytes sent (with `verify`).
class PingRunner : public Runner {
 public:
  /// `index`: the workload's place in the scenario; the requests' ICMP identifier is
  /// index + 1, their sequence numbers 1, 2, ... (iputils starts at 1), wrapping at 16
  /// bits. `progress` is called after each request is settled.
  PingRunner(const scenario::WorkloadSpec& spec, uint32_t index, host::Host& from, Agenda& agenda,
             std::function<void()> progress);
  /// Sends the first request at `start`.
  void start() override;
  void on_cqe(const hw::Cqe&) override {}
  bool finished() const override { return settled_ == total(); }
  /// Requests never answered by the end of the run are errors.
  void finish_checks() override;
  const std::map<uint64_t, SizeFigures>& figures() const override { return figures_; }
  uint16_t id() const { return id_; }

 private:
  uint64_t total() const { return spec_.count * spec_.sizes.size(); }
  void send_next();
  void settled(uint64_t size, const host::EchoResult& r);

  const scenario::WorkloadSpec& spec_;
  uint16_t id_;
  host::Host& from_;
  Agenda& agenda_;
  std::function<void()> progress_;
  uint64_t sent_ = 0, settled_ = 0;
  std::map<uint64_t, SizeFigures> figures_;
  bool started_ = false, checked_ = false;
};

}  // namespace rnicsim::sim

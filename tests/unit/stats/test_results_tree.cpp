// The simulator's results tree (sim::results_schema): every key results-format.md says
// must exist, the blocks' figures that reached no output before (the TOE's), and each
// figure described once, with a unit and a description.
#include <catch2/catch.hpp>

#include <set>

#include "model/sim/simulation.h"

using namespace rnicsim;

namespace {

std::map<std::string, std::string> units_by_path() {
  std::map<std::string, std::string> m;
  for (const auto& l : stats::listing(sim::results_schema())) m[l.path] = l.unit;
  return m;
}

}  // namespace

TEST_CASE("results tree: every key of the results contract, with its unit", "[stats]") {
  const auto m = units_by_path();
  // results-format.md, "results.json: keys that must exist", ids written as the listing
  // writes them.
  const std::vector<std::pair<std::string, std::string>> contract = {
      {"scenario", "text"},
      {"seed", "1"},
      {"passed", "flag"},
      {"sim_time_ns", "ns"},
      {"wall_time_s", "s"},
      {"events_processed", "count"},
      {"workloads.<workload>.op", "text"},
      {"workloads.<workload>.size", "bytes"},
      {"workloads.<workload>.completed", "ops"},
      {"workloads.<workload>.errors", "ops"},
      {"workloads.<workload>.bytes", "bytes"},
      {"workloads.<workload>.goodput_gbps", "Gb/s"},
      {"workloads.<workload>.msg_rate_mps", "Mop/s"},
      {"workloads.<workload>.latency_ns.min", "ns"},
      {"workloads.<workload>.latency_ns.p50", "ns"},
      {"workloads.<workload>.latency_ns.p99", "ns"},
      {"workloads.<workload>.latency_ns.max", "ns"},
      {"workloads.<workload>.latency_ns.avg", "ns"},
      {"workloads.<workload>.data_intact", "flag"},
      {"workloads.<workload>.by_size.<size>.goodput_gbps", "Gb/s"},
      {"workloads.<workload>.by_size.<size>.latency_ns.p99", "ns"},
      {"connections.<connection>.state", "text"},
      {"connections.<connection>.tcp.segments_tx", "segments"},
      {"connections.<connection>.tcp.segments_rx", "segments"},
      {"connections.<connection>.tcp.retransmits", "segments"},
      {"connections.<connection>.tcp.fast_retransmits", "count"},
      {"connections.<connection>.tcp.timeouts", "events"},
      {"connections.<connection>.tcp.srtt_ns", "ns"},
      {"connections.<connection>.tcp.cwnd_max_bytes", "bytes"},
      {"connections.<connection>.tcp.mss", "bytes"},
      {"connections.<connection>.server_tcp.segments_tx", "segments"},
      {"connections.<connection>.server_tcp.mss", "bytes"},
      {"connections.<connection>.mpa.revision", "1"},
      {"connections.<connection>.mpa.crc", "flag"},
      {"connections.<connection>.mpa.crc_errors", "FPDUs"},
      {"connections.<connection>.mpa.markers.to_server", "flag"},
      {"connections.<connection>.mpa.markers.to_client", "flag"},
      {"connections.<connection>.terminate", "group"},
      {"connections.<connection>.terminate.layer", "code"},
      {"connections.<connection>.terminate.etype", "code"},
      {"connections.<connection>.terminate.code", "code"},
      {"connections.<connection>.terminate.name", "text"},
      {"connections.<connection>.terminate.sent_by", "text"},
      {"hosts.<host>.rnic.mac.frames_tx", "frames"},
      {"hosts.<host>.rnic.mac.frames_rx", "frames"},
      {"hosts.<host>.rnic.mac.bytes_tx", "bytes"},
      {"hosts.<host>.rnic.mac.bytes_rx", "bytes"},
      {"hosts.<host>.rnic.mac.fcs_errors", "frames"},
      {"hosts.<host>.rnic.mac.stale_l2_frames", "frames"},
      {"hosts.<host>.rnic.dma.read_tlps", "TLPs"},
      {"hosts.<host>.rnic.dma.write_tlps", "TLPs"},
      {"hosts.<host>.rnic.dma.read_bytes", "bytes"},
      {"hosts.<host>.rnic.dma.write_bytes", "bytes"},
      {"hosts.<host>.rnic.placement.segments", "segments"},
      {"hosts.<host>.rnic.placement.bytes", "bytes"},
      {"hosts.<host>.rnic.placement.violations", "segments"},
      {"hosts.<host>.rnic.placement.cosim_mismatches", "segments"},
      {"hosts.<host>.rnic.placement.rtl_cycles", "cycles"},
      {"hosts.<host>.rnic.firmware.commands", "count"},
      {"hosts.<host>.rnic.firmware.netevents_handled", "events"},
      {"hosts.<host>.rnic.firmware.busy_ns", "ns"},
      {"hosts.<host>.host_if.netevents_to_rnic", "events"},
      {"hosts.<host>.host_if.events_to_host", "events"},
      {"hosts.<host>.host_if.port_conflicts", "count"},
      {"hosts.<host>.host_if.netfilter_drops", "count"},
      {"links.<link>.frames", "frames"},
      {"links.<link>.drops", "frames"},
      {"links.<link>.corrupted", "frames"},
      {"routers.<router>.forwarded", "count"},
      {"routers.<router>.dropped", "count"},
      {"routers.<router>.icmp_sent", "count"},
      {"expectations", "record"},
      // The TCP offload engine's figures, in the RNIC and in the host's own stack.
      {"hosts.<host>.rnic.toe.segments_tx", "segments"},
      {"hosts.<host>.rnic.toe.segments_rx", "segments"},
      {"hosts.<host>.rnic.toe.resets_tx", "segments"},
      {"hosts.<host>.rnic.toe.unmatched_rx", "segments"},
      {"hosts.<host>.host_if.tcp.segments_tx", "segments"},
      {"hosts.<host>.host_if.tcp.unmatched_rx", "segments"},
  };
  for (const auto& [path, unit] : contract) {
    INFO(path);
    auto it = m.find(path);
    REQUIRE(it != m.end());
    CHECK(it->second == unit);
  }
}

TEST_CASE("results tree: each key once, each with a description", "[stats]") {
  const auto lines = stats::listing(sim::results_schema());
  std::set<std::string> seen;
  for (const auto& l : lines) {
    INFO(l.path);
    CHECK(seen.insert(l.path).second);
    CHECK_FALSE(l.desc.empty());
    CHECK_FALSE(l.unit.empty());
  }
  CHECK(lines.size() == seen.size());
}

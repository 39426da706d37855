// metric_path_valid and `expect` paths: ids of this scenario, fields of results-format.md.
#include <catch2/catch.hpp>

#include "helpers.h"
#include "model/scenario/metrics.h"

using namespace rnicsim::scenario;
using namespace rnicsim::scenario::test;

namespace {

const Scenario& full() {
  static const LoadResult r = load_scenario_file(data_path("contract_full.yaml"), results());
  REQUIRE(r.ok());
  return *r.scenario;
}

std::string why_not(const std::string& metric) {
  std::string why;
  CHECK_FALSE(metric_path_valid(full(), results(), metric, &why));
  return why;
}

}  // namespace

TEST_CASE("paths that results.json holds", "[metrics]") {
  for (const char* m : {"scenario", "seed", "passed", "sim_time_ns", "wall_time_s", "events_processed",
                        "workloads.w1.op", "workloads.w1.size", "workloads.w1.completed", "workloads.w1.errors",
                        "workloads.w1.bytes", "workloads.w1.goodput_gbps", "workloads.w1.msg_rate_mps",
                        "workloads.w4.latency_ns.min", "workloads.w4.latency_ns.p50", "workloads.w4.latency_ns.p99",
                        "workloads.w4.latency_ns.max", "workloads.w4.latency_ns.avg", "workloads.w1.data_intact",
                        "workloads.w8.by_size.64.goodput_gbps", "workloads.w8.by_size.1572864.latency_ns.p99",
                        "connections.c1.state", "connections.c1.tcp.segments_tx", "connections.c1.tcp.mss",
                        "connections.c1.server_tcp.srtt_ns", "connections.c1.server_tcp.cwnd_max_bytes",
                        "connections.c1.mpa.revision", "connections.c1.mpa.crc", "connections.c1.mpa.crc_errors",
                        "connections.c1.mpa.markers.to_server", "connections.c1.mpa.markers.to_client",
                        "connections.c1.terminate", "connections.c9.terminate.layer", "connections.c9.terminate.sent_by",
                        "connections.c3", "connections.c3_0.state", "connections.c3_3.tcp.retransmits",
                        "hosts.alice.rnic.mac.frames_tx", "hosts.bob.rnic.mac.stale_l2_frames",
                        "hosts.carol.rnic.dma.read_tlps", "hosts.alice.rnic.placement.rtl_cycles",
                        "hosts.alice.rnic.firmware.busy_ns", "hosts.alice.host_if.port_conflicts",
                        "links.alice_sw0.frames", "links.wan.drops", "links.r1_eth1_carol.corrupted",
                        "hosts.alice.rnic.toe.segments_tx", "hosts.bob.host_if.tcp.unmatched_rx",
                        "hosts.alice.rnic.engine.crc_errors", "hosts.alice.rnic.placement.timing_error_ns.count",
                        "switches.sw0.frames_tx", "switches.sw0.ports.alice_sw0.queue_avg_bytes",
                        "connections.c1.qp_state.server", "connections.c1.tcp.tlp_recoveries"}) {
    INFO(m);
    std::string why;
    const bool ok = metric_path_valid(full(), results(), m, &why);
    INFO(why);
    if (std::string(m) == "connections.c3") CHECK_FALSE(ok);
    else CHECK(ok);
  }
}

TEST_CASE("paths that cannot exist say why", "[metrics]") {
  CHECK(why_not("workloads.w9.completed") ==
        "no workload 'w9' in this scenario; did you mean 'w1'? (workloads: w1, w2, w3, w4, w5, w6, w7, w8)");
  CHECK(why_not("workloads.w1.goodput") ==
        "workloads.w1 has no field 'goodput' (fields: op, size, completed, errors, unfinished, in_flight, bytes, goodput_gbps, "
        "peak_gbps, msg_rate_mps, latency_ns, data_intact, by_size)");
  CHECK(why_not("workloads.w1.completd") ==
        "workloads.w1 has no field 'completd'; did you mean 'completed'? (fields: op, size, completed, errors, unfinished, in_flight, bytes, "
        "goodput_gbps, peak_gbps, msg_rate_mps, latency_ns, data_intact, by_size)");
  CHECK(why_not("workloads.w4.latency_ns") == "workloads.w4.latency_ns is a group: name one of its fields (min, p50, "
                                              "p99, p999, max, avg, stdev)");
  CHECK(why_not("workloads.w4.latency_ns.p50.x") == "workloads.w4.latency_ns.p50 is a figure: it has no field 'x'");
  CHECK(why_not("workloads.w1.by_size.1048576.bytes") ==
        "workloads.w1 has one size, so no by_size (that comes with a list of sizes)");
  CHECK(why_not("workloads.w8.by_size.4KiB.bytes") ==
        "workloads.w8.by_size has no size '4KiB': its sizes in bytes are 64, 4096, 1572864");
  CHECK(why_not("workloads.w8.by_size.128.bytes") ==
        "workloads.w8.by_size has no size '128': its sizes in bytes are 64, 4096, 1572864");
  CHECK(why_not("connections.c3_4.state") ==
        "no connection 'c3_4' in this scenario (connections: c1, c2, c3, c9)");
  CHECK(why_not("connections.c1_0.state").find("no connection 'c1_0'") == 0);  // repeat 1: no copies
  CHECK(why_not("connections.c1.tcp") ==
        "connections.c1.tcp is a group: name one of its fields (segments_tx, segments_rx, bytes_tx, retransmits, "
        "fast_retransmits, timeouts, dup_acks_rx, ooo_segments_rx, cwnd_max_bytes, sack_retransmits, rto_retransmits, "
        "partial_acks, persist_probes, ecn_ce_rx, ecn_ece_rx, ecn_reductions, paws_drops, dup_segments_rx, dsacks_rx, "
        "rack_lost, tlp_probes, tlp_recoveries, srtt_ns, mss, path_mtu, rto_ns)");
  CHECK(why_not("hosts.dave.rnic.mac.frames_tx") == "no host 'dave' in this scenario (hosts: alice, bob, carol)");
  CHECK(why_not("hosts.alice.mac.frames_tx") == "hosts.alice has no field 'mac' (fields: rnic, host_if)");
  CHECK(why_not("links.alice_sw1.frames") ==
        "no link 'alice_sw1' in this scenario; did you mean 'alice_sw0'? (links: alice_sw0, bob_sw0, wan, r1_eth1_carol)");
  CHECK(why_not("links.wan.lost") == "links.wan has no field 'lost' (fields: frames, drops, corrupted, reordered, down_drops)");
  CHECK(why_not("expectations") == "expectations is a record, not a figure to expect (the outcome of the `expect` "
                                   "checks: metric, op, want, actual, passed)");
  CHECK(why_not("hosts.alice.rnic.placement.first_mismatch") ==
        "hosts.alice.rnic.placement.first_mismatch is a record, not a figure to expect (the first lockstep divergence, "
        "both records (null: none))");
  CHECK(why_not("switches.sw0.ports") ==
        "switches.sw0.ports holds one entry per port, named by its link (alice_sw0, bob_sw0, wan)");
  CHECK(why_not("switches.sw0.ports.carol.drops") ==
        "switches.sw0.ports has no port 'carol' (ports: alice_sw0, bob_sw0, wan)");
  CHECK(why_not("hosts.alice.rnic.toe.segment_tx") ==
        "hosts.alice.rnic.toe has no field 'segment_tx'; did you mean 'segments_tx'? (fields: segments_tx, segments_rx, "
        "resets_tx, unmatched_rx)");
  CHECK(why_not("seed.x") == "seed is a figure: it has no field 'x'");
  CHECK(why_not("workload.w1.completed") ==
        "results.json has no 'workload'; did you mean 'workloads'? (top level: scenario, seed, passed, sim_time_ns, "
        "wall_time_s, events_processed, workloads, connections, hosts, links, taps, realtime, switches, routers)");
  CHECK(why_not("workloads") == "workloads holds one entry per id: name one, as in workloads.<id>.<field>");
  CHECK(why_not("workloads..completed") == "a metric path is keys joined by single dots, like workloads.w1.completed");
}

TEST_CASE("an expect entry with an impossible path is a check error at its metric", "[metrics]") {
  const auto r = load(std::string(kTwoHosts) +
                      "workloads: [{id: w1, conn: c1, op: write, size: [1KiB, 2KiB]}]\n"  // 9
                      "expect:\n"                                                         // 10
                      "  - {metric: workloads.w1.by_size.1024.completed, eq: 1}\n"        // 11
                      "  - {metric: workloads.w2.completed, eq: 1}\n"                     // 12
                      "  - {metric: links.alice_bob.frames, min: 1}\n"                    // 13
                      "  - {metric: expectations, eq: 0}\n");                             // 14
  INFO(all_errors(r));
  CHECK(formatted(r) ==
        std::vector<std::string>{
            "scen.yaml:12:14: error: expect[1].metric: 'workloads.w2.completed' cannot be in results.json: no workload "
            "'w2' in this scenario; did you mean 'w1'? (workloads: w1)",
            "scen.yaml:14:14: error: expect[3].metric: 'expectations' cannot be in results.json: expectations is a "
            "record, not a figure to expect (the outcome of the `expect` checks: metric, op, want, actual, passed)",
        });
}

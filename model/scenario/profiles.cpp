#include "model/scenario/profiles.h"

#include <utility>

namespace rnicsim::scenario {
namespace {

/// Parameters shared by every profile; only the line rate and the pipeline clock differ.
std::vector<ProfileParam> base_params(const std::string& rate, const std::string& clock_period) {
  return {
      {"line_rate", ParamKind::Rate, rate, "MAC and PHY rate"},
      {"clock_period", ParamKind::Duration, clock_period,
       "period of the offload pipelines' clock (TOE, DDP/RDMAP engine, placement)"},
      {"mac_latency", ParamKind::Duration, "20ns", "MAC/PHY pipeline latency, each direction"},
      {"mac_tx_queue", ParamKind::Count, "4", "frames the MAC transmit queue holds before back-pressure"},
      {"toe_cycles_per_segment", ParamKind::Count, "8",
       "TOE pipeline depth in cycles, per segment, each direction"},
      {"engine_cycles_per_fpdu", ParamKind::Count, "6",
       "DDP/RDMAP engine cycles to frame or parse one FPDU"},
      {"placement_cycles_per_segment", ParamKind::Count, "4",
       "placement unit cycles to check one tagged segment (plus one per 64-byte beat)"},
      {"doorbell_latency", ParamKind::Duration, "400ns", "host MMIO doorbell write to the RNIC"},
      {"wqe_size", ParamKind::Size, "64B", "work queue element fetched by DMA per posted operation"},
      {"cqe_size", ParamKind::Size, "32B", "completion queue entry written by DMA (32B or 64B)"},
      {"max_inline", ParamKind::Size, "0B",
       "Write and Send payloads up to this size are copied into the WQE at post time (0B: never; at most 448B)"},
      {"wqe_push_max", ParamKind::Size, "0B",
       "a WQE up to this size posted on an empty send queue rides in its doorbell, no fetch (0B: never)"},
      {"interrupt_latency", ParamKind::Duration, "5us",
       "from a completion interrupt's MSI-X write landing to the application's handler polling (qp.cq_mode: event)"},
      {"tx_prefetch", ParamKind::Size, "64KiB",
       "payload the engine reads ahead by DMA per QP before it is framed into the send buffer"},
      {"fw_neigh_update_cost", ParamKind::Duration, "300ns", "firmware: handle a NEIGH_UPDATE netevent"},
      {"fw_pmtu_update_cost", ParamKind::Duration, "500ns",
       "firmware: handle a PMTU_UPDATE netevent (rewrite the MTU of each connection to that peer)"},
      {"fw_redirect_cost", ParamKind::Duration, "1us",
       "firmware: handle a REDIRECT netevent (move each connection to that peer to the new next hop)"},
      {"fw_netdev_cost", ParamKind::Duration, "1us",
       "firmware: handle a netdev notifier event (UP, DOWN, GOING_DOWN, CHANGEMTU, CHANGEADDR)"},
      {"fw_arp_snoop_cost", ParamKind::Duration, "300ns", "firmware: read an ARP frame at the port (notify arp_snoop)"},
      {"fw_arp_cost", ParamKind::Duration, "300ns",
       "firmware, type 3: an ARP frame for its own address, or a neighbour timer of its own stack"},
      {"fw_icmp_cost", ParamKind::Duration, "500ns",
       "firmware, type 3: an ICMP message to its own address (an echo answered, a fragmentation-needed taken)"},
      {"fw_connect_cost", ParamKind::Duration, "2us", "firmware: active open command"},
      {"fw_listen_cost", ParamKind::Duration, "1us", "firmware: listen command"},
      {"fw_syn_cost", ParamKind::Duration, "1500ns", "firmware: passive open of a SYN to a listener"},
      {"fw_mpa_cost", ParamKind::Duration, "3us", "firmware: build or parse an MPA Request/Reply"},
      {"fw_accept_cost", ParamKind::Duration, "2us", "firmware: accept or reject command"},
      {"fw_netfilter_cost", ParamKind::Duration, "500ns",
       "firmware: ask the host's netfilter rules about a connection's SYN (rnic.netfilter: enforce)"},
      {"max_ird", ParamKind::Count, "128", "device maximum of IRD and ORD (MPA rev 2 clipping)"},
      {"mpa_rtr_types", ParamKind::Count, "7",
       "MPA rev 2 peer-to-peer RTR types offered and accepted: 1 zero-length Write, 2 Read, 4 Send (a sum); 0 = no RTR"},
      {"max_qps", ParamKind::Count, "16384", "queue pairs (and offloaded connections) the RNIC holds"},
      {"max_regions", ParamKind::Count, "4096",
       "memory regions the placement unit's table holds (the RTL core's RegionEntries in rtl and lockstep)"},
  };
}

/// `params` with each named value replaced (every name must be one of them).
std::vector<ProfileParam> with(std::vector<ProfileParam> params,
                               const std::vector<std::pair<std::string, std::string>>& values) {
  for (const auto& [name, value] : values)
    for (auto& p : params)
      if (p.name == name) p.value = value;
  return params;
}

/// Chelsio T5 (T580) at 40 Gb/s from component figures, each with its source in
/// docs/calibration.md (sections 2 and 5); what has no published figure (the ASIC's
/// pipelines, its clock) keeps the generic cycles at the 600 MHz a driver comment uses as
/// its example, and is named as unknown there.
std::vector<ProfileParam> chelsio_t5_params() {
  return with(base_params("40Gbps", "1667ps"),
              {
                  // MAC+PCS and transceiver, TX and RX averaged (FPGA IP proxies): (53.6 + 75.4) / 2.
                  {"mac_latency", "65ns"},
                  // The CPU builds the WQE and copies it to the write-combined doorbell (75 ns),
                  // and the store reaches the root port (240 ns): both estimates.
                  {"doorbell_latency", "315ns"},
                  // struct t4_cqe_b64: rdma-core asks for 64-byte CQEs.
                  {"cqe_size", "64B"},
                  // T4_MAX_WRITE_INLINE: 320 - 32 - 8.
                  {"max_inline", "280B"},
                  // t4_ring_sq_db pushes a WQE that took one 64-byte slot (an 8-byte inline
                  // Write is 48 bytes there); the model's layout puts inline data after a
                  // 64-byte base slot, so one inline slot more: 128 bytes.
                  {"wqe_push_max", "128B"},
                  // The driver's RDMA ingress queues: holdoff timer 5 us (init_rspq(..., 5, 1, ...)).
                  {"interrupt_latency", "5us"},
              });
}

std::vector<Profile> make_profiles() {
  return {
      // PCIe gen 3 x8 carries about 52.9 Gb/s of DMA writes at MPS 256 and gen 3 x16 about
      // 104 (pcie-bench's model, protocol-facts.md): the first under 10, 25 and 40 Gb/s,
      // the second under 100 Gb/s, whose wire carries 92.85 Gb/s of Write payload at MTU 1500.
      {"generic_10g", "10 Gb/s RNIC, 250 MHz offload pipelines, PCIe gen 3 x8", base_params("10Gbps", "4ns"), 3, 8},
      {"generic_25g", "25 Gb/s RNIC, 322 MHz offload pipelines, PCIe gen 3 x8 (default)",
       base_params("25Gbps", "3105ps"), 3, 8},
      {"generic_40g", "40 Gb/s RNIC, 322 MHz offload pipelines, PCIe gen 3 x8", base_params("40Gbps", "3105ps"), 3, 8},
      {"generic_100g", "100 Gb/s RNIC, 402 MHz offload pipelines, PCIe gen 3 x16", base_params("100Gbps", "2487ps"), 3,
       16},
      // PCIe gen 3 x8 (cxgb4 warns below 8 GT/s x8 for T5); reads 550 ns, pcie-bench's
      // 533-600 ns for 8-64 bytes on gen 3 x8 Xeons.
      {"chelsio_t5", "Chelsio T5 (T580) 40 Gb/s iWARP RNIC from component figures (docs/calibration.md), PCIe gen 3 x8",
       chelsio_t5_params(), 3, 8, Duration::from_ns(550)},
  };
}

}  // namespace

const std::vector<Profile>& profiles() {
  static const std::vector<Profile> all = make_profiles();
  return all;
}

const Profile* find_profile(const std::string& name) {
  for (const auto& p : profiles())
    if (p.name == name) return &p;
  return nullptr;
}

std::vector<std::string> profile_param_names() {
  std::vector<std::string> names;
  for (const auto& p : profiles().front().params) names.push_back(p.name);
  return names;
}

}  // namespace rnicsim::scenario

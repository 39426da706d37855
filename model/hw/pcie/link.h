#pragma once
/// One PCIe link between the RNIC (the endpoint) and the host's root port, at the TLP
/// level: memory writes and reads with addresses and byte counts, split by MPS, MRRS and
/// the read completion boundary; each direction serialised at its TLP rate (line coding,
/// DLLP and SKP overheads taken off, model/hw/pcie/phy.h); flow-control credits of the
/// receiver that hold a TLP back until they return; tags and completion buffer space that
/// bound the reads in flight. A transfer is timed in one call: its TLPs are walked
/// arithmetically, with no event per TLP. Plain C++: the caller passes the current time,
/// so a SystemC block (hw::Dma) owns the clock and this owns the protocol's timing.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/common/units.h"
#include "model/hw/pcie/credits.h"
#include "model/hw/pcie/tlp.h"
#include "model/stats/stats.h"

namespace rnicsim::hw::pcie {

struct PcieConfig {
  int gen = 3;                ///< PCIe generation 1..5
  int lanes = 8;              ///< 1, 2, 4, 8 or 16
  /// Max payload size, bytes: 256 B, what server platforms commonly set (and pcie-bench's
  /// gen 3 x8 figures use).
  uint64_t mps = 256;
  /// Max read request size, bytes: 512 B, the Device Control register's default (PCIe
  /// base spec rev 5.0, 7.5.3.4).
  uint64_t mrrs = 512;
  /// Read completion boundary of the root port, bytes: 64 B, the smaller of the two values
  /// a root port may have (Link Control register, 7.5.3.7).
  uint64_t rcb = 64;
  CompletionSplit completion_split = CompletionSplit::MpsOnRcb;
  /// Extended Tag Field enabled: 256 tags for outstanding reads, else 32 (PCIe base spec
  /// 2.2.6.2, 5-bit and 8-bit tags). Linux enables it where the device supports it.
  bool extended_tags = true;

  /// The root port's receive credits, which bound what the RNIC sends upstream: Intel's
  /// R-Tile Avalon-ST IP for PCIe, root port mode, port 0 (user guide 683501, "RX Flow
  /// Control Interface"): PH 784, PD 1456, NPH 784, NPD 392. No Xeon root port's figures
  /// were found published.
  CreditLimit host_posted{784, 1456};
  CreditLimit host_nonposted{784, 392};
  /// The RNIC's receive credits for what the host sends downstream (MMIO writes): Intel's
  /// L- and H-Tile Avalon-ST IP for PCIe (user guide 683111, "RX Buffer", Table 51):
  /// PH 127, PD 750, NPH 115, NPD 230.
  CreditLimit device_posted{127, 750};
  CreditLimit device_nonposted{115, 230};
  /// The RNIC's completion buffer. An endpoint advertises infinite completion credits
  /// (2.6.1), so it must itself issue only reads whose completions fit (as AMD's PG213,
  /// "Managing Receive-Buffer Space for Inbound Completions", tells its users): L-/H-Tile
  /// Table 51, CPLH 770, CPLD 2500.
  CreditLimit device_completion{770, 2500};

  /// From a read request's last byte leaving the RNIC to the root complex starting to
  /// return its data: both links' flight and pipelines, the root complex and host memory.
  /// Fitted with completer_rate to pcie-bench's DMA read latencies (Neugebauer et al.,
  /// SIGCOMM 2018): 0.53 us at 8 bytes, 0.99 us at 1520 bytes.
  Duration completer_latency = Duration::from_ns(517);
  /// How fast the root complex returns one read request's data (its memory reads in
  /// flight for one request); a completion is ready once its last byte has been fetched.
  /// Requests in flight stream side by side, so several of them fill the link. Fitted as
  /// above; Rate{0} has all of a request's data ready after completer_latency.
  Rate completer_rate = Rate::from_gbps(11.3);
  /// How fast the host absorbs posted writes (and so frees the root port's posted
  /// credits); Rate{0}: as they arrive.
  Rate host_sink_rate{0};
  /// How fast the RNIC absorbs MMIO writes; Rate{0}: as they arrive.
  Rate device_sink_rate{0};
  /// From a receiver freeing buffer space to the transmitter holding the credit again.
  /// Unset: the spec's UpdateFC interval for this link (phy.h dllp_interval, in symbol
  /// times: 203 x 1.016 ns = 206 ns at gen 3 x8, MPS 256).
  std::optional<Duration> update_fc_latency;

  /// Outstanding read requests the tags allow.
  uint32_t tags() const { return extended_tags ? 256 : 32; }
  /// The UpdateFC latency in force.
  Duration fc_latency() const;
  /// Empty when the configuration is one the model covers; else what is wrong, naming it.
  std::string check() const;
};

/// One direction of the link.
struct DirectionStats {
  uint64_t tlps = 0;
  uint64_t posted_tlps = 0, nonposted_tlps = 0, completion_tlps = 0;
  uint64_t payload_bytes = 0;  ///< bytes of host memory the TLPs carried
  uint64_t link_bytes = 0;     ///< TLP bytes on the link: framing, headers, payload DWs
  uint64_t ack_dllps = 0, updatefc_dllps = 0;
  uint64_t credit_stalls = 0;  ///< TLPs that waited for the receiver's credits
  int64_t credit_stall_ps = 0;
  int64_t busy_ps = 0;

  static stats::Group<DirectionStats> group();
};

struct PcieStats {
  DirectionStats up;    ///< RNIC to host: memory writes, read requests
  DirectionStats down;  ///< host to RNIC: completions, MMIO writes
  uint64_t reads = 0, writes = 0, host_writes = 0;
  uint64_t tag_stalls = 0;         ///< read requests that waited for a free tag
  uint64_t completion_stalls = 0;  ///< read requests that waited for completion buffer space
  std::vector<int64_t> read_latency_ps;  ///< each DMA read, issue to last completion

  static stats::Group<PcieStats> group();
};

/// What one transfer took.
struct Transfer {
  Duration start;  ///< its first TLP's first byte on the link
  Duration end;    ///< its last TLP's last byte at the receiver
  uint64_t tlps = 0;           ///< writes: memory writes; reads: requests
  uint64_t completions = 0;    ///< reads: completions with data
  uint64_t credit_stalls = 0;  ///< its TLPs held back by credits, tags or buffer space
};

class Link {
 public:
  /// `cfg` must pass its check(); the caller reports what it names.
  explicit Link(const PcieConfig& cfg);
  /// The RNIC writes [addr, addr + bytes) of host memory at `now`.
  Transfer write(Duration now, uint64_t addr, uint64_t bytes);
  /// The RNIC reads [addr, addr + bytes) of host memory at `now`; `end` is the arrival of
  /// the last completion, and end - now is the read's latency.
  Transfer read(Duration now, uint64_t addr, uint64_t bytes);
  /// The host writes [addr, addr + bytes) of the RNIC's BAR (a doorbell) at `now`.
  Transfer host_write(Duration now, uint64_t addr, uint64_t bytes);

  const PcieStats& stats() const { return stats_; }
  const PcieConfig& config() const { return cfg_; }
  /// The rate each direction gives TLPs.
  Rate tlp_rate() const { return rate_; }
  /// Time of `link_bytes` on one direction.
  Duration wire_time(uint64_t link_bytes) const { return wire_.of(link_bytes); }

 private:
  struct Direction {
    Duration free;        ///< when its last TLP's last byte has left
    Duration mmio_free;   ///< when the host's last MMIO write has left (down only)
    Duration sink_free;   ///< when the receiver has absorbed what it got
    DirectionStats* stats = nullptr;
    int64_t next_dllp_ps = 0;  ///< the busy time at which the next ACK DLLP is counted
  };
  /// Puts one TLP of `link_bytes` on `d`, ready at `ready`, not before `credits_at`;
  /// returns its end. `stalled` says whether credits held it back.
  Duration send(Direction& d, Duration ready, Duration credits_at, uint64_t link_bytes, bool& stalled);
  /// The receiver's absorption of `payload` bytes arrived at `arrival` at `sink`; returns
  /// when its credits are back at the transmitter.
  Duration credits_back(Direction& d, Duration arrival, uint64_t payload, Rate sink);
  /// Memory writes on `d`; `between`: the root port puts them on the link at once, between
  /// the completions already scheduled there (host MMIO writes), which then leave later.
  Transfer post(Direction& d, CreditPool& pool, Rate sink, Duration now, uint64_t addr, uint64_t bytes,
                bool between = false);
  void count_dllps(Direction& d);

  /// A completion of the read being timed, waiting for its place on the link in the
  /// order its data is ready (requests in flight stream in parallel, so theirs interleave).
  struct Pending {
    Duration ready;
    uint64_t seq;
    Chunk chunk;
    size_t request;
    bool operator>(const Pending& o) const { return ready != o.ready ? ready > o.ready : seq > o.seq; }
  };
  /// What one request of that read still holds.
  struct Open {
    uint64_t left, header, data;
    Duration last_end;
  };

  PcieConfig cfg_;
  Rate rate_;
  /// A rate's time_for_bytes for 0..max bytes, computed once rather than divided out per
  /// TLP; larger counts are computed. Empty for Rate{0}.
  struct Times {
    Times(Rate r, uint64_t max_bytes);
    Duration of(uint64_t bytes) const { return bytes < ps.size() ? Duration{ps[bytes]} : rate.time_for_bytes(bytes); }
    Rate rate;
    std::vector<int64_t> ps;
  };
  /// Every TLP size (up to an MPS payload and its overheads) and every byte count of one
  /// request (up to MRRS) at the completer's rate: 6 KiB at MPS 256, MRRS 512.
  Times wire_, fetch_;
  Duration fc_latency_;
  Duration ack_interval_;  ///< link time per ACK (and per UpdateFC) DLLP
  Direction up_, down_;
  CreditPool host_posted_, host_nonposted_, device_posted_, device_completion_, tags_;
  PcieStats stats_;
  // Scratch of one transfer, kept so that timing one allocates nothing.
  std::vector<Chunk> chunks_, cpls_;
  std::vector<Pending> pending_;  ///< a min-heap by (ready, seq)
  std::vector<Open> open_;
};

}  // namespace rnicsim::hw::pcie

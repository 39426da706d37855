#pragma once
/// The RNIC firmware on its embedded core: connection setup (active and passive opens,
/// the MPA Request/Reply exchange with RFC 6581 IRD/ORD negotiation), the L2 table it
/// keeps from the host's NEIGH_UPDATE netevents, and the iw_cm-style events it raises to
/// the host. Each handler costs core time; handlers run one at a time, in arrival order.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/common/sim.h"
#include "model/hw/rdma_engine/engine.h"
#include "model/hw/toe/toe.h"
#include "model/proto/tcp/config.h"
#include "model/stats/stats.h"
#include "model/wire/mpa.h"

namespace rnicsim::fw {

struct Costs {
  Duration neigh_update = Duration::from_ns(300);
  Duration connect = Duration::from_us(2);
  Duration listen = Duration::from_us(1);
  Duration syn = Duration::from_ns(1500);
  Duration mpa = Duration::from_us(3);
  Duration accept = Duration::from_us(2);
};

struct FirmwareConfig {
  Costs costs;
  uint32_t max_ird = 128;  ///< device limit for IRD and ORD
  /// RFC 6581 peer-to-peer mode: the RTR types (mpa::kRtrWrite | kRtrRead | kRtrSend) this
  /// RNIC offers as an initiator and accepts as a responder; 0 = no peer-to-peer mode.
  uint8_t rtr_types = mpa::kRtrAll;
};

struct FirmwareStats {
  uint64_t commands = 0, netevents_handled = 0;
  Duration busy{};

  static stats::Group<FirmwareStats> group() {
    using stats::Unit;
    return stats::Group<FirmwareStats>()
        .counter("commands", &FirmwareStats::commands, Unit::Count, "commands from the host driver handled")
        .counter("netevents_handled", &FirmwareStats::netevents_handled, Unit::Events,
                 "netevents from the host handled (L2 table updates)")
        .formula("busy_ns", Unit::Ns, "time the embedded core spent in handlers",
                 [](const FirmwareStats& s) { return s.busy.ps / 1000; });
  }
};

/// MPA settings of one side, as the host asks for them.
struct MpaSetup {
  int revision = 2;
  bool markers = false;  ///< M: we want markers in the stream we receive
  bool crc = true;
  uint32_t ird = 16, ord = 16;
  std::vector<uint8_t> private_data;
  bool reject = false;
};

/// L2 table entry states (cxgb3's names).
enum class L2State { Valid, Resolving };

/// What the firmware tells the host driver (iw_cm events and requests).
struct HostUpcalls {
  /// A peer's MPA Request arrived on a listening port (IW_CM_EVENT_CONNECT_REQUEST).
  std::function<void(uint32_t handle, uint16_t port, const wire::MpaReqRep& req)> connect_request;
  /// The active side's MPA Reply arrived (IW_CM_EVENT_CONNECT_REPLY, status 0 or -ECONNREFUSED).
  std::function<void(uint32_t qpn, int status, const wire::MpaReqRep* rep)> connect_reply;
  /// The passive side finished (IW_CM_EVENT_ESTABLISHED).
  std::function<void(uint32_t qpn)> established;
  /// The firmware needs a neighbour the L2 table lacks: ask the host to resolve it.
  std::function<void(wire::Ipv4Addr next_hop)> resolve;
  /// The next hop toward a destination (the host's routing table).
  std::function<wire::Ipv4Addr(wire::Ipv4Addr dst)> next_hop;
};

class Firmware : public sc_core::sc_module, public hw::ToeClient {
 public:
  Firmware(sc_core::sc_module_name name, const FirmwareConfig& cfg, hw::Toe& toe,
           hw::RdmaEngine& engine, hw::PlacementUnit& placement, HostUpcalls up);
  /// Memory registration and local invalidation: the firmware writes the placement unit's
  /// region table through its register interface (the RTL core's too, in rtl and
  /// lockstep). Returns the STag, or nothing when the table is full.
  std::optional<uint32_t> cmd_reg_mr(placement::Region r);
  bool cmd_invalidate(uint32_t stag);

  // Mailbox commands from the host driver.
  void cmd_listen(uint16_t port, const MpaSetup& mpa, const tcp::Config& tcp);
  void cmd_connect(uint32_t qpn, const hw::FourTuple& t, const MpaSetup& mpa,
                   const tcp::Config& tcp);
  void cmd_accept(uint32_t handle, uint32_t qpn);
  void cmd_reject(uint32_t handle);
  /// netevent NEIGH_UPDATE from the host's notifier.
  void netevent_neigh_update(wire::Ipv4Addr ip, wire::MacAddr mac);

  // ToeClient: a connection's stream while it is being set up.
  bool toe_data(uint32_t conn, ConstByteSpan data) override;
  void toe_acked(uint32_t, uint64_t) override {}
  void toe_state(uint32_t conn, tcp::State from, tcp::State to) override;

  const FirmwareStats& stats() const { return stats_; }

 private:
  enum class Phase { AwaitL2, Handshake, AwaitReply, AwaitRequest, AwaitAccept, Done, Failed };
  struct Setup {
    Phase phase = Phase::Handshake;
    bool active = false;
    uint32_t qpn = UINT32_MAX;
    uint32_t conn = UINT32_MAX;
    hw::FourTuple tuple;
    MpaSetup mpa;
    tcp::Config tcp;
    std::vector<uint8_t> rx;   ///< stream bytes so far
    wire::MpaReqRep peer;      ///< the peer's frame once parsed
  };
  /// Runs `fn` on the embedded core after `cost` of core time.
  void run(Duration cost, std::function<void()> fn);
  void start_open(Setup& s);
  void parse_setup(uint32_t conn);
  void send_frame(uint32_t conn, const wire::MpaReqRep& f);
  void on_syn(const hw::SynInfo& syn);

  FirmwareConfig cfg_;
  hw::Toe& toe_;
  hw::RdmaEngine& engine_;
  hw::PlacementUnit& placement_;
  HostUpcalls up_;
  Agenda agenda_;
  Duration busy_until_{};
  std::map<wire::Ipv4Addr, std::pair<L2State, wire::MacAddr>> l2_;
  std::map<uint16_t, std::pair<MpaSetup, tcp::Config>> listeners_;
  std::map<uint32_t, Setup> setups_;            ///< by connection
  std::vector<Setup> waiting_l2_;               ///< active opens waiting for a neighbour
  std::vector<hw::SynInfo> syns_waiting_l2_;
  FirmwareStats stats_;
};

}  // namespace rnicsim::fw

#pragma once
/// The neighbour table of one host interface, with Linux's NUD states and timers
/// (net/core/neighbour.c, net/ipv4/arp.c), as plain logic: inputs (a sender's use, an
/// explicit resolution, an ARP packet naming us, a timer expiry) come in with the current
/// time; actions come out (ARP requests to send, state changes, queued sends to release or
/// fail, timers to arm). No clock inside: the owner arms a wake-up for each `ArmTimer`.
///
/// The REACHABLE timer is lazy: its expiry only changes the state (to STALE) unless the
/// entry was used within delay_first_probe_time of it (then DELAY follows, whose expiry
/// sends a probe), so only then is it asked for as a wake-up; otherwise the expiry is
/// applied at the entry's next input or timer pass, with the same result Linux's timer
/// handler gives at the due time.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/common/rng.h"
#include "model/common/units.h"
#include "model/proto/netstack/path.h"

namespace rnicsim::netstack {

/// Linux's NUD states (include/uapi/linux/neighbour.h); NOARP and PERMANENT are left out:
/// every neighbour here is resolved by ARP.
enum class NudState { None, Incomplete, Reachable, Stale, Delay, Probe, Failed };
const char* to_string(NudState s);
/// NUD_VALID: the entry has a MAC a sender may use.
bool nud_valid(NudState s);

/// The ARP table's parameters, with Linux's defaults (net/ipv4/arp.c, arp_tbl.parms).
struct NeighConfig {
  /// BASE_REACHABLE_TIME = 30 * HZ; each table draws reachable_time uniformly in
  /// [0.5, 1.5) x this (neigh_rand_reach_time), anew every 300 s (neigh_periodic_work).
  Duration base_reachable_time = Duration::from_s(30);
  Duration delay_first_probe_time = Duration::from_s(5);  ///< DELAY_PROBE_TIME = 5 * HZ
  Duration retrans_time = Duration::from_s(1);            ///< RETRANS_TIME = 1 * HZ
  uint32_t ucast_probes = 3;  ///< UCAST_PROBES = 3: unicast probes in PROBE
  uint32_t mcast_probes = 3;  ///< MCAST_PROBES = 3 (sysctl mcast_solicit): broadcasts in INCOMPLETE
};

/// One output of the table.
struct NeighAction {
  enum class Kind {
    Solicit,      ///< send an ARP request for `ip` to `mac` (broadcast in INCOMPLETE, the known MAC in PROBE)
    StateChange,  ///< `from` -> `to` (or the MAC changed), `mac` the entry's MAC now
    Release,      ///< the queued sends `tokens` may go, to `mac`
    Fail,         ///< the queued sends `tokens` failed (resolution failed)
    ArmTimer,     ///< call on_timer at `when`
  };
  Kind kind = Kind::Solicit;
  wire::Ipv4Addr ip = 0;
  wire::MacAddr mac = 0;
  NudState from = NudState::None, to = NudState::None;
  bool mac_changed = false;  ///< StateChange: the MAC changed with it (from a valid state)
  std::vector<uint64_t> tokens;
  Duration when{};
};
using NeighActions = std::vector<NeighAction>;

class NeighbourTable {
 public:
  /// `rng` draws reachable_time (a generator of the table's own).
  NeighbourTable(const NeighConfig& cfg, Rng rng);

  /// A sender wants to use the neighbour (neigh_event_send): NONE and FAILED start
  /// resolution (INCOMPLETE), STALE goes to DELAY. True when the entry is valid and the
  /// send may go now; false when `token` was queued until resolution ends.
  bool use(wire::Ipv4Addr ip, uint64_t token, Duration now, NeighActions& out);
  /// An explicit resolution (the connection manager, or the RNIC asking for an entry it
  /// lacks): the neighbour is solicited anew, from INCOMPLETE with a fresh count of
  /// broadcast probes, unless it is being resolved already. Linux would keep a valid entry
  /// and use it; this host re-solicits, as the recorded runs of this simulator do.
  void resolve(wire::Ipv4Addr ip, Duration now, NeighActions& out);
  /// An ARP request or reply for our address from `ip` at `mac`: the entry becomes
  /// REACHABLE with that MAC. Linux makes the sender of a request STALE (arp_process ->
  /// neigh_event_ns) and waits for upper-layer confirmation; this model has no such
  /// confirmations yet (TCP's dst_confirm), so both kinds confirm the neighbour.
  void confirm(wire::Ipv4Addr ip, wire::MacAddr mac, Duration now, NeighActions& out);
  /// An ARP frame that is not for us but names a neighbour we have an entry for (a
  /// gratuitous ARP: sender and target the same address) with `mac`: Linux's arp_process
  /// updates an existing entry only (arp_accept 0), to STALE with the new MAC, overriding
  /// (a gratuitous ARP ignores locktime). False when there is no entry (nothing learned).
  bool learn_unsolicited(wire::Ipv4Addr ip, wire::MacAddr mac, Duration now, NeighActions& out);
  /// Runs every expiry due at or before `now`.
  void on_timer(Duration now, NeighActions& out);

  /// The state of a neighbour (NONE when it has no entry), as of the last input.
  NudState state(wire::Ipv4Addr ip) const;
  /// The entry's handle, for connections; empty when there is no entry.
  L2Ref entry(wire::Ipv4Addr ip) const;
  /// The current reachable_time (the last draw).
  Duration reachable_time() const { return reachable_time_; }

 private:
  struct Entry {
    NudState state = NudState::None;
    std::shared_ptr<L2Entry> l2;
    uint32_t probes = 0;  ///< probes sent in the current INCOMPLETE or PROBE
    Duration confirmed{}, used{};
    Duration due{-1};     ///< the entry's timer, -1 when none
    Duration armed{-1};   ///< the last wake-up asked for (one ArmTimer per due time)
    std::vector<uint64_t> queue;
  };
  Entry& get(wire::Ipv4Addr ip);
  /// Applies the entry's expiries due at or before `now`, each at its own due time.
  void expire(Entry& e, Duration now, NeighActions& out);
  void set_state(Entry& e, NudState to, NeighActions& out);
  /// Ends a confirmation or an unsolicited learning: moves `e` from `from` to `to`
  /// (reporting `relearned`, a new MAC for a valid entry, with the change, or alone when
  /// the state stays) and releases the frames queued on the entry.
  void settle(Entry& e, NudState from, NudState to, bool relearned, NeighActions& out);
  void probe(Entry& e, Duration now, NeighActions& out);
  void start_incomplete(Entry& e, Duration now, NeighActions& out);
  void reachable(Entry& e, NeighActions& out);
  /// Asks for a wake-up at the entry's due time when its expiry does something.
  void arm(Entry& e, NeighActions& out);
  void redraw(Duration now);

  NeighConfig cfg_;
  Rng rng_;
  Duration reachable_time_{};
  Duration last_rand_{};
  std::map<wire::Ipv4Addr, Entry> entries_;  // ordered: timer passes run in address order
};

}  // namespace rnicsim::netstack

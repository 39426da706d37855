#include "model/proto/netstack/neighbour.h"

#include <limits>

namespace rnicsim::netstack {
namespace {

constexpr Duration kNever{std::numeric_limits<int64_t>::min() / 2};
/// neigh_periodic_work re-draws reachable_time this often (net/core/neighbour.c).
constexpr Duration kRedrawPeriod = Duration::from_s(300);

}  // namespace

const char* to_string(NudState s) {
  switch (s) {
    case NudState::None: return "none";
    case NudState::Incomplete: return "incomplete";
    case NudState::Reachable: return "reachable";
    case NudState::Stale: return "stale";
    case NudState::Delay: return "delay";
    case NudState::Probe: return "probe";
    case NudState::Failed: return "failed";
  }
  return "?";
}

bool nud_valid(NudState s) {
  switch (s) {
    case NudState::Reachable:
    case NudState::Stale:
    case NudState::Delay:
    case NudState::Probe: return true;
    case NudState::None:
    case NudState::Incomplete:
    case NudState::Failed: return false;
  }
  return false;
}

NeighbourTable::NeighbourTable(const NeighConfig& cfg, Rng rng) : cfg_(cfg), rng_(rng) {
  last_rand_ = kNever;
  redraw(Duration{});
}

void NeighbourTable::redraw(Duration now) {
  if (now < last_rand_ + kRedrawPeriod) return;
  last_rand_ = now;
  const int64_t base = cfg_.base_reachable_time.ps;
  // neigh_rand_reach_time: get_random_u32_below(base) + base / 2.
  reachable_time_ = base > 0 ? Duration{static_cast<int64_t>(rng_.next() % static_cast<uint64_t>(base)) + base / 2}
                             : Duration{};
}

NeighbourTable::Entry& NeighbourTable::get(wire::Ipv4Addr ip) {
  auto it = entries_.find(ip);
  if (it != entries_.end()) return it->second;
  Entry& e = entries_[ip];
  e.l2 = std::make_shared<L2Entry>(L2Entry{ip, 0});
  e.confirmed = e.used = kNever;
  return e;
}

NudState NeighbourTable::state(wire::Ipv4Addr ip) const {
  auto it = entries_.find(ip);
  return it == entries_.end() ? NudState::None : it->second.state;
}

L2Ref NeighbourTable::entry(wire::Ipv4Addr ip) const {
  auto it = entries_.find(ip);
  return it == entries_.end() ? nullptr : it->second.l2;
}

void NeighbourTable::set_state(Entry& e, NudState to, NeighActions& out) {
  if (e.state == to) return;
  NeighAction a;
  a.kind = NeighAction::Kind::StateChange;
  a.ip = e.l2->ip;
  a.mac = e.l2->mac;
  a.from = e.state;
  a.to = to;
  e.state = to;
  out.push_back(std::move(a));
}

void NeighbourTable::arm(Entry& e, NeighActions& out) {
  if (e.due.ps < 0 || e.armed == e.due) return;
  bool acts = false;
  switch (e.state) {
    case NudState::Incomplete:
    case NudState::Delay:
    case NudState::Probe: acts = true; break;
    // The expiry leads to DELAY only after a use within delay_first_probe_time of it.
    case NudState::Reachable: acts = e.due <= e.used + cfg_.delay_first_probe_time; break;
    case NudState::None:
    case NudState::Stale:
    case NudState::Failed: break;
  }
  if (!acts) return;
  e.armed = e.due;
  NeighAction a;
  a.kind = NeighAction::Kind::ArmTimer;
  a.ip = e.l2->ip;
  a.when = e.due;
  out.push_back(std::move(a));
}

void NeighbourTable::probe(Entry& e, Duration now, NeighActions& out) {
  NeighAction a;
  a.kind = NeighAction::Kind::Solicit;
  a.ip = e.l2->ip;
  // arp_solicit: unicast to the known MAC while probes < ucast_probes in PROBE, else broadcast.
  a.mac = e.state == NudState::Probe ? e.l2->mac : wire::kMacBroadcast;
  out.push_back(std::move(a));
  ++e.probes;
  e.due = now + cfg_.retrans_time;
  arm(e, out);
}

void NeighbourTable::start_incomplete(Entry& e, Duration now, NeighActions& out) {
  set_state(e, NudState::Incomplete, out);
  e.probes = 0;
  probe(e, now, out);
}

void NeighbourTable::expire(Entry& e, Duration now, NeighActions& out) {
  while (e.due.ps >= 0 && e.due <= now) {
    const Duration t = e.due;  // Linux's timer handler runs at the due time
    e.due = Duration{-1};
    switch (e.state) {
      case NudState::Reachable:
        if (t <= e.used + cfg_.delay_first_probe_time) {
          set_state(e, NudState::Delay, out);
          e.due = t + cfg_.delay_first_probe_time;
          arm(e, out);
        } else {
          set_state(e, NudState::Stale, out);
        }
        break;
      case NudState::Delay:
        // No confirmation since DELAY began (an ARP would have made the entry REACHABLE).
        set_state(e, NudState::Probe, out);
        e.probes = 0;
        probe(e, t, out);
        break;
      case NudState::Incomplete:
      case NudState::Probe: {
        const uint32_t max = e.state == NudState::Probe ? cfg_.ucast_probes : cfg_.mcast_probes;
        if (e.probes < max) {
          probe(e, t, out);
          break;
        }
        set_state(e, NudState::Failed, out);  // neigh_invalidate: the queue fails
        if (!e.queue.empty()) {
          NeighAction a;
          a.kind = NeighAction::Kind::Fail;
          a.ip = e.l2->ip;
          a.tokens.swap(e.queue);
          out.push_back(std::move(a));
        }
        break;
      }
      case NudState::None:
      case NudState::Stale:
      case NudState::Failed: break;  // states without a timer
    }
  }
}

bool NeighbourTable::use(wire::Ipv4Addr ip, uint64_t token, Duration now, NeighActions& out) {
  redraw(now);
  Entry& e = get(ip);
  expire(e, now, out);
  e.used = now;
  switch (e.state) {
    case NudState::None:
    case NudState::Failed:
      e.queue.push_back(token);
      start_incomplete(e, now, out);
      return false;
    case NudState::Incomplete:
      e.queue.push_back(token);
      return false;
    case NudState::Stale:
      set_state(e, NudState::Delay, out);
      e.due = now + cfg_.delay_first_probe_time;
      arm(e, out);
      return true;
    case NudState::Reachable:
      arm(e, out);
      return true;
    case NudState::Delay:
    case NudState::Probe: return true;
  }
  return false;
}

void NeighbourTable::resolve(wire::Ipv4Addr ip, Duration now, NeighActions& out) {
  redraw(now);
  Entry& e = get(ip);
  expire(e, now, out);
  e.used = now;
  if (e.state == NudState::Incomplete) return;
  start_incomplete(e, now, out);
}

void NeighbourTable::settle(Entry& e, NudState from, NudState to, bool relearned, NeighActions& out) {
  if (from != to) {
    set_state(e, to, out);
    out.back().mac_changed = relearned;
  } else if (relearned) {  // same state, new MAC: still news for whoever holds the entry
    NeighAction a;
    a.kind = NeighAction::Kind::StateChange;
    a.ip = e.l2->ip;
    a.mac = e.l2->mac;
    a.from = a.to = to;
    a.mac_changed = true;
    out.push_back(std::move(a));
  }
  if (!e.queue.empty()) {  // the frames waiting for resolution may leave now
    NeighAction a;
    a.kind = NeighAction::Kind::Release;
    a.ip = e.l2->ip;
    a.mac = e.l2->mac;
    a.tokens.swap(e.queue);
    out.push_back(std::move(a));
  }
}

void NeighbourTable::confirm(wire::Ipv4Addr ip, wire::MacAddr mac, Duration now, NeighActions& out) {
  redraw(now);
  Entry& e = get(ip);
  expire(e, now, out);
  const NudState from = e.state;
  const bool mac_changed = e.l2->mac != mac;
  e.l2->mac = mac;  // in place: every connection holding the entry sees it
  e.confirmed = now;
  e.probes = 0;
  e.due = now + reachable_time_;
  settle(e, from, NudState::Reachable, nud_valid(from) && mac_changed, out);
  arm(e, out);
}

bool NeighbourTable::learn_unsolicited(wire::Ipv4Addr ip, wire::MacAddr mac, Duration now, NeighActions& out) {
  auto it = entries_.find(ip);
  if (it == entries_.end() || it->second.state == NudState::None) return false;
  redraw(now);
  Entry& e = it->second;
  expire(e, now, out);
  const NudState from = e.state;
  const bool mac_changed = e.l2->mac != mac;
  if (!mac_changed && nud_valid(from)) return true;  // nothing new: the state stays
  e.l2->mac = mac;
  e.probes = 0;
  e.due = Duration{-1};  // STALE has no timer: the next use starts DELAY
  settle(e, from, NudState::Stale, nud_valid(from) && mac_changed, out);
  return true;
}

void NeighbourTable::on_timer(Duration now, NeighActions& out) {
  redraw(now);
  for (auto& [ip, e] : entries_) expire(e, now, out);
}

}  // namespace rnicsim::netstack

#include "model/hw/router/router.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <stdexcept>

#include "model/common/bytes.h"
#include "model/hw/link/link.h"
#include "model/proto/netstack/routes.h"
#include "model/wire/crc.h"
#include "model/wire/icmp.h"
#include "model/wire/ipv4.h"
#include "model/wire/frame_fcs.h"

namespace rnicsim::hw {
namespace {

constexpr size_t kL3 = wire::kEthHeaderLen;  // where a packet's IPv4 header starts in its frame

/// Bytes a frame occupies in a queue: padded frame + FCS (as a switch port counts them).
uint64_t frame_bytes(const Frame& f) { return std::max(f.bytes.size(), wire::kEthMinFrame) + wire::kEthFcsLen; }

bool is_multicast(wire::Ipv4Addr a) { return (a >> 28) == 0xE; }
/// Not the address of one host (RFC 1812 s.4.3.2.7, s.5.3.7): 0.0.0.0/8, 127/8, multicast,
/// class E and the limited broadcast.
bool is_martian_source(wire::Ipv4Addr a) {
  return (a >> 24) == 0 || (a >> 24) == 127 || (a >> 28) >= 0xE;
}
bool is_icmp_error_type(uint8_t t) {
  // Linux's icmp_pointers[].error: destination unreachable, source quench, redirect, time
  // exceeded, parameter problem.
  return t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
}

}  // namespace

/// One interface: the receiving end of its link, its output queue and its ARP table.
class Router::Interface : public FrameSink {
 public:
  Interface(Router& r, size_t index, const RouterIfConfig& config, const netstack::NeighConfig& arp, uint64_t seed,
            const std::string& router)
      : neigh(arp, Rng(seed, router + "." + config.name + ".neigh")), cfg(config), r_(r), index_(index) {}
  void receive(FramePtr f) override { r_.ingress(index_, std::move(f)); }

  void attach(Link* link, int end, Rate rate) {
    link_ = link;
    end_ = end;
    rate_ = rate;
  }
  bool linked() const { return link_ != nullptr; }
  bool on_subnet(wire::Ipv4Addr a) const {
    const uint32_t m = netstack::prefix_mask(cfg.prefix_len);
    return (a & m) == (cfg.ip & m);
  }
  wire::Ipv4Addr broadcast() const { return cfg.ip | ~netstack::prefix_mask(cfg.prefix_len); }

  /// Queues `f` (padded, FCS written) unless that takes the queue past `buffer`.
  bool push(FramePtr f, uint64_t buffer) {
    if (f->bytes.size() < wire::kEthMinFrame) f->bytes.resize(wire::kEthMinFrame, 0);
    f->fcs = wire::ethernet_fcs(f->bytes.data(), f->bytes.size());
    const uint64_t n = frame_bytes(*f);
    if (bytes_ + n > buffer) {
      ++stats.queue_drops;
      return false;
    }
    queue_.push_back(std::move(f));
    bytes_ += n;
    stats.queue_max_bytes = std::max(stats.queue_max_bytes, bytes_);
    if (!busy_) start_next();
    return true;
  }

  netstack::NeighbourTable neigh;
  /// Packets held per next hop being resolved (tokens of Router::held_, oldest first).
  struct Unresolved {
    std::deque<uint64_t> tokens;
    uint64_t bytes = 0;
  };
  std::map<wire::Ipv4Addr, Unresolved> unresolved;
  RouterIfStats stats;
  const RouterIfConfig& cfg;

 private:
  void start_next() {
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
    r_.agenda_.after(t, [this] { start_next(); });
  }

  Router& r_;
  size_t index_;
  Link* link_ = nullptr;
  int end_ = 0;
  Rate rate_;
  std::deque<FramePtr> queue_;
  uint64_t bytes_ = 0;
  bool busy_ = false;
};

Router::Router(sc_core::sc_module_name name, const RouterConfig& cfg, uint64_t seed)
    : sc_module(name), cfg_(cfg), ipv4_tx_(ip::Ipv4TxConfig{64, false}), agenda_(basename()) {
  // ICMP the router makes goes with DF clear and TTL 64: Linux's ICMP socket is
  // IP_PMTUDISC_DONT (icmp_sk_init) and takes ip_default_ttl.
  for (size_t i = 0; i < cfg_.interfaces.size(); ++i)
    ifs_.push_back(std::make_unique<Interface>(*this, i, cfg_.interfaces[i], cfg_.neigh, seed, cfg_.name));
  // The connected routes first, in interface order, then the static routes through the
  // first interface whose prefix covers their gateway (the loader checks there is one).
  for (size_t i = 0; i < ifs_.size(); ++i) {
    const RouterIfConfig& f = cfg_.interfaces[i];
    fib_.push_back({f.ip & netstack::prefix_mask(f.prefix_len), f.prefix_len, 0, i});
  }
  for (const RouterRoute& r : cfg_.routes) {
    size_t via = ifs_.size();
    for (size_t i = 0; i < ifs_.size() && via == ifs_.size(); ++i)
      if (ifs_[i]->on_subnet(r.via)) via = i;
    if (via == ifs_.size()) throw std::runtime_error(cfg_.name + ": a static route's gateway is on no interface");
    fib_.push_back({r.dst & netstack::prefix_mask(r.len), r.len, r.via, via});
  }
}

Router::~Router() = default;

void Router::attach(size_t iface, Link* link, int end, Rate rate) {
  ifs_.at(iface)->attach(link, end, rate);
  link->attach(end, ifs_[iface].get());
}

int Router::interface_index(const std::string& name) const {
  for (size_t i = 0; i < cfg_.interfaces.size(); ++i)
    if (cfg_.interfaces[i].name == name) return static_cast<int>(i);
  return -1;
}

const RouterIfStats& Router::interface_stats(size_t i) const { return ifs_.at(i)->stats; }

bool Router::is_local(wire::Ipv4Addr a) const {
  for (const auto& f : ifs_)
    if (f->cfg.ip == a) return true;
  return false;
}

bool Router::is_broadcast(wire::Ipv4Addr a) const {
  if (a == 0xFFFFFFFFu) return true;
  for (const auto& f : ifs_)
    if (f->cfg.prefix_len < 31 && f->broadcast() == a) return true;
  return false;
}

Router::Egress Router::route(wire::Ipv4Addr dst) const {
  // Longest prefix; among equal prefixes the route added first (as netstack::RouteTable).
  const FibEntry* best = nullptr;
  for (const FibEntry& r : fib_)
    if ((dst & netstack::prefix_mask(r.len)) == r.dst && (!best || r.len > best->len)) best = &r;
  Egress e;
  if (!best || !ifs_[best->iface]->linked()) return e;  // an interface on no link has no carrier
  e.found = true;
  e.iface = best->iface;
  e.next_hop = best->gateway ? best->gateway : dst;
  e.mtu = cfg_.interfaces[best->iface].mtu;
  return e;
}

// ------------------------------------------------------------------ input

void Router::ingress(size_t iface, FramePtr f) {
  Interface& in = *ifs_[iface];
  // Store and forward: the whole frame is here; a bad FCS ends it.
  if (!wire::fcs_ok(*f)) {
    ++in.stats.fcs_errors;
    return;
  }
  ++in.stats.frames_rx;
  // The NIC's address filter: its own MAC and broadcast (no multicast groups).
  if (f->bytes.size() < wire::kEthHeaderLen) return;
  const wire::MacAddr dst = load_be48(f->bytes.data());
  if (dst != in.cfg.mac && dst != wire::kMacBroadcast) {
    ++in.stats.filtered;
    return;
  }
  agenda_.after(cfg_.latency, [this, iface, f = std::move(f)] { process(iface, f); });
}

void Router::process(size_t iface, const FramePtr& f) {
  const auto eth = wire::decode_eth(f->bytes.data(), f->bytes.size());
  if (!eth) return;
  const uint8_t* l3 = f->bytes.data() + eth.length;
  const size_t l3_len = f->bytes.size() - eth.length;
  if (eth.value.ethertype == wire::kEtherTypeArp) on_arp(iface, l3, l3_len);
  if (eth.value.ethertype == wire::kEtherTypeIpv4) on_ipv4(iface, f, eth.length, eth.value.dst == wire::kMacBroadcast);
}

void Router::on_arp(size_t iface, const uint8_t* p, size_t len) {
  const auto arp = wire::decode_arp(p, len);
  if (!arp) return;
  const wire::ArpPacket& a = arp.value;
  Interface& in = *ifs_[iface];
  if (a.spa == 0) return;
  if (a.tpa != in.cfg.ip) {
    // A gratuitous ARP (sender and target one address) of a neighbour it knows: the new
    // MAC, overriding (Linux's arp_process, "always override existing neigh entries with
    // gratuitous ARP" since 4.13).
    if (a.spa == a.tpa && a.spa != in.cfg.ip) {
      netstack::NeighActions out;
      in.neigh.learn_unsolicited(a.spa, a.sha, sim_now(), out);
      apply(iface, out);
    }
    return;
  }
  // RFC 826: merge the sender, then answer a request for our address.
  netstack::NeighActions out;
  in.neigh.confirm(a.spa, a.sha, sim_now(), out);
  apply(iface, out);
  if (a.op == wire::ArpOp::Request) {
    ++stats_.arp_replies_tx;
    send_arp(iface, wire::ArpOp::Reply, a.sha, a.sha, a.spa);
  }
}

void Router::on_ipv4(size_t iface, const FramePtr& f, size_t off, bool link_broadcast) {
  const uint8_t* pkt = f->bytes.data() + off;
  const auto d = wire::decode_ipv4(pkt, f->bytes.size() - off);
  if (!d) {
    ++stats_.header_errors;
    return;
  }
  const wire::Ipv4Header& h = d.value;
  if (is_local(h.dst) || is_broadcast(h.dst)) {
    to_router(h, pkt);
    return;
  }
  // RFC 1812 s.5.3.4: no forwarding of a link-layer broadcast; s.5.3.7: nor of a packet
  // from an impossible source or to a multicast or reserved destination.
  if (link_broadcast || is_martian_source(h.src) || is_broadcast(h.src) || is_multicast(h.dst) ||
      (h.dst >> 28) == 0xF || (h.dst >> 24) == 0 || (h.dst >> 24) == 127) {
    ++stats_.not_forwarded;
    return;
  }
  // Linux's order: the route (ip_route_input), then TTL and MTU (ip_forward).
  const Egress e = route(h.dst);
  if (!e.found) {
    ++stats_.no_route;
    icmp_error(wire::kIcmpDestUnreachable, wire::kIcmpNetUnreachable, 0, pkt, h.total_length);
    return;
  }
  if (h.ttl <= 1) {
    ++stats_.ttl_exceeded;
    icmp_error(wire::kIcmpTimeExceeded, wire::kIcmpTtlExceeded, 0, pkt, h.total_length);
    return;
  }
  if (h.total_length > e.mtu) {
    if (h.df) {
      ++stats_.frag_needed;
      // RFC 1191: the next-hop MTU in the low 16 bits of the word after the checksum.
      icmp_error(wire::kIcmpDestUnreachable, wire::kIcmpFragNeeded, e.mtu & 0xFFFFu, pkt, h.total_length);
    } else {
      ++stats_.too_big;  // a router may fragment (RFC 1812 s.5.2.6); this one does not
    }
    return;
  }
  // A packet of its own, without the frame's padding; TTL less one with the checksum
  // updated as RFC 1624 eqn. 3 says: HC' = ~(~HC + ~m + m'), m the word holding TTL.
  FramePtr out = agenda_.frames().make();
  out->bytes.resize(kL3 + h.total_length);
  uint8_t* ip = out->bytes.data() + kL3;
  std::memcpy(ip, pkt, h.total_length);
  const uint16_t m = load_be16(ip + 8);
  ip[8] = static_cast<uint8_t>(h.ttl - 1);
  const uint16_t m2 = load_be16(ip + 8);
  const uint32_t sum = uint32_t{static_cast<uint16_t>(~load_be16(ip + 10))} + static_cast<uint16_t>(~m) + m2;
  store_be16(ip + 10, wire::inet_fold(sum));
  // RFC 1812 s.5.2.7.2: out of the interface it came in on, from a source on that
  // interface's subnet: tell the source the better first hop, and forward all the same.
  // Linux sends it after the TTL decrement (ip_forward), so the quote shows TTL - 1.
  if (cfg_.redirects && e.iface == iface && ifs_[iface]->on_subnet(h.src))
    icmp_error(wire::kIcmpRedirect, wire::kIcmpRedirectHost, e.next_hop, ip, h.total_length);
  output(e.iface, e.next_hop, std::move(out), -1);
}

void Router::to_router(const wire::Ipv4Header& h, const uint8_t* pkt) {
  ++stats_.to_router;
  // Echo requests to one of its addresses are answered; broadcast ones are not (Linux's
  // icmp_echo_ignore_broadcasts = 1); the rest is delivered to nothing.
  if (h.protocol != wire::kIpProtoIcmp || !is_local(h.dst) || h.mf || h.frag_offset != 0) return;
  if (is_martian_source(h.src) || is_broadcast(h.src)) return;
  const uint8_t* msg = pkt + h.header_length;
  const size_t len = h.total_length - h.header_length;
  const auto echo = wire::decode_icmp_echo(msg, len);
  if (!echo || echo.value.type != wire::kIcmpEchoRequest) return;
  // RFC 1122 s.3.2.2.6: the reply carries the request's data, from the address it was sent to.
  FramePtr f = agenda_.frames().make();
  f->bytes.resize(kL3 + wire::kIpv4HeaderLen + len);
  uint8_t* icmp = f->bytes.data() + kL3 + wire::kIpv4HeaderLen;
  std::memcpy(icmp, msg, len);
  wire::IcmpEcho reply = echo.value;
  reply.type = wire::kIcmpEchoReply;
  reply.code = 0;
  wire::encode_icmp_echo(icmp, reply, len - wire::kIcmpEchoHeaderLen);
  send_icmp(std::move(f), h.dst, h.src, len, wire::kIcmpEchoReply);
}

// ------------------------------------------------------------------ ICMP

void Router::icmp_error(uint8_t type, uint8_t code, uint32_t rest, const uint8_t* orig, size_t len) {
  const size_t ihl = size_t{orig[0] & 0x0Fu} * 4;
  const uint16_t frag = load_be16(orig + 6) & 0x1FFF;
  const wire::Ipv4Addr src = load_be32(orig + 12), dst = load_be32(orig + 16);
  // RFC 1812 s.4.3.2.7: none about an ICMP error, a non-initial fragment, an IP broadcast
  // or multicast, or a source that is not one host (nor about a link-layer broadcast:
  // those are never forwarded, so never get this far); none to the router itself.
  if (orig[9] == wire::kIpProtoIcmp && len > ihl && is_icmp_error_type(orig[ihl])) return;
  if (frag != 0 || is_broadcast(dst) || is_multicast(dst)) return;
  if (is_martian_source(src) || is_broadcast(src) || is_local(src)) return;
  const size_t n = wire::icmp_error_len(len);
  FramePtr f = agenda_.frames().make();
  f->bytes.resize(kL3 + wire::kIpv4HeaderLen + n);
  wire::encode_icmp_error(f->bytes.data() + kL3 + wire::kIpv4HeaderLen, type, code, rest, orig, len);
  send_icmp(std::move(f), 0, src, n, type);
}

void Router::send_icmp(FramePtr f, wire::Ipv4Addr src, wire::Ipv4Addr dst, size_t icmp_len, uint8_t type) {
  const Egress e = route(dst);
  if (!e.found) return;  // no way back: nothing is sent (icmp_send's route lookup fails)
  // RFC 1812 s.4.3.2.4: an error's source is an address of the interface it leaves by.
  if (src == 0) src = ifs_[e.iface]->cfg.ip;
  ipv4_tx_.write(f->bytes.data() + kL3, src, dst, wire::kIpProtoIcmp, icmp_len);
  output(e.iface, e.next_hop, std::move(f), type);
}

// ------------------------------------------------------------------ output

void Router::output(size_t iface, wire::Ipv4Addr next_hop, FramePtr pkt, int icmp_type) {
  Interface& out_if = *ifs_[iface];
  netstack::NeighActions out;
  const uint64_t token = next_token_++;
  if (out_if.neigh.use(next_hop, token, sim_now(), out)) {
    apply(iface, out);
    transmit(iface, out_if.neigh.entry(next_hop)->mac, std::move(pkt), icmp_type);
    return;
  }
  // Held until the neighbour resolves; past the queue's bytes the oldest goes
  // (__neigh_event_send drops from the head of arp_queue).
  Interface::Unresolved& u = out_if.unresolved[next_hop];
  u.bytes += pkt->bytes.size() - kL3;
  u.tokens.push_back(token);
  held_[token] = Held{iface, next_hop, std::move(pkt), icmp_type};
  while (u.bytes > cfg_.unresolved_bytes && u.tokens.size() > 1) {
    Held& old = held_.at(u.tokens.front());
    u.bytes -= old.frame->bytes.size() - kL3;
    old.frame = nullptr;
    u.tokens.pop_front();
    ++stats_.arp_queue_drops;
  }
  apply(iface, out);
}

void Router::transmit(size_t iface, wire::MacAddr mac, FramePtr pkt, int icmp_type) {
  Interface& out_if = *ifs_[iface];
  wire::encode_eth(pkt->bytes.data(), {mac, out_if.cfg.mac, wire::kEtherTypeIpv4});
  if (!out_if.push(std::move(pkt), cfg_.buffer)) {
    ++stats_.queue_drops;
    return;
  }
  if (icmp_type < 0) {
    ++stats_.forwarded;
    return;
  }
  ++stats_.icmp_sent;
  switch (icmp_type) {
    case wire::kIcmpEchoReply: ++stats_.echo_replies; break;
    case wire::kIcmpDestUnreachable: ++stats_.dest_unreachable_sent; break;
    case wire::kIcmpTimeExceeded: ++stats_.time_exceeded_sent; break;
    case wire::kIcmpRedirect: ++stats_.redirects_sent; break;
    default: break;
  }
}

void Router::apply(size_t iface, const netstack::NeighActions& actions) {
  using Kind = netstack::NeighAction::Kind;
  Interface& in = *ifs_[iface];
  for (const auto& a : actions) {
    switch (a.kind) {
      case Kind::Solicit:
        ++stats_.arp_requests_tx;
        send_arp(iface, wire::ArpOp::Request, a.mac, 0, a.ip);
        break;
      case Kind::StateChange: break;
      case Kind::Release:
      case Kind::Fail: {
        in.unresolved.erase(a.ip);
        for (const uint64_t t : a.tokens) {  // in the order they were held
          auto it = held_.find(t);
          Held h = std::move(it->second);
          held_.erase(it);
          if (!h.frame) continue;  // pushed out of the queue already
          if (a.kind == Kind::Release) {
            transmit(h.iface, a.mac, std::move(h.frame), h.icmp_type);
            continue;
          }
          ++stats_.arp_failed;
          // ipv4_link_failure: host unreachable about the packet as it was held.
          if (h.icmp_type < 0)
            icmp_error(wire::kIcmpDestUnreachable, wire::kIcmpHostUnreachable, 0, h.frame->bytes.data() + kL3,
                       h.frame->bytes.size() - kL3);
        }
        break;
      }
      case Kind::ArmTimer:
        agenda_.at(a.when, [this, iface] {
          netstack::NeighActions out;
          ifs_[iface]->neigh.on_timer(sim_now(), out);
          apply(iface, out);
        });
        break;
    }
  }
}

void Router::send_arp(size_t iface, wire::ArpOp op, wire::MacAddr dst_mac, wire::MacAddr tha, wire::Ipv4Addr tpa) {
  Interface& out_if = *ifs_[iface];
  FramePtr f = agenda_.frames().make();
  f->bytes.resize(wire::kEthHeaderLen + wire::kArpLen);
  wire::encode_eth(f->bytes.data(), {dst_mac, out_if.cfg.mac, wire::kEtherTypeArp});
  wire::encode_arp(f->bytes.data() + wire::kEthHeaderLen, {op, out_if.cfg.mac, out_if.cfg.ip, tha, tpa});
  out_if.push(std::move(f), cfg_.buffer);  // a tail drop is counted by the interface
}

}  // namespace rnicsim::hw

#include "firmware/own_stack.h"

#include <algorithm>

#include "model/common/bytes.h"
#include "model/wire/icmp.h"
#include "model/wire/ipv4.h"

namespace rnicsim::fw {

namespace {
constexpr uint32_t kIpv4MinMtu = 68;  // RFC 791: every host must take 68-byte datagrams
}  // namespace

OwnStack::OwnStack(const OwnStackConfig& cfg, FramePool& pool, Hooks hooks)
    : cfg_(cfg),
      pool_(pool),
      hooks_(std::move(hooks)),
      neigh_(cfg.neigh, Rng(cfg.seed, cfg.rng_name)),
      ipv4_rx_(cfg.ip, *this) {
  // The connected route first (among equal prefixes the first added wins), then the
  // host's routes through a gateway the RNIC can reach on its own link.
  routes_.add({cfg.ip, cfg.prefix_len, 0, cfg.mtu});
  const uint32_t mask = netstack::prefix_mask(cfg.prefix_len);
  for (const auto& r : cfg.host_routes)
    if (r.gateway != 0 && (r.gateway & mask) == (cfg.ip & mask)) routes_.add({r.dst, r.len, r.gateway, cfg.mtu});
}

bool OwnStack::is_arp(const Frame& f) {
  return f.bytes.size() >= wire::kEthHeaderLen && load_be16(f.bytes.data() + 12) == wire::kEtherTypeArp;
}

void OwnStack::resolve(wire::Ipv4Addr next_hop, Duration now) {
  netstack::NeighActions out;
  const uint64_t token = next_token_++;
  const bool valid = neigh_.use(next_hop, token, now, out);
  if (!valid) waiting_.emplace(token, FramePtr{});
  apply(out);
  // Valid already: the firmware hears of it again (its L2 entry may be missing).
  if (valid && hooks_.neigh) hooks_.neigh(next_hop, neigh_.entry(next_hop)->mac, neigh_.state(next_hop));
}

void OwnStack::receive(const Frame& f, Duration now) {
  auto eth = wire::decode_eth(f.bytes.data(), f.bytes.size());
  if (!eth) return;
  const uint8_t* l3 = f.bytes.data() + eth.length;
  const size_t l3_len = f.bytes.size() - eth.length;
  now_ = now;
  if (eth.value.ethertype == wire::kEtherTypeIpv4) {
    ipv4_rx_.receive(l3, l3_len);  // ICMP to on_icmp; the rest counted by the IP layer
    return;
  }
  if (eth.value.ethertype != wire::kEtherTypeArp) return;
  auto arp = wire::decode_arp(l3, l3_len);
  if (arp) on_arp(arp.value, now);
}

void OwnStack::on_arp(const wire::ArpPacket& a, Duration now) {
  ++stats_.arp_rx;
  // Another port announcing our address, or a probe without a sender (RFC 5227): no
  // neighbour to learn.
  if (a.spa == cfg_.ip || a.spa == 0) return;
  netstack::NeighActions out;
  if (a.tpa != cfg_.ip) {
    // A gratuitous ARP (sender and target one address) of a neighbour we know: its new
    // MAC, as Linux's arp_process takes it.
    if (a.spa == a.tpa) neigh_.learn_unsolicited(a.spa, a.sha, now, out);
    apply(out);
    return;
  }
  // RFC 826: merge the sender, then answer a request for our address.
  neigh_.confirm(a.spa, a.sha, now, out);
  apply(out);
  if (a.op != wire::ArpOp::Request) return;
  send_arp(wire::ArpOp::Reply, a.sha, a.sha, a.spa);
  ++stats_.arp_replies_tx;
}

void OwnStack::on_icmp(const wire::Ipv4Header& ip, ConstByteSpan m) {
  icmp_.on_icmp(ip, m);  // counted by type, bad checksums too
  if (m.empty()) return;
  if (m[0] == wire::kIcmpEchoRequest) {
    const auto echo = wire::decode_icmp_echo(m.data(), m.size());
    if (!echo) return;
    // RFC 792 / RFC 1122 s.3.2.2.6: the reply carries the request's identifier, sequence
    // number and data back to its source.
    const size_t data = m.size() - wire::kIcmpEchoHeaderLen;
    FramePtr f = pool_.make();
    f->bytes.resize(wire::kEthHeaderLen + wire::kIpv4HeaderLen + m.size());
    uint8_t* p = f->bytes.data();
    wire::encode_eth(p, {0, cfg_.mac, wire::kEtherTypeIpv4});  // the destination once the next hop is known
    ipv4_tx_.write(p + wire::kEthHeaderLen, cfg_.ip, ip.src, wire::kIpProtoIcmp, m.size());
    uint8_t* icmp = p + wire::kEthHeaderLen + wire::kIpv4HeaderLen;
    std::copy(m.begin() + wire::kIcmpEchoHeaderLen, m.end(), icmp + wire::kIcmpEchoHeaderLen);
    wire::encode_icmp_echo(icmp, {wire::kIcmpEchoReply, 0, echo.value.id, echo.value.seq}, data);
    ++stats_.echo_replies_tx;
    output(std::move(f), ip.src, now_);
    return;
  }
  if (m[0] != wire::kIcmpDestUnreachable) return;
  const auto err = wire::decode_icmp_error(m.data(), m.size());
  if (!err || err.value.code != wire::kIcmpFragNeeded) return;
  const wire::IcmpError& e = err.value;
  // Only about a TCP datagram of ours (the quoted header says who sent it), and RFC 1191
  // s.6.3: never raised by it, nor below IPv4's minimum.
  if (e.orig_src != cfg_.ip || e.orig_protocol != wire::kIpProtoTcp) return;
  const netstack::RouteRef r = route(e.orig_dst);
  const uint32_t mtu = e.next_hop_mtu();
  if (mtu < kIpv4MinMtu || mtu >= (r ? r->mtu : cfg_.mtu)) return;
  ++stats_.pmtu_learned;
  if (hooks_.pmtu) hooks_.pmtu(e.orig_dst, mtu);
}

void OwnStack::send_arp(wire::ArpOp op, wire::MacAddr dst_mac, wire::MacAddr tha, wire::Ipv4Addr tpa) {
  FramePtr f = pool_.make();
  f->bytes.resize(wire::kEthHeaderLen + wire::kArpLen);
  wire::encode_eth(f->bytes.data(), {dst_mac, cfg_.mac, wire::kEtherTypeArp});
  wire::encode_arp(f->bytes.data() + wire::kEthHeaderLen, {op, cfg_.mac, cfg_.ip, tha, tpa});
  hooks_.send(std::move(f));
}

void OwnStack::output(FramePtr f, wire::Ipv4Addr dst, Duration now) {
  const wire::Ipv4Addr hop = netstack::next_hop(route(dst), dst);
  netstack::NeighActions out;
  const uint64_t token = next_token_++;
  if (neigh_.use(hop, token, now, out)) {
    apply(out);
    store_be48(f->bytes.data(), neigh_.entry(hop)->mac);
    hooks_.send(std::move(f));
    return;
  }
  waiting_.emplace(token, std::move(f));
  apply(out);
}

void OwnStack::on_timer(Duration now) {
  netstack::NeighActions out;
  neigh_.on_timer(now, out);
  apply(out);
}

void OwnStack::apply(const netstack::NeighActions& actions) {
  using Kind = netstack::NeighAction::Kind;
  for (const auto& a : actions) {
    switch (a.kind) {
      case Kind::Solicit:
        send_arp(wire::ArpOp::Request, a.mac, 0, a.ip);
        ++stats_.arp_requests_tx;
        break;
      case Kind::StateChange:
        if (!hooks_.neigh) break;
        // As the host's notifier raises NEIGH_UPDATE: a (new) MAC, or a failed resolution;
        // changes within validity (REACHABLE to STALE and back) are not passed on.
        if (netstack::nud_valid(a.to) && (!netstack::nud_valid(a.from) || a.mac_changed))
          hooks_.neigh(a.ip, a.mac, a.to);
        else if (a.to == netstack::NudState::Failed)
          hooks_.neigh(a.ip, 0, a.to);
        break;
      case Kind::Release:
      case Kind::Fail:
        for (const uint64_t t : a.tokens) {  // in the order they asked
          auto it = waiting_.find(t);
          FramePtr f = std::move(it->second);
          waiting_.erase(it);
          if (!f) continue;  // a connection's resolution: the firmware hears it by `neigh`
          if (a.kind == Kind::Fail) {
            ++stats_.frames_dropped;
            continue;
          }
          store_be48(f->bytes.data(), a.mac);
          hooks_.send(std::move(f));
        }
        break;
      case Kind::ArmTimer:
        hooks_.arm(a.when);
        break;
    }
  }
}

}  // namespace rnicsim::fw

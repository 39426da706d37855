// The host's netfilter (hosts[].netfilter, model/proto/netstack/netfilter.h) on its own
// stack's packets and, with `rnic.netfilter: enforce`, on offloaded connection setup; the
// ICMP error REJECT sends and the host's TCP's answer to it; port binds and the port
// collisions of a split port space.
#include "host_if/host.h"
#include "model/common/address.h"
#include "model/wire/icmp.h"

namespace rnicsim::host {

namespace {

/// RFC 1122 3.2.2: no ICMP error is sent about an ICMP error (Linux's icmp_send checks
/// icmp_pointers[type].error: destination unreachable, source quench, redirect, time
/// exceeded, parameter problem).
bool is_icmp_error(uint8_t type) { return type == 3 || type == 4 || type == 5 || type == 11 || type == 12; }

}  // namespace

void Host::wire_netfilter() {
  // No rules, no hooks: a host without rules runs exactly as before (iptables' filter
  // table registers its hooks only once it is loaded).
  // Type 3 also filters for its netdev's state: down, the host's frames do not leave.
  if (nf_.size() || cfg_.notify == Notify::OwnStack)
    soft_tcp_->engine().set_tx_filter([this](const Frame& f) { return !own_netdev_down() && (!nf_.size() || nf_output(f)); });
  // Split: the host's sockets and the RNIC may hold one port. A segment the RNIC's demux
  // takes (it looks first) that the host's stack would have taken too, for a connection of
  // its own with that 4-tuple or a socket listening on its port, is misdelivered: the
  // host's socket never sees it. The port mapper's bind prevents exactly that under shared.
  // Distinct 4-tuples on one port are told apart and count nothing.
  if (!cfg_.port_space_shared)
    rnic_->set_claim_observer([this](const hw::FourTuple& t) {
      const hw::Toe& mine = soft_tcp_->engine();
      if (mine.listening(t.local_port) || mine.connection_id(t) != UINT32_MAX) ++stats_.port_conflicts;
    });
}

std::function<netstack::Verdict(const netstack::NfPacket&, netstack::Chain)> Host::offload_netfilter() {
  if (!cfg_.netfilter_enforce || !nf_.size()) return {};
  return [this](const netstack::NfPacket& p, netstack::Chain chain) {
    const auto [verdict, rule] = nf_.evaluate(chain, p);
    // The driver's answer to its firmware crosses the host/RNIC boundary: logged.
    log_.emit(sim_now(), cfg_.name, "to_rnic", "netfilter_verdict",
              {{"chain", netstack::to_string(chain)},
               {"src", format_ipv4(p.src)},
               {"dst", format_ipv4(p.dst)},
               {"sport", p.sport},
               {"dport", p.dport},
               {"verdict", netstack::to_string(verdict)},
               {"rule", rule ? nlohmann::ordered_json(*rule) : nlohmann::ordered_json(nullptr)}});
    if (verdict != netstack::Verdict::Accept) ++stats_.netfilter_drops;
    return verdict;
  };
}

void Host::tcp_input(FramePtr f, const wire::Ipv4Header& ip, const wire::TcpHeader& tcp, size_t off, size_t len,
                     wire::MacAddr src) {
  if (own_netdev_down()) return;
  if (nf_.size()) {
    const netstack::NfPacket p{wire::kIpProtoTcp, ip.src, ip.dst, tcp.sport, tcp.dport};
    const netstack::Verdict v = nf_.evaluate(netstack::Chain::Input, p).first;
    if (v != netstack::Verdict::Accept) {
      ++stats_.netfilter_drops;
      if (v == netstack::Verdict::Reject)
        reject(f->bytes.data() + off - tcp.header_length - ip.header_length, ip.total_length, src, false);
      return;
    }
  }
  soft_tcp_->receive(std::move(f), ip, tcp, off, len, src);
}

bool Host::nf_input(const uint8_t* l3, size_t len, wire::MacAddr src) {
  if (!nf_.size()) return true;
  // Netfilter's INPUT sees a packet after the IP layer's checks, once it is routed to this
  // host: a bad header or another destination is the IP layer's to count and drop.
  const auto d = wire::decode_ipv4(l3, len);
  if (!d || d.value.dst != cfg_.ip) return true;
  const wire::Ipv4Header& h = d.value;
  const netstack::NfPacket p = netstack::nf_packet(h, l3 + h.header_length, h.total_length - h.header_length);
  const netstack::Verdict v = nf_.evaluate(netstack::Chain::Input, p).first;
  if (v == netstack::Verdict::Accept) return true;
  ++stats_.netfilter_drops;
  if (v == netstack::Verdict::Reject) reject(l3, h.total_length, src, false);
  return false;
}

bool Host::nf_output(const Frame& f) {
  auto eth = wire::decode_eth(f.bytes.data(), f.bytes.size());
  if (!eth || eth.value.ethertype != wire::kEtherTypeIpv4) return true;  // ARP: iptables never sees it
  const uint8_t* l3 = f.bytes.data() + eth.length;
  const auto d = wire::decode_ipv4(l3, f.bytes.size() - eth.length);
  if (!d) return true;
  const wire::Ipv4Header& h = d.value;
  const netstack::NfPacket p = netstack::nf_packet(h, l3 + h.header_length, h.total_length - h.header_length);
  const netstack::Verdict v = nf_.evaluate(netstack::Chain::Output, p).first;
  if (v == netstack::Verdict::Accept) return true;
  // DROP: ip_local_out returns -EPERM, which the host's TCP ignores (tcp_connect returns
  // only -ECONNREFUSED; a retransmission's error is not reported), so the connection
  // retransmits into the rule until it gives up.
  ++stats_.netfilter_drops;
  if (v == netstack::Verdict::Reject) reject(l3, h.total_length, 0, true);
  return false;
}

void Host::ip_output(FramePtr f) {
  if (nf_output(*f)) rnic_->host_send(std::move(f));
}

void Host::reject(const uint8_t* orig, size_t len, wire::MacAddr next_mac, bool local) {
  // iptables' REJECT answers ICMP port unreachable unless told otherwise (libipt_REJECT.c's
  // REJECT_init: "reject->with = IPT_ICMP_PORT_UNREACHABLE"; the kernel's nf_send_unreach
  // then calls icmp_send). Never about an ICMP error or a later fragment (RFC 1122 3.2.2),
  // and not rate-limited (Linux allows a burst of 6 per peer, then one per icmp_ratelimit).
  const auto d = wire::decode_ipv4(orig, len);
  if (!d || d.value.frag_offset != 0) return;
  const wire::Ipv4Header& h = d.value;
  if (h.protocol == wire::kIpProtoIcmp && len > h.header_length && is_icmp_error(orig[h.header_length])) return;
  const size_t icmp_len = wire::icmp_error_len(len);
  FramePtr f = agenda_.frames().make();
  f->bytes.resize(wire::kEthHeaderLen + wire::kIpv4HeaderLen + icmp_len);
  uint8_t* b = f->bytes.data();
  // From the address the packet was sent to (icmp_send: saddr = iph->daddr), back to the
  // MAC it came from, as the TCP's RST for no socket goes; the host's own packet's error
  // is addressed to the host itself.
  wire::encode_eth(b, {local ? cfg_.mac : next_mac, cfg_.mac, wire::kEtherTypeIpv4});
  icmp_tx_.write(b + wire::kEthHeaderLen, cfg_.ip, h.src, wire::kIpProtoIcmp, icmp_len);
  wire::encode_icmp_error(b + wire::kEthHeaderLen + wire::kIpv4HeaderLen, wire::kIcmpDestUnreachable,
                          wire::kIcmpPortUnreachable, 0, orig, len);
  if (!local) {
    ip_output(std::move(f));
    return;
  }
  // REJECT on OUTPUT: the error goes out through OUTPUT and comes back in through the
  // loopback (INPUT, then ICMP), once the sender's call has returned; it is never on the
  // wire, and the host's TCP ends the connect refused (tcp_v4_err).
  if (!nf_output(*f)) return;
  agenda_.at(sim_now(), [this, f = std::move(f)] {
    const uint8_t* l3 = f->bytes.data() + wire::kEthHeaderLen;
    const size_t n = f->bytes.size() - wire::kEthHeaderLen;
    if (nf_input(l3, n, cfg_.mac)) ipv4_rx_.receive(l3, n);
  });
}

void Host::IcmpInput::on_icmp(const wire::Ipv4Header& ip, ConstByteSpan message) {
  host_.icmp_.on_icmp(ip, message);
  host_.icmp_error_input(message);
}

void Host::icmp_error_input(ConstByteSpan m) {
  const auto d = wire::decode_icmp_error(m.data(), m.size());
  if (!d) return;
  const wire::IcmpError& e = d.value;
  // Port unreachable, the error REJECT sends; other errors are only counted.
  if (e.type != wire::kIcmpDestUnreachable || e.code != wire::kIcmpPortUnreachable) return;
  if (e.orig_protocol != wire::kIpProtoTcp || e.orig_src != cfg_.ip) return;
  const uint8_t* q = m.data() + wire::kIcmpEchoHeaderLen;
  const size_t ihl = size_t{q[0] & 0x0fu} * 4;
  if (m.size() < wire::kIcmpEchoHeaderLen + ihl + 8) return;
  const uint32_t seq = load_be32(q + ihl + 4);
  hw::Toe& stack = soft_tcp_->engine();
  const uint32_t id = stack.connection_id(hw::FourTuple{e.orig_src, e.orig_dst, e.orig_sport, e.orig_dport});
  if (id == UINT32_MAX) return;
  const tcp::Connection& c = stack.conn(id);
  // tcp_v4_err: an error about a sequence number not in flight is ignored
  // (OUTOFWINDOWICMPS); in SYN_SENT it ends the connect with ECONNREFUSED (tcp_done, no
  // RST); a synchronized connection takes it as a soft error and keeps trying (RFC 1122
  // 4.2.3.9), as Linux does without IP_RECVERR.
  if (c.state() != tcp::State::SynSent || seq - c.snd_una() > c.snd_max() - c.snd_una()) return;
  stack.abort(id);
}

bool Host::bind_port(uint16_t port) { return reserve_port(port); }

uint16_t Host::offload_ephemeral_port() {
  if (cfg_.port_space_shared) return ports_.ephemeral();
  // RDMA CM's own port space (cma_alloc_any_port: a port of inet_get_local_port_range
  // bound in RDMA_PS_TCP, never in the TCP table): the same range, a table of its own.
  const uint16_t p = offload_ports_.ephemeral();
  offload_ports_.reserve(p);
  return p;
}

}  // namespace rnicsim::host

#include "host_if/host_icmp.h"

#include <algorithm>
#include <utility>

#include "model/wire/crc.h"
#include "model/wire/ipv4.h"

namespace rnicsim::host {

HostIcmp::HostIcmp(wire::Ipv4Addr local, Output out, Clock now)
    : local_(local), out_(std::move(out)), now_(std::move(now)) {}

stats::Group<HostIcmp> HostIcmp::group() {
  return stats::Group<HostIcmp>()
      .include(ip::IcmpStats::group(), [](const HostIcmp& h) -> const ip::IcmpStats& { return h.stats(); })
      .include(IcmpOutStats::group(), [](const HostIcmp& h) -> const IcmpOutStats& { return h.out_stats(); });
}

std::vector<uint8_t> HostIcmp::echo_payload(size_t len) {
  std::vector<uint8_t> p(len);
  for (size_t i = 0; i < len; ++i) p[i] = static_cast<uint8_t>(i);
  return p;
}

void HostIcmp::on_icmp(const wire::Ipv4Header& ip, ConstByteSpan m) {
  in_.on_icmp(ip, m);  // counted by type, bad ones too
  if (m.size() < wire::kIcmpEchoHeaderLen || wire::inet_fold(wire::inet_sum(m.data(), m.size())) != 0) return;
  switch (m[0]) {
    case wire::kIcmpEchoRequest:
      answer_echo(ip, m);
      break;
    case wire::kIcmpEchoReply:
      take_reply(ip, m);
      break;
    case wire::kIcmpDestUnreachable:
    case wire::kIcmpRedirect:
    case wire::kIcmpTimeExceeded:
      take_error(ip, m);
      break;
    default:
      break;  // counted only
  }
}

void HostIcmp::answer_echo(const wire::Ipv4Header& ip, ConstByteSpan m) {
  // RFC 792: the reply carries the request's identifier, sequence number and data; RFC
  // 1122 s.3.2.2.6: its source is the address the request was sent to (the receiver let
  // only those for this host through), its destination the request's source.
  const auto e = wire::decode_icmp_echo(m.data(), m.size());
  if (!e) return;
  std::vector<uint8_t> reply(m.begin(), m.end());
  wire::encode_icmp_echo(reply.data(), wire::IcmpEcho{wire::kIcmpEchoReply, 0, e.value.id, e.value.seq},
                         reply.size() - wire::kIcmpEchoHeaderLen);
  ++out_stats_.out_echo_reps;
  send(ip.src, std::move(reply), {});
}

void HostIcmp::take_reply(const wire::Ipv4Header& ip, ConstByteSpan m) {
  const auto e = wire::decode_icmp_echo(m.data(), m.size());
  if (!e) return;
  // A reply is ours when it comes from the address pinged with an outstanding id and
  // sequence (iputils matches the id and the sequence; the source tells two pings with
  // one id apart).
  const Key key{ip.src, e.value.id, e.value.seq};
  auto it = pending_.find(key);
  if (it == pending_.end()) return;  // late, duplicated or someone else's
  const ConstByteSpan data = m.subspan(wire::kIcmpEchoHeaderLen);
  EchoResult r;
  r.outcome = EchoResult::Outcome::Reply;
  r.rtt = now_() - it->second.sent;
  r.data_intact = data.size() == it->second.payload.size() &&
                  std::equal(data.begin(), data.end(), it->second.payload.begin());
  r.from = ip.src;
  finish(key, r);
}

void HostIcmp::take_error(const wire::Ipv4Header& ip, ConstByteSpan m) {
  const auto d = wire::decode_icmp_error(m.data(), m.size());
  if (!d) return;
  const wire::IcmpError& err = d.value;
  if (err.orig_src != local_) return;  // about a datagram this host did not send
  if (err.type == wire::kIcmpDestUnreachable && err.code == wire::kIcmpFragNeeded && on_frag_needed)
    on_frag_needed(err.orig_dst, err.next_hop_mtu());
  if (err.type == wire::kIcmpRedirect) {
    // A redirect changes the route, not the fate of the datagram (it was forwarded):
    // iputils does not count it as an error either.
    if (on_redirect) on_redirect(err.orig_dst, err.gateway(), ip.src);
    return;
  }
  // Destination unreachable or time exceeded about one of our echo requests: the quoted
  // datagram's first 8 bytes after its IPv4 header are the request's ICMP header.
  if (err.orig_protocol != wire::kIpProtoIcmp) return;
  const ConstByteSpan q = m.subspan(wire::kIcmpEchoHeaderLen);
  const size_t ihl = size_t{q[0] & 0x0fu} * 4;
  if (q.size() < ihl + wire::kIcmpEchoHeaderLen || q[ihl] != wire::kIcmpEchoRequest) return;
  const Key key{err.orig_dst, load_be16(q.data() + ihl + 4), load_be16(q.data() + ihl + 6)};
  EchoResult r;
  r.outcome = EchoResult::Outcome::Error;
  r.from = ip.src;
  r.type = err.type;
  r.code = err.code;
  finish(key, r);
}

uint64_t HostIcmp::send_echo(wire::Ipv4Addr dst, uint16_t id, uint16_t seq, size_t payload_len, EchoDone done) {
  const Key key{dst, id, seq};
  if (pending_.count(key)) expire(dst, id, seq, pending_.at(key).number);
  Pending p;
  p.number = ++requests_;
  p.sent = now_();
  p.payload = echo_payload(payload_len);
  p.done = std::move(done);
  std::vector<uint8_t> msg(wire::kIcmpEchoHeaderLen + payload_len);
  std::copy(p.payload.begin(), p.payload.end(), msg.begin() + wire::kIcmpEchoHeaderLen);
  wire::encode_icmp_echo(msg.data(), wire::IcmpEcho{wire::kIcmpEchoRequest, 0, id, seq}, payload_len);
  pending_.emplace(key, std::move(p));
  ++out_stats_.out_echos;
  const uint64_t number = requests_;
  send(dst, std::move(msg), [this, key, number](bool sent) {
    auto it = pending_.find(key);
    if (sent || it == pending_.end() || it->second.number != number) return;
    EchoResult r;
    r.outcome = EchoResult::Outcome::Unresolved;
    finish(key, r);
  });
  return number;
}

void HostIcmp::expire(wire::Ipv4Addr dst, uint16_t id, uint16_t seq, uint64_t number) {
  const Key key{dst, id, seq};
  auto it = pending_.find(key);
  if (it == pending_.end() || it->second.number != number) return;
  EchoResult r;
  r.outcome = EchoResult::Outcome::Timeout;
  finish(key, r);
}

void HostIcmp::finish(const Key& key, EchoResult r) {
  auto it = pending_.find(key);
  if (it == pending_.end()) return;
  r.dst = std::get<0>(key);
  r.id = std::get<1>(key);
  r.seq = std::get<2>(key);
  r.payload_len = it->second.payload.size();
  EchoDone done = std::move(it->second.done);
  pending_.erase(it);
  if (done) done(r);
}

void HostIcmp::send(wire::Ipv4Addr dst, std::vector<uint8_t> message, std::function<void(bool)> done) {
  ++out_stats_.out_msgs;
  out_(dst, ConstByteSpan(message.data(), message.size()), std::move(done));
}

}  // namespace rnicsim::host

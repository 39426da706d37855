#pragma once
/// A host's netfilter rules (the scenario's hosts[].netfilter) as iptables' filter table
/// runs them: chain INPUT or OUTPUT, rules in order, the first whose every given field
/// matches decides (ACCEPT, DROP or REJECT), and a packet no rule matches is accepted
/// (the chains' default policy ACCEPT). The host applies it to its own stack's packets
/// and, with `rnic.netfilter: enforce`, to offloaded connection setup (host_if/
/// host_netfilter.cpp).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "model/wire/eth.h"
#include "model/wire/ipv4.h"

namespace rnicsim::netstack {

enum class Chain { Input, Output };
enum class Verdict { Accept, Drop, Reject };
/// The match on the IP protocol; `Any` matches every packet.
enum class NfProto { Any, Tcp, Udp, Icmp };
/// Lower-case names, as events.jsonl writes them ("input", "drop").
const char* to_string(Chain c);
const char* to_string(Verdict v);

struct NfPrefix {
  wire::Ipv4Addr addr = 0;
  uint8_t len = 32;
};
using PortRange = std::pair<uint16_t, uint16_t>;  ///< inclusive

/// One rule, with the fields of scenario::NetfilterRule; an absent field matches anything.
struct NfRule {
  Chain chain = Chain::Input;
  Verdict verdict = Verdict::Accept;
  NfProto proto = NfProto::Any;
  std::optional<NfPrefix> src, dst;
  std::optional<PortRange> sport, dport;  ///< match only TCP and UDP packets (iptables' -p tcp --dport)
};

/// What a rule looks at in a packet.
struct NfPacket {
  uint8_t protocol = 0;  ///< the IPv4 protocol number
  wire::Ipv4Addr src = 0, dst = 0;
  uint16_t sport = 0, dport = 0;  ///< TCP and UDP only
};

/// What the rules see of an IPv4 packet whose header is `h` and whose payload (`l4_len`
/// bytes) starts at `l4`: the ports of a TCP or UDP packet that carries them (a first
/// fragment with at least 4 bytes), 0 otherwise, which no scenario rule's ports (1..65535)
/// take (as iptables' --dport never matches a later fragment).
NfPacket nf_packet(const wire::Ipv4Header& h, const uint8_t* l4, size_t l4_len);

class Netfilter {
 public:
  Netfilter() = default;
  explicit Netfilter(std::vector<NfRule> rules) : rules_(std::move(rules)) {}
  void append(const NfRule& r) { rules_.push_back(r); }
  /// The verdict of `chain` on `p`, and the index of the rule that gave it (none: the
  /// default policy).
  std::pair<Verdict, std::optional<size_t>> evaluate(Chain chain, const NfPacket& p) const;
  size_t size() const { return rules_.size(); }

 private:
  std::vector<NfRule> rules_;
};

}  // namespace rnicsim::netstack

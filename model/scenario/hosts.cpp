// hosts[]: addresses, routes, the host's own TCP, netfilter rules and the RNIC.
#include <fmt/format.h>

#include <algorithm>

#include "model/scenario/profiles.h"
#include "model/scenario/sections.h"
#include "model/scenario/suggest.h"
#include "model/wire/mpa.h"

namespace rnicsim::scenario::detail {
namespace {

const std::vector<std::string> kTcpKeys = {"cc",   "init_cwnd", "min_rto", "delayed_ack", "timestamps",
                                           "sack", "wscale",    "rcvbuf",  "sndbuf",      "user_timeout",
                                           "rack"};
const std::vector<std::string> kPcieKeys = {"gen", "lanes", "mps", "mrrs", "read_latency", "rcb", "extended_tags"};
const std::vector<std::string> kRuleKeys = {"action", "chain", "proto", "src", "dst", "sport", "dport"};
const std::vector<std::string> kHostKeys = {"name",   "ip",  "mac",       "mtu", "gateway",
                                            "routes", "tcp", "netfilter", "rnic"};
const std::vector<std::string> kRnicKeys = {"type",     "ip",     "mac",        "profile",   "line_rate", "placement",
                                            "notify",   "port_space", "netfilter", "tcp",   "pcie"};

std::optional<uint64_t> read_positive_size(Ctx& c, const YNode& n, const std::string& path) {
  auto v = read_size(c, n, path);
  if (v && *v == 0) {
    c.error(n.loc, fmt::format("{}: expected a size above zero, got '{}'", path, n.text));
    return std::nullopt;
  }
  return v;
}

// The RNIC's firmware writes its MPA Request or Reply into the connection's send buffer
// in one piece (RFC 5044 section 7.1: a 20-byte header and up to 512 bytes of private
// data), so an RNIC send buffer holds at least that much.
constexpr uint64_t kRnicMinSndbuf = wire::kMpaReqRepHeaderLen + wire::kMpaMaxPrivateData;

std::optional<uint64_t> read_rnic_sndbuf(Ctx& c, const YNode& n, const std::string& path) {
  auto v = read_size(c, n, path);
  if (v && *v < kRnicMinSndbuf) {
    c.error(n.loc, fmt::format("{}: expected at least {}B (the RNIC writes an MPA Request or Reply, up to {} bytes, "
                               "into it whole), got '{}'",
                               path, kRnicMinSndbuf, kRnicMinSndbuf, n.text));
    return std::nullopt;
  }
  return v;
}

std::optional<uint64_t> read_tlp_size(Ctx& c, const YNode& n, const std::string& path) {
  auto v = read_size(c, n, path);
  if (v && (*v < 128 || *v > 4096 || (*v & (*v - 1)) != 0)) {
    c.error(n.loc, fmt::format("{}: expected a power of two from 128B to 4096B, got '{}'", path, n.text));
    return std::nullopt;
  }
  return v;
}

void read_pcie(Ctx& c, const YNode& n, const std::string& path, PcieSpec& p) {
  MapIn m(c, n, path, kPcieKeys);
  if (const YNode* g = m.get("gen"))
    if (const auto v = read_uint(c, *g, m.sub("gen"), 1, 5)) p.gen = static_cast<int>(*v);
  if (const YNode* l = m.get("lanes")) {
    const auto v = read_uint(c, *l, m.sub("lanes"), 1, 16);
    if (v && (*v & (*v - 1)) != 0)
      c.error(l->loc, fmt::format("{}: expected 1, 2, 4, 8 or 16 lanes, got '{}'", m.sub("lanes"), l->text));
    else if (v)
      p.lanes = static_cast<int>(*v);
  }
  m.read("mps", p.mps, read_tlp_size);
  m.read("mrrs", p.mrrs, read_tlp_size);
  if (const YNode* r = m.get("read_latency"))
    if (const auto v = read_duration(c, *r, m.sub("read_latency"))) p.read_latency = *v;
  if (const YNode* r = m.get("rcb")) {
    const auto v = read_size(c, *r, m.sub("rcb"));
    if (v && *v != 64 && *v != 128)
      c.error(r->loc, fmt::format("{}: expected 64B or 128B, got '{}'", m.sub("rcb"), r->text));
    else if (v)
      p.rcb = *v;
  }
  m.read("extended_tags", p.extended_tags, read_bool);
}

/// A netfilter address: a prefix, or a plain address meaning /32 (as iptables reads it).
std::optional<Ipv4Prefix> read_rule_addr(Ctx& c, const YNode& n, const std::string& path) {
  if (n.kind == YNode::Kind::Scalar && n.text.find('/') == std::string::npos) {
    const auto a = read_ipv4(c, n, path);
    if (!a) return std::nullopt;
    return Ipv4Prefix{*a, 32};
  }
  return read_prefix(c, n, path);
}

void read_netfilter(Ctx& c, const YNode* n, const std::string& path, std::vector<NetfilterRule>& rules) {
  const auto items = list_items(c, n, path);
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string ip = fmt::format("{}[{}]", path, i);
    MapIn m(c, *items[i], ip, kRuleKeys);
    NetfilterRule r;
    r.loc = m.loc();
    if (m.require("action", "accept | drop | reject"))
      m.read("action", r.action, read_enum, std::vector<std::string>{"accept", "drop", "reject"});
    m.read("chain", r.chain, read_enum, std::vector<std::string>{"input", "output"});
    m.read("proto", r.proto, read_enum, std::vector<std::string>{"tcp", "udp", "icmp", "any"});
    m.read("src", r.src, read_rule_addr);
    m.read("dst", r.dst, read_rule_addr);
    m.read("sport", r.sport, read_port_range);
    m.read("dport", r.dport, read_port_range);
    if (r.proto != "tcp" && r.proto != "udp") {
      const std::string why = fmt::format("with proto: {} (ports need proto: tcp or udp)", r.proto);
      m.forbid("sport", why);
      m.forbid("dport", why);
    }
    if (m.is_map()) rules.push_back(r);
  }
}

void read_rnic(Ctx& c, const YNode& n, const std::string& path, RnicSpec& r) {
  std::vector<std::string> keys = kRnicKeys;
  for (const auto& p : profile_param_names())
    if (std::find(keys.begin(), keys.end(), p) == keys.end()) keys.push_back(p);
  MapIn m(c, n, path, keys);
  if (!m.is_map()) return;
  r.loc = m.loc();
  if (const YNode* t = m.get("type")) {
    if (t->kind == YNode::Kind::Scalar && !t->quoted && (t->text == "3" || t->text == "7"))
      r.type = t->text == "3" ? 3 : 7;
    else
      c.error(t->loc, fmt::format("{}: expected 3 (own IP and MAC) or 7 (shares the host's), got {}", m.sub("type"),
                                  describe(*t)));
  }
  if (r.type == 3) {
    m.require("ip", "an IPv4 address with prefix: a type-3 RNIC has its own");
    m.require("mac", "a MAC address: a type-3 RNIC has its own");
  } else {
    m.forbid("ip", "by a type-7 RNIC, which shares the host's IP and MAC");
    m.forbid("mac", "by a type-7 RNIC, which shares the host's IP and MAC");
  }
  if (r.type == 3) {
    m.read("ip", r.ip, read_prefix);
    m.read("mac", r.mac, read_mac);
  }
  if (const YNode* p = m.get("profile")) {
    if (const auto name = read_string(c, *p, m.sub("profile"))) {
      std::vector<std::string> names;
      for (const auto& pr : profiles()) names.push_back(pr.name);
      if (find_profile(*name))
        r.profile = *name;
      else
        c.error(p->loc, fmt::format("{}: no profile named '{}'{} (profiles: {})", m.sub("profile"), *name,
                                    did_you_mean(*name, names), join(names)));
    }
  }
  m.read("line_rate", r.line_rate, read_rate);
  m.read("placement", r.placement, read_enum, std::vector<std::string>{"model", "rtl", "lockstep"});
  m.read("notify", r.notify, read_enum, std::vector<std::string>{"netevent", "arp_snoop", "none"});
  m.read("port_space", r.port_space, read_enum, std::vector<std::string>{"shared", "split"});
  m.read("netfilter", r.netfilter, read_enum, std::vector<std::string>{"enforce", "bypass"});
  if (const YNode* t = m.get("tcp")) read_tcp(c, *t, m.sub("tcp"), r.tcp, false);
  if (const YNode* p = m.get("pcie")) read_pcie(c, *p, m.sub("pcie"), r.pcie);
  // Profile parameters: checked with their unit, kept as written.
  for (const auto& param : profiles().front().params) {
    if (param.name == "line_rate") continue;
    const YNode* v = m.get(param.name);
    if (!v) continue;
    const std::string p = m.sub(param.name);
    bool ok = false;
    switch (param.kind) {
      case ParamKind::Duration: {
        const std::optional<Duration> d = read_duration(c, *v, p);
        ok = d.has_value();
        if (ok && param.name == "clock_period" && d->ps <= 0) {  // every block's cycle: zero would never advance
          c.error(v->loc, fmt::format("{}: expected a clock period above zero, got '{}'", p, v->text));
          ok = false;
        }
        break;
      }
      case ParamKind::Rate: ok = read_rate(c, *v, p).has_value(); break;
      case ParamKind::Size: ok = read_size(c, *v, p).has_value(); break;
      case ParamKind::Count:
        ok = read_uint(c, *v, p, 0, param.name == "mpa_rtr_types" ? 7 : UINT32_MAX).has_value();
        break;
    }
    if (ok) r.overrides[param.name] = v->text;
  }
}

void read_host(Ctx& c, const YNode& n, const std::string& path, HostSpec& h) {
  MapIn m(c, n, path, kHostKeys);
  h.loc = m.loc();
  h.rnic.loc = m.loc();
  if (m.require("name", "a name ([a-z][a-z0-9_]*)")) m.read("name", h.name, read_name);
  if (m.require("ip", "an IPv4 address with prefix, like 10.0.0.1/24")) m.read("ip", h.ip, read_prefix);
  if (m.require("mac", "a MAC address, like 02:00:00:00:00:01")) m.read("mac", h.mac, read_mac);
  m.read("mtu", h.mtu, read_uint, 576, 9216);
  m.read("gateway", h.gateway, read_ipv4);
  const auto routes = list_items(c, m.get("routes"), m.sub("routes"));
  for (size_t i = 0; i < routes.size(); ++i) {
    MapIn rm(c, *routes[i], fmt::format("{}[{}]", m.sub("routes"), i), {"dst", "via"});
    Route r;
    const bool has_dst = rm.require("dst", "an IPv4 prefix, like 10.1.0.0/16") && rm.read("dst", r.dst, read_prefix);
    const bool has_via = rm.require("via", "an IPv4 address, like 10.0.0.253") && rm.read("via", r.via, read_ipv4);
    if (has_dst && has_via) h.routes.push_back(r);
  }
  if (const YNode* t = m.get("tcp")) read_tcp(c, *t, m.sub("tcp"), h.tcp, true);
  read_netfilter(c, m.get("netfilter"), m.sub("netfilter"), h.netfilter);
  if (const YNode* r = m.get("rnic")) read_rnic(c, *r, m.sub("rnic"), h.rnic);
}

}  // namespace

void read_tcp(Ctx& c, const YNode& n, const std::string& path, TcpSpec& t, bool host_stack) {
  std::vector<std::string> keys = kTcpKeys;
  if (host_stack) {
    keys.push_back("segment_cost");
    keys.push_back("nodelay");
  }
  MapIn m(c, n, path, keys);
  if (host_stack) {
    m.read("segment_cost", t.segment_cost, read_duration);
    m.read("nodelay", t.nodelay, read_bool);
  }
  m.read("cc", t.cc, read_enum, std::vector<std::string>{"newreno", "cubic", "dctcp"});
  m.read("init_cwnd", t.init_cwnd, read_uint, 1, 1000);
  m.read("min_rto", t.min_rto, read_duration);
  m.read("delayed_ack", t.delayed_ack, read_duration);
  m.read("timestamps", t.timestamps, read_bool);
  m.read("sack", t.sack, read_bool);
  m.read("rack", t.rack, read_bool);
  m.read("wscale", t.wscale, read_uint, 0, 14);
  m.read("rcvbuf", t.rcvbuf, read_positive_size);
  if (host_stack)
    m.read("sndbuf", t.sndbuf, read_positive_size);
  else
    m.read("sndbuf", t.sndbuf, read_rnic_sndbuf);
  m.read("user_timeout", t.user_timeout, read_duration);
}

void read_hosts(Ctx& c, const YNode* n, Scenario& s) {
  const auto items = list_items(c, n, "hosts");
  for (size_t i = 0; i < items.size(); ++i) {
    HostSpec h;
    read_host(c, *items[i], fmt::format("hosts[{}]", i), h);
    s.hosts.push_back(std::move(h));
  }
}

}  // namespace rnicsim::scenario::detail

#pragma once
/// The scenario as loaded from YAML (../shared/spec/scenario-format.md, version 1): every key
/// of the contract, typed, with its default filled in. The loader (loader.h) builds it and
/// checks it; the simulation builder (model/sim) turns it into SystemC blocks. Nothing here
/// knows SystemC.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "model/common/units.h"

namespace rnicsim::scenario {

/// Where a node stood in the YAML file (1-based, as compilers write it).
struct Loc {
  std::string file;
  int line = 0;
  int col = 0;
};

struct Ipv4Prefix {
  uint32_t addr = 0;  ///< host byte order
  uint8_t len = 32;
};
using Ipv4 = uint32_t;  ///< host byte order
using Mac = uint64_t;   ///< the 48-bit address in the low bits, first octet most significant

/// A probability that may differ per direction (forward: first end to second end).
struct DirProb {
  double forward = 0.0;
  double reverse = 0.0;
};

struct TcpSpec {
  std::string cc = "newreno";          ///< newreno | cubic | dctcp
  uint32_t init_cwnd = 10;             ///< segments; RFC 6928
  Duration min_rto = Duration::from_ms(200);  ///< Linux's; RFC 6298 says 1 s
  Duration delayed_ack = Duration::from_ms(40);
  bool timestamps = true;
  bool sack = true;
  bool rack = true;                    ///< RFC 8985 RACK-TLP loss detection (needs SACK)
  uint8_t wscale = 7;                  ///< 0..14
  uint64_t rcvbuf = 4 * MiB;
  uint64_t sndbuf = 4 * MiB;
  /// The host's software stack only (hosts[].tcp): CPU time per segment sent or received.
  Duration segment_cost = Duration::from_ns(500);
  /// The host's software stack only: true turns Nagle's algorithm off (TCP_NODELAY).
  bool nodelay = false;
  Duration user_timeout = Duration{};  ///< 0: give up after 15 retransmissions
};

struct PcieSpec {
  std::optional<int> gen;    ///< 1..5; absent: the profile's (Profile::pcie_gen)
  std::optional<int> lanes;  ///< 1, 2, 4, 8, 16; absent: the profile's
  uint64_t mps = 256;   ///< max payload size, bytes: 128..4096, power of two
  uint64_t mrrs = 512;  ///< max read request size, bytes: 128..4096, power of two
  /// The completer's read latency: from a read request's last byte leaving the RNIC to
  /// the root complex returning its first data.
  std::optional<Duration> read_latency;  ///< absent: the profile's (Profile::pcie_read_latency)
  uint64_t rcb = 64;           ///< the root port's read completion boundary: 64 or 128 bytes
  bool extended_tags = true;   ///< 256 tags for reads in flight (false: 32)
};

struct NetfilterRule {
  std::string action;   ///< accept | drop | reject
  std::string chain = "input";  ///< input | output
  std::string proto = "any";    ///< tcp | udp | icmp | any
  std::optional<Ipv4Prefix> src, dst;
  std::optional<std::pair<uint16_t, uint16_t>> sport, dport;  ///< inclusive range
  Loc loc;
};

struct RnicSpec {
  int type = 7;                      ///< 7: shares host IP/MAC; 3: own IP/MAC
  std::optional<Ipv4Prefix> ip;      ///< type 3 only
  std::optional<Mac> mac;            ///< type 3 only
  std::string profile = "generic_25g";
  std::optional<Rate> line_rate;     ///< absent: the link's rate, else the profile's
  std::string placement = "model";   ///< model | rtl | lockstep
  std::string notify = "netevent";   ///< netevent | arp_snoop | none
  std::string port_space = "shared"; ///< shared | split
  std::string netfilter = "enforce"; ///< enforce | bypass
  TcpSpec tcp;
  PcieSpec pcie;
  /// Profile parameters overridden in the file (key -> value text), beyond the named keys.
  std::map<std::string, std::string> overrides;
  Loc loc;
};

struct Route {
  Ipv4Prefix dst;
  Ipv4 via = 0;
};

struct HostSpec {
  std::string name;
  Ipv4Prefix ip;
  Mac mac = 0;
  uint32_t mtu = 1500;               ///< 576..9216
  std::optional<Ipv4> gateway;
  std::vector<Route> routes;
  TcpSpec tcp;                       ///< the host's own software TCP
  std::vector<NetfilterRule> netfilter;
  RnicSpec rnic;
  Loc loc;
};

struct SwitchSpec {
  std::string name;
  uint64_t buffer = 1 * MiB;
  uint64_t ecn_threshold = 200 * KiB;
  Duration latency = Duration::from_ns(300);
  Loc loc;
};

struct RouterIfSpec {
  std::string name;
  Ipv4Prefix ip;
  Mac mac = 0;
  uint32_t mtu = 1500;
  Loc loc;
};

struct RouterSpec {
  std::string name;
  Duration latency = Duration::from_us(1);
  bool redirects = false;
  std::vector<RouterIfSpec> interfaces;
  std::vector<Route> routes;  ///< static routes; `via` on one interface's prefix
  Loc loc;
};

/// One end of a link: a host, a switch, or `router.interface`.
struct LinkEnd {
  std::string node;   ///< empty for a TAP end
  std::string iface;  ///< empty unless a router interface
  std::string tap;    ///< `tap:NAME`: the Linux TAP device NAME (then node is empty)
};

struct LinkSpec {
  std::string name;       ///< defaults to <first end>_<second end>, dots to underscores
  LinkEnd ends[2];
  std::optional<Rate> rate;  ///< absent: the RNIC's line rate
  Duration delay = Duration::from_ns(0);
  DirProb loss, reorder, corrupt;
  Loc loc;
};

struct MpaSideSpec {
  bool markers = false;
  bool crc = true;
  uint32_t ird = 16;
  uint32_t ord = 16;
  std::string private_data;
  bool reject = false;
};

struct MpaSpec {
  int revision = 2;     ///< 1 (RFC 5044) or 2 (RFC 6581)
  int server_revision = 2;  ///< the passive side's (mpa.server.revision, else `revision`)
  MpaSideSpec client;   ///< the keys at the top of `mpa`
  MpaSideSpec server;   ///< the same, with `mpa.server` overrides applied
};

struct ConnectionSpec {
  std::string id;
  std::string from, to;  ///< host names; the outside side's is empty
  /// A peer outside the simulation (over a TAP end), written as an IPv4 address in `from`
  /// (it connects to the simulated `to`, which listens) or in `to` (the simulated `from`
  /// connects to it).
  std::optional<Ipv4> outside;
  bool outside_is_client = false;  ///< the address was written in `from`
  uint16_t port = 0;
  std::optional<uint16_t> src_port;
  std::string kind = "rdma";  ///< rdma | tcp
  Duration at = Duration{};
  std::optional<Duration> disconnect;  ///< rdma: the client's graceful disconnect at this time
  uint32_t repeat = 1;
  MpaSpec mpa;
  uint32_t sq_depth = 256;
  uint32_t rq_depth = 256;
  uint32_t cq_depth = 0;          ///< each QP's CQ (0: sq_depth + rq_depth)
  std::string cq_mode = "poll";   ///< poll | event (armed, MSI-X interrupts)
  uint32_t cq_moderation_count = 0;     ///< event: interrupt at this many CQEs (0, 1: each)
  Duration cq_moderation_period{};     ///< event: or this long after the first (0: at once)
  Loc loc;
};

/// Regions one connection may expose to a peer outside the simulation: their descriptors
/// (16 bytes each) follow the 4-byte IRD/ORD prefix in the MPA Reply's 512 bytes.
constexpr uint64_t kMaxExposedRegions = 31;

struct WorkloadSpec {
  std::string id;
  std::string conn;              ///< empty for ping
  std::string op;                ///< write | read | send | ... | bulk | sink | expose | ping
  std::vector<uint64_t> sizes;   ///< one size, or a sweep
  bool size_sweep = false;       ///< `size` was written as a list: results hold by_size.<bytes>
  uint64_t count = 1;
  uint32_t depth = 1;
  Duration start = Duration{};
  bool fence = false;
  bool verify = true;
  std::string violate;           ///< empty, stag | pd | bounds | access | invalidated
  std::string from;              ///< ping
  Ipv4 to = 0;                   ///< ping
  Duration interval = Duration::from_ms(1);  ///< ping
  Duration timeout = Duration::from_s(1);    ///< ping: how long each request waits for its answer
  std::string access;            ///< expose: read | write
  Loc loc;
};

struct EventSpec {
  Duration at;
  std::string host;   ///< host events
  std::string link;   ///< link events
  std::string kind;   ///< change_addr | pmtu_update | redirect | change_mtu | neigh_update |
                      ///< bind | netdev | down | up | set
  std::optional<Mac> mac;
  std::optional<Ipv4> dst, gateway, ip;
  std::optional<uint32_t> mtu;
  std::optional<uint16_t> port;
  std::string state;  ///< netdev: going_down | down | up
  std::optional<DirProb> loss, reorder, corrupt;  ///< link `set`
  Loc loc;
};

struct Expectation {
  std::string metric;
  std::string op;  ///< eq | min | max | approx
  std::variant<double, std::string, bool> want;
  std::optional<double> rel, abs;  ///< approx tolerance
  Loc loc;
};

struct Scenario {
  std::string file;
  std::string name;
  std::string description;
  uint64_t seed = 1;
  Duration stop_after = Duration::from_s(1);
  /// timeseries.csv: one row per interval of simulated time (0s: no file).
  Duration timeseries_interval = Duration::from_us(100);
  std::vector<HostSpec> hosts;
  std::vector<SwitchSpec> switches;
  std::vector<RouterSpec> routers;
  std::vector<LinkSpec> links;
  std::vector<ConnectionSpec> connections;
  std::vector<WorkloadSpec> workloads;
  std::vector<EventSpec> events;
  std::vector<Expectation> expect;
  /// Every key path written in the file or by --set (e.g. "hosts[1].rnic.line_rate"),
  /// with where it was written: lets later stages tell a written value from a default.
  std::map<std::string, Loc> written;
};

}  // namespace rnicsim::scenario

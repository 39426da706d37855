#pragma once
/// The model of one run, shared by the parts of the simulation (internal to model/sim):
/// build.cpp makes it from the scenario, run.cpp runs it to its end condition,
/// outputs.cpp and results.cpp write what it did, expectations.cpp checks `expect`.
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "host_if/host.h"
#include "model/hw/link/link.h"
#include "model/hw/router/router.h"
#include "model/hw/switch/switch.h"
#include "model/hw/tap/tap.h"
#include "model/sim/bulk.h"
#include "model/sim/node.h"
#include "model/sim/realtime.h"
#include "model/sim/simulation.h"
#include "model/sim/timeseries.h"
#include "model/sim/workload.h"

namespace rnicsim::sim {

/// The perftest latency tools (one operation at a time, a ping-pong).
inline bool is_latency_op(const std::string& op) { return op == "write_lat" || op == "read_lat" || op == "send_lat"; }

/// A classic pcap file with nanosecond timestamps (outputs.cpp).
class PcapWriter {
 public:
  PcapWriter(const std::string& path, int snaplen);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;
  void write(const Frame& f, Duration t);

 private:
  int snaplen_;
  struct Handles;
  std::unique_ptr<Handles> h_;
};

/// One connection copy at run time.
struct ConnRuntime {
  std::string id;
  const scenario::ConnectionSpec* spec = nullptr;
  host::Host* client = nullptr;
  host::Host* server = nullptr;
  uint16_t port = 0;
  uint32_t copy = 0;  ///< index among the `repeat` copies
  uint32_t client_qpn = UINT32_MAX;
  uint32_t server_qpn = UINT32_MAX;
  std::string state = "connecting";
  std::vector<std::pair<size_t, uint32_t>> runners;  ///< (workload index, runner index)
  // kind: tcp (the hosts' own stacks)
  bool soft = false;
  uint32_t client_conn = UINT32_MAX;  ///< in the client's SoftTcp
  uint32_t server_conn = UINT32_MAX;
  std::shared_ptr<BulkSink> sink;     ///< the server application
  /// rdma: the application's view of each QP's send queue (qp.sq_depth), shared by the
  /// workloads on the connection.
  std::unique_ptr<SendQueueGate> client_sq, server_sq;
  /// rdma: the server's receive buffers for the connection's Sends (none without Sends),
  /// posted when its QP is made, before it accepts (as rdma_accept wants them posted).
  Receiver* receiver = nullptr;
  /// Refused by the peer, unreachable, timed out opening, or its port was taken in the
  /// host's port space.
  bool never_opened() const {
    return state == "refused" || state == "timed_out" || state == "port_in_use" || state == "unreachable";
  }
  const tcp::Connection* client_tcp() const {
    if (soft) return client_conn == UINT32_MAX ? nullptr : &client->soft_tcp().engine().conn(client_conn);
    if (client_qpn == UINT32_MAX || state == "connecting" || never_opened()) return nullptr;
    return &client->rnic().toe().conn(client->rnic().engine().conn_of(client_qpn));
  }
  /// The simulated side that opened the stream's sending end: the client's, or, with a
  /// peer outside that connected, the listening host's.
  const tcp::Connection* sim_tcp() const {
    const tcp::Connection* t = client_tcp();
    return t || !spec->outside ? t : server_tcp();
  }
  const tcp::Connection* server_tcp() const {
    if (soft) return server_conn == UINT32_MAX ? nullptr : &server->soft_tcp().engine().conn(server_conn);
    if (server_qpn == UINT32_MAX || state == "connecting" || never_opened()) return nullptr;
    return &server->rnic().toe().conn(server->rnic().engine().conn_of(server_qpn));
  }
};

struct Model {
  EventQueue events;  // first: made before every block's Agenda, destroyed after them
  const scenario::Scenario& s;
  RunOptions opt;
  host::EventLog log;
  std::vector<std::unique_ptr<Node>> nodes;
  std::vector<host::Host*> hosts;  ///< the nodes' hosts, in scenario order
  std::map<std::string, host::Host*> host_by_name;
  std::vector<std::unique_ptr<hw::Link>> links;
  std::vector<std::unique_ptr<hw::EthSwitch>> switches;
  std::vector<std::unique_ptr<hw::Router>> routers;
  /// TAP ends, by their link's name (a run with one lasts until `stop.after`).
  std::vector<std::pair<std::string, std::unique_ptr<hw::TapPort>>> taps;
  std::unique_ptr<Pacer> pacer;  ///< `run --realtime`
  std::vector<std::vector<std::unique_ptr<BulkRunner>>> bulk;  ///< per workload, per copy (bulk only)
  std::unique_ptr<TimeSeries> series;
  std::vector<std::unique_ptr<hw::ToeClient>> watchers;
  std::vector<std::unique_ptr<PcapWriter>> pcaps;
  std::vector<ConnRuntime> conns;
  std::vector<std::vector<std::unique_ptr<Runner>>> runners;  ///< per workload, per copy
  std::map<std::pair<host::Host*, uint32_t>, std::vector<Runner*>> runner_by_qp;
  /// The write workloads by their target's (host, QP): told when a Write is placed there.
  std::map<std::pair<host::Host*, uint32_t>, std::vector<Runner*>> write_sink_by_qp;
  std::vector<std::unique_ptr<Receiver>> receivers;
  std::map<std::pair<host::Host*, uint32_t>, Receiver*> receiver_by_qp;
  std::unique_ptr<Agenda> control;
  /// Lockstep reports: which connection registered each (host, STag), set while a
  /// workload registers its buffers.
  std::string registering_conn;
  std::map<std::pair<const host::Host*, uint32_t>, std::string> conn_of_stag;
  bool lockstep_stopped = false;

  Model(const scenario::Scenario& sc, const RunOptions& o) : s(sc), opt(o) {}

  /// Every workload finished and every connection quiet (run.cpp).
  bool all_done();
  /// Stops the simulation when all_done(), else looks again later if only ACKs are awaited.
  void check_done();

  size_t done_scan = 0;  ///< connections before this index have every workload finished
  bool poll_armed = false;
};

/// Makes the hosts, switches, routers, links, captures, connections and workloads (build.cpp).
void build(Model& m);
/// Schedules the scenario's events (events.cpp); called by build.
void schedule_events(Model& m);
/// Schedules a `bind` event: at its time a host-stack socket binds the port on its host
/// (Host::bind_port; refused and counted when taken) (event_bind.cpp).
void apply_bind(Model& m, const scenario::EventSpec& e);
/// The columns of timeseries.csv (outputs.cpp).
void add_series(Model& m);

/// What the run produced besides the model's own figures, for results.json.
struct RunFigures {
  Duration end{};
  double wall_s = 0;
  uint64_t events = 0;
  /// Known only once the expectations are checked against the other figures: false until
  /// then, and results.json's `passed` is written again (run.cpp).
  bool passed = false;
};
/// results.json's figures, `passed` false and `expectations` empty (results.cpp).
nlohmann::ordered_json results_json(const Model& m, const RunFigures& f);
/// Checks `expect` against `r` and fills its `expectations`; true when every one held
/// (expectations.cpp).
bool check_expectations(const scenario::Scenario& s, nlohmann::ordered_json& r);
/// Writes results.json and events.jsonl; returns the human summary (outputs.cpp).
std::string write_outputs(const Model& m, const nlohmann::ordered_json& r, const RunFigures& f, bool lockstep_ok,
                          bool any_wave);

}  // namespace rnicsim::sim

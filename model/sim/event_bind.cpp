// Events of kind `bind`: a host-stack socket binds a port and holds it.
#include "model/sim/model.h"

namespace rnicsim::sim {

void apply_bind(Model& m, const scenario::EventSpec& e) {
  host::Host* h = m.host_by_name.at(e.host);
  const uint16_t port = *e.port;
  // Host-internal: with port_space shared the port mapper's socket holds an offloaded port
  // in the host's own table, so the refusal is the host stack's; split, the RNIC is never
  // asked. Nothing crosses the host/RNIC boundary, so events.jsonl has no line for it.
  m.control->at(e.at, [h, port] { h->bind_port(port); });
}

}  // namespace rnicsim::sim

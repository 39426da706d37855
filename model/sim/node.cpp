#include "model/sim/node.h"

namespace rnicsim::sim {

Node::Node(sc_core::sc_module_name name, const host::HostConfig& host, const hw::RnicConfig& rnic,
           const fw::FirmwareConfig& firmware, host::EventLog& log, uint64_t seed)
    : sc_module(name),
      mem_(seed, host.name),
      rnic_("rnic", rnic, mem_, seed),
      firmware_("firmware", firmware, rnic_),
      host_(host, mem_, rnic_, firmware_, log, seed) {
  // Stale-L2 accounting: the MAC measures its offloaded frames against the host's current
  // neighbour for the route's next hop. A type-3 RNIC's own table is the truth: none.
  if (rnic.type != 3)
    rnic_.mac().set_l2_reference([this](wire::Ipv4Addr dst) { return host_.neighbour_mac(host_.next_hop(dst)); });
}

}  // namespace rnicsim::sim

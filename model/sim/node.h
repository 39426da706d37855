#pragma once
/// One machine of a scenario, assembled above the layers it joins: the host's memory, the
/// RNIC (hardware), the RNIC's firmware wired to the RNIC's register file and mailbox, and
/// the host, which reaches the firmware by mailbox commands and the RNIC's engine by its
/// verbs. No layer below builds another: the hardware never sees the firmware or the
/// host, and the host never constructs its RNIC (docs/architecture.md, "Layers").
#include <cstdint>

#include "firmware/firmware.h"
#include "host_if/event_log.h"
#include "host_if/host.h"
#include "model/common/sim.h"
#include "model/hw/rnic/rnic.h"
#include "model/mem/host_memory.h"

namespace rnicsim::sim {

/// The SystemC module carries the host's name, so the blocks inside keep the names their
/// generators are seeded from (`alice.rnic.toe`, `alice.host_tcp`).
class Node : public sc_core::sc_module {
 public:
  Node(sc_core::sc_module_name name, const host::HostConfig& host, const hw::RnicConfig& rnic,
       const fw::FirmwareConfig& firmware, host::EventLog& log, uint64_t seed);

  host::Host& host() { return host_; }

 private:
  host::HostMemory mem_;
  hw::Rnic rnic_;
  fw::Firmware firmware_;
  host::Host host_;
};

}  // namespace rnicsim::sim

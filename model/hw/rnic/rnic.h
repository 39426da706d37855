#pragma once
/// One RNIC: MAC, TCP offload engine, DDP/RDMAP engine, placement unit, DMA/PCIe and the
/// firmware, wired together, with the receive demultiplexer that sends offloaded
/// connections to the TOE and everything else to the host's network stack (type 7: the
/// RNIC shares the host's IP and MAC).
#include <functional>
#include <memory>

#include "firmware/firmware.h"
#include "model/mem/host_memory.h"
#include "model/hw/dma/dma.h"
#include "model/hw/mac/mac.h"
#include "model/hw/placement/placement.h"
#include "model/hw/rdma_engine/engine.h"
#include "model/hw/toe/toe.h"

namespace rnicsim::hw {

struct RnicConfig {
  int type = 7;
  wire::MacAddr mac = 0;
  wire::Ipv4Addr ip = 0;
  MacConfig mac_cfg;
  ToeConfig toe;
  EngineConfig engine;
  PlacementConfig placement;
  DmaConfig dma;
  fw::FirmwareConfig firmware;
};

class Rnic : public sc_core::sc_module, public FrameSink {
 public:
  Rnic(sc_core::sc_module_name name, const RnicConfig& cfg, host::HostMemory& mem,
       fw::HostUpcalls up, uint64_t seed);

  Mac& mac() { return mac_; }
  Dma& dma() { return dma_; }
  Toe& toe() { return toe_; }
  RdmaEngine& engine() { return engine_; }
  PlacementUnit& placement() { return placement_; }
  fw::Firmware& firmware() { return firmware_; }
  const RnicConfig& config() const { return cfg_; }

  /// Frames the host stack sends through the shared port.
  void host_send(FramePtr f) { mac_.send(std::move(f), sim_now()); }
  /// Frames that are not for an offloaded connection go here (the host's stack); TCP
  /// segments for the host's address go, already decoded, to `tcp`.
  using HostTcpRx = std::function<void(FramePtr, const wire::Ipv4Header&, const wire::TcpHeader&, size_t payload_off,
                                       size_t payload_len, wire::MacAddr src_mac)>;
  void set_host_rx(std::function<void(FramePtr)> f, HostTcpRx tcp) {
    host_rx_ = std::move(f);
    host_tcp_rx_ = std::move(tcp);
  }
  /// From the MAC.
  void receive(FramePtr f) override;

 private:
  RnicConfig cfg_;
  Mac mac_;
  Dma dma_;
  Toe toe_;
  PlacementUnit placement_;
  RdmaEngine engine_;
  fw::Firmware firmware_;
  std::function<void(FramePtr)> host_rx_;
  HostTcpRx host_tcp_rx_;
};

}  // namespace rnicsim::hw

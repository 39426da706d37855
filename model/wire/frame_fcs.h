#pragma once
/// A frame's Ethernet FCS, computed only where something needs it. The sending MAC seals a
/// frame: its FCS is that of its bytes as they are, so a receiver that finds the seal
/// intact knows the check passes without computing it (the bytes of a shared frame never
/// change). Whoever changes a frame's bytes in flight (a bit error on a link) unseals it
/// first, which computes the FCS of the bytes as sent; the receiver then computes it over
/// the damaged bytes and the check fails, as a real MAC's does. Outputs are unchanged: no
/// capture holds the FCS.
#include "model/common/frame.h"
#include "model/wire/crc.h"

namespace rnicsim::wire {

/// The sender's FCS over `f`'s bytes as they are now, not yet computed.
inline void seal_fcs(Frame& f) { f.fcs_sealed = true; }
/// Makes a sealed frame's FCS concrete: call before changing its bytes.
inline void unseal_fcs(Frame& f) {
  if (!f.fcs_sealed) return;
  f.fcs = ethernet_fcs(f.bytes.data(), f.bytes.size());
  f.fcs_sealed = false;
}
/// The receiving MAC's check: the bytes match the FCS the sender computed.
inline bool fcs_ok(const Frame& f) { return f.fcs_sealed || ethernet_fcs(f.bytes.data(), f.bytes.size()) == f.fcs; }

}  // namespace rnicsim::wire

#pragma once
/// The PCIe physical and data-link layers as rates: transfer rate per generation, line
/// coding, lanes, and the share of the link that DLLPs (ACK, UpdateFC) and SKP ordered
/// sets take, so that the rest is what TLPs can use. Plain C++, no SystemC.
#include <cstdint>
#include <string>

#include "model/common/units.h"

namespace rnicsim::hw::pcie {

/// Bytes a DLLP takes on the link: 6 bytes of DLLP (type, payload, CRC16) plus the
/// physical layer's framing (SDP and END symbols for gens 1-2, a 2-byte SDP token from gen 3).
constexpr uint32_t kDllpBytes = 8;
/// SKP ordered sets for clock compensation: 4 bytes every 1538, as pcie-bench's model
/// (model/pcie.py, SKIP_Length and SKIP_Interval) counts them for every generation.
constexpr uint32_t kSkpBytes = 4;
constexpr uint32_t kSkpInterval = 1538;

/// Gigatransfers per second per lane: 2.5, 5, 8, 16, 32 for gens 1..5 (PCIe base spec).
double transfer_rate_gt(int gen);
/// Line coding efficiency: 8b/10b for gens 1-2, 128b/130b for gens 3-5.
double coding_efficiency(int gen);
/// Raw data rate of one direction after line coding: GT/s x coding x lanes.
Rate raw_rate(int gen, int lanes);
/// One symbol time (a byte on one lane): 10 bits at the transfer rate for gens 1-2,
/// 8 bits (plus the 2-bit block header spread over 16 symbols) from gen 3.
Duration symbol_time(int gen);

/// The interval, in symbol times, within which a receiver returns an ACK for TLPs it
/// received and schedules an UpdateFC: PCIe base spec rev 5.0 Tables 3-7..3-9 (Ack limit)
/// and 2-46..2-48 (UpdateFC), by generation, lanes and MPS, as pcie-bench's model
/// (model/pcie.py, Ack_Limits and FC_Guide) tabulates them; the two tables agree for
/// x1..x16. Gens 3, 4 and 5 share one table.
uint32_t dllp_interval(int gen, int lanes, uint64_t mps);

/// Empty when gen, lanes and mps are ones the tables above cover; else what is wrong.
std::string check_link(int gen, int lanes, uint64_t mps);

/// The rate left for TLPs in one direction: the raw rate less one ACK and one UpdateFC
/// DLLP per dllp_interval and the SKP ordered sets. This is pcie-bench's TLP_bw: it reads
/// the interval as bytes of the link (model/pcie.py) and charges both DLLPs on the
/// direction that carries the TLPs, as a link busy both ways carries them.
Rate tlp_rate(int gen, int lanes, uint64_t mps);

}  // namespace rnicsim::hw::pcie

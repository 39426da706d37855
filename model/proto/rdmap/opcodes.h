#pragma once
/// The RDMAP opcode table, in the manner of siw's iwarp_pktinfo[]: per opcode (RFC 5040
/// s.4.3, RFC 7306 for the atomics) its DDP model (tagged, or untagged on which queue), the
/// bytes before its payload, what it is to the send queue, and the QP's receive handler.
#include <cstdint>

#include "model/wire/ddp_rdmap.h"

namespace rnicsim::rdmap {

class Qp;
struct Segment;
/// A receive handler of the QP for one opcode's segments (their DDP checks passed so far).
using RxHandler = void (Qp::*)(const Segment&);

struct OpcodeInfo {
  wire::RdmapOpcode opcode;
  bool tagged;           ///< DDP tagged model (Write, Read Response); else untagged on `qn`
  uint32_t qn;           ///< untagged: the queue its messages travel on (RFC 5040 s.5.1)
  uint32_t hdr_len;      ///< DDP header plus the fixed RDMAP header before any payload (Terminate: its control word)
  bool work_request;     ///< a send-queue work request carries it (else the responder's own)
  bool send;             ///< one of the four Sends: consumes a posted receive
  bool invalidate;       ///< a Send with Invalidate: the header's STag is invalidated
  bool solicited;        ///< a Send with Solicited Event
  RxHandler rx;          ///< what the QP does with a segment of it
};

/// The table's entry for a 4-bit opcode; nullptr for the values RFC 5040 and RFC 7306 leave
/// unassigned (0x8, 0x9, 0xC-0xF).
const OpcodeInfo* opcode_info(uint8_t opcode);
inline const OpcodeInfo& opcode_info(wire::RdmapOpcode op) { return *opcode_info(static_cast<uint8_t>(op)); }

}  // namespace rnicsim::rdmap

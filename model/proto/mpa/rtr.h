#pragma once
/// The RFC 6581 "ready to receive" (RTR) message of peer-to-peer mode: after an enhanced
/// MPA exchange with the P bit, the initiator's first FPDU is a zero-length RDMA Write,
/// RDMA Read or Send (the type the responder picked from those the initiator offered), and
/// the responder sends nothing before it has received it. A Read RTR is answered with a
/// zero-length Read Response. A first FPDU other than the negotiated RTR is an LLP error,
/// Terminate layer 2, etype 0, code 0x07 "no matching RTR".
#include <cstdint>
#include <vector>

#include "model/common/bytes.h"

namespace rnicsim::mpa {

enum class RtrType : uint8_t { None, Write, Read, Send };
const char* to_string(RtrType t);

/// RTR types as a mask (the W, R and Z bits of the enhanced private data).
constexpr uint8_t kRtrWrite = 1, kRtrRead = 2, kRtrSend = 4, kRtrAll = 7;
/// The type the responder picks: the first of Write, Read, Send that the initiator offered
/// and the responder accepts; None when they share none.
RtrType pick_rtr(uint8_t offered, uint8_t accepted);
uint8_t rtr_mask(RtrType t);

/// The RTR's ULPDU (DDP/RDMAP header and body): a zero-length Write to STag 0 at TO 0, a
/// Read Request (QN 1, MSN 1) for 0 bytes from STag 0 into STag 0, or a Send (QN 0, MSN 1).
std::vector<uint8_t> rtr_ulpdu(RtrType t);
/// True when `ulpdu` is an RTR of type `t`: the opcode, the L bit, zero length (Write and
/// Send carry no payload, the Read Request asks for 0 bytes), MSN 1 for the untagged ones.
bool is_rtr(RtrType t, ConstByteSpan ulpdu);
/// The zero-length Read Response answering a Read RTR (tagged to the request's sink).
std::vector<uint8_t> rtr_read_response(ConstByteSpan read_rtr_ulpdu);
bool is_rtr_read_response(ConstByteSpan ulpdu);

}  // namespace rnicsim::mpa

#pragma once
/// DDP untagged buffer model (RFC 5041 s.5.2, s.7.2.2): the receive-side checks of one
/// untagged segment against its queue, in siw's order (version, QN, buffer, MSN range,
/// MO, length), each failure named by its Terminate code; and the per-queue state (next
/// MSN, next MO) that the checks advance. Plain C++, no timing.
#include <cstdint>

#include "model/wire/ddp_rdmap.h"

namespace rnicsim::ddp {

/// Untagged queues this RNIC serves (RFC 5040 s.5.1): 0 Send, 1 Read Request, 2 Terminate;
/// RFC 7306: 3 Atomic Request, 4 Atomic Response.
constexpr uint32_t kQueues = 5;

/// One untagged queue of a stream: the MSN of the message being received (MSNs start at
/// 1, RFC 5041 s.5.1) and the MO the next segment of it must carry.
struct UntaggedQueue {
  uint32_t msn = 1;
  uint32_t mo = 0;
};

/// The sending side of a stream's untagged queues: the MSN the next message on each queue
/// carries (every segment of a message carries its MSN; RFC 5041 s.5.1, from 1).
struct UntaggedSender {
  uint32_t msn[kQueues] = {1, 1, 1, 1, 1};
  /// The MSN of a new message on queue `qn`.
  uint32_t take(uint32_t qn) { return msn[qn]++; }
};

/// What the receiver has for the message a segment belongs to.
struct UntaggedBuffers {
  uint32_t available = 0;  ///< buffers for the message, the one being filled included (QN 1: free IRD slots)
  uint64_t length = UINT64_MAX;  ///< length of the buffer the current message lands in
};

/// The checks in order; a default (all-zero, layer 0 code 0) TermCode with `ok` true when
/// the segment may be placed.
struct UntaggedVerdict {
  bool ok = true;
  wire::TermCode error;
};

/// Checks an untagged segment of `payload_len` bytes. The stream is in order (TCP), so the
/// only MSN the receiver accepts is the next one; any other is "invalid MSN range" (no
/// out-of-order untagged placement; siw checks the same way). The next MSN with no buffer
/// posted is "no buffer available". MO must be the byte count already received of the
/// message, and MO + length must fit the buffer.
UntaggedVerdict check_untagged(const wire::DdpHeader& h, uint64_t payload_len, const UntaggedQueue& q,
                               const UntaggedBuffers& b);

/// Advances the queue past an accepted segment: MO grows; on L the next message begins.
void advance(UntaggedQueue& q, const wire::DdpHeader& h, uint64_t payload_len);

}  // namespace rnicsim::ddp

#pragma once
/// Between the ring formats (model/wire/verbs.h) and the engine's structs
/// (rdmap::Wqe, rdmap::Cqe): the opcodes, statuses and fields each side names. What the
/// bytes cannot carry (a registered buffer's pointer) the caller passes in; what the
/// structs cannot carry (the signaled flag) too.
#include <cstdint>

#include "model/proto/rdmap/types.h"
#include "model/wire/verbs.h"

namespace rnicsim::verbs {

wire::CqeStatus to_wire(rdmap::WcStatus s);
rdmap::WcStatus from_wire(wire::CqeStatus s);
wire::CqeOpcode to_wire(rdmap::WcOpcode o);
rdmap::WcOpcode from_wire(wire::CqeOpcode o);

/// The CQE of a completion with its phase bit. An invalidated STag of 0 means none (the
/// engine's convention), so with_invalidate is invalidated_stag != 0. Throws
/// std::out_of_range for a byte_len over 2^32 - 1 (the CQE's, and ibv_wc's, 32 bits).
wire::Cqe to_wire(const rdmap::Cqe& c, bool phase);
rdmap::Cqe from_wire(const wire::Cqe& c);

/// The WQE of a work request: one local SGE {local_va, length, local_stag} (the lkey is
/// local_stag), never inline. Send and Send with Invalidate carry SE as the solicited flag.
/// Throws std::out_of_range for a length over 2^32 - 1, std::invalid_argument for an
/// opcode no work request carries.
wire::SqWqe to_wire(const rdmap::Wqe& w, bool signaled);
/// The work request of a WQE, with `local` the buffer its lkey names (the caller looks it
/// up). An inline WQE's bytes have no place in rdmap::Wqe: throws std::invalid_argument.
rdmap::Wqe from_wire(const wire::SqWqe& w, const host::VirtBuffer* local);

}  // namespace rnicsim::verbs

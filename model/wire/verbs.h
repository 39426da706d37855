#pragma once
/// The verbs rings in host memory, byte for byte: the send-queue WQE, the receive-queue
/// WQE, the CQE and the doorbell. Host memory is little-endian (x86), so every field is
/// stored little-endian, with the shifts of model/common/bytes.h (no struct casts).
/// docs/architecture.md ("Verbs rings in host memory") has the same tables and says how
/// the rings, the doorbells and the interrupts work together (model/proto/verbs/).
///
/// Send-queue WQE: a 64-byte base slot, then the inline data (if any) in the following
/// 64-byte slots, so a WQE occupies sq_wqe_slots(inline bytes) = 1 + ceil(inline / 64)
/// consecutive slots of the ring: 1 slot without inline data, 2 for 1..64 inline bytes,
/// 3 for 65..128, ..., 8 for the largest, 385..448 (kSqMaxInline).
///
///   offset size field
///    0      8   wr_id
///    8      1   opcode (SqOpcode)
///    9      1   flags: bit 0 signaled, 1 fence, 2 solicited, 3 inline; bits 4-7 zero
///   10      2   count: the number of SGEs (0 or 1) or, with the inline flag, the inline bytes
///   12      4   rkey (the remote STag: Write, Read, atomics)
///   16      8   remote address (tagged offset)
///   24      4   total length (the message's bytes; 8 for an atomic)
///   28      4   invalidate STag (Send with Invalidate)
///   32      8   atomic compare (CmpSwap)
///   40      8   atomic operand (FetchAdd's addend, CmpSwap's swap value)
///   48      8   local SGE address
///   56      4   local SGE length
///   60      4   local SGE lkey
///   64..        inline data (slots 1..), zero-padded to the slot's end
///
/// A WQE may wrap the ring's end: its slots are ring slots (index % depth), so slot k of
/// a WQE that starts at index i is at ring slot (i + k) % depth, and after the last slot
/// it goes on at slot 0 (as cxgb4 copies inline data on past the end of its queue to its
/// start). The host writes the WQE's bytes in up to two pieces and the RNIC fetches them
/// in up to two reads (verbs::Ring::fetch_plan splits at the wrap) and joins them before
/// decoding. No slots are wasted on padding (mlx5e fills the ring's end with NOPs instead).
///
/// No owner or valid bit: the doorbell's producer index alone says which slots hold
/// WQEs, since the RNIC reads only [its consumer, the producer). (siw, which has no
/// doorbell index, has a valid flag in each siw_sqe that the kernel clears.)
///
/// Receive-queue WQE: one fixed 64-byte slot.
///
///   offset size field
///    0      8   wr_id
///    8      1   number of SGEs (0..3, kRqMaxSge)
///    9      7   zero
///   16     16   SGE 0: address (8), length (4), lkey (4), as in ibv_sge
///   32     16   SGE 1
///   48     16   SGE 2 (unused SGEs are zero)
///
/// CQE: 32 bytes, the owner byte last, where a poller that sees it new sees the rest
/// written too (mlx5's op_own is its CQE's last byte for the same reason).
///
///   offset size field
///    0      8   wr_id
///    8      4   qpn
///   12      4   byte_len
///   16      4   invalidated STag (valid with flag bit 1)
///   20      1   status (CqeStatus)
///   21      1   opcode (CqeOpcode)
///   22      1   flags: bit 0 solicited, bit 1 with invalidate; bits 2-7 zero
///   23      8   zero
///   31      1   owner: bit 0 the phase; bits 1-7 zero
///
/// The phase bit is 1 in every CQE of the ring's first pass, 0 in the second, 1 in the
/// third... (verbs::CqRing::phase_of): the ring starts zeroed, so a poller at consumer
/// index c knows slot c % depth holds a new CQE when its phase is phase_of(c), without
/// reading a head register.
///
/// Doorbell: one 8-byte MMIO write (a single posted TLP) to BAR 0.
///
///   offset size field
///    0      4   qpn (or cqn, for the CQ doorbells)
///    4      4   index: the low 32 bits of the free-running producer (consumer) index
///
///   BAR 0 offset  doorbell
///   0x1000        send queue: index = the new SQ producer index, in 64-byte slots
///   0x1008        receive queue: index = the new RQ producer index, in RQEs
///   0x1010        CQ consumer: index = the application's CQ consumer index after a poll
///   0x1018        CQ arm (ibv_req_notify_cq, every completion): index = the consumer index
///   0x1020        CQ arm, solicited only: index = the consumer index
///
/// The doorbells have a 4 KiB page of their own after BAR 0's control registers, so that
/// one page can be mapped into an application without them (mlx5's UAR, cxgb4's BAR2
/// user doorbells). Indices are free-running 64-bit counts in the model; the doorbell
/// carries their low 32 bits, which name one index while fewer than 2^32 are outstanding
/// (verbs::extend_index); a depth is at most 65536.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/wire/ddp_rdmap.h"
#include "model/wire/decode.h"

namespace rnicsim::wire {

constexpr size_t kSqSlotLen = 64;
/// Inline data of one WQE: 7 slots, so a WQE is at most 8 slots, 512 bytes, one read
/// request at Linux's default Max_Read_Request_Size (PCIe base spec: 512 bytes).
constexpr size_t kSqMaxInline = 448;
constexpr size_t kSqMaxSlots = 8;
constexpr size_t kSqMaxSge = 1;
constexpr size_t kSgeLen = 16;
constexpr size_t kRqSlotLen = 64;
constexpr size_t kRqMaxSge = 3;
constexpr size_t kCqeLen = 32;
constexpr size_t kDoorbellLen = 8;

constexpr uint32_t kDoorbellBar = 0;
constexpr uint64_t kSqDoorbellOffset = 0x1000;
constexpr uint64_t kRqDoorbellOffset = 0x1008;
constexpr uint64_t kCqConsumerDoorbellOffset = 0x1010;
constexpr uint64_t kCqArmDoorbellOffset = 0x1018;
constexpr uint64_t kCqArmSolicitedDoorbellOffset = 0x1020;

/// The work request's operation (ibv_wr_opcode's iWARP subset). A Send with the solicited
/// flag is RDMAP's Send with Solicited Event (rdmap_opcode()).
enum class SqOpcode : uint8_t {
  RdmaWrite = 0,
  RdmaRead = 1,
  Send = 2,
  SendWithInvalidate = 3,
  AtomicFetchAdd = 4,
  AtomicCmpSwap = 5,
};
const char* to_string(SqOpcode o);

namespace sq_flags {
constexpr uint8_t kSignaled = 0x01, kFence = 0x02, kSolicited = 0x04, kInline = 0x08;
constexpr uint8_t kReserved = 0xF0;
}  // namespace sq_flags

/// A scatter/gather entry as ibv_sge lays it out: bytes [addr, addr + length) of the
/// region whose local key is `lkey`.
struct VerbsSge {
  uint64_t addr = 0;
  uint32_t length = 0;
  uint32_t lkey = 0;
  bool operator==(const VerbsSge& o) const { return addr == o.addr && length == o.length && lkey == o.lkey; }
  bool operator!=(const VerbsSge& o) const { return !(*this == o); }
};

/// A send-queue WQE. `count` on the wire is num_sge, or inline_data's size when is_inline.
struct SqWqe {
  uint64_t wr_id = 0;
  SqOpcode opcode = SqOpcode::RdmaWrite;
  bool signaled = false;   ///< a CQE when it completes (else none unless it fails)
  bool fence = false;      ///< wait for earlier Reads and atomics (RDMAP read fence)
  bool solicited = false;  ///< Send: the Solicited Event bit
  bool is_inline = false;  ///< the data is inline_data, not the local SGE's bytes
  uint8_t num_sge = 0;     ///< 0 or 1 (kSqMaxSge); 0 when is_inline
  uint32_t rkey = 0;
  uint64_t remote_addr = 0;
  uint32_t total_length = 0;
  uint32_t invalidate_stag = 0;
  uint64_t atomic_compare = 0;
  uint64_t atomic_operand = 0;
  VerbsSge sge;                     ///< the local SGE (zero when is_inline)
  std::vector<uint8_t> inline_data;
  bool operator==(const SqWqe& o) const;
  bool operator!=(const SqWqe& o) const { return !(*this == o); }
};

/// Slots a WQE with `inline_len` inline bytes occupies: 1 + ceil(inline_len / 64).
constexpr size_t sq_wqe_slots(size_t inline_len) { return 1 + (inline_len + kSqSlotLen - 1) / kSqSlotLen; }
size_t sq_wqe_slots(const SqWqe& w);
/// The RDMAP opcode the WQE sends: Send and Send with Invalidate gain SE with the
/// solicited flag; an atomic is an Atomic Request, whose AtomicOp is atomic_op().
RdmapOpcode rdmap_opcode(const SqWqe& w);
/// FetchAdd or CmpSwap; throws std::invalid_argument for an opcode that is no atomic.
AtomicOp atomic_op(const SqWqe& w);

/// Writes sq_wqe_slots(w) * 64 bytes at `out` (padding zero); returns that length.
/// Throws std::invalid_argument when inline_data is over kSqMaxInline.
size_t encode_sq_wqe(uint8_t* out, const SqWqe& w);
std::vector<uint8_t> encode_sq_wqe(const SqWqe& w);
/// From the base slot alone (the first 64 bytes): how many slots the WQE occupies, so a
/// fetch that ended inside a WQE knows how many more to read. Malformed as decode says
/// for the count and flags.
Decoded<size_t> peek_sq_wqe_slots(const uint8_t* p, size_t len);
/// Truncated until all its slots are there; `length` is slots * 64. Malformed when: the
/// opcode is unknown; a reserved flag bit is set; inline with an opcode other than
/// Write, Send or Send with Invalidate, or over kSqMaxInline bytes; more than one SGE;
/// total_length differs from the SGE's length (0 without one) or the inline bytes; an
/// atomic without one SGE or whose total_length is not 8 (RFC 7306's 64-bit operations).
Decoded<SqWqe> decode_sq_wqe(const uint8_t* p, size_t len);

/// A receive-queue WQE: one incoming Send fills its SGEs in order.
struct RqWqe {
  uint64_t wr_id = 0;
  std::vector<VerbsSge> sgl;  ///< at most kRqMaxSge
  bool operator==(const RqWqe& o) const { return wr_id == o.wr_id && sgl == o.sgl; }
  bool operator!=(const RqWqe& o) const { return !(*this == o); }
};
/// Writes kRqSlotLen bytes; throws std::invalid_argument over kRqMaxSge SGEs.
size_t encode_rq_wqe(uint8_t* out, const RqWqe& r);
/// Truncated under 64 bytes; Malformed over kRqMaxSge SGEs or with non-zero reserved bytes.
Decoded<RqWqe> decode_rq_wqe(const uint8_t* p, size_t len);

/// Completion status, in rdmap::WcStatus's order (model/proto/verbs/convert.h maps them).
enum class CqeStatus : uint8_t {
  Success = 0,
  LocalProtectionError = 1,
  LocalQpOperationError = 2,
  RemoteAccessError = 3,
  RemoteOperationError = 4,
  RemoteInvalidRequest = 5,
  FatalError = 6,
  FlushError = 7,
};
enum class CqeOpcode : uint8_t { RdmaWrite = 0, RdmaRead = 1, Send = 2, Recv = 3, FetchAdd = 4, CmpSwap = 5 };
namespace cqe_flags {
constexpr uint8_t kSolicited = 0x01, kWithInvalidate = 0x02;
constexpr uint8_t kReserved = 0xFC;
}  // namespace cqe_flags

struct Cqe {
  uint64_t wr_id = 0;
  uint32_t qpn = 0;
  uint32_t byte_len = 0;
  uint32_t invalidated_stag = 0;
  CqeStatus status = CqeStatus::Success;
  CqeOpcode opcode = CqeOpcode::RdmaWrite;
  bool solicited = false;
  bool with_invalidate = false;  ///< invalidated_stag names the STag a Send with Invalidate invalidated
  bool phase = false;
  bool operator==(const Cqe& o) const;
  bool operator!=(const Cqe& o) const { return !(*this == o); }
};
size_t encode_cqe(uint8_t* out, const Cqe& c);
/// Truncated under 32 bytes; Malformed for an unknown status or opcode, or non-zero
/// reserved bits. A poller checks the phase before trusting the rest.
Decoded<Cqe> decode_cqe(const uint8_t* p, size_t len);

struct Doorbell {
  uint32_t qpn = 0;    ///< the QP (send and receive queue) or the CQ (CQ doorbells)
  uint32_t index = 0;  ///< the producer (consumer) index's low 32 bits
  bool operator==(const Doorbell& o) const { return qpn == o.qpn && index == o.index; }
  bool operator!=(const Doorbell& o) const { return !(*this == o); }
};
size_t encode_doorbell(uint8_t* out, const Doorbell& d);
Decoded<Doorbell> decode_doorbell(const uint8_t* p, size_t len);

}  // namespace rnicsim::wire

#pragma once
/// DDP (RFC 5041) and RDMAP (RFC 5040, atomics RFC 7306) headers, Read Request body,
/// Terminate header, and the Terminate error codes (layer/etype/code) of protocol-facts.md.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/wire/decode.h"

namespace rnicsim::wire {

enum class RdmapOpcode : uint8_t {
  RdmaWrite = 0x0,
  RdmaReadRequest = 0x1,
  RdmaReadResponse = 0x2,
  Send = 0x3,
  SendWithInvalidate = 0x4,
  SendWithSe = 0x5,
  SendWithSeInvalidate = 0x6,
  Terminate = 0x7,
  AtomicRequest = 0xA,
  AtomicResponse = 0xB,
};
const char* to_string(RdmapOpcode op);

constexpr size_t kDdpTaggedHeaderLen = 14;
constexpr size_t kDdpUntaggedHeaderLen = 18;
constexpr uint8_t kDdpVersion = 1;
constexpr uint8_t kRdmapVersion = 1;
/// Untagged queue numbers (RFC 5040 s.5.1; RFC 7306 adds 3 and 4 for atomics).
constexpr uint32_t kQnSend = 0, kQnReadRequest = 1, kQnTerminate = 2, kQnAtomicRequest = 3,
                   kQnAtomicResponse = 4;

/// DDP control, RDMAP control and the tagged or untagged fields after them.
struct DdpHeader {
  bool tagged = false;       ///< T
  bool last = false;         ///< L
  uint8_t ddp_version = kDdpVersion;     ///< DV, 2 bits
  uint8_t rdmap_version = kRdmapVersion; ///< RV, 2 bits
  uint8_t reserved = 0;      ///< the DDP reserved bits 0x3C >> 2 (must be 0)
  uint8_t opcode = 0;        ///< 4 bits; RdmapOpcode when valid
  uint32_t stag = 0;         ///< tagged: the STag; untagged: Invalidate STag (or 0)
  uint64_t to = 0;           ///< tagged offset
  uint32_t qn = 0;           ///< untagged
  uint32_t msn = 0;          ///< untagged
  uint32_t mo = 0;           ///< untagged
};
inline size_t ddp_header_length(bool tagged) {
  return tagged ? kDdpTaggedHeaderLen : kDdpUntaggedHeaderLen;
}
/// Writes 14 or 18 bytes; returns the count.
size_t encode_ddp(uint8_t* out, const DdpHeader& h);
/// Decodes the fields as they stand (versions and opcode unchecked: those are protocol
/// checks with Terminate codes of their own); Truncated when shorter than the header.
Decoded<DdpHeader> decode_ddp(const uint8_t* p, size_t len);

constexpr size_t kReadRequestLen = 28;
struct ReadRequest {
  uint32_t sink_stag = 0;
  uint64_t sink_to = 0;
  uint32_t size = 0;
  uint32_t src_stag = 0;
  uint64_t src_to = 0;
};
size_t encode_read_request(uint8_t* out, const ReadRequest& r);
Decoded<ReadRequest> decode_read_request(const uint8_t* p, size_t len);

/// RFC 7306 atomic operation codes (the AOpCode in the low 4 bits of the Atomic Request's
/// first word, the 28 bits above it reserved).
enum class AtomicOp : uint8_t { FetchAdd = 0x0, CmpSwap = 0x2 };

/// Atomic Request body (RFC 7306), after the untagged DDP header on QN 3:
/// Rsvd(28) AOpCode(4), Request Identifier(32), Remote STag(32), Remote Tagged Offset(64),
/// Add or Swap Data(64), Add or Swap Mask(64), Compare Data(64), Compare Mask(64).
constexpr size_t kAtomicRequestLen = 52;
struct AtomicRequest {
  uint8_t aop = 0;          ///< AtomicOp when valid (4 bits)
  uint32_t reserved = 0;    ///< the 28 reserved bits (must be 0)
  uint32_t request_id = 0;  ///< echoed by the response
  uint32_t stag = 0;        ///< the responder's region
  uint64_t to = 0;          ///< the 8-byte target, 8-byte aligned
  uint64_t add_swap = 0;    ///< FetchAdd: the addend; CmpSwap: the swap value
  uint64_t add_swap_mask = 0;  ///< FetchAdd: carry cut after each set bit (0: one 64-bit add); CmpSwap: bits swapped
  uint64_t compare = 0;        ///< CmpSwap: compared with the target
  uint64_t compare_mask = 0;   ///< CmpSwap: bits compared
};
size_t encode_atomic_request(uint8_t* out, const AtomicRequest& r);
Decoded<AtomicRequest> decode_atomic_request(const uint8_t* p, size_t len);

/// Atomic Response body (RFC 7306), after the untagged DDP header on QN 4: Original Request
/// Identifier(32), Original Remote Data Value(64).
constexpr size_t kAtomicResponseLen = 12;
struct AtomicResponse {
  uint32_t request_id = 0;
  uint64_t original = 0;  ///< the target's value before the operation
};
size_t encode_atomic_response(uint8_t* out, const AtomicResponse& r);
Decoded<AtomicResponse> decode_atomic_response(const uint8_t* p, size_t len);

/// Executes an atomic operation on the 64-bit value `v`; returns the new value.
/// FetchAdd adds `add_swap` in fields: a set bit of `add_swap_mask` stops the carry out of
/// that bit (mask 0: one 64-bit add). CmpSwap: when the bits of `compare_mask` agree in
/// `v` and `compare`, the bits of `add_swap_mask` are taken from `add_swap`; else `v` stays.
uint64_t atomic_apply(const AtomicRequest& r, uint64_t v);

/// A Terminate's error: layer (0 RDMAP, 1 DDP, 2 LLP), error type, error code.
struct TermCode {
  uint8_t layer = 0;
  uint8_t etype = 0;
  uint8_t code = 0;
  constexpr bool operator==(const TermCode& o) const {
    return layer == o.layer && etype == o.etype && code == o.code;
  }
  constexpr bool operator!=(const TermCode& o) const { return !(*this == o); }
};
/// The RFC's name of a code, e.g. "DDP tagged: invalid STag".
const char* term_name(TermCode c);

namespace term {
constexpr uint8_t kLayerRdmap = 0, kLayerDdp = 1, kLayerLlp = 2;
// RDMAP (RFC 5040 s.7.2)
constexpr TermCode RdmapLocalCatastrophic{0, 0, 0x00};
constexpr TermCode RdmapInvalidStag{0, 1, 0x00};
constexpr TermCode RdmapBaseBounds{0, 1, 0x01};
constexpr TermCode RdmapAccessRights{0, 1, 0x02};
constexpr TermCode RdmapStagNotAssociated{0, 1, 0x03};
constexpr TermCode RdmapToWrap{0, 1, 0x04};
constexpr TermCode RdmapProtStagCannotInvalidate{0, 1, 0x09};
constexpr TermCode RdmapProtUnspecified{0, 1, 0xFF};
constexpr TermCode RdmapBadVersion{0, 2, 0x05};
constexpr TermCode RdmapUnexpectedOpcode{0, 2, 0x06};
constexpr TermCode RdmapCatastrophicStream{0, 2, 0x07};
constexpr TermCode RdmapCatastrophicGlobal{0, 2, 0x08};
constexpr TermCode RdmapOpStagCannotInvalidate{0, 2, 0x09};
constexpr TermCode RdmapOpUnspecified{0, 2, 0xFF};
// DDP (RFC 5041 s.7.2)
constexpr TermCode DdpLocalCatastrophic{1, 0, 0x00};
constexpr TermCode DdpTaggedInvalidStag{1, 1, 0x00};
constexpr TermCode DdpTaggedBaseBounds{1, 1, 0x01};
constexpr TermCode DdpTaggedStagNotAssociated{1, 1, 0x02};
constexpr TermCode DdpTaggedToWrap{1, 1, 0x03};
constexpr TermCode DdpTaggedBadVersion{1, 1, 0x04};
constexpr TermCode DdpUntaggedInvalidQn{1, 2, 0x01};
constexpr TermCode DdpUntaggedNoBuffer{1, 2, 0x02};
constexpr TermCode DdpUntaggedMsnRange{1, 2, 0x03};
constexpr TermCode DdpUntaggedInvalidMo{1, 2, 0x04};
constexpr TermCode DdpUntaggedMessageTooLong{1, 2, 0x05};
constexpr TermCode DdpUntaggedBadVersion{1, 2, 0x06};
// LLP / MPA (RFC 5044 s.8)
constexpr TermCode MpaConnectionLost{2, 0, 0x01};
constexpr TermCode MpaCrcError{2, 0, 0x02};
constexpr TermCode MpaMarkerMismatch{2, 0, 0x03};
constexpr TermCode MpaInvalidReqRep{2, 0, 0x04};
constexpr TermCode MpaLocalCatastrophic{2, 0, 0x05};
constexpr TermCode MpaInsufficientIrd{2, 0, 0x06};
constexpr TermCode MpaNoMatchingRtr{2, 0, 0x07};
}  // namespace term

/// Terminate control (RFC 5040 s.4.8): Layer(4) EType(4) Code(8) M D R Rsvd(13).
struct TerminateHeader {
  TermCode code;
  bool m = false;  ///< DDP segment length valid (MPA: the offending FPDU's length)
  bool d = false;  ///< a DDP header is attached
  bool r = false;  ///< an RDMAP header is attached
};
constexpr size_t kTerminateHeaderLen = 4;
size_t encode_terminate(uint8_t* out, const TerminateHeader& t);
Decoded<TerminateHeader> decode_terminate(const uint8_t* p, size_t len);

/// A whole Terminate message body (what follows the untagged DDP header on QN 2): the
/// control word, then, when a DDP header is attached (D), the offending segment's 16-bit
/// DDP segment length (where its MPA length stood) and its 14- or 18-byte DDP header, then,
/// when an RDMAP header is attached (R), the offending RDMAP header (28 bytes for a Read
/// Request). M is set with D: the length is valid.
struct TerminateMessage {
  TermCode code;
  bool has_ddp = false;
  uint16_t ddp_segment_length = 0;
  std::vector<uint8_t> ddp_header;    ///< 14 or 18 bytes when has_ddp
  std::vector<uint8_t> rdmap_header;  ///< empty, or the attached RDMAP header
};
std::vector<uint8_t> encode_terminate_message(const TerminateMessage& m);
/// Decodes a Terminate body; the attached DDP header's size comes from its own T bit.
Decoded<TerminateMessage> decode_terminate_message(const uint8_t* p, size_t len);

}  // namespace rnicsim::wire

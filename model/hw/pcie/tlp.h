#pragma once
/// Transaction-layer packets of memory transactions: how a transfer splits into memory
/// write, memory read and completion TLPs, how large each is on the link and what flow
/// control credits it takes. Protocol rules only (PCIe base spec rev 5.0, 2.2 and 2.3):
/// no time, no SystemC.
#include <cstdint>
#include <vector>

namespace rnicsim::hw::pcie {

/// The three flow-control classes of the spec (2.6.1): posted requests (memory writes,
/// messages), non-posted requests (memory reads) and completions.
enum class FcClass { Posted, NonPosted, Completion };

/// 16 bytes of data per data credit, one TLP per header credit (2.6.1).
constexpr uint64_t kDataCreditBytes = 16;
/// Physical and data-link bytes around every TLP: the start of frame (STP symbol, or the
/// 4-byte STP token that carries the sequence number from gen 3), the 2-byte sequence
/// number (gens 1-2), the 4-byte LCRC and the END symbol (gens 1-2): 8 bytes either way,
/// pcie-bench's DLLP_Hdr (model/pcie.py). No ECRC (TLP digest) is modelled.
constexpr uint32_t kTlpFramingBytes = 8;
/// Headers: 3 DW with a 32-bit address, 4 DW with a 64-bit one; a completion's is 3 DW.
constexpr uint32_t kHeader3Dw = 12;
constexpr uint32_t kHeader4Dw = 16;
/// No request may cross a 4 KiB boundary (2.2.7).
constexpr uint64_t kNoCrossBoundary = 4096;

/// A memory request uses the 4 DW header only when its address is at or above 4 GiB: the
/// spec requires the 3 DW form below it (2.2.4.1).
bool four_dw(uint64_t addr);
/// Header bytes of a memory request at `addr`.
uint32_t request_header_bytes(uint64_t addr);

/// A span of host memory that one TLP carries or asks for.
struct Chunk {
  uint64_t addr = 0;
  uint64_t bytes = 0;
  bool operator==(const Chunk& o) const { return addr == o.addr && bytes == o.bytes; }
};

/// Data dwords of a TLP covering [addr, addr + bytes): the DW-aligned span the first and
/// last byte enables mark; a zero-length request still carries one DW (2.2.5).
uint64_t payload_dw(const Chunk& c);
/// Payload bytes on the link (whole DWs).
uint64_t payload_bytes(const Chunk& c);
/// Data credits that payload takes: ceil(payload bytes / 16).
uint64_t data_credits(const Chunk& c);

/// Memory write TLPs for [addr, addr + bytes): cut at every MPS-aligned address, so none
/// carries more than MPS and none crosses 4 KiB. A zero-length write is one TLP.
std::vector<Chunk> split_writes(uint64_t addr, uint64_t bytes, uint64_t mps);
/// Memory read requests for [addr, addr + bytes): cut at every MRRS-aligned address (no
/// request larger than MRRS, none across 4 KiB). A zero-length read is one request.
std::vector<Chunk> split_read_requests(uint64_t addr, uint64_t bytes, uint64_t mrrs);

/// How a completer cuts the completions of one read request.
enum class CompletionSplit {
  /// As large as MPS allows, every completion but the last ending on an RCB-aligned
  /// address (2.3.1.1): the usual root complex.
  MpsOnRcb,
  /// One completion per RCB-aligned block, as pcie-bench's `rcb_chunks` observed on
  /// several chipsets.
  Rcb,
};
/// Completions with data answering the request `req`, in address order.
std::vector<Chunk> split_completions(const Chunk& req, uint64_t mps, uint64_t rcb, CompletionSplit how);

/// The same splits into `out` (cleared first), so a caller can keep its buffer: no
/// allocation per transfer.
void split_writes(uint64_t addr, uint64_t bytes, uint64_t mps, std::vector<Chunk>& out);
void split_read_requests(uint64_t addr, uint64_t bytes, uint64_t mrrs, std::vector<Chunk>& out);
void split_completions(const Chunk& req, uint64_t mps, uint64_t rcb, CompletionSplit how, std::vector<Chunk>& out);

/// Link bytes of one TLP: framing, header and payload.
uint64_t write_tlp_bytes(const Chunk& c);       ///< memory write (its header by address)
uint64_t read_request_bytes(const Chunk& c);    ///< memory read request (no payload)
uint64_t completion_tlp_bytes(const Chunk& c);  ///< completion with data (3 DW header)

}  // namespace rnicsim::hw::pcie

#include "model/hw/pcie/tlp.h"

#include <algorithm>
#include <cassert>

namespace rnicsim::hw::pcie {
namespace {

/// `to` is a power of two (every caller's unit is: MPS, MRRS, RCB).
uint64_t align_down(uint64_t a, uint64_t to) { return a & ~(to - 1); }

[[maybe_unused]] bool power_of_two(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

/// [addr, addr + bytes) cut at every multiple of `unit`, into `out`.
void cut(uint64_t addr, uint64_t bytes, uint64_t unit, std::vector<Chunk>& out) {
  assert(power_of_two(unit) && unit <= kNoCrossBoundary && "a TLP size limit is a power of two up to 4 KiB");
  out.clear();
  if (bytes == 0) {
    out.push_back(Chunk{addr, 0});
    return;
  }
  const uint64_t end = addr + bytes;
  for (uint64_t a = addr; a < end;) {
    const uint64_t next = std::min(end, align_down(a, unit) + unit);
    out.push_back({a, next - a});
    a = next;
  }
}

}  // namespace

bool four_dw(uint64_t addr) { return addr >= (uint64_t{1} << 32); }

uint32_t request_header_bytes(uint64_t addr) { return four_dw(addr) ? kHeader4Dw : kHeader3Dw; }

uint64_t payload_dw(const Chunk& c) {
  if (c.bytes == 0) return 1;
  return (c.addr + c.bytes + 3) / 4 - c.addr / 4;
}

uint64_t payload_bytes(const Chunk& c) { return payload_dw(c) * 4; }

uint64_t data_credits(const Chunk& c) { return (payload_bytes(c) + kDataCreditBytes - 1) / kDataCreditBytes; }

void split_writes(uint64_t addr, uint64_t bytes, uint64_t mps, std::vector<Chunk>& out) { cut(addr, bytes, mps, out); }

void split_read_requests(uint64_t addr, uint64_t bytes, uint64_t mrrs, std::vector<Chunk>& out) {
  cut(addr, bytes, mrrs, out);
}

void split_completions(const Chunk& req, uint64_t mps, uint64_t rcb, CompletionSplit how, std::vector<Chunk>& out) {
  assert(power_of_two(rcb) && power_of_two(mps) && rcb <= mps && "RCB and MPS are powers of two, RCB <= MPS");
  out.clear();
  if (req.bytes == 0) {
    out.push_back(req);
    return;
  }
  const uint64_t end = req.addr + req.bytes;
  for (uint64_t a = req.addr; a < end;) {
    uint64_t next = 0;
    switch (how) {
      case CompletionSplit::MpsOnRcb: next = align_down(a + mps, rcb); break;
      case CompletionSplit::Rcb: next = align_down(a, rcb) + rcb; break;
    }
    next = std::min(end, next);
    out.push_back({a, next - a});
    a = next;
  }
}

std::vector<Chunk> split_writes(uint64_t addr, uint64_t bytes, uint64_t mps) {
  std::vector<Chunk> out;
  split_writes(addr, bytes, mps, out);
  return out;
}

std::vector<Chunk> split_read_requests(uint64_t addr, uint64_t bytes, uint64_t mrrs) {
  std::vector<Chunk> out;
  split_read_requests(addr, bytes, mrrs, out);
  return out;
}

std::vector<Chunk> split_completions(const Chunk& req, uint64_t mps, uint64_t rcb, CompletionSplit how) {
  std::vector<Chunk> out;
  split_completions(req, mps, rcb, how, out);
  return out;
}

uint64_t write_tlp_bytes(const Chunk& c) { return kTlpFramingBytes + request_header_bytes(c.addr) + payload_bytes(c); }

uint64_t read_request_bytes(const Chunk& c) { return kTlpFramingBytes + request_header_bytes(c.addr); }

uint64_t completion_tlp_bytes(const Chunk& c) { return kTlpFramingBytes + kHeader3Dw + payload_bytes(c); }

}  // namespace rnicsim::hw::pcie

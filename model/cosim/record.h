#pragma once
/// The output record of one tagged segment, as the model and the RTL core each produce it:
/// the check's result and every DMA write (host address, length, a hash of its data).
/// Lockstep compares the two field by field.
#include <cstdint>
#include <string>
#include <vector>

#include "model/wire/ddp_rdmap.h"

namespace rnicsim::cosim {

struct Piece {
  uint64_t addr = 0;  ///< host physical address
  uint32_t len = 0;
  uint32_t hash = 0;  ///< CRC32c of the bytes written
  bool operator==(const Piece& o) const { return addr == o.addr && len == o.len && hash == o.hash; }
};

struct Record {
  bool failed = false;
  wire::TermCode error;  ///< layer/etype/code when failed
  std::vector<Piece> pieces;
};

uint32_t data_hash(const uint8_t* data, size_t len);
/// "placed 2 pieces: 0x1000+3072 crc 0x1234abcd, ..." or "refused DDP 1/1/0x00 (...)".
std::string describe(const Record& r);
/// Empty when the records agree; else the first field that differs, in words.
std::string first_difference(const Record& model, const Record& rtl);

}  // namespace rnicsim::cosim

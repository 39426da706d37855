#include "model/cosim/record.h"

#include <fmt/format.h>

#include "model/wire/crc.h"

namespace rnicsim::cosim {

uint32_t data_hash(const uint8_t* data, size_t len) { return wire::crc32c(data, len); }

namespace {
std::string term_text(wire::TermCode c) {
  return fmt::format("{} {}/{}/0x{:02x} ({})", c.layer == 0 ? "RDMAP" : c.layer == 1 ? "DDP" : "LLP",
                     c.layer, c.etype, c.code, wire::term_name(c));
}
std::string piece_text(const Piece& p) {
  return fmt::format("0x{:x}+{} crc 0x{:08x}", p.addr, p.len, p.hash);
}
}  // namespace

std::string describe(const Record& r) {
  if (r.failed) return "refused " + term_text(r.error);
  std::string s = fmt::format("placed {} piece{}", r.pieces.size(), r.pieces.size() == 1 ? "" : "s");
  for (size_t i = 0; i < r.pieces.size(); ++i) s += (i ? ", " : ": ") + piece_text(r.pieces[i]);
  return s;
}

std::string first_difference(const Record& m, const Record& r) {
  if (m.failed != r.failed)
    return fmt::format("check result: model {}, rtl {}", m.failed ? "refused" : "passed",
                       r.failed ? "refused" : "passed");
  if (m.failed && m.error != r.error)
    return fmt::format("error code: model {}, rtl {}", term_text(m.error), term_text(r.error));
  const size_t n = std::min(m.pieces.size(), r.pieces.size());
  for (size_t i = 0; i < n; ++i) {
    const Piece& a = m.pieces[i];
    const Piece& b = r.pieces[i];
    if (a.addr != b.addr) return fmt::format("piece {} host address: model 0x{:x}, rtl 0x{:x}", i, a.addr, b.addr);
    if (a.len != b.len) return fmt::format("piece {} length: model {}, rtl {}", i, a.len, b.len);
    if (a.hash != b.hash) return fmt::format("piece {} data crc: model 0x{:08x}, rtl 0x{:08x}", i, a.hash, b.hash);
  }
  if (m.pieces.size() != r.pieces.size())
    return fmt::format("piece count: model {}, rtl {}", m.pieces.size(), r.pieces.size());
  return {};
}

}  // namespace rnicsim::cosim

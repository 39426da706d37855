#pragma once
// Prints a fixture's log (for writing and debugging tests; not used by assertions).
#include <cstdio>

#include "tests/unit/proto/tcp_pair.h"

namespace rnicsim::test {

inline void dump(const TcpPair& w, uint32_t base_a, uint32_t base_b, size_t from = 0) {
  for (size_t i = from; i < w.log.size(); ++i) {
    const Sent& s = w.log[i];
    const uint32_t bs = s.from == 0 ? base_a : base_b, ba = s.from == 0 ? base_b : base_a;
    std::printf("%3zu %c t=%8.3fus f=%02x seq=%u ack=%u len=%zu win=%u%s", i, s.from ? 'B' : 'A',
                s.at.ps / 1e6, s.hdr.flags, s.hdr.seq - bs, s.hdr.ack - ba, s.payload.size(), s.hdr.window,
                s.dropped ? " DROP" : "");
    for (int k = 0; k < s.hdr.opts.sack_count; ++k)
      std::printf(" sack[%u,%u)", s.hdr.opts.sack[k].left - ba, s.hdr.opts.sack[k].right - ba);
    std::printf("\n");
  }
}

}  // namespace rnicsim::test

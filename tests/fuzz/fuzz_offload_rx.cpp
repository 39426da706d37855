// libFuzzer target: the offload receive path of a connected QP fed by an adversarial peer
// (tests/fuzz/offload_endpoint.h: TCP, MPA deframing, early placement, DDP/RDMAP checks,
// placement into host memory; plain C++, no SystemC). Input: a byte of settings (bit 0
// CRCs on, bit 1 markers in the received stream), then records of an opcode byte, a
// 16-bit length and that many bytes:
//   op % 5 == 0: an FPDU carrying those bytes as its ULPDU, framed (length, pad, CRC,
//                markers) and sent in order;
//   op % 5 == 1: the bytes as stream data, in order, unframed;
//   op % 5 == 2: a segment: flags, 16-bit sequence offset from the peer's next, 8-bit
//                offset of the ACK from what we sent, 16-bit window, then its payload;
//   op % 5 == 3: the bytes as a whole TCP header and payload (wire::decode_tcp);
//   op % 5 == 4: time passes (the first byte, in milliseconds): timers fire.
// Asserts, besides no crash and no sanitizer report: no byte of host memory outside the
// regions, receive buffers and atomic targets the peer may write changes (guard bytes
// around and between them), no page that was not allocated is written, host writes stay
// in their buffer, atomics and Read Response sources run only on checked ranges, and an
// early placement passes the checks.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tests/fuzz/offload_endpoint.h"

using namespace rnicsim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  fuzz::Endpoint ep((data[0] & 1) != 0, (data[0] & 2) != 0);
  size_t i = 1;
  for (int records = 0; i + 3 <= size && records < 64; ++records) {
    const uint8_t op = data[i];
    const size_t len = std::min<size_t>(size_t{data[i + 1]} << 8 | data[i + 2], size - i - 3);
    const std::vector<uint8_t> b(data + i + 3, data + i + 3 + len);
    i += 3 + len;
    switch (op % 5) {
      case 0:
        ep.send_fpdu(b);
        break;
      case 1:
        ep.send_stream(b);
        break;
      case 2: {
        if (b.size() < 6) break;
        const auto seq = static_cast<int16_t>(b[1] << 8 | b[2]);
        const auto ack = static_cast<int8_t>(b[3]);
        ep.send_segment(b[0], seq, ack, static_cast<uint16_t>(b[4] << 8 | b[5]),
                        std::vector<uint8_t>(b.begin() + 6, b.end()));
        break;
      }
      case 3: {
        const auto h = wire::decode_tcp(b.data(), b.size());
        if (h) ep.send_raw(h.value, std::vector<uint8_t>(b.begin() + h.length, b.end()));
        break;
      }
      default:
        ep.advance(Duration::from_ms(b.empty() ? 1 : b[0]));
        break;
    }
  }
  // Once, at the end: a stray write stays in memory until then (unless it wrote the guard
  // value itself), and checking after every record would cost most of the time.
  ep.check_guards();
  return 0;
}

#pragma once
/// MPA FPDU framing (RFC 5044 s.4) over a TCP byte stream, markers excepted: the framer
/// writes whole FPDUs into the TCP send buffer in place; the deframer is a resumable
/// stream parser that hands out complete ULPDUs, without a copy when an FPDU lies in one
/// received segment.
#include <cstdint>
#include <functional>
#include <vector>

#include "model/common/bytes.h"
#include "model/proto/tcp/send_buffer.h"

namespace rnicsim::mpa {

/// Sequential writer into reserved send-buffer space (which may wrap the ring).
class RingWriter {
 public:
  explicit RingWriter(tcp::SendBuffer::Reserved r) : r_(r) {}
  void write(const uint8_t* p, size_t n);
  void zero(size_t n);
  size_t written() const { return pos_; }
  /// CRC32c register over bytes [0, n) of what was written.
  uint32_t crc_update(uint32_t reg, size_t n) const;
  tcp::SendBuffer::Reserved& reserved() { return r_; }

 private:
  tcp::SendBuffer::Reserved r_;
  size_t pos_ = 0;
};

/// Bytes an FPDU carrying `ulpdu_len` bytes takes in the stream (no markers).
size_t fpdu_stream_length(size_t ulpdu_len);

/// Writes one FPDU: `header` (the DDP/RDMAP header) then the payload produced by `fill`
/// (which writes exactly `payload_len` bytes through the writer), pad, CRC32c (or zero).
/// The caller has checked that sndbuf.space() >= fpdu_stream_length(header_len+payload_len).
void write_fpdu(tcp::SendBuffer& sndbuf, ConstByteSpan header, size_t payload_len,
                const std::function<void(RingWriter&)>& fill, bool crc);

enum class FpduStatus { Ok, CrcError, BadLength };

class Deframer {
 public:
  /// Called once per complete FPDU with its ULPDU (DDP/RDMAP header and payload).
  using Handler = std::function<void(ConstByteSpan ulpdu, FpduStatus status)>;
  Deframer(bool crc, Handler h) : crc_(crc), handler_(std::move(h)) {}
  void set_crc(bool crc) { crc_ = crc; }
  /// Feeds in-order stream bytes; returns true when at least one FPDU ended in them.
  bool feed(ConstByteSpan data);
  /// Bytes held for an FPDU not yet complete.
  size_t pending() const { return buf_.size(); }
  uint64_t fpdus() const { return fpdus_; }
  uint64_t crc_errors() const { return crc_errors_; }
  /// Once a CRC error is seen the stream is no longer trusted (RFC 5044 s.8): stop parsing.
  bool failed() const { return failed_; }

 private:
  bool deliver(const uint8_t* fpdu, size_t ulpdu_len);
  bool crc_;
  Handler handler_;
  std::vector<uint8_t> buf_;
  uint64_t fpdus_ = 0;
  uint64_t crc_errors_ = 0;
  bool failed_ = false;
};

}  // namespace rnicsim::mpa

#pragma once
/// MPA FPDU framing (RFC 5044 s.4) over a TCP byte stream: the framer writes whole FPDUs
/// into the TCP send buffer in place, inserting markers (s.5) when the direction uses them;
/// the deframer is a resumable stream parser that removes and checks markers and hands out
/// complete ULPDUs, without a copy when markers are off and an FPDU lies in one received
/// segment.
///
/// Stream positions are relative to S0, the first octet after the MPA Request/Reply of the
/// direction: a marker sits at every position that is a multiple of 512 (S0 included). An
/// FPDU that starts at a marker position starts with that marker (its FPDUPTR is 0, and the
/// CRC covers it); any other marker inside an FPDU points back to the FPDU's ULPDU_Length
/// field: FPDUPTR = marker position - position of that field.
#include <cstdint>
#include <functional>
#include <vector>

#include "model/common/bytes.h"
#include "model/proto/tcp/send_buffer.h"

namespace rnicsim::mpa {

constexpr uint64_t kMarkerInterval = 512;
constexpr size_t kMarkerLen = 4;

/// Markers an FPDU of `len` stream bytes (markers excluded) takes when it starts at stream
/// position `pos`: the marker positions in [pos, pos + len + 4 * markers).
size_t markers_in(uint64_t pos, size_t len);
/// The most markers an FPDU of `len` bytes (markers excluded) can take, at any position.
size_t markers_max(size_t len);

/// Sequential writer into reserved send-buffer space (which may wrap the ring). With
/// markers on, it inserts a marker before any byte that falls on a marker position.
class RingWriter {
 public:
  explicit RingWriter(tcp::SendBuffer::Reserved r) : r_(r) {}
  /// Markers on: the first byte written is at stream position `pos` and starts an FPDU.
  RingWriter(tcp::SendBuffer::Reserved r, uint64_t pos)
      : r_(r), markers_(true), stream_pos_(pos), fpdu_start_(pos), len_field_(pos) {
    if (pos % kMarkerInterval == 0) len_field_ += kMarkerLen;
  }
  void write(const uint8_t* p, size_t n);
  void zero(size_t n);
  /// Markers on: writes the marker due at the current position, if any.
  void marker_if_due();
  size_t written() const { return pos_; }
  /// CRC32c register over bytes [0, n) of what was written.
  uint32_t crc_update(uint32_t reg, size_t n) const;
  tcp::SendBuffer::Reserved& reserved() { return r_; }

 private:
  void raw(const uint8_t* p, size_t n);
  tcp::SendBuffer::Reserved r_;
  size_t pos_ = 0;
  bool markers_ = false;
  uint64_t stream_pos_ = 0;   ///< stream position of the next byte (markers on)
  uint64_t fpdu_start_ = 0;
  uint64_t len_field_ = 0;    ///< stream position of the FPDU's ULPDU_Length field
};

/// Bytes an FPDU carrying `ulpdu_len` bytes takes in the stream (no markers).
size_t fpdu_stream_length(size_t ulpdu_len);
/// The same with markers, for an FPDU starting at stream position `pos`.
size_t fpdu_stream_length(size_t ulpdu_len, uint64_t pos);

/// Writes one FPDU: `header` (the DDP/RDMAP header) then the payload produced by `fill`
/// (which writes exactly `payload_len` bytes through the writer), pad, CRC32c (or zero).
/// The caller has checked that sndbuf.space() >= fpdu_stream_length(header_len+payload_len).
/// Returns the stream bytes written.
size_t write_fpdu(tcp::SendBuffer& sndbuf, ConstByteSpan header, size_t payload_len,
                  const std::function<void(RingWriter&)>& fill, bool crc);
/// With markers: the FPDU starts at stream position `pos` (relative to S0) and takes
/// fpdu_stream_length(ulpdu_len, pos) bytes, which the caller has checked are free.
size_t write_fpdu(tcp::SendBuffer& sndbuf, ConstByteSpan header, size_t payload_len,
                  const std::function<void(RingWriter&)>& fill, bool crc, uint64_t pos);

/// CrcError: RFC 5044 s.8 / RFC 5040 Terminate layer 2 (LLP), etype 0 (MPA), code 0x02.
/// MarkerMismatch: a marker with a non-zero reserved field or an FPDUPTR that does not point
/// to the FPDU holding it (code 0x03 "marker and ULPDU length mismatch"); the handler gets
/// an empty ULPDU. Either ends the parsing of the stream.
enum class FpduStatus { Ok, CrcError, BadLength, MarkerMismatch };

/// Terminate codes of the LLP layer (RFC 5040 s.7.4, layer 2, error type 0 = MPA).
namespace llp_code {
constexpr uint8_t kCrcError = 0x02, kMarkerMismatch = 0x03, kNoMatchingRtr = 0x07;
}
/// The LLP Terminate code for a deframer status (0 for Ok).
uint8_t llp_error_code(FpduStatus s);

class Deframer {
 public:
  /// Called once per complete FPDU with its ULPDU (DDP/RDMAP header and payload).
  using Handler = std::function<void(ConstByteSpan ulpdu, FpduStatus status)>;
  /// `markers`: the stream we receive carries markers. `start`: the stream position
  /// (relative to S0) of the first byte fed; a deframer that starts past S0 parses an
  /// out-of-order segment on the guess that an FPDU begins at its first byte.
  Deframer(bool crc, Handler h, bool markers = false, uint64_t start = 0)
      : crc_(crc), markers_(markers), handler_(std::move(h)), pos_(start),
        next_marker_((start + kMarkerInterval - 1) / kMarkerInterval * kMarkerInterval) {}
  void set_crc(bool crc) { crc_ = crc; }
  /// Feeds in-order stream bytes; returns true when at least one FPDU ended in them.
  bool feed(ConstByteSpan data);
  /// Bytes held for an FPDU not yet complete.
  size_t pending() const { return markers_ ? raw_.size() : buf_.size(); }
  /// Stream bytes fed so far (the stream position relative to S0).
  uint64_t position() const { return pos_; }
  /// While the handler runs: the stream position of the delivered FPDU's length field
  /// (with markers, a marker in front of it is not counted). It names an FPDU the same way
  /// whether it was parsed in order or out of order.
  uint64_t fpdu_start() const { return fpdu_start_; }
  uint64_t markers() const { return markers_seen_; }
  uint64_t marker_errors() const { return marker_errors_; }
  uint64_t fpdus() const { return fpdus_; }
  uint64_t crc_errors() const { return crc_errors_; }
  /// Once a CRC error is seen the stream is no longer trusted (RFC 5044 s.8): stop parsing.
  bool failed() const { return failed_; }

 private:
  bool deliver(const uint8_t* fpdu, size_t ulpdu_len, uint64_t start);
  bool feed_marked(ConstByteSpan data);
  bool crc_;
  bool markers_;
  Handler handler_;
  std::vector<uint8_t> buf_;
  uint64_t buf_start_ = 0;      ///< stream position of buf_'s first byte
  uint64_t pos_ = 0;
  uint64_t fpdu_start_ = 0;
  // Markers on: the FPDU being gathered, markers included (raw_, for the CRC) and removed
  // (clean_), and the marker being read.
  std::vector<uint8_t> raw_, clean_;
  size_t need_ = 0;             ///< clean FPDU length once the length field is in
  uint64_t len_field_ = 0;      ///< stream position of the current FPDU's length field
  uint64_t next_marker_ = 0;
  uint64_t marker_pos_ = 0;
  size_t marker_fill_ = 0;      ///< bytes of the current marker read (0: not in a marker)
  uint8_t marker_[kMarkerLen] = {};
  uint64_t markers_seen_ = 0;
  uint64_t marker_errors_ = 0;
  uint64_t fpdus_ = 0;
  uint64_t crc_errors_ = 0;
  bool failed_ = false;
};

}  // namespace rnicsim::mpa

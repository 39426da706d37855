#include "model/proto/mpa/fpdu.h"

#include <algorithm>
#include <cstring>

#include "model/wire/crc.h"
#include "model/wire/mpa.h"

namespace rnicsim::mpa {

size_t markers_in(uint64_t pos, size_t len) {
  // Fixed point: each marker lengthens the FPDU, which may reach one more position.
  size_t k = 0;
  for (;;) {
    const uint64_t end = pos + len + kMarkerLen * k;  // exclusive
    const size_t n = static_cast<size_t>((end + kMarkerInterval - 1) / kMarkerInterval -
                                         (pos + kMarkerInterval - 1) / kMarkerInterval);
    if (n == k) return k;
    k = n;
  }
}

size_t markers_max(size_t len) {
  // The worst start is a marker position: the span then holds ceil(total / 512) of them.
  return markers_in(0, len);
}

void RingWriter::write(const uint8_t* p, size_t n) {
  if (!markers_) {
    raw(p, n);
    return;
  }
  while (n > 0) {
    marker_if_due();
    const size_t k = static_cast<size_t>(
        std::min<uint64_t>(n, kMarkerInterval - stream_pos_ % kMarkerInterval));
    raw(p, k);
    stream_pos_ += k;
    p += k;
    n -= k;
  }
}

void RingWriter::marker_if_due() {
  if (!markers_ || stream_pos_ % kMarkerInterval != 0) return;
  // FPDUPTR: 0 for the marker an FPDU starts with, else back to the length field.
  const uint64_t ptr = stream_pos_ == fpdu_start_ ? 0 : stream_pos_ - len_field_;
  uint8_t m[kMarkerLen] = {0, 0, 0, 0};
  store_be16(m + 2, static_cast<uint16_t>(ptr));
  raw(m, kMarkerLen);
  stream_pos_ += kMarkerLen;
}

void RingWriter::raw(const uint8_t* p, size_t n) {
  while (n > 0) {
    ByteSpan dst = pos_ < r_.first.size() ? r_.first.subspan(pos_)
                                          : r_.second.subspan(pos_ - r_.first.size());
    const size_t k = std::min(n, dst.size());
    std::memcpy(dst.data(), p, k);
    p += k;
    n -= k;
    pos_ += k;
  }
}

void RingWriter::zero(size_t n) {
  static const uint8_t zeros[8] = {};
  while (n > 0) {
    const size_t k = std::min<size_t>(n, sizeof zeros);
    write(zeros, k);
    n -= k;
  }
}

uint32_t RingWriter::crc_update(uint32_t reg, size_t n) const {
  const size_t a = std::min(n, r_.first.size());
  reg = wire::crc32c_update(reg, r_.first.data(), a);
  if (n > a) reg = wire::crc32c_update(reg, r_.second.data(), n - a);
  return reg;
}

size_t fpdu_stream_length(size_t ulpdu_len) { return wire::mpa_fpdu_length(ulpdu_len); }

size_t fpdu_stream_length(size_t ulpdu_len, uint64_t pos) {
  const size_t len = wire::mpa_fpdu_length(ulpdu_len);
  return len + kMarkerLen * markers_in(pos, len);
}

uint8_t llp_error_code(FpduStatus s) {
  switch (s) {
    case FpduStatus::Ok: return 0;
    case FpduStatus::CrcError: return llp_code::kCrcError;
    case FpduStatus::BadLength:
    case FpduStatus::MarkerMismatch: return llp_code::kMarkerMismatch;
  }
  return 0;
}

namespace {
void fill_fpdu(RingWriter& w, ConstByteSpan header, size_t payload_len,
               const std::function<void(RingWriter&)>& fill, bool crc) {
  const size_t ulpdu = header.size() + payload_len;
  uint8_t len_field[2];
  store_be16(len_field, static_cast<uint16_t>(ulpdu));
  w.write(len_field, 2);
  w.write(header.data(), header.size());
  fill(w);
  w.zero(wire::mpa_pad(ulpdu));
  // A marker due between the pad and the CRC field is inside the FPDU: the CRC covers it.
  w.marker_if_due();
  uint8_t crc_bytes[4] = {0, 0, 0, 0};
  if (crc) {
    const uint32_t reg = w.crc_update(wire::kCrc32cInit, w.written());
    store_le32(crc_bytes, wire::crc32c_final(reg));  // least significant byte first
  }
  w.write(crc_bytes, 4);
}
}  // namespace

size_t write_fpdu(tcp::SendBuffer& sndbuf, ConstByteSpan header, size_t payload_len,
                  const std::function<void(RingWriter&)>& fill, bool crc) {
  const size_t total = wire::mpa_fpdu_length(header.size() + payload_len);
  RingWriter w(sndbuf.reserve(total));
  fill_fpdu(w, header, payload_len, fill, crc);
  sndbuf.commit(total, /*record_end=*/true);
  return total;
}

size_t write_fpdu(tcp::SendBuffer& sndbuf, ConstByteSpan header, size_t payload_len,
                  const std::function<void(RingWriter&)>& fill, bool crc, uint64_t pos) {
  const size_t total = fpdu_stream_length(header.size() + payload_len, pos);
  RingWriter w(sndbuf.reserve(total), pos);
  fill_fpdu(w, header, payload_len, fill, crc);
  sndbuf.commit(total, /*record_end=*/true);
  return total;
}

bool Deframer::deliver(const uint8_t* fpdu, size_t ulpdu_len, uint64_t start) {
  fpdu_start_ = start;
  const size_t body = 2 + ulpdu_len + wire::mpa_pad(ulpdu_len);
  FpduStatus st = FpduStatus::Ok;
  if (crc_) {
    const uint32_t want = load_le32(fpdu + body);
    if (wire::crc32c(fpdu, body) != want) st = FpduStatus::CrcError;
  }
  ++fpdus_;
  if (st == FpduStatus::CrcError) {
    ++crc_errors_;
    failed_ = true;
  }
  handler_(ConstByteSpan(fpdu + 2, ulpdu_len), st);
  return true;
}

bool Deframer::feed_marked(ConstByteSpan data) {
  bool ended = false;
  while (!data.empty() && !failed_) {
    if (marker_fill_ == 0 && pos_ == next_marker_) {
      marker_pos_ = pos_;
      next_marker_ += kMarkerInterval;
      const size_t k = std::min(kMarkerLen, data.size());
      std::memcpy(marker_, data.data(), k);
      raw_.insert(raw_.end(), data.begin(), data.begin() + k);
      marker_fill_ = k;
      pos_ += k;
      data = data.subspan(k);
    } else if (marker_fill_ > 0 && marker_fill_ < kMarkerLen) {
      const size_t k = std::min(kMarkerLen - marker_fill_, data.size());
      std::memcpy(marker_ + marker_fill_, data.data(), k);
      raw_.insert(raw_.end(), data.begin(), data.begin() + k);
      marker_fill_ += k;
      pos_ += k;
      data = data.subspan(k);
    }
    if (marker_fill_ > 0) {
      if (marker_fill_ < kMarkerLen) return ended;  // the rest comes in the next feed
      marker_fill_ = 0;
      ++markers_seen_;
      // A marker before any byte of the FPDU is the one it starts with (FPDUPTR 0).
      const uint64_t want = clean_.empty() ? 0 : marker_pos_ - len_field_;
      if (load_be16(marker_) != 0 || load_be16(marker_ + 2) != want) {
        ++marker_errors_;
        failed_ = true;
        handler_(ConstByteSpan(), FpduStatus::MarkerMismatch);
        return true;
      }
      continue;
    }
    // FPDU bytes up to the next marker position.
    if (clean_.empty()) len_field_ = pos_;
    size_t want = need_ ? need_ - clean_.size() : wire::kMpaLenField - clean_.size();
    want = static_cast<size_t>(std::min<uint64_t>(want, next_marker_ - pos_));
    const size_t k = std::min(want, data.size());
    raw_.insert(raw_.end(), data.begin(), data.begin() + k);
    clean_.insert(clean_.end(), data.begin(), data.begin() + k);
    pos_ += k;
    data = data.subspan(k);
    if (!need_ && clean_.size() == wire::kMpaLenField)
      need_ = wire::mpa_fpdu_length(load_be16(clean_.data()));
    if (need_ && clean_.size() == need_) {
      const size_t ulpdu = load_be16(clean_.data());
      FpduStatus st = FpduStatus::Ok;
      if (crc_) {
        // The CRC covers everything before its field, markers included (RFC 5044 s.4.4).
        const uint32_t got = load_le32(clean_.data() + need_ - wire::kMpaCrcLen);
        if (wire::crc32c(raw_.data(), raw_.size() - wire::kMpaCrcLen) != got)
          st = FpduStatus::CrcError;
      }
      ++fpdus_;
      if (st == FpduStatus::CrcError) {
        ++crc_errors_;
        failed_ = true;
      }
      raw_.clear();
      need_ = 0;
      fpdu_start_ = len_field_;
      handler_(ConstByteSpan(clean_.data() + wire::kMpaLenField, ulpdu), st);
      clean_.clear();
      ended = true;
    }
  }
  return ended;
}

bool Deframer::feed(ConstByteSpan data) {
  if (markers_) return feed_marked(data);
  uint64_t at = pos_;  // stream position of data's first byte
  pos_ += data.size();
  bool ended = false;
  while (!data.empty() && !failed_) {
    if (buf_.empty()) {
      // Fast path: whole FPDUs straight from the segment.
      if (data.size() >= 2) {
        const size_t ulpdu = load_be16(data.data());
        const size_t total = wire::mpa_fpdu_length(ulpdu);
        if (data.size() >= total) {
          ended |= deliver(data.data(), ulpdu, at);
          data = data.subspan(total);
          at += total;
          continue;
        }
      }
      buf_.assign(data.begin(), data.end());
      buf_start_ = at;
      return ended;
    }
    // Slow path: complete the FPDU held in buf_.
    if (buf_.size() < 2) {
      buf_.push_back(data[0]);
      data = data.subspan(1);
      ++at;
      continue;
    }
    const size_t ulpdu = load_be16(buf_.data());
    const size_t total = wire::mpa_fpdu_length(ulpdu);
    const size_t need = total - buf_.size();
    const size_t k = std::min(need, data.size());
    buf_.insert(buf_.end(), data.begin(), data.begin() + k);
    data = data.subspan(k);
    at += k;
    if (buf_.size() == total) {
      std::vector<uint8_t> fpdu;
      fpdu.swap(buf_);
      ended |= deliver(fpdu.data(), ulpdu, buf_start_);
    }
  }
  return ended;
}

}  // namespace rnicsim::mpa

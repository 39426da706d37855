#include "model/proto/mpa/fpdu.h"

#include <algorithm>
#include <cstring>

#include "model/wire/crc.h"
#include "model/wire/mpa.h"

namespace rnicsim::mpa {

void RingWriter::write(const uint8_t* p, size_t n) {
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

void write_fpdu(tcp::SendBuffer& sndbuf, ConstByteSpan header, size_t payload_len,
                const std::function<void(RingWriter&)>& fill, bool crc) {
  const size_t ulpdu = header.size() + payload_len;
  const size_t total = wire::mpa_fpdu_length(ulpdu);
  RingWriter w(sndbuf.reserve(total));
  uint8_t len_field[2];
  store_be16(len_field, static_cast<uint16_t>(ulpdu));
  w.write(len_field, 2);
  w.write(header.data(), header.size());
  fill(w);
  w.zero(wire::mpa_pad(ulpdu));
  uint8_t crc_bytes[4] = {0, 0, 0, 0};
  if (crc) {
    const uint32_t reg = w.crc_update(wire::kCrc32cInit, w.written());
    store_le32(crc_bytes, wire::crc32c_final(reg));  // least significant byte first
  }
  w.write(crc_bytes, 4);
  sndbuf.commit(total, /*record_end=*/true);
}

bool Deframer::deliver(const uint8_t* fpdu, size_t ulpdu_len) {
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

bool Deframer::feed(ConstByteSpan data) {
  bool ended = false;
  while (!data.empty() && !failed_) {
    if (buf_.empty()) {
      // Fast path: whole FPDUs straight from the segment.
      if (data.size() >= 2) {
        const size_t ulpdu = load_be16(data.data());
        const size_t total = wire::mpa_fpdu_length(ulpdu);
        if (data.size() >= total) {
          ended |= deliver(data.data(), ulpdu);
          data = data.subspan(total);
          continue;
        }
      }
      buf_.assign(data.begin(), data.end());
      return ended;
    }
    // Slow path: complete the FPDU held in buf_.
    if (buf_.size() < 2) {
      buf_.push_back(data[0]);
      data = data.subspan(1);
      continue;
    }
    const size_t ulpdu = load_be16(buf_.data());
    const size_t total = wire::mpa_fpdu_length(ulpdu);
    const size_t need = total - buf_.size();
    const size_t k = std::min(need, data.size());
    buf_.insert(buf_.end(), data.begin(), data.begin() + k);
    data = data.subspan(k);
    if (buf_.size() == total) {
      std::vector<uint8_t> fpdu;
      fpdu.swap(buf_);
      ended |= deliver(fpdu.data(), ulpdu);
    }
  }
  return ended;
}

}  // namespace rnicsim::mpa

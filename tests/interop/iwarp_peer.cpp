// The independent iWARP initiator of iwarp_peer.h: encoders, decoders and the socket side.
#include "tests/interop/iwarp_peer.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace iwarp_peer {

namespace {

const char kReqKey[] = "MPA ID Req Frame";
const char kRepKey[] = "MPA ID Rep Frame";

void put16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(static_cast<uint8_t>(x >> 8));
  v.push_back(static_cast<uint8_t>(x));
}
void put32(std::vector<uint8_t>& v, uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<uint8_t>(x >> s));
}
void put64(std::vector<uint8_t>& v, uint64_t x) {
  for (int s = 56; s >= 0; s -= 8) v.push_back(static_cast<uint8_t>(x >> s));
}
uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}
uint64_t get64(const uint8_t* p) { return static_cast<uint64_t>(get32(p)) << 32 | get32(p + 4); }

std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}

using Clock = std::chrono::steady_clock;
int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

}  // namespace

uint32_t crc32c(const uint8_t* p, size_t n, uint32_t crc) {
  static const std::array<uint32_t, 256> table = make_table();
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

void put_crc(uint8_t* out, uint32_t crc) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(crc >> (8 * i));
}
uint32_t get_crc(const uint8_t* in) {
  return static_cast<uint32_t>(in[0]) | static_cast<uint32_t>(in[1]) << 8 |
         static_cast<uint32_t>(in[2]) << 16 | static_cast<uint32_t>(in[3]) << 24;
}

std::vector<uint8_t> encode_mpa_request(int revision, bool crc, uint16_t ird, uint16_t ord,
                                        bool p2p, bool rtr_write, bool rtr_read, bool rtr_send,
                                        const std::vector<uint8_t>& private_data) {
  const bool enhanced = revision == 2;
  std::vector<uint8_t> v(kReqKey, kReqKey + 16);
  v.push_back(static_cast<uint8_t>((crc ? kMpaCrc : 0) | (enhanced ? kMpaEnhanced : 0)));
  v.push_back(static_cast<uint8_t>(revision));
  put16(v, static_cast<uint16_t>(private_data.size() + (enhanced ? 4 : 0)));
  if (enhanced) {
    put16(v, static_cast<uint16_t>((ird & kIrdOrdMask) | (p2p ? kWireP : 0) | (rtr_send ? kWireZ : 0)));
    put16(v, static_cast<uint16_t>((ord & kIrdOrdMask) | (rtr_write ? kWireW : 0) | (rtr_read ? kWireR : 0)));
  }
  v.insert(v.end(), private_data.begin(), private_data.end());
  return v;
}

std::optional<MpaReply> decode_mpa_frame(const uint8_t* p, size_t n, bool reply, std::string* why) {
  auto no = [&](const char* w) -> std::optional<MpaReply> {
    if (why) *why = w;
    return std::nullopt;
  };
  if (n < kMpaHeader) return no("MPA frame shorter than its 20-byte header");
  if (std::memcmp(p, reply ? kRepKey : kReqKey, 16) != 0) return no("wrong MPA key");
  MpaReply r;
  r.flags = p[16];
  r.revision = p[17];
  const size_t len = get16(p + 18);
  if (len > kMaxPrivateData) return no("MPA private data longer than 512 bytes");
  if (n < kMpaHeader + len) return no("MPA frame shorter than its private data length");
  const uint8_t* pd = p + kMpaHeader;
  r.enhanced = r.revision == 2 && (r.flags & kMpaEnhanced);
  if (r.enhanced) {
    if (len < 4) return no("enhanced MPA frame without the 4-byte IRD/ORD prefix");
    const uint16_t a = get16(pd), b = get16(pd + 2);
    r.p2p = a & kWireP;
    r.ird = a & kIrdOrdMask;
    r.ord = b & kIrdOrdMask;
    r.rtr_bits = static_cast<uint16_t>(((a & kWireZ) ? kRtrSend : 0) | ((b & kWireW) ? kRtrWrite : 0) |
                                       ((b & kWireR) ? kRtrRead : 0));
    r.private_data.assign(pd + 4, pd + len);
  } else {
    r.private_data.assign(pd, pd + len);
  }
  return r;
}

std::vector<uint8_t> encode_fpdu(const std::vector<uint8_t>& ulpdu, bool crc) {
  std::vector<uint8_t> v;
  v.reserve(2 + ulpdu.size() + 3 + 4);
  put16(v, static_cast<uint16_t>(ulpdu.size()));
  v.insert(v.end(), ulpdu.begin(), ulpdu.end());
  v.resize(v.size() + fpdu_pad(ulpdu.size()), 0);
  const uint32_t c = crc ? crc32c(v.data(), v.size()) : 0;
  v.resize(v.size() + 4);
  put_crc(v.data() + v.size() - 4, c);
  return v;
}

size_t mulpdu(size_t mss) {
  // 2 + u + pad is 2 + u rounded up to a multiple of 4; it must fit in mss - 4.
  return mss < 8 ? 0 : ((mss - 4) & ~size_t{3}) - 2;
}

std::optional<Segment> decode_ulpdu(const uint8_t* p, size_t n) {
  if (n < 2) return std::nullopt;
  Segment s;
  s.tagged = p[0] & 0x80;
  s.last = p[0] & 0x40;
  s.dv = p[0] & 0x03;
  s.rv = p[1] >> 6;
  s.opcode = p[1] & 0x0F;
  const size_t hdr = s.tagged ? kTaggedHeader : kUntaggedHeader;
  if (n < hdr) return std::nullopt;
  if (s.tagged) {
    s.stag = get32(p + 2);
    s.to = get64(p + 6);
  } else {
    s.inv_stag = get32(p + 2);
    s.qn = get32(p + 6);
    s.msn = get32(p + 10);
    s.mo = get32(p + 14);
  }
  s.payload.assign(p + hdr, p + n);
  return s;
}

std::vector<uint8_t> encode_ulpdu(const Segment& s) {
  std::vector<uint8_t> v;
  v.push_back(static_cast<uint8_t>((s.tagged ? 0x80 : 0) | (s.last ? 0x40 : 0) | 0x01));
  v.push_back(static_cast<uint8_t>(0x40 | (s.opcode & 0x0F)));
  if (s.tagged) {
    put32(v, s.stag);
    put64(v, s.to);
  } else {
    put32(v, s.inv_stag);
    put32(v, s.qn);
    put32(v, s.msn);
    put32(v, s.mo);
  }
  v.insert(v.end(), s.payload.begin(), s.payload.end());
  return v;
}

std::optional<ReadRequest> decode_read_request(const Segment& s) {
  if (s.tagged || s.qn != kQnReadRequest || s.opcode != kReadRequest || s.payload.size() < kReadRequestBody)
    return std::nullopt;
  const uint8_t* b = s.payload.data();
  return ReadRequest{get32(b), get64(b + 4), get32(b + 12), get32(b + 16), get64(b + 20)};
}

std::optional<Terminate> decode_terminate(const Segment& s) {
  if (s.tagged || s.qn != kQnTerminate || s.opcode != kTerminate || s.payload.size() < 4) return std::nullopt;
  const uint8_t* b = s.payload.data();
  const size_t n = s.payload.size();
  Terminate t;
  t.layer = b[0] >> 4;
  t.etype = b[0] & 0x0F;
  t.code = b[1];
  t.m = b[2] & 0x80;
  t.d = b[2] & 0x40;
  t.r = b[2] & 0x20;
  size_t off = 4;
  if (t.d) {
    if (n < off + 2 + 2) return std::nullopt;
    t.ddp_segment_length = get16(b + off);
    off += 2;
    const size_t hdr = (b[off] & 0x80) ? kTaggedHeader : kUntaggedHeader;
    if (n < off + hdr) return std::nullopt;
    t.ddp_header.assign(b + off, b + off + hdr);
    off += hdr;
  }
  if (t.r) {
    if (n < off + kReadRequestBody) return std::nullopt;
    t.rdmap_header.assign(b + off, b + off + kReadRequestBody);
  }
  return t;
}

// ---- Peer ----

Peer::Peer(int fd, size_t max_ulpdu) : fd_(fd), max_ulpdu_(std::max<size_t>(max_ulpdu, kUntaggedHeader + 1)) {
  const int one = 1;
  (void)::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // AF_UNIX refuses: fine
}

size_t Peer::mulpdu_for(int fd) {
  int mss = 0;
  socklen_t len = sizeof mss;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len) != 0 || mss <= 0) return 1024;
  return mulpdu(static_cast<size_t>(mss));
}

bool Peer::fail(std::string why) {
  error_ = std::move(why);
  return false;
}

std::nullopt_t Peer::none(std::string why) {
  error_ = std::move(why);
  return std::nullopt;
}

bool Peer::send_raw(const uint8_t* p, size_t n) {
  while (n > 0) {
    const ssize_t k = ::send(fd_, p, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return fail(std::string("send: ") + std::strerror(errno));
    p += k;
    n -= static_cast<size_t>(k);
    bytes_sent_ += static_cast<uint64_t>(k);
  }
  return true;
}

bool Peer::send_ulpdu(const std::vector<uint8_t>& ulpdu) {
  const std::vector<uint8_t> f = encode_fpdu(ulpdu, crc_);  // one FPDU per send(2) (loop)
  if (!send_raw(f.data(), f.size())) return false;
  ++fpdus_sent_;
  return true;
}

bool Peer::fill(int timeout_ms) {
  pollfd pfd{fd_, POLLIN, 0};
  int r;
  do r = ::poll(&pfd, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  if (r < 0) return fail(std::string("poll: ") + std::strerror(errno));
  if (r == 0) return fail("timeout");
  uint8_t buf[65536];
  ssize_t k;
  do k = ::recv(fd_, buf, sizeof buf, 0);
  while (k < 0 && errno == EINTR);
  if (k < 0) return fail(std::string("recv: ") + std::strerror(errno));
  if (k == 0) return fail("EOF");
  rx_.insert(rx_.end(), buf, buf + k);
  return true;
}

std::optional<MpaReply> Peer::connect(uint16_t ird, uint16_t ord, int timeout_ms,
                                      const std::vector<uint8_t>& private_data, const Offer& offer) {
  if (private_data.size() + 4 > kMaxPrivateData) return none("private data over 508 bytes");
  const std::vector<uint8_t> req = encode_mpa_request(2, offer.crc, ird, ord, offer.p2p, offer.rtr_write,
                                                      offer.rtr_read, offer.rtr_send, private_data);
  if (!send_raw(req.data(), req.size())) return std::nullopt;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (rx_.size() >= kMpaHeader) {
      const size_t len = get16(rx_.data() + 18);
      if (len > kMaxPrivateData || rx_.size() >= kMpaHeader + len) break;  // whole, or refused below
    }
    if (!fill(remaining_ms(deadline))) return std::nullopt;
  }
  std::string why;
  std::optional<MpaReply> rep = decode_mpa_frame(rx_.data(), rx_.size(), true, &why);
  if (!rep) return none("MPA Reply: " + why);
  rx_.erase(rx_.begin(), rx_.begin() + static_cast<std::ptrdiff_t>(kMpaHeader + get16(rx_.data() + 18)));
  if (rep->flags & kMpaReject) return none("MPA Reply: R (reject) set");
  if (rep->flags & kMpaMarkers) return none("MPA Reply: M set (markers wanted; this peer sends none)");
  if (rep->revision != 2) return none("MPA Reply: revision " + std::to_string(rep->revision) + ", not 2");
  if (!rep->enhanced) return none("MPA Reply: a revision-2 Reply without the enhanced prefix");
  crc_ = offer.crc || (rep->flags & kMpaCrc);
  ord_ = rep->enhanced ? rep->ird : ord;
  if (!rep->p2p) return rep;
  // P: exactly one RTR kind, one of those offered.
  const uint16_t offered = static_cast<uint16_t>((offer.rtr_send ? kRtrSend : 0) | (offer.rtr_write ? kRtrWrite : 0) |
                                                 (offer.rtr_read ? kRtrRead : 0));
  const uint16_t b = rep->rtr_bits;
  if (!offer.p2p) return none("MPA Reply: P set though the Request did not offer it");
  if (b == 0 || (b & (b - 1)) != 0 || (b & ~offered) != 0)
    return none("MPA Reply: P set but the RTR choice is not exactly one offered kind");
  Segment rtr;
  rtr.last = true;
  if (b == kRtrWrite) {
    rtr.tagged = true;
    rtr.opcode = kWrite;
  } else if (b == kRtrRead) {
    rtr.opcode = kReadRequest;
    rtr.qn = kQnReadRequest;
    rtr.msn = msn_[kQnReadRequest]++;
    rtr.payload.assign(kReadRequestBody, 0);
    ++outstanding_;  // its Read Response comes through next()
  } else {
    rtr.opcode = kSend;
    rtr.qn = kQnSend;
    rtr.msn = msn_[kQnSend]++;
  }
  if (!send_ulpdu(encode_ulpdu(rtr))) return std::nullopt;
  return rep;
}

bool Peer::send_message(Segment s, const uint8_t* data, size_t n) {
  const size_t hdr = s.tagged ? kTaggedHeader : kUntaggedHeader;
  const size_t room = max_ulpdu_ - hdr;
  size_t off = 0;
  do {
    const size_t k = std::min(room, n - off);
    s.payload.assign(data + off, data + off + k);
    s.last = off + k == n;
    if (!send_ulpdu(encode_ulpdu(s))) return false;
    off += k;
    if (s.tagged) s.to += k;
    else s.mo += static_cast<uint32_t>(k);
  } while (off < n);
  return true;
}

bool Peer::write(uint32_t stag, uint64_t to, const uint8_t* data, size_t n) {
  Segment s;
  s.tagged = true;
  s.opcode = kWrite;
  s.stag = stag;
  s.to = to;
  return send_message(std::move(s), data, n);
}

bool Peer::send(const uint8_t* data, size_t n, uint8_t opcode, uint32_t inv_stag) {
  Segment s;
  s.opcode = opcode;
  s.inv_stag = inv_stag;
  s.qn = kQnSend;
  s.msn = msn_[kQnSend]++;
  return send_message(std::move(s), data, n);
}

bool Peer::read_request(uint32_t sink_stag, uint64_t sink_to, uint32_t size, uint32_t src_stag, uint64_t src_to) {
  if (outstanding_ >= ord_)
    return fail("Read Request past the negotiated ORD of " + std::to_string(ord_) + " (" +
                std::to_string(outstanding_) + " outstanding)");
  Segment s;
  s.opcode = kReadRequest;
  s.qn = kQnReadRequest;
  s.msn = msn_[kQnReadRequest]++;
  s.last = true;
  put32(s.payload, sink_stag);
  put64(s.payload, sink_to);
  put32(s.payload, size);
  put32(s.payload, src_stag);
  put64(s.payload, src_to);
  if (!send_ulpdu(encode_ulpdu(s))) return false;
  ++outstanding_;
  return true;
}

std::optional<Segment> Peer::next(int timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  size_t total = 0;
  for (;;) {
    if (rx_.size() >= 2) {
      const size_t len = get16(rx_.data());
      total = 2 + len + fpdu_pad(len) + 4;
      if (rx_.size() >= total) break;
    }
    if (!fill(remaining_ms(deadline))) return std::nullopt;
  }
  const size_t len = get16(rx_.data());
  std::optional<Segment> s = decode_ulpdu(rx_.data() + 2, len);
  const bool ok = !crc_ || crc32c(rx_.data(), total - 4) == get_crc(rx_.data() + total - 4);
  rx_.erase(rx_.begin(), rx_.begin() + static_cast<std::ptrdiff_t>(total));
  ++fpdus_received_;
  if (!ok) ++crc_errors_;
  if (!s) return none("ULPDU of " + std::to_string(len) + " bytes shorter than its DDP header");
  s->crc_ok = ok;
  if (!ok) error_ = "CRC mismatch";
  if (ok && s->tagged && s->opcode == kReadResponse && s->last && outstanding_ > 0) --outstanding_;
  return s;
}

std::optional<std::vector<uint8_t>> Peer::read(uint32_t sink_stag, uint64_t sink_to, uint32_t size,
                                               uint32_t src_stag, uint64_t src_to, int timeout_ms) {
  unexpected_.reset();
  if (!read_request(sink_stag, sink_to, size, src_stag, src_to)) return std::nullopt;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::vector<uint8_t> buf(size, 0);
  std::vector<bool> have(size, false);
  size_t got = 0;
  auto hex = [](uint64_t x) {
    char t[24];
    std::snprintf(t, sizeof t, "0x%llx", static_cast<unsigned long long>(x));
    return std::string(t);
  };
  for (;;) {
    std::optional<Segment> s = next(remaining_ms(deadline));
    if (!s) return std::nullopt;
    std::string why;
    const size_t n = s->payload.size();
    const uint64_t off = s->to - sink_to;  // meaningful only if s->to >= sink_to
    const std::string at = "Read Response at TO " + hex(s->to) + " + " + std::to_string(n) + " bytes";
    const auto first = have.begin() + static_cast<std::ptrdiff_t>(std::min<uint64_t>(off, size));
    if (!s->crc_ok) why = "CRC mismatch while reading";
    else if (!s->tagged || s->opcode != kReadResponse || s->stag != sink_stag) why = "unexpected segment while reading";
    else if (s->to < sink_to || off > size || n > size - off)
      why = at + " outside [" + hex(sink_to) + ", " + hex(sink_to + size) + ")";
    else if (std::find(first, first + static_cast<std::ptrdiff_t>(n), true) != first + static_cast<std::ptrdiff_t>(n))
      why = at + " overlaps bytes already received";
    else if (s->last && off + n != size)
      why = at + " has L but ends at " + hex(s->to + n) + ", not sink_to + size " + hex(sink_to + size);
    else if (s->last && got + n != size)
      why = at + " has L after " + std::to_string(got + n) + " of " + std::to_string(size) + " bytes";
    if (!why.empty()) {
      unexpected_ = std::move(s);
      return none(why);
    }
    std::copy(s->payload.begin(), s->payload.end(), buf.begin() + static_cast<std::ptrdiff_t>(off));
    std::fill(first, first + static_cast<std::ptrdiff_t>(n), true);
    got += n;
    if (s->last) return buf;
  }
}

}  // namespace iwarp_peer

#include "model/wire/tcp.h"

#include "model/common/bytes.h"
#include "model/wire/crc.h"
#include "model/wire/ipv4.h"

namespace rnicsim::wire {

namespace {
constexpr size_t kTcpBaseLen = 20;
// Option kinds and lengths (RFC 9293 3.2, RFC 7323, RFC 2018).
constexpr uint8_t kOptEol = 0, kOptNop = 1, kOptMss = 2, kOptWscale = 3, kOptSackPerm = 4,
                  kOptSack = 5, kOptTimestamps = 8;
constexpr uint8_t kLenMss = 4, kLenWscale = 3, kLenSackPerm = 2, kLenTimestamps = 10;
constexpr size_t kSackBlockLen = 8;

// SYN options are recognised by content: only a SYN carries MSS, window scale or
// SACK-permitted, and Linux lays them out differently from the options of later segments.
bool syn_layout(const TcpOptions& o) { return o.has_mss || o.has_wscale || o.sack_permitted; }

// Bytes of the options other than SACK, as laid out (each piece a multiple of 4).
size_t other_options_length(const TcpOptions& o) {
  size_t n = 0;
  if (syn_layout(o)) {
    if (o.has_mss) n += kLenMss;
    if (o.has_timestamps || o.sack_permitted) n += o.has_timestamps ? 12 : 4;
    if (o.has_wscale) n += 4;
  } else if (o.has_timestamps) {
    n += 12;
  }
  return n;
}

// SACK blocks that fit in the 40 option bytes beside the other options (2 NOPs, kind and
// length, then 8 bytes a block): 4 alone, 3 with timestamps, as Linux's tcp_options_size
// counts them; fewer, or none, beside a SYN's options.
size_t sack_blocks(const TcpOptions& o) {
  constexpr size_t kOptionSpace = 40;
  const size_t room = kOptionSpace - other_options_length(o);
  const size_t max = room >= 4 + kSackBlockLen ? (room - 4) / kSackBlockLen : 0;
  return o.sack_count < max ? o.sack_count : max;
}

uint8_t* put_timestamps(uint8_t* q, const TcpOptions& o) {
  q[0] = kOptTimestamps;
  q[1] = kLenTimestamps;
  store_be32(q + 2, o.ts_val);
  store_be32(q + 6, o.ts_ecr);
  return q + kLenTimestamps;
}

uint32_t pseudo_sum(Ipv4Addr src, Ipv4Addr dst, size_t tcp_len) {
  uint8_t ph[12];
  store_be32(ph, src);
  store_be32(ph + 4, dst);
  ph[8] = 0;
  ph[9] = kIpProtoTcp;
  store_be16(ph + 10, static_cast<uint16_t>(tcp_len));
  return inet_sum(ph, sizeof ph);
}
}  // namespace

size_t tcp_header_length(const TcpOptions& o) {
  size_t n = other_options_length(o);
  const size_t blocks = sack_blocks(o);
  if (blocks > 0) n += 4 + kSackBlockLen * blocks;
  return kTcpBaseLen + n;  // every piece above is a multiple of 4
}

size_t encode_tcp(uint8_t* out, const TcpHeader& h) {
  const TcpOptions& o = h.opts;
  const size_t hlen = tcp_header_length(o);
  store_be16(out, h.sport);
  store_be16(out + 2, h.dport);
  store_be32(out + 4, h.seq);
  store_be32(out + 8, h.ack);
  out[12] = static_cast<uint8_t>((hlen / 4) << 4);
  out[13] = h.flags;
  store_be16(out + 14, h.window);
  store_be16(out + 16, 0);
  store_be16(out + 18, h.urgent);
  uint8_t* q = out + kTcpBaseLen;
  if (syn_layout(o)) {
    // Linux tcp_options_write(): MSS, then SACK-permitted folded into the NOPs before
    // timestamps, then NOP + window scale: "02 04 mss 04 02 08 0a TSval TSecr 01 03 03 ws".
    if (o.has_mss) {
      q[0] = kOptMss;
      q[1] = kLenMss;
      store_be16(q + 2, o.mss);
      q += kLenMss;
    }
    if (o.has_timestamps) {
      if (o.sack_permitted) {
        q[0] = kOptSackPerm;
        q[1] = kLenSackPerm;
      } else {
        q[0] = kOptNop;
        q[1] = kOptNop;
      }
      q = put_timestamps(q + 2, o);
    } else if (o.sack_permitted) {
      q[0] = kOptNop;
      q[1] = kOptNop;
      q[2] = kOptSackPerm;
      q[3] = kLenSackPerm;
      q += 4;
    }
    if (o.has_wscale) {
      q[0] = kOptNop;
      q[1] = kOptWscale;
      q[2] = kLenWscale;
      q[3] = o.wscale;
      q += 4;
    }
  } else if (o.has_timestamps) {
    q[0] = kOptNop;
    q[1] = kOptNop;
    q = put_timestamps(q + 2, o);
  }
  const size_t blocks = sack_blocks(o);
  if (blocks > 0) {
    q[0] = kOptNop;
    q[1] = kOptNop;
    q[2] = kOptSack;
    q[3] = static_cast<uint8_t>(2 + kSackBlockLen * blocks);
    q += 4;
    for (size_t i = 0; i < blocks; ++i) {
      store_be32(q, o.sack[i].left);
      store_be32(q + 4, o.sack[i].right);
      q += kSackBlockLen;
    }
  }
  return hlen;
}

void tcp_fill_checksum(uint8_t* seg, size_t tcp_len, Ipv4Addr src, Ipv4Addr dst) {
  store_be16(seg + 16, 0);
  store_be16(seg + 16, inet_fold(inet_sum(seg, tcp_len, pseudo_sum(src, dst, tcp_len))));
}

bool tcp_checksum_ok(const uint8_t* seg, size_t tcp_len, Ipv4Addr src, Ipv4Addr dst) {
  return inet_fold(inet_sum(seg, tcp_len, pseudo_sum(src, dst, tcp_len))) == 0;
}

Decoded<TcpHeader> decode_tcp(const uint8_t* p, size_t len) {
  Decoded<TcpHeader> d;
  if (len < kTcpBaseLen) return d;
  const size_t hlen = static_cast<size_t>(p[12] >> 4) * 4;
  if (hlen < kTcpBaseLen) {
    d.status = DecodeStatus::Malformed;
    return d;
  }
  if (len < hlen) return d;
  TcpHeader& h = d.value;
  h.sport = load_be16(p);
  h.dport = load_be16(p + 2);
  h.seq = load_be32(p + 4);
  h.ack = load_be32(p + 8);
  h.flags = p[13];
  h.window = load_be16(p + 14);
  h.urgent = load_be16(p + 18);
  h.header_length = static_cast<uint8_t>(hlen);
  TcpOptions& o = h.opts;
  d.status = DecodeStatus::Malformed;  // until the options parse
  size_t i = kTcpBaseLen;
  while (i < hlen) {
    const uint8_t kind = p[i];
    if (kind == kOptEol) break;
    if (kind == kOptNop) {
      ++i;
      continue;
    }
    if (i + 1 >= hlen) return d;
    const size_t olen = p[i + 1];
    if (olen < 2 || i + olen > hlen) return d;
    const uint8_t* v = p + i + 2;
    switch (kind) {
      case kOptMss:
        if (olen != kLenMss) return d;
        o.has_mss = true;
        o.mss = load_be16(v);
        break;
      case kOptWscale:
        if (olen != kLenWscale) return d;
        o.has_wscale = true;
        o.wscale = v[0];
        break;
      case kOptSackPerm:
        if (olen != kLenSackPerm) return d;
        o.sack_permitted = true;
        break;
      case kOptTimestamps:
        if (olen != kLenTimestamps) return d;
        o.has_timestamps = true;
        o.ts_val = load_be32(v);
        o.ts_ecr = load_be32(v + 4);
        break;
      case kOptSack: {
        const size_t n = (olen - 2) / kSackBlockLen;
        if ((olen - 2) % kSackBlockLen != 0 || n == 0 || n > o.sack.size()) return d;
        o.sack_count = static_cast<uint8_t>(n);
        for (size_t b = 0; b < n; ++b) {
          o.sack[b].left = load_be32(v + b * kSackBlockLen);
          o.sack[b].right = load_be32(v + b * kSackBlockLen + 4);
        }
        break;
      }
      default:
        break;  // unknown kinds are skipped by their length
    }
    i += olen;
  }
  d.length = hlen;
  d.status = DecodeStatus::Ok;
  return d;
}

}  // namespace rnicsim::wire

// libFuzzer target: every header decoder of model/wire (and the IPv4 receive checks and
// MPA frame reading of model/proto built on them). The first byte picks the decoder, the
// rest is the packet. Asserts, besides no crash and no sanitizer report: a decoder never
// claims more bytes than it was given, and what it decodes survives its encoder: encoding
// the decoded value and decoding that again gives the same encoding (docs/fuzzing.md).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "model/proto/ip/ipv4.h"
#include "model/proto/mpa/negotiation.h"
#include "model/proto/mpa/rtr.h"
#include "model/wire/crc.h"
#include "model/wire/ddp_rdmap.h"
#include "model/wire/eth.h"
#include "model/wire/icmp.h"
#include "model/wire/ipv4.h"
#include "model/wire/mpa.h"
#include "model/wire/tcp.h"
#include "model/wire/verbs.h"
#include "tests/fuzz/fuzz_check.h"

using namespace rnicsim;
using namespace rnicsim::wire;

namespace {

/// The decoder a seed's first byte selects (tests/fuzz/make_seeds.cpp writes one seed each).
enum Kind : uint8_t {
  kEth, kArp, kIpv4, kIcmpEcho, kIcmpError, kTcp, kMpaReqRep, kDdp, kReadRequest, kAtomicRequest,
  kAtomicResponse, kTerminate, kTerminateMessage, kIpv4Receive, kMpaPeerFrame, kRtr,
  // The verbs rings' bytes, which the application writes and the RNIC reads.
  kSqWqe, kRqWqe, kCqe, kDoorbell, kKinds
};

/// Decoding `enc` (the encoding of a decoded value) again must succeed and encode to `enc`.
template <class D, class E>
void stable(const std::vector<uint8_t>& enc, D decode, E encode) {
  auto again = decode(enc.data(), enc.size());
  FUZZ_CHECK(again.status == DecodeStatus::Ok);
  FUZZ_CHECK(encode(again.value) == enc);
}

/// Fixed-size headers: encode into a buffer of `max` bytes, return the bytes written.
template <class T, class F>
std::vector<uint8_t> enc_fixed(const T& v, F f, size_t max = 64) {
  std::vector<uint8_t> out(max);
  out.resize(f(out.data(), v));
  return out;
}

template <class T>
void bounded(const Decoded<T>& d, size_t len) {
  if (d) FUZZ_CHECK(d.length <= len);
}

class IcmpSink : public ip::IcmpHandler {
 public:
  void on_icmp(const Ipv4Header&, ConstByteSpan m) override {
    bounded(decode_icmp_echo(m.data(), m.size()), m.size());
    bounded(decode_icmp_error(m.data(), m.size()), m.size());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t kind = data[0] % kKinds;
  // A copy of exactly the packet's bytes, so ASan sees a read past its end.
  const std::vector<uint8_t> pkt(data + 1, data + size);
  const uint8_t* p = pkt.data();
  const size_t n = pkt.size();
  switch (kind) {
    case kEth: {
      auto d = decode_eth(p, n);
      bounded(d, n);
      if (d) stable(enc_fixed(d.value, encode_eth), decode_eth, [](const EthHeader& h) { return enc_fixed(h, encode_eth); });
      break;
    }
    case kArp: {
      auto d = decode_arp(p, n);
      bounded(d, n);
      if (d) stable(enc_fixed(d.value, encode_arp), decode_arp, [](const ArpPacket& a) { return enc_fixed(a, encode_arp); });
      break;
    }
    case kIpv4: {
      auto d = decode_ipv4(p, n);
      bounded(d, n);
      if (d) {
        FUZZ_CHECK(d.value.header_length >= kIpv4HeaderLen && d.value.header_length <= d.value.total_length);
        FUZZ_CHECK(d.value.total_length <= n);
        // The encoder writes no options: its header decodes as itself with no payload.
        Ipv4Header h = d.value;
        h.total_length = kIpv4HeaderLen;
        const auto enc = enc_fixed(h, encode_ipv4);
        stable(enc, decode_ipv4, [](const Ipv4Header& x) { return enc_fixed(x, encode_ipv4); });
      }
      break;
    }
    case kIcmpEcho: {
      auto d = decode_icmp_echo(p, n);
      bounded(d, n);
      if (d) {
        std::vector<uint8_t> enc(pkt);
        encode_icmp_echo(enc.data(), d.value, n - kIcmpEchoHeaderLen);
        FUZZ_CHECK(decode_icmp_echo(enc.data(), enc.size()).status == DecodeStatus::Ok);
      }
      break;
    }
    case kIcmpError: {
      auto d = decode_icmp_error(p, n);
      bounded(d, n);
      if (d) {
        const uint8_t* orig = p + kIcmpEchoHeaderLen;
        const size_t orig_len = n - kIcmpEchoHeaderLen;
        std::vector<uint8_t> enc(icmp_error_len(orig_len));
        FUZZ_CHECK(encode_icmp_error(enc.data(), d.value.type, d.value.code, d.value.rest, orig, orig_len) ==
                   enc.size());
        auto again = decode_icmp_error(enc.data(), enc.size());
        FUZZ_CHECK(again.status == DecodeStatus::Ok);
        FUZZ_CHECK(again.value.orig_src == d.value.orig_src && again.value.orig_dst == d.value.orig_dst &&
                   again.value.rest == d.value.rest);
      }
      break;
    }
    case kTcp: {
      auto d = decode_tcp(p, n);
      bounded(d, n);
      if (d) {
        FUZZ_CHECK(d.value.header_length >= 20 && d.value.header_length <= n);
        FUZZ_CHECK(d.value.opts.sack_count <= 4);
        const auto enc_tcp = [](const TcpHeader& h) {
          std::vector<uint8_t> out(tcp_header_length(h.opts));
          FUZZ_CHECK(out.size() <= 60);
          FUZZ_CHECK(encode_tcp(out.data(), h) == out.size());
          return out;
        };
        stable(enc_tcp(d.value), decode_tcp, enc_tcp);
      }
      (void)tcp_checksum_ok(p, n, 0x0a000001, 0x0a000002);
      break;
    }
    case kMpaReqRep: {
      auto d = decode_mpa_reqrep(p, n);
      bounded(d, n);
      if (d) {
        FUZZ_CHECK(d.value.private_data.size() <= kMpaMaxPrivateData);
        stable(encode_mpa_reqrep(d.value), decode_mpa_reqrep, encode_mpa_reqrep);
      }
      break;
    }
    case kDdp: {
      auto d = decode_ddp(p, n);
      bounded(d, n);
      if (d) stable(enc_fixed(d.value, encode_ddp), decode_ddp, [](const DdpHeader& h) { return enc_fixed(h, encode_ddp); });
      break;
    }
    case kReadRequest: {
      auto d = decode_read_request(p, n);
      bounded(d, n);
      if (d)
        stable(enc_fixed(d.value, encode_read_request), decode_read_request,
               [](const ReadRequest& r) { return enc_fixed(r, encode_read_request); });
      break;
    }
    case kAtomicRequest: {
      auto d = decode_atomic_request(p, n);
      bounded(d, n);
      if (d) {
        stable(enc_fixed(d.value, encode_atomic_request), decode_atomic_request,
               [](const AtomicRequest& r) { return enc_fixed(r, encode_atomic_request); });
        (void)atomic_apply(d.value, n ? p[n - 1] : 0);
      }
      break;
    }
    case kAtomicResponse: {
      auto d = decode_atomic_response(p, n);
      bounded(d, n);
      if (d)
        stable(enc_fixed(d.value, encode_atomic_response), decode_atomic_response,
               [](const AtomicResponse& r) { return enc_fixed(r, encode_atomic_response); });
      break;
    }
    case kTerminate: {
      auto d = decode_terminate(p, n);
      bounded(d, n);
      if (d) {
        FUZZ_CHECK(term_name(d.value.code) != nullptr);
        stable(enc_fixed(d.value, encode_terminate), decode_terminate,
               [](const TerminateHeader& t) { return enc_fixed(t, encode_terminate); });
      }
      break;
    }
    case kTerminateMessage: {
      auto d = decode_terminate_message(p, n);
      bounded(d, n);
      if (d) stable(encode_terminate_message(d.value), decode_terminate_message, encode_terminate_message);
      break;
    }
    case kIpv4Receive: {
      IcmpSink icmp;
      ip::Ipv4Receiver rx(0x0a000002, icmp);
      (void)rx.receive(p, n);
      const auto& s = rx.stats();
      FUZZ_CHECK(s.in_receives == 1);
      FUZZ_CHECK(s.in_hdr_errors + s.in_addr_errors + s.reasm_reqds + s.in_unknown_protos + s.in_delivers == 1);
      break;
    }
    case kMpaPeerFrame: {
      for (bool reply : {false, true}) {
        const mpa::PeerFrame f = mpa::read_peer_frame(p, n, reply);
        if (f.status != mpa::FrameStatus::Ok) continue;
        FUZZ_CHECK(f.length <= n);
        mpa::Settings local;
        mpa::DeviceLimits dev;
        if (!reply) {
          const mpa::Accepted a = mpa::accept_request(local, dev, f.frame);
          FUZZ_CHECK(a.params.ird <= dev.max_ird && a.params.ord <= dev.max_ird);
        } else {
          (void)mpa::read_reply(local, dev, f.frame);
        }
      }
      break;
    }
    case kRtr: {
      const ConstByteSpan u(p, n);
      for (auto t : {mpa::RtrType::Write, mpa::RtrType::Read, mpa::RtrType::Send}) {
        if (!mpa::is_rtr(t, u)) continue;
        if (t == mpa::RtrType::Read) {
          const auto resp = mpa::rtr_read_response(u);
          FUZZ_CHECK(mpa::is_rtr_read_response(ConstByteSpan(resp.data(), resp.size())));
        }
      }
      (void)mpa::is_rtr_read_response(u);
      break;
    }
    case kSqWqe: {
      auto d = decode_sq_wqe(p, n);
      bounded(d, n);
      const auto peek = peek_sq_wqe_slots(p, n);
      if (!peek) FUZZ_CHECK(d.status == peek.status);  // the base slot decides first
      if (d) {
        FUZZ_CHECK(peek.value >= 1 && peek.value <= kSqMaxSlots && d.length == peek.value * kSqSlotLen);
        stable(encode_sq_wqe(d.value), decode_sq_wqe, [](const SqWqe& w) { return encode_sq_wqe(w); });
      }
      break;
    }
    case kRqWqe: {
      auto d = decode_rq_wqe(p, n);
      bounded(d, n);
      if (d) {
        FUZZ_CHECK(d.value.sgl.size() <= kRqMaxSge);
        stable(enc_fixed(d.value, encode_rq_wqe), decode_rq_wqe, [](const RqWqe& r) { return enc_fixed(r, encode_rq_wqe); });
      }
      break;
    }
    case kCqe: {
      auto d = decode_cqe(p, n);
      bounded(d, n);
      if (d) stable(enc_fixed(d.value, encode_cqe), decode_cqe, [](const Cqe& c) { return enc_fixed(c, encode_cqe); });
      break;
    }
    case kDoorbell: {
      auto d = decode_doorbell(p, n);
      bounded(d, n);
      if (d)
        stable(enc_fixed(d.value, encode_doorbell), decode_doorbell,
               [](const Doorbell& b) { return enc_fixed(b, encode_doorbell); });
      break;
    }
    default:
      break;
  }
  // The CRCs take any bytes.
  (void)crc32c(p, n);
  (void)ethernet_fcs(p, n);
  return 0;
}

// The interop peer's own encoders and decoders (tests/interop/iwarp_peer.h), against exact
// bytes from the RFCs and protocol-facts, and its stream side over socketpair(2) with
// hand-written responders. No network.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

#include <cstddef>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/interop/iwarp_peer.h"

namespace {

using namespace iwarp_peer;
using Bytes = std::vector<uint8_t>;

Bytes hex(const std::string& s) {
  Bytes v;
  for (size_t i = 0; i < s.size();) {
    if (s[i] == ' ') { ++i; continue; }
    v.push_back(static_cast<uint8_t>(std::stoul(s.substr(i, 2), nullptr, 16)));
    i += 2;
  }
  return v;
}

Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

/// Both ends of a stream socketpair, closed at the end.
struct Pair {
  int a = -1, b = -1;
  Pair() { REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, &a) == 0); }
  ~Pair() { ::close(a); ::close(b); }
};

/// A connected TCP pair over 127.0.0.1 (a: the connecting end), closed at the end.
struct TcpPair {
  int a = -1, b = -1;
  TcpPair() {
    const int l = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(l >= 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    REQUIRE(::bind(l, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    REQUIRE(::listen(l, 1) == 0);
    REQUIRE(::getsockname(l, reinterpret_cast<sockaddr*>(&sa), &len) == 0);
    a = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(::connect(a, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    b = ::accept(l, nullptr, nullptr);
    ::close(l);
    REQUIRE(b >= 0);
  }
  ~TcpPair() { ::close(a); ::close(b); }
};

int int_opt(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  return ::getsockopt(fd, level, name, &v, &len) == 0 ? v : -1;
}

/// Exactly n bytes from fd (blocking); fewer only at EOF.
Bytes read_n(int fd, size_t n) {
  Bytes v(n);
  size_t got = 0;
  while (got < n) {
    const ssize_t k = ::read(fd, v.data() + got, n - got);
    if (k <= 0) break;
    got += static_cast<size_t>(k);
  }
  v.resize(got);
  return v;
}

void write_all(int fd, const Bytes& v) {
  size_t off = 0;
  while (off < v.size()) {
    const ssize_t k = ::write(fd, v.data() + off, v.size() - off);
    if (k <= 0) return;
    off += static_cast<size_t>(k);
  }
}

Bytes reply(uint8_t flags, uint8_t rev, const Bytes& pd) {
  Bytes v;
  for (const char c : std::string("MPA ID Rep Frame")) v.push_back(static_cast<uint8_t>(c));
  v.push_back(flags);
  v.push_back(rev);
  v.push_back(static_cast<uint8_t>(pd.size() >> 8));
  v.push_back(static_cast<uint8_t>(pd.size()));
  return cat(v, pd);
}

Bytes tagged(uint8_t opcode, bool last, uint32_t stag, uint64_t to, const Bytes& payload) {
  Segment s;
  s.tagged = true;
  s.last = last;
  s.opcode = opcode;
  s.stag = stag;
  s.to = to;
  s.payload = payload;
  return encode_ulpdu(s);
}

const Bytes kReq24 = hex("4d 50 41 20 49 44 20 52 65 71 20 46 72 61 6d 65  50 02 00 04  80 04 80 04");

}  // namespace

TEST_CASE("crc32c: check value and RFC 3720 B.4 vectors in wire order") {
  const std::string nine = "123456789";
  CHECK(crc32c(reinterpret_cast<const uint8_t*>(nine.data()), nine.size()) == 0xE3069283u);
  // Continuing a value gives the same as one pass.
  const uint32_t part = crc32c(reinterpret_cast<const uint8_t*>(nine.data()), 4);
  CHECK(crc32c(reinterpret_cast<const uint8_t*>(nine.data()) + 4, 5, part) == 0xE3069283u);
  Bytes zeros(32, 0x00), ones(32, 0xFF), up(32), down(32);
  for (int i = 0; i < 32; ++i) {
    up[static_cast<size_t>(i)] = static_cast<uint8_t>(i);
    down[static_cast<size_t>(i)] = static_cast<uint8_t>(31 - i);
  }
  auto wire = [](const Bytes& in) {
    Bytes out(4);
    put_crc(out.data(), crc32c(in.data(), in.size()));
    return out;
  };
  CHECK(wire(zeros) == hex("aa 36 91 8a"));
  CHECK(wire(ones) == hex("43 ab a8 62"));
  CHECK(wire(up) == hex("4e 79 dd 46"));
  CHECK(wire(down) == hex("5c db 3f 11"));
  CHECK(crc32c(zeros.data(), zeros.size()) == 0x8A9136AAu);
  CHECK(get_crc(hex("aa 36 91 8a").data()) == 0x8A9136AAu);
}

TEST_CASE("encode_fpdu: zero-length Send, MSN 1, CRC on, exact wire bytes") {
  Segment s;
  s.last = true;
  s.opcode = kSend;
  s.qn = kQnSend;
  s.msn = 1;
  const Bytes ulpdu = encode_ulpdu(s);
  CHECK(ulpdu == hex("41 43 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00 00"));
  CHECK(encode_fpdu(ulpdu, true) == hex("00 12 41 43 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00 00 58 7b e8 c4"));
  CHECK(encode_fpdu(ulpdu, false) == hex("00 12 41 43 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00"));
  // Pad: (2 + len + pad) % 4 == 0, zero bytes, covered by the CRC.
  const Bytes f = encode_fpdu(Bytes{0xAB}, true);
  REQUIRE(f.size() == 2 + 1 + 1 + 4);
  CHECK(Bytes(f.begin(), f.begin() + 4) == hex("00 01 ab 00"));
  CHECK(get_crc(f.data() + 4) == crc32c(f.data(), 4));
  for (size_t n = 0; n < 8; ++n) CHECK((2 + n + fpdu_pad(n)) % 4 == 0);
}

TEST_CASE("encode_mpa_request: rev 2, C, IRD 4, ORD 4, P and W, no private data") {
  CHECK(encode_mpa_request(2, true, 4, 4, true, true, false, false, {}) == kReq24);
  // Z lands in the IRD word, R in the ORD word; rev 1 has no prefix.
  CHECK(encode_mpa_request(2, false, 1, 2, false, false, true, true, {0xEE}) ==
        cat(Bytes(kReq24.begin(), kReq24.begin() + 16), hex("10 02 00 05  40 01 40 02 ee")));
  CHECK(encode_mpa_request(1, true, 4, 4, true, true, false, false, {0x01, 0x02}) ==
        cat(Bytes(kReq24.begin(), kReq24.begin() + 16), hex("40 01 00 02 01 02")));
  const auto r = decode_mpa_frame(kReq24.data(), kReq24.size(), false);
  REQUIRE(r);
  CHECK((r->enhanced && r->p2p && r->ird == 4 && r->ord == 4 && r->rtr_bits == kRtrWrite));
  CHECK_FALSE(decode_mpa_frame(kReq24.data(), kReq24.size(), true));  // Req key is not a Reply
}

TEST_CASE("Peer::write: 2500 bytes at max ULPDU 1024, exact segments") {
  Pair sp;
  Peer peer(sp.a, 1024);
  Bytes data(2500);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + 3);
  REQUIRE(peer.write(0x12345678u, 0x1000, data.data(), data.size()));
  CHECK(peer.fpdus_sent() == 3);
  CHECK(peer.bytes_sent() == 1032 + 1032 + 500);
  const Bytes wire = read_n(sp.b, 2564);
  REQUIRE(wire.size() == 2564);
  struct Want { size_t len, pad, payload; const char* ctrl; uint64_t to; };
  const Want want[3] = {{1024, 2, 1010, "81 40", 0x1000}, {1024, 2, 1010, "81 40", 0x13F2}, {494, 0, 480, "c1 40", 0x17E4}};
  size_t off = 0, data_off = 0;
  for (const Want& w : want) {
    const uint8_t* f = wire.data() + off;
    CHECK(size_t{f[0]} << 8 == (w.len & 0xFF00));
    CHECK(f[1] == (w.len & 0xFF));
    CHECK(Bytes(f + 2, f + 16) == cat(cat(hex(w.ctrl), hex("12 34 56 78")),
                                      Bytes{0, 0, 0, 0, 0, 0, static_cast<uint8_t>(w.to >> 8), static_cast<uint8_t>(w.to)}));
    CHECK(Bytes(f + 16, f + 16 + w.payload) == Bytes(data.begin() + static_cast<std::ptrdiff_t>(data_off),
                                                     data.begin() + static_cast<std::ptrdiff_t>(data_off + w.payload)));
    for (size_t p = 0; p < w.pad; ++p) CHECK(f[2 + w.len + p] == 0);
    CHECK(get_crc(f + 2 + w.len + w.pad) == crc32c(f, 2 + w.len + w.pad));
    const auto s = decode_ulpdu(f + 2, w.len);
    REQUIRE(s);
    CHECK((s->tagged && s->opcode == kWrite && s->stag == 0x12345678u && s->to == w.to && s->payload.size() == w.payload));
    off += 2 + w.len + w.pad + 4;
    data_off += w.payload;
  }
  CHECK(off == wire.size());
}

TEST_CASE("Peer::send: untagged segments, one MSN per message, MO advancing") {
  Pair sp;
  Peer peer(sp.a, 64);  // 46 bytes of payload per untagged segment
  const Bytes data(100, 0x5A);
  REQUIRE(peer.send(data.data(), data.size(), kSendInv, 0xCAFE0001u));
  REQUIRE(peer.send(nullptr, 0));
  Peer rx(sp.b);
  const uint32_t mos[3] = {0, 46, 92};
  for (int i = 0; i < 3; ++i) {
    const auto s = rx.next(1000);
    REQUIRE(s);
    CHECK((!s->tagged && s->crc_ok && s->opcode == kSendInv && s->inv_stag == 0xCAFE0001u && s->qn == 0 && s->msn == 1));
    CHECK(s->mo == mos[i]);
    CHECK(s->last == (i == 2));
  }
  const auto z = rx.next(1000);
  REQUIRE(z);
  CHECK((z->opcode == kSend && z->msn == 2 && z->mo == 0 && z->last && z->payload.empty()));
}

TEST_CASE("decode_terminate: DDP layer, tagged buffer error, invalid STag, D set") {
  const Bytes ddp = hex("c1 40 00 00 01 02  00 00 00 00 00 00 20 00");  // the offending Write
  Segment t;
  t.last = true;
  t.opcode = kTerminate;
  t.qn = kQnTerminate;
  t.msn = 1;
  t.payload = cat(hex("11 00 40 00  00 1e"), ddp);
  const Bytes ulpdu = encode_ulpdu(t);
  CHECK(Bytes(ulpdu.begin(), ulpdu.begin() + 18) == hex("41 47 00 00 00 00 00 00 00 02 00 00 00 01 00 00 00 00"));
  const auto s = decode_ulpdu(ulpdu.data(), ulpdu.size());
  REQUIRE(s);
  const auto term = decode_terminate(*s);
  REQUIRE(term);
  CHECK((term->layer == 1 && term->etype == 1 && term->code == 0));
  CHECK((!term->m && term->d && !term->r));
  CHECK(term->ddp_segment_length == 0x1e);
  CHECK(term->ddp_header == ddp);
  CHECK(term->rdmap_header.empty());
  // R set for a Read Request: 18-byte untagged header, then its 28-byte body.
  Segment r = t;
  r.payload = cat(cat(hex("02 01 60 00  00 2e"), hex("41 41 00 00 00 00 00 00 00 01 00 00 00 01 00 00 00 00")), Bytes(28, 0x77));
  const auto rt = decode_terminate(r);
  REQUIRE(rt);
  CHECK((rt->layer == 0 && rt->etype == 2 && rt->code == 1 && rt->d && rt->r));
  CHECK(rt->ddp_header.size() == 18);
  CHECK(rt->rdmap_header == Bytes(28, 0x77));
  r.payload.resize(r.payload.size() - 1);
  CHECK_FALSE(decode_terminate(r));  // too short for its R
  CHECK_FALSE(decode_terminate(Segment{}));  // not a Terminate
}

TEST_CASE("Peer::connect: enhanced rev 2 Reply with P and W, the RTR a zero-length Write") {
  Pair sp;
  const Bytes pd16 = hex("a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 aa ab ac ad ae af");
  Bytes got_req, got_rtr;
  std::thread responder([&] {
    got_req = read_n(sp.b, 24);
    const Bytes rep = reply(0x50, 2, cat(hex("80 02 80 03"), pd16));
    write_all(sp.b, Bytes(rep.begin(), rep.begin() + 7));  // in two pieces
    usleep(20000);
    write_all(sp.b, Bytes(rep.begin() + 7, rep.end()));
    got_rtr = read_n(sp.b, 20);
  });
  Peer peer(sp.a);
  const auto r = peer.connect(4, 4, 2000);
  responder.join();
  INFO(peer.error());
  REQUIRE(r);
  CHECK(got_req == kReq24);
  CHECK(got_rtr == hex("00 0e c1 40 00 00 00 00 00 00 00 00 00 00 00 00 a3 05 72 ab"));
  CHECK((r->revision == 2 && r->flags == 0x50 && r->enhanced && r->p2p));
  CHECK((r->ird == 2 && r->ord == 3 && r->rtr_bits == kRtrWrite));
  CHECK(r->private_data == pd16);
  CHECK(peer.crc_enabled());
  CHECK(peer.fpdus_sent() == 1);
}

TEST_CASE("Peer::connect: refuses R, M, revision 1, rev 2 not enhanced, an RTR other than W, wrong key") {
  struct Case { Bytes rep; const char* why; };
  Bytes wrong_key = reply(0x50, 2, hex("80 01 80 01"));
  wrong_key[4] = 'X';
  const Case cases[] = {
      {reply(0x70, 2, hex("80 01 80 01")), "MPA Reply: R (reject) set"},
      {reply(0xD0, 2, hex("80 01 80 01")), "MPA Reply: M set (markers wanted; this peer sends none)"},
      {reply(0x40, 1, {}), "MPA Reply: revision 1, not 2"},
      {reply(0x50, 2, hex("80 01 40 01")), "MPA Reply: P set but the RTR choice is not exactly one offered kind"},
      {reply(0x50, 2, hex("80 01 c0 01")), "MPA Reply: P set but the RTR choice is not exactly one offered kind"},
      {wrong_key, "MPA Reply: wrong MPA key"},
      // RFC 6581 s.5: an enhanced Request is answered by an enhanced Reply.
      {reply(0x40, 2, {}), "MPA Reply: a revision-2 Reply without the enhanced prefix"},
      {reply(0x40, 2, hex("80 01 80 01")), "MPA Reply: a revision-2 Reply without the enhanced prefix"},
  };
  for (const Case& c : cases) {
    Pair sp;
    std::thread responder([&] {
      read_n(sp.b, 24);
      write_all(sp.b, c.rep);
    });
    Peer peer(sp.a);
    const auto r = peer.connect(1, 1, 2000);
    responder.join();
    CHECK_FALSE(r);
    CHECK(peer.error() == c.why);
    CHECK(peer.fpdus_sent() == 0);
  }
  // An enhanced Reply without P (and without C) is accepted and no RTR is sent.
  Pair sp;
  std::thread responder([&] { read_n(sp.b, 24); write_all(sp.b, reply(0x10, 2, hex("00 03 00 01 01 02"))); });
  Peer peer(sp.a);
  const auto r = peer.connect(1, 1, 2000);
  responder.join();
  REQUIRE(r);
  CHECK((r->enhanced && !r->p2p && r->ird == 3 && r->private_data == hex("01 02")));
  CHECK((peer.fpdus_sent() == 0 && peer.crc_enabled() && peer.ord() == 3 && peer.outstanding() == 0));
}

TEST_CASE("Peer::read: Read Request out, two Read Response segments in, split across reads") {
  Pair sp;
  Bytes req_wire;
  std::thread responder([&] {
    req_wire = read_n(sp.b, 2 + 46 + 0 + 4);  // 48 is a multiple of 4: no pad
    Bytes both = cat(encode_fpdu(tagged(kReadResponse, false, 0xAB000001u, 0x8000, hex("01 02 03 04 05 06")), true),
                     encode_fpdu(tagged(kReadResponse, true, 0xAB000001u, 0x8006, hex("07 08 09 0a")), true));
    for (size_t i = 0; i < 5; ++i) write_all(sp.b, Bytes{both[i]});  // a byte at a time, then the rest
    usleep(20000);
    write_all(sp.b, Bytes(both.begin() + 5, both.end()));
  });
  Peer peer(sp.a);
  const auto got = peer.read(0xAB000001u, 0x8000, 10, 0x00000200u, 0x123456789ull, 2000);
  responder.join();
  INFO(peer.error());
  REQUIRE(got);
  CHECK(*got == hex("01 02 03 04 05 06 07 08 09 0a"));
  REQUIRE(req_wire.size() == 52);
  CHECK(Bytes(req_wire.begin(), req_wire.begin() + 48) ==
        hex("00 2e 41 41 00 00 00 00 00 00 00 01 00 00 00 01 00 00 00 00"
            " ab 00 00 01 00 00 00 00 00 00 80 00 00 00 00 0a 00 00 02 00 00 00 00 01 23 45 67 89"));
  const auto s = decode_ulpdu(req_wire.data() + 2, 46);
  REQUIRE(s);
  const auto rr = decode_read_request(*s);
  REQUIRE(rr);
  CHECK((rr->sink_stag == 0xAB000001u && rr->sink_to == 0x8000 && rr->size == 10 && rr->src_stag == 0x200 &&
         rr->src_to == 0x123456789ull));
  CHECK(peer.next_msn(kQnReadRequest) == 2);
}

TEST_CASE("Peer::read: a Terminate instead is kept, a bad CRC counted") {
  Pair sp;
  Segment t;
  t.last = true;
  t.opcode = kTerminate;
  t.qn = kQnTerminate;
  t.msn = 1;
  t.payload = hex("00 01 00 00");
  std::thread responder([&] {
    read_n(sp.b, 52);
    write_all(sp.b, encode_fpdu(encode_ulpdu(t), true));
    Bytes bad = encode_fpdu(tagged(kReadResponse, true, 1, 0, hex("ff")), true);
    bad[16] ^= 0x01;
    write_all(sp.b, bad);
  });
  Peer peer(sp.a);
  CHECK_FALSE(peer.read(1, 0, 1, 2, 0, 2000));
  REQUIRE(peer.last_unexpected());
  const auto term = decode_terminate(*peer.last_unexpected());
  REQUIRE(term);
  CHECK((term->layer == 0 && term->etype == 0 && term->code == 1));
  const auto s = peer.next(2000);
  responder.join();
  REQUIRE(s);
  CHECK_FALSE(s->crc_ok);
  CHECK(peer.crc_errors() == 1);
  CHECK_FALSE(peer.next(50));
  CHECK(peer.error() == "timeout");
}

TEST_CASE("mulpdu: the largest ULPDU with 2 + u + pad + 4 <= MSS") {
  CHECK(mulpdu(1448) == 1442);  // 2 + 1442 + 0 + 4 == 1448
  CHECK(mulpdu(1460) == 1454);
  CHECK(mulpdu(536) == 530);
  CHECK(mulpdu(1447) == 1438);  // 1439 would pad to 1444 and need 1448
  CHECK(mulpdu(1449) == 1442);
  CHECK(mulpdu(1451) == 1442);
  CHECK(mulpdu(8) == 2);
  CHECK(mulpdu(7) == 0);
  CHECK(mulpdu(0) == 0);
  CHECK(mulpdu(65535) == 65526);
  for (size_t mss = 8; mss < 2000; ++mss) {  // against the definition
    const size_t u = mulpdu(mss);
    CHECK(2 + u + fpdu_pad(u) + 4 <= mss);
    CHECK(2 + (u + 1) + fpdu_pad(u + 1) + 4 > mss);
  }
}

TEST_CASE("Peer: TCP_NODELAY at construction, MULPDU from TCP_MAXSEG, 1024 without it") {
  {
    Pair sp;  // AF_UNIX: both options refused, neither fatal
    CHECK(Peer::mulpdu_for(sp.a) == 1024);
    CHECK(Peer::aligned(sp.a).max_ulpdu() == 1024);
    CHECK(Peer(sp.a, 64).max_ulpdu() == 64);
    CHECK(Peer::mulpdu_for(-1) == 1024);
  }
  TcpPair tp;
  REQUIRE(int_opt(tp.a, IPPROTO_TCP, TCP_NODELAY) == 0);
  const int mss = int_opt(tp.a, IPPROTO_TCP, TCP_MAXSEG);
  REQUIRE(mss > 100);
  CHECK(Peer::mulpdu_for(tp.a) == mulpdu(static_cast<size_t>(mss)));
  Peer peer = Peer::aligned(tp.a);
  CHECK(int_opt(tp.a, IPPROTO_TCP, TCP_NODELAY) == 1);
  CHECK(peer.max_ulpdu() == mulpdu(static_cast<size_t>(mss)));
  // A Write of 2.5 MULPDUs of payload: full FPDUs of exactly MULPDU, none over the MSS.
  const size_t u = peer.max_ulpdu(), room = u - kTaggedHeader;
  const Bytes data(room * 5 / 2, 0x3C);
  bool wrote = false;
  std::thread writer([&] { wrote = peer.write(7, 0, data.data(), data.size()); });
  const size_t last = data.size() - 2 * room + kTaggedHeader;
  const size_t fpdu = 2 + u + fpdu_pad(u) + 4;
  const Bytes wire = read_n(tp.b, 2 * fpdu + 2 + last + fpdu_pad(last) + 4);
  writer.join();
  CHECK(wrote);
  REQUIRE(wire.size() == 2 * fpdu + 2 + last + fpdu_pad(last) + 4);
  CHECK(fpdu <= static_cast<size_t>(mss));
  CHECK((size_t{wire[0]} << 8 | wire[1]) == u);
  CHECK((size_t{wire[fpdu]} << 8 | wire[fpdu + 1]) == u);
  CHECK((size_t{wire[2 * fpdu]} << 8 | wire[2 * fpdu + 1]) == last);
  CHECK(peer.fpdus_sent() == 3);
}

namespace {
/// read(sink 0xAB000001, TO 0x8000, 10 bytes) against a responder that sends `segs` (ULPDUs).
std::optional<Bytes> read_against(Peer& peer, Pair& sp, const std::vector<Bytes>& segs) {
  std::thread responder([&] {
    read_n(sp.b, 52);
    for (const Bytes& u : segs) write_all(sp.b, encode_fpdu(u, true));
  });
  auto got = peer.read(0xAB000001u, 0x8000, 10, 0x200, 0, 2000);
  responder.join();
  return got;
}
Bytes rr(uint64_t to, const Bytes& payload, bool last) { return tagged(kReadResponse, last, 0xAB000001u, to, payload); }
}  // namespace

TEST_CASE("Peer::read: segments in any TO order, but all of [sink_to, sink_to + size), once, L last") {
  {
    Pair sp;
    Peer peer(sp.a);
    const auto got = read_against(peer, sp, {rr(0x8002, hex("03 04 05 06"), false), rr(0x8000, hex("01 02"), false),
                                             rr(0x8006, hex("07 08 09 0a"), true)});
    INFO(peer.error());
    REQUIRE(got);
    CHECK(*got == hex("01 02 03 04 05 06 07 08 09 0a"));
  }
  struct Case { std::vector<Bytes> segs; const char* why; };
  const Case cases[] = {
      {{rr(0x8000, hex("01 02 03 04 05 06"), false), rr(0x8006, hex("07 08"), true)},
       "Read Response at TO 0x8006 + 2 bytes has L but ends at 0x8008, not sink_to + size 0x800a"},
      {{rr(0x8000, hex("01 02 03 04"), false), rr(0x8006, hex("07 08 09 0a"), true)},
       "Read Response at TO 0x8006 + 4 bytes has L after 8 of 10 bytes"},
      {{rr(0x8000, hex("01 02 03 04 05 06"), false), rr(0x8004, hex("05 06 07 08 09 0a"), true)},
       "Read Response at TO 0x8004 + 6 bytes overlaps bytes already received"},
      {{rr(0x8008, hex("09 0a 0b"), true)}, "Read Response at TO 0x8008 + 3 bytes outside [0x8000, 0x800a)"},
      {{rr(0x7fff, hex("00 01"), false)}, "Read Response at TO 0x7fff + 2 bytes outside [0x8000, 0x800a)"},
      {{tagged(kReadResponse, true, 0xAB000002u, 0x8000, Bytes(10, 1))}, "unexpected segment while reading"},
  };
  for (const Case& c : cases) {
    Pair sp;
    Peer peer(sp.a);
    CHECK_FALSE(read_against(peer, sp, c.segs));
    CHECK(peer.error() == c.why);
    REQUIRE(peer.last_unexpected());
    CHECK(encode_ulpdu(*peer.last_unexpected()) == c.segs.back());
  }
}

TEST_CASE("Peer: Read Requests outstanding capped at the negotiated ORD (the Reply's IRD)") {
  Pair sp;
  std::thread responder([&] {
    read_n(sp.b, 24);
    write_all(sp.b, reply(0x50, 2, hex("00 02 00 04")));  // IRD 2, ORD 4, no P
    read_n(sp.b, 2 * 52);
    write_all(sp.b, encode_fpdu(rr(0x8000, hex("01"), false), true));  // no L: still outstanding
    write_all(sp.b, encode_fpdu(rr(0x8001, {}, true), true));
  });
  Peer peer(sp.a);
  CHECK(peer.ord() == UINT32_MAX);
  const auto r = peer.connect(4, 4, 2000);
  REQUIRE(r);
  CHECK(peer.ord() == 2);
  CHECK(peer.read_request(0xAB000001u, 0x8000, 1, 0x200, 0));
  CHECK(peer.read_request(0xAB000001u, 0x9000, 1, 0x200, 0));
  CHECK(peer.outstanding() == 2);
  CHECK_FALSE(peer.read_request(0xAB000001u, 0xA000, 1, 0x200, 0));
  CHECK(peer.error() == "Read Request past the negotiated ORD of 2 (2 outstanding)");
  CHECK(peer.fpdus_sent() == 2);
  CHECK(peer.next_msn(kQnReadRequest) == 3);
  REQUIRE(peer.next(2000));
  CHECK(peer.outstanding() == 2);
  CHECK_FALSE(peer.read(0xAB000001u, 0xA000, 1, 0x200, 0));  // read() is held to it as well
  CHECK(peer.error() == "Read Request past the negotiated ORD of 2 (2 outstanding)");
  REQUIRE(peer.next(2000));
  responder.join();
  CHECK(peer.outstanding() == 1);
  CHECK(peer.read_request(0xAB000001u, 0xA000, 1, 0x200, 0));
  CHECK(peer.outstanding() == 2);
  CHECK(peer.fpdus_sent() == 3);
}

TEST_CASE("Peer: a zero-length Read RTR is outstanding until its Read Response") {
  Pair sp;
  Bytes rtr;
  std::thread responder([&] {
    read_n(sp.b, 24);
    write_all(sp.b, reply(0x50, 2, hex("80 01 40 01")));  // P, R, IRD 1
    rtr = read_n(sp.b, 52);
    write_all(sp.b, encode_fpdu(tagged(kReadResponse, true, 0, 0, {}), true));
  });
  Peer peer(sp.a);
  Offer offer;
  offer.rtr_read = true;
  const auto r = peer.connect(1, 1, 2000, {}, offer);
  REQUIRE(r);
  CHECK((peer.ord() == 1 && peer.outstanding() == 1));
  CHECK_FALSE(peer.read_request(1, 0, 1, 2, 0));
  CHECK(peer.error() == "Read Request past the negotiated ORD of 1 (1 outstanding)");
  const auto s = peer.next(2000);
  responder.join();
  REQUIRE(s);
  CHECK((s->opcode == kReadResponse && s->last && s->payload.empty()));
  CHECK(peer.outstanding() == 0);
  CHECK(peer.read_request(1, 0, 1, 2, 0));
  REQUIRE(rtr.size() == 52);
  CHECK(Bytes(rtr.begin(), rtr.begin() + 20) == hex("00 2e 41 41 00 00 00 00 00 00 00 01 00 00 00 01 00 00 00 00"));
}

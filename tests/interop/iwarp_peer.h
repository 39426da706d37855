// A small iWARP initiator ("the peer") for interop tests: MPA (RFC 5044, enhanced setup of
// RFC 6581), DDP (RFC 5041) and RDMAP (RFC 5040) over a connected, blocking TCP socket.
// Written from the RFC formats alone, sharing nothing with model/, so that the simulated
// RNIC is checked against an independent implementation. Standard library and POSIX only.
// No markers (the peer asks for none and refuses a Reply that wants them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace iwarp_peer {

// MPA Request/Reply flags byte.
constexpr uint8_t kMpaMarkers = 0x80;
constexpr uint8_t kMpaCrc = 0x40;
constexpr uint8_t kMpaReject = 0x20;
constexpr uint8_t kMpaEnhanced = 0x10;
// RFC 6581 prefix, two BE16 words: P|Z|IRD(14), then W|R|ORD(14).
constexpr uint16_t kWireP = 0x8000;  // IRD word: peer-to-peer
constexpr uint16_t kWireZ = 0x4000;  // IRD word: zero-length Send as RTR
constexpr uint16_t kWireW = 0x8000;  // ORD word: zero-length RDMA Write as RTR
constexpr uint16_t kWireR = 0x4000;  // ORD word: zero-length RDMA Read as RTR
constexpr uint16_t kIrdOrdMask = 0x3FFF;
// MpaReply::rtr_bits (Z and R share a bit value in their own words, so not the wire bits).
constexpr uint16_t kRtrSend = 0x1, kRtrWrite = 0x2, kRtrRead = 0x4;
constexpr size_t kMpaHeader = 20;
constexpr size_t kMaxPrivateData = 512;

// DDP/RDMAP.
constexpr size_t kTaggedHeader = 14;
constexpr size_t kUntaggedHeader = 18;
constexpr size_t kReadRequestBody = 28;
enum Opcode : uint8_t {
  kWrite = 0, kReadRequest = 1, kReadResponse = 2, kSend = 3, kSendInv = 4, kSendSe = 5,
  kSendSeInv = 6, kTerminate = 7
};
enum Qn : uint32_t { kQnSend = 0, kQnReadRequest = 1, kQnTerminate = 2 };

/// Standard CRC32c value (reflected 0x82F63B78, init and final xor 0xFFFFFFFF):
/// "123456789" -> 0xE3069283. `crc` continues an earlier value (0 to start).
uint32_t crc32c(const uint8_t* p, size_t n, uint32_t crc = 0);
/// The CRC field as it goes on the wire: the value's least significant byte first (the
/// byte order of the RFC 3720 B.4 vectors and the FPDU vector in protocol-facts).
void put_crc(uint8_t* out, uint32_t crc);
uint32_t get_crc(const uint8_t* in);

struct MpaReply {
  int revision = 0;
  uint8_t flags = 0;  // as received
  bool enhanced = false, p2p = false;
  uint16_t ird = 0, ord = 0;  // the responder's, 14 bits each (enhanced only)
  uint16_t rtr_bits = 0;      // kRtrSend | kRtrWrite | kRtrRead as received (enhanced only)
  std::vector<uint8_t> private_data;  // after the 4-byte prefix when enhanced
};

/// An MPA Request: key, flags (C if `crc`, enhanced if revision 2), revision, length,
/// then for revision 2 the prefix (IRD word: P if `p2p`, Z if `rtr_send`; ORD word: W if
/// `rtr_write`, R if `rtr_read`), then `private_data`.
std::vector<uint8_t> encode_mpa_request(int revision, bool crc, uint16_t ird, uint16_t ord,
                                        bool p2p, bool rtr_write, bool rtr_read, bool rtr_send,
                                        const std::vector<uint8_t>& private_data);
/// Parses a whole Request or Reply frame (`reply` picks the key); nullopt and `why` if the
/// key is wrong, the frame is short or the private data is longer than 512 bytes. A rev 2
/// frame with the enhanced flag and fewer than 4 bytes of private data is refused too.
/// The flags and the revision are not judged here (Peer::connect does that).
std::optional<MpaReply> decode_mpa_frame(const uint8_t* p, size_t n, bool reply, std::string* why = nullptr);

/// One FPDU: BE16 ULPDU_Length, the ULPDU, 0-3 zero pad bytes, CRC32c over all of that
/// (0 when !crc).
std::vector<uint8_t> encode_fpdu(const std::vector<uint8_t>& ulpdu, bool crc);
inline size_t fpdu_pad(size_t ulpdu_len) { return (4 - (2 + ulpdu_len) % 4) % 4; }
/// MULPDU for a TCP MSS (RFC 5044 s.7, one FPDU per segment): the largest ULPDU length u
/// with 2 + u + fpdu_pad(u) + 4 <= mss (1448 -> 1442, 1447 -> 1438); 0 if mss < 8.
size_t mulpdu(size_t mss);

struct Segment {
  bool tagged = false, last = false;
  uint8_t opcode = 0;
  uint8_t dv = 1, rv = 1;  // DDP and RDMAP versions as received
  uint32_t stag = 0;       // tagged
  uint32_t inv_stag = 0, qn = 0, msn = 0, mo = 0;  // untagged
  uint64_t to = 0;                                 // tagged
  std::vector<uint8_t> payload;  // after the DDP/RDMAP header (a Read Request's body too)
  bool crc_ok = true;
};
/// The DDP/RDMAP header and payload of a ULPDU; nullopt if shorter than its header.
std::optional<Segment> decode_ulpdu(const uint8_t* p, size_t n);
/// The ULPDU of one segment (header and payload; crc_ok, dv, rv ignored: DV and RV are 1).
std::vector<uint8_t> encode_ulpdu(const Segment& s);

struct ReadRequest {
  uint32_t sink_stag = 0;
  uint64_t sink_to = 0;
  uint32_t size = 0;
  uint32_t src_stag = 0;
  uint64_t src_to = 0;
};
/// The 28-byte body of a Read Request segment (untagged, QN 1, opcode 1); nullopt otherwise.
std::optional<ReadRequest> decode_read_request(const Segment& s);

struct Terminate {
  int layer = 0, etype = 0, code = 0;
  bool m = false, d = false, r = false;
  uint16_t ddp_segment_length = 0;    // if d
  std::vector<uint8_t> ddp_header;    // if d: 14 (tagged) or 18 (untagged) bytes
  std::vector<uint8_t> rdmap_header;  // if r: 28 bytes (a Read Request's body)
};
/// A Terminate (untagged, QN 2, opcode 7); nullopt if `s` is not one or is too short for
/// the headers its D and R bits announce.
std::optional<Terminate> decode_terminate(const Segment& s);

/// What the initiator offers in its Request (RFC 6581 rev 2, enhanced).
struct Offer {
  bool crc = true;
  bool p2p = true;
  bool rtr_write = true, rtr_read = false, rtr_send = false;
};

/// The active side over a connected, blocking TCP socket (not owned: the caller closes it).
class Peer {
 public:
  /// `max_ulpdu`: the largest ULPDU (DDP/RDMAP header + payload) of an FPDU this peer sends.
  /// Sets TCP_NODELAY on `fd` (a failure, as on an AF_UNIX socketpair, is ignored) so that
  /// each FPDU, sent with its own send(2) calls, leaves in its own segment.
  explicit Peer(int fd, size_t max_ulpdu = 1024);
  /// A Peer whose max_ulpdu is mulpdu_for(fd): FPDUs aligned to TCP segments.
  static Peer aligned(int fd) { return Peer(fd, mulpdu_for(fd)); }
  /// mulpdu(getsockopt TCP_MAXSEG) of `fd`, or 1024 if getsockopt fails.
  static size_t mulpdu_for(int fd);

  /// Sends the Request (rev 2, C, enhanced; prefix with ird/ord and `offer`), reads the
  /// whole Reply within `timeout_ms` and checks it: nullopt with error() on a wrong key, R
  /// set, M set, revision not 2, no enhanced flag (RFC 6581 s.5: an enhanced Request gets
  /// an enhanced Reply), private data over 512, or (p2p) an RTR choice other than exactly
  /// one of the offered kinds. P in the Reply: sends the RTR at once (zero-length Write
  /// STag 0 TO 0, or zero-length Read Request, or zero-length Send, L set; the Read and
  /// Send ones take MSN 1 of their queue). A zero-length Read RTR's Read Response arrives
  /// later through next(); the RTR counts as outstanding until then. CRC is on if either
  /// side set C. Sets ord(): the Reply's IRD (the offered `ord` were it not enhanced).
  std::optional<MpaReply> connect(uint16_t ird, uint16_t ord, int timeout_ms = 5000,
                                  const std::vector<uint8_t>& private_data = {}, const Offer& offer = {});

  /// RDMA Write (tagged, opcode 0), segmented to max_ulpdu with TO advancing, L on the last.
  bool write(uint32_t stag, uint64_t to, const uint8_t* data, size_t n);
  /// Send (untagged QN 0; opcode 3-6, inv_stag for 4 and 6), MO advancing, one MSN.
  bool send(const uint8_t* data, size_t n, uint8_t opcode = kSend, uint32_t inv_stag = 0);
  /// Read Request (untagged QN 1, its own MSN). After connect(), false with error() and
  /// nothing sent if outstanding() has reached ord().
  bool read_request(uint32_t sink_stag, uint64_t sink_to, uint32_t size, uint32_t src_stag, uint64_t src_to);
  /// Sends one ULPDU as it is, as an FPDU (for malformed or hand-made segments).
  bool send_ulpdu(const std::vector<uint8_t>& ulpdu);
  /// Sends raw bytes on the socket (no framing).
  bool send_raw(const uint8_t* p, size_t n);

  /// The next whole FPDU from the stream within `timeout_ms`. A CRC mismatch is counted
  /// (crc_errors()) and the segment returned with crc_ok false. nullopt on timeout, EOF,
  /// a socket error or a ULPDU too short for its header (error() says which). A good Read
  /// Response with L ends one outstanding Read Request.
  std::optional<Segment> next(int timeout_ms = 5000);

  /// read_request(), then Read Response segments (tagged opcode 2, STag sink_stag) placed
  /// by TO, in any order, until the one with L; returns the `size` bytes. nullopt, with
  /// the segment in last_unexpected() and error() saying why, on anything else arriving, a
  /// bad CRC, a segment with a byte outside [sink_to, sink_to + size) or overlapping one
  /// already received, an L segment not ending at sink_to + size, or L before all `size`
  /// bytes have arrived.
  std::optional<std::vector<uint8_t>> read(uint32_t sink_stag, uint64_t sink_to, uint32_t size,
                                           uint32_t src_stag, uint64_t src_to, int timeout_ms = 5000);

  const std::string& error() const { return error_; }
  const std::optional<Segment>& last_unexpected() const { return unexpected_; }
  bool crc_enabled() const { return crc_; }
  uint32_t next_msn(uint32_t qn) const { return qn < 3 ? msn_[qn] : 0; }
  uint64_t bytes_sent() const { return bytes_sent_; }  // every byte, the Request included
  uint64_t fpdus_sent() const { return fpdus_sent_; }
  uint64_t fpdus_received() const { return fpdus_received_; }
  uint64_t crc_errors() const { return crc_errors_; }
  size_t max_ulpdu() const { return max_ulpdu_; }
  uint32_t ord() const { return ord_; }  // UINT32_MAX (no limit) before connect()
  uint32_t outstanding() const { return outstanding_; }  // Read Requests awaiting their L

 private:
  bool fail(std::string why);
  std::nullopt_t none(std::string why);
  bool fill(int timeout_ms);  // one more recv() into rx_ within the timeout
  bool send_message(Segment s, const uint8_t* data, size_t n);

  int fd_;
  size_t max_ulpdu_;
  bool crc_ = true;
  uint32_t msn_[3] = {1, 1, 1};
  uint32_t ord_ = UINT32_MAX, outstanding_ = 0;
  std::vector<uint8_t> rx_;
  std::string error_;
  std::optional<Segment> unexpected_;
  uint64_t bytes_sent_ = 0, fpdus_sent_ = 0, fpdus_received_ = 0, crc_errors_ = 0;
};

}  // namespace iwarp_peer

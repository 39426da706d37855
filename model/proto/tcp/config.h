#pragma once
/// Configuration of one TCP endpoint: the same struct serves the RNIC's offload engine
/// and the host's software stack.
#include <cstdint>
#include <string>

#include "model/common/units.h"

namespace rnicsim::tcp {

struct Config {
  uint16_t mss = 1460;                      ///< MSS without a route (fixtures); a connection with a route takes it from the route's MTU
  uint32_t init_cwnd = 10;                  ///< segments; RFC 6928 (Linux's default)
  Duration min_rto = Duration::from_ms(200);   ///< RFC 6298 2.4 says 1 s; Linux uses 200 ms
  Duration max_rto = Duration::from_s(120);    ///< RFC 6298 2.5 allows a maximum; Linux's
  Duration initial_rto = Duration::from_s(1);  ///< RFC 6298 2.1
  Duration delayed_ack = Duration::from_ms(40);  ///< Linux's minimum delayed-ACK timer
  Duration msl = Duration::from_s(30);      ///< TIME_WAIT lasts 2*MSL (Linux: 60 s in all)
  bool timestamps = true;                   ///< RFC 7323 timestamps option
  bool sack = true;                         ///< RFC 2018 SACK-permitted
  uint8_t wscale = 7;                       ///< window scale we announce (0..14)
  uint64_t rcvbuf = 4 * MiB;                ///< receive buffer: the largest window offered
  uint64_t sndbuf = 4 * MiB;                ///< send buffer: bytes queued and unacknowledged
  Duration user_timeout{};                  ///< 0: give up after max_retries retransmissions
  uint32_t max_retries = 15;                ///< Linux tcp_retries2
  std::string cc = "newreno";               ///< congestion control: newreno, cubic, dctcp
  bool ecn = false;                         ///< RFC 3168 ECN (always on with dctcp)
  uint32_t dupthresh = 3;                   ///< RFC 5681 / RFC 6675 DupThresh
  bool rack = true;                         ///< RFC 8985 RACK-TLP loss detection (with SACK)
  bool nodelay = false;                     ///< true: no Nagle (RFC 9293 3.7.4)
  /// Nagle as Linux applies it (tcp_nagle_check with tcp_minshall_check, Minshall's
  /// variant): a short segment waits only while an earlier short one is unacknowledged,
  /// so a transfer's short tail goes at once. False: RFC 896's rule, any unacknowledged
  /// data holds it back.
  bool minshall = false;
  /// Linux's quick-ACK mode (tcp_incr_quickack, TCP_MAX_QUICKACKS 16): from a
  /// connection's first data, and again after the receive side was idle longer than the
  /// RTO, every segment is acknowledged at once, for rcv_wnd / (2 * rcv_mss) ACKs (at
  /// least 2, at most 16); then delayed ACKs as before. With it, too, a segment shorter
  /// than the receive MSS is acknowledged as soon as the reader has drained it
  /// (ICSK_ACK_PUSHED in tcp_cleanup_rbuf), not at the delayed-ACK timer.
  bool quickack = false;
  /// PSH as a socket sets it (Linux's tcp_push, RFC 9293 3.9.1's "last segment of a
  /// SEND"): only on a segment that reaches the end of the data queued so far. False: on
  /// every data segment (the offload engine's, each FPDU a record of its own). A receiver
  /// that reads as data comes acknowledges a pushed segment at once (Linux's
  /// ICSK_ACK_PUSHED), so the flag changes the peer's ACKs.
  bool psh_at_end = false;
};

}  // namespace rnicsim::tcp

#pragma once
/// One TCP connection (RFC 9293), plain C++ without a clock of its own: the timing wrapper
/// (the RNIC's offload engine or the host's software stack) feeds it segments and timer
/// expiries with the current time, and pulls the segments it wants to send.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/common/bytes.h"
#include "model/common/units.h"
#include "model/proto/tcp/config.h"
#include "model/proto/tcp/congestion.h"
#include "model/proto/tcp/send_buffer.h"
#include "model/wire/tcp.h"

namespace rnicsim::tcp {

enum class State {
  Closed,
  Listen,
  SynSent,
  SynReceived,
  Established,
  FinWait1,
  FinWait2,
  CloseWait,
  Closing,
  LastAck,
  TimeWait,
};
const char* to_string(State s);

enum class CloseReason { None, Normal, Reset, Timeout, Refused };
const char* to_string(CloseReason r);

/// What the connection tells its owner. Implemented by the timing wrapper.
class Upcalls {
 public:
  virtual ~Upcalls() = default;
  /// In-order bytes for the layer above; returns true when they end a message that must be
  /// acknowledged at once (the DDP L bit: completions never wait for the delayed ACK).
  virtual bool on_data(ConstByteSpan data) = 0;
  /// Bytes newly acknowledged by the peer (send-buffer space freed; completions).
  virtual void on_acked(uint64_t total_acked_bytes) = 0;
  virtual void on_state_change(State from, State to) = 0;
  /// The peer sent FIN (after all its data).
  virtual void on_peer_fin() {}
};

struct Stats {
  uint64_t segments_tx = 0;
  uint64_t segments_rx = 0;
  uint64_t bytes_tx = 0;        ///< payload bytes sent, retransmissions included
  uint64_t retransmits = 0;     ///< segments sent again, for any reason
  uint64_t fast_retransmits = 0;
  uint64_t timeouts = 0;
  uint64_t dup_acks_rx = 0;
  uint64_t ooo_segments_rx = 0;
  uint32_t cwnd_max = 0;
};

/// A segment the connection wants sent: header fields, and `len` payload bytes taken from
/// the send buffer `offset` bytes after snd_una (copy them with send_buffer().copy_out).
struct Outgoing {
  wire::TcpHeader hdr;
  size_t offset = 0;
  size_t len = 0;
  bool ect = false;  ///< send the datagram ECN-capable, ECT(0) (RFC 3168 6.1.2)
};

class Connection {
 public:
  Connection(const Config& cfg, uint32_t isn, uint32_t ts_offset, Upcalls& up);

  void open_active(Duration now);
  /// Passive open from a SYN received on a listening port (state LISTEN -> SYN_RECEIVED).
  void open_passive(const wire::TcpHeader& syn, Duration now);
  /// Application close: FIN after the queued data.
  void close(Duration now);
  /// Abort: RST now, state CLOSED.
  void abort(Duration now);

  /// `ce`: the IP header carried Congestion Experienced (RFC 3168), for ECN.
  void on_segment(const wire::TcpHeader& h, ConstByteSpan payload, Duration now, bool ce = false);
  /// Handles every timer whose deadline is <= now.
  void on_timer(Duration now);
  /// The earliest pending timer, or a negative duration when none is armed.
  Duration next_deadline() const;

  /// True when a segment could be produced now (control or data within the windows).
  bool has_output() const;
  /// Produces the next segment to send (call only when has_output()).
  Outgoing next_output(Duration now);

  SendBuffer& send_buffer() { return sndbuf_; }

  State state() const { return state_; }
  CloseReason close_reason() const { return close_reason_; }
  /// Effective send MSS: payload bytes per segment after options (EMSS).
  uint32_t emss() const;
  uint32_t cwnd() const { return cc_->cwnd; }
  uint32_t ssthresh() const { return cc_->ssthresh; }
  uint32_t in_flight() const { return snd_nxt_ - snd_una_; }
  Duration srtt() const { return srtt_; }
  uint64_t bytes_acked() const { return bytes_acked_; }
  bool all_acked() const { return snd_una_ == snd_max_ && sndbuf_.size() == 0; }
  const Stats& stats() const { return stats_; }
  uint32_t peer_mss() const { return peer_mss_; }
  bool timestamps_on() const { return ts_on_; }
  bool sack_on() const { return sack_on_; }

 private:
  void set_state(State s);
  void process_ack(const wire::TcpHeader& h, Duration now);
  void process_data(const wire::TcpHeader& h, ConstByteSpan payload, Duration now);
  void process_fin(Duration now);
  void enter_time_wait(Duration now);
  void rtt_sample(Duration rtt);
  Duration rto() const;
  void arm_rto(Duration now);
  uint32_t rcv_window() const;
  wire::TcpHeader base_header(uint8_t flags, uint32_t seq, Duration now);
  void fill_syn_options(wire::TcpHeader& h) const;
  void take_syn_options(const wire::TcpHeader& h);
  size_t sendable_len() const;
  bool fin_ready() const;
  void fail(CloseReason r, Duration now);

  Config cfg_;
  Upcalls& up_;
  std::unique_ptr<CongestionControl> cc_;
  State state_ = State::Closed;
  CloseReason close_reason_ = CloseReason::None;

  // Send side (RFC 9293 3.3.1).
  uint32_t iss_;
  uint32_t snd_una_;
  uint32_t snd_nxt_;
  uint32_t snd_max_;          ///< highest sequence sent (snd_nxt goes back on a timeout)
  SendBuffer sndbuf_;
  uint32_t recover_;          ///< RFC 6582 "recover"
  uint32_t snd_wnd_ = 0;      ///< peer's window, scaled
  uint32_t snd_wl1_ = 0, snd_wl2_ = 0;
  uint8_t snd_wscale_ = 0;    ///< shift applied to the peer's window field
  uint32_t peer_mss_ = 536;   ///< RFC 9293 default
  bool fin_queued_ = false;   ///< close() called: FIN follows the data
  bool fin_sent_ = false;
  bool fin_ever_sent_ = false;
  bool syn_acked_ = false;
  uint32_t fin_seq_ = 0;
  uint64_t bytes_acked_ = 0;  ///< payload bytes acknowledged (SYN/FIN excluded)

  // Receive side.
  uint32_t irs_ = 0;
  uint32_t rcv_nxt_ = 0;
  uint8_t rcv_wscale_ = 0;    ///< shift we apply to the window we advertise
  std::map<uint32_t, std::vector<uint8_t>> ooo_;  ///< out-of-order segments by sequence
  size_t ooo_bytes_ = 0;
  bool peer_fin_ = false;

  // Options.
  bool ts_on_ = false;
  bool sack_on_ = false;
  uint32_t ts_offset_;
  uint32_t ts_recent_ = 0;

  // Output requests.
  bool ack_now_ = false;      ///< a pure ACK is owed immediately
  bool syn_pending_ = false;  ///< SYN or SYN-ACK to (re)send
  bool rst_pending_ = false;
  uint32_t rst_seq_ = 0;
  int unacked_full_segments_ = 0;

  // Loss recovery.
  uint32_t dupacks_ = 0;
  bool in_recovery_ = false;
  uint32_t retransmit_next_ = 0;  ///< a hole to resend first, when != snd_nxt_ path
  bool retransmit_pending_ = false;

  // RTT (RFC 6298) and timers.
  Duration srtt_{};
  Duration rttvar_{};
  bool have_rtt_ = false;
  int backoff_ = 0;
  uint32_t rtt_seq_ = 0;       ///< sequence being timed (Karn: not a retransmission)
  Duration rtt_start_{};
  bool rtt_timing_ = false;
  Duration rto_deadline_{-1};
  Duration delack_deadline_{-1};
  Duration timewait_deadline_{-1};
  Duration first_retransmit_at_{-1};
  uint32_t retries_ = 0;

  Stats stats_;
};

}  // namespace rnicsim::tcp

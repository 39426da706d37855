#pragma once
/// One TCP connection (RFC 9293), plain C++ without a clock of its own: the timing wrapper
/// (the RNIC's offload engine or the host's software stack) feeds it segments and timer
/// expiries with the current time, and pulls the segments it wants to send.
#include <cstdint>
#include <array>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "model/common/bytes.h"
#include "model/common/units.h"
#include "model/proto/netstack/path.h"
#include "model/proto/tcp/config.h"
#include "model/proto/tcp/congestion.h"
#include "model/proto/tcp/interval_set.h"
#include "model/proto/tcp/ooo_store.h"
#include "model/proto/tcp/send_buffer.h"
#include "model/stats/stats.h"
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
  /// Bytes that arrived out of order and are held until the hole before them fills, at
  /// stream position `pos` (bytes after the SYN, as bytes_received counts them). The layer
  /// above may look at them (direct placement of the FPDUs they hold); they are delivered
  /// in order later all the same.
  virtual void on_out_of_order(uint64_t /*pos*/, ConstByteSpan /*data*/) {}
  /// When the bytes just passed to on_data leave the receive buffer: the layer above holds
  /// them until then (an RNIC's, until placement DMA has drained them). Negative or past:
  /// at once, as a socket whose reader keeps up.
  virtual Duration held_until() const { return Duration{-1}; }
};

struct Stats {
  uint64_t segments_tx = 0, segments_rx = 0, bytes_tx = 0;
  uint64_t retransmits = 0, fast_retransmits = 0, timeouts = 0;
  uint64_t dup_acks_rx = 0, ooo_segments_rx = 0;
  uint32_t cwnd_max = 0;
  uint64_t sack_retransmits = 0, rto_retransmits = 0, partial_acks = 0, persist_probes = 0;
  uint64_t ecn_ce_rx = 0, ecn_ece_rx = 0, ecn_reductions = 0;
  uint64_t paws_drops = 0, dup_segments_rx = 0, dsacks_rx = 0;
  uint64_t rack_lost = 0, tlp_probes = 0, tlp_recoveries = 0;

  static stats::Group<Stats> group() {
    using stats::Unit;
    return stats::Group<Stats>()
        .counter("segments_tx", &Stats::segments_tx, Unit::Segments, "segments sent, retransmissions included")
        .counter("segments_rx", &Stats::segments_rx, Unit::Segments, "segments received")
        .counter("bytes_tx", &Stats::bytes_tx, Unit::Bytes, "payload bytes sent, retransmissions included")
        .counter("retransmits", &Stats::retransmits, Unit::Segments, "segments sent again, for any reason")
        .counter("fast_retransmits", &Stats::fast_retransmits, Unit::Count,
                 "entries into fast recovery (a fast retransmit each)")
        .counter("timeouts", &Stats::timeouts, Unit::Events, "retransmission timeouts")
        .counter("dup_acks_rx", &Stats::dup_acks_rx, Unit::Segments, "duplicate ACKs received")
        .counter("ooo_segments_rx", &Stats::ooo_segments_rx, Unit::Segments, "segments received out of order")
        .counter("cwnd_max_bytes", &Stats::cwnd_max, Unit::Bytes, "largest congestion window")
        .counter("sack_retransmits", &Stats::sack_retransmits, Unit::Segments,
                 "retransmissions chosen from the SACK scoreboard")
        .counter("rto_retransmits", &Stats::rto_retransmits, Unit::Segments,
                 "segments resent after a timeout (SACKed ones skipped)")
        .counter("partial_acks", &Stats::partial_acks, Unit::Segments,
                 "ACKs inside fast recovery below the recovery point")
        .counter("persist_probes", &Stats::persist_probes, Unit::Segments, "zero-window probes (RFC 9293 3.8.6.1)")
        .counter("ecn_ce_rx", &Stats::ecn_ce_rx, Unit::Segments, "segments received with IP CE")
        .counter("ecn_ece_rx", &Stats::ecn_ece_rx, Unit::Segments, "ACKs received with ECE")
        .counter("ecn_reductions", &Stats::ecn_reductions, Unit::Count,
                 "window reductions on ECE (at most one per window)")
        .counter("paws_drops", &Stats::paws_drops, Unit::Segments, "segments dropped by PAWS (RFC 7323 5)")
        .counter("dup_segments_rx", &Stats::dup_segments_rx, Unit::Segments, "segments wholly below RCV.NXT")
        .counter("dsacks_rx", &Stats::dsacks_rx, Unit::Segments,
                 "ACKs whose first SACK block is a D-SACK (RFC 2883)")
        .counter("rack_lost", &Stats::rack_lost, Unit::Segments,
                 "segments marked lost by RACK (RFC 8985), RTO excluded")
        .counter("tlp_probes", &Stats::tlp_probes, Unit::Segments, "tail loss probes sent (RFC 8985 7.3)")
        .counter("tlp_recoveries", &Stats::tlp_recoveries, Unit::Count,
                 "losses repaired by a probe alone (RFC 8985 7.4): cwnd reduced");
  }
};

/// Loss recovery state of the sender.
enum class Recovery {
  Open,      ///< no loss being repaired
  Fast,      ///< fast recovery: NewReno (RFC 6582) or SACK-based (RFC 6675)
  Loss,      ///< after a retransmission timeout, until SND.MAX at the timeout is acknowledged
};
const char* to_string(Recovery r);

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
  /// The route the connection's segments take (a handle to the table's entry, never a
  /// copy): its MTU gives the MSS the connection advertises and sends with, so a change of
  /// the entry reaches it. Without a route (a fixture), Config::mss.
  void set_route(netstack::RouteRef route) { route_ = std::move(route); }
  /// The path MTU toward the peer (RFC 1191: what a fragmentation-needed message or its
  /// notification taught; 0: the route's MTU). Only the MSS the connection sends with
  /// follows it (Linux's tcp_sync_mss; the MSS advertised stays the device's). When the
  /// send MSS shrinks, data already sent in larger segments is resent at once at the new
  /// size with the congestion window untouched (Linux's tcp_simple_retransmit).
  void set_path_mtu(uint32_t mtu, Duration now);
  uint32_t path_mtu() const { return path_mtu_; }

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
  /// Bytes sent and not cumulatively acknowledged (FlightSize).
  uint32_t in_flight() const { return snd_max_ - snd_una_; }
  /// RFC 6675 "pipe": bytes estimated in the network.
  uint32_t pipe() const;
  Recovery recovery() const { return recovery_; }
  const IntervalSet& scoreboard() const { return sacked_; }
  bool ecn_on() const { return ecn_on_; }
  uint32_t snd_una() const { return snd_una_; }
  uint32_t snd_max() const { return snd_max_; }
  uint32_t rcv_nxt() const { return rcv_nxt_; }
  /// In-order bytes received so far (the stream position of rcv_nxt).
  uint64_t bytes_received() const { return rcv64_; }
  uint32_t snd_wnd() const { return snd_wnd_; }
  Duration rto_now() const { return rto(); }
  const CongestionControl& cc() const { return *cc_; }
  Duration srtt() const { return srtt_; }
  uint64_t bytes_acked() const { return bytes_acked_; }
  bool all_acked() const { return snd_una_ == snd_max_ && sndbuf_.size() == 0; }
  const Stats& stats() const { return stats_; }
  uint32_t peer_mss() const { return peer_mss_; }
  bool timestamps_on() const { return ts_on_; }
  bool sack_on() const { return sack_on_; }
  /// RACK-TLP (RFC 8985) in use: configured and SACK negotiated.
  bool rack_on() const { return rack_on_; }
  /// Bytes RACK (or the RTO) marked lost and not retransmitted since, unwrapped.
  const IntervalSet& lost_marks() const { return lost_; }
  /// RACK's current reordering window (RFC 8985 6.2 step 4).
  Duration reo_wnd() const;
  Duration min_rtt() const { return min_rtt_; }

 private:
  // Defined in the file of their concern: connection.cpp (construction, open, close),
  // connection_input.cpp, _ack, _rack, _output, _timers and _receive (docs/tcp.md).
  void set_state(State s);
  void on_synchronized_segment(const wire::TcpHeader& h, ConstByteSpan payload, Duration now, bool ce,
                               bool unscaled_window);
  void process_ack(const wire::TcpHeader& h, size_t payload_len, Duration now, bool unscaled_window = false);
  void take_sack(const wire::TcpHeader& h, bool& new_sack);
  void process_data(const wire::TcpHeader& h, ConstByteSpan payload, Duration now);
  void deliver(ConstByteSpan data, bool& ack_hint, Duration now);
  /// Bytes the layer above has drained by `now` leave the receive buffer.
  void release_held(Duration now);
  /// The window the receive buffer's free space allows (Linux's __tcp_select_window): the
  /// whole buffer while at least half of it is free, else the free space rounded down to
  /// the window scale's unit; rcv_window() never moves the right edge left of it.
  uint32_t free_window() const;
  /// The wake-up for the first held bytes' release, armed only while the free space
  /// limits the window (else releases wait for the next segment: nothing to announce).
  void arm_held();
  void process_fin(Duration now);
  void enter_time_wait(Duration now);
  void enter_fast_recovery(Duration now);
  bool ecn_wanted() const;
  bool retransmission_ready(uint32_t& seq, uint32_t& len, bool rule3) const;
  void on_rto(Duration now);
  void update_persist(Duration now);
  /// One RTT measurement (RFC 6298 2.2-2.3); a valid one ends the backoff (RFC 6298 5.7,
  /// Karn: the backed-off RTO stays until a measurement that is not ambiguous).
  void rtt_sample(Duration rtt);
  /// An ACK that advances SND.UNA: the timed segment's sample if it is covered, else,
  /// after a retransmission left nothing timed, the sample its TSecr gives (RFC 7323 4.1:
  /// the echo says which transmission the ACK answers, so Karn's ambiguity does not arise).
  void rtt_on_advance(const wire::TcpHeader& h, uint32_t ack, Duration now);
  Duration rto() const;
  void arm_rto(Duration now);
  uint32_t rcv_window() const;
  uint32_t full_window() const;
  wire::TcpHeader base_header(uint8_t flags, uint32_t seq, Duration now);
  void fill_syn_options(wire::TcpHeader& h) const;
  /// SACK blocks for a pure ACK; a pending D-SACK block goes first (and is then sent).
  void fill_sack_blocks(wire::TcpHeader& h);
  /// RFC 2883: a segment wholly below RCV.NXT arrived: report it in the next ACK.
  void note_dsack(uint32_t seq, size_t len);
  void take_syn_options(const wire::TcpHeader& h);
  size_t sendable_len() const;
  bool fin_ready() const;
  bool data_state() const;
  void fail(CloseReason r, Duration now);
  /// Where unwrapped positions start (una64_ at the ISS, rcv64_ after the peer's SYN).
  static constexpr uint64_t kBase64 = uint64_t{1} << 33;
  /// Unwrapped 64-bit position of a send / receive sequence number.
  uint64_t s64(uint32_t seq) const { return una64_ + static_cast<int64_t>(static_cast<int32_t>(seq - snd_una_)); }
  uint64_t r64(uint32_t seq) const { return rcv64_ + static_cast<int64_t>(static_cast<int32_t>(seq - rcv_nxt_)); }
  /// RFC 6675 IsLost for an unSACKed range whose SACKed bytes above are `above_bytes` in
  /// `above_ranges` ranges.
  bool lost(uint64_t above_ranges, uint64_t above_bytes) const;
  /// The next retransmission (RFC 6675 NextSeg rules 1 and 3, or after a timeout every
  /// unSACKed byte below the recovery point): start and length; false when none.
  bool next_retransmission(uint32_t& seq, uint32_t& len, bool rule3) const;
  bool can_send_in_recovery() const;
  Outgoing emit_retransmission(uint32_t seq, uint32_t len, Duration now);
  Outgoing emit_ack(Duration now);
  Outgoing emit_new_data(size_t len, Duration now);
  /// RFC 8985 7.2: a probe may be scheduled (SACK, nothing SACKed, no recovery, no probe
  /// outstanding, data in flight).
  bool tlp_allowed() const;
  /// Schedules the probe timeout (PTO), or cancels it when no probe is allowed.
  void arm_tlp(Duration now);
  Outgoing emit_tlp(Duration now);
  /// RFC 8985 7.4: the ACK that covers the probe ends the episode.
  /// `dsack`: the ACK's D-SACK block, when it has one (`dl`, `dr`).
  void tlp_on_ack(uint32_t ack, Duration now, bool dsack, uint32_t dl, uint32_t dr);

  // RACK-TLP (RFC 8985).
  /// One segment sent and not yet cumulatively acknowledged, in sequence order. Records
  /// are never split: a retransmission resends (part of) one record.
  struct SegRec {
    uint64_t start = 0, end = 0;  ///< unwrapped [start, end); a FIN counts one
    Duration xmit{};              ///< time of the latest transmission
    uint64_t order = 0;           ///< its rank among all transmissions (ties of xmit)
    uint64_t prev = 0, next = 0;  ///< time-ordered list (ids), kNil at the ends
    bool retransmitted = false;
    bool sacked = false;
    bool lost = false;            ///< marked lost, not retransmitted since
    bool linked = false;          ///< on the time-ordered list (neither delivered nor lost)
  };
  static constexpr uint64_t kNil = ~uint64_t{0};
  SegRec& rec(uint64_t id) { return segs_[static_cast<size_t>(id - seg_base_)]; }
  /// Id of the record holding unwrapped position x, or kNil.
  uint64_t rec_at(uint64_t x) const;
  void tl_link_tail(uint64_t id);
  void tl_unlink(uint64_t id);
  void rack_record_sent(uint64_t start, uint64_t end, Duration now);
  void rack_record_retransmitted(uint64_t start, uint64_t end, Duration now);
  /// RFC 8985 steps 2-3 for the records one ACK delivered (SACKed or cumulatively
  /// acknowledged), taken in the order they were sent.
  void rack_update(Duration now, uint32_t ts_ecr, bool has_ts);
  void rack_mark_lost(uint64_t id);
  /// RFC 8985 step 5: marks what is lost, arms the reordering timer.
  void rack_detect_loss(Duration now);
  /// The SACK blocks of an ACK: newly SACKed records are delivered.
  void rack_take_sacked();
  void rack_on_rto(Duration now);
  /// Fast recovery when RACK marked something lost while none is under way.
  void rack_maybe_recover(Duration now);

  Config cfg_;
  Upcalls& up_;
  std::unique_ptr<CongestionControl> cc_;
  State state_ = State::Closed;
  CloseReason close_reason_ = CloseReason::None;

  // Send side (RFC 9293 3.3.1).
  uint32_t iss_;
  uint32_t snd_una_;
  uint32_t snd_nxt_;          ///< next new sequence number (== snd_max_ once data flows)
  uint32_t snd_max_;          ///< highest sequence sent
  uint64_t una64_;            ///< snd_una_ unwrapped
  SendBuffer sndbuf_;
  uint32_t recover_;          ///< RFC 6582 "recover" / RFC 6675 RecoveryPoint
  uint32_t snd_wnd_ = 0;      ///< peer's window, scaled
  uint32_t snd_wl1_ = 0, snd_wl2_ = 0;
  uint8_t snd_wscale_ = 0;    ///< shift applied to the peer's window field
  uint32_t peer_mss_ = 536;   ///< RFC 9293 default
  netstack::RouteRef route_;  ///< see set_route
  uint32_t path_mtu_ = 0;     ///< see set_path_mtu
  /// The MSS this side's path allows: the route's MTU less the IPv4 and TCP headers
  /// (RFC 9293 3.7.1), else Config::mss.
  uint32_t local_mss() const;
  bool fin_queued_ = false;   ///< close() called: FIN follows the data
  bool fin_sent_ = false;
  bool syn_acked_ = false;
  bool syn_retransmitted_ = false;  ///< RFC 6298 5.7
  uint32_t fin_seq_ = 0;
  uint64_t bytes_acked_ = 0;  ///< payload bytes acknowledged (SYN/FIN excluded)

  // Receive side.
  uint32_t irs_ = 0;
  uint32_t rcv_nxt_ = 0;
  uint64_t rcv64_ = 0;        ///< rcv_nxt_ unwrapped
  uint8_t rcv_wscale_ = 0;    ///< shift we apply to the window we advertise
  IntervalSet ooo_;           ///< out-of-order bytes held, unwrapped positions
  OooStore ooo_bytes_;        ///< their bytes
  std::array<uint64_t, 4> sack_recent_{};  ///< left edges of the latest SACKed ranges, newest first
  uint8_t sack_recent_n_ = 0;
  bool peer_fin_ = false;
  bool ooo_fin_ = false;      ///< a FIN arrived beyond a hole
  uint64_t ooo_fin_pos_ = 0;
  uint32_t last_ack_sent_ = 0;
  bool dsack_pending_ = false;    ///< RFC 2883: the next ACK reports a duplicate first
  uint32_t dsack_left_ = 0, dsack_right_ = 0;

  // Options.
  bool ts_on_ = false;
  bool sack_on_ = false;
  uint32_t ts_offset_;
  uint32_t ts_recent_ = 0;

  // ECN (RFC 3168) and DCTCP (RFC 8257).
  bool ecn_on_ = false;
  bool peer_syn_ecn_ = false;   ///< the peer's SYN asked for ECN (ECE|CWR)
  bool ece_echo_ = false;       ///< receiver: set ECE on our ACKs
  bool dctcp_rx_ = false;       ///< receiver follows DCTCP's rule: ECE mirrors the last CE
  bool cwr_pending_ = false;    ///< sender: set CWR on the next new data segment
  uint32_t ecn_high_ = 0;       ///< no new reduction until an ECE acknowledges past this
  bool pre_ack_pending_ = false;  ///< DCTCP: ACK owed with the previous CE state
  uint32_t pre_ack_seq_ = 0;
  bool pre_ack_ece_ = false;

  // Output requests.
  bool ack_now_ = false;      ///< a pure ACK is owed immediately
  bool syn_pending_ = false;  ///< SYN or SYN-ACK to (re)send
  bool rst_pending_ = false;
  uint32_t rst_seq_ = 0;
  uint64_t unacked_bytes_ = 0;   ///< in-order bytes received since the last ACK sent
  /// The receive MSS: the size the peer's segments are measured to have (Linux's
  /// icsk_ack.rcv_mss), from RFC 9293's default 536 (tcp_initialize_rcv_mss).
  static constexpr uint32_t kDefaultMss = 536;
  uint32_t rcv_mss_ = kDefaultMss;
  uint32_t last_seg_size_ = 0;  ///< the last segment's length, when it could lower rcv_mss_
  /// Linux's ICSK_ACK_PUSHED (1) and PUSHED2 (2): a segment shorter than rcv_mss_ came
  /// (twice: both) since the last ACK; cleared when an ACK goes.
  uint8_t ack_pushed_ = 0;
  void measure_rcv_mss(size_t len);
  /// An ACK went out (alone or on a segment): the delayed-ACK state is reset and one
  /// quick ACK used (Linux's tcp_event_ack_sent).
  void ack_sent();
  /// Linux's tcp_incr_quickack with TCP_MAX_QUICKACKS.
  void incr_quickack();

  // Loss recovery.
  Recovery recovery_ = Recovery::Open;
  uint32_t dupacks_ = 0;
  IntervalSet sacked_;            ///< SACK scoreboard, unwrapped, above snd_una
  uint64_t rxt_next64_ = 0;       ///< HighRxt: retransmissions resume at or after this
  bool first_rxt_pending_ = false;  ///< the segment at SND.UNA goes first, whatever the window

  // Persist (RFC 9293 3.8.6.1).
  bool persist_on_ = false;
  /// Receive back-pressure: bytes delivered and not yet drained by the layer above, with
  /// the time each run of them leaves (in delivery order, times non-decreasing).
  std::deque<std::pair<Duration, uint64_t>> held_;
  uint64_t held_bytes_ = 0;
  uint64_t rcv_adv64_ = 0;          ///< the right edge last advertised, unwrapped (0: none yet)
  Duration held_deadline_{-1};
  bool probe_pending_ = false;
  int persist_backoff_ = 0;
  Duration persist_deadline_{-1};

  // RTT (RFC 6298) and timers.
  Duration srtt_{};
  Duration rttvar_{};
  bool have_rtt_ = false;
  int backoff_ = 0;
  uint32_t rtt_seq_ = 0;       ///< sequence being timed (Karn: not a retransmission)
  Duration rtt_start_{};
  bool rtt_timing_ = false;
  bool rtt_karn_ = false;      ///< a retransmission since the last sample: TSecr may measure
  Duration rto_deadline_{-1};
  Duration delack_deadline_{-1};
  uint32_t snd_sml_ = 0;       ///< end of the last short data segment sent (Linux's snd_sml)
  bool sml_sent_ = false;      ///< a short segment was sent (snd_sml_ is meaningful)
  uint32_t quick_acks_ = 0;    ///< quick-ACK mode: ACKs still to send at once
  bool rcv_started_ = false;   ///< data has been received (quick-ACK mode entered once)
  Duration last_rcv_{-1};      ///< when data last arrived (idle re-entry of quick-ACK mode)
  Duration timewait_deadline_{-1};
  Duration first_retransmit_at_{-1};
  uint32_t retries_ = 0;

  // RACK-TLP (RFC 8985).
  bool rack_on_ = false;
  std::deque<SegRec> segs_;
  uint64_t seg_base_ = 0;          ///< id of segs_.front()
  uint64_t tl_head_ = kNil, tl_tail_ = kNil;
  IntervalSet lost_;               ///< marked lost, not retransmitted since (unSACKed bytes only)
  std::vector<Range> sack_gaps_;   ///< scratch: bytes an ACK's SACK blocks newly cover
  Duration rack_xmit_{-1};         ///< RACK.xmit_ts (negative: no segment delivered yet)
  uint64_t rack_order_ = 0;        ///< RACK.end_seq's role: which of equal times was sent last
  uint64_t xmit_count_ = 0;        ///< transmissions so far (SegRec::order)
  Duration rack_rtt_{};            ///< RACK.rtt
  uint64_t rack_fack_ = 0;         ///< RACK.fack: highest end delivered
  bool reordering_seen_ = false;   ///< RACK.reordering_seen
  Duration min_rtt_{-1};           ///< RACK.min_RTT (negative: no sample)
  uint32_t segs_sacked_ = 0;       ///< RACK.segs_sacked
  Duration rack_deadline_{-1};     ///< reordering timer
  Duration tlp_deadline_{-1};      ///< probe timeout (PTO)
  bool tlp_pending_ = false;       ///< the PTO expired: a probe goes now
  bool tlp_in_flight_ = false;     ///< TLP.end_seq is set
  bool tlp_is_retrans_ = false;    ///< TLP.is_retrans
  uint32_t tlp_end_ = 0;           ///< TLP.end_seq
  uint32_t tlp_rxt_seq_ = 0;       ///< where a retransmitted probe starts
  struct Delivered {
    Duration xmit;
    uint64_t order;
    uint64_t end;
    bool retransmitted;
  };
  std::vector<Delivered> rack_new_;  ///< scratch: records one ACK delivered

  Stats stats_;
};

}  // namespace rnicsim::tcp
